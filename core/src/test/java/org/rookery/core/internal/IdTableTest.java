package org.rookery.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class IdTableTest {
    /** A value that names the id it was put for and the write that made it. */
    private record Entry(long id, long version) {}

    @Test
    void keepsWhatWasPutAndForgetsWhatWasRemoved() {
        IdTable<Entry> table = new IdTable<>(1_000);
        for (long id = 1; id <= 500; id++) {
            table.put(id, new Entry(id, 1));
        }
        table.put(7, new Entry(7, 2));
        table.remove(8);

        assertThat(table.get(7)).isEqualTo(new Entry(7, 2));
        assertThat(table.get(8)).isNull();
        assertThat(table.get(501)).isNull();
        assertThat(table.hits()).isEqualTo(1);
        assertThat(table.misses()).isEqualTo(2);
        // Half full: a set of eight overflows now and then (ids per set are about Poisson(4)), so a
        // few of the 499 may have been pushed out, but only a few.
        int kept = 0;
        for (long id = 1; id <= 500; id++) {
            Entry e = table.get(id);
            if (e != null) {
                assertThat(e.id()).isEqualTo(id);
                kept++;
            }
        }
        assertThat(kept).isGreaterThanOrEqualTo(485);
    }

    @Test
    void neverHoldsMoreThanItsCapacityAndNeverAnswersForAnotherId() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        IdTable<Entry> table = new IdTable<>(64);
        Map<Long, Entry> last = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
            long id = random.nextLong(1, 1_000);
            if (random.nextInt(10) == 0) {
                table.remove(id);
                last.remove(id);
            } else if (random.nextBoolean()) {
                Entry e = new Entry(id, i);
                table.put(id, e);
                last.put(id, e);
            } else {
                Entry e = table.get(id);
                // Absent (removed or evicted), or the latest value put for this very id.
                assertThat(e).as("seed %d, id %d", seed, id).isIn(null, last.get(id));
            }
        }
        int present = 0;
        for (long id = 1; id < 1_000; id++) {
            if (table.get(id) != null) {
                present++;
            }
        }
        assertThat(table.capacity()).isEqualTo(64);
        assertThat(present).as("seed %d", seed).isLessThanOrEqualTo(64).isGreaterThan(32);
    }

    @Test
    void aFullSetKeepsTheEntriesThatAreRead() {
        IdTable<Entry> table = new IdTable<>(IdTable.WAYS); // one set
        for (long id = 1; id <= IdTable.WAYS; id++) {
            table.put(id, new Entry(id, 0));
        }
        // A stream of one-off loads, with id 1 read between each: it is never the one replaced.
        for (long id = 100; id < 200; id++) {
            assertThat(table.get(1)).as("after %d one-off loads", id - 100).isNotNull();
            table.put(id, new Entry(id, 0));
        }
        assertThat(table.get(2)).isNull();
    }

    @Test
    void aWeightBudgetBoundsWhatIsKeptAndFollowsReplacementsAndRemovals() {
        // Room for 1,024 entries, but a budget for 100 of weight 10.
        IdTable<Entry> table = new IdTable<>(1_024, e -> 10, 1_000);
        for (long id = 1; id <= 5_000; id++) {
            table.put(id, new Entry(id, 0));
            assertThat(table.weight()).as("after %d puts", id).isLessThanOrEqualTo(1_000);
        }
        int kept = 0;
        for (long id = 1; id <= 5_000; id++) {
            if (table.get(id) != null) {
                kept++;
            }
        }
        assertThat(kept).isEqualTo(100);
        long someKept = 0;
        for (long id = 5_000; someKept == 0; id--) {
            someKept = table.get(id) == null ? 0 : id;
        }
        table.put(someKept, new Entry(someKept, 1)); // a replacement weighs the same: nothing is dropped
        assertThat(table.weight()).isEqualTo(1_000);
        assertThat(table.get(someKept)).isEqualTo(new Entry(someKept, 1));
        table.remove(someKept);
        assertThat(table.weight()).isEqualTo(990);
    }

    @Test
    void putIfTestsUnderTheLockThatRemoveTakes() {
        IdTable<Entry> table = new IdTable<>(100);
        assertThat(table.putIf(5, new Entry(5, 1), id -> false)).isFalse();
        assertThat(table.get(5)).isNull();
        assertThat(table.putIf(5, new Entry(5, 1), id -> id == 5)).isTrue();
        assertThat(table.get(5)).isEqualTo(new Entry(5, 1));
    }

    @Test
    void sizeZeroKeepsNothing() {
        IdTable<Entry> table = new IdTable<>(0);
        assertThat(table.putIf(1, new Entry(1, 1), null)).isFalse();
        assertThat(table.get(1)).isNull();
        assertThat(table.misses()).isEqualTo(1);
        assertThatThrownBy(() -> new IdTable<Entry>(-1)).hasMessageContaining("maxEntries");
    }

    /**
     * Writers keep replacing, evicting and removing entries of a small table while readers look
     * them up without a lock: a reader must never get a value put for another id, nor, once a
     * remove has returned, the value it removed (the versioned read must not mix two states of a set).
     */
    @Test
    void lockFreeLookupsNeverSeeATornSetOrARemovedValue() throws Exception {
        IdTable<Entry> table = new IdTable<>(16); // two sets: constant conflict
        int ids = 64;
        // Per id, the version of the last removal that has returned: later reads may not see it or older.
        AtomicLong[] removedThrough = new AtomicLong[ids];
        for (int i = 0; i < ids; i++) {
            removedThrough[i] = new AtomicLong(-1);
        }
        AtomicLong versions = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            long seed = w;
            threads.add(Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                started.countDown();
                while (!stop.get()) {
                    int id = random.nextInt(ids);
                    synchronized (removedThrough[id]) { // one writer per id at a time, so versions per id rise
                        long v = versions.incrementAndGet();
                        table.put(id, new Entry(id, v));
                        if (random.nextInt(4) == 0) {
                            table.remove(id);
                            removedThrough[id].set(v);
                        }
                    }
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            long seed = 10 + r;
            threads.add(Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                started.countDown();
                while (!stop.get()) {
                    int id = random.nextInt(ids);
                    long removed = removedThrough[id].get();
                    Entry e = table.get(id);
                    if (e != null && (e.id() != id || e.version() <= removed)) {
                        failure.compareAndSet(null, "id " + id + " answered " + e + " after removal of version " + removed);
                    }
                }
            }));
        }
        started.await();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline && failure.get() == null) {
            Thread.onSpinWait();
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(table.hits()).isPositive();
    }
}
