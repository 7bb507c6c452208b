package org.rookery.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ServerMetricsTest {
    private static final String TEXT = """
            # HELP jvm_memory_used_bytes The amount of used memory
            # TYPE jvm_memory_used_bytes gauge
            jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.048576E7
            jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 2.097152E7
            jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 5.0E7
            jvm_gc_pause_seconds_count{action="end of minor GC",cause="G1 Evacuation Pause",gc="G1 Young Generation"} 3
            jvm_gc_pause_seconds_sum{action="end of minor GC",cause="G1 Evacuation Pause",gc="G1 Young Generation"} 0.042
            jvm_gc_pause_seconds_max{action="end of minor GC",cause="G1 Evacuation Pause",gc="G1 Young Generation"} 0.02
            rookery_consumer_lag_seconds{consumer="fanout"} 0.25
            rookery_consumer_lag_seconds{consumer="notifications"} 9.0
            rookery_fanout_deliveries_total 12345.0
            rookery_timeline_bytes_per_entry 9.5
            rookery_http_requests_total{method="GET",route="/a \\"quoted\\", b",status="200"} 7.0 1700000000000
            rookery_cache_gets_total{cache="tweets",result="hit"} 990.0
            rookery_cache_gets_total{cache="tweets",result="miss"} 10.0
            rookery_cache_gets_total{cache="counters",result="hit"} 0.0
            """;

    @Test
    void readsTheFiguresTheReportShowsFromPrometheusText() {
        ServerMetrics m = ServerMetrics.parse(TEXT);

        assertThat(m.heapUsedBytes()).isEqualTo(3.145728E7);
        assertThat(m.gcPauseCount()).isEqualTo(3);
        assertThat(m.gcPauseSeconds()).isCloseTo(0.042, within(1e-12));
        assertThat(m.gcPauseMaxSeconds()).isEqualTo(0.02);
        assertThat(m.fanoutLagSeconds()).as("the fanout consumer's, not the notifications'").isEqualTo(0.25);
        assertThat(m.fanoutDeliveries()).isEqualTo(12345);
        assertThat(m.timelineBytesPerEntry()).isEqualTo(9.5);
        assertThat(m.caches()).containsExactly("counters", "tweets");
        assertThat(m.cacheGets("tweets", "hit")).isEqualTo(990);
        assertThat(m.cacheGets("tweets", "miss")).isEqualTo(10);
        assertThat(m.cacheGets("counters", "miss")).isZero();
        assertThat(m.sum("rookery_http_requests_total", l -> "/a \"quoted\", b".equals(l.get("route")))).isEqualTo(7);
    }

    @Test
    void theHeapLimitIsXmxUnderG1AndUnderGenerationalZgc() {
        ServerMetrics g1 = ServerMetrics.parse("""
                jvm_memory_max_bytes{area="heap",id="G1 Eden Space"} -1.0
                jvm_memory_max_bytes{area="heap",id="G1 Old Gen"} 8.589934592E9
                jvm_memory_max_bytes{area="heap",id="G1 Survivor Space"} -1.0
                jvm_memory_max_bytes{area="nonheap",id="Metaspace"} -1.0
                """);
        ServerMetrics zgc = ServerMetrics.parse("""
                jvm_memory_max_bytes{area="heap",id="ZGC Old Generation"} 8.589934592E9
                jvm_memory_max_bytes{area="heap",id="ZGC Young Generation"} 8.589934592E9
                """);

        assertThat(g1.heapMaxBytes()).isEqualTo(8.589934592E9);
        assertThat(zgc.heapMaxBytes()).isEqualTo(8.589934592E9);
    }

    @Test
    void aMetricTheServerDoesNotHaveIsNaNForMaxAndZeroForSum() {
        ServerMetrics m = ServerMetrics.parse("up 1\n");

        assertThat(m.fanoutLagSeconds()).isNaN();
        assertThat(m.fanoutDeliveries()).isZero();
    }
}
