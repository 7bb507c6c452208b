package org.rookery.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.Await.eventually;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * The metric names docs/api.md promises to scrapers such as {@code rookery bench}: each is present
 * in {@code /admin/metrics} under exactly that name.
 */
class AdminMetricsTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    private String scrape() {
        ApiClient.Response r = api.admin("GET", "/admin/metrics");
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    /** A sample line of {@code name} whose labels contain {@code labels} (a regex fragment, or empty). */
    private static String sample(String name, String labels) {
        return "(?m)^" + name + (labels.isEmpty() ? "(\\{[^}]*\\})?" : "\\{[^}]*" + labels + "[^}]*\\}") + " [-0-9.eE+NaInf]+$";
    }

    @Test
    void theDocumentedServerFiguresAreExposedUnderTheirNames() {
        // The GC timer appears with the first collection: make sure there has been one.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String metrics = scrape();
        while (!metrics.contains("jvm_gc_pause_seconds_count")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no jvm_gc_pause_seconds after a System.gc()");
            }
            System.gc();
            Thread.onSpinWait();
            metrics = scrape();
        }
        assertThat(metrics)
                .containsPattern(sample("jvm_memory_used_bytes", "area=\"heap\""))
                .containsPattern(sample("jvm_memory_max_bytes", "area=\"heap\""))
                .containsPattern(sample("jvm_gc_pause_seconds_sum", ""))
                .containsPattern(sample("jvm_gc_pause_seconds_count", ""))
                .containsPattern(sample("jvm_gc_pause_seconds_max", ""))
                .containsPattern(sample("jvm_threads_live_threads", ""))
                .containsPattern(sample("process_cpu_usage", ""))
                .containsPattern(sample("system_cpu_usage", ""))
                .containsPattern(sample("system_cpu_count", ""))
                .containsPattern(sample("rookery_consumer_lag_events", "consumer=\"fanout\""))
                .containsPattern(sample("rookery_consumer_lag_seconds", "consumer=\"fanout\""))
                .containsPattern(sample("rookery_timeline_bytes_per_entry", ""))
                .containsPattern(sample("rookery_timeline_entries", ""))
                .containsPattern(sample("rookery_timeline_bytes", ""))
                .containsPattern(sample("rookery_timeline_warmup_pending", ""))
                .containsPattern(sample("rookery_timeline_activity_notes", ""))
                .containsPattern(sample("rookery_fanout_rate_authors", ""))
                .containsPattern(sample("rookery_http_inflight_requests", ""))
                .containsPattern(sample("rookery_http_shed_requests_total", ""))
                .containsPattern(sample("rookery_http_memory_first_requests_total", "outcome=\"served\""))
                .containsPattern(sample("rookery_http_memory_first_requests_total", "outcome=\"deferred\""))
                .containsPattern(sample("rookery_http_memory_first_requests_total", "outcome=\"busy\""))
                .containsPattern(sample("rookery_store_commit_queue", ""))
                .containsPattern(sample("rookery_store_commit_refused_total", ""))
                .containsPattern(sample("rookery_store_compaction_pending_bytes", ""))
                .containsPattern(sample("rookery_store_compactions_running", ""));
    }

    /** The value of the sample of {@code name} with exactly these label values (0 if there is none). */
    private static double value(String metrics, String name, String labels) {
        Matcher m = Pattern.compile(sample(name, Pattern.quote(labels))).matcher(metrics);
        if (!m.find()) {
            return 0;
        }
        String line = m.group();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /** The value of the unlabelled sample of {@code name}. */
    private static double gauge(String metrics, String name) {
        Matcher m = Pattern.compile(sample(name, "")).matcher(metrics);
        assertThat(m.find()).as("a sample of %s", name).isTrue();
        String line = m.group();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void aPostToFollowersPutsTheirListInTheFollowerCacheAndTheMetricsSaySo() {
        ApiClient.User author = api.newUser("listed");
        ApiClient.User follower = api.newUser("listener");
        api.post("/api/v1/accounts/" + author.id() + "/follow", follower.token()).expect(200);
        double bytesBefore = gauge(scrape(), "rookery_fanout_follower_cache_bytes");
        api.postStatus(author, "to my one follower");
        eventually(() -> gauge(scrape(), "rookery_fanout_follower_cache_bytes"), b -> b > bytesBefore);
        String metrics = scrape();
        assertThat(gauge(metrics, "rookery_fanout_follower_cache_authors")).isGreaterThanOrEqualTo(1);
        assertThat(gauge(metrics, "rookery_fanout_follower_cache_followers")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aHomeReadRepeatedIsAnsweredFromTheCachesAndTheMetricsSaySo() {
        ApiClient.User writer = api.newUser("cached");
        api.postStatus(writer, "read twice");
        // The post shows in its author's own home timeline; the first read fills the caches.
        eventually(() -> api.get("/api/v1/timelines/home", writer.token()).ok().size(), n -> n == 1);
        String before = scrape();
        assertThat(api.get("/api/v1/timelines/home", writer.token()).ok()).hasSize(1);
        String after = scrape();

        for (String cache : List.of("tweets", "counters", "status_members", "profile_members", "newest_post", "oauth_tokens")) {
            String hit = "cache=\"" + cache + "\",result=\"hit\"";
            assertThat(value(after, "rookery_cache_gets_total", hit))
                    .as("hits of the %s cache", cache)
                    .isGreaterThan(value(before, "rookery_cache_gets_total", hit));
        }
        assertThat(after).containsPattern(sample("rookery_cache_gets_total", "cache=\"accounts\",result=\"miss\""));
    }
}
