package org.rookery.core.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A bounded cache ({@link IdTable}) of records decoded from the store, keyed by id, that a write can never
 * leave stale. The race to close: a read loads a record just before a write commits, and puts it
 * after the write invalidated it. So writers, after their commit and before they acknowledge, call
 * {@link #invalidate}, which bumps a write counter and then drops the entries; readers take a
 * {@link #stamp} before they load and put what they loaded only if the counter has not moved,
 * checked and put atomically for the id ({@link #putLoaded}). A read either sees the counter move
 * and keeps nothing, or put its entry before the invalidation, which then drops it. (Putting first
 * and taking the entry back out after a second check would leave it visible, in between, to
 * readers that came after the write was acknowledged.)
 *
 * <p>The records are kept in an {@link IdTable}: lookups by the dozen per page read, which a map of
 * boxed keys made a quarter of a read's work.
 *
 * <p>Thread-safe.
 */
public final class RecordCache<V> {
    private final IdTable<V> table;
    private final AtomicLong writes = new AtomicLong();

    /** @param maxEntries records kept (0: none; every read goes to the store) */
    public RecordCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 0)");
        }
        this.table = new IdTable<>(maxEntries);
    }

    public @Nullable V getIfPresent(long id) {
        return table.get(id);
    }

    /** Lookups ({@link #getIfPresent}) that found a record and that did not. */
    public CacheCounts counts() {
        return table;
    }

    /** Take before loading from the store; hand to {@link #putLoaded}. */
    public long stamp() {
        return writes.get();
    }

    /**
     * Keeps a record loaded after {@code stamp}, unless a write came in between. The check and the
     * put are one atomic step for the id (an invalidation of the id waits for it), so a record loaded
     * before a write is either not put or put before that write's invalidation drops it: no reader
     * sees it once the write is acknowledged.
     */
    public void putLoaded(long stamp, long id, V value) {
        table.putIf(id, value, k -> writes.get() == stamp);
    }

    /**
     * The records of {@code ids} into {@code out}, in their order, null where one does not exist: the
     * cached ones from memory, the rest with one call of {@code load}, which is given the ids not
     * cached and returns their records in the same order (null where none, one multiget in the store);
     * those are then kept as {@link #putLoaded} keeps them. No map of boxed ids: a page read looks up
     * a few dozen records this way.
     *
     * @return {@code out}
     */
    public @Nullable V[] getEach(long[] ids, @Nullable V[] out, Function<long[], @Nullable V[]> load) {
        int[] missing = null;
        int misses = 0;
        for (int i = 0; i < ids.length; i++) {
            V v = table.get(ids[i]);
            out[i] = v;
            if (v == null) {
                if (missing == null) {
                    missing = new int[ids.length - i];
                }
                missing[misses++] = i;
            }
        }
        if (missing == null) {
            return out;
        }
        long[] missingIds = new long[misses];
        for (int j = 0; j < misses; j++) {
            missingIds[j] = ids[missing[j]];
        }
        long stamp = stamp();
        @Nullable V[] loaded = load.apply(missingIds);
        for (int j = 0; j < misses; j++) {
            V v = loaded[j];
            if (v != null) {
                out[missing[j]] = v;
                putLoaded(stamp, missingIds[j], v);
            }
        }
        return out;
    }

    /** Forgets records a committed write changed or removed; call before acknowledging the write. */
    public void invalidate(long... ids) {
        writes.incrementAndGet();
        for (long id : ids) {
            table.remove(id);
        }
    }
}
