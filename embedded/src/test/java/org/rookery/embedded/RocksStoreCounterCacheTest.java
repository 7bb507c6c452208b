package org.rookery.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

/**
 * The store keeps counters it has read in memory ({@link CounterCache}); a read after a commit must
 * still see that commit, whether the counter was cached, absent, evicted, or being read by another
 * thread while the commit went in.
 */
class RocksStoreCounterCacheTest {

    @TempDir
    Path dir;

    private RocksStore open(int counterCacheEntries) {
        return RocksStore.open(RocksStore.Options.builder(dir).partitions(2).syncWrites(false)
                .counterCacheEntries(counterCacheEntries).build());
    }

    private static List<byte[]> keys(long... ids) {
        List<byte[]> out = new ArrayList<>();
        for (long id : ids) {
            out.add(Bytes.key(id));
        }
        return out;
    }

    private static long value(byte[] v) {
        return v == null ? 0 : Bytes.fromLittleEndian(v);
    }

    @ParameterizedTest(name = "counter cache of {0} entries")
    @ValueSource(ints = {0, 2, 1000})
    void everyCommitIsSeenByTheNextReadOfItsCounters(int entries) {
        try (RocksStore store = open(entries)) {
            assertThat(store.counter(Table.COUNTERS, Bytes.key(1))).isZero(); // absent, now cached as absent
            assertThat(store.multiGet(Table.COUNTERS, keys(1, 2, 3))).containsExactly(null, null, null);

            store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(1), 5)
                    .increment(Table.COUNTERS, Bytes.key(3), 2));
            assertThat(store.counter(Table.COUNTERS, Bytes.key(1))).isEqualTo(5);
            assertThat(store.multiGet(Table.COUNTERS, keys(3, 2, 1)).stream().map(RocksStoreCounterCacheTest::value))
                    .containsExactly(2L, 0L, 5L);

            store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(1), -1));
            assertThat(store.multiGet(Table.COUNTERS, keys(1, 3, 1)).stream().map(RocksStoreCounterCacheTest::value))
                    .as("mixed hits, repeated keys, order kept").containsExactly(4L, 2L, 4L);

            store.commit(new WriteBatch().delete(Table.COUNTERS, Bytes.key(3)));
            assertThat(store.get(Table.COUNTERS, Bytes.key(3))).as("deleted counter").isNull();
            assertThat(store.multiGet(Table.COUNTERS, keys(3))).containsExactly((byte[]) null);

            store.commit(new WriteBatch().put(Table.COUNTERS, Bytes.key(2), Bytes.littleEndian(42)));
            assertThat(store.counter(Table.COUNTERS, Bytes.key(2))).as("a put replaces a cached absence").isEqualTo(42);
        }
    }

    /**
     * Writers increment 8 counters while readers read them; each reader checks that every value it
     * reads is at least what had been acknowledged before its read began. A cache that kept a value
     * loaded just before a commit would fail this (and the final totals) for good.
     */
    @ParameterizedTest(name = "counter cache of {0} entries")
    @ValueSource(ints = {4, 1000})
    void readersRacingWritersNeverSeeLessThanWasAcknowledged(int entries) throws Exception {
        int counters = 8;
        int perWriter = 3_000;
        AtomicLongArray acknowledged = new AtomicLongArray(counters);
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (RocksStore store = open(entries)) {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int offset = w;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        int k = (i + offset) % counters;
                        store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(k), 1));
                        acknowledged.incrementAndGet(k);
                    }
                    return null;
                }));
            }
            List<Future<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    long reads = 0;
                    List<byte[]> all = keys(0, 1, 2, 3, 4, 5, 6, 7);
                    while (writing.get()) {
                        long[] before = new long[counters];
                        for (int k = 0; k < counters; k++) {
                            before[k] = acknowledged.get(k);
                        }
                        List<byte[]> got = store.multiGet(Table.COUNTERS, all);
                        for (int k = 0; k < counters; k++) {
                            assertThat(value(got.get(k))).as("counter %d after %d acknowledged", k, before[k])
                                    .isGreaterThanOrEqualTo(before[k]);
                        }
                        reads++;
                    }
                    return reads;
                }));
            }
            for (Future<?> f : writers) {
                f.get();
            }
            writing.set(false);
            for (Future<Long> f : readers) {
                assertThat(f.get()).as("reads made while writing").isPositive();
            }
            for (int k = 0; k < counters; k++) {
                assertThat(store.counter(Table.COUNTERS, Bytes.key(k))).as("counter %d", k)
                        .isEqualTo(acknowledged.get(k)).isEqualTo(2L * perWriter / counters);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
