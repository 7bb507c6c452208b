package org.rookery.loadgen;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Options every workload takes (a picocli mixin). Fields are filled by picocli, then read by
 * {@link Bench}; not thread-safe, not meant to be shared.
 */
public final class Options {
    @Option(names = "--url", description = "Base URL of the server's public API. Default: start an embedded server "
            + "in this process (fresh temp data dir, free ports).")
    @Nullable String url;

    @Option(names = "--admin-url", description = "Base URL of the server's admin port (bulk loading, metrics). "
            + "Default: the --url host on port 9990.")
    @Nullable String adminUrl;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "Measured time (e.g. 30s, 2m). Default: 30s (spike 60s, ceiling 10s).")
    @Nullable Duration duration;

    @Option(names = "--warmup", converter = DurationConverter.class, defaultValue = "15s",
            description = "Time the workload runs before measuring starts, its rate climbing in ten steps to the "
                    + "target (a cold server compiles and fills caches meanwhile instead of queueing a backlog). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration warmup = Duration.ofSeconds(15);

    @Option(names = "--rate", description = "Target operations/s (per workload; see its help). 0 on ceiling: as fast as possible.")
    @Nullable Double rate;

    @Option(names = "--users", description = "Users in the generated graph (per workload default).")
    @Nullable Integer users;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for the graph and every random choice. Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--out", description = "Result directory. Default: bench-results/<workload>-<time>.")
    @Nullable Path out;

    @Option(names = "--mean-followers", defaultValue = "50", description = "Mean followers per user. Default: ${DEFAULT-VALUE}.")
    double meanFollowers = 50;

    @Option(names = "--zipf", defaultValue = "2.2", description = "Power-law exponent of follower counts, P(k) ~ k^-a "
            + "(Twitter measured ~2.28). Default: ${DEFAULT-VALUE}.")
    double zipf = 2.2;

    @Option(names = "--celebrities", split = ",", description = "Exact follower counts for the first accounts, e.g. 1000000,100000.")
    List<Integer> celebrities = new ArrayList<>();

    @Option(names = "--graph", description = "Load this edge list ('u v' lines: u follows v; SNAP / Network Repository) instead of generating a graph.")
    @Nullable Path graph;

    @Option(names = "--undirected", description = "With --graph: each edge is a follow both ways (friendship graphs such as socfb-*).")
    boolean undirected;

    @Option(names = "--user-prefix", description = "Username prefix of the generated accounts. Default: lg<seed>_.")
    @Nullable String userPrefix;

    @Option(names = "--ceiling-seconds", defaultValue = "5", description = "Seconds of the ceiling measurement (GET /api/v1/instance, "
            + "as fast as the box answers) before the workload, so every figure has its same-run ceiling; 0 skips. Default: ${DEFAULT-VALUE}.")
    double ceilingSeconds = 5;

    @Option(names = "--concurrency", defaultValue = "64", description = "Requests in flight for closed-loop (ceiling) measurement. Default: ${DEFAULT-VALUE}.")
    int concurrency = 64;

    @Option(names = "--max-outstanding", defaultValue = "20000", description = "Bound on requests in flight; requests due beyond it are counted as overflow. Default: ${DEFAULT-VALUE}.")
    int maxOutstanding = 20_000;

    @Option(names = "--timeout", converter = DurationConverter.class, defaultValue = "10s", description = "Per-request timeout (counts as an error). Default: ${DEFAULT-VALUE}.")
    Duration timeout = Duration.ofSeconds(10);

    @Option(names = "--probes", defaultValue = "4", description = "Posts followed at once for delivery lag. Default: ${DEFAULT-VALUE}.")
    int probes = 4;

    @Option(names = "--probe-interval", converter = DurationConverter.class, defaultValue = "10ms", description = "Delivery-lag poll interval. Default: ${DEFAULT-VALUE}.")
    Duration probeInterval = Duration.ofMillis(10);

    @Option(names = "--probe-timeout", converter = DurationConverter.class, defaultValue = "30s", description = "A post not delivered after this counts as undelivered. Default: ${DEFAULT-VALUE}.")
    Duration probeTimeout = Duration.ofSeconds(30);

    @Option(names = "--settle-timeout", defaultValue = "10m", converter = DurationConverter.class,
            description = "After loading the graph, wait (at most this long) until every consumer of the event log "
            + "has applied the load's events and the store's compactions are done, so the measurement does not pay "
            + "for the load; 0 skips. Default: ${DEFAULT-VALUE}.")
    Duration settleTimeout = Duration.ofMinutes(10);

    @Option(names = "--graph-loaded", negatable = false, description = "The server already holds this graph (an earlier "
            + "run with the same graph options loaded it): find the accounts but do not send the follows again.")
    boolean graphLoaded;

    @Option(names = "--history-entries", defaultValue = "40", description = "timeline-mix, social-mix: before measuring, "
            + "post statuses by random authors until an average home timeline holds this many (so a read returns a full "
            + "page of 20 hydrated statuses, not the few a fresh graph has); 0 skips. Default: ${DEFAULT-VALUE}.")
    int historyEntries = 40;

    @Option(names = "--no-prewarm", negatable = false, description = "timeline-mix, social-mix: do not read every user's home "
            + "timeline once before the run (then the first reads of each user rebuild their timeline and are measured).")
    boolean noPrewarm;

    @Option(names = "--no-verify", negatable = false, description = "Skip reading back every acknowledged post at the end.")
    boolean noVerify;

    @Option(names = "--load-parallel", defaultValue = "2", description = "Bulk-load calls in flight. Default: ${DEFAULT-VALUE}.")
    int loadParallel = 2;

    @Option(names = "--client-threads", defaultValue = "1", description = "Client I/O threads. Default: ${DEFAULT-VALUE}.")
    int clientThreads = 1;

    @Option(names = "--connections", defaultValue = "8", description = "Connection pools the requests are spread over "
            + "(HTTP/2: one connection each). Default: ${DEFAULT-VALUE}.")
    int connections = 8;

    @Option(names = "--no-charts", negatable = false, description = "Do not draw the PNG charts.")
    boolean noCharts;

    @Option(names = "--set", description = "Embedded server setting key=value (docs/configuration.md); repeatable.")
    List<String> settings = new ArrayList<>();

    String prefix() {
        return userPrefix != null ? userPrefix : "lg" + Long.toUnsignedString(seed, 36) + "_";
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or a plain number of seconds. */
    public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }

        public static Duration parse(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            try {
                if (v.endsWith("ms")) {
                    return Duration.ofNanos(Math.round(Double.parseDouble(v.substring(0, v.length() - 2)) * 1e6));
                }
                double unit = 1;
                if (v.endsWith("s")) {
                    v = v.substring(0, v.length() - 1);
                } else if (v.endsWith("m")) {
                    v = v.substring(0, v.length() - 1);
                    unit = 60;
                } else if (v.endsWith("h")) {
                    v = v.substring(0, v.length() - 1);
                    unit = 3600;
                }
                double seconds = Double.parseDouble(v) * unit;
                if (seconds < 0) {
                    throw new NumberFormatException();
                }
                return Duration.ofNanos(Math.round(seconds * 1e9));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' (expected: a duration such as 500ms, 30s, 2m)");
            }
        }
    }
}
