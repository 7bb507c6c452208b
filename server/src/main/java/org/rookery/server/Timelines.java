package org.rookery.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.core.event.ConsumerLoop;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventLog;
import org.rookery.core.event.StartFrom;
import org.rookery.core.graph.GraphService;
import org.rookery.core.timeline.FanoutPolicy;
import org.rookery.core.timeline.FanoutService;
import org.rookery.core.timeline.HomeTimelineService;
import org.rookery.core.timeline.PullLists;
import org.rookery.core.timeline.RateTracker;
import org.rookery.core.timeline.TimelineRules;
import org.rookery.core.timeline.TimelineSnapshot;
import org.rookery.core.timeline.TimelineStore;
import org.rookery.core.timeline.TweetIndex;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.users.UserService;
import org.rookery.embedded.RocksStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the home-timeline machinery: the in-memory timeline store, the tweet index, the fanout
 * consumer of the event log, reads with reconstruction, the hourly eviction of inactive users, the
 * writing of users' activity records each second, the timeline snapshot of a clean shutdown
 * ({@link TimelineSnapshot}), and their metrics. Thread-safe; {@link #close} stops the consumer and
 * the sweeper, writes the last activity records, then the snapshot.
 */
public final class Timelines implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Timelines.class);

    private final TimelineStore store;
    private final TweetIndex index;
    private final FanoutPolicy policy;
    private final FanoutService fanout;
    private final HomeTimelineService reads;
    private final ConsumerLoop loop;
    private final ScheduledExecutorService sweeper;
    private final ScheduledExecutorService activityWriter;
    private final EventLog eventLog;
    /** Where the snapshot is written on close; null when snapshots are off. */
    private final @Nullable Path snapshot;
    private final TimelineSnapshot.Counts restored;
    /** The cold start goes through the users active since this time. */
    private final long warmSinceMillis;

    /** The fanout consumer's name in the event log. */
    private static final String CONSUMER = "fanout";
    private static final TimelineSnapshot.Counts NOTHING = new TimelineSnapshot.Counts(0, 0, 0, 0);

    /** How often the activity noted by reads and sign-ins is written ({@link HomeTimelineService#flushActivity}). */
    private static final long ACTIVITY_FLUSH_MS = 1_000;

    private Timelines(TimelineStore store, TweetIndex index, FanoutPolicy policy, FanoutService fanout,
                      HomeTimelineService reads, ConsumerLoop loop, ScheduledExecutorService sweeper,
                      ScheduledExecutorService activityWriter, EventLog eventLog, @Nullable Path snapshot,
                      TimelineSnapshot.Counts restored, long warmSinceMillis) {
        this.store = store;
        this.index = index;
        this.policy = policy;
        this.fanout = fanout;
        this.reads = reads;
        this.loop = loop;
        this.sweeper = sweeper;
        this.activityWriter = activityWriter;
        this.eventLog = eventLog;
        this.snapshot = snapshot;
        this.restored = restored;
        this.warmSinceMillis = warmSinceMillis;
    }

    static Timelines start(Config config, RocksStore log, UserService users, GraphService graph, TweetService tweets,
                           InstantSource clock, MeterRegistry registry) {
        Path file = Path.of(config.get(Settings.DATA_DIR)).resolve(TimelineSnapshot.FILE_NAME);
        boolean snapshots = config.get(Settings.TIMELINE_SNAPSHOT);
        // Before anything fans out or reads: the snapshot holds the timelines as of the consumer's saved positions.
        Memory memory = loadMemory(config, file, snapshots, log);
        TimelineStore store = memory.store();
        TweetIndex index = memory.index();
        FanoutPolicy policy = memory.policy();
        RateTracker rates = new RateTracker();
        PullLists pullLists = new PullLists(log, policy, store.capacity() + TimelineRules.REPOST_WINDOW);
        FanoutService fanout = new FanoutService(store, index, policy, pullLists, tweets, graph, users, rates, clock,
                config.get(Settings.FOLLOWER_BATCH_SIZE), config.get(Settings.FOLLOWER_CACHE_MIN),
                (long) config.get(Settings.FOLLOWER_CACHE_MB) << 20);
        HomeTimelineService reads = new HomeTimelineService(log, store, index, policy, pullLists, tweets, graph, users,
                rates, clock, config.get(Settings.READER_CACHE_IDS));
        ConsumerLoop loop = new ConsumerLoop(log, CONSUMER, StartFrom.savedOrLatest(), 1024, clock, fanout::apply);
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rookery-timeline-sweeper");
            t.setDaemon(true);
            return t;
        });
        Duration active = Duration.ofDays(config.get(Settings.TIMELINE_ACTIVE_DAYS));
        sweeper.scheduleAtFixedRate(() -> sweep(store, rates, reads, clock, active), 1, 60, TimeUnit.MINUTES);
        // Its own thread: the sweeper is busy for minutes with the cold start (warmUp) after a crash.
        ScheduledExecutorService activityWriter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rookery-activity-writer");
            t.setDaemon(true);
            return t;
        });
        activityWriter.scheduleWithFixedDelay(() -> writeActivity(reads), ACTIVITY_FLUSH_MS, ACTIVITY_FLUSH_MS,
                TimeUnit.MILLISECONDS);
        Timelines t = new Timelines(store, index, policy, fanout, reads, loop, sweeper, activityWriter, log,
                snapshots ? file : null, memory.restored(), clock.millis() - active.toMillis());
        t.bindMetrics(registry);
        Gauge.builder("rookery.fanout.rate.authors", rates, RateTracker::trackedAuthors)
                .description("Authors whose posting rate the fanout cost model keeps (quiet ones are forgotten hourly)")
                .register(registry);
        loop.start();
        return t;
    }

    /**
     * Starts the cold start in the background: rebuilds the recently active users the snapshot did not
     * bring back (all of them, without one), loads the relationships of those it did, and hands the
     * first {@code firstPages} of them, the most recently active, to {@code firstPage} (which reads
     * and renders their first page without it counting as their read). Reads meanwhile reconstruct
     * on demand. Call once, after {@link #start}, when what renders a page exists.
     */
    void warmUp(LongConsumer firstPage, int firstPages) {
        reads.warmInBackground(warmSinceMillis, sweeper, sweeper::isShutdown, firstPage, firstPages);
    }

    /**
     * The hourly sweep: evicts users inactive for {@code active}, forgets quiet authors' rates and
     * old activity notes, drops pull ranges no timeline reaches any more, and logs what it did. A
     * failure is logged and the next hour's sweep runs as usual (an exception would otherwise cancel
     * every later run of the schedule).
     */
    private static void sweep(TimelineStore store, RateTracker rates, HomeTimelineService reads, InstantSource clock,
                              Duration active) {
        long started = System.nanoTime();
        try {
            int evicted = store.evictInactive(clock.millis() - active.toMillis());
            rates.setActiveReaders(store.residentUsers());
            int authors = rates.forgetQuietAuthors(clock.millis());
            int notes = reads.forgetOldActivity(clock.millis());
            int ranges = reads.expireClosedPullRanges();
            log.info("Hourly sweep: {} inactive users evicted, {} quiet authors' rates and {} activity notes forgotten,"
                    + " {} authors' pull ranges dropped, in {} ms", evicted, authors, notes, ranges,
                    (System.nanoTime() - started) / 1_000_000);
        } catch (RuntimeException e) {
            log.warn("The hourly sweep failed after {} ms; it runs again in an hour",
                    (System.nanoTime() - started) / 1_000_000, e);
        }
    }

    /** What a snapshot holds, and what was loaded into it. */
    private record Memory(TimelineStore store, TweetIndex index, FanoutPolicy policy,
                          TimelineSnapshot.Counts restored) {
        static Memory empty(Config config) {
            TimelineStore store = new TimelineStore(config.get(Settings.TIMELINE_CAPACITY),
                    config.get(Settings.TIMELINE_MEMORY_BYTES), config.get(Settings.TIMELINE_MAX_USERS));
            TweetIndex index = new TweetIndex(config.get(Settings.TWEET_INDEX_CAPACITY));
            int threshold = config.get(Settings.PULL_THRESHOLD);
            FanoutPolicy policy = switch (config.get(Settings.FANOUT_MODE)) {
                case "threshold" -> FanoutPolicy.threshold(threshold);
                case "adaptive" -> new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, threshold,
                        Math.min(threshold, config.get(Settings.FANOUT_ADAPTIVE_MIN_FOLLOWERS)),
                        new FanoutPolicy.Costs(config.get(Settings.FANOUT_COST_DELIVERY_NS),
                                config.get(Settings.FANOUT_COST_CACHED_DELIVERY_NS),
                                config.get(Settings.FOLLOWER_CACHE_MIN), config.get(Settings.FANOUT_COST_PULL_NS)));
                default -> throw new IllegalArgumentException("rookery.fanout.mode: "
                        + config.get(Settings.FANOUT_MODE) + " (expected: threshold or adaptive)");
            };
            return new Memory(store, index, policy, NOTHING);
        }
    }

    /**
     * The timeline store, tweet index and fanout policy to start with: loaded from the snapshot a
     * clean shutdown left if snapshots are on and it fits ({@link TimelineSnapshot#restore}), else
     * empty. The file is deleted either way: once the consumer moves on it no longer describes the
     * timelines.
     */
    private static Memory loadMemory(Config config, Path file, boolean snapshots, EventLog eventLog) {
        Memory memory = Memory.empty(config);
        if (!Files.exists(file)) {
            return memory;
        }
        if (snapshots) {
            long started = System.nanoTime();
            try {
                TimelineSnapshot.Counts c = TimelineSnapshot.restore(file, memory.store(), memory.index(),
                        memory.policy(), fanoutPositions(eventLog));
                log.info("Loaded the timeline snapshot: {} users, {} entries, {} tweets indexed, in {} ms",
                        c.users(), c.entries(), c.tweets(), (System.nanoTime() - started) / 1_000_000);
                memory = new Memory(memory.store(), memory.index(), memory.policy(), c);
            } catch (TimelineSnapshot.UnusableSnapshotException e) {
                log.warn("Not using the timeline snapshot ({}): rebuilding timelines from the store", e.getMessage());
            } catch (IOException | RuntimeException e) {
                log.warn("Loading the timeline snapshot failed; rebuilding timelines from the store", e);
                memory = Memory.empty(config); // without what was loaded before the failure
            }
        }
        try {
            Files.delete(file);
        } catch (IOException e) {
            // Left behind, it is refused at a later start once the consumer has moved past it.
            log.warn("Could not delete the used timeline snapshot {}: {}", file, e.toString());
        }
        return memory;
    }

    /** Where the fanout consumer would start now, by partition: its saved positions. */
    private static long[] fanoutPositions(EventLog eventLog) {
        long[] positions = new long[eventLog.partitionCount()];
        try (EventConsumer c = eventLog.subscribe(CONSUMER, StartFrom.savedOrLatest())) {
            for (int p : c.partitions()) {
                positions[p] = c.position(p);
            }
        }
        return positions;
    }

    /** Writes the activity noted since the last call; a failure is logged (the users' next activity notes them again). */
    private static void writeActivity(HomeTimelineService reads) {
        try {
            reads.flushActivity();
        } catch (RuntimeException e) {
            log.warn("Writing activity records failed: {}", e.toString());
        }
    }

    private void bindMetrics(MeterRegistry registry) {
        RookeryServer.bindConsumerMetrics(registry, loop);
        Gauge.builder("rookery.timeline.bytes", store, TimelineStore::ramBytesUsed)
                .description("Memory held by the timeline store").register(registry);
        Gauge.builder("rookery.timeline.tweet.index.bytes", index, TweetIndex::ramBytesUsed)
                .description("Memory held by the tweet index").register(registry);
        Gauge.builder("rookery.timeline.entries", store, TimelineStore::entries)
                .description("Entries across all home timelines").register(registry);
        Gauge.builder("rookery.timeline.bytes.per.entry", this, Timelines::bytesPerEntry)
                .description("Timeline store and tweet index bytes per stored entry").register(registry);
        Gauge.builder("rookery.timeline.resident.users", store, TimelineStore::residentUsers)
                .description("Users whose home timeline is in memory").register(registry);
        FunctionCounter.builder("rookery.timeline.evictions", store, TimelineStore::evictions).register(registry);
        FunctionCounter.builder("rookery.fanout.deliveries", fanout, FanoutService::deliveries)
                .description("Timeline inserts made by fanout").register(registry);
        FunctionCounter.builder("rookery.fanout.tweets", fanout, FanoutService::fannedOut).tag("mode", "push")
                .register(registry);
        FunctionCounter.builder("rookery.fanout.tweets", fanout, FanoutService::pulled).tag("mode", "pull")
                .register(registry);
        Gauge.builder("rookery.fanout.follower.cache.authors", fanout, f -> f.followerCache()[0])
                .description("Authors whose followers are kept in memory for fanout").register(registry);
        Gauge.builder("rookery.fanout.follower.cache.followers", fanout, f -> f.followerCache()[1])
                .description("Followers held by the fanout follower cache (4 bytes each)").register(registry);
        Gauge.builder("rookery.fanout.follower.cache.bytes", fanout, f -> f.followerCache()[2])
                .description("Memory held by the fanout follower cache, as rookery.fanout.follower.cache.mb counts it")
                .register(registry);
        Gauge.builder("rookery.timeline.activity.notes", reads, HomeTimelineService::activityNotes)
                .description("Users whose activity is noted in memory: those of the last hour (older notes are forgotten hourly)")
                .register(registry);
        Gauge.builder("rookery.timeline.warmup.pending", reads, HomeTimelineService::warmPending)
                .description("Recently active users the cold start (rebuild, relationships, first pages) has still to go through (0: done)")
                .register(registry);
        Gauge.builder("rookery.timeline.snapshot.restored.users", this, t -> t.restored.users())
                .description("Home timelines loaded from the snapshot of the last clean shutdown at this start")
                .register(registry);
        FunctionCounter.builder("rookery.timeline.reconstructions", reads, HomeTimelineService::reconstructions)
                .register(registry);
        FunctionCounter.builder("rookery.timeline.reconstruction.seconds", reads,
                r -> r.reconstructionNanos() / 1e9).register(registry);
    }

    private double bytesPerEntry() {
        long entries = store.entries();
        return entries == 0 ? 0 : (double) (store.ramBytesUsed() + index.ramBytesUsed()) / entries;
    }

    public TimelineStore store() {
        return store;
    }

    public FanoutService fanout() {
        return fanout;
    }

    public HomeTimelineService reads() {
        return reads;
    }

    /** The fanout consumer (for its lag). */
    public ConsumerLoop consumer() {
        return loop;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        activityWriter.shutdown();
        try {
            if (activityWriter.awaitTermination(10, TimeUnit.SECONDS)) {
                writeActivity(reads);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.close();
        if (snapshot != null) {
            if (reads.stopRebuilds(Duration.ofSeconds(10))) {
                writeSnapshot(snapshot);
            } else {
                log.warn("Timelines were still being rebuilt after 10 s: no snapshot; the next start rebuilds them");
            }
        }
    }

    /** With the consumer stopped: the timelines now hold exactly the events before its saved positions. */
    private void writeSnapshot(Path file) {
        long started = System.nanoTime();
        try {
            TimelineSnapshot.Counts c = TimelineSnapshot.write(file, store, index, policy, fanoutPositions(eventLog));
            log.info("Wrote the timeline snapshot: {} users, {} entries, {} tweets indexed, {} MB, in {} ms",
                    c.users(), c.entries(), c.tweets(), c.bytes() >> 20, (System.nanoTime() - started) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            log.warn("Writing the timeline snapshot failed; the next start rebuilds timelines from the store", e);
        }
    }

    /** What the start loaded from a snapshot (all 0 without one). */
    public TimelineSnapshot.Counts restored() {
        return restored;
    }
}
