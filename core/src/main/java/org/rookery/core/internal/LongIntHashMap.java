package org.rookery.core.internal;

import java.util.Arrays;

/**
 * An open-addressing hash map from {@code long} keys to {@code int} values, with linear probing and
 * backward-shift deletion: no object per entry, no boxing. {@code Long.MIN_VALUE} is reserved as the
 * empty marker and cannot be a key. Capacity is fixed at construction (the map never resizes, so
 * readers never see a half-moved table).
 *
 * <p>Not thread-safe: callers guard it (the timeline store uses a {@link java.util.concurrent.locks.StampedLock}).
 */
public final class LongIntHashMap {
    private static final long EMPTY = Long.MIN_VALUE;
    /** The table has at most 2^30 slots (the largest power-of-two int array). */
    private static final int MAX_SIZE = 1 << 29;

    private final long[] keys;
    private final int[] values;
    private final int mask;
    private final int maxSize;
    private int size;

    /** A map able to hold {@code maxSize} entries at a load factor of at most 0.5. */
    public LongIntHashMap(int maxSize) {
        if (maxSize <= 0 || maxSize > MAX_SIZE) {
            throw new IllegalArgumentException("maxSize: " + maxSize + " (expected: 1-" + MAX_SIZE + ")");
        }
        int cap = Integer.highestOneBit(Math.max(4, maxSize) * 2 - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
        this.maxSize = maxSize;
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    /** The slot where {@code key}'s probe starts; for tests that need colliding keys. */
    int homeSlot(long key) {
        return hash(key) & mask;
    }

    /** The number of slots in the table. */
    int slots() {
        return keys.length;
    }

    /** The value for {@code key}, or {@code missing}. */
    public int get(long key, int missing) {
        int i = hash(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == EMPTY) { // first: the reserved key is never found
                return missing;
            }
            if (k == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
    }

    /** Sets {@code key} to {@code value}; fails when the map is full. */
    public void put(long key, int value) {
        if (key == EMPTY) {
            throw new IllegalArgumentException("key: " + key + " (expected: not Long.MIN_VALUE)");
        }
        int i = hash(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) {
                values[i] = value;
                return;
            }
            if (k == EMPTY) {
                if (size == maxSize) {
                    throw new IllegalStateException("map is full (" + maxSize + " entries)");
                }
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /** Removes {@code key}; returns its value or {@code missing}. */
    public int remove(long key, int missing) {
        int i = hash(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == EMPTY) {
                return missing;
            }
            if (k == key) {
                int v = values[i];
                shiftBack(i);
                size--;
                return v;
            }
            i = (i + 1) & mask;
        }
    }

    /** Backward-shift deletion keeps every probe chain unbroken without tombstones. */
    private void shiftBack(int gap) {
        int i = gap;
        while (true) {
            i = (i + 1) & mask;
            long k = keys[i];
            if (k == EMPTY) {
                keys[gap] = EMPTY;
                return;
            }
            int home = hash(k) & mask;
            // Move k into the gap if its home is not in (gap, i] cyclically.
            boolean movable = gap <= i ? (home <= gap || home > i) : (home <= gap && home > i);
            if (movable) {
                keys[gap] = k;
                values[gap] = values[i];
                gap = i;
            }
        }
    }

    public int size() {
        return size;
    }

    public long ramBytesUsed() {
        return 16L + keys.length * 8L + 16L + values.length * 4L;
    }
}
