package org.rookery.core.internal;

import com.github.benmanes.caffeine.cache.Cache;

/**
 * Lookups a read-through cache answered from memory ({@link #hits}) and sent on to the store
 * ({@link #misses}), since it was made; for the {@code rookery.cache.gets} metric. Thread-safe.
 */
public interface CacheCounts {
    long hits();

    long misses();

    /**
     * The counts of a Caffeine cache built with {@code recordStats()}. Keep the result where the
     * metric can reach it for as long as it is registered: Micrometer holds only a weak reference.
     */
    static CacheCounts of(Cache<?, ?> cache) {
        return new CacheCounts() {
            @Override
            public long hits() {
                return cache.stats().hitCount();
            }

            @Override
            public long misses() {
                return cache.stats().missCount();
            }
        };
    }
}
