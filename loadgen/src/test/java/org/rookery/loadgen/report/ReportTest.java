package org.rookery.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.loadgen.run.OpStats;
import org.rookery.loadgen.run.Outcome;

@Timeout(60)
class ReportTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    Path dir;

    private static Map<String, Object> op(long count, double p50) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("rate", count / 10.0);
        m.put("target_rate", 100.0);
        m.put("errors", 1L);
        m.put("shed", 2L);
        m.put("overflow", 0L);
        m.put("p50_ms", p50);
        m.put("p90_ms", p50 * 2);
        m.put("p99_ms", p50 * 4);
        m.put("p999_ms", p50 * 8);
        m.put("max_ms", p50 * 10);
        return m;
    }

    private static Report report(Map<String, Object> result) {
        Map<String, OpStats> stats = new LinkedHashMap<>();
        OpStats home = new OpStats("home", 100);
        home.measureFrom(0);
        for (int s = 0; s < 3; s++) {
            for (int i = 1; i <= 100; i++) {
                home.complete(1_000_000_000L, 1_000_000_000L + i * 50_000L, Outcome.OK);
            }
            home.tick(s + 1);
        }
        stats.put("home", home);
        return new Report(result, stats, List.of(new double[] {0, 0.001}, new double[] {1, 0.002}),
                List.of(new double[] {0.5, 3.0}, new double[] {1.5, 4.0}));
    }

    private static Map<String, Object> result() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("workload", "timeline-mix");
        Map<String, Object> ops = new LinkedHashMap<>();
        ops.put("home", op(1000, 1.5));
        ops.put("post", op(20, 4.0));
        r.put("operations", ops);
        Map<String, Object> lag = new LinkedHashMap<>();
        lag.put("count", 2L);
        lag.put("p50", 3.0);
        r.put("delivery_lag_ms", lag);
        r.put("acknowledged_posts", 20);
        r.put("lost_acknowledged", 0L);
        return r;
    }

    @Test
    void writesTheResultJsonTheMarkdownReportAndPngCharts() throws Exception {
        report(result()).writeAll(dir, true);

        JsonNode json = new ObjectMapper().readTree(dir.resolve("result.json").toFile());
        assertThat(json.path("operations").path("home").path("p99_ms").asDouble()).isEqualTo(6.0);
        assertThat(json.path("lost_acknowledged").asLong()).isZero();
        String md = Files.readString(dir.resolve("report.md"));
        assertThat(md).startsWith("# rookery bench: timeline-mix").contains("| home | 1000 |").contains("![latency-over-time](latency-over-time.png)");
        for (String png : List.of("latency-over-time.png", "latency-percentiles.png", "delivery-lag.png")) {
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve(png)), 4);
            assertThat(head).as(png).isEqualTo(PNG_MAGIC);
        }
        assertThat(Files.readString(dir.resolve("timeseries.csv")).lines())
                .first().isEqualTo("operation,t_s,count,p50_ms,p99_ms,max_ms,errors,shed,overflow");
    }

    @Test
    void theResultLineIsOneLineOfTheSameJson() throws Exception {
        Map<String, Object> result = result();

        String line = Report.compactJson(result);

        assertThat(line).doesNotContain("\n");
        ObjectMapper mapper = new ObjectMapper();
        assertThat(mapper.readTree(line)).isEqualTo(mapper.readTree(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(result)));
    }

    @Test
    void theTableHasARowPerOperationWithEveryFigure() {
        String table = report(result()).table();

        assertThat(table.lines().findFirst().orElseThrow())
                .contains("operation", "count", "rate/s", "target/s", "errors", "shed", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
        assertThat(table).containsPattern("home\\s+1000\\s+100\\s+100\\s+1\\s+2\\s+0\\s+1\\.50\\s+3\\.00\\s+6\\.00\\s+12\\.00\\s+15\\.00");
        assertThat(table).contains("delivery lag ms: p50 3.00").contains("acknowledged posts: 20, lost: 0");
    }

    @Test
    void theServerLineIsFollowedByEachCachesHitRate() {
        Map<String, Object> r = result();
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("gc_pauses", 3L);
        Map<String, Object> rates = new LinkedHashMap<>();
        rates.put("tweets", 0.9991);
        rates.put("counters", 0.5);
        server.put("cache_hit_rate", rates);
        r.put("server", server);

        assertThat(report(r).table()).contains("cache hit rates over the run: tweets 99.9 %, counters 50.0 %");
    }
}
