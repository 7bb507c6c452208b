package org.rookery.core.timeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
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
 * of 16 randomly sampled residents is evicted (Redis's approximated LRU): eviction is O(1) and
 * needs no global list.
 *
 * <p>Every user the store sees gets a permanent dense index (0, 1, 2, ...); residents also get a
 * ring slot. Both are handed out in ascending order, so a fanout that walks a follower list sorted
 * by index ({@link #deliver}) sweeps memory forward instead of jumping at random: the follower
 * cache of the fanout service keeps follower lists as sorted {@code int[]} of indexes.
 *
 * <p>Thread-safety and concurrency design: the user → index map and the index → slot table are
 * guarded by a {@link StampedLock} (optimistic reads on the hot path, write lock to add, make
 * resident or evict a user). Each
 * slot has a version (a seqlock): a writer CASes it from even to odd, writes, and releases it to
 * the next even value; concurrent writers to one slot spin on the CAS (they are rare: one fanout
 * thread per partition of authors). A reader copies the entries and retries if the version moved,
 * so reads never block writers and never see a half-written list. Entries stay sorted newest first;
 * an insert older than the newest entry (events from different partitions arriving out of order) is
 * placed in order, and an id already present is not inserted again (idempotent fanout).
 *
 * <pre>{@code
 * TimelineStore store = new TimelineStore(800, 1L << 30);
 * store.makeResident(alice, now);
 * store.insert(alice, tweetId);
 * int n = store.read(alice, 0, 0, buf, 20);  // newest 20 ids into buf
 * }</pre>
 */
public final class TimelineStore {
    private static final VarHandle VERSION = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int NO_SLOT = -1;
    private static final int CHUNK_LONGS = 1 << 23; // 64 MiB per chunk
    private static final int SAMPLE = 16;
    /** Per-slot bookkeeping besides the entries: user, head, size, version, last active. */
    private static final int SLOT_OVERHEAD_BYTES = 4 + 4 + 4 + 4 + 4;
    /** Per known user: id, ring slot, and the map's share. */
    private static final int USER_OVERHEAD_BYTES = 8 + 4 + 24;

    private final int capacity;
    private final int maxUsers;
    private final long[] userOfIndex;
    private final int[] ringOfIndex; // ring slot of each user index, -1 when not resident
    private int nextIndex;
    private final int maxSlots;
    private final int slotsPerChunk;
    private final long[][] chunks;
    private final int[] slotIndex; // user index owning each ring slot
    private final int[] head;
    private final int[] size;
    private final int[] version;
    private final int[] lastActive; // minutes since epoch, for eviction
    private final LongIntHashMap userToIndex;
    private final StampedLock mapLock = new StampedLock();
    private final int[] freeSlots;
    private int freeCount;
    private int nextUnused;
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private volatile long chunkBytes;

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
        if (maxUsers <= 0) {
            throw new IllegalArgumentException("maxUsers: " + maxUsers + " (expected: > 0)");
        }
        if (capacity <= 0 || capacity > CHUNK_LONGS) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1-" + CHUNK_LONGS + ")");
        }
        long perSlot = capacity * 8L + SLOT_OVERHEAD_BYTES;
        if (memoryBudgetBytes < perSlot) {
            throw new IllegalArgumentException("memoryBudgetBytes: " + memoryBudgetBytes
                    + " (expected: >= " + perSlot + ", one timeline)");
        }
        long slots = memoryBudgetBytes / perSlot;
        this.maxSlots = (int) Math.min(Math.min(slots, Integer.MAX_VALUE / 4), maxUsers);
        this.maxUsers = maxUsers;
        this.userOfIndex = new long[maxUsers];
        this.ringOfIndex = new int[maxUsers];
        java.util.Arrays.fill(ringOfIndex, NO_SLOT);
        this.capacity = capacity;
        this.slotsPerChunk = CHUNK_LONGS / capacity;
        this.chunks = new long[(maxSlots + slotsPerChunk - 1) / slotsPerChunk][];
        this.slotIndex = new int[maxSlots];
        this.head = new int[maxSlots];
        this.size = new int[maxSlots];
        this.version = new int[maxSlots];
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
        int idx = userToIndex.get(userId, NO_SLOT);
        if (!mapLock.validate(stamp)) {
            stamp = mapLock.readLock();
            try {
                idx = userToIndex.get(userId, NO_SLOT);
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
        int idx = indexOf(userId);
        if (idx != NO_SLOT) {
            return idx;
        }
        long stamp = mapLock.writeLock();
        try {
            idx = userToIndex.get(userId, NO_SLOT);
            if (idx == NO_SLOT && nextIndex < maxUsers) {
                idx = nextIndex++;
                userOfIndex[idx] = userId;
                userToIndex.put(userId, idx);
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
        return idx == NO_SLOT ? NO_SLOT : ringOfIndex[idx];
    }

    /** The ring slot of the user at {@code index}, or -1 if not resident. */
    public int slotAt(int index) {
        return ringOfIndex[index];
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
        if (idx == NO_SLOT) {
            return NO_SLOT;
        }
        long stamp = mapLock.writeLock();
        try {
            int slot = ringOfIndex[idx];
            if (slot == NO_SLOT) {
                slot = takeSlot();
                slotIndex[slot] = idx;
                ringOfIndex[idx] = slot;
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

    /** Must hold the write lock. */
    private int takeSlot() {
        int slot;
        if (freeCount > 0) {
            slot = freeSlots[--freeCount];
        } else if (nextUnused < maxSlots) {
            slot = nextUnused++;
            int chunk = slot / slotsPerChunk;
            if (chunks[chunk] == null) {
                int slotsHere = Math.min(slotsPerChunk, maxSlots - chunk * slotsPerChunk);
                chunks[chunk] = new long[slotsHere * capacity];
                chunkBytes += 16L + slotsHere * (long) capacity * 8L;
            }
        } else {
            slot = evictSampled();
        }
        clearSlot(slot);
        return slot;
    }

    /** Evicts the least recently active of a random sample of resident users. Must hold the write lock. */
    private int evictSampled() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int victim = rnd.nextInt(nextUnused);
        for (int i = 1; i < SAMPLE; i++) {
            int s = rnd.nextInt(nextUnused);
            if (lastActive[s] < lastActive[victim]) {
                victim = s;
            }
        }
        ringOfIndex[slotIndex[victim]] = NO_SLOT;
        evictions.incrementAndGet();
        return victim;
    }

    private void clearSlot(int slot) {
        lockSlot(slot);
        try {
            entries.addAndGet(-size[slot]);
            size[slot] = 0;
            head[slot] = 0;
        } finally {
            unlockSlot(slot);
        }
    }

    /** Drops {@code userId}'s timeline (inactive, or to rebuild it); returns whether it was resident. */
    public boolean evict(long userId) {
        int idx = indexOf(userId);
        if (idx == NO_SLOT) {
            return false;
        }
        long stamp = mapLock.writeLock();
        try {
            int slot = ringOfIndex[idx];
            if (slot == NO_SLOT) {
                return false;
            }
            ringOfIndex[idx] = NO_SLOT;
            clearSlot(slot);
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
        for (int slot = 0; slot < nextUnused; slot++) {
            long user;
            long stamp = mapLock.readLock();
            try {
                int idx = slotIndex[slot];
                if (lastActive[slot] >= cutoff || ringOfIndex[idx] != slot) {
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

    private void lockSlot(int slot) {
        while (true) {
            int v = (int) VERSION.getVolatile(version, slot);
            if ((v & 1) == 0 && VERSION.compareAndSet(version, slot, v, v + 1)) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    private void unlockSlot(int slot) {
        VERSION.setRelease(version, slot, (int) VERSION.getVolatile(version, slot) + 1);
    }

    private long[] chunkOf(int slot) {
        return chunks[slot / slotsPerChunk];
    }

    private int baseOf(int slot) {
        return (slot % slotsPerChunk) * capacity;
    }

    /** Inserts {@code tweetId} into {@code userId}'s timeline if resident; returns whether it was added. */
    public boolean insert(long userId, long tweetId) {
        int slot = slotOf(userId);
        return slot != NO_SLOT && insertAt(slot, tweetId);
    }

    /**
     * Inserts {@code tweetId} into the timelines of the resident users among the user indexes
     * {@code indexes[0..count)}, which the caller keeps sorted ascending: indexes and ring slots are
     * handed out in the same order, so the writes sweep memory forward. Returns how many timelines
     * got the entry.
     */
    public int deliver(int[] indexes, int count, long tweetId) {
        int delivered = 0;
        int[] rings = ringOfIndex;
        for (int i = 0; i < count; i++) {
            int slot = rings[indexes[i]];
            if (slot != NO_SLOT && insertAt(slot, tweetId)) {
                delivered++;
            }
        }
        return delivered;
    }

    /** Inserts into a slot; newest-first order kept, duplicates ignored. */
    public boolean insertAt(int slot, long tweetId) {
        long[] chunk = chunkOf(slot);
        int base = baseOf(slot);
        lockSlot(slot);
        try {
            int n = size[slot];
            int h = head[slot];
            if (n == 0 || tweetId > chunk[base + h]) {
                // The common case: newer than everything, write at the head.
                h = h + 1 == capacity ? 0 : h + 1;
                chunk[base + h] = tweetId;
                head[slot] = h;
                if (n < capacity) {
                    size[slot] = n + 1;
                    entries.incrementAndGet();
                }
                return true;
            }
            return insertInOrder(chunk, base, slot, n, h, tweetId);
        } finally {
            unlockSlot(slot);
        }
    }

    /** Out-of-order insert: find the place (logical index, 0 = newest), shift newer entries up. */
    private boolean insertInOrder(long[] chunk, int base, int slot, int n, int h, long tweetId) {
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
        for (int i = -1; i < pos - 1; i++) {
            chunk[base + phys(newHead, i + 1)] = chunk[base + phys(h, i + 1)];
        }
        chunk[base + phys(newHead, pos)] = tweetId;
        head[slot] = newHead;
        if (n < capacity) {
            size[slot] = n + 1;
            entries.incrementAndGet();
        }
        return true;
    }

    private int phys(int h, int logical) {
        int p = h - logical;
        return p < 0 ? p + capacity : p;
    }

    /** Removes {@code tweetId} from {@code userId}'s timeline; returns whether it was there. */
    public boolean remove(long userId, long tweetId) {
        int slot = slotOf(userId);
        if (slot == NO_SLOT) {
            return false;
        }
        return removeIf(slot, id -> id == tweetId) > 0;
    }

    /** Removes the entries of {@code slot} that match, keeping order; returns how many went. */
    public int removeIf(int slot, java.util.function.LongPredicate match) {
        long[] chunk = chunkOf(slot);
        int base = baseOf(slot);
        lockSlot(slot);
        try {
            int n = size[slot];
            int h = head[slot];
            // Compact from the oldest end towards the newest so the head stays the newest entry.
            int kept = 0;
            int write = phys(h, n - 1); // physical index of the oldest entry
            int oldest = write;
            for (int i = n - 1; i >= 0; i--) {
                long e = chunk[base + phys(h, i)];
                if (!match.test(e)) {
                    int dst = oldest + kept;
                    chunk[base + (dst >= capacity ? dst - capacity : dst)] = e;
                    kept++;
                }
            }
            int removed = n - kept;
            if (removed > 0) {
                int newHead = oldest + kept - 1;
                newHead = newHead >= capacity ? newHead - capacity : newHead < 0 ? newHead + capacity : newHead;
                head[slot] = kept == 0 ? 0 : newHead;
                size[slot] = kept;
                entries.addAndGet(-removed);
            }
            return removed;
        } finally {
            unlockSlot(slot);
        }
    }

    /**
     * Copies into {@code out} up to {@code limit} entries of {@code userId}'s timeline, newest first,
     * with ids below {@code maxId} (0: no bound) and above {@code minId}; returns how many, or -1 if
     * the user is not resident. Never blocks writers.
     */
    public int read(long userId, long maxId, long minId, long[] out, int limit) {
        int slot = slotOf(userId);
        if (slot == NO_SLOT) {
            return -1;
        }
        return readAt(slot, maxId, minId, out, limit);
    }

    public int readAt(int slot, long maxId, long minId, long[] out, int limit) {
        long[] chunk = chunkOf(slot);
        int base = baseOf(slot);
        while (true) {
            int v = (int) VERSION.getAcquire(version, slot);
            if ((v & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int n = size[slot];
            int h = head[slot];
            int count = 0;
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
            VarHandle.acquireFence();
            if ((int) VERSION.getVolatile(version, slot) == v) {
                return count;
            }
        }
    }

    /** Entries of {@code userId} (0 if not resident). */
    public int size(long userId) {
        int slot = slotOf(userId);
        return slot == NO_SLOT ? 0 : size[slot];
    }

    /** Entries stored across all timelines. */
    public long entries() {
        return entries.get();
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

    /** Bytes held: entry chunks, per-slot bookkeeping and the user map (Lucene's Accountable). */
    public long ramBytesUsed() {
        return chunkBytes + (long) maxSlots * (SLOT_OVERHEAD_BYTES + 4) + (long) maxUsers * 12
                + userToIndex.ramBytesUsed();
    }
}
