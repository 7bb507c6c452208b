package org.rookery.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongPredicate;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;

/**
 * A bounded map from {@code long} id to an immutable object, for the records a page read looks up by
 * the dozen (tweets, accounts): a set-associative table of primitives instead of a hash map of boxed
 * keys. An id hashes to a set of {@value #WAYS} slots whose ids lie side by side in one
 * {@code long[]} run, so a lookup reads one or two cache lines of ids and then the value's reference.
 * A {@code Cache<Long, V>} (Caffeine) walks the hash table's bucket, its node, the boxed key, the
 * cache's own node and only then reaches the value: at 3,000 home reads a second those lookups were
 * a quarter of the server's samples, nearly all waiting on memory (docs/benchmarks.md).
 *
 * <p>Eviction is per set: a full set replaces the first slot, from a hand that moves round, that
 * was not read since the hand last passed it (second chance, CLOCK), so entries read often stay and
 * a burst of one-off loads does not flush them. A set's slots are its only room, so a table keeps
 * somewhat fewer of the most useful entries than a cache of the same size with a global policy;
 * size it with a little slack.
 *
 * <p>A table may also be bounded by weight (bytes of serialized JSON, say), with slots enough for
 * the lightest entries: a put that takes the weight kept over the budget then drops entries of the
 * sets a second hand sweeps through, one set after another (second chance within each), until it is
 * back within the budget. So the weight kept exceeds the budget by at most one entry, and only while
 * a put sheds.
 *
 * <p>Thread-safe. Lookups take no lock and write nothing shared but a hit or miss count: each set
 * has a version, which a writer (under one of {@value #STRIPES} locks) makes odd while it changes the
 * set and even again after; a lookup reads the version, the slots and the version again, and tries
 * again if it changed ({@link java.util.concurrent.locks.StampedLock}'s optimistic read). Values
 * must be safe to publish without a lock (final fields, as records have).
 *
 * @param <V> the value type; immutable
 */
public final class IdTable<V> implements CacheCounts {
    static final int WAYS = 8;
    /** Per set in {@link #ids}: the version, then one id per slot. */
    private static final int STRIDE = WAYS + 1;
    private static final int STRIPES = 256;
    /** Optimistic tries before a lookup takes the set's lock (a set changing under every try). */
    private static final int OPTIMISTIC_TRIES = 4;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Per set: version (odd while a writer changes the set), then the id of each slot. */
    private final long[] ids;
    /** Per slot: the value, or null if the slot is empty (its id is then meaningless). */
    private final @Nullable Object[] values;
    /** Per slot: read since the hand last passed it. Written without a lock: a lost mark only costs a second chance. */
    private final byte[] referenced;
    /** Per set: the slot the next replacement looks at first. */
    private final byte[] hands;
    private final int setMask;
    private final Object[] locks = new Object[STRIPES];
    private final LongAdder hitCount = new LongAdder();
    private final LongAdder missCount = new LongAdder();
    private final @Nullable ToIntFunction<? super V> weigher;
    private final long maxWeight;
    /** The weight of the entries kept; changed under the locks of the sets whose entries change. */
    private final AtomicLong weight = new AtomicLong();
    /** The next set a put over the weight budget sheds an entry of. */
    private final AtomicInteger sweep = new AtomicInteger();

    /** @param maxEntries entries kept, rounded up to a power of two (at least {@value #WAYS}); 0 keeps none */
    public IdTable(int maxEntries) {
        this(maxEntries, null, Long.MAX_VALUE);
    }

    /**
     * A table bounded by weight as well as by slots.
     *
     * @param maxEntries slots, rounded up to a power of two; allow for the lightest entries expected
     * @param weigher    an entry's weight, at least 0
     * @param maxWeight  the weight kept, at most (about: see the class comment)
     */
    public IdTable(int maxEntries, @Nullable ToIntFunction<? super V> weigher, long maxWeight) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 0)");
        }
        if (maxWeight < 0) {
            throw new IllegalArgumentException("maxWeight: " + maxWeight + " (expected: >= 0)");
        }
        this.weigher = weigher;
        this.maxWeight = maxWeight;
        int sets = maxEntries == 0 ? 0 : Integer.highestOneBit(Math.max(1, (maxEntries + WAYS - 1) / WAYS - 1)) << 1;
        this.setMask = sets - 1;
        this.ids = new long[sets * STRIDE];
        this.values = new Object[sets * WAYS];
        this.referenced = new byte[sets * WAYS];
        this.hands = new byte[sets];
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /** Slots the table has: the most entries it keeps. */
    public int capacity() {
        return values.length;
    }

    /** The weight of the entries kept (0 without a weigher). */
    public long weight() {
        return weight.get();
    }

    private long weigh(@Nullable Object value) {
        @SuppressWarnings("unchecked")
        V v = (V) value;
        return v == null || weigher == null ? 0 : weigher.applyAsInt(v);
    }

    /** The set index's source: every bit of the id mixed into the low ones, which choose the set. */
    static int hash(long id) {
        return (int) LongKeys.mix(id);
    }

    private Object lock(int set) {
        return locks[set & (STRIPES - 1)];
    }

    /** The value kept for {@code id}, or null. Counts a hit or a miss. */
    @SuppressWarnings("unchecked")
    public @Nullable V get(long id) {
        if (setMask < 0) {
            missCount.increment();
            return null;
        }
        int set = hash(id) & setMask;
        int base = set * STRIDE;
        int slots = set * WAYS;
        Object found = null;
        int slot = -1;
        boolean consistent = false;
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES && !consistent; attempt++) {
            long version = (long) LONGS.getAcquire(ids, base);
            if ((version & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            found = null;
            slot = -1;
            for (int w = 0; w < WAYS; w++) {
                if (ids[base + 1 + w] == id) {
                    Object v = values[slots + w];
                    if (v != null) {
                        found = v;
                        slot = slots + w;
                        break;
                    }
                }
            }
            VarHandle.acquireFence(); // the reads above happen before the version is read again
            consistent = (long) LONGS.getOpaque(ids, base) == version;
        }
        if (!consistent) {
            synchronized (lock(set)) {
                slot = find(set, id);
                found = slot < 0 ? null : values[slot];
            }
        }
        if (found == null) {
            missCount.increment();
            return null;
        }
        if (referenced[slot] == 0) {
            referenced[slot] = 1;
        }
        hitCount.increment();
        return (V) found;
    }

    /** The slot holding {@code id}, or -1; under the set's lock. */
    private int find(int set, long id) {
        int base = set * STRIDE;
        int slots = set * WAYS;
        for (int w = 0; w < WAYS; w++) {
            if (ids[base + 1 + w] == id && values[slots + w] != null) {
                return slots + w;
            }
        }
        return -1;
    }

    /** Keeps {@code value} for {@code id}, replacing what was kept for it, or another entry if the set is full. */
    public void put(long id, V value) {
        putIf(id, value, null);
    }

    /**
     * Keeps {@code value} for {@code id} if {@code admit} accepts the id, tested under the lock that
     * {@link #remove} of the same id takes: so a remove either comes after the put and drops it, or
     * before the test, which can then refuse ({@link RecordCache}'s write stamps).
     *
     * @return whether it was kept
     */
    public boolean putIf(long id, V value, @Nullable LongPredicate admit) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        if (setMask < 0) {
            return false;
        }
        int set = hash(id) & setMask;
        synchronized (lock(set)) {
            if (admit != null && !admit.test(id)) {
                return false;
            }
            int slot = find(set, id);
            if (slot < 0) {
                slot = victim(set, false);
            }
            int base = set * STRIDE;
            long version = beginWrite(base);
            weight.addAndGet(weigh(value) - weigh(values[slot]));
            ids[base + 1 + slot - set * WAYS] = id;
            values[slot] = value;
            referenced[slot] = 0;
            endWrite(base, version);
        }
        if (weight.get() > maxWeight) {
            shed();
        }
        return true;
    }

    /** Drops entries of the sets the sweep comes to until the weight kept is within the budget. */
    private void shed() {
        for (int i = 0; i <= setMask && weight.get() > maxWeight; i++) {
            int set = sweep.getAndIncrement() & setMask;
            synchronized (lock(set)) {
                int slot = victim(set, true);
                if (slot >= 0) {
                    empty(set, slot);
                }
            }
        }
    }

    /**
     * The slot a new entry of the set goes to: an empty one, unless {@code entriesOnly}, or the entry
     * second chance picks; -1 if {@code entriesOnly} and the set is empty. Under the set's lock.
     */
    private int victim(int set, boolean entriesOnly) {
        int slots = set * WAYS;
        int occupied = 0;
        for (int w = 0; w < WAYS; w++) {
            if (values[slots + w] == null) {
                if (!entriesOnly) {
                    return slots + w;
                }
            } else {
                occupied++;
            }
        }
        if (occupied == 0) {
            return -1;
        }
        // Two rounds at most: the first clears the marks it passes, unless lookups mark them again.
        int hand = hands[set];
        int s = -1;
        for (int i = 0; i < 2 * WAYS; i++) {
            int candidate = slots + hand;
            hand = (hand + 1) & (WAYS - 1);
            if (values[candidate] == null) {
                continue; // shedding: only entries
            }
            s = candidate;
            if (referenced[s] == 0) {
                break;
            }
            referenced[s] = 0;
        }
        hands[set] = (byte) hand;
        return s;
    }

    /** Drops what is kept for {@code id}, if anything. */
    public void remove(long id) {
        if (setMask < 0) {
            return;
        }
        int set = hash(id) & setMask;
        synchronized (lock(set)) {
            int slot = find(set, id);
            if (slot >= 0) {
                empty(set, slot);
            }
        }
    }

    /** Drops the entry in {@code slot} of {@code set}; under the set's lock. */
    private void empty(int set, int slot) {
        int base = set * STRIDE;
        long version = beginWrite(base);
        weight.addAndGet(-weigh(values[slot]));
        values[slot] = null;
        endWrite(base, version);
    }

    /** Makes the set's version odd before its slots change: lookups that overlap the change try again. */
    private long beginWrite(int base) {
        long version = ids[base];
        LONGS.setOpaque(ids, base, version + 1);
        VarHandle.storeStoreFence(); // the odd version is visible before any slot changes
        return version;
    }

    private void endWrite(int base, long version) {
        LONGS.setRelease(ids, base, version + 2);
    }

    @Override
    public long hits() {
        return hitCount.sum();
    }

    @Override
    public long misses() {
        return missCount.sum();
    }
}
