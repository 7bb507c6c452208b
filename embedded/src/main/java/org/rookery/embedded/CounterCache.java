package org.rookery.embedded;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The values of {@link org.rookery.core.store.Table#COUNTERS} keys that readers asked for, kept in
 * memory so that hydrating a page (three counts per status, three per author) does not go to
 * RocksDB for each: a counter read there costs a JNI call and the fold of its merge operands
 * (every follow, post and favourite is one), and a page asks for a few hundred. Absent counters are
 * kept too (most statuses have no favourites).
 *
 * <p>Never stale: the committer drops every counter key a group wrote, after RocksDB has it and
 * before any of the group's callers is acknowledged; the race of a read that loads a value just
 * before a write and puts it after that write's drop is closed as in
 * {@link org.rookery.core.internal.RecordCache}: the committer bumps a write count before it drops,
 * a reader takes the count before it loads and puts only if the count has not moved, checked and
 * put in one atomic step per key.
 *
 * <p>Keys are the counter keys' bytes as a Latin-1 string (one byte per char: equal bytes, equal
 * strings). About 150 bytes of heap per entry. Thread-safe.
 */
final class CounterCache {
    private static final byte[] ABSENT = new byte[0];

    private final Cache<String, byte[]> values;
    private final AtomicLong writes = new AtomicLong();

    CounterCache(int maxEntries) {
        this.values = Caffeine.newBuilder().maximumSize(maxEntries).build();
    }

    static String key(byte[] key) {
        return new String(key, StandardCharsets.ISO_8859_1);
    }

    /** True if {@code key} is cached; its value (null: absent) is then in {@code out[i]}. */
    boolean lookup(String key, byte @Nullable [][] out, int i) {
        byte[] v = values.getIfPresent(key);
        if (v == null) {
            return false;
        }
        out[i] = v == ABSENT ? null : v;
        return true;
    }

    /** Take before loading from the store; hand to {@link #putLoaded}. */
    long stamp() {
        return writes.get();
    }

    /**
     * Keeps values loaded after {@code stamp} (null: absent) unless a write came in between. The
     * check and the put are one atomic step per key (the committer's drop of that key waits for it),
     * so a value loaded before a commit is either not put or put before that commit's drop; never
     * visible after the commit is acknowledged.
     */
    void putLoaded(long stamp, String[] keys, byte @Nullable [][] loaded) {
        for (int i = 0; i < keys.length; i++) {
            byte[] value = loaded[i] == null ? ABSENT : loaded[i];
            values.asMap().compute(keys[i], (k, old) -> writes.get() == stamp ? value : old);
        }
    }

    /** Called by the committer after a write that changed {@code keys}, before it acknowledges. */
    void written(Iterable<byte[]> keys) {
        writes.incrementAndGet();
        for (byte[] k : keys) {
            values.invalidate(key(k));
        }
    }

    long size() {
        return values.estimatedSize();
    }
}
