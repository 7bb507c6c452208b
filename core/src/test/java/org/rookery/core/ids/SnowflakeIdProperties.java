package org.rookery.core.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.rookery.core.ids.SnowflakeIdGenerator.EPOCH;
import static org.rookery.core.ids.SnowflakeIdGenerator.minIdAt;
import static org.rookery.core.ids.SnowflakeIdGenerator.sequence;
import static org.rookery.core.ids.SnowflakeIdGenerator.timestampMillis;
import static org.rookery.core.ids.SnowflakeIdGenerator.workerId;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.rookery.core.ids.SnowflakeIdGeneratorTest.FakeClock;

/**
 * The generator against a fake clock that follows a random script of NTP-like jumps forwards and
 * backwards, stretches where it stands still for thousands of reads (so the sequence wraps) and
 * stretches where every read moves it by milliseconds. The fake clock's time advances only when it
 * is read or parked on, so no property waits in real time.
 */
class SnowflakeIdProperties {

    private static final long START = EPOCH + Duration.ofDays(400).toMillis();
    private static final long LAST_MILLIS = 3_903_090_455_551L; // 2093-09-06T15:47:35.551Z

    /** One move of the clock, then {@code ids} calls to nextId. */
    record Step(long jumpMillis, long nanosPerRead, int ids) {}

    @Property(tries = 300)
    void idsStrictlyIncreaseAndBackwardsJumpsBeyondTheBoundThrow(
            @ForAll("scripts") List<Step> script,
            @ForAll @IntRange(max = 20) int maxBackwardsWaitMillis,
            @ForAll @IntRange(max = 1023) int worker) {
        FakeClock clock = new FakeClock(START, 1_000);
        SnowflakeIdGenerator generator = SnowflakeIdGeneratorTest.generator(
                worker, clock, Duration.ofMillis(maxBackwardsWaitMillis));

        long last = -1;
        for (Step step : script) {
            clock.jump(step.jumpMillis());
            clock.setNanosPerRead(step.nanosPerRead());
            for (int i = 0; i < step.ids(); i++) {
                long behind = last < 0 ? 0 : timestampMillis(last) - clock.peekMillis();
                if (behind > maxBackwardsWaitMillis) {
                    long clockMillis = clock.peekMillis();
                    long lastMillis = timestampMillis(last);
                    assertThatThrownBy(generator::nextId)
                            .isInstanceOfSatisfying(ClockMovedBackwardsException.class, e -> {
                                assertThat(e.clockMillis()).isEqualTo(clockMillis);
                                assertThat(e.lastTimestampMillis()).isEqualTo(lastMillis);
                            });
                    break; // on to the next move of the clock
                }
                // Within the bound (or not behind at all) the generator must wait, never throw.
                long id = generator.nextId();
                // Strictly increasing, hence also unique.
                if (id <= last) {
                    throw new AssertionError("id " + id + " after " + last + " (step " + step + ')');
                }
                if (workerId(id) != worker || timestampMillis(id) > clock.peekMillis()) {
                    throw new AssertionError("id " + id + ": worker " + workerId(id) + ", timestamp "
                            + timestampMillis(id) + ", clock " + clock.peekMillis());
                }
                last = id;
            }
        }
    }

    @Property(tries = 200)
    void backwardsJumpBeyondTheBoundThrowsAndChangesNothing(
            @ForAll @IntRange(min = 1, max = 5_000) int idsBefore,
            @ForAll @IntRange(max = 20) int maxBackwardsWaitMillis,
            @ForAll @IntRange(min = 1, max = 100_000) int beyondMillis) {
        FakeClock clock = new FakeClock(START, 100);
        SnowflakeIdGenerator generator = SnowflakeIdGeneratorTest.generator(
                7, clock, Duration.ofMillis(maxBackwardsWaitMillis));
        long last = -1;
        for (int i = 0; i < idsBefore; i++) {
            last = generator.nextId();
        }

        long jump = timestampMillis(last) - clock.peekMillis() - maxBackwardsWaitMillis - beyondMillis;
        clock.jump(jump);

        assertThatThrownBy(generator::nextId).isInstanceOf(ClockMovedBackwardsException.class);
        assertThatThrownBy(generator::nextId).isInstanceOf(ClockMovedBackwardsException.class);
        clock.jump(-jump);
        assertThat(generator.nextId()).isGreaterThan(last);
    }

    @Property(tries = 200)
    void minIdAtSeparatesIdsMadeBeforeFromIdsMadeAtOrAfter(
            @ForAll @LongRange(min = EPOCH, max = LAST_MILLIS - 1) long millis,
            @ForAll @IntRange(max = 1023) int worker,
            @ForAll @IntRange(min = 1, max = 4_096) int count) {
        FakeClock clock = new FakeClock(millis, 1); // a million reads per millisecond
        SnowflakeIdGenerator generator = SnowflakeIdGeneratorTest.generator(worker, clock, Duration.ZERO);

        for (int i = 0; i < count; i++) {
            long id = generator.nextId();
            if (id < minIdAt(millis) || id >= minIdAt(millis + 1)
                    || timestampMillis(id) != millis || workerId(id) != worker || sequence(id) != i) {
                throw new AssertionError("id " + id + " (#" + i + ") at " + millis + ", worker " + worker);
            }
        }
        assertThat(timestampMillis(minIdAt(millis))).isEqualTo(millis);
    }

    @Provide
    Arbitrary<List<Step>> scripts() {
        Arbitrary<Long> jumps = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(1, 50)), // forwards
                Tuple.of(3, Arbitraries.longs().between(-60, -1)), // backwards
                Tuple.of(4, Arbitraries.just(0L))); // no jump
        Arbitrary<Long> nanosPerRead = Arbitraries.of(
                50L,          // 20,000 reads per ms: stands still long enough for the sequence to wrap
                1_000L,       // 1,000 reads per ms
                300_000L,     // a few reads per ms
                1_000_000L,   // one ms per read
                3_000_000L);  // several ms per read
        Arbitrary<Integer> ids = Arbitraries.frequencyOf(
                Tuple.of(9, Arbitraries.integers().between(1, 40)),
                Tuple.of(1, Arbitraries.integers().between(4_000, 9_000)));
        return Combinators.combine(jumps, nanosPerRead, ids).as(Step::new).list().ofMinSize(1).ofMaxSize(25);
    }
}
