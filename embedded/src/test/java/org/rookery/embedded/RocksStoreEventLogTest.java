package org.rookery.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.rookery.embedded.RocksStoreTest.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventType;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

class RocksStoreEventLogTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long HOUR = Duration.ofHours(1).toMillis();

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(T0);

    /** A settable clock: the log's accept times in these tests. */
    static final class FakeClock implements InstantSource {
        private final AtomicLong millis;

        FakeClock(long millis) {
            this.millis = new AtomicLong(millis);
        }

        void set(long value) {
            millis.set(value);
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }

    private RocksStore open(UnaryOperator<RocksStore.Options.Builder> configure) {
        return RocksStore.open(configure.apply(RocksStore.Options.builder(dir).clock(clock)).build());
    }

    private RocksStore open() {
        return open(b -> b.partitions(8));
    }

    private static Event event(long id, long actor) {
        return new Event(id, EventType.TWEET_CREATED, actor, id, 0, 0);
    }

    private static void append(RocksStore store, long id, long actor) {
        store.commit(new WriteBatch().put(Table.TWEETS, Bytes.key(id), Bytes.key(actor)).append(event(id, actor)));
    }

    /** Everything the consumer can read now. */
    private static List<LogRecord> drain(EventConsumer consumer) throws InterruptedException {
        List<LogRecord> all = new ArrayList<>();
        for (List<LogRecord> got; !(got = consumer.poll(100, Duration.ZERO)).isEmpty(); ) {
            all.addAll(got);
        }
        return all;
    }

    private static List<Long> ids(List<LogRecord> records) {
        return records.stream().map(r -> r.event().id()).toList();
    }

    /** An actor whose events land in {@code partition}. */
    private static long actorIn(RocksStore store, int partition) {
        for (long a = 1; ; a++) {
            if (store.partitionOf(a) == partition) {
                return a;
            }
        }
    }

    @Test
    void offsetsAreDensePerPartitionAndKeepEachActorsOrder() throws Exception {
        try (RocksStore store = open()) {
            int threads = 8;
            int perThread = 50;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long actor = 100 + t; // one actor per thread: its commit order is its event order
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            append(store, actor * 1000 + i, actor);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(20, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            try (EventConsumer all = store.subscribe("check", StartFrom.earliest())) {
                List<LogRecord> records = drain(all);
                assertThat(records).hasSize(threads * perThread);
                for (int p = 0; p < store.partitionCount(); p++) {
                    int partition = p;
                    List<LogRecord> inP = records.stream().filter(r -> r.partition() == partition).toList();
                    assertThat(inP).extracting(LogRecord::offset)
                            .containsExactlyElementsOf(IntStream.range(0, inP.size()).mapToObj(i -> (long) i).toList());
                    assertThat(store.endOffset(p)).isEqualTo(inP.size());
                    assertThat(inP).allSatisfy(r -> assertThat(store.partitionOf(r.event().actorId())).isEqualTo(partition));
                }
                for (int t = 0; t < threads; t++) {
                    long actor = 100 + t;
                    assertThat(records.stream().filter(r -> r.event().actorId() == actor).map(r -> r.event().id()))
                            .isSorted()
                            .hasSize(perThread);
                }
            }
        }
    }

    @Test
    void acceptTimesNeverDecreaseWithinAPartition() throws Exception {
        try (RocksStore store = open(b -> b.partitions(1))) {
            clock.set(T0 + 100);
            append(store, 1, 7);
            clock.set(T0 + 50); // the clock steps back
            append(store, 2, 7);
            clock.set(T0 + 200);
            append(store, 3, 7);
            try (EventConsumer c = store.subscribe("c", StartFrom.earliest())) {
                assertThat(drain(c)).extracting(r -> r.event().timestampMillis())
                        .containsExactly(T0 + 100, T0 + 100, T0 + 200);
            }
        }
    }

    @Test
    void eventsSurviveReopenAndOffsetsContinue() throws Exception {
        long actor;
        int p;
        try (RocksStore store = open()) {
            actor = actorIn(store, 3);
            p = 3;
            for (int i = 0; i < 5; i++) {
                append(store, i, actor);
            }
        }
        try (RocksStore store = open()) {
            assertThat(store.startOffset(p)).isZero();
            assertThat(store.endOffset(p)).isEqualTo(5);
            append(store, 5, actor);
            try (EventConsumer c = store.subscribe("c", StartFrom.earliest())) {
                List<LogRecord> records = drain(c);
                assertThat(ids(records)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
                assertThat(records).extracting(LogRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
                assertThat(records.getFirst().event()).isEqualTo(event(0, actor).withTimestamp(T0));
            }
        }
    }

    @Test
    void consumerResumesFromCommittedPositionAndRedeliversTheRest() throws Exception {
        try (RocksStore store = open(b -> b.partitions(1))) {
            for (int i = 0; i < 10; i++) {
                append(store, i, 1);
            }
            try (EventConsumer c = store.subscribe("fanout", StartFrom.savedOrEarliest())) {
                assertThat(ids(c.poll(4, Duration.ZERO))).containsExactly(0L, 1L, 2L, 3L);
                c.commit();
                assertThat(ids(c.poll(4, Duration.ZERO))).containsExactly(4L, 5L, 6L, 7L);
                assertThat(c.position(0)).isEqualTo(8);
                // not committed: a crash here must deliver 4..7 again
            }
        }
        try (RocksStore store = open(b -> b.partitions(1))) {
            try (EventConsumer c = store.subscribe("fanout", StartFrom.savedOrLatest())) {
                assertThat(c.position(0)).isEqualTo(4);
                assertThat(ids(drain(c))).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);
                c.commit();
            }
            try (EventConsumer c = store.subscribe("fanout", StartFrom.savedOrEarliest())) {
                assertThat(c.poll(10, Duration.ZERO)).isEmpty();
                c.seek(StartFrom.earliest());
                assertThat(drain(c)).hasSize(10);
            }
            try (EventConsumer fresh = store.subscribe("newcomer", StartFrom.savedOrLatest())) {
                assertThat(fresh.position(0)).isEqualTo(10);
            }
            try (EventConsumer other = store.subscribe("indexer", StartFrom.savedOrEarliest())) {
                assertThat(ids(drain(other))).as("names are independent").hasSize(10);
            }
        }
    }

    @Test
    void commitsThatMoveDifferentPartitionsKeepEveryPosition() throws Exception {
        long first;
        long second;
        try (RocksStore store = open(b -> b.partitions(4))) {
            first = actorIn(store, 1);
            second = actorIn(store, 3);
            try (EventConsumer c = store.subscribe("fanout", StartFrom.savedOrEarliest())) {
                append(store, 1, first);
                append(store, 2, first);
                assertThat(ids(drain(c))).containsExactly(1L, 2L);
                c.commit(); // moves partition 1 only
                append(store, 3, second);
                assertThat(ids(drain(c))).containsExactly(3L);
                c.commit(); // moves partition 3 only
                append(store, 4, first);
                append(store, 5, second);
                assertThat(ids(drain(c))).containsExactlyInAnyOrder(4L, 5L);
                // not committed: both must come again
            }
        }
        try (RocksStore store = open(b -> b.partitions(4));
             EventConsumer c = store.subscribe("fanout", StartFrom.savedOrLatest())) {
            assertThat(c.position(1)).isEqualTo(2);
            assertThat(c.position(3)).isEqualTo(1);
            assertThat(ids(drain(c))).containsExactlyInAnyOrder(4L, 5L);
        }
    }

    @Test
    void rewindsByTime() throws Exception {
        try (RocksStore store = open(b -> b.partitions(2))) {
            for (int h = 0; h <= 3; h++) {
                clock.set(T0 + h * HOUR);
                append(store, 10 + h, 5); // one actor: one partition
                append(store, 20 + h, actorIn(store, 1 - store.partitionOf(5)));
            }
            Instant twoHoursAgo = clock.instant().minus(Duration.ofHours(2));
            try (EventConsumer c = store.subscribe("rewind", StartFrom.time(twoHoursAgo))) {
                assertThat(ids(drain(c))).containsExactlyInAnyOrder(11L, 12L, 13L, 21L, 22L, 23L);
            }
            int p = store.partitionOf(5);
            assertThat(store.offsetForTime(p, Instant.ofEpochMilli(T0))).isZero();
            assertThat(store.offsetForTime(p, Instant.ofEpochMilli(T0 + 1))).isEqualTo(1);
            assertThat(store.offsetForTime(p, Instant.ofEpochMilli(T0 + 3 * HOUR))).isEqualTo(3);
            assertThat(store.offsetForTime(p, Instant.ofEpochMilli(T0 + 4 * HOUR))).isEqualTo(4);
            assertThat(store.offsetForTime(p, Instant.MAX)).isEqualTo(4);
            assertThat(store.offsetForTime(p, Instant.MIN)).isZero();
        }
    }

    @Test
    void groupMembersSplitPartitionsDisjointlyAndCoverAll() throws Exception {
        try (RocksStore store = open(b -> b.partitions(10))) {
            for (int i = 0; i < 200; i++) {
                append(store, i, i % 37);
            }
            int members = 3;
            Set<Integer> partitions = new HashSet<>();
            Set<Long> seen = new HashSet<>();
            for (int m = 0; m < members; m++) {
                try (EventConsumer c = store.subscribe("fanout", m, members, StartFrom.savedOrEarliest())) {
                    for (int p : c.partitions()) {
                        assertThat(p % members).isEqualTo(m);
                        assertThat(partitions.add(p)).as("partition %s read by one member", p).isTrue();
                    }
                    for (LogRecord r : drain(c)) {
                        assertThat(seen.add(r.event().id())).isTrue();
                        assertThat(r.partition() % members).isEqualTo(m);
                    }
                }
            }
            assertThat(partitions).hasSize(10);
            assertThat(seen).hasSize(200);
            assertThatThrownBy(() -> store.subscribe("fanout", 3, 3, StartFrom.earliest()))
                    .hasMessage("member: 3 (expected: >= 0 and < 3)");
            assertThatThrownBy(() -> store.subscribe("fanout", 0, 0, StartFrom.earliest()))
                    .hasMessage("members: 0 (expected: > 0)");
            assertThatThrownBy(() -> store.subscribe("", StartFrom.earliest()))
                    .hasMessageStartingWith("group: \"\"");
        }
    }

    @Test
    void pollSharesItsBudgetAmongBusyAndQuietPartitions() throws Exception {
        try (RocksStore store = open(b -> b.partitions(2))) {
            long busy = actorIn(store, 0);
            long quiet = actorIn(store, 1);
            WriteBatch batch = new WriteBatch();
            for (int i = 0; i < 500; i++) {
                batch.append(event(i, busy));
            }
            store.commit(batch);
            append(store, 1000, quiet);
            try (EventConsumer c = store.subscribe("c", StartFrom.earliest())) {
                List<LogRecord> first = c.poll(10, Duration.ZERO);
                assertThat(first).hasSize(10);
                assertThat(ids(first)).contains(1000L);
                assertThat(first.stream().filter(r -> r.partition() == 0).map(LogRecord::offset)).isSorted();
            }
        }
    }

    @Test
    void retentionDropsOldEventsAndMovesConsumersUp() throws Exception {
        UnaryOperator<RocksStore.Options.Builder> config = b -> b.partitions(2).retention(Duration.ofHours(2));
        long actor;
        long emptied;
        try (RocksStore store = open(config)) {
            actor = actorIn(store, 0);
            emptied = actorIn(store, 1);
            for (int h = 0; h < 5; h++) {
                clock.set(T0 + h * HOUR);
                append(store, h, actor);
            }
            append(store, 99, emptied); // at 4h in partition 1
            try (EventConsumer c = store.subscribe("slow", StartFrom.earliest())) {
                c.commit(); // saved at 0
            }
            EventConsumer live = store.subscribe("live", StartFrom.earliest());

            clock.set(T0 + 4 * HOUR + 1);
            assertThat(store.enforceRetention()).as("events before 2h+1ms").isEqualTo(3);
            assertThat(store.startOffset(0)).isEqualTo(3);
            assertThat(store.endOffset(0)).isEqualTo(5);
            assertThat(ids(drain(live))).containsExactlyInAnyOrder(3L, 4L, 99L);
            live.close();
            try (EventConsumer slow = store.subscribe("slow", StartFrom.savedOrEarliest())) {
                assertThat(slow.position(0)).isEqualTo(3);
                assertThat(ids(drain(slow))).containsExactlyInAnyOrder(3L, 4L, 99L);
            }
            assertThat(store.enforceRetention()).isZero();

            clock.set(T0 + 7 * HOUR);
            assertThat(store.enforceRetention()).isEqualTo(3);
            assertThat(store.startOffset(1)).isEqualTo(store.endOffset(1)).isEqualTo(1);
        }
        try (RocksStore store = open(config)) {
            assertThat(store.startOffset(0)).isEqualTo(5);
            assertThat(store.endOffset(0)).as("an emptied partition keeps its offsets").isEqualTo(5);
            assertThat(store.endOffset(1)).isEqualTo(1);
            append(store, 100, emptied);
            try (EventConsumer c = store.subscribe("slow", StartFrom.savedOrEarliest())) {
                List<LogRecord> records = drain(c);
                assertThat(records).singleElement().satisfies(r -> {
                    assertThat(r.offset()).isEqualTo(1);
                    assertThat(r.event().id()).isEqualTo(100);
                });
            }
        }
    }

    /** A poll running on its own thread, so tests can block it and see it return. */
    private static final class AsyncPoll {
        final CompletableFuture<List<LogRecord>> result = new CompletableFuture<>();
        final Thread thread;

        AsyncPoll(EventConsumer consumer) {
            thread = Thread.ofPlatform().name("poll-" + consumer.name()).start(() -> {
                try {
                    result.complete(consumer.poll(10, Duration.ofSeconds(30)));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            await("the poll of " + consumer.name() + " to block",
                    () -> thread.getState() == Thread.State.TIMED_WAITING || result.isDone());
            assertThat(result).as("blocked, not returned").isNotDone();
        }

        List<LogRecord> get() throws Exception {
            return result.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void pollWaitsForAnEventCommittedByAnotherThread() throws Exception {
        try (RocksStore store = open(b -> b.partitions(4));
                EventConsumer c = store.subscribe("c", StartFrom.latest())) {
            AsyncPoll poll = new AsyncPoll(c);
            append(store, 42, 3);
            assertThat(poll.get()).singleElement().satisfies(r -> assertThat(r.event().id()).isEqualTo(42));
        }
    }

    @Test
    void pollReturnsEmptyAfterItsTimeout() throws Exception {
        try (RocksStore store = open(); EventConsumer c = store.subscribe("c", StartFrom.latest())) {
            long start = System.nanoTime();
            assertThat(c.poll(10, Duration.ofMillis(200))).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        }
    }

    @Test
    void closingWakesABlockedPoll() throws Exception {
        RocksStore store = open();
        try {
            EventConsumer consumer = store.subscribe("c", StartFrom.latest());
            EventConsumer other = store.subscribe("d", StartFrom.latest());
            AsyncPoll a = new AsyncPoll(consumer);
            AsyncPoll b = new AsyncPoll(other);
            consumer.close();
            assertThat(a.get()).isEmpty();
            assertThat(b.result).as("closing one consumer leaves the others waiting").isNotDone();
            assertThatThrownBy(() -> consumer.poll(1, Duration.ZERO))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("consumer c is closed");
            store.close();
            assertThat(b.get()).isEmpty();
            assertThatThrownBy(() -> other.poll(1, Duration.ZERO))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("store is closed");
        } finally {
            store.close();
        }
    }

    @Test
    void commitsQueuedAtCloseAreWrittenBeforeTheStoreCloses() throws Exception {
        RocksStore store = open(b -> b.partitions(1));
        CompletableFuture<Void> release = new CompletableFuture<>();
        AtomicLong held = new AtomicLong();
        store.beforeWrite = n -> {
            held.addAndGet(n);
            release.join();
        };
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> commits = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long id = i;
                commits.add(pool.submit(() -> append(store, id, 1)));
            }
            await("all four commits held or queued", () -> held.get() + store.queuedBatches() == 4);
            Thread closer = Thread.ofPlatform().start(store::close);
            await("close to stop taking commits", store::isClosed);
            assertThatThrownBy(() -> append(store, 9, 1)).hasMessage("store is closed");
            assertThat(closer.isAlive()).as("close waits for the queued commits").isTrue();
            release.complete(null);
            closer.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(closer.isAlive()).isFalse();
            for (Future<?> f : commits) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            release.complete(null);
            store.close();
        }
        try (RocksStore reopened = open(b -> b.partitions(1))) {
            assertThat(reopened.endOffset(0)).isEqualTo(4);
        }
    }
}
