package org.rookery.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventType;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

class RocksStoreTest {

    @TempDir
    Path dir;

    private RocksStore open() {
        return RocksStore.open(RocksStore.Options.builder(dir).partitions(4).build());
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private static byte[] b(int... bytes) {
        byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = (byte) bytes[i];
        }
        return out;
    }

    @Test
    void putsDeletesAndIncrementsAreVisibleAfterCommitAndAfterReopen() {
        try (RocksStore store = open()) {
            store.commit(new WriteBatch()
                    .put(Table.TWEETS, Bytes.key(1), Bytes.utf8("one"))
                    .put(Table.TWEETS, Bytes.key(2), Bytes.utf8("two"))
                    .put(Table.ACCOUNTS, Bytes.key(1), Bytes.utf8("acct"))
                    .increment(Table.COUNTERS, Bytes.key(7), 5));
            store.commit(new WriteBatch()
                    .delete(Table.TWEETS, Bytes.key(2))
                    .increment(Table.COUNTERS, Bytes.key(7), 3));

            assertThat(store.get(Table.TWEETS, Bytes.key(1))).asString().isEqualTo("one");
            assertThat(store.get(Table.TWEETS, Bytes.key(2))).isNull();
            assertThat(store.get(Table.ACCOUNTS, Bytes.key(1))).asString().isEqualTo("acct");
            assertThat(store.get(Table.HANDLES, Bytes.key(1))).as("tables are separate").isNull();
            assertThat(store.counter(Table.COUNTERS, Bytes.key(7))).isEqualTo(8);
            assertThat(store.counter(Table.COUNTERS, Bytes.key(8))).isZero();
        }
        try (RocksStore store = open()) {
            assertThat(store.get(Table.TWEETS, Bytes.key(1))).asString().isEqualTo("one");
            assertThat(store.get(Table.TWEETS, Bytes.key(2))).isNull();
            assertThat(store.counter(Table.COUNTERS, Bytes.key(7))).isEqualTo(8);
            store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(7), 1));
            assertThat(store.counter(Table.COUNTERS, Bytes.key(7))).isEqualTo(9);
        }
    }

    @Test
    void negativeIncrementsWrapLikeSignedLongs() {
        try (RocksStore store = open()) {
            store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(1), 5));
            store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(1), -7));
            assertThat(store.counter(Table.COUNTERS, Bytes.key(1))).isEqualTo(-2);
            store.commit(new WriteBatch().increment(Table.COUNTERS, Bytes.key(1), 2));
            assertThat(store.counter(Table.COUNTERS, Bytes.key(1))).isZero();
        }
    }

    @Test
    void failedWriteAppliesNothingAndConsumesNoOffsets() {
        try (RocksStore store = open()) {
            int p = store.partitionOf(9);
            store.commit(new WriteBatch().append(new Event(1, EventType.TWEET_CREATED, 9, 1, 0, 0)));
            store.beforeWrite = n -> {
                throw new IllegalStateException("disk on fire");
            };
            assertThatThrownBy(() -> store.commit(new WriteBatch()
                            .put(Table.TWEETS, Bytes.key(2), Bytes.utf8("two"))
                            .append(new Event(2, EventType.TWEET_CREATED, 9, 2, 0, 0))))
                    .isInstanceOf(RocksStoreException.class)
                    .hasMessageContaining("disk on fire");
            assertThat(store.get(Table.TWEETS, Bytes.key(2))).isNull();
            assertThat(store.endOffset(p)).isEqualTo(1);

            store.beforeWrite = null;
            store.commit(new WriteBatch().append(new Event(3, EventType.TWEET_CREATED, 9, 3, 0, 0)));
            assertThat(store.endOffset(p)).as("the failed group gave its offset back").isEqualTo(2);
        }
    }

    @Test
    void commitAfterCloseFailsAndCloseIsIdempotent() {
        RocksStore store = open();
        store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(1), Bytes.utf8("one")));
        store.close();
        store.close();
        assertThatThrownBy(() -> store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(2), Bytes.utf8("two"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("store is closed");
        assertThatThrownBy(() -> store.get(Table.TWEETS, Bytes.key(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("store is closed");
        try (RocksStore reopened = open()) {
            assertThat(reopened.get(Table.TWEETS, Bytes.key(1))).asString().isEqualTo("one");
            assertThat(reopened.get(Table.TWEETS, Bytes.key(2))).isNull();
        }
    }

    @Test
    void scanHonoursPrefixDirectionAndFrom() {
        try (RocksStore store = open()) {
            WriteBatch batch = new WriteBatch();
            for (byte[] k : List.of(b(0, 9), b(1), b(1, 0), b(1, 1), b(1, 2), b(1, 0xFF), b(2), b(2, 0),
                    b(0xFF, 1), b(0xFF, 0xFF))) {
                batch.put(Table.EDGES, k, k);
            }
            store.commit(batch);

            assertThat(scan(store, b(1), null, false)).containsExactly("01", "0100", "0101", "0102", "01ff");
            assertThat(scan(store, b(1), null, true)).containsExactly("01ff", "0102", "0101", "0100", "01");
            assertThat(scan(store, b(1), b(1, 1), false)).containsExactly("0101", "0102", "01ff");
            assertThat(scan(store, b(1), b(1, 1), true)).containsExactly("0101", "0100", "01");
            assertThat(scan(store, b(1), b(1, 1, 5), true)).containsExactly("0101", "0100", "01");
            // `from` outside the prefix: clamp to it, or nothing when the range is empty.
            assertThat(scan(store, b(1), b(0), false)).hasSize(5);
            assertThat(scan(store, b(1), b(0), true)).isEmpty();
            assertThat(scan(store, b(1), b(3), true)).hasSize(5);
            assertThat(scan(store, b(1), b(3), false)).isEmpty();
            // A prefix with no upper bound key, and the empty prefix.
            assertThat(scan(store, b(0xFF), null, true)).containsExactly("ffff", "ff01");
            assertThat(scan(store, b(0xFF, 0xFF), null, false)).containsExactly("ffff");
            assertThat(scan(store, new byte[0], null, false)).hasSize(10).startsWith("0009").endsWith("ffff");
            assertThat(scan(store, new byte[0], null, true)).hasSize(10).startsWith("ffff").endsWith("0009");
            assertThat(scan(store, b(3), null, false)).isEmpty();
            assertThat(scan(store, b(3), null, true)).isEmpty();

            List<String> firstTwo = new ArrayList<>();
            store.scan(Table.EDGES, b(1), null, true, (k, v) -> {
                firstTwo.add(hex(k));
                return firstTwo.size() < 2;
            });
            assertThat(firstTwo).containsExactly("01ff", "0102");
        }
    }

    private static List<String> scan(RocksStore store, byte[] prefix, byte[] from, boolean reverse) {
        List<String> keys = new ArrayList<>();
        store.scan(Table.EDGES, prefix, from, reverse, (k, v) -> {
            assertThat(v).isEqualTo(k);
            return keys.add(hex(k));
        });
        return keys;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }

    @Test
    void multiGetKeepsOrderAndReturnsNullForAbsentKeys() {
        try (RocksStore store = open()) {
            store.commit(new WriteBatch()
                    .put(Table.TWEETS, Bytes.key(1), Bytes.utf8("one"))
                    .put(Table.TWEETS, Bytes.key(3), Bytes.utf8("three"))
                    .put(Table.ACCOUNTS, Bytes.key(2), Bytes.utf8("not a tweet")));

            List<byte[]> values = store.multiGet(Table.TWEETS,
                    List.of(Bytes.key(3), Bytes.key(2), Bytes.key(1), Bytes.key(3)));
            assertThat(values).hasSize(4);
            assertThat(values.get(0)).asString().isEqualTo("three");
            assertThat(values.get(1)).isNull();
            assertThat(values.get(2)).asString().isEqualTo("one");
            assertThat(values.get(3)).asString().isEqualTo("three");
            assertThat(store.multiGet(Table.TWEETS, List.of())).isEmpty();
        }
    }

    @Test
    void concurrentCommittersShareRocksDbWrites() throws Exception {
        int writers = 64;
        try (RocksStore store = open()) {
            // Hold the first group until every other writer has queued, as a slow fsync would.
            AtomicBoolean first = new AtomicBoolean(true);
            AtomicInteger firstGroup = new AtomicInteger();
            store.beforeWrite = n -> {
                if (first.getAndSet(false)) {
                    firstGroup.set(n);
                    await("the other writers to queue", () -> n + store.queuedBatches() == writers);
                }
            };
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    long id = i;
                    done.add(pool.submit(() -> {
                        go.await();
                        store.commit(new WriteBatch()
                                .put(Table.TWEETS, Bytes.key(id), Bytes.key(id))
                                .increment(Table.COUNTERS, Bytes.key(0), 1)
                                .append(new Event(id, EventType.TWEET_CREATED, id, id, 0, 0)));
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : done) {
                    f.get(10, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(store.committedBatches()).isEqualTo(writers);
            assertThat(store.appendedEvents()).isEqualTo(writers);
            assertThat(firstGroup.get()).isLessThan(writers);
            assertThat(store.commitGroups()).as("the held group, then everyone else at once").isEqualTo(2);
            assertThat(store.counter(Table.COUNTERS, Bytes.key(0))).isEqualTo(writers);
            long events = 0;
            for (int p = 0; p < store.partitionCount(); p++) {
                events += store.endOffset(p);
            }
            assertThat(events).isEqualTo(writers);
        }
    }

    @Test
    void concurrentCommittersWithoutHelpShareFsyncs() throws Exception {
        int writers = 64;
        int perWriter = 20;
        try (RocksStore store = open()) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    long base = w * 1000L;
                    done.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < perWriter; i++) {
                            store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(base + i), Bytes.key(i)));
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : done) {
                    f.get(20, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(store.committedBatches()).isEqualTo((long) writers * perWriter);
            assertThat(store.commitGroups())
                    .as("%s writes for %s batches", store.commitGroups(), store.committedBatches())
                    .isLessThan(store.committedBatches());
        }
    }

    @Test
    void fullCommitQueueRefusesWritesAtOnceAndAppliesNothingOfThem() throws Exception {
        try (RocksStore store = RocksStore.open(RocksStore.Options.builder(dir).partitions(4).maxQueuedBatches(2).build())) {
            // Hold the committer on the first batch, as a stalled disk would, while two more queue behind it.
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean first = new AtomicBoolean(true);
            store.beforeWrite = n -> {
                if (first.getAndSet(false)) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> accepted = new ArrayList<>();
                accepted.add(pool.submit(() -> store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(1), Bytes.key(1)))));
                await("the committer to take the first batch", () -> store.queuedBatches() == 0 && !first.get());
                for (long id = 2; id <= 3; id++) {
                    long k = id;
                    accepted.add(pool.submit(() -> store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(k), Bytes.key(k)))));
                }
                await("two batches to queue", () -> store.queuedBatches() == 2);

                assertThatThrownBy(() -> store.commit(new WriteBatch()
                        .put(Table.TWEETS, Bytes.key(4), Bytes.key(4))
                        .append(new Event(4, EventType.TWEET_CREATED, 4, 4, 0, 0))))
                        .isInstanceOf(org.rookery.core.store.StoreOverloadedException.class)
                        .hasMessageContaining("2 batches are already waiting");
                assertThat(store.refusedBatches()).isEqualTo(1);

                release.countDown();
                for (Future<?> f : accepted) {
                    f.get(10, TimeUnit.SECONDS);
                }
                // Once the queue drains, writes are accepted again.
                store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(5), Bytes.key(5)));
            } finally {
                release.countDown();
                pool.shutdownNow();
            }
            assertThat(store.get(Table.TWEETS, Bytes.key(4))).as("the refused write").isNull();
            for (long id : new long[] {1, 2, 3, 5}) {
                assertThat(store.get(Table.TWEETS, Bytes.key(id))).as("accepted write %s", id).isNotNull();
            }
            long events = 0;
            for (int p = 0; p < store.partitionCount(); p++) {
                events += store.endOffset(p);
            }
            assertThat(events).as("the refused batch's event").isZero();
        }
    }

    @Test
    void reopeningWithAnotherPartitionCountFails() {
        RocksStore.open(RocksStore.Options.builder(dir).partitions(4).build()).close();
        assertThatThrownBy(() -> RocksStore.open(RocksStore.Options.builder(dir).partitions(8).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("partitions: 8 (expected: 4, the count this store was created with");
        // The failed open released the directory's lock.
        try (RocksStore store = open()) {
            assertThat(store.partitionCount()).isEqualTo(4);
        }
    }

    @Test
    void optionsRejectBadValuesWithTheFieldName() {
        RocksStore.Options.Builder builder = RocksStore.Options.builder(dir);
        assertThatThrownBy(() -> builder.partitions(0)).hasMessage("partitions: 0 (expected: > 0)");
        assertThatThrownBy(() -> builder.partitions(1024)).hasMessage("partitions: 1024 (expected: < 1024)");
        assertThatThrownBy(() -> builder.retention(Duration.ZERO)).hasMessage("retention: PT0S (expected: > 0)");
        assertThatThrownBy(() -> builder.blockCacheBytes(-1)).hasMessage("blockCacheBytes: -1 (expected: > 0)");
        assertThatThrownBy(() -> builder.maxQueuedBatches(0)).hasMessage("maxQueuedBatches: 0 (expected: > 0)");
        RocksStore.Options defaults = RocksStore.Options.of(dir);
        assertThat(defaults.partitions()).isEqualTo(16);
        assertThat(defaults.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(defaults.syncWrites()).isTrue();
        assertThat(defaults.blockCacheBytes()).isEqualTo(64L << 20);
        assertThat(defaults.toBuilder().partitions(3).build().partitions()).isEqualTo(3);
        assertThat(Arrays.stream(Table.values()).map(RocksStore::cfName)).contains("user_timelines", "counters");
    }
}
