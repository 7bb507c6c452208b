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
 * <p>A set-associative table of primitives, not a map of objects, and one entry per <em>group</em>
 * of counters: keys that differ only in the two low bits of their last byte — an account's
 * followers, following and statuses ({@code 'U' id 1..3}), a status's replies, reposts and
 * favourites ({@code 'T' id 1..3}) — share an entry holding {@value #KINDS} values, so a status's
 * three counts cost one lookup. A group (keys up to {@value #MAX_KEY_BYTES} bytes, as every counter
 * key is; longer ones are not cached) hashes to a set of {@value #WAYS} ways. A set's tags lie
 * together in one array, two {@code long}s a way (key bytes 0–7; key bytes 8–13 with the length and
 * which values are known and which are known absent), its values in another, four a way: a hit
 * reads one or two lines of tags and one of values, 48 bytes per group and no object per entry.
 * Three keys of 24 bytes each had taken three lookups of two or three cache lines each, and in a
 * saturated server that table was 15 % of all CPU, spent waiting on memory. A full set replaces its
 * ways in turn. Thread-safe: each set is guarded by one of {@value #STRIPES} locks.
 */
final class CounterCache implements CacheCounts {
    static final int WAYS = 8;
    /** Values per group: the keys whose last bytes differ in their two low bits. */
    static final int KINDS = 4;
    static final int MAX_KEY_BYTES = 14;
    private static final int STRIPES = 256;
    private static final int KIND_BITS = KINDS - 1;
    private static final int LENGTH_SHIFT = 48;
    private static final int KNOWN_SHIFT = 52;
    private static final int ABSENT_SHIFT = 56;
    /** The bits of a tail that name the group (key bytes 8–13 and the length); the rest are flags. */
    private static final long TAG_BITS = (1L << KNOWN_SHIFT) - 1;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Per way: key bytes 0–7, then bytes 8–13 | length << 48 | known << 52 | absent << 56 (0: empty way). */
    private final long[] tags;
    /** Per way: {@value #KINDS} values, by the two low bits of the key's last byte. */
    private final long[] values;
    private final byte[] nextVictim;
    private final int setMask;
    private final Object[] locks = new Object[STRIPES];
    private final AtomicLong writes = new AtomicLong();
    private final LongAdder hitCount = new LongAdder();
    private final LongAdder missCount = new LongAdder();

    /** @param maxGroups groups of counters kept, rounded up to a power of two (at least {@value #WAYS}) */
    CounterCache(int maxGroups) {
        int sets = Integer.highestOneBit(Math.max(1, (maxGroups + WAYS - 1) / WAYS - 1)) << 1;
        this.setMask = sets - 1;
        this.tags = new long[sets * WAYS * 2];
        this.values = new long[sets * WAYS * KINDS];
        this.nextVictim = new byte[sets];
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /** Ways the table has: the most groups it keeps. */
    int capacity() {
        return nextVictim.length * WAYS;
    }

    private static boolean cacheable(byte[] key) {
        return key.length > 0 && key.length <= MAX_KEY_BYTES;
    }

    private static int kind(byte[] key) {
        return key[key.length - 1] & KIND_BITS;
    }

    /** Bytes 0–7 of {@code key}'s group (fewer, zero-padded, if it is shorter). */
    private static long head(byte[] key) {
        long head = key.length >= Long.BYTES ? (long) LONGS.get(key, 0) : bytes(key, 0);
        return key.length <= Long.BYTES ? head & ~((long) KIND_BITS << 8 * (key.length - 1)) : head;
    }

    /** Bytes 8–13 of {@code key}'s group with its length above them. */
    private static long tail(byte[] key) {
        long tail = bytes(key, Long.BYTES);
        if (key.length > Long.BYTES) {
            tail &= ~((long) KIND_BITS << 8 * (key.length - 1 - Long.BYTES));
        }
        return tail | (long) key.length << LENGTH_SHIFT;
    }

    private static long bytes(byte[] key, int from) {
        long v = 0;
        for (int i = Math.min(key.length, from + Long.BYTES) - 1; i >= from; i--) {
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

    /** The way (an index of {@link #tags}' pairs) holding the group in {@code set}, or -1. */
    private int find(int set, long head, long tail) {
        int base = set * WAYS;
        for (int w = base, end = base + WAYS; w < end; w++) {
            if (tags[2 * w] == head && (tags[2 * w + 1] & TAG_BITS) == tail) {
                return w;
            }
        }
        return -1;
    }

    private static long knownBit(int kind) {
        return 1L << (KNOWN_SHIFT + kind);
    }

    private static long absentBit(int kind) {
        return 1L << (ABSENT_SHIFT + kind);
    }

    /**
     * Looks up every key: {@code out[i]} gets the cached value of {@code keys.get(i)} (null if cached
     * as absent); the indexes of keys not cached go to {@code missing}.
     *
     * @return how many keys were not cached
     */
    int lookup(List<byte[]> keys, byte @Nullable [][] out, int[] missing) {
        int misses = 0;
        // The group last read, copied under its set's lock: a status's three keys come one after another.
        long groupHead = 0;
        long groupTail = -1;
        long flags = 0;
        long[] group = new long[KINDS];
        for (int i = 0, n = keys.size(); i < n; i++) {
            byte[] key = keys.get(i);
            if (!cacheable(key)) {
                missing[misses++] = i;
                continue;
            }
            long head = head(key);
            long tail = tail(key);
            if (head != groupHead || tail != groupTail) {
                groupHead = head;
                groupTail = tail;
                int set = set(head, tail);
                synchronized (lock(set)) {
                    int w = find(set, head, tail);
                    flags = w < 0 ? 0 : tags[2 * w + 1];
                    if (w >= 0) {
                        System.arraycopy(values, w * KINDS, group, 0, KINDS);
                    }
                }
            }
            int kind = kind(key);
            if ((flags & knownBit(kind)) == 0) {
                missing[misses++] = i;
            } else {
                out[i] = (flags & absentBit(kind)) != 0 ? null : littleEndian(group[kind]);
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
            long tail = tail(key);
            int kind = kind(key);
            int set = set(head, tail);
            synchronized (lock(set)) {
                if (writes.get() != stamp) {
                    return;
                }
                int w = find(set, head, tail);
                if (w < 0) {
                    w = freeOrVictim(set);
                    tags[2 * w] = head;
                    tags[2 * w + 1] = tail;
                }
                long flags = tags[2 * w + 1] | knownBit(kind);
                tags[2 * w + 1] = value == null ? flags | absentBit(kind) : flags & ~absentBit(kind);
                values[w * KINDS + kind] = value == null ? 0 : (long) LONGS.get(value, 0);
            }
        }
    }

    /** An empty way of the set, else the next in turn to be replaced. Under the set's lock. */
    private int freeOrVictim(int set) {
        int base = set * WAYS;
        for (int w = base, end = base + WAYS; w < end; w++) {
            if (tags[2 * w + 1] == 0) {
                return w;
            }
        }
        int way = nextVictim[set] & (WAYS - 1);
        nextVictim[set] = (byte) (way + 1);
        return base + way;
    }

    /**
     * Called by the committer after a write that changed {@code keys}, before it acknowledges: drops
     * each key's whole group (its siblings are read again with it next time).
     */
    void written(Iterable<byte[]> keys) {
        writes.incrementAndGet();
        for (byte[] key : keys) {
            if (!cacheable(key)) {
                continue;
            }
            long head = head(key);
            long tail = tail(key);
            int set = set(head, tail);
            synchronized (lock(set)) {
                int w = find(set, head, tail);
                if (w >= 0) {
                    tags[2 * w] = 0;
                    tags[2 * w + 1] = 0;
                }
            }
        }
    }

    /** Counter values cached now, absent ones included (a walk of the whole table; for tests). */
    long size() {
        long n = 0;
        for (int w = 1; w < tags.length; w += 2) {
            n += Long.bitCount(tags[w] >>> KNOWN_SHIFT & ((1L << KINDS) - 1));
        }
        return n;
    }
}
