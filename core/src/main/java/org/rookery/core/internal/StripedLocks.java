package org.rookery.core.internal;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serialises check-then-write sequences that touch the same keys (a handle, a pair of users, an
 * idempotency key) without one global lock: keys hash to stripes, stripes are taken in index order so
 * two callers never deadlock. Thread-safe.
 */
public final class StripedLocks {
    private final ReentrantLock[] stripes;

    public StripedLocks(int count) {
        if (count <= 0 || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("count: " + count + " (expected: a power of two)");
        }
        stripes = new ReentrantLock[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    public <T> T with(long key, Supplier<T> body) {
        return with(new long[] {key}, body);
    }

    public <T> T with(long a, long b, Supplier<T> body) {
        return with(new long[] {a, b}, body);
    }

    public <T> T with(long[] keys, Supplier<T> body) {
        int[] idx = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            idx[i] = stripeOf(keys[i]);
        }
        Arrays.sort(idx);
        int taken = 0;
        try {
            for (int i = 0; i < idx.length; i++) {
                if (i == 0 || idx[i] != idx[i - 1]) {
                    stripes[idx[i]].lock();
                }
                taken = i + 1;
            }
            return body.get();
        } finally {
            for (int i = taken - 1; i >= 0; i--) {
                if (i == 0 || idx[i] != idx[i - 1]) {
                    stripes[idx[i]].unlock();
                }
            }
        }
    }

    /** How many stripes there are. */
    public int stripes() {
        return stripes.length;
    }

    /**
     * The stripe {@code key} locks, in {@code [0, stripes())}: work split so that its parts never
     * share a stripe can run its parts concurrently without waiting for each other.
     */
    public int stripeOf(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (stripes.length - 1);
    }

    /** A stable 64-bit key for a string (for striping only; collisions just share a lock). */
    public static long keyOf(String s) {
        long h = 1125899906842597L;
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }
}
