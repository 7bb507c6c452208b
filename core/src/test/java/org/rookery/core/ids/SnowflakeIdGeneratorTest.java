package org.rookery.core.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.rookery.core.ids.SnowflakeIdGenerator.EPOCH;
import static org.rookery.core.ids.SnowflakeIdGenerator.minIdAt;
import static org.rookery.core.ids.SnowflakeIdGenerator.sequence;
import static org.rookery.core.ids.SnowflakeIdGenerator.timestampMillis;
import static org.rookery.core.ids.SnowflakeIdGenerator.workerId;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SnowflakeIdGeneratorTest {

    private static final long START = Instant.parse("2025-03-14T15:09:26.535Z").toEpochMilli();
    private static final long LAST_MILLIS = Instant.parse("2093-09-06T15:47:35.551Z").toEpochMilli();

    @Test
    void epochIsTheFirstMillisecondOf2024() {
        assertThat(EPOCH).isEqualTo(Instant.parse("2024-01-01T00:00:00Z").toEpochMilli());
    }

    @Test
    void packsTimestampWorkerAndSequenceIntoTheirBits() {
        FakeClock clock = new FakeClock(EPOCH + 123_456, 1_000);
        SnowflakeIdGenerator generator = generator(1023, clock, Duration.ZERO);

        long first = generator.nextId();
        long second = generator.nextId();

        assertThat(first).isEqualTo((123_456L << 22) | (1023L << 12));
        assertThat(second).isEqualTo(first + 1);
        assertThat(timestampMillis(second)).isEqualTo(EPOCH + 123_456);
        assertThat(workerId(second)).isEqualTo(1023);
        assertThat(sequence(second)).isEqualTo(1);
    }

    @Test
    void fieldsRoundTripAtTheEdgesOfTheirRanges() {
        for (int worker : new int[] {0, 1, 512, 1023}) {
            for (long millis : new long[] {EPOCH, START, LAST_MILLIS}) {
                long id = generator(worker, new FakeClock(millis, 1_000), Duration.ZERO).nextId();

                assertThat(id).isNotNegative();
                assertThat(timestampMillis(id)).isEqualTo(millis);
                assertThat(workerId(id)).isEqualTo(worker);
                assertThat(sequence(id)).isZero();
            }
        }
    }

    @Test
    void minIdAtIsTheSmallestIdOfItsMillisecond() {
        long id = generator(1023, new FakeClock(START, 1_000), Duration.ZERO).nextId();

        assertThat(minIdAt(EPOCH)).isZero();
        assertThat(minIdAt(START)).isLessThanOrEqualTo(id);
        assertThat(minIdAt(START + 1)).isGreaterThan(id);
        assertThat(timestampMillis(minIdAt(START))).isEqualTo(START);
        assertThat(workerId(minIdAt(START))).isZero();
        assertThat(sequence(minIdAt(START))).isZero();
        assertThat(minIdAt(LAST_MILLIS)).isEqualTo(Long.MAX_VALUE - (1 << 22) + 1);
    }

    @Test
    void rejectsTimesTheFormatCannotHold() {
        assertThatThrownBy(() -> minIdAt(EPOCH - 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("epochMillis: 1704067199999 (expected: 1704067200000-3903090455551)");
        assertThatThrownBy(() -> minIdAt(LAST_MILLIS + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> generator(1, new FakeClock(EPOCH - 1, 1_000), Duration.ZERO).nextId())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("clock: 2023-12-31T23:59:59.999Z "
                        + "(expected: 2024-01-01T00:00:00Z to 2093-09-06T15:47:35.551Z)");
        assertThatThrownBy(() -> generator(1, new FakeClock(LAST_MILLIS + 1, 1_000), Duration.ZERO).nextId())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsNegativeIds() {
        assertThatThrownBy(() -> timestampMillis(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id: -1 (expected: >= 0)");
        assertThatThrownBy(() -> workerId(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sequence(Long.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void validatesConstructorArguments() {
        InstantSource clock = InstantSource.system();
        Duration wait = Duration.ofMillis(5);

        assertThatThrownBy(() -> new SnowflakeIdGenerator(1024, clock, wait))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("workerId: 1024 (expected: 0-1023)");
        assertThatThrownBy(() -> new SnowflakeIdGenerator(-1, clock, wait))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("workerId: -1 (expected: 0-1023)");
        assertThatThrownBy(() -> new SnowflakeIdGenerator(1, clock, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBackwardsWait: PT-0.001S (expected: >= 0)");
        assertThatThrownBy(() -> new SnowflakeIdGenerator(1, null, wait))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("clock");
        assertThatThrownBy(() -> new SnowflakeIdGenerator(1, clock, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("maxBackwardsWait");
    }

    @Test
    void acceptsAnyNonNegativeBackwardsWait() {
        FakeClock clock = new FakeClock(START, 1_000);
        SnowflakeIdGenerator generator =
                generator(0, clock, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
        long first = generator.nextId();
        clock.jump(-100);

        assertThat(generator.nextId()).isGreaterThan(first);
    }

    @Test
    void waitsForNextMillisecondWhenSequenceWraps() {
        FakeClock clock = new FakeClock(START, 100); // 10,000 reads per millisecond
        SnowflakeIdGenerator generator = generator(5, clock, Duration.ZERO);

        long[] ids = LongStream.generate(generator::nextId).limit(4_097).toArray();

        for (int i = 0; i < 4_096; i++) {
            assertThat(timestampMillis(ids[i])).isEqualTo(START);
            assertThat(sequence(ids[i])).isEqualTo(i);
        }
        assertThat(timestampMillis(ids[4_096])).isEqualTo(START + 1);
        assertThat(sequence(ids[4_096])).isZero();
        assertThat(ids[4_096]).isGreaterThan(ids[4_095]);
        // It re-read the clock until it moved on, rather than reusing a sequence number.
        assertThat(clock.reads()).isGreaterThan(9_000);
    }

    @Test
    void clockMovingBackwardsWhileWaitingForNextMillisecondLeavesNoDuplicate() {
        // 4,097 reads at START (the last finds the sequence used up), one a millisecond back while
        // the generator waits for START + 1, a few more at START, then START + 1 for good.
        InstantSource clock = new InstantSource() {
            private int reads;

            @Override
            public long millis() {
                reads++;
                if (reads == 4_098) {
                    return START - 1;
                }
                return reads <= 4_105 ? START : START + 1;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
            }
        };
        SnowflakeIdGenerator generator = new SnowflakeIdGenerator(9, clock, Duration.ZERO);
        long[] ids = LongStream.generate(generator::nextId).limit(4_096).toArray();

        assertThatThrownBy(generator::nextId).isInstanceOf(ClockMovedBackwardsException.class);
        long next = generator.nextId();

        assertThat(next).isGreaterThan(ids[4_095]);
        assertThat(timestampMillis(next)).isEqualTo(START + 1);
        assertThat(sequence(next)).isZero();
    }

    @Test
    void resetsSequenceInEachNewMillisecond() {
        FakeClock clock = new FakeClock(START, 1_000_000); // one millisecond per read

        SnowflakeIdGenerator generator = generator(5, clock, Duration.ZERO);
        long first = generator.nextId();
        long second = generator.nextId();

        assertThat(timestampMillis(second)).isEqualTo(START + 1);
        assertThat(sequence(first)).isZero();
        assertThat(sequence(second)).isZero();
    }

    @Test
    void waitsForClockThatMovedBackwardsWithinTheBound() {
        FakeClock clock = new FakeClock(START, 1_000);
        SnowflakeIdGenerator generator = generator(3, clock, Duration.ofMillis(10));
        long before = generator.nextId();
        long waitStart = clock.nanoTime();

        clock.jump(-10);
        long after = generator.nextId();

        assertThat(after).isGreaterThan(before);
        assertThat(timestampMillis(after)).isEqualTo(START);
        assertThat(sequence(after)).isEqualTo(1);
        assertThat(clock.nanoTime() - waitStart).isBetween(
                TimeUnit.MILLISECONDS.toNanos(9), TimeUnit.MILLISECONDS.toNanos(11));
    }

    @Test
    void throwsAtOnceWhenClockIsFurtherBehindThanTheBound() {
        FakeClock clock = new FakeClock(START, 1_000);
        SnowflakeIdGenerator generator = generator(3, clock, Duration.ofMillis(10));
        long before = generator.nextId();
        long readsBefore = clock.reads();

        clock.jump(-11);

        assertThatThrownBy(generator::nextId)
                .isInstanceOfSatisfying(ClockMovedBackwardsException.class, e -> {
                    assertThat(e.clockMillis()).isEqualTo(START - 11);
                    assertThat(e.lastTimestampMillis()).isEqualTo(START);
                })
                .hasMessage("Clock moved backwards: it reads 2025-03-14T15:09:26.524Z, earlier than the "
                        + "last id's timestamp 2025-03-14T15:09:26.535Z (11 ms behind, more than "
                        + "maxBackwardsWait (PT0.01S), so not waiting); no id issued, retry once the "
                        + "clock has caught up");
        assertThat(clock.reads() - readsBefore).isOne();

        // Nothing changed: once the clock is back, ids carry on from where they were.
        clock.jump(11);
        long after = generator.nextId();
        assertThat(after).isGreaterThan(before);
        assertThat(sequence(after)).isEqualTo(1);
    }

    @Test
    void throwsWhenClockStaysBehindLongerThanTheBound() {
        FakeClock clock = new FakeClock(START, 1_000);
        SnowflakeIdGenerator generator = generator(3, clock, Duration.ofMillis(10));
        long before = generator.nextId();
        long waitStart = clock.nanoTime();

        clock.jump(-2);
        clock.freeze();

        assertThatThrownBy(generator::nextId)
                .isInstanceOf(ClockMovedBackwardsException.class)
                .hasMessageContaining("it reads 2025-03-14T15:09:26.533Z")
                .hasMessageContaining("last id's timestamp 2025-03-14T15:09:26.535Z")
                .hasMessageContaining("still 2 ms behind after waiting maxBackwardsWait (PT0.01S)");
        assertThat(clock.nanoTime() - waitStart).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(10));

        clock.unfreeze();
        assertThat(generator.nextId()).isGreaterThan(before);
    }

    @Test
    void throwsOnAnyBackwardsMoveWhenTheBoundIsZero() {
        FakeClock clock = new FakeClock(START, 1_000);
        SnowflakeIdGenerator generator = generator(3, clock, Duration.ZERO);
        generator.nextId();

        clock.jump(-1);

        assertThatThrownBy(generator::nextId).isInstanceOf(ClockMovedBackwardsException.class);
    }

    @Test
    void generatorsWithDifferentWorkerIdsNeverCollide() {
        FakeClock clock = new FakeClock(START, 100);
        SnowflakeIdGenerator one = generator(1, clock, Duration.ZERO);
        SnowflakeIdGenerator two = generator(2, clock, Duration.ZERO);

        long[] ids = new long[20_000];
        for (int i = 0; i < ids.length; i += 2) {
            ids[i] = one.nextId();
            ids[i + 1] = two.nextId();
        }

        assertThat(Arrays.stream(ids).distinct().count()).isEqualTo(ids.length);
    }

    @Test
    void manyThreadsGetUniqueIncreasingIds() throws Exception {
        SnowflakeIdGenerator generator =
                new SnowflakeIdGenerator(42, InstantSource.system(), Duration.ofMillis(50));
        int threads = 8;
        int perThread = 50_000;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            Future<?>[] futures = new Future<?>[threads];
            long[][] ids = new long[threads][perThread];
            for (int t = 0; t < threads; t++) {
                long[] mine = ids[t];
                futures[t] = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        mine[i] = generator.nextId();
                    }
                    return null;
                });
            }
            for (Future<?> future : futures) {
                future.get(30, TimeUnit.SECONDS);
            }

            for (long[] mine : ids) {
                for (int i = 1; i < perThread; i++) {
                    assertThat(mine[i]).isGreaterThan(mine[i - 1]);
                }
            }
            long[] all = Arrays.stream(ids).flatMapToLong(Arrays::stream).sorted().toArray();
            for (int i = 1; i < all.length; i++) {
                if (all[i] == all[i - 1]) {
                    throw new AssertionError("duplicate id " + all[i]);
                }
            }
            assertThat(all).hasSize(threads * perThread);
            assertThat(Arrays.stream(all).allMatch(id -> workerId(id) == 42)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    static SnowflakeIdGenerator generator(int workerId, FakeClock clock, Duration maxBackwardsWait) {
        return new SnowflakeIdGenerator(workerId, clock, maxBackwardsWait, clock);
    }

    /**
     * A clock that needs no real time. Its true time (the {@link SnowflakeIdGenerator.Ticker} view)
     * starts at zero and moves only when it is read, by {@code nanosPerRead}, or parked on; its wall
     * time (the {@link InstantSource} view) is the true time plus a start and an offset that
     * {@link #jump} moves, as an NTP step would. {@link #freeze} stops the wall time while true time
     * goes on. Not thread-safe.
     */
    static final class FakeClock implements InstantSource, SnowflakeIdGenerator.Ticker {
        private final long startMillis;
        private long nanosPerRead;
        private long nanos;
        private long offsetMillis;
        private long reads;
        private boolean frozen;
        private long frozenMillis;

        FakeClock(long startMillis, long nanosPerRead) {
            this.startMillis = startMillis;
            this.nanosPerRead = nanosPerRead;
        }

        @Override
        public long millis() {
            long millis = peekMillis();
            nanos += nanosPerRead;
            reads++;
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        /** What the next {@link #millis()} will return, without advancing. */
        long peekMillis() {
            return frozen ? frozenMillis : startMillis + offsetMillis + nanos / 1_000_000;
        }

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public void parkNanos(long parkNanos) {
            nanos += parkNanos;
        }

        void jump(long deltaMillis) {
            offsetMillis += deltaMillis;
        }

        void setNanosPerRead(long nanosPerRead) {
            this.nanosPerRead = nanosPerRead;
        }

        void freeze() {
            frozenMillis = peekMillis();
            frozen = true;
        }

        /** Resumes wall time where it would have been had it never stopped. */
        void unfreeze() {
            frozen = false;
        }

        long reads() {
            return reads;
        }
    }
}
