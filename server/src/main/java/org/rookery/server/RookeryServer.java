package org.rookery.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.common.logging.RequestOnlyLog;
import com.linecorp.armeria.common.metric.MeterIdPrefix;
import com.linecorp.armeria.common.metric.MeterIdPrefixFunction;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.healthcheck.SettableHealthChecker;
import com.linecorp.armeria.server.metric.MetricCollectingService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;
import org.rookery.core.activity.NotificationService;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.ConsumerLoop;
import org.rookery.core.event.StartFrom;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.tweets.TweetText;
import org.rookery.core.users.Registrations;
import org.rookery.core.users.UserService;
import org.rookery.embedded.RocksStore;
import org.rookery.server.admin.AdminApi;
import org.rookery.server.admin.BulkApi;
import org.rookery.server.api.AccountsApi;
import org.rookery.server.api.InstanceApi;
import org.rookery.server.api.NotificationsApi;
import org.rookery.server.api.OAuthApi;
import org.rookery.server.api.Renderer;
import org.rookery.server.api.Services;
import org.rookery.server.api.StatusesApi;
import org.rookery.server.api.TimelinesApi;
import org.rookery.server.http.InflightLimit;
import org.rookery.server.http.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole platform in one process: the embedded store and event log, the core services, the
 * public API server and the admin server. Thread-safe; {@link #close()} stops everything.
 *
 * <pre>{@code
 * try (RookeryServer server = RookeryServer.start(Config.builder().set(Settings.PORT, 0).build())) {
 *     System.out.println("API on " + server.port());
 * }
 * }</pre>
 */
public final class RookeryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RookeryServer.class);
    /** Largest admin request body: a bulk call of 100,000 follow edges as JSON is about 5 MB. */
    private static final int ADMIN_MAX_REQUEST_BYTES = 32 << 20;
    /** What a client's first home read asks for: the newest 20. */
    private static final Page FIRST_PAGE = new Page(0, 0, 0, 20);

    private final RocksStore store;
    private final Server api;
    private final Server admin;
    private final SettableHealthChecker ready = new SettableHealthChecker(false);
    private final Services services;
    private final PrometheusMeterRegistry registry;
    private Timelines home;
    private ConsumerLoop notificationsConsumer;

    private RookeryServer(Config config, InstantSource clock) {
        Instant startedAt = clock.instant();
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig conf) {
                if (id.getName().startsWith("rookery.http") && id.getType() == Meter.Type.TIMER) {
                    // Buckets from 0.1 ms: a home read from memory answers in well under 1 ms, and
                    // `rookery bench` reads these buckets to tell the server's part of a latency.
                    return DistributionStatisticConfig.builder().percentilesHistogram(true)
                            .minimumExpectedValue((double) java.time.Duration.ofMillis(1).dividedBy(10).toNanos())
                            .maximumExpectedValue((double) java.time.Duration.ofSeconds(10).toNanos())
                            .build().merge(conf);
                }
                return conf;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);

        int warmupPages = config.get(Settings.TIMELINE_WARMUP_PAGES);
        if (warmupPages < 0) {
            throw new IllegalArgumentException(Settings.TIMELINE_WARMUP_PAGES.name() + ": " + warmupPages
                    + " (expected: >= 0, 0 for none)");
        }
        Path dataDir = Path.of(config.get(Settings.DATA_DIR));
        store = RocksStore.open(RocksStore.Options.builder(dataDir)
                .partitions(config.get(Settings.LOG_PARTITIONS))
                .retention(config.get(Settings.LOG_RETENTION))
                .syncWrites(config.get(Settings.SYNC_WRITES))
                .blockCacheBytes((long) config.get(Settings.BLOCK_CACHE_MB) << 20)
                .counterCacheEntries(config.get(Settings.COUNTER_CACHE_SIZE))
                .maxQueuedBatches(config.get(Settings.COMMIT_QUEUE_MAX))
                .clock(clock)
                .build());
        try {
            bindStoreMetrics(registry, store);
            SnowflakeIdGenerator ids = new SnowflakeIdGenerator(config.get(Settings.WORKER_ID), clock,
                    config.get(Settings.CLOCK_BACKWARDS_WAIT));
            PasswordHasher hasher = new PasswordHasher(config.get(Settings.PASSWORD_HASH_MEMORY_KB),
                    config.get(Settings.PASSWORD_HASH_ITERATIONS));
            UserService users = new UserService(store, ids, clock, hasher, config.get(Settings.ACCOUNT_CACHE_SIZE));
            OAuthService oauth = new OAuthService(store, ids, clock, config.get(Settings.TOKEN_CACHE_SIZE));
            GraphService graph = new GraphService(store, users, ids, clock);
            TweetService tweets = new TweetService(store, users, graph, ids, clock,
                    new TweetText(config.get(Settings.MAX_TWEET_LENGTH)), config.get(Settings.IDEMPOTENCY_TTL),
                    config.get(Settings.TWEET_CACHE_SIZE));
            home = Timelines.start(config, store, users, graph, tweets, clock, registry);
            services = new Services(config, users, oauth, graph, tweets, store,
                    Registrations.parse(config.get(Settings.REGISTRATIONS)), new Renderer(users, tweets, (long) config.get(Settings.RENDER_CACHE_MB) << 20), home.reads());
            bindCacheMetrics(registry, Map.of("accounts", users.accountCache(), "tweets", tweets.tweetCache(),
                    "newest_post", tweets.lastTweetCache(), "counters", store.counterCache(),
                    "status_members", services.renderer().statusMemberCache(),
                    "profile_members", services.renderer().profileMemberCache(), "oauth_tokens", oauth.tokenCache()));
            NotificationService notifications = new NotificationService(store, tweets, graph,
                    config.get(Settings.NOTIFICATIONS_CAPACITY));
            notificationsConsumer = new ConsumerLoop(store, NotificationService.CONSUMER, StartFrom.savedOrEarliest(),
                    1024, clock, notifications::apply).start();
            bindConsumerMetrics(registry, notificationsConsumer);

            ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                    .registerModule(org.rookery.server.http.JsonTrees.module());
            String bind = config.get(Settings.BIND_ADDRESS);
            ServerBuilder sb = Server.builder()
                    .http(new InetSocketAddress(bind, config.get(Settings.PORT)))
                    .maxRequestLength(config.get(Settings.MAX_REQUEST_BYTES))
                    .meterRegistry(registry)
                    .errorHandler(new JsonErrors());
            int maxInflight = config.get(Settings.MAX_INFLIGHT_REQUESTS);
            IntSupplier inflight = () -> 0;
            if (maxInflight < 0) {
                throw new IllegalArgumentException(Settings.MAX_INFLIGHT_REQUESTS.name() + ": " + maxInflight
                        + " (expected: >= 0, 0 for no limit)");
            }
            if (maxInflight > 0) {
                InflightLimit limit = new InflightLimit(maxInflight);
                inflight = limit::inflight;
                sb.decorator(limit.decorator()); // inside the metrics decorator, so shed requests are counted as 503s
                bindInflightMetrics(registry, limit);
            }
            sb.decorator(MetricCollectingService.newDecorator(new RouteMeterIds()));
            Router router = new Router(sb, mapper, token -> authenticate(users, oauth, token),
                    config.get(Settings.PUBLIC_URL), config.get(Settings.HTTP_MEMORY_FIRST), inflight,
                    config.get(Settings.HTTP_MEMORY_FIRST_MAX_INFLIGHT));
            bindMemoryFirstMetrics(registry, router);
            new InstanceApi(services).register(router);
            new OAuthApi(services).register(router);
            new AccountsApi(services).register(router);
            new StatusesApi(services).register(router);
            new TimelinesApi(services).register(router);
            new NotificationsApi(services, notifications).register(router);
            byte[] missing = resource("missing.png");
            sb.service("/avatars/original/missing.png", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PNG, missing));
            sb.service("/headers/original/missing.png", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PNG, missing));
            byte[] index = resource("index.html");
            sb.service("/", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.HTML_UTF_8, HttpData.wrap(index)));
            api = sb.build();

            ServerBuilder ab = Server.builder()
                    .http(new InetSocketAddress(bind, config.get(Settings.ADMIN_PORT)))
                    .maxRequestLength(ADMIN_MAX_REQUEST_BYTES)
                    .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            new AdminApi(registry, ready, users, startedAt).register(ab);
            new BulkApi(users, oauth, graph, home.reads(), store, clock).register(ab);
            admin = ab.build();
            admin.start().join();
            api.start().join();
            // The base URL the render caches keep their entries for: the one clients' requests will carry.
            String publicUrl = config.get(Settings.PUBLIC_URL);
            String base = publicUrl.isEmpty() ? "http://127.0.0.1:" + api.activeLocalPort() : publicUrl;
            home.warmUp(user -> renderFirstPage(user, base, mapper), warmupPages);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** Opens the store, starts both servers and warms up; returns once the API is serving. */
    public static RookeryServer start(Config config) {
        return start(config, InstantSource.system());
    }

    public static RookeryServer start(Config config, InstantSource clock) {
        RookeryServer server = new RookeryServer(config, clock);
        server.warmUp();
        return server;
    }

    private static Optional<OAuthService.Token> authenticate(UserService users, OAuthService oauth, String raw) {
        Optional<OAuthService.Token> t = oauth.authenticate(raw);
        if (t.isPresent() && t.get().userId() != 0) {
            var account = users.get(t.get().userId());
            if (account.isEmpty()) {
                return Optional.empty();
            }
            if (!account.get().approved()) {
                throw RookeryException.forbidden("Your login is currently pending approval");
            }
        }
        return t;
    }

    /**
     * Reads and renders {@code user}'s first home page as {@code GET /api/v1/timelines/home} would,
     * without it counting as their read, and drops the JSON: what the cold start's warm-up does
     * for the most recently active users.
     */
    private void renderFirstPage(long user, String base, ObjectMapper mapper) {
        List<Tweet> page = home.reads().peek(user, FIRST_PAGE);
        if (page.isEmpty()) {
            return;
        }
        try {
            Router.jsonBody(mapper, PooledByteBufAllocator.DEFAULT, services.renderer().statuses(base, user, page))
                    .release();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Exercises the request path so the first users do not pay for JIT and class loading; then ready. */
    private void warmUp() {
        WebClient client = WebClient.of("http://127.0.0.1:" + port());
        for (int i = 0; i < 200; i++) {
            AggregatedHttpResponse r = client.get("/api/v1/instance").aggregate().join();
            if (r.status() != HttpStatus.OK) {
                log.warn("warm-up request answered {}", r.status());
                break;
            }
        }
        ready.setHealthy(true);
    }

    private static void bindStoreMetrics(MeterRegistry registry, RocksStore store) {
        Gauge.builder("rookery.store.batches.committed", store, RocksStore::committedBatches)
                .description("Write batches made durable").register(registry);
        Gauge.builder("rookery.store.commit.groups", store, RocksStore::commitGroups)
                .description("Group commits (one WAL sync each)").register(registry);
        Gauge.builder("rookery.log.events.appended", store, RocksStore::appendedEvents)
                .description("Events appended to the event log").register(registry);
        Gauge.builder("rookery.store.commit.queue", store, RocksStore::queuedBatches)
                .description("Batches waiting for the committer").register(registry);
        FunctionCounter.builder("rookery.store.commit.refused", store, RocksStore::refusedBatches)
                .description("Writes refused with 503 because the commit queue was full").register(registry);
        Gauge.builder("rookery.store.compaction.pending", store, RocksStore::pendingCompactionBytes)
                .baseUnit("bytes").description("RocksDB's estimate of the bytes compaction still has to rewrite")
                .register(registry);
        Gauge.builder("rookery.store.compactions.running", store, RocksStore::runningCompactions)
                .description("RocksDB compactions running now").register(registry);
    }

    /** {@code rookery.cache.gets{cache, result=hit|miss}}, Micrometer's name for a cache's lookups. */
    private static void bindCacheMetrics(MeterRegistry registry, Map<String, CacheCounts> caches) {
        String description = "Cache lookups answered from memory (hit) or sent on to the store (miss)";
        caches.forEach((name, counts) -> {
            FunctionCounter.builder("rookery.cache.gets", counts, CacheCounts::hits).tags("cache", name, "result", "hit")
                    .description(description).register(registry);
            FunctionCounter.builder("rookery.cache.gets", counts, CacheCounts::misses).tags("cache", name, "result", "miss")
                    .description(description).register(registry);
        });
    }

    private static void bindMemoryFirstMetrics(MeterRegistry registry, Router router) {
        FunctionCounter.builder("rookery.http.memory.first.requests", router, Router::servedFromMemory)
                .tag("outcome", "served")
                .description("Reads of memory-first routes answered on the event loop from memory")
                .register(registry);
        FunctionCounter.builder("rookery.http.memory.first.requests", router, Router::deferredFromMemory)
                .tag("outcome", "deferred")
                .description("Reads of memory-first routes that needed the disk and ran again on the blocking-task executor")
                .register(registry);
        FunctionCounter.builder("rookery.http.memory.first.requests", router, Router::busyForMemory)
                .tag("outcome", "busy")
                .description("Reads of memory-first routes handed straight to the blocking-task executor because "
                        + "rookery.http.memory.first.max.inflight requests or more were in flight")
                .register(registry);
    }

    private static void bindInflightMetrics(MeterRegistry registry, InflightLimit limit) {
        Gauge.builder("rookery.http.inflight.requests", limit, InflightLimit::inflight)
                .description("Public API requests in flight").register(registry);
        FunctionCounter.builder("rookery.http.shed.requests", limit, InflightLimit::shed)
                .description("Public API requests answered 503 because " + Settings.MAX_INFLIGHT_REQUESTS.name()
                        + " were already in flight").register(registry);
    }

    static void bindConsumerMetrics(MeterRegistry registry, ConsumerLoop loop) {
        Gauge.builder("rookery.consumer.lag.events", loop, ConsumerLoop::lagEvents).tag("consumer", loop.name())
                .description("Events appended but not yet applied").register(registry);
        Gauge.builder("rookery.consumer.lag.seconds", loop, ConsumerLoop::lagSeconds).tag("consumer", loop.name())
                .description("Age of the newest applied event while behind").register(registry);
    }

    private static byte[] resource(String name) {
        try (InputStream in = RookeryServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return api.activeLocalPort();
    }

    public int adminPort() {
        return admin.activeLocalPort();
    }

    public Services services() {
        return services;
    }

    public RocksStore store() {
        return store;
    }

    /** The home-timeline machinery: store, fanout consumer, reads. */
    public Timelines timelines() {
        return home;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        ready.setHealthy(false);
        // Both at once: each stop waits out its own quiet period (about 2 s on an idle server).
        CompletableFuture.allOf(api == null ? CompletableFuture.completedFuture(null) : api.stop(),
                admin == null ? CompletableFuture.completedFuture(null) : admin.stop()).join();
        if (home != null) {
            home.close();
        }
        if (notificationsConsumer != null) {
            notificationsConsumer.close();
        }
        store.close();
    }

    /** Meter ids tagged by route pattern (bounded cardinality), method and status. */
    private static final class RouteMeterIds implements MeterIdPrefixFunction {
        @Override
        public MeterIdPrefix activeRequestPrefix(MeterRegistry registry, RequestOnlyLog log) {
            return new MeterIdPrefix("rookery.http", "route", route(log), "method", log.requestHeaders().method().name());
        }

        @Override
        public MeterIdPrefix completeRequestPrefix(MeterRegistry registry, RequestLog log) {
            return new MeterIdPrefix("rookery.http", "route", route(log), "method", log.requestHeaders().method().name(),
                    "status", Integer.toString(log.responseHeaders().status().code()));
        }

        private static String route(RequestOnlyLog log) {
            if (log.context() instanceof ServiceRequestContext sctx) {
                return sctx.config().route().patternString();
            }
            return "unknown";
        }
    }

    /** Errors raised outside handlers (no route, body too large, bad method) as Mastodon JSON. */
    private static final class JsonErrors implements ServerErrorHandler {
        @Override
        public @Nullable HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
            if (cause instanceof com.linecorp.armeria.common.ContentTooLargeException) {
                return Router.error(413, "body: the request body is too large", "body");
            }
            return null;
        }

        @Override
        public @Nullable AggregatedHttpResponse renderStatus(@Nullable ServiceRequestContext ctx,
                                                             com.linecorp.armeria.server.ServiceConfig config,
                                                             com.linecorp.armeria.common.@Nullable RequestHeaders headers,
                                                             HttpStatus status, @Nullable String description,
                                                             @Nullable Throwable cause) {
            if (status == HttpStatus.NOT_FOUND) {
                return Router.errorResponse(404, "Record not found", null);
            }
            if (status == HttpStatus.REQUEST_ENTITY_TOO_LARGE) {
                return Router.errorResponse(413, "body: the request body is too large", "body");
            }
            if (status.isClientError()) {
                return Router.errorResponse(status.code(), status.reasonPhrase(), null);
            }
            return null;
        }
    }
}
