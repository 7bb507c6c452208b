package org.rookery.embedded;

import java.nio.file.Path;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.event.EventLog;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.timeline.TimelineSimulation;

/**
 * The timeline simulation of issue 3 (see core's {@code TimelineSimulation}) over a real
 * {@link RocksStore} in a temporary directory, where a restart closes the store and opens it again:
 * the fanout consumer's saved position, the follower counters (RocksDB merges), the user timelines
 * and the event log's partition order all come from RocksDB, as in the server. Fewer seeds than the
 * in-memory run (each restart reopens RocksDB).
 *
 * <p>Seeds 1..20; {@code -Drookery.sim.rocks.seeds=N} runs 1..N, {@code -Drookery.sim.seed=S} replays
 * seed S alone.
 */
class TimelineSimulationOnRocksTest {
    private static final int DEFAULT_SEEDS = 20;

    @TempDir
    Path dir;

    /** A RocksStore that a simulated restart closes and reopens over the same directory. */
    private static final class Rocks implements TimelineSimulation.Backend {
        private final RocksStore.Options options;
        private RocksStore store;

        Rocks(Path dir, int partitions) {
            // Unsynced commits: this test is about timelines, not fsync (the crash tests cover durability);
            // a clean close and reopen keeps every acknowledged write either way.
            options = RocksStore.Options.builder(dir).partitions(partitions).syncWrites(false).build();
            store = RocksStore.open(options);
        }

        @Override
        public KeyValueStore store() {
            return store;
        }

        @Override
        public EventLog log() {
            return store;
        }

        @Override
        public void restart() {
            store.close();
            store = RocksStore.open(options);
        }

        @Override
        public void close() {
            store.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyHomeTimelineEqualsThePullModelOnRocksDb() {
        Long only = Long.getLong("rookery.sim.seed");
        LongStream seeds = only != null ? LongStream.of(only)
                : LongStream.rangeClosed(1, Long.getLong("rookery.sim.rocks.seeds", DEFAULT_SEEDS));
        return seeds.mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> TimelineSimulation.run(seed,
                (clock, partitions) -> new Rocks(dir.resolve("seed-" + seed), partitions))));
    }
}
