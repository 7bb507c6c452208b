package org.rookery.bench.ids;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.rookery.core.ids.SnowflakeIdGenerator;

/**
 * Single-thread throughput of {@link SnowflakeIdGenerator#nextId()} in ids per millisecond, to hold
 * against the format's limit of 4,096 ids per millisecond per generator.
 *
 * <p>{@code nextId} uses the real clock, so it should sit at that limit: the generator makes a
 * millisecond's 4,096 ids and then spins until the next millisecond. {@code nextIdUnlimited} uses a
 * clock that moves a millisecond on every read, so the limit never applies and the score is the cost
 * of the generator itself: the headroom below the limit.
 *
 * <pre>{@code
 * ./rookery jmh SnowflakeIdBenchmark -f 1 -wi 3 -i 5 -w 2s -r 2s
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SnowflakeIdBenchmark {

    private SnowflakeIdGenerator systemClock;
    private SnowflakeIdGenerator unlimited;

    @Setup
    public void setUp() {
        systemClock = new SnowflakeIdGenerator(1, InstantSource.system(), Duration.ofMillis(10));
        unlimited = new SnowflakeIdGenerator(1, new EveryReadANewMillisecond(), Duration.ZERO);
    }

    @Benchmark
    public long nextId() {
        return systemClock.nextId();
    }

    @Benchmark
    public long nextIdUnlimited() {
        return unlimited.nextId();
    }

    /** Starts at the epoch and moves one millisecond per read: 2^41 reads, hours of benchmarking. */
    private static final class EveryReadANewMillisecond implements InstantSource {
        private long millis = SnowflakeIdGenerator.EPOCH;

        @Override
        public long millis() {
            return millis++;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }
}
