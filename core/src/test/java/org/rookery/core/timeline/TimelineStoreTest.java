package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class TimelineStoreTest {

    private static final long MINUTE = 60_000L;
    private static final long ALICE = 1_001L;
    private static final long BOB = 1_002L;
    private static final long CAROL = 1_003L;
    private static final long DAN = 1_004L;

    /** A store with room for {@code slots} timelines of {@code capacity}. */
    static TimelineStore store(int capacity, int slots) {
        return new TimelineStore(capacity, TimelineStore.bytesFor(capacity, slots), 1_000);
    }

    static long[] timeline(TimelineStore store, long user) {
        long[] buf = new long[store.capacity()];
        int n = store.read(user, 0, 0, buf, buf.length);
        return n < 0 ? null : Arrays.copyOf(buf, n);
    }

    static long[] ids(long... ids) {
        return ids;
    }

    @Test
    void readsNewestFirst() {
        TimelineStore store = store(10, 2);
        store.makeResident(ALICE, 0);
        for (long id = 1; id <= 5; id++) {
            assertThat(store.insert(ALICE, id)).isTrue();
        }

        assertThat(timeline(store, ALICE)).containsExactly(5, 4, 3, 2, 1);
        assertThat(store.size(ALICE)).isEqualTo(5);
    }

    @Test
    void aRestoredTimelineIsTheNewestEntriesInOrderAndTakesInsertsAsBefore() {
        TimelineStore store = store(4, 2);
        store.makeResident(ALICE, 0);
        store.insert(ALICE, 99);
        assertThat(store.restore(ALICE, 0, ids(9, 7, 5, 3, 1), 5)).isTrue();
        assertThat(timeline(store, ALICE)).as("replaced, the newest 4 kept").containsExactly(9, 7, 5, 3);
        assertThat(store.insert(ALICE, 10)).isTrue();
        assertThat(store.insert(ALICE, 6)).isTrue();
        assertThat(timeline(store, ALICE)).containsExactly(10, 9, 7, 6);

        assertThat(store.restore(BOB, 0, ids(3, 8, 3, 1, 0), 4)).isTrue(); // not newest first: sorted, once each
        assertThat(timeline(store, BOB)).containsExactly(8, 3, 1);
        assertThat(store.insert(BOB, 9)).isTrue();
        assertThat(timeline(store, BOB)).containsExactly(9, 8, 3, 1);
        assertThat(store.restore(CAROL, 0, ids(), 0)).isTrue();
        assertThat(timeline(store, CAROL)).as("an empty timeline").isEmpty();
    }

    @Test
    void keepsTheNewestCapacityEntriesAndDropsTheOldest() {
        TimelineStore store = store(4, 2);
        store.makeResident(ALICE, 0);
        for (long id = 1; id <= 10; id++) {
            store.insert(ALICE, id);
        }

        assertThat(timeline(store, ALICE)).containsExactly(10, 9, 8, 7);
        assertThat(store.size(ALICE)).isEqualTo(4);
        assertThat(store.entries()).isEqualTo(4);
    }

    @Test
    void outOfOrderInsertsLandInOrder() {
        TimelineStore store = store(5, 2);
        store.makeResident(ALICE, 0);
        for (long id : ids(10, 30, 20, 5, 25)) {
            assertThat(store.insert(ALICE, id)).isTrue();
        }

        assertThat(timeline(store, ALICE)).containsExactly(30, 25, 20, 10, 5);
    }

    @Test
    void outOfOrderInsertIntoAFullWrappedTimelinePushesOutTheOldest() {
        TimelineStore store = store(3, 2);
        store.makeResident(ALICE, 0);
        for (long id = 10; id <= 70; id += 10) { // 7 inserts into a ring of 3: the head has wrapped
            store.insert(ALICE, id);
        }
        assertThat(timeline(store, ALICE)).containsExactly(70, 60, 50);

        assertThat(store.insert(ALICE, 55)).isTrue();
        assertThat(timeline(store, ALICE)).containsExactly(70, 60, 55);
        assertThat(store.insert(ALICE, 65)).isTrue();
        assertThat(timeline(store, ALICE)).containsExactly(70, 65, 60);
        assertThat(store.insert(ALICE, 40)).as("older than everything in a full timeline").isFalse();
        assertThat(timeline(store, ALICE)).containsExactly(70, 65, 60);
        assertThat(store.insert(ALICE, 80)).isTrue();
        assertThat(timeline(store, ALICE)).containsExactly(80, 70, 65);
    }

    @Test
    void duplicateInsertsAreIgnored() {
        TimelineStore store = store(5, 2);
        store.makeResident(ALICE, 0);
        store.insert(ALICE, 10);
        store.insert(ALICE, 20);
        store.insert(ALICE, 30);

        assertThat(store.insert(ALICE, 30)).as("the newest again").isFalse();
        assertThat(store.insert(ALICE, 20)).as("a middle one again").isFalse();
        assertThat(store.insert(ALICE, 10)).as("the oldest again").isFalse();
        assertThat(timeline(store, ALICE)).containsExactly(30, 20, 10);
        assertThat(store.entries()).isEqualTo(3);
    }

    @Test
    void removeTakesOutOneEntryAndKeepsTheOrder() {
        TimelineStore store = store(4, 2);
        store.makeResident(ALICE, 0);
        for (long id = 1; id <= 6; id++) { // wrapped: 6 5 4 3
            store.insert(ALICE, id);
        }

        assertThat(store.remove(ALICE, 4)).isTrue();
        assertThat(timeline(store, ALICE)).containsExactly(6, 5, 3);
        assertThat(store.remove(ALICE, 6)).as("the newest").isTrue();
        assertThat(store.remove(ALICE, 3)).as("the oldest").isTrue();
        assertThat(store.remove(ALICE, 42)).as("never there").isFalse();
        assertThat(timeline(store, ALICE)).containsExactly(5);
        assertThat(store.size(ALICE)).isEqualTo(1);
        assertThat(store.entries()).isEqualTo(1);

        store.insert(ALICE, 7);
        store.insert(ALICE, 2);
        assertThat(timeline(store, ALICE)).containsExactly(7, 5, 2);
    }

    @Test
    void removeIfDropsEveryMatchKeepsTheRestInOrderAndAcceptsInsertsAfter() {
        TimelineStore store = store(8, 2);
        int slot = store.makeResident(ALICE, 0);
        for (long id = 1; id <= 11; id++) { // wrapped: 11..4
            store.insert(ALICE, id);
        }

        assertThat(store.removeIf(slot, id -> id % 2 == 0)).isEqualTo(4);
        assertThat(timeline(store, ALICE)).containsExactly(11, 9, 7, 5);
        assertThat(store.removeIf(slot, id -> false)).isZero();
        store.insert(ALICE, 12);
        store.insert(ALICE, 6);
        assertThat(timeline(store, ALICE)).containsExactly(12, 11, 9, 7, 6, 5);

        assertThat(store.removeIf(slot, id -> true)).isEqualTo(6);
        assertThat(timeline(store, ALICE)).isEmpty();
        assertThat(store.entries()).isZero();
        store.insert(ALICE, 20);
        assertThat(timeline(store, ALICE)).containsExactly(20);
    }

    @Test
    void removeIfWhosePredicateThrowsLeavesTheTimelineAsItWas() {
        TimelineStore store = store(8, 2);
        int slot = store.makeResident(ALICE, 0);
        for (long id = 1; id <= 5; id++) {
            store.insert(ALICE, id);
        }

        assertThatThrownBy(() -> store.removeIf(slot, id -> {
            if (id == 4) {
                throw new IllegalStateException("boom");
            }
            return id == 2;
        })).hasMessage("boom");
        assertThat(timeline(store, ALICE)).containsExactly(5, 4, 3, 2, 1);
        assertThat(store.insert(ALICE, 6)).as("the slot's lock was released").isTrue();
    }

    @Test
    void readHonoursMaxIdMinIdAndLimit() {
        TimelineStore store = store(10, 2);
        store.makeResident(ALICE, 0);
        for (long id = 10; id <= 100; id += 10) {
            store.insert(ALICE, id);
        }
        long[] out = new long[10];

        assertThat(Arrays.copyOf(out, store.read(ALICE, 0, 0, out, 3))).containsExactly(100, 90, 80);
        assertThat(Arrays.copyOf(out, store.read(ALICE, 50, 0, out, 10))).as("below max_id, exclusive")
                .containsExactly(40, 30, 20, 10);
        assertThat(Arrays.copyOf(out, store.read(ALICE, 0, 70, out, 10))).as("above min_id, exclusive")
                .containsExactly(100, 90, 80);
        assertThat(Arrays.copyOf(out, store.read(ALICE, 90, 30, out, 10))).containsExactly(80, 70, 60, 50, 40);
        assertThat(Arrays.copyOf(out, store.read(ALICE, 90, 30, out, 2))).containsExactly(80, 70);
        assertThat(store.read(ALICE, 10, 0, out, 10)).as("nothing older than the oldest").isZero();
        assertThat(store.read(ALICE, 0, 100, out, 10)).as("nothing newer than the newest").isZero();
        assertThat(store.read(ALICE, 0, 0, out, 0)).isZero();
    }

    @Test
    void nonResidentUsersGetNothingAndReadMinusOne() {
        TimelineStore store = store(10, 2);
        store.indexOrAssign(BOB); // known, not resident

        for (long user : ids(ALICE, BOB)) {
            assertThat(store.insert(user, 1)).isFalse();
            assertThat(store.read(user, 0, 0, new long[10], 10)).isEqualTo(-1);
            assertThat(store.size(user)).isZero();
            assertThat(store.remove(user, 1)).isFalse();
            assertThat(store.isResident(user)).isFalse();
            assertThat(store.slotOf(user)).isEqualTo(-1);
        }
        assertThat(store.entries()).isZero();
    }

    @Test
    void usersKeepTheirDenseIndexForever() {
        TimelineStore store = store(4, 1);

        assertThat(store.indexOrAssign(ALICE)).isZero();
        assertThat(store.indexOrAssign(BOB)).isEqualTo(1);
        assertThat(store.indexOrAssign(ALICE)).isZero();
        store.makeResident(BOB, 0);
        store.makeResident(ALICE, MINUTE); // evicts Bob: one slot
        assertThat(store.indexOf(BOB)).isEqualTo(1);
        assertThat(store.userAt(1)).isEqualTo(BOB);
        assertThat(store.knownUsers()).isEqualTo(2);
        assertThat(store.indexOf(CAROL)).isEqualTo(-1);
    }

    @Test
    void theReservedUserIdIsNeverAnotherUsersIndex() {
        TimelineStore store = store(4, 2);
        store.makeResident(ALICE, 0);
        store.insert(ALICE, 7);

        assertThat(store.indexOf(Long.MIN_VALUE)).isEqualTo(-1);
        assertThat(store.read(Long.MIN_VALUE, 0, 0, new long[4], 4)).isEqualTo(-1);
        assertThatThrownBy(() -> store.indexOrAssign(Long.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.knownUsers()).isEqualTo(1);
    }

    @Test
    void aStoreThatKnowsMaxUsersAssignsNoMoreIndexes() {
        TimelineStore store = new TimelineStore(4, TimelineStore.bytesFor(4, 4), 2);
        store.indexOrAssign(ALICE);
        store.indexOrAssign(BOB);

        assertThat(store.indexOrAssign(CAROL)).isEqualTo(-1);
        assertThat(store.makeResident(CAROL, 0)).isEqualTo(-1);
        assertThat(store.isResident(CAROL)).isFalse();
    }

    @Test
    void makeResidentIsIdempotentAndEvictDropsTheTimeline() {
        TimelineStore store = store(4, 2);
        int slot = store.makeResident(ALICE, 0);
        store.insert(ALICE, 1);

        assertThat(store.makeResident(ALICE, MINUTE)).isEqualTo(slot);
        assertThat(timeline(store, ALICE)).containsExactly(1);
        assertThat(store.residentUsers()).isEqualTo(1);

        assertThat(store.evict(ALICE)).isTrue();
        assertThat(store.evict(ALICE)).isFalse();
        assertThat(store.evict(BOB)).isFalse();
        assertThat(timeline(store, ALICE)).isNull();
        assertThat(store.entries()).isZero();
        assertThat(store.residentUsers()).isZero();
        assertThat(store.evictions()).isEqualTo(1);

        store.makeResident(BOB, 0);
        assertThat(timeline(store, BOB)).as("a reused slot starts empty").isEmpty();
        store.makeResident(ALICE, 0);
        assertThat(timeline(store, ALICE)).as("back, with an empty timeline to rebuild").isEmpty();
    }

    @Test
    void slotKeyedCallsOnAFreedSlotDoNothing() {
        TimelineStore store = store(4, 2);
        int slot = store.makeResident(ALICE, 0);
        store.insert(ALICE, 1);
        store.evict(ALICE);
        long[] out = new long[4];

        assertThat(store.insertAt(slot, 2)).isFalse();
        assertThat(store.readAt(slot, 0, 0, out, 4)).isZero();
        assertThat(store.removeIf(slot, id -> true)).isZero();
        assertThat(store.entries()).isZero();
        assertThat(store.makeResident(BOB, 0)).as("the freed slot is reused").isEqualTo(slot);
        assertThat(store.insertAt(slot, 3)).isTrue();
        assertThat(store.readAt(slot, 0, 0, out, 4)).isOne();
        assertThat(timeline(store, BOB)).containsExactly(3);
    }

    @Test
    void evictInactiveDropsOnlyUsersInactiveBeforeTheCutoff() {
        TimelineStore store = store(4, 4);
        store.makeResident(ALICE, 0);
        store.makeResident(BOB, 10 * MINUTE);
        int carol = store.makeResident(CAROL, 0);
        store.touch(carol, 30 * MINUTE);
        store.insert(ALICE, 1);
        store.insert(BOB, 1);

        assertThat(store.evictInactive(20 * MINUTE)).isEqualTo(2);
        assertThat(store.isResident(ALICE)).isFalse();
        assertThat(store.isResident(BOB)).isFalse();
        assertThat(store.isResident(CAROL)).isTrue();
        assertThat(store.entries()).isZero();
        assertThat(store.evictInactive(20 * MINUTE)).isZero();
    }

    @Test
    void aFullStoreEvictsTheLeastRecentlyActiveUser() {
        TimelineStore store = store(4, 3);
        int alice = store.makeResident(ALICE, 0);
        store.makeResident(BOB, 5 * MINUTE);
        store.makeResident(CAROL, 10 * MINUTE);
        store.touch(alice, 20 * MINUTE); // Alice read her timeline: Bob is now the least recently active
        store.insert(BOB, 1);
        assertThat(store.maxResidentUsers()).isEqualTo(3);

        int dan = store.makeResident(DAN, 30 * MINUTE);

        assertThat(dan).isGreaterThanOrEqualTo(0);
        assertThat(store.isResident(BOB)).isFalse();
        assertThat(store.isResident(ALICE)).isTrue();
        assertThat(store.isResident(CAROL)).isTrue();
        assertThat(timeline(store, DAN)).as("Bob's entries do not pass to Dan").isEmpty();
        assertThat(store.evictions()).isEqualTo(1);
        assertThat(store.residentUsers()).isEqualTo(3);
    }

    @Test
    void aLargeFullStoreEvictsFromItsLeastRecentlyActiveUsers() {
        // 1,000 slots, sampled 16 at a time: the victim is the least active of its sample, so it is
        // almost never among the most recently active, and over many evictions the old users go first.
        TimelineStore store = new TimelineStore(2, TimelineStore.bytesFor(2, 1_000), 2_000);
        for (int u = 0; u < 1_000; u++) {
            store.makeResident(u + 1, u * MINUTE); // user u+1 was last active at minute u
        }
        for (int u = 0; u < 200; u++) {
            assertThat(store.makeResident(10_000 + u, 2_000 * MINUTE)).isGreaterThanOrEqualTo(0);
        }

        long evictedOld = LongStream.rangeClosed(1, 500).filter(u -> !store.isResident(u)).count();
        long evictedRecent = LongStream.rangeClosed(501, 1_000).filter(u -> !store.isResident(u)).count();
        assertThat(evictedOld + evictedRecent).isEqualTo(200);
        assertThat(evictedOld).isGreaterThan(190);
        assertThat(LongStream.rangeClosed(901, 1_000).filter(u -> !store.isResident(u)).count())
                .as("the most recently active tenth").isZero();
    }

    @Test
    void entriesAndRamBytesUsedTrackWhatIsHeld() {
        int capacity = 100;
        TimelineStore store = new TimelineStore(capacity, TimelineStore.bytesFor(capacity, 1_000), 1_000);
        long empty = store.ramBytesUsed();
        for (int u = 1; u <= 1_000; u++) {
            store.makeResident(u, 0);
            for (long id = 1; id <= capacity + 5; id++) {
                store.insert(u, id);
            }
        }

        assertThat(store.entries()).isEqualTo(100_000);
        long full = store.ramBytesUsed();
        assertThat(full - empty).as("the entry chunks").isEqualTo(16L + 1_000L * capacity * 8);
        assertThat((double) full / store.entries()).as("bytes per entry").isBetween(8.0, 9.0);
        assertThat(full).isGreaterThanOrEqualTo(TimelineStore.bytesFor(capacity, 1_000));

        store.remove(1, capacity + 5);
        store.evict(2);
        assertThat(store.entries()).isEqualTo(100_000 - 1 - capacity);
    }

    @Test
    void theBudgetSetsHowManyUsersCanBeResident() {
        TimelineStore store = new TimelineStore(800, TimelineStore.bytesFor(800, 250) + 100, 1_000);
        assertThat(store.maxResidentUsers()).isEqualTo(250);
        assertThatThrownBy(() -> new TimelineStore(800, 6_400, 10))
                .hasMessageContaining("memoryBudgetBytes: 6400");
        assertThatThrownBy(() -> new TimelineStore(0, 1L << 20, 10)).hasMessageStartingWith("capacity: 0");
        assertThatThrownBy(() -> new TimelineStore(8, 1L << 20, 0)).hasMessage("maxUsers: 0 (expected: 1-536870912)");
    }

    @Test
    void deliverWritesToTheResidentUsersAmongSortedIndexes() {
        TimelineStore store = store(4, 10);
        long[] users = new long[10];
        int[] indexes = new int[10];
        for (int i = 0; i < 10; i++) {
            users[i] = 7_000_000_000L + 31L * i * i; // ids in no particular order or spacing
            indexes[i] = store.indexOrAssign(users[i]);
            if (i % 3 != 0) {
                store.makeResident(users[i], 0);
            }
        }
        Arrays.sort(indexes);

        assertThat(store.deliver(indexes, indexes.length, 100)).isEqualTo(6);
        assertThat(store.deliver(indexes, indexes.length, 100)).as("again: duplicates").isZero();
        assertThat(store.deliver(indexes, 5, 101)).as("only the first count indexes")
                .isEqualTo((int) Arrays.stream(indexes, 0, 5).filter(i -> store.slotAt(i) >= 0).count());
        for (int i = 0; i < 10; i++) {
            if (i % 3 == 0) {
                assertThat(timeline(store, users[i])).isNull();
            } else {
                assertThat(timeline(store, users[i])).startsWith(store.indexOf(users[i]) < 5 ? 101 : 100);
            }
        }
        assertThat(store.entries()).as("6 of the first tweet, 3 of the second").isEqualTo(9);
    }

    @Test
    void deliverSkipsNegativeIndexesAndRejectsACountBeyondTheArray() {
        TimelineStore store = store(4, 2);
        store.makeResident(ALICE, 0);
        int alice = store.indexOf(ALICE);

        assertThat(store.deliver(new int[] {-1, -1, alice}, 3, 5)).isOne();
        assertThat(store.deliver(new int[0], 0, 6)).isZero();
        assertThatThrownBy(() -> store.deliver(new int[] {alice}, 2, 7)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(timeline(store, ALICE)).containsExactly(5);
    }

    @Test
    void deliverOfManyTweetsToManyUsersMatchesOneInsertAtATime() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        TimelineStore delivered = store(20, 400); // room for everyone: eviction picks at random
        TimelineStore inserted = store(20, 400);
        long[] users = new long[400];
        for (int u = 0; u < users.length; u++) {
            users[u] = rnd.nextLong(1, Long.MAX_VALUE);
            delivered.indexOrAssign(users[u]);
            inserted.indexOrAssign(users[u]);
            if (rnd.nextInt(4) != 0) {
                delivered.makeResident(users[u], 0);
                inserted.makeResident(users[u], 0);
            }
        }
        for (int t = 0; t < 2_000; t++) {
            long tweet = rnd.nextInt(5) == 0 ? rnd.nextLong(1, 1_000_000) : 1_000_000L + t; // some out of order
            int[] followers = rnd.ints(rnd.nextInt(1, 120), 0, users.length).distinct().sorted().toArray();
            int expected = 0;
            for (int f : followers) {
                expected += inserted.insert(users[f], tweet) ? 1 : 0;
            }
            assertThat(delivered.deliver(followers, followers.length, tweet)).as("seed %d", seed).isEqualTo(expected);
        }
        for (long u : users) {
            assertThat(timeline(delivered, u)).as("seed %d", seed).isEqualTo(timeline(inserted, u));
        }
    }

    /**
     * Writers insert into a few shared timelines while readers read them. A read never sees an
     * unsorted or duplicated list, and at the end each timeline is the newest {@code capacity} of the
     * ids written to it.
     */
    @Test
    void concurrentWritersAndReadersNeverSeeABrokenTimeline() throws Exception {
        long seed = new SplittableRandom().nextLong();
        int capacity = 64;
        int users = 3;
        int writers = 3;
        int readers = 2;
        int insertsPerWriter = 60_000;
        TimelineStore store = store(capacity, users);
        for (int u = 0; u < users; u++) {
            store.makeResident(u + 1, 0);
        }
        int[] indexes = new int[users];
        for (int u = 0; u < users; u++) {
            indexes[u] = store.indexOf(u + 1);
        }
        Arrays.sort(indexes);
        List<TreeSet<Long>> written = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            written.add(new TreeSet<>());
        }
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicBoolean done = new AtomicBoolean();
        CyclicBarrier start = new CyclicBarrier(writers + readers);
        ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
        try {
            List<Future<long[][]>> writes = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                writes.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + writer);
                    long[][] mine = new long[users][insertsPerWriter];
                    int[] counts = new int[users];
                    start.await();
                    for (int i = 0; i < insertsPerWriter; i++) {
                        // Mostly newer ids, sometimes an older one; unique per writer (low bits).
                        long base = i > 0 && rnd.nextInt(8) == 0 ? rnd.nextLong(1, 1L + i) : i + 1L;
                        long id = base * writers * 4 + writer;
                        if (rnd.nextBoolean()) {
                            int u = rnd.nextInt(users);
                            store.insert(u + 1, id);
                            mine[u][counts[u]++] = id;
                        } else {
                            store.deliver(indexes, users, id);
                            for (int u = 0; u < users; u++) {
                                mine[u][counts[u]++] = id;
                            }
                        }
                    }
                    for (int u = 0; u < users; u++) {
                        mine[u] = Arrays.copyOf(mine[u], counts[u]);
                    }
                    return mine;
                }));
            }
            List<Future<Long>> reads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                int reader = r;
                reads.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed - reader - 1);
                    long[] buf = new long[capacity];
                    long n = 0;
                    start.await();
                    while (!done.get() && failure.get() == null) {
                        long user = rnd.nextInt(users) + 1;
                        int got = store.read(user, 0, 0, buf, capacity);
                        for (int i = 1; i < got; i++) {
                            if (buf[i] >= buf[i - 1]) {
                                failure.compareAndSet(null, "user " + user + " read "
                                        + Arrays.toString(Arrays.copyOf(buf, got)) + " at " + i);
                            }
                        }
                        if (got < 0 || got > capacity || store.size(user) > capacity) {
                            failure.compareAndSet(null, "user " + user + " read " + got + " entries");
                        }
                        n++;
                    }
                    return n;
                }));
            }
            for (Future<long[][]> f : writes) {
                long[][] mine = f.get(2, TimeUnit.MINUTES);
                for (int u = 0; u < users; u++) {
                    for (long id : mine[u]) {
                        written.get(u).add(id);
                    }
                }
            }
            done.set(true);
            long readsDone = 0;
            for (Future<Long> f : reads) {
                readsDone += f.get(1, TimeUnit.MINUTES);
            }
            assertThat(failure.get()).as("seed %d", seed).isNull();
            assertThat(readsDone).isPositive();
        } finally {
            pool.shutdownNow();
        }
        for (int u = 0; u < users; u++) {
            long[] newest = written.get(u).descendingSet().stream().limit(capacity).mapToLong(Long::longValue).toArray();
            assertThat(timeline(store, u + 1)).as("user %d, seed %d", u + 1, seed).containsExactly(newest);
        }
    }

    /**
     * Writers deliver to users whose slots are evicted and handed to others at the same time. Each
     * tweet id names its recipient, so a timeline holding another user's id means a write landed in
     * a slot that had changed hands, or a read saw one.
     */
    @Test
    void writesRacingEvictionNeverLandInTheNextOwnersTimeline() throws Exception {
        long seed = new SplittableRandom().nextLong();
        int users = 24;
        int slots = 8;
        TimelineStore store = store(16, slots);
        int[] indexes = new int[users];
        for (int u = 0; u < users; u++) {
            indexes[u] = store.indexOrAssign(u + 1);
        }
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicBoolean done = new AtomicBoolean();
        CyclicBarrier start = new CyclicBarrier(4);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + writer);
                    int[] one = new int[1];
                    start.await();
                    for (long seq = 1; seq <= 200_000; seq++) {
                        int u = rnd.nextInt(users);
                        long id = (seq * 2 + writer) * 64 + u; // low bits: the recipient
                        if (rnd.nextBoolean()) {
                            one[0] = indexes[u];
                            store.deliver(one, 1, id);
                        } else {
                            store.insert(u + 1, id);
                        }
                    }
                    return null;
                }));
            }
            Future<?> churn = pool.submit(() -> {
                SplittableRandom rnd = new SplittableRandom(seed - 1);
                start.await();
                long minute = 0;
                while (!done.get()) {
                    int u = rnd.nextInt(users);
                    if (rnd.nextInt(3) == 0) {
                        store.evict(u + 1);
                    } else {
                        store.makeResident(u + 1, ++minute * MINUTE);
                    }
                }
                return null;
            });
            Future<?> reader = pool.submit(() -> {
                SplittableRandom rnd = new SplittableRandom(seed - 2);
                long[] buf = new long[16];
                start.await();
                while (!done.get() && failure.get() == null) {
                    int u = rnd.nextInt(users);
                    int got = store.read(u + 1, 0, 0, buf, buf.length);
                    for (int i = 0; i < got; i++) {
                        if (buf[i] % 64 != u) {
                            failure.compareAndSet(null, "user " + (u + 1) + " holds " + buf[i]
                                    + ", meant for user " + (buf[i] % 64 + 1));
                        }
                    }
                }
                return null;
            });
            for (Future<?> f : writers) {
                f.get(2, TimeUnit.MINUTES);
            }
            done.set(true);
            churn.get(1, TimeUnit.MINUTES);
            reader.get(1, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }
        assertThat(failure.get()).as("seed %d", seed).isNull();
        for (int u = 0; u < users; u++) {
            long[] held = timeline(store, u + 1);
            if (held != null) {
                for (long id : held) {
                    assertThat(id % 64).as("user %d, seed %d", u + 1, seed).isEqualTo(u);
                }
            }
        }
        assertThat(store.residentUsers()).isLessThanOrEqualTo(slots);
    }
}
