package org.rookery.core.internal;

/**
 * Keys for hash tables of boxed {@code Long} ids ({@code ConcurrentHashMap}, Caffeine) that spread.
 * {@link Long#hashCode()} folds the high half onto the low one, and a Snowflake id's halves are
 * correlated (milliseconds in both, small sequence numbers): 600,000 ids made over a minute fall on
 * about 75,000 distinct hash codes, so lookups walk chains of eight and compare boxed keys. A
 * multiplication by an odd constant is a bijection of {@code long}s that moves every bit of the id
 * into the high half, so {@code spread(id)} keys are as distinct as the ids and hash well;
 * {@link #id} undoes it (for a cache's loader, which receives the key).
 */
public final class LongKeys {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** GOLDEN × GOLDEN_INVERSE = 1 (mod 2^64). */
    private static final long GOLDEN_INVERSE = 0xF1DE83E19937733DL;

    private LongKeys() {}

    /** The table key for {@code id}. */
    public static long spread(long id) {
        return id * GOLDEN;
    }

    /**
     * MurmurHash3's 64-bit finalizer: every bit of {@code x} affects every bit of the result, so a
     * table that picks a bucket by the low bits spreads Snowflake ids, which differ mostly in their
     * high and middle bits.
     */
    public static long mix(long x) {
        long h = x;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /** The id whose table key is {@code key}. */
    public static long id(long key) {
        return key * GOLDEN_INVERSE;
    }
}
