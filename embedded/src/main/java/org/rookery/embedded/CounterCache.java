package org.rookery.embedded;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.internal.LongKeys;

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
 * put under the lock that the drop of that key takes too.
 *
 * <p>A set-associative table of primitives, not a map of objects: a key (up to 15 bytes, as every
 * counter key is; longer ones are not cached) hashes to a set of {@value #WAYS} slots, each three
 * {@code long}s in one array (key bytes 0–7, key bytes 8–14 with the length and the absent flag,
 * the value), so a lookup reads one or two cache lines and a cached counter costs 24 bytes with no
 * object per entry. A full set replaces its slots in turn. With Caffeine (a boxed key, a node and a
 * value array per counter) a page's hundred-odd lookups were a fifth of a saturated server's CPU,
 * spent waiting on memory. Thread-safe: each set is guarded by one of {@value #STRIPES} locks.
 */
final class CounterCache implements CacheCounts {
    static final int WAYS = 8;
    static final int MAX_KEY_BYTES = 15;
    private static final int STRIPES = 256;
    private static final int SLOT = 3;
    private static final long ABSENT = 1L << 60;
    private static final int LENGTH_SHIFT = 56;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Per slot: key bytes 0–7, then bytes 8–14 | length << 56 | absent flag (0: empty slot), then the value. */
    private final long[] slots;
    private final byte[] nextVictim;
    private final int setMask;
    private final Object[] locks = new Object[STRIPES];
    private final AtomicLong writes = new AtomicLong();
    private final LongAdder hitCount = new LongAdder();
    private final LongAdder missCount = new LongAdder();

    /** @param maxEntries counters kept, rounded up to a power of two (at least {@value #WAYS}) */
    CounterCache(int maxEntries) {
        int sets = Integer.highestOneBit(Math.max(1, (maxEntries + WAYS - 1) / WAYS - 1)) << 1;
        this.setMask = sets - 1;
        this.slots = new long[sets * WAYS * SLOT];
        this.nextVictim = new byte[sets];
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /** Slots the table has: the most counters it keeps. */
    int capacity() {
        return nextVictim.length * WAYS;
    }

    private static boolean cacheable(byte[] key) {
        return key.length > 0 && key.length <= MAX_KEY_BYTES;
    }

    /** Bytes 0–7 of {@code key} (fewer, zero-padded, if it is shorter). */
    private static long head(byte[] key) {
        return key.length >= Long.BYTES ? (long) LONGS.get(key, 0) : tail(key, 0);
    }

    /** Bytes 8–14 of {@code key} with its length above them. */
    private static long tailWithLength(byte[] key) {
        return tail(key, Long.BYTES) | (long) key.length << LENGTH_SHIFT;
    }

    private static long tail(byte[] key, int from) {
        long v = 0;
        for (int i = Math.min(key.length, from + 7) - 1; i >= from; i--) {
            v = v << 8 | (key[i] & 0xff);
        }
        return v;
    }

    /**
     * Mixes every bit of both halves into every bit of the hash (MurmurHash3's finalizer after
     * folding): the sets are chosen by its low bits, and an id's varying bytes land high in a half.
     * A polynomial hash of the bytes (a String's) fell on one hash in eight for Snowflake ids.
     */
    static int hash(long head, long tail) {
        return (int) LongKeys.mix(head ^ LongKeys.spread(Long.rotateLeft(tail, 31)));
    }

    private int set(long head, long tail) {
        return hash(head, tail) & setMask;
    }

    private Object lock(int set) {
        return locks[set & (STRIPES - 1)];
    }

    /** The slot holding the key in {@code set}, or -1. */
    private int find(int set, long head, long tail) {
        int base = set * WAYS * SLOT;
        for (int s = base, end = base + WAYS * SLOT; s < end; s += SLOT) {
            if (slots[s] == head && (slots[s + 1] & ~ABSENT) == tail) {
                return s;
            }
        }
        return -1;
    }

    /**
     * Looks up every key: {@code out[i]} gets the cached value of {@code keys.get(i)} (null if cached
     * as absent); the indexes of keys not cached go to {@code missing}.
     *
     * @return how many keys were not cached
     */
    int lookup(List<byte[]> keys, byte @Nullable [][] out, int[] missing) {
        int misses = 0;
        for (int i = 0, n = keys.size(); i < n; i++) {
            byte[] key = keys.get(i);
            if (!cacheable(key)) {
                missing[misses++] = i;
                continue;
            }
            long head = head(key);
            long tail = tailWithLength(key);
            int set = set(head, tail);
            boolean hit;
            boolean absent = false;
            long value = 0;
            synchronized (lock(set)) {
                int s = find(set, head, tail);
                hit = s >= 0;
                if (hit) {
                    absent = (slots[s + 1] & ABSENT) != 0;
                    value = slots[s + 2];
                }
            }
            if (!hit) {
                missing[misses++] = i;
            } else {
                out[i] = absent ? null : littleEndian(value);
            }
        }
        hitCount.add(keys.size() - misses);
        missCount.add(misses);
        return misses;
    }

    @Override
    public long hits() {
        return hitCount.sum();
    }

    @Override
    public long misses() {
        return missCount.sum();
    }

    private static byte[] littleEndian(long v) {
        byte[] b = new byte[Long.BYTES];
        LONGS.set(b, 0, v);
        return b;
    }

    /** Take before loading from the store; hand to {@link #putLoaded}. */
    long stamp() {
        return writes.get();
    }

    /**
     * Keeps values loaded after {@code stamp} (null: absent) unless a write came in between. The
     * check and the put are one step under the set's lock, which the committer's drop of that key
     * takes too, so a value loaded before a commit is either not put or put before that commit's
     * drop; never visible after the commit is acknowledged. Values that are not 8 bytes (not
     * counters) are not kept.
     */
    void putLoaded(long stamp, List<byte[]> keys, List<byte @Nullable []> loaded) {
        for (int i = 0, n = keys.size(); i < n; i++) {
            byte[] key = keys.get(i);
            byte[] value = loaded.get(i);
            if (!cacheable(key) || (value != null && value.length != Long.BYTES)) {
                continue;
            }
            long head = head(key);
            long tail = tailWithLength(key);
            int set = set(head, tail);
            synchronized (lock(set)) {
                if (writes.get() != stamp) {
                    return;
                }
                int s = find(set, head, tail);
                if (s < 0) {
                    s = freeOrVictim(set);
                }
                slots[s] = head;
                slots[s + 1] = value == null ? tail | ABSENT : tail;
                slots[s + 2] = value == null ? 0 : (long) LONGS.get(value, 0);
            }
        }
    }

    /** An empty slot of the set, else the next in turn to be replaced. Under the set's lock. */
    private int freeOrVictim(int set) {
        int base = set * WAYS * SLOT;
        for (int s = base, end = base + WAYS * SLOT; s < end; s += SLOT) {
            if (slots[s + 1] == 0) {
                return s;
            }
        }
        int way = nextVictim[set] & (WAYS - 1);
        nextVictim[set] = (byte) (way + 1);
        return base + way * SLOT;
    }

    /** Called by the committer after a write that changed {@code keys}, before it acknowledges. */
    void written(Iterable<byte[]> keys) {
        writes.incrementAndGet();
        for (byte[] key : keys) {
            if (!cacheable(key)) {
                continue;
            }
            long head = head(key);
            long tail = tailWithLength(key);
            int set = set(head, tail);
            synchronized (lock(set)) {
                int s = find(set, head, tail);
                if (s >= 0) {
                    slots[s] = 0;
                    slots[s + 1] = 0;
                    slots[s + 2] = 0;
                }
            }
        }
    }

    /** Counters cached now (a walk of the whole table; for tests). */
    long size() {
        long n = 0;
        for (int s = 1; s < slots.length; s += SLOT) {
            if (slots[s] != 0) {
                n++;
            }
        }
        return n;
    }
}
