package org.rookery.core.ids;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.locks.LockSupport;

/**
 * Twitter's Snowflake: 64-bit ids that are unique across up to 1,024 workers and ordered by the time
 * they were made, so that sorting by id sorts by creation time and an id can serve as a pagination
 * cursor. From the most significant bit down an id holds:
 *
 * <ul>
 *   <li>1 unused sign bit, always 0, so ids are positive;
 *   <li>41 bits of milliseconds since {@link #EPOCH} (2024-01-01T00:00:00Z; enough until 2093);
 *   <li>10 bits of worker id, which the operator assigns so that no two live generators share one;
 *   <li>12 bits of sequence, counting the ids made within one millisecond.
 * </ul>
 *
 * <p>One generator therefore makes at most 4,096 ids per millisecond; a caller that asks for more
 * waits for the clock to reach the next millisecond. Time comes only from the {@link InstantSource}
 * given to the constructor. If that clock reads earlier than the timestamp of the last id (an NTP
 * step backwards, say), {@link #nextId()} waits, re-reading it, for up to {@code maxBackwardsWait} for it
 * to catch up, and otherwise throws {@link ClockMovedBackwardsException}: a generator never returns
 * an id twice, nor one smaller than an id it returned before. The clock must keep advancing: a
 * caller that has used up a millisecond's 4,096 ids waits for the next one without a bound.
 *
 * <p>This class is thread-safe. {@link #nextId()} is {@code synchronized}; the uncontended path is a
 * clock read, an increment and a few shifts, well below the 244 ns per id that the format's limit
 * of 4,096 ids per millisecond leaves.
 *
 * <pre>{@code
 * IdGenerator ids = new SnowflakeIdGenerator(7, InstantSource.system(), Duration.ofMillis(10));
 * long id = ids.nextId();
 * Instant made = Instant.ofEpochMilli(SnowflakeIdGenerator.timestampMillis(id));
 * int worker = SnowflakeIdGenerator.workerId(id); // 7
 *
 * // Ids made at or after a given instant, as a pagination cursor (min_id / since_id):
 * long sinceId = SnowflakeIdGenerator.minIdAt(Instant.parse("2025-06-01T00:00:00Z").toEpochMilli()) - 1;
 * }</pre>
 */
public final class SnowflakeIdGenerator implements IdGenerator {

    /** 2024-01-01T00:00:00Z in epoch milliseconds: the instant the 41-bit timestamp counts from. */
    public static final long EPOCH = 1_704_067_200_000L;

    /** The largest worker id, 1,023. */
    public static final int MAX_WORKER_ID = (1 << 10) - 1;

    /** The number of ids one generator can make in one millisecond, 4,096. */
    public static final int IDS_PER_MILLISECOND = 1 << 12;

    private static final int SEQUENCE_BITS = 12;
    private static final int WORKER_ID_BITS = 10;
    private static final int WORKER_ID_SHIFT = SEQUENCE_BITS;
    private static final int TIMESTAMP_SHIFT = SEQUENCE_BITS + WORKER_ID_BITS;
    private static final long SEQUENCE_MASK = IDS_PER_MILLISECOND - 1;
    private static final long MAX_TIMESTAMP = (1L << 41) - 1;
    /** The last instant an id can carry, 2093-09-06T15:47:35.551Z, in epoch milliseconds. */
    private static final long MAX_EPOCH_MILLIS = EPOCH + MAX_TIMESTAMP;

    /** How long to park at a time while the clock is more than a millisecond behind. */
    private static final long PARK_NANOS = 100_000;

    private final InstantSource clock;
    private final Ticker ticker;
    private final Duration maxBackwardsWait;
    private final long maxBackwardsWaitMillis;
    private final long maxBackwardsWaitNanos;
    private final long workerBits;

    // Guarded by this. lastMillis is the timestamp of the last id handed out; sequence its sequence.
    private long lastMillis = Long.MIN_VALUE;
    private long sequence;

    /**
     * Creates a generator.
     *
     * @param workerId this generator's worker id, 0 to 1,023, unique among live generators
     * @param clock where time comes from; {@link InstantSource#system()} in production
     * @param maxBackwardsWait how long {@link #nextId()} may wait for a clock that moved backwards to
     *     catch up before it throws {@link ClockMovedBackwardsException}; zero to throw at once
     */
    public SnowflakeIdGenerator(int workerId, InstantSource clock, Duration maxBackwardsWait) {
        this(workerId, clock, maxBackwardsWait, Ticker.SYSTEM);
    }

    /** As the public constructor, measuring and pausing waits with {@code ticker}: a seam for tests. */
    SnowflakeIdGenerator(int workerId, InstantSource clock, Duration maxBackwardsWait, Ticker ticker) {
        if (workerId < 0 || workerId > MAX_WORKER_ID) {
            throw new IllegalArgumentException(
                    "workerId: " + workerId + " (expected: 0-" + MAX_WORKER_ID + ')');
        }
        this.clock = requireNonNull(clock, "clock");
        this.maxBackwardsWait = requireNonNull(maxBackwardsWait, "maxBackwardsWait");
        if (maxBackwardsWait.isNegative()) {
            throw new IllegalArgumentException(
                    "maxBackwardsWait: " + maxBackwardsWait + " (expected: >= 0)");
        }
        this.ticker = requireNonNull(ticker, "ticker");
        maxBackwardsWaitNanos = saturatedNanos(maxBackwardsWait);
        maxBackwardsWaitMillis = maxBackwardsWait.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0
                ? Long.MAX_VALUE : maxBackwardsWait.toMillis();
        workerBits = (long) workerId << WORKER_ID_SHIFT;
    }

    /**
     * Returns the next id: larger than every id this generator returned before.
     *
     * @throws ClockMovedBackwardsException if the clock reads earlier than the last id's timestamp and
     *     does not catch up within {@code maxBackwardsWait}
     * @throws IllegalStateException if the clock reads before {@link #EPOCH} or after 2093-09-06,
     *     which 41 bits of milliseconds cannot express
     */
    @Override
    public synchronized long nextId() {
        long now = clock.millis();
        if (now < lastMillis) {
            now = awaitClockCatchUp(now);
        }
        if (now == lastMillis) {
            // The sequence is written only once we know the id is handed out, so that a throw while
            // waiting below leaves the state as it was and cannot cause a duplicate later.
            long next = (sequence + 1) & SEQUENCE_MASK;
            if (next != 0) {
                sequence = next;
                return compose(now, next);
            }
            now = awaitNextMillisecond();
        }
        if (now < EPOCH || now > MAX_EPOCH_MILLIS) {
            throw new IllegalStateException("clock: " + Instant.ofEpochMilli(now) + " (expected: "
                    + Instant.ofEpochMilli(EPOCH) + " to " + Instant.ofEpochMilli(MAX_EPOCH_MILLIS) + ')');
        }
        lastMillis = now;
        sequence = 0;
        return compose(now, 0);
    }

    /** The instant {@code id} was made, in epoch milliseconds. */
    public static long timestampMillis(long id) {
        checkId(id);
        return EPOCH + (id >>> TIMESTAMP_SHIFT);
    }

    /** The worker id of the generator that made {@code id}. */
    public static int workerId(long id) {
        checkId(id);
        return (int) (id >>> WORKER_ID_SHIFT) & MAX_WORKER_ID;
    }

    /** The position of {@code id} among the ids its generator made in the same millisecond. */
    public static int sequence(long id) {
        checkId(id);
        return (int) (id & SEQUENCE_MASK);
    }

    /**
     * The smallest id that any generator can make at {@code epochMillis}: every id made at that
     * millisecond or later is at least this, every id made earlier is smaller. Turns a time into a
     * pagination cursor.
     *
     * @throws IllegalArgumentException if {@code epochMillis} is before {@link #EPOCH} or after the
     *     last millisecond the format can express (2093-09-06T15:47:35.551Z)
     */
    public static long minIdAt(long epochMillis) {
        if (epochMillis < EPOCH || epochMillis > MAX_EPOCH_MILLIS) {
            throw new IllegalArgumentException("epochMillis: " + epochMillis
                    + " (expected: " + EPOCH + '-' + MAX_EPOCH_MILLIS + ')');
        }
        return (epochMillis - EPOCH) << TIMESTAMP_SHIFT;
    }

    @Override
    public String toString() {
        return "SnowflakeIdGenerator{workerId=" + (workerBits >>> WORKER_ID_SHIFT)
                + ", maxBackwardsWait=" + maxBackwardsWait + '}';
    }

    private long compose(long millis, long sequence) {
        assert millis >= EPOCH && millis <= MAX_EPOCH_MILLIS && sequence <= SEQUENCE_MASK;
        return ((millis - EPOCH) << TIMESTAMP_SHIFT) | workerBits | sequence;
    }

    /** Spins until the clock reads later than {@code lastMillis}, which takes under a millisecond. */
    private long awaitNextMillisecond() {
        while (true) {
            long now = clock.millis();
            if (now > lastMillis) {
                return now;
            }
            if (now < lastMillis && (now = awaitClockCatchUp(now)) > lastMillis) {
                return now;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Waits for a clock that reads {@code now}, earlier than {@code lastMillis}, to catch up; returns
     * its first reading at or after {@code lastMillis}.
     */
    private long awaitClockCatchUp(long now) {
        long waitStart = ticker.nanoTime();
        while (true) {
            long behind = lastMillis - now;
            if (behind <= 0) {
                return now;
            }
            if (behind > maxBackwardsWaitMillis) {
                // A clock that runs at the speed of time cannot make up the gap within the bound.
                throw clockMovedBackwards(now, behind + " ms behind, more than maxBackwardsWait ("
                        + maxBackwardsWait + "), so not waiting");
            }
            if (ticker.nanoTime() - waitStart > maxBackwardsWaitNanos) {
                throw clockMovedBackwards(now, "still " + behind + " ms behind after waiting "
                        + "maxBackwardsWait (" + maxBackwardsWait + ')');
            }
            if (behind > 1) {
                ticker.parkNanos(PARK_NANOS);
            } else {
                Thread.onSpinWait();
            }
            now = clock.millis();
        }
    }

    private ClockMovedBackwardsException clockMovedBackwards(long now, String detail) {
        return new ClockMovedBackwardsException(
                "Clock moved backwards: it reads " + Instant.ofEpochMilli(now)
                        + ", earlier than the last id's timestamp " + Instant.ofEpochMilli(lastMillis)
                        + " (" + detail + "); no id issued, retry once the clock has caught up",
                now, lastMillis);
    }

    private static void checkId(long id) {
        if (id < 0) {
            throw new IllegalArgumentException("id: " + id + " (expected: >= 0)");
        }
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Real time for bounding and pacing the wait for a clock that moved backwards. Production uses
     * {@link #SYSTEM}; tests pass a fake whose {@code parkNanos} advances their fake clock, so that
     * they neither sleep nor depend on the machine's speed.
     */
    interface Ticker {
        Ticker SYSTEM = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void parkNanos(long nanos) {
                LockSupport.parkNanos(nanos);
            }
        };

        /** A monotonic time in nanoseconds, as {@link System#nanoTime()}. */
        long nanoTime();

        /** Pauses the calling thread for about {@code nanos}, as {@link LockSupport#parkNanos(long)}. */
        void parkNanos(long nanos);
    }
}
