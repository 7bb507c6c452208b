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
            rookery_timeline_warmup_pending 4200.0
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
        assertThat(m.warmupPending()).as("the cold start's users left, which settling waits for").isEqualTo(4200);
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
        assertThat(m.warmupPending()).isNaN();
        assertThat(m.fanoutDeliveries()).isZero();
    }

    private static final String HOME = "rookery_http_total_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/timelines/home\",status=\"%s\",le=\"%s\"} %s\n";

    private static String answers(double ok1ms, double ok10ms, double okAll, double shedAll) {
        return HOME.formatted("200", "0.001", ok1ms) + HOME.formatted("200", "0.01", ok10ms) + HOME.formatted("200", "+Inf", okAll)
                + HOME.formatted("503", "0.001", shedAll) + HOME.formatted("503", "0.01", shedAll) + HOME.formatted("503", "+Inf", shedAll)
                + "rookery_http_total_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/instance\",status=\"200\",le=\"0.001\"} 5000\n";
    }

    @Test
    void theServersOwnAnswerTimesBetweenTwoScrapesComeFromItsHistogramBuckets() {
        // Before: 100 answers, all within 1 ms. Between the scrapes: 1,000 more successful answers,
        // 980 within 1 ms, 15 within 10 ms and 5 slower; and 400 shed (503) answers, which do not count.
        ServerMetrics before = ServerMetrics.parse(answers(100, 100, 100, 0));
        ServerMetrics after = ServerMetrics.parse(answers(1080, 1095, 1100, 400));
        var b = before.answerDurations("GET", "/api/v1/timelines/home");
        var a = after.answerDurations("GET", "/api/v1/timelines/home");

        assertThat(ServerMetrics.countBetween(b, a)).isEqualTo(1000);
        assertThat(ServerMetrics.percentileBetween(b, a, 50)).as("p50: within the 1 ms bucket").isEqualTo(0.001);
        assertThat(ServerMetrics.percentileBetween(b, a, 98)).isEqualTo(0.001);
        assertThat(ServerMetrics.percentileBetween(b, a, 99)).as("p99: the 990th answer, in the 10 ms bucket").isEqualTo(0.01);
        assertThat(ServerMetrics.percentileBetween(b, a, 99.9)).as("beyond the last finite bucket").isInfinite();
        assertThat(ServerMetrics.percentileBetween(a, a, 99)).as("nothing between the scrapes").isNaN();
        assertThat(after.answerDurations("POST", "/api/v1/timelines/home")).as("another method's route").isEmpty();
    }
}
