package org.rookery.core.internal;

/**
 * Lookups a read-through cache answered from memory ({@link #hits}) and sent on to the store
 * ({@link #misses}), since it was made; for the {@code rookery.cache.gets} metric. Thread-safe.
 */
public interface CacheCounts {
    long hits();

    long misses();
}
