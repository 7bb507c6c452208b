package org.rookery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rookery.loadgen.run.OpStats;
import org.rookery.loadgen.run.Outcome;

class BenchResultTest {

    @Test
    void anOperationEntryHasExactlyTheIssuesFieldsPlusOverflowAndItsShareOfTheCeiling() {
        OpStats s = new OpStats("home", 500);
        s.measureFrom(0);
        for (int i = 1; i <= 1000; i++) {
            s.complete(10_000_000L, 10_000_000L + i * 10_000L, Outcome.OK); // 0.01 .. 10 ms
        }
        s.complete(10_000_000L, 11_000_000L, Outcome.ERROR);
        s.complete(10_000_000L, 11_000_000L, Outcome.SHED);
        s.complete(10_000_000L, 11_000_000L, Outcome.SHED);
        s.overflow(10_000_000L);
        s.tick(1);

        Map<String, Object> m = Bench.operation(s, 2.0, 1000);

        assertThat(m).containsOnlyKeys("count", "rate", "target_rate", "errors", "shed", "overflow",
                "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "of_ceiling");
        assertThat(m).containsEntry("count", 1000L).containsEntry("rate", 500.0).containsEntry("target_rate", 500.0)
                .containsEntry("errors", 1L).containsEntry("shed", 2L).containsEntry("overflow", 1L)
                .containsEntry("of_ceiling", 0.5);
        assertThat((Double) m.get("p50_ms")).isBetween(4.99, 5.01);
        assertThat((Double) m.get("p99_ms")).isBetween(9.89, 9.91);
        assertThat((Double) m.get("max_ms")).isBetween(9.99, 10.01);
    }

    @Test
    void warmUpRequestsAreNotCounted() {
        OpStats s = new OpStats("post", 10);
        s.measureFrom(1_000);
        s.complete(999, 5_000_000, Outcome.OK);
        s.complete(999, 5_000_000, Outcome.ERROR);
        s.complete(1_000, 5_000_000, Outcome.OK);
        s.tick(1);

        assertThat(s.histogram().getTotalCount()).isEqualTo(1);
        assertThat(s.errors()).isZero();
    }
}
