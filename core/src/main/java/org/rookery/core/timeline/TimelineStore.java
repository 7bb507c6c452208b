package org.rookery.core.timeline;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongPredicate;
import org.rookery.core.internal.LongIntHashMap;

/**
 * The compact home-timeline store (Mastodon's FeedManager role, Twitter's Redis lists): one capped
 * list of tweet ids per resident user, newest first, held in large {@code long[]} chunks — no object
 * and no boxed long per entry, 8 bytes per entry slot. Who wrote an entry, and whether it is a reply
 * or a repost, is looked up per tweet (not per entry) in a {@link TweetIndex}, so a tweet delivered
 * to 10,000 timelines stores its author once.
 *
 * <p>Users are <em>resident</em> (have a slot) or not. Only resident users receive fanout; a
 * non-resident user's timeline is reconstructed on their next read. The number of slots follows
 * from the memory budget; when a new user needs a slot and none is free, the least recently active
 * of 16 randomly sampled residents is evicted (Redis's approximated LRU; with 16 slots or fewer, all
 * of them are compared): eviction is O(1) and needs no global list.
 *
 * <p>Every user the store sees gets a permanent dense index (0, 1, 2, ...); residents also get a
 * ring slot. Both are handed out in ascending order, so a fanout that walks a follower list sorted
 * by index ({@link #deliver}) sweeps memory forward instead of jumping at random: the follower
 * cache of the fanout service keeps follower lists as sorted {@code int[]} of indexes.
 *
 * <p>Thread-safety and concurrency design: the user → index map is guarded by a
 * {@link StampedLock} (optimistic reads on the hot path, write lock to add, make resident or evict
 * a user). Each user index has a 32-byte record — version, ring slot (-1: not resident), head, size,
 * newest entry, and where the ring sits — whose version is a seqlock. Writers are kept apart by
 * <em>stripe locks</em>, one per 65,536 consecutive user indexes (an int CASed from 0 to 1, each on
 * its own cache line): a writer takes the stripe's lock, moves the record's version from even to
 * odd, writes, releases the version to the next even value, and then the stripe. Concurrent writers
 * to one stripe spin on its lock (they are rare: one fanout thread per partition of authors, and
 * {@link #deliver} holds a stripe for at most 32 inserts). A reader takes no lock: it copies the
 * entries and retries if the record's version moved, so reads never block writers and never see a
 * half-written list. Entries stay sorted newest first; an insert older than the newest entry (events
 * from different partitions arriving out of order) is placed in order, and an id already present is
 * not inserted again (idempotent fanout).
 *
 * <p>A slot changes hands only under its owner's stripe lock and seqlock (eviction sets the owner's
 * slot to -1 first), so a write or read keyed by user ({@link #insert}, {@link #deliver}, {@link #read},
 * {@link #remove}, {@link #size}) that races with that user's eviction never lands in, or reads, the
 * timeline of the user who takes the slot next. The slot-keyed methods ({@link #insertAt},
 * {@link #readAt}, {@link #removeIf}) act on whoever owns the slot when they run (nothing, if the
 * slot is free): use them only while the slot cannot change hands, or prefer the user-keyed ones.
 *
 * <p>Memory layout: the records sit in one {@code int[]} by user index, two to a cache line, and a
 * slot's entries are a ring of {@code capacity} longs inside a chunk of exactly 64 MiB (a whole
 * number of G1 regions, so the heap holds what {@link #ramBytesUsed} says and no partly empty region
 * behind each chunk). An insert of an id newer than the newest reads only the recipient's record
 * (slot, head and newest id) and <em>writes</em> the entry after the head without loading its cache
 * line, so the misses of successive inserts overlap in the core's store buffer. {@link #deliver}
 * works in batches: it first touches every recipient's record with plain loads, so their cache and
 * TLB misses overlap, then inserts, taking a stripe lock only when the stripe changes. (A locked CAS
 * waits for every earlier store to reach the cache: one per insert, as a per-record CAS would need,
 * would wait for the previous insert's entry miss each time.)
 *
 * <pre>{@code
 * TimelineStore store = new TimelineStore(800, 1L << 30);
 * store.makeResident(alice, now);
 * store.insert(alice, tweetId);
 * int n = store.read(alice, 0, 0, buf, 20);  // newest 20 ids into buf
 * }</pre>
 */
public final class TimelineStore {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int NO_SLOT = -1;
    private static final int NO_USER = -1;
    /**
     * Longs per chunk: with the array's 16-byte header a chunk is exactly 64 MiB, a whole number of G1
     * regions (1–32 MiB, powers of two), so no region is left partly empty behind it. (Chunks of a
     * power-of-two number of slots were 50 MiB at 800 entries: eight 8 MiB regions each, 1 byte per
     * entry more heap than the entries.)
     */
    private static final int CHUNK_LONGS = (1 << 23) - 2;
    private static final int MAX_USERS = 1 << 29;   // LongIntHashMap's limit
    private static final int SAMPLE = 16;
    /** Recipients touched ahead of their inserts in {@link #deliver}; about what the core keeps in flight. */
    private static final int BATCH = 32;

    // A user index's record in `records`: 8 ints (32 bytes, two to a cache line).
    private static final int VERSION = 0;
    private static final int SLOT = 1; // ring slot, -1 when not resident
    private static final int HEAD = 2; // physical position of the newest entry in the ring
    private static final int SIZE = 3;
    private static final int NEWEST_LO = 4; // the newest entry (valid when SIZE > 0), low and high halves
    private static final int NEWEST_HI = 5;
    private static final int CHUNK = 6; // the slot's chunk and where its ring starts in it, so that an insert
    private static final int BASE = 7;  // needs no division; 0 when not resident
    private static final int RECORD_INTS = 8;
    /**
     * Where record 0 starts: an int[]'s elements start 16 bytes into the object, and a large array
     * (G1 puts it in its own regions) starts on a region boundary, so 12 ints more puts every record
     * inside one cache line instead of every other one straddling two.
     */
    private static final int RECORD_BASE = 12;
    /** The most users whose records fit one int[]. */
    private static final int MAX_RECORDS = (Integer.MAX_VALUE - 8 - RECORD_BASE) / RECORD_INTS;

    /** 2^16 user indexes per writers' stripe lock: enough that a fanout sweep takes few locks. */
    private static final int STRIPE_SHIFT = 16;
    /** Ints between two stripe locks: one cache line each, so writers to different stripes do not share one. */
    private static final int STRIPE_STRIDE = 16;

    /** Per-slot bookkeeping besides the entries: owner, last active, the free list's int. */
    private static final int SLOT_OVERHEAD_BYTES = 4 + 4 + 4;
    /** Per known user: id, record. */
    private static final int USER_OVERHEAD_BYTES = 8 + RECORD_INTS * 4;

    private final int capacity;
    private final int maxUsers;
    private final long[] userOfIndex;
    private final int[] records;
    private final int[] stripeLocks;
    private int nextIndex;
    private final int maxSlots;
    private final int slotsPerChunk;
    private final long[][] chunks;
    private final int[] ownerOfSlot; // user index owning each slot, -1 when free
    private final int[] lastActive;  // minutes since epoch, for eviction
    private final LongIntHashMap userToIndex;
    private final StampedLock mapLock = new StampedLock();
    private final int[] freeSlots;
    private int freeCount;
    private int nextUnused;
    private final AtomicLong evictions = new AtomicLong();
    private volatile long chunkBytes;
    /** Written only if the impossible happens: keeps the JIT from dropping deliver's touching loads. */
    @SuppressWarnings("unused")
    private long touched;

    /** A store that can know 2,097,152 users. */
    public TimelineStore(int capacity, long memoryBudgetBytes) {
        this(capacity, memoryBudgetBytes, 1 << 21);
    }

    /** The memory a store of {@code residentUsers} full timelines needs, for sizing budgets. */
    public static long bytesFor(int capacity, int residentUsers) {
        return (capacity * 8L + SLOT_OVERHEAD_BYTES) * residentUsers;
    }

    /**
     * @param capacity entries per timeline (800 at Twitter)
     * @param memoryBudgetBytes the most the timelines may hold; sets how many users can be resident
     * @param maxUsers how many distinct users the store can know (each gets a permanent dense index)
     */
    public TimelineStore(int capacity, long memoryBudgetBytes, int maxUsers) {
        if (maxUsers <= 0 || maxUsers > MAX_USERS) {
            throw new IllegalArgumentException("maxUsers: " + maxUsers + " (expected: 1-" + MAX_USERS + ")");
        }
        if (maxUsers > MAX_RECORDS) {
            throw new IllegalArgumentException("maxUsers: " + maxUsers + " (expected: <= " + MAX_RECORDS
                    + ", the records that fit one int[])");
        }
        if (capacity <= 0 || capacity > CHUNK_LONGS) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1-" + CHUNK_LONGS + ")");
        }
        long perSlot = capacity * 8L + SLOT_OVERHEAD_BYTES;
        if (memoryBudgetBytes < perSlot) {
            throw new IllegalArgumentException("memoryBudgetBytes: " + memoryBudgetBytes
                    + " (expected: >= " + perSlot + ", one timeline)");
        }
        this.maxSlots = (int) Math.min(memoryBudgetBytes / perSlot, maxUsers);
        this.maxUsers = maxUsers;
        this.userOfIndex = new long[maxUsers];
        this.records = new int[RECORD_BASE + maxUsers * RECORD_INTS];
        for (int r = RECORD_BASE + SLOT; r < records.length; r += RECORD_INTS) {
            records[r] = NO_SLOT;
        }
        this.stripeLocks = new int[(((maxUsers - 1) >>> STRIPE_SHIFT) + 1) * STRIPE_STRIDE];
        this.capacity = capacity;
        this.slotsPerChunk = CHUNK_LONGS / capacity;
        this.chunks = new long[(maxSlots + slotsPerChunk - 1) / slotsPerChunk][];
        this.ownerOfSlot = new int[maxSlots];
        Arrays.fill(ownerOfSlot, NO_USER);
        this.lastActive = new int[maxSlots];
        this.userToIndex = new LongIntHashMap(maxUsers);
        this.freeSlots = new int[maxSlots];
    }

    public int capacity() {
        return capacity;
    }

    /** How many users can be resident at once under the memory budget. */
    public int maxResidentUsers() {
        return maxSlots;
    }

    /** The permanent dense index of {@code userId}, or -1 if the store has never seen the user. */
    public int indexOf(long userId) {
        long stamp = mapLock.tryOptimisticRead();
        int idx = userToIndex.get(userId, NO_USER);
        if (!mapLock.validate(stamp)) {
            stamp = mapLock.readLock();
            try {
                idx = userToIndex.get(userId, NO_USER);
            } finally {
                mapLock.unlockRead(stamp);
            }
        }
        return idx;
    }

    /**
     * The dense index of {@code userId}, assigned on first sight (indices are handed out in order and
     * never reused); -1 if the store already knows {@code maxUsers} users.
     */
    public int indexOrAssign(long userId) {
        if (userId == Long.MIN_VALUE) {
            throw new IllegalArgumentException("userId: " + userId + " (expected: not Long.MIN_VALUE)");
        }
        int idx = indexOf(userId);
        if (idx != NO_USER) {
            return idx;
        }
        long stamp = mapLock.writeLock();
        try {
            idx = userToIndex.get(userId, NO_USER);
            if (idx == NO_USER && nextIndex < maxUsers) {
                idx = nextIndex;
                userToIndex.put(userId, idx);
                userOfIndex[idx] = userId;
                nextIndex++;
            }
            return idx;
        } finally {
            mapLock.unlockWrite(stamp);
        }
    }

    /** The user id at a dense index. */
    public long userAt(int index) {
        return userOfIndex[index];
    }

    /** The ring slot of {@code userId}, or -1 if the user is not resident. Lock-free in the common case. */
    public int slotOf(long userId) {
        int idx = indexOf(userId);
        return idx == NO_USER ? NO_SLOT : slotAt(idx);
    }

    /** The ring slot of the user at {@code index}, or -1 if not resident. */
    public int slotAt(int index) {
        return (int) INTS.getAcquire(records, rec(index) + SLOT);
    }

    public boolean isResident(long userId) {
        return slotOf(userId) != NO_SLOT;
    }

    /**
     * Gives {@code userId} an empty timeline (evicting a least recently active user if the store is
     * full) and returns its slot; returns the existing slot if already resident.
     */
    public int makeResident(long userId, long nowMillis) {
        int idx = indexOrAssign(userId);
        if (idx == NO_USER) {
            return NO_SLOT;
        }
        long stamp = mapLock.writeLock();
        try {
            int slot = records[rec(idx) + SLOT];
            if (slot == NO_SLOT) {
                slot = takeSlot();
                ownerOfSlot[slot] = idx;
                setRecord(idx, slot); // the seqlock's release publishes a new chunk to writers
            }
            lastActive[slot] = minutes(nowMillis);
            return slot;
        } finally {
            mapLock.unlockWrite(stamp);
        }
    }

    /** Records activity (a read, a sign-in) so the user is evicted last. */
    public void touch(int slot, long nowMillis) {
        lastActive[slot] = minutes(nowMillis);
    }

    private static int minutes(long millis) {
        return (int) (millis / 60_000L);
    }

    /** A slot nobody owns, its chunk allocated. Must hold the write lock. */
    private int takeSlot() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (nextUnused < maxSlots) {
            int slot = nextUnused++;
            int chunk = slot / slotsPerChunk;
            if (chunks[chunk] == null) {
                int slotsHere = Math.min(slotsPerChunk, maxSlots - chunk * slotsPerChunk);
                chunks[chunk] = new long[slotsHere * capacity];
                chunkBytes += 16L + slotsHere * (long) capacity * 8L;
            }
            return slot;
        }
        return evictSampled();
    }

    /** Evicts the least recently active of a random sample of resident users. Must hold the write lock. */
    private int evictSampled() {
        int victim;
        if (nextUnused <= SAMPLE) {
            victim = 0;
            for (int s = 1; s < nextUnused; s++) {
                if (lastActive[s] < lastActive[victim]) {
                    victim = s;
                }
            }
        } else {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            victim = rnd.nextInt(nextUnused);
            for (int i = 1; i < SAMPLE; i++) {
                int s = rnd.nextInt(nextUnused);
                if (lastActive[s] < lastActive[victim]) {
                    victim = s;
                }
            }
        }
        setRecord(ownerOfSlot[victim], NO_SLOT);
        ownerOfSlot[victim] = NO_USER;
        evictions.incrementAndGet();
        return victim;
    }

    /** Gives user index {@code idx} an empty timeline in {@code slot} (-1: none), in one seqlock section. */
    private void setRecord(int idx, int slot) {
        int r = rec(idx);
        int v = lock(idx);
        records[r + SIZE] = 0;
        records[r + HEAD] = 0;
        records[r + NEWEST_LO] = 0;
        records[r + NEWEST_HI] = 0;
        records[r + CHUNK] = slot == NO_SLOT ? 0 : slot / slotsPerChunk;
        records[r + BASE] = slot == NO_SLOT ? 0 : baseOf(slot);
        records[r + SLOT] = slot;
        unlock(idx, v);
    }

    /** Receives one resident timeline from {@link #forEachResident}. */
    @FunctionalInterface
    public interface TimelineVisitor {
        /** {@code entries[0, count)} is the timeline, newest first; the array is reused between calls. */
        void visit(long userId, long lastActiveMillis, long[] entries, int count) throws IOException;
    }

    /**
     * Hands every resident user's timeline to {@code visitor}, most recently active first (for a
     * snapshot: {@link TimelineSnapshot}). Each timeline is copied under its seqlock, so it is whole
     * even while writers run; users made resident or evicted during the walk may be missed.
     */
    public void forEachResident(TimelineVisitor visitor) throws IOException {
        long[] byActivity;
        int n = 0;
        long stamp = mapLock.readLock();
        try {
            byActivity = new long[nextUnused];
            for (int slot = 0; slot < nextUnused; slot++) {
                if (ownerOfSlot[slot] != NO_USER) {
                    // Ties in ascending slot order, which a store filled in visiting order keeps.
                    byActivity[n++] = ((long) lastActive[slot] << 32) | (~slot & 0xFFFF_FFFFL);
                }
            }
        } finally {
            mapLock.unlockRead(stamp);
        }
        Arrays.sort(byActivity, 0, n);
        long[] entries = new long[capacity];
        for (int i = n - 1; i >= 0; i--) {
            int slot = ~(int) byActivity[i];
            long user;
            stamp = mapLock.readLock();
            try {
                int idx = ownerOfSlot[slot];
                if (idx == NO_USER) {
                    continue;
                }
                user = userOfIndex[idx];
            } finally {
                mapLock.unlockRead(stamp);
            }
            int count = read(user, 0, 0, entries, capacity);
            if (count >= 0) {
                visitor.visit(user, (byActivity[i] >>> 32) * 60_000L, entries, count);
            }
        }
    }

    /**
     * Makes {@code userId} resident with the timeline {@code newestFirst[0, count)} (the newest
     * {@link #capacity} of it), replacing what they had; returns false if the store cannot index the user.
     * For loading a snapshot: like {@link #makeResident}, it evicts a user when the store is full.
     */
    public boolean restore(long userId, long lastActiveMillis, long[] newestFirst, int count) {
        Objects.checkFromIndexSize(0, count, newestFirst.length);
        int slot = makeResident(userId, lastActiveMillis);
        if (slot == NO_SLOT) {
            return false;
        }
        int idx = indexOf(userId);
        int r = rec(idx);
        int v = lock(idx);
        try {
            if (records[r + SLOT] != slot) {
                return false; // evicted meanwhile
            }
            records[r + SIZE] = 0;
            records[r + HEAD] = 0;
            for (int i = Math.min(count, capacity) - 1; i >= 0; i--) {
                insertLocked(r, newestFirst[i]);
            }
            return true;
        } finally {
            unlock(idx, v);
        }
    }

    /** Drops {@code userId}'s timeline (inactive, or to rebuild it); returns whether it was resident. */
    public boolean evict(long userId) {
        int idx = indexOf(userId);
        if (idx == NO_USER) {
            return false;
        }
        long stamp = mapLock.writeLock();
        try {
            int slot = records[rec(idx) + SLOT];
            if (slot == NO_SLOT) {
                return false;
            }
            setRecord(idx, NO_SLOT);
            ownerOfSlot[slot] = NO_USER;
            freeSlots[freeCount++] = slot;
            evictions.incrementAndGet();
            return true;
        } finally {
            mapLock.unlockWrite(stamp);
        }
    }

    /** Evicts every user whose last activity is before {@code cutoffMillis}; returns how many. */
    public int evictInactive(long cutoffMillis) {
        int cutoff = minutes(cutoffMillis);
        int n = 0;
        int used = nextUnusedLocked();
        for (int slot = 0; slot < used; slot++) {
            long user;
            long stamp = mapLock.readLock();
            try {
                int idx = ownerOfSlot[slot];
                if (idx == NO_USER || lastActive[slot] >= cutoff) {
                    continue;
                }
                user = userOfIndex[idx];
            } finally {
                mapLock.unlockRead(stamp);
            }
            if (evict(user)) {
                n++;
            }
        }
        return n;
    }

    private int nextUnusedLocked() {
        long stamp = mapLock.readLock();
        try {
            return nextUnused;
        } finally {
            mapLock.unlockRead(stamp);
        }
    }

    /** Where user index {@code idx}'s record starts in {@code records}. */
    private static int rec(int idx) {
        return RECORD_BASE + idx * RECORD_INTS;
    }

    /** Takes the stripe lock of user index {@code idx}, then its record's seqlock; returns the (even) version. */
    private int lock(int idx) {
        lockStripe(idx >>> STRIPE_SHIFT);
        return beginWrite(rec(idx));
    }

    private void unlock(int idx, int lockedAt) {
        endWrite(rec(idx), lockedAt);
        unlockStripe(idx >>> STRIPE_SHIFT);
    }

    private void lockStripe(int stripe) {
        int at = stripe * STRIPE_STRIDE;
        if (!INTS.compareAndSet(stripeLocks, at, 0, 1)) {
            lockStripeContended(at);
        }
    }

    private void lockStripeContended(int at) {
        do {
            Thread.onSpinWait();
        } while ((int) INTS.getVolatile(stripeLocks, at) != 0 || !INTS.compareAndSet(stripeLocks, at, 0, 1));
    }

    private void unlockStripe(int stripe) {
        INTS.setRelease(stripeLocks, stripe * STRIPE_STRIDE, 0);
    }

    /**
     * Marks the record at {@code r} as being written (odd version); returns the even version it had.
     * Must hold its stripe lock, which makes this thread the record's only writer, so plain stores do:
     * the fence keeps the odd version ahead of the writes that follow.
     */
    private int beginWrite(int r) {
        int v = records[r + VERSION];
        INTS.setOpaque(records, r + VERSION, v + 1);
        VarHandle.storeStoreFence();
        return v;
    }

    /** Publishes the writes to the record at {@code r} (and its entries) under the next even version. */
    private void endWrite(int r, int lockedAt) {
        INTS.setRelease(records, r + VERSION, lockedAt + 2);
    }

    private long[] chunkOf(int slot) {
        return chunks[slot / slotsPerChunk];
    }

    private int baseOf(int slot) {
        return (slot % slotsPerChunk) * capacity;
    }

    /** Inserts {@code tweetId} into {@code userId}'s timeline if resident; returns whether it was added. */
    public boolean insert(long userId, long tweetId) {
        int idx = indexOf(userId);
        return idx != NO_USER && insertOwned(idx, NO_SLOT, tweetId);
    }

    /**
     * Inserts {@code tweetId} into the timelines of the resident users among the user indexes
     * {@code indexes[0..count)}, which the caller keeps sorted ascending: indexes and ring slots are
     * handed out in the same order, so the writes sweep memory forward. Negative indexes (what
     * {@link #indexOrAssign} returns when the store knows {@code maxUsers} users) are skipped. Returns
     * how many timelines got the entry.
     */
    public int deliver(int[] indexes, int count, long tweetId) {
        Objects.checkFromIndexSize(0, count, indexes.length);
        int[] records = this.records;
        long[][] chunks = this.chunks;
        int cap = capacity;
        int delivered = 0;
        long sum = 0;
        for (int start = 0; start < count; start += BATCH) {
            int end = Math.min(count, start + BATCH);
            // Touch each recipient's record before inserting: the loads are independent, so their cache
            // and TLB misses overlap, and the inserts then find the records in cache. The entries are
            // only written, never read (the record holds the newest id), so their misses overlap in
            // the store buffer. A stripe lock is held for at most one batch, to bound other writers' wait.
            boolean sorted = true;
            int last = Integer.MIN_VALUE;
            for (int i = start; i < end; i++) {
                int idx = indexes[i];
                if (idx >= 0) {
                    sum += records[rec(idx) + HEAD];
                    sorted &= idx >= last;
                    last = idx;
                }
            }
            if (!sorted) {
                // Out of order the stripe changes at nearly every insert, and its locked CAS waits for
                // the stores before it: touch the entry lines too, so those stores find them in cache.
                for (int i = start; i < end; i++) {
                    int idx = indexes[i];
                    if (idx >= 0) {
                        int r = rec(idx);
                        // Read without the lock, so fields may come from different writes: only in bounds.
                        long[] chunk = records[r + SLOT] >= 0 ? chunks[records[r + CHUNK]] : null;
                        int h = records[r + HEAD] + 1;
                        int at = records[r + BASE] + (h == cap ? 0 : h);
                        if (chunk != null && at < chunk.length) {
                            sum += chunk[at];
                        }
                    }
                }
            }
            int held = -1;
            try {
                for (int i = start; i < end; i++) {
                    int idx = indexes[i];
                    if (idx < 0) {
                        continue;
                    }
                    int stripe = idx >>> STRIPE_SHIFT;
                    if (stripe != held) {
                        if (held >= 0) {
                            unlockStripe(held);
                            held = -1;
                        }
                        lockStripe(stripe);
                        held = stripe;
                    }
                    int r = rec(idx);
                    int slot = records[r + SLOT]; // stable: slots change hands only under the stripe lock
                    if (slot == NO_SLOT) {
                        continue;
                    }
                    int v = beginWrite(r);
                    try {
                        if (insertLocked(r, tweetId)) {
                            delivered++;
                        }
                    } finally {
                        endWrite(r, v);
                    }
                }
            } finally {
                if (held >= 0) {
                    unlockStripe(held);
                }
            }
        }
        if (sum == 0x7EA1_1DEA_D0C0_FFEEL) {
            touched = sum;
        }
        return delivered;
    }

    /**
     * Inserts into the timeline in {@code slot}, whoever owns it; newest-first order kept, duplicates
     * ignored. False if the slot is free.
     */
    public boolean insertAt(int slot, long tweetId) {
        int owner = ownerOfSlot[slot];
        return owner != NO_USER && insertOwned(owner, slot, tweetId);
    }

    /**
     * Inserts into user index {@code idx}'s timeline if resident (and, unless {@code slot} is -1, only
     * while that is still in {@code slot}).
     */
    private boolean insertOwned(int idx, int slot, long tweetId) {
        int r = rec(idx);
        int v = lock(idx);
        try {
            int s = records[r + SLOT];
            return s != NO_SLOT && (slot == NO_SLOT || s == slot) && insertLocked(r, tweetId);
        } finally {
            unlock(idx, v);
        }
    }

    /** Must hold the record's stripe lock and seqlock. */
    private boolean insertLocked(int r, long tweetId) {
        long[] chunk = chunks[records[r + CHUNK]]; // read under the lock: published with the slot
        int base = records[r + BASE];
        int n = records[r + SIZE];
        int h = records[r + HEAD];
        if (n == 0 || tweetId > newest(r)) {
            // The common case: newer than everything, write after the head (over the oldest when full)
            // without reading the entry's cache line.
            h = h + 1 == capacity ? 0 : h + 1;
            chunk[base + h] = tweetId;
            records[r + HEAD] = h;
            if (n < capacity) {
                records[r + SIZE] = n + 1;
            }
            setNewest(r, tweetId);
            return true;
        }
        return insertInOrder(chunk, base, r, n, h, tweetId); // not newer: the newest stays
    }

    private long newest(int r) {
        return ((long) records[r + NEWEST_HI] << 32) | (records[r + NEWEST_LO] & 0xFFFF_FFFFL);
    }

    private void setNewest(int r, long tweetId) {
        records[r + NEWEST_LO] = (int) tweetId;
        records[r + NEWEST_HI] = (int) (tweetId >>> 32);
    }

    /** Out-of-order insert: find the place (logical index, 0 = newest), shift newer entries up. */
    private boolean insertInOrder(long[] chunk, int base, int r, int n, int h, long tweetId) {
        int pos = 0;
        while (pos < n) {
            long e = chunk[base + phys(h, pos)];
            if (e == tweetId) {
                return false;
            }
            if (e < tweetId) {
                break;
            }
            pos++;
        }
        if (pos == n && n == capacity) {
            return false; // older than everything in a full timeline: it would fall off at once
        }
        // Entries at logical 0..pos-1 move one step newer (towards the new head).
        int newHead = h + 1 == capacity ? 0 : h + 1;
        for (int i = 0; i < pos; i++) {
            chunk[base + phys(newHead, i)] = chunk[base + phys(h, i)];
        }
        chunk[base + phys(newHead, pos)] = tweetId;
        records[r + HEAD] = newHead;
        if (n < capacity) {
            records[r + SIZE] = n + 1;
        }
        return true;
    }

    private int phys(int h, int logical) {
        int p = h - logical;
        return p < 0 ? p + capacity : p;
    }

    /** Removes {@code tweetId} from {@code userId}'s timeline; returns whether it was there. */
    public boolean remove(long userId, long tweetId) {
        int idx = indexOf(userId);
        return idx != NO_USER && removeIf(idx, NO_SLOT, id -> id == tweetId) > 0;
    }

    /**
     * Removes the entries of the timeline in {@code slot} that match, keeping order; returns how many
     * went (0 if the slot is free). The predicate runs under the timeline's seqlock (writers to it
     * wait, readers retry): keep it short, and it must not call back into the store.
     */
    public int removeIf(int slot, LongPredicate match) {
        int owner = ownerOfSlot[slot];
        return owner == NO_USER ? 0 : removeIf(owner, slot, match);
    }

    /** Removes from user index {@code idx}'s timeline (only while in {@code slot}, unless that is -1). */
    private int removeIf(int idx, int slot, LongPredicate match) {
        Objects.requireNonNull(match, "match");
        int r = rec(idx);
        int v = lock(idx);
        try {
            int s = records[r + SLOT];
            int n = records[r + SIZE];
            if (s == NO_SLOT || (slot != NO_SLOT && s != slot) || n == 0) {
                return 0;
            }
            long[] chunk = chunkOf(s);
            int base = baseOf(s);
            int h = records[r + HEAD];
            // Decide first, move after: a predicate that throws leaves the timeline as it was.
            boolean[] drop = null;
            int removed = 0;
            for (int i = 0; i < n; i++) {
                if (match.test(chunk[base + phys(h, i)])) {
                    if (drop == null) {
                        drop = new boolean[n];
                    }
                    drop[i] = true;
                    removed++;
                }
            }
            if (drop == null) {
                return 0;
            }
            // Compact from the oldest end towards the newest so the head stays the newest entry; the
            // write position never passes the read position.
            int oldest = phys(h, n - 1);
            int kept = 0;
            for (int i = n - 1; i >= 0; i--) {
                if (!drop[i]) {
                    int dst = oldest + kept;
                    chunk[base + (dst >= capacity ? dst - capacity : dst)] = chunk[base + phys(h, i)];
                    kept++;
                }
            }
            int newHead = oldest + kept - 1;
            newHead = newHead >= capacity ? newHead - capacity : newHead;
            records[r + HEAD] = kept == 0 ? 0 : newHead;
            records[r + SIZE] = kept;
            setNewest(r, kept == 0 ? 0 : chunk[base + newHead]);
            return removed;
        } finally {
            unlock(idx, v);
        }
    }

    /**
     * Copies into {@code out} up to {@code limit} entries of {@code userId}'s timeline, newest first,
     * with ids below {@code maxId} (0: no bound) and above {@code minId}; returns how many, or -1 if
     * the user is not resident. Never blocks writers.
     */
    public int read(long userId, long maxId, long minId, long[] out, int limit) {
        int idx = indexOf(userId);
        return idx == NO_USER ? -1 : read(idx, NO_SLOT, maxId, minId, out, limit);
    }

    /** Like {@link #read}, for whoever owns {@code slot}; 0 if the slot is free. */
    public int readAt(int slot, long maxId, long minId, long[] out, int limit) {
        int owner = ownerOfSlot[slot];
        if (owner == NO_USER) {
            Objects.checkFromIndexSize(0, limit, out.length);
            return 0;
        }
        return Math.max(0, read(owner, slot, maxId, minId, out, limit));
    }

    /** -1 unless user index {@code idx} is resident (in {@code slot}, unless that is -1). */
    private int read(int idx, int slot, long maxId, long minId, long[] out, int limit) {
        Objects.checkFromIndexSize(0, limit, out.length);
        int r = rec(idx);
        while (true) {
            int v = (int) INTS.getAcquire(records, r + VERSION);
            if ((v & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int s = records[r + SLOT];
            int n = records[r + SIZE];
            int h = records[r + HEAD];
            int count = -1;
            long[] chunk = s >= 0 ? chunkOf(s) : null; // after the acquire: published with the slot
            if (chunk != null && (slot == NO_SLOT || s == slot)) {
                count = 0;
                int base = baseOf(s);
                for (int i = 0; i < n && count < limit; i++) {
                    long e = chunk[base + phys(h, i)];
                    if (maxId != 0 && e >= maxId) {
                        continue;
                    }
                    if (e <= minId) {
                        break;
                    }
                    out[count++] = e;
                }
            }
            VarHandle.acquireFence();
            if ((int) INTS.getVolatile(records, r + VERSION) == v) {
                return count;
            }
        }
    }

    /** Entries of {@code userId} (0 if not resident). */
    public int size(long userId) {
        int idx = indexOf(userId);
        if (idx == NO_USER) {
            return 0;
        }
        int r = rec(idx);
        while (true) {
            int v = (int) INTS.getAcquire(records, r + VERSION);
            int n = records[r + SIZE];
            VarHandle.acquireFence();
            if ((v & 1) == 0 && (int) INTS.getVolatile(records, r + VERSION) == v) {
                return n; // 0 when not resident
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Entries stored across all timelines. Sums the known users' sizes (O(known users), a few
     * milliseconds at a million users): inserts keep no shared counter, so concurrent fanout threads
     * do not contend on one. Exact when no write is under way.
     */
    public long entries() {
        long sum = 0;
        for (int r = RECORD_BASE + SIZE, end = rec(knownUsers()); r < end; r += RECORD_INTS) {
            sum += records[r];
        }
        return sum;
    }

    public long evictions() {
        return evictions.get();
    }

    public int residentUsers() {
        long stamp = mapLock.readLock();
        try {
            return nextUnused - freeCount;
        } finally {
            mapLock.unlockRead(stamp);
        }
    }

    /** Users the store has given an index. */
    public int knownUsers() {
        long stamp = mapLock.readLock();
        try {
            return nextIndex;
        } finally {
            mapLock.unlockRead(stamp);
        }
    }

    /** Bytes held: entry chunks, per-slot and per-user bookkeeping, and the user map (Lucene's Accountable). */
    public long ramBytesUsed() {
        return chunkBytes + (long) maxSlots * SLOT_OVERHEAD_BYTES + 3 * 16L
                + (long) maxUsers * USER_OVERHEAD_BYTES + RECORD_BASE * 4L + 2 * 16L
                + stripeLocks.length * 4L + 16L
                + userToIndex.ramBytesUsed();
    }
}
