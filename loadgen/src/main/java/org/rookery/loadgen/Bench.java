package org.rookery.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.rookery.loadgen.graph.EdgeListLoader;
import org.rookery.loadgen.graph.FollowerGraph;
import org.rookery.loadgen.graph.PowerLawGraphGenerator;
import org.rookery.loadgen.report.Report;
import org.rookery.loadgen.run.Accounts;
import org.rookery.loadgen.run.BulkLoader;
import org.rookery.loadgen.run.ClosedLoop;
import org.rookery.loadgen.run.DeliveryProbes;
import org.rookery.loadgen.run.HttpTarget;
import org.rookery.loadgen.run.OpStats;
import org.rookery.loadgen.run.OpenLoop;
import org.rookery.loadgen.run.Outcome;
import org.rookery.loadgen.run.PageSizes;
import org.rookery.loadgen.run.PostLedger;
import org.rookery.loadgen.run.RateProfile;
import org.rookery.loadgen.run.ServerMetrics;

/**
 * One run of one workload: set up the target (an embedded server unless {@code --url}), build or
 * load the follower graph and push it through the bulk endpoints, measure the same-run ceiling,
 * run the workload open-loop with a progress line each second, read back every acknowledged post,
 * scrape the server's metrics, then write {@code result.json}, {@code report.md} and the charts and
 * print the table and the {@code RESULT} line. Not thread-safe: one run per instance.
 */
final class Bench {
    /** The workloads, by command name. */
    enum Workload {
        TIMELINE_MIX("timeline-mix"), SOCIAL_MIX("social-mix"), SPIKE("spike"), CELEBRITY("celebrity"), CEILING("ceiling");

        final String command;

        Workload(String command) {
            this.command = command;
        }
    }

    /** Workload-specific parameters, set by the subcommands. */
    static final class Params {
        double readsPerPost = 50;
        @Nullable Double readRate;
        @Nullable Double postRate;
        /** Seconds of closed-loop home reads before the mix (timeline-mix); 0: none. */
        double homeCeilingSeconds;
        double spikeFactor = 25;
        @Nullable Duration spikeAt;
        Duration spikeDuration = Duration.ofSeconds(5);
        int followers = 100_000;
        int posts = 5;
        int active = 1_000;
        int sample = 50;
    }

    /** One scrape of the server's figures during the run, {@code t} seconds after measuring started. */
    record MetricPoint(double t, double heapBytes, double fanoutLagSeconds, double fanoutLagEvents, double gcPauseMaxSeconds) {
    }

    private static final JsonFactory JSON = new JsonFactory();
    /** The warm-up offers 1/10, 2/10, ... of each stream's rate (see {@link RateProfile#rampedUp}). */
    private static final int WARMUP_STEPS = 10;
    /** Closed-loop ceiling runs warm up for at most this long (nothing queues in a closed loop). */
    private static final double CEILING_WARMUP_S = 5;

    private final Workload workload;
    private final Options o;
    private final Params p;
    private final PrintStream out;
    private final String command;
    private final Map<String, OpStats> stats = new LinkedHashMap<>();
    private final Map<String, Double> measuredSeconds = new LinkedHashMap<>();
    private final List<OpStats> ticking = new ArrayList<>();
    private final List<MetricPoint> series = new ArrayList<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private final PostLedger ledger = new PostLedger();
    private final AtomicLong postSeq = new AtomicLong();
    /** Statuses per measured home and user timeline read, from every 16th answer. */
    private final PageSizes homePages = new PageSizes(16, 20);
    private final PageSizes userPages = new PageSizes(16, 20);
    /** The server's own answer times per operation over its measured phase ({@link #recordServerAnswers}). */
    private final Map<String, Map<String, Object>> serverAnswers = new LinkedHashMap<>();
    private @Nullable EmbeddedServer embedded;
    private HttpTarget http;
    private ScheduledExecutorService timer;
    private @Nullable FollowerGraph graph;
    private @Nullable Accounts accounts;
    private @Nullable DeliveryProbes probes;
    private Map<String, Object> graphInfo = new LinkedHashMap<>();
    private Map<String, Object> loadInfo = new LinkedHashMap<>();
    private long measureStart;
    private double duration;
    private double warmup;
    private volatile String phase = "";

    Bench(Workload workload, Options options, Params params, PrintStream out, String command) {
        this.workload = workload;
        this.o = options;
        this.p = params;
        this.out = out;
        this.command = command;
    }

    /** Runs everything; returns the result that was written and printed. */
    Map<String, Object> run() throws Exception {
        Duration d = o.duration != null ? o.duration
                : workload == Workload.SPIKE ? Duration.ofSeconds(60)
                : workload == Workload.CEILING ? Duration.ofSeconds(10) : Duration.ofSeconds(30);
        duration = d.toNanos() / 1e9;
        warmup = o.warmup.toNanos() / 1e9;
        if (duration <= 0) {
            throw new IllegalArgumentException("--duration: " + d + " (expected: > 0)");
        }
        Path outDir = o.out != null ? o.out : Path.of("bench-results", workload.command + "-"
                + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()));
        Instant started = Instant.now();
        timer = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "loadgen-timer");
            t.setDaemon(true);
            return t;
        });
        Map<String, Object> result;
        try {
            startTarget();
            if (workload != Workload.CEILING) {
                prepareGraph();
                settle("");
            }
            ServerMetrics before = scrape();
            if (workload == Workload.CEILING) {
                ceiling("ceiling", duration, o.rate == null ? 0 : o.rate, warmup);
            } else {
                if (o.ceilingSeconds > 0) {
                    ceiling("ceiling", o.ceilingSeconds, 0, Math.min(CEILING_WARMUP_S, warmup));
                }
                switch (workload) {
                    case TIMELINE_MIX -> timelineMix();
                    case SOCIAL_MIX -> socialMix();
                    case SPIKE -> spike();
                    case CELEBRITY -> celebrity();
                    default -> throw new IllegalStateException(workload.command);
                }
                if (o.ceilingSeconds > 0) {
                    // Again with both ends warm: the first measurement comes from a cold client (and, when
                    // embedded, a cold server), so the same-run ceiling is the better of the two.
                    ceiling("ceiling_after", o.ceilingSeconds, 0, Math.min(CEILING_WARMUP_S, warmup));
                }
            }
            ServerMetrics after = scrape();
            long lost = verifyAcknowledged();
            result = result(started, before, after, lost);
            List<double[]> serverLag;
            synchronized (series) {
                serverLag = series.stream().map(m -> new double[] {m.t(), m.fanoutLagSeconds()}).toList();
            }
            List<double[]> lags = probes == null ? List.of() : probes.samples().stream()
                    .filter(x -> x.lagMs() >= 0)
                    .map(x -> new double[] {x.ackSeconds() - measureStartSeconds(), x.lagMs()}).toList();
            Report report = new Report(result, stats, serverLag, lags);
            report.writeAll(outDir, !o.noCharts);
            out.println();
            out.print(report.table());
            out.println("Wrote " + outDir.toAbsolutePath() + "/{result.json,report.md" + (o.noCharts ? "" : ",*.png") + "}");
        } finally {
            timer.shutdownNow();
            if (http != null) {
                http.close();
            }
            if (embedded != null) {
                embedded.close();
            }
        }
        out.println("RESULT " + Report.compactJson(result));
        out.flush();
        return result;
    }

    // ---------------------------------------------------------------- set-up

    private void startTarget() {
        URI api;
        URI admin;
        if (o.url == null) {
            Map<String, String> settings = new LinkedHashMap<>();
            for (String kv : o.settings) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--set: " + kv + " (expected: key=value)");
                }
                settings.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            out.println("Starting an embedded Rookery server (temp data dir, free ports)...");
            embedded = EmbeddedServer.start(settings);
            api = embedded.apiUri();
            admin = embedded.adminUri();
        } else {
            api = URI.create(o.url);
            admin = o.adminUrl != null ? URI.create(o.adminUrl)
                    : URI.create(api.getScheme() + "://" + api.getHost() + ":9990");
        }
        http = HttpTarget.create(api, admin, o.timeout, o.clientThreads, o.connections);
        out.println("Target: " + api + " (admin " + admin + ")" + (embedded != null ? ", embedded in this process" : ""));
    }

    private void prepareGraph() {
        long t0 = System.nanoTime();
        FollowerGraph g;
        if (o.graph != null) {
            EdgeListLoader.Loaded loaded = EdgeListLoader.load(o.graph, o.undirected);
            g = loaded.graph();
            graphInfo.put("source", o.graph.toString());
            graphInfo.put("undirected", o.undirected);
            graphInfo.put("lines", loaded.lines());
            graphInfo.put("self_loops_dropped", loaded.selfLoops());
            graphInfo.put("duplicates_dropped", loaded.duplicates());
        } else {
            int users = defaultUsers();
            List<Integer> famous = new ArrayList<>();
            if (workload == Workload.CELEBRITY) {
                famous.add(p.followers);
            }
            famous.addAll(o.celebrities);
            g = PowerLawGraphGenerator.builder(users)
                    .meanFollowers(Math.min(o.meanFollowers, users - 1))
                    .exponent(o.zipf)
                    .celebrities(famous.stream().mapToInt(Integer::intValue).toArray())
                    .seed(o.seed)
                    .build().generate();
            graphInfo.put("source", "generated");
            graphInfo.put("zipf_exponent", o.zipf);
            graphInfo.put("requested_mean_followers", o.meanFollowers);
            graphInfo.put("celebrities", famous);
        }
        graph = g;
        graphInfo.put("users", g.users());
        graphInfo.put("edges", g.edges());
        graphInfo.put("mean_followers", round(g.users() == 0 ? 0 : (double) g.edges() / g.users(), 2));
        graphInfo.put("max_followers", g.maxFollowers());
        out.printf(Locale.ROOT, "Graph: %,d users, %,d follows, max followers %,d (%.1f s)%n", g.users(), g.edges(),
                g.maxFollowers(), (System.nanoTime() - t0) / 1e9);

        BulkLoader loader = new BulkLoader(http, o.loadParallel, out);
        long t1 = System.nanoTime();
        Accounts acc = loader.accounts(o.prefix(), g.users());
        double accountsSeconds = (System.nanoTime() - t1) / 1e9;
        out.printf(Locale.ROOT, "Accounts: %,d created or found in %.1f s%n", g.users(), accountsSeconds);
        BulkLoader.FollowResult f = o.graphLoaded ? new BulkLoader.FollowResult(0, g.edges(), 0, 0)
                : loader.follows(g, acc);
        if (o.graphLoaded) {
            out.printf(Locale.ROOT, "Follows: not sent (--graph-loaded: the server holds the %,d already)%n", g.edges());
        } else {
            out.printf(Locale.ROOT, "Follows: %,d new, %,d already there, %,d rejected in %.1f s (%,.0f/s)%n",
                    f.followed(), f.already(), f.rejected(), f.seconds(), g.edges() / Math.max(1e-9, f.seconds()));
        }
        accounts = acc;
        loadInfo.put("accounts_s", round(accountsSeconds, 2));
        loadInfo.put("follows_s", round(f.seconds(), 2));
        loadInfo.put("follows_per_s", f.seconds() > 0 ? Math.round(g.edges() / f.seconds()) : 0);
        loadInfo.put("graph_loaded_before", o.graphLoaded);
        loadInfo.put("followed", f.followed());
        loadInfo.put("already", f.already());
        loadInfo.put("rejected", f.rejected());
    }

    /**
     * Waits until the server has digested the load: every consumer of the event log has applied the
     * load's events (a million imported follows are a million events), RocksDB has no compaction
     * left to do, and a server that has just started has rebuilt its recently active users' home
     * timelines (its cold start). Otherwise the measurement pays for the load or the restart, and
     * the figures depend on how big the graph was rather than on the workload.
     */
    private void settle(String key) throws InterruptedException {
        long timeoutNanos = o.settleTimeout.toNanos();
        if (timeoutNanos <= 0) {
            return;
        }
        long t0 = System.nanoTime();
        long lastPrint = t0;
        ServerMetrics m = scrape();
        while (m != null && !settled(m) && System.nanoTime() - t0 < timeoutNanos) {
            if (System.nanoTime() - lastPrint > TimeUnit.SECONDS.toNanos(10)) {
                lastPrint = System.nanoTime();
                out.printf(Locale.ROOT, "  settling: consumers %,.0f events behind, compaction %,.0f MB pending, "
                        + "%,.0f timelines left to rebuild (%.0f s)%n",
                        m.consumerLagEvents(), pendingMb(m), warmupPending(m), (lastPrint - t0) / 1e9);
            }
            TimeUnit.MILLISECONDS.sleep(500); // polling a remote server's metrics; there is nothing to await locally
            m = scrape();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean done = m != null && settled(m);
        loadInfo.put(key + "settle_s", round(seconds, 2));
        loadInfo.put(key + "settled", done);
        if (m == null) {
            out.println("Settle: the admin port did not answer; measuring without waiting");
        } else {
            out.printf(Locale.ROOT, "Settle: %s in %.1f s (consumers %,.0f events behind, compaction %,.0f MB pending, "
                    + "%,.0f timelines left to rebuild)%n",
                    done ? "event log applied, compactions and cold start done" : "gave up waiting", seconds,
                    m.consumerLagEvents(), pendingMb(m), warmupPending(m));
        }
    }

    private static boolean settled(ServerMetrics m) {
        return m.consumerLagEvents() == 0 && !(m.compactionPendingBytes() > 0) && !(m.compactionsRunning() > 0)
                && !(m.warmupPending() > 0);
    }

    private static double warmupPending(ServerMetrics m) {
        double n = m.warmupPending();
        return Double.isNaN(n) ? 0 : n;
    }

    private static double pendingMb(ServerMetrics m) {
        double b = m.compactionPendingBytes();
        return Double.isNaN(b) ? 0 : b / (1 << 20);
    }

    private int defaultUsers() {
        int users = o.users != null ? o.users : switch (workload) {
            case CELEBRITY -> p.followers + 1;
            case SPIKE, SOCIAL_MIX, TIMELINE_MIX -> 10_000;
            case CEILING -> 2;
        };
        if (workload == Workload.CELEBRITY) {
            users = Math.max(users, p.followers + 1);
        }
        return users;
    }

    // ---------------------------------------------------------------- operations

    private OpStats stats(String name, double target, double seconds) {
        OpStats s = new OpStats(name, target);
        stats.put(name, s);
        measuredSeconds.put(name, seconds);
        return s;
    }

    private OpenLoop.Operation ceilingOp() {
        return () -> http.get("/api/v1/instance", null).thenApply(r -> Outcome.of(r.status().code()));
    }

    private OpenLoop.Operation homeOp(int[] readers, long salt) {
        SplittableRandom rnd = new SplittableRandom(o.seed ^ salt);
        FollowerGraph g = graph();
        return () -> {
            int u = readers.length > 0 ? readers[rnd.nextInt(readers.length)] : rnd.nextInt(g.users());
            return timelineRead("/api/v1/timelines/home?limit=20", accounts().authorization(u), homePages);
        };
    }

    /** A timeline read: its statuses counted if it is one of the sample, its body dropped unread if not. */
    private CompletableFuture<Outcome> timelineRead(String pathAndQuery, String authorization, PageSizes pages) {
        if (!pages.sampleNext()) {
            return http.getDiscardingBody(pathAndQuery, authorization).thenApply(Outcome::of);
        }
        return http.get(pathAndQuery, authorization).thenApply(r -> {
            Outcome outcome = Outcome.of(r.status().code());
            if (outcome == Outcome.OK) {
                pages.count(r.content().array());
            }
            return outcome;
        });
    }

    private OpenLoop.Operation userOp(long salt) {
        SplittableRandom rnd = new SplittableRandom(o.seed ^ salt);
        FollowerGraph g = graph();
        return () -> {
            int viewer = rnd.nextInt(g.users());
            int target = rnd.nextInt(g.users());
            return timelineRead("/api/v1/accounts/" + accounts().id(target) + "/statuses?limit=20",
                    accounts().authorization(viewer), userPages);
        };
    }

    /** Posts by {@code author.get()}; on acknowledgement the post is recorded and maybe probed. */
    private OpenLoop.Operation postOp(java.util.function.IntSupplier author, int mentionsMax, boolean links, long salt) {
        SplittableRandom rnd = new SplittableRandom(o.seed ^ salt);
        FollowerGraph g = graph();
        return () -> {
            int u = author.getAsInt();
            long seq = postSeq.incrementAndGet();
            StringBuilder text = new StringBuilder("post ").append(seq).append(" from ").append(accounts().username(u));
            if (mentionsMax > 0) {
                int mentions = 1 + rnd.nextInt(mentionsMax);
                for (int i = 0; i < mentions; i++) {
                    text.append(" @").append(accounts().username(rnd.nextInt(g.users())));
                }
            }
            if (links) {
                text.append(" https://example.com/").append(Long.toString(rnd.nextLong() & Long.MAX_VALUE, 36));
            }
            text.append(" #rookery");
            int follower = g.followerCount(u) > 0 ? g.followerAt(g.start(u) + rnd.nextInt(g.followerCount(u))) : u;
            String form = "status=" + java.net.URLEncoder.encode(text.toString(), java.nio.charset.StandardCharsets.UTF_8);
            return http.postForm("/api/v1/statuses", accounts().authorization(u), form).thenApply(r -> {
                Outcome outcome = Outcome.of(r.status().code());
                if (outcome == Outcome.OK) {
                    long ack = System.nanoTime();
                    long id = statusId(r);
                    if (id == 0) {
                        return Outcome.ERROR;
                    }
                    ledger.add(id, u);
                    DeliveryProbes pr = probes;
                    if (pr != null && ack - measureStart >= 0) {
                        pr.offer(id, ack, accounts().authorization(follower));
                    }
                }
                return outcome;
            });
        };
    }

    /** The top-level {@code "id"} of a status JSON, 0 if there is none. */
    static long statusId(AggregatedHttpResponse r) {
        try (JsonParser jp = JSON.createParser(r.content().array())) {
            if (jp.nextToken() != JsonToken.START_OBJECT) {
                return 0;
            }
            JsonToken t;
            while ((t = jp.nextToken()) != null && t != JsonToken.END_OBJECT) {
                if (t == JsonToken.FIELD_NAME && "id".equals(jp.currentName())) {
                    jp.nextToken();
                    return Long.parseLong(jp.getText());
                }
                if (t == JsonToken.FIELD_NAME) {
                    jp.nextToken();
                    jp.skipChildren();
                }
            }
            return 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private FollowerGraph graph() {
        if (graph == null) {
            throw new IllegalStateException("no graph loaded");
        }
        return graph;
    }

    private Accounts accounts() {
        if (accounts == null) {
            throw new IllegalStateException("no accounts loaded");
        }
        return accounts;
    }

    private int[] allUsers() {
        int[] all = new int[graph().users()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    // ---------------------------------------------------------------- phases

    /** The HTTP ceiling: closed loop ({@code rate} 0) or open loop at {@code rate}, on {@code /api/v1/instance}. */
    private void ceiling(String name, double seconds, double rate, double warm) throws InterruptedException {
        phase = name;
        OpStats s = stats(name, rate, seconds);
        out.printf(Locale.ROOT, "%s: GET /api/v1/instance %s for %.0f s%n",
                name.equals("ceiling") ? "Ceiling" : "Ceiling again, after the workload",
                rate > 0 ? String.format(Locale.ROOT, "at %,.0f/s", rate) : "as fast as it answers (" + o.concurrency + " in flight)",
                seconds);
        if (rate > 0) {
            runOpenLoop(List.of(new OpenLoop.Stream(s, ceilingOp(), RateProfile.constant(rate))), seconds, warm);
        } else {
            runClosedLoop(s, ceilingOp(), seconds, warm);
        }
    }

    /**
     * {@code operation} as fast as the box answers, {@code --concurrency} in flight, for {@code seconds}
     * after {@code warm} seconds not counted: how a capacity is found (the ceiling's, a home read's).
     */
    private void runClosedLoop(OpStats s, OpenLoop.Operation operation, double seconds, double warm) throws InterruptedException {
        long start = System.nanoTime();
        long warmNanos = (long) (warm * 1e9);
        measureStart = start + warmNanos;
        s.measureFrom(measureStart);
        ScheduledFuture<?> ticker = startTicker(List.of(s));
        CompletableFuture<@Nullable ServerMetrics> atStart = scrapeAt(measureStart);
        try {
            new ClosedLoop(s, operation, o.concurrency).run(measureStart + (long) (seconds * 1e9));
        } finally {
            stopTicker(ticker, List.of(s));
        }
        recordServerAnswers(atStart, List.of(s));
    }

    /** The server route each operation's requests go to, to compare with the server's own answer times. */
    private record Route(String method, String path) {
    }

    private static final Map<String, Route> ROUTES = Map.of(
            "home", new Route("GET", "/api/v1/timelines/home"),
            "home_ceiling", new Route("GET", "/api/v1/timelines/home"),
            "user", new Route("GET", "/api/v1/accounts/:id/statuses"),
            "post", new Route("POST", "/api/v1/statuses"),
            "ceiling", new Route("GET", "/api/v1/instance"),
            "ceiling_after", new Route("GET", "/api/v1/instance"));

    /** A scrape of the server's metrics at {@code nanoTime} (a {@link System#nanoTime()}); null if it failed. */
    private CompletableFuture<@Nullable ServerMetrics> scrapeAt(long nanoTime) {
        CompletableFuture<@Nullable ServerMetrics> scraped = new CompletableFuture<>();
        timer.schedule(() -> http.adminGet("/admin/metrics")
                        .handleAsync((r, e) -> e == null && r.status().isSuccess() ? ServerMetrics.parse(r.contentUtf8()) : null, timer)
                        .thenAccept(scraped::complete),
                Math.max(0, nanoTime - System.nanoTime()), TimeUnit.NANOSECONDS);
        return scraped;
    }

    /**
     * For each measured operation with a {@link #ROUTES route}, the server's own answer times over the
     * phase just run, from its answer-time histogram (total duration) scraped when measuring started and now: how
     * much of the latency the generator saw was the server's. Every answer of the route counts (a
     * delivery probe's home read too), and percentiles are the histogram's bucket bounds.
     */
    private void recordServerAnswers(CompletableFuture<@Nullable ServerMetrics> atStart, List<OpStats> measured) {
        ServerMetrics before;
        try {
            before = atStart.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return; // no scrape, no comparison: the report says nothing rather than something wrong
        }
        ServerMetrics after = before == null ? null : scrape();
        if (after == null) {
            return;
        }
        for (OpStats s : measured) {
            Route route = ROUTES.get(s.name());
            if (route == null) {
                continue;
            }
            NavigableMap<Double, Double> b = before.answerDurations(route.method(), route.path());
            NavigableMap<Double, Double> a = after.answerDurations(route.method(), route.path());
            long n = ServerMetrics.countBetween(b, a);
            if (n > 0) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("server_count", n);
                m.put("server_p50_ms", boundMs(ServerMetrics.percentileBetween(b, a, 50)));
                m.put("server_p99_ms", boundMs(ServerMetrics.percentileBetween(b, a, 99)));
                m.put("server_p999_ms", boundMs(ServerMetrics.percentileBetween(b, a, 99.9)));
                serverAnswers.put(s.name(), m);
            }
        }
    }

    private static @Nullable Double boundMs(double seconds) {
        return Double.isNaN(seconds) || Double.isInfinite(seconds) ? null : round(seconds * 1000, 3);
    }

    /**
     * Home reads as fast as the box answers, measured the way the ceiling is (closed loop, the same
     * requests in flight), so their ratio compares like with like. An open loop offered more than the
     * box can do measures its overload instead: on 2 cores shared with the generator, the answers to
     * requests beyond the server's in-flight limit took the generator's CPU from reading the pages,
     * and reads held fell well below what the box sustains (docs/benchmarks.md).
     */
    private void homeCeiling(double seconds) throws InterruptedException {
        String workloadPhase = phase;
        phase = "home_ceiling";
        out.printf(Locale.ROOT, "Home ceiling: GET /api/v1/timelines/home as fast as it answers (%d in flight) for %.0f s%n",
                o.concurrency, seconds);
        try {
            runClosedLoop(stats("home_ceiling", 0, seconds), homeOp(new int[0], 0x4C0E), seconds,
                    Math.min(CEILING_WARMUP_S, warmup));
        } finally {
            phase = workloadPhase; // the mix's progress lines carry its own name
        }
    }

    private void timelineMix() throws InterruptedException {
        phase = "timeline-mix";
        double total = o.rate != null ? o.rate : 1_000;
        double reads = p.readRate != null ? p.readRate : total * p.readsPerPost / (1 + p.readsPerPost);
        double posts = p.postRate != null ? p.postRate : total / (1 + p.readsPerPost);
        FollowerGraph g = graph();
        SplittableRandom authors = new SplittableRandom(o.seed ^ 0x5157);
        List<OpenLoop.Stream> streams = new ArrayList<>();
        streams.add(new OpenLoop.Stream(stats("home", reads, duration), homeOp(new int[0], 0x401E), RateProfile.constant(reads)));
        streams.add(new OpenLoop.Stream(stats("post", posts, duration), postOp(() -> authors.nextInt(g.users()), 0, false, 0x9057),
                RateProfile.constant(posts)));
        history();
        prewarm();
        if (p.homeCeilingSeconds > 0) {
            homeCeiling(p.homeCeilingSeconds);
        }
        out.printf(Locale.ROOT, "timeline-mix: %,.0f home reads/s + %,.0f posts/s for %.0f s (warm-up %.0f s)%n", reads, posts, duration, warmup);
        withProbes();
        runOpenLoop(streams, duration, warmup);
    }

    private void socialMix() throws InterruptedException {
        phase = "social-mix";
        double total = o.rate != null ? o.rate : 500;
        FollowerGraph g = graph();
        SplittableRandom authors = new SplittableRandom(o.seed ^ 0x5157);
        List<OpenLoop.Stream> streams = new ArrayList<>();
        streams.add(new OpenLoop.Stream(stats("home", 0.6 * total, duration), homeOp(new int[0], 0x401E), RateProfile.constant(0.6 * total)));
        streams.add(new OpenLoop.Stream(stats("user", 0.3 * total, duration), userOp(0x05E2), RateProfile.constant(0.3 * total)));
        streams.add(new OpenLoop.Stream(stats("post", 0.1 * total, duration), postOp(() -> authors.nextInt(g.users()), 6, true, 0x9057),
                RateProfile.constant(0.1 * total)));
        history();
        prewarm();
        out.printf(Locale.ROOT, "social-mix: %,.0f ops/s (60%% home, 30%% user timelines, 10%% posts with 1-6 mentions and a link) for %.0f s%n",
                total, duration);
        withProbes();
        runOpenLoop(streams, duration, warmup);
    }

    private void spike() throws InterruptedException {
        phase = "spike";
        double steady = o.rate != null ? o.rate : 200;
        double spikeAt = p.spikeAt != null ? p.spikeAt.toNanos() / 1e9 : duration / 3;
        double spikeLen = p.spikeDuration.toNanos() / 1e9;
        if (spikeAt + spikeLen > duration) {
            throw new IllegalArgumentException("--spike-at + --spike-duration: " + (spikeAt + spikeLen)
                    + " s (expected: within --duration, " + duration + " s)");
        }
        double peak = steady * p.spikeFactor;
        FollowerGraph g = graph();
        SplittableRandom authors = new SplittableRandom(o.seed ^ 0x5157);
        RateProfile profile = RateProfile.phases(new double[] {0, warmup + spikeAt, warmup + spikeAt + spikeLen},
                new double[] {steady, peak, steady});
        List<OpenLoop.Stream> streams = new ArrayList<>();
        double measuredMean = (profile.expectedCount(warmup + duration) - profile.expectedCount(warmup)) / duration;
        streams.add(new OpenLoop.Stream(stats("post", round(measuredMean, 1), duration),
                postOp(() -> authors.nextInt(g.users()), 0, false, 0x9057), profile));
        double reads = p.readRate != null ? p.readRate : 0;
        if (reads > 0) {
            streams.add(new OpenLoop.Stream(stats("home", reads, duration), homeOp(new int[0], 0x401E), RateProfile.constant(reads)));
        }
        out.printf(Locale.ROOT, "spike: %,.0f posts/s, then %,.0f/s (%.0f x) from %.0f s to %.0f s, then %,.0f/s again; %.0f s in all%n",
                steady, peak, p.spikeFactor, spikeAt, spikeAt + spikeLen, steady, duration);
        withProbes();
        runOpenLoop(streams, duration, warmup);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("steady_rate", steady);
        s.put("spike_rate", peak);
        s.put("spike_factor", p.spikeFactor);
        s.put("spike_start_s", spikeAt);
        s.put("spike_end_s", spikeAt + spikeLen);
        extra.put("spike", s);
        probes().awaitIdle(o.probeTimeout.plusSeconds(5));
        Recovery probe = Recovery.fromProbes(probes().samples(), measureStartSeconds(), spikeAt, spikeAt + spikeLen, duration);
        s.put("baseline_lag_p99_ms", probe.baseline());
        s.put("lag_threshold_ms", probe.threshold());
        s.put("lag_recovery_s", probe.recoverySeconds());
        List<double[]> server;
        synchronized (series) {
            server = series.stream().map(m -> new double[] {m.t(), m.fanoutLagSeconds()}).toList();
        }
        Recovery srv = Recovery.fromServerLag(server, spikeAt, spikeAt + spikeLen);
        s.put("server_baseline_fanout_lag_s", srv.baseline());
        s.put("server_lag_recovery_s", srv.recoverySeconds());
    }

    private void celebrity() throws InterruptedException {
        phase = "celebrity";
        FollowerGraph g = graph();
        int celeb = 0;
        int followers = g.followerCount(celeb);
        int activeCount = Math.min(p.active, followers);
        SplittableRandom rnd = new SplittableRandom(o.seed ^ 0xCE1E);
        // A random subset of the followers, without repeats (partial Fisher-Yates over the row).
        int[] row = new int[followers];
        for (int i = 0; i < followers; i++) {
            row[i] = g.followerAt(g.start(celeb) + i);
        }
        for (int i = 0; i < activeCount; i++) {
            int j = i + rnd.nextInt(followers - i);
            int t = row[i];
            row[i] = row[j];
            row[j] = t;
        }
        int[] active = java.util.Arrays.copyOf(row, activeCount);
        out.printf(Locale.ROOT, "celebrity: account %s has %,d followers; making %,d of them active (one home read each)...%n",
                accounts().username(celeb), followers, activeCount);
        makeActive(active);

        double reads = o.rate != null ? o.rate : 200;
        int sample = Math.min(p.sample, activeCount);
        OpStats probeStats = stats("probe", 0, duration);
        DeliveryProbes visibility = new DeliveryProbes(http, timer, Math.max(1, sample * Math.max(1, p.posts)), o.probeInterval,
                o.probeTimeout, probeStats, 0);
        probes = visibility;
        List<long[]> posted = java.util.Collections.synchronizedList(new ArrayList<>());
        OpStats postStats = stats("post", p.posts / duration, duration);
        OpenLoop.Operation post = () -> {
            String form = "status=" + java.net.URLEncoder.encode("celebrity post " + postSeq.incrementAndGet() + " #rookery",
                    java.nio.charset.StandardCharsets.UTF_8);
            return http.postForm("/api/v1/statuses", accounts().authorization(celeb), form).thenApply(r -> {
                Outcome outcome = Outcome.of(r.status().code());
                if (outcome == Outcome.OK) {
                    long ack = System.nanoTime();
                    long id = statusId(r);
                    ledger.add(id, celeb);
                    posted.add(new long[] {id, ack});
                    for (int i = 0; i < sample; i++) {
                        visibility.offer(id, ack, accounts().authorization(active[i]));
                    }
                }
                return outcome;
            });
        };
        List<OpenLoop.Stream> streams = new ArrayList<>();
        streams.add(new OpenLoop.Stream(stats("home", reads, duration), homeOp(active, 0x401E), RateProfile.constant(reads)));
        // Posts start after the warm-up, evenly spaced, the first half an interval in.
        double interval = duration / Math.max(1, p.posts);
        streams.add(new OpenLoop.Stream(postStats, post, RateProfile.phases(new double[] {0, warmup + interval / 2},
                new double[] {0, 1 / interval})));
        out.printf(Locale.ROOT, "  %,.0f home reads/s from active followers; %d posts by the celebrity, one every %.1f s; "
                + "visibility polled in %d followers' timelines%n", reads, p.posts, interval, sample);
        runOpenLoop(streams, duration, warmup);
        visibility.awaitIdle(o.probeTimeout.plusSeconds(5));
        List<Map<String, Object>> perPost = new ArrayList<>();
        Histogram all = new Histogram(3);
        for (long[] idAck : posted) {
            double max = 0;
            long seen = 0;
            long missing = 0;
            for (DeliveryProbes.Sample smp : visibility.samples()) {
                if (smp.postId() == idAck[0]) {
                    if (smp.lagMs() < 0) {
                        missing++;
                    } else {
                        seen++;
                        max = Math.max(max, smp.lagMs());
                    }
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Long.toString(idAck[0]));
            m.put("followers_checked", seen + missing);
            m.put("not_visible_within_timeout", missing);
            m.put("visible_in_all_ms", missing > 0 ? null : round(max, 2));
            perPost.add(m);
            if (missing == 0 && seen > 0) {
                all.recordValue(Math.max(1, Math.round(max * 1000)));
            }
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("followers", followers);
        c.put("active_followers", activeCount);
        c.put("followers_checked_per_post", sample);
        c.put("posts", perPost);
        c.put("visible_in_all_ms", percentiles(all, 1000.0));
        extra.put("celebrity", c);
    }

    /**
     * One home-timeline read per user, 32 at a time: each timeline becomes resident (rebuilt from the
     * user timelines of the accounts followed), as Twitter's active users' timelines are, so the
     * measured reads are steady-state reads rather than first reads.
     */
    private void makeActive(int[] users) {
        long t0 = System.nanoTime();
        AtomicLong failed = new AtomicLong();
        bounded(users.length, 32, i -> http.get("/api/v1/timelines/home?limit=20", accounts().authorization(users[(int) i]))
                .whenComplete((r, e) -> {
                    if (e != null || !r.status().isSuccess()) {
                        failed.incrementAndGet();
                    }
                }));
        out.printf(Locale.ROOT, "  %,d home timelines made resident in %.1f s (%,d reads failed)%n", users.length,
                (System.nanoTime() - t0) / 1e9, failed.get());
    }

    /** Issues {@code call} for 0 … n-1, at most {@code inFlight} outstanding; returns once every call completed. */
    private static void bounded(long n, int inFlight, LongFunction<CompletableFuture<?>> call) {
        Semaphore slots = new Semaphore(inFlight);
        for (long i = 0; i < n; i++) {
            slots.acquireUninterruptibly();
            call.apply(i).whenComplete((x, e) -> slots.release());
        }
        slots.acquireUninterruptibly(inFlight);
    }

    /**
     * Posts statuses by random authors until an average home timeline holds {@code --history-entries}
     * of them, then waits for the fanout: without a history, the early reads of a run return pages
     * of a few statuses, not 20, and measure a cheaper read than the one a user makes. A post by
     * author {@code a} reaches {@code followers(a)} timelines, so {@code h} posts by uniform authors
     * put {@code h * edges / users} entries into {@code users} timelines: {@code h = n * users^2 / edges}.
     * These posts are not in the measured figures nor in the read-back of acknowledged posts.
     */
    private void history() throws InterruptedException {
        FollowerGraph g = graph();
        if (o.historyEntries <= 0 || g.edges() == 0) {
            return;
        }
        long n = Math.max(1, Math.round((double) o.historyEntries * g.users() * g.users() / g.edges()));
        out.printf(Locale.ROOT, "History: %,d posts by random authors, so an average home timeline holds %d (--history-entries)...%n",
                n, o.historyEntries);
        long t0 = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(o.seed ^ 0x4157);
        AtomicLong failed = new AtomicLong();
        bounded(n, 64, i -> {
            int u = rnd.nextInt(g.users());
            String form = "status=" + java.net.URLEncoder.encode("earlier post " + i + " from " + accounts().username(u)
                    + " #rookery", java.nio.charset.StandardCharsets.UTF_8);
            return http.postForm("/api/v1/statuses", accounts().authorization(u), form).whenComplete((r, e) -> {
                if (e != null || !r.status().isSuccess()) {
                    failed.incrementAndGet();
                }
            });
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "  %,d posted in %.1f s (%,.0f/s, %,d refused or failed)%n", n - failed.get(), seconds,
                n / Math.max(1e-9, seconds), failed.get());
        loadInfo.put("history_posts", n - failed.get());
        loadInfo.put("history_s", round(seconds, 2));
        settle("history_");
    }

    private void prewarm() {
        if (!o.noPrewarm) {
            out.printf(Locale.ROOT, "Reading every user's home timeline once (--no-prewarm skips)...%n");
            makeActive(allUsers());
        }
    }

    private void withProbes() {
        if (o.probes > 0) {
            OpStats probeStats = stats("probe", 0, duration);
            probes = new DeliveryProbes(http, timer, o.probes, o.probeInterval, o.probeTimeout, probeStats, 0);
        }
    }

    private DeliveryProbes probes() {
        if (probes == null) {
            throw new IllegalStateException("no probes");
        }
        return probes;
    }

    /** Seconds from the probes' origin (0) to the start of measuring. */
    private double measureStartSeconds() {
        return measureStart / 1e9;
    }

    private void runOpenLoop(List<OpenLoop.Stream> offered, double seconds, double warm) throws InterruptedException {
        List<OpenLoop.Stream> streams = new ArrayList<>(offered.size());
        for (OpenLoop.Stream s : offered) {
            streams.add(new OpenLoop.Stream(s.stats(), s.operation(), s.profile().rampedUp(warm, WARMUP_STEPS)));
        }
        OpenLoop loop = new OpenLoop(streams, o.maxOutstanding);
        long start = System.nanoTime() + 20_000_000;
        measureStart = start + (long) (warm * 1e9);
        List<OpStats> all = new ArrayList<>();
        for (OpenLoop.Stream s : streams) {
            s.stats().measureFrom(measureStart);
            all.add(s.stats());
        }
        if (stats.containsKey("probe") && !all.contains(stats.get("probe"))) {
            stats.get("probe").measureFrom(measureStart);
            all.add(stats.get("probe"));
        }
        ScheduledFuture<?> ticker = startTicker(all);
        CompletableFuture<@Nullable ServerMetrics> atStart = scrapeAt(measureStart);
        try {
            loop.run(start, (long) ((warm + seconds) * 1e9));
            if (!loop.awaitQuiet(o.timeout.plusSeconds(1))) {
                out.println("  " + loop.outstanding() + " requests still outstanding after the timeout");
            }
        } finally {
            stopTicker(ticker, all);
        }
        recordServerAnswers(atStart, all);
    }

    private ScheduledFuture<?> startTicker(List<OpStats> all) {
        ticking.clear();
        ticking.addAll(all);
        return timer.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private void stopTicker(ScheduledFuture<?> ticker, List<OpStats> all) {
        ticker.cancel(false);
        synchronized (this) {
            double t = (System.nanoTime() - measureStart) / 1e9;
            for (OpStats s : all) {
                s.tick(t);
            }
        }
    }

    private synchronized void tick() {
        double t = (System.nanoTime() - measureStart) / 1e9;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%-12s %6.1fs]", phase, t));
        long errors = 0;
        long shed = 0;
        long overflow = 0;
        for (OpStats s : ticking) {
            OpStats.Second sec = s.tick(t);
            errors += s.errors();
            shed += s.shed();
            overflow += s.overflow();
            if (t < 0) {
                continue;
            }
            line.append(String.format(Locale.ROOT, " %s %,d/s p50 %.1f p99 %.1f ms |", s.name(), sec.count(), sec.p50(), sec.p99()));
        }
        line.append(String.format(Locale.ROOT, " errors %d shed %d overflow %d", errors, shed, overflow));
        DeliveryProbes pr = probes;
        if (pr != null && !pr.samples().isEmpty()) {
            Histogram lag = pr.lags();
            line.append(String.format(Locale.ROOT, " | lag p99 %.0f ms", lag.getValueAtPercentile(99) / 1000.0));
        }
        out.println(t < 0 ? line + " (warm-up)" : line.toString());
        http.adminGet("/admin/metrics").thenAccept(r -> {
            if (r.status().isSuccess()) {
                ServerMetrics m = ServerMetrics.parse(r.contentUtf8());
                synchronized (series) {
                    series.add(new MetricPoint(t, m.heapUsedBytes(), m.fanoutLagSeconds(), m.fanoutLagEvents(), m.gcPauseMaxSeconds()));
                }
            }
        });
    }

    private @Nullable ServerMetrics scrape() {
        try {
            AggregatedHttpResponse r = http.adminGet("/admin/metrics").get(10, TimeUnit.SECONDS);
            return r.status().isSuccess() ? ServerMetrics.parse(r.contentUtf8()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Reads back every acknowledged post; returns how many are gone (answered 404). */
    private long verifyAcknowledged() {
        int n = ledger.size();
        if (o.noVerify || n == 0) {
            extra.put("verified_posts", 0);
            return o.noVerify ? -1 : 0;
        }
        out.printf(Locale.ROOT, "Reading back %,d acknowledged posts...%n", n);
        long t0 = System.nanoTime();
        AtomicLong lost = new AtomicLong();
        AtomicLong unverified = new AtomicLong();
        AtomicLong verified = new AtomicLong();
        bounded(n, 64, i -> readBack(ledger.id((int) i), accounts().authorization(ledger.author((int) i)), 3)
                .whenComplete((status, e) -> {
                    if (e == null && status == 200) {
                        verified.incrementAndGet();
                    } else if (e == null && status == 404) {
                        lost.incrementAndGet();
                    } else {
                        unverified.incrementAndGet();
                    }
                }));
        out.printf(Locale.ROOT, "  %,d found, %,d lost, %,d could not be checked (%.1f s)%n", verified.get(), lost.get(),
                unverified.get(), (System.nanoTime() - t0) / 1e9);
        extra.put("verified_posts", verified.get());
        extra.put("unverifiable_posts", unverified.get());
        return lost.get();
    }

    private CompletableFuture<Integer> readBack(long id, String auth, int tries) {
        return http.get("/api/v1/statuses/" + id, auth).handle((r, e) -> {
            int status = e != null ? -1 : r.status().code();
            return status;
        }).thenCompose(status -> status == 200 || status == 404 || tries <= 1
                ? CompletableFuture.completedFuture(status)
                : readBack(id, auth, tries - 1));
    }

    // ---------------------------------------------------------------- result

    private Map<String, Object> result(Instant started, @Nullable ServerMetrics before, @Nullable ServerMetrics after, long lost) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("workload", workload.command);
        r.put("started_at", started.toString());
        r.put("command", command);
        r.put("duration_s", duration);
        r.put("warmup_s", warmup);
        r.put("seed", o.seed);
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("url", http.apiUri().toString());
        target.put("embedded", embedded != null);
        r.put("target", target);
        if (!graphInfo.isEmpty()) {
            r.put("graph", graphInfo);
            r.put("load", loadInfo);
        }
        Map<String, Object> ops = new LinkedHashMap<>();
        OpStats ceil = stats.get("ceiling");
        double ceilingRate = 0;
        for (String name : List.of("ceiling", "ceiling_after")) {
            OpStats c = stats.get(name);
            if (c != null) {
                ceilingRate = Math.max(ceilingRate, c.histogram().getTotalCount() / measuredSeconds.get(name));
            }
        }
        for (OpStats s : stats.values()) {
            Map<String, Object> op = operation(s, measuredSeconds.get(s.name()), ceilingRate);
            op.putAll(serverAnswers.getOrDefault(s.name(), Map.of()));
            ops.put(s.name(), op);
        }
        r.put("operations", ops);
        if (ceil != null) {
            r.put("ceiling_rate", Math.round(ceilingRate));
        }
        if (probes != null && workload != Workload.CELEBRITY) {
            Map<String, Object> lag = percentiles(probes.lags(), 1000.0);
            lag.put("undelivered", probes.undelivered());
            lag.put("posts_offered", probes.offered());
            r.put("delivery_lag_ms", lag);
        } else if (probes != null) {
            Map<String, Object> lag = percentiles(probes.lags(), 1000.0);
            lag.put("undelivered", probes.undelivered());
            r.put("delivery_lag_ms", lag);
        }
        if (ledger.size() > 0 || workload != Workload.CEILING) {
            r.put("acknowledged_posts", ledger.size());
            r.put("lost_acknowledged", lost < 0 ? null : lost);
        }
        if (homePages.sampled() > 0) {
            r.put("home_page", homePages.summary());
        }
        if (userPages.sampled() > 0) {
            r.put("user_page", userPages.summary());
        }
        r.putAll(extra);
        r.put("server", serverFigures(before, after));
        r.put("machine", machine());
        return r;
    }

    static Map<String, Object> operation(OpStats s, double seconds, double ceilingRate) {
        Histogram h = s.histogram();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.getTotalCount());
        double rate = seconds > 0 ? h.getTotalCount() / seconds : 0;
        m.put("rate", round(rate, 1));
        m.put("target_rate", round(s.targetRate(), 1));
        m.put("errors", s.errors());
        m.put("shed", s.shed());
        m.put("overflow", s.overflow());
        m.put("p50_ms", ms(h, 50));
        m.put("p90_ms", ms(h, 90));
        m.put("p99_ms", ms(h, 99));
        m.put("p999_ms", ms(h, 99.9));
        m.put("max_ms", h.getTotalCount() == 0 ? null : round(h.getMaxValue() / 1000.0, 3));
        if (ceilingRate > 0 && !s.name().startsWith("ceiling")) {
            m.put("of_ceiling", round(rate / ceilingRate, 4));
        }
        Histogram late = s.sendLag();
        if (late.getTotalCount() > 0) {
            m.put("send_lag_p99_ms", ms(late, 99));
            m.put("send_lag_max_ms", round(late.getMaxValue() / 1000.0, 3));
        }
        return m;
    }

    private static @Nullable Double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? null : round(h.getValueAtPercentile(percentile) / 1000.0, 3);
    }

    /** count, p50, p90, p99, p999, max of a histogram, divided by {@code scale}. */
    static Map<String, Object> percentiles(Histogram h, double scale) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.getTotalCount());
        boolean any = h.getTotalCount() > 0;
        m.put("p50", any ? round(h.getValueAtPercentile(50) / scale, 3) : null);
        m.put("p90", any ? round(h.getValueAtPercentile(90) / scale, 3) : null);
        m.put("p99", any ? round(h.getValueAtPercentile(99) / scale, 3) : null);
        m.put("p999", any ? round(h.getValueAtPercentile(99.9) / scale, 3) : null);
        m.put("max", any ? round(h.getMaxValue() / scale, 3) : null);
        return m;
    }

    private Map<String, Object> serverFigures(@Nullable ServerMetrics before, @Nullable ServerMetrics after) {
        Map<String, Object> s = new LinkedHashMap<>();
        if (after == null) {
            s.put("available", false);
            return s;
        }
        List<MetricPoint> points;
        synchronized (series) {
            points = List.copyOf(series);
        }
        double heapMax = after.heapUsedBytes();
        double lagMax = Double.isNaN(after.fanoutLagSeconds()) ? 0 : after.fanoutLagSeconds();
        double lagEventsMax = Double.isNaN(after.fanoutLagEvents()) ? 0 : after.fanoutLagEvents();
        double gcMax = Double.isNaN(after.gcPauseMaxSeconds()) ? 0 : after.gcPauseMaxSeconds();
        for (MetricPoint m : points) {
            if (m.t() < 0) {
                continue;
            }
            heapMax = Math.max(heapMax, m.heapBytes());
            lagMax = Math.max(lagMax, Double.isNaN(m.fanoutLagSeconds()) ? 0 : m.fanoutLagSeconds());
            lagEventsMax = Math.max(lagEventsMax, Double.isNaN(m.fanoutLagEvents()) ? 0 : m.fanoutLagEvents());
            gcMax = Math.max(gcMax, Double.isNaN(m.gcPauseMaxSeconds()) ? 0 : m.gcPauseMaxSeconds());
        }
        s.put("heap_used_mb_end", round(after.heapUsedBytes() / (1 << 20), 1));
        s.put("heap_used_mb_max", round(heapMax / (1 << 20), 1));
        s.put("heap_max_mb", round(after.heapMaxBytes() / (1 << 20), 1));
        double gcCount = after.gcPauseCount() - (before == null ? 0 : before.gcPauseCount());
        double gcSeconds = after.gcPauseSeconds() - (before == null ? 0 : before.gcPauseSeconds());
        s.put("gc_pauses", Math.round(gcCount));
        s.put("gc_pause_total_ms", round(gcSeconds * 1000, 1));
        s.put("gc_pause_max_ms", round(gcMax * 1000, 1));
        s.put("fanout_lag_max_s", round(lagMax, 3));
        s.put("fanout_lag_max_events", Math.round(lagEventsMax));
        double deliveries = after.fanoutDeliveries() - (before == null ? 0 : before.fanoutDeliveries());
        s.put("fanout_deliveries", Math.round(deliveries));
        s.put("fanout_deliveries_per_s", Math.round(deliveries / (duration + warmup)));
        s.put("timeline_bytes_per_entry", Double.isNaN(after.timelineBytesPerEntry()) ? null : round(after.timelineBytesPerEntry(), 2));
        s.put("timeline_entries", Double.isNaN(after.timelineEntries()) ? null : Math.round(after.timelineEntries()));
        s.put("timeline_mb", Double.isNaN(after.timelineBytes()) ? null : round(after.timelineBytes() / (1 << 20), 1));
        Map<String, Object> hitRates = new LinkedHashMap<>();
        for (String cache : after.caches()) {
            double hits = after.cacheGets(cache, "hit") - (before == null ? 0 : before.cacheGets(cache, "hit"));
            double misses = after.cacheGets(cache, "miss") - (before == null ? 0 : before.cacheGets(cache, "miss"));
            if (hits + misses > 0) {
                hitRates.put(cache, round(hits / (hits + misses), 4));
            }
        }
        if (!hitRates.isEmpty()) {
            s.put("cache_hit_rate", hitRates);
        }
        if (embedded != null) {
            s.put("note", "embedded: server and generator share this JVM and its heap figures");
        }
        return s;
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", cpuModel());
        m.put("memory_gb", memoryGb());
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("jvm_max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static @Nullable Double memoryGb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return round(kb / 1024.0 / 1024.0, 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return null;
    }

    static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
