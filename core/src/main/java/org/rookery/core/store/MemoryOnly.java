package org.rookery.core.store;

import com.github.benmanes.caffeine.cache.Cache;
import java.util.function.Function;

/**
 * A scope in which the calling thread may only do what memory can answer: an event loop trying a read
 * before it hands the read to a blocking-task thread. Inside it, a store answers reads from memory
 * (RocksDB's memtables and block cache) and throws {@link WouldBlockException} for anything that would
 * wait on a disk, a commit or another thread's load; services check {@link #refuseIfActive()} before they
 * start such work themselves (a timeline rebuild, a cache load under a key's lock). The caller catches
 * the exception and runs the whole read again where blocking is allowed, so a read must not leave
 * anything half done when it is thrown: the checks come before the first change.
 *
 * <pre>{@code
 * try (MemoryOnly.Scope s = MemoryOnly.enter()) {
 *     return read();                  // on the event loop
 * } catch (WouldBlockException e) {
 *     return executor.submit(read);   // again, where it may block
 * }
 * }</pre>
 */
public final class MemoryOnly {
    /** Nesting depth per thread; a one-element array so entering and leaving allocate nothing. */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final Scope SCOPE = () -> DEPTH.get()[0]--;

    private MemoryOnly() {}

    /** Ends a {@link MemoryOnly} scope. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Enters the scope on the calling thread until the returned scope is closed. */
    public static Scope enter() {
        DEPTH.get()[0]++;
        return SCOPE;
    }

    /** Whether the calling thread is inside a scope. */
    public static boolean active() {
        return DEPTH.get()[0] > 0;
    }

    /**
     * {@code key}'s value from {@code cache}, loaded if missing; inside a scope a missing value throws
     * {@link WouldBlockException} instead, because Caffeine loads under the key's lock (which a
     * concurrent load may hold) and loaders read the store.
     */
    public static <K, V> V get(Cache<K, V> cache, K key, Function<? super K, ? extends V> load) {
        if (!active()) {
            return cache.get(key, load); // one lookup, counted once (a hit takes no lock)
        }
        V cached = cache.getIfPresent(key);
        if (cached == null) {
            throw WouldBlockException.get();
        }
        return cached;
    }

    /** Throws {@link WouldBlockException} if the calling thread is inside a scope. */
    public static void refuseIfActive() {
        if (active()) {
            throw WouldBlockException.get();
        }
    }
}
