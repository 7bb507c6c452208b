package org.rookery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path, as a user runs it: {@code rookery bench timeline-mix} with no {@code --url}
 * starts an embedded server, loads a 200-user graph through the bulk endpoints, measures the
 * ceiling, runs the mix for a few seconds, reads back every acknowledged post and prints the
 * {@code RESULT} line last.
 */
class TimelineMixEndToEndTest {
    private static final long SEED = 20261122;

    @TempDir
    Path out;

    @Test
    @Timeout(180)
    void aShortRunDeliversEveryPostLosesNoneAndEndsWithTheResultLine() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream ps = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            exit = Main.execute(ps, "timeline-mix", "--users", "200", "--mean-followers", "20", "--rate", "255",
                    "--duration", "3s", "--warmup", "1s", "--ceiling-seconds", "1", "--home-ceiling-seconds", "1", "--seed", Long.toString(SEED),
                    "--probes", "8", "--out", out.toString(),
                    // the test server's sizes (as RookeryServerExtension): small timeline memory, quick to start
                    "--set", "rookery.timeline.memory.bytes=67108864", "--set", "rookery.timeline.max.users=65536",
                    "--set", "rookery.timeline.tweet.index.capacity=65536");
        }
        String console = buffer.toString(StandardCharsets.UTF_8);
        List<String> lines = console.lines().toList();
        String seed = "seed " + SEED + "; output:\n" + console;

        assertThat(exit).as(seed).isZero();
        String last = lines.get(lines.size() - 1);
        assertThat(last).as(seed).startsWith("RESULT {");
        JsonNode r = new ObjectMapper().readTree(last.substring("RESULT ".length()));
        assertThat(r.path("workload").asText()).isEqualTo("timeline-mix");
        assertThat(r.path("graph").path("users").asInt()).isEqualTo(200);
        assertThat(r.path("load").path("rejected").asLong()).as(seed).isZero();

        JsonNode home = r.path("operations").path("home");
        JsonNode post = r.path("operations").path("post");
        assertThat(home.path("count").asLong()).as(seed).isGreaterThan(500);
        assertThat(post.path("count").asLong()).as(seed).isGreaterThan(10);
        for (JsonNode op : List.of(home, post)) {
            assertThat(op.path("errors").asLong()).as(seed).isZero();
            for (String field : List.of("rate", "target_rate", "shed", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")) {
                assertThat(op.has(field)).as(field + "; " + seed).isTrue();
            }
        }
        // Where the time went: the server's own answer times over the same phase, and the generator's lateness.
        for (JsonNode op : List.of(home, post, r.path("operations").path("home_ceiling"))) {
            assertThat(op.path("server_count").asLong()).as("answers the server counted; " + seed).isPositive();
            assertThat(op.path("server_p50_ms").asDouble()).as(seed).isPositive()
                    .isLessThanOrEqualTo(op.path("server_p99_ms").asDouble());
        }
        assertThat(home.path("server_count").asLong()).as("the server counted the measured home reads; " + seed)
                .isGreaterThanOrEqualTo(home.path("count").asLong() * 9 / 10);
        assertThat(home.has("send_lag_p99_ms")).as(seed).isTrue();
        assertThat(r.path("operations").path("home_ceiling").has("send_lag_p99_ms")).as("a closed loop has no schedule to be late on").isFalse();
        assertThat(console).as(seed).contains("server's own answer time p50 <=");
        assertThat(r.path("operations").path("ceiling").path("rate").asDouble()).as(seed).isPositive();
        // Home reads as fast as they answer, in the same run: their share of the ceiling, like with like.
        JsonNode homeCeiling = r.path("operations").path("home_ceiling");
        assertThat(homeCeiling.path("count").asLong()).as(seed).isPositive();
        assertThat(homeCeiling.path("errors").asLong()).as(seed).isZero();
        assertThat(homeCeiling.path("of_ceiling").asDouble()).as(seed)
                .isCloseTo(homeCeiling.path("rate").asDouble() / r.path("ceiling_rate").asDouble(), within(0.01));
        assertThat(console).as(seed).contains("Home ceiling: GET /api/v1/timelines/home");
        // The history posted before measuring fills the timelines: reads return (nearly) full pages.
        double historyPosts = 40.0 * 200 * 200 / r.path("graph").path("edges").asLong();
        assertThat((double) r.path("load").path("history_posts").asLong()).as(seed).isCloseTo(historyPosts, within(1.0));
        assertThat(r.path("home_page").path("sampled").asLong()).as(seed).isPositive();
        assertThat(r.path("home_page").path("mean_statuses").asDouble()).as("statuses per home read; " + seed).isGreaterThan(15);
        assertThat(console).as(seed).contains("home reads returned");

        assertThat(r.path("acknowledged_posts").asLong()).as(seed).isGreaterThanOrEqualTo(post.path("count").asLong());
        assertThat(r.path("lost_acknowledged").asLong()).as("acknowledged posts that could not be read back; " + seed).isZero();
        assertThat(r.path("delivery_lag_ms").path("count").asLong()).as("posts seen in a follower's timeline; " + seed).isPositive();
        assertThat(r.path("delivery_lag_ms").path("undelivered").asLong()).as(seed).isZero();
        assertThat(r.path("server").path("fanout_deliveries").asLong()).as(seed).isPositive();

        assertThat(console).as(seed).contains("[timeline-mix").contains("home ").contains("p99");
        assertThat(Files.exists(out.resolve("result.json"))).isTrue();
        assertThat(Files.exists(out.resolve("report.md"))).isTrue();
        assertThat(Files.exists(out.resolve("latency-over-time.png"))).isTrue();
    }
}
