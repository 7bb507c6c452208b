package org.rookery.core.timeline;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventLog;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.tweets.TweetText;
import org.rookery.core.users.Registrations;
import org.rookery.core.users.UserService;

/**
 * A deterministic simulation of the home-timeline machinery from one seed (the shape of Kafka's
 * {@code RaftEventSimulationTest}): the services wired as {@code Timelines} wires them, driven by a
 * seeded {@link Random} through sign-ups, follows (with and without reposts, and follow requests to
 * protected accounts, authorized or rejected), unfollows, blocks, mutes and their undo, protecting and
 * unprotecting accounts, posts of every visibility with mentions, replies, quotes, reposts, favourites,
 * deletes and un-reposts, fanout threshold changes, clean restarts and crashes in the middle of a
 * fanout batch (each sometimes followed by the cold-start warm-up of recently active users; clean
 * restarts sometimes write a timeline snapshot that the next start loads, and a snapshot is sometimes
 * left behind, so later restarts meet a stale one that must be refused unless it still fits),
 * inactive-user sweeps, and reads in between (reads make users resident, so later fanout must keep
 * their timelines right). In "flappy" seeds one busy author writes half of everything and the
 * threshold is set around its follower count before its writes, so it switches between push and pull
 * many times. The fanout consumer is driven synchronously (poll with {@code Duration.ZERO}, apply,
 * commit) after each write, except that some seeds let it lag for a while, so reads and restarts also
 * happen with events pending. At checkpoints (every 10 to 19 ops, and at the end) the fanout is caught
 * up and every user's home timeline is compared with a brute-force pull model.
 *
 * <h2>The model</h2>
 * Computed only from the simulation's own record of what happened (who follows whom and whether with
 * reposts, blocks, mutes, protected accounts, the tweets that exist with their authors, reply targets,
 * reposted originals, mentions and visibility), never from the services' storage: every existing tweet,
 * newest first, kept if {@link TimelineRules#belongs} holds for a {@link TimelineRules.Reader} built from
 * those relationships; then reposts hidden by {@link TimelineRules#hiddenAsRepeat} over that kept list;
 * then the tweets the reader may not see dropped ({@link TweetService#canSee}: a block by the author
 * hides everything, a protected author's or a private tweet needs a follow, a direct one a mention, a
 * repost also needs its original visible). Each write is checked against the model too: when the model
 * says an action must be refused (replying to a tweet one cannot see, reposting a private one,
 * following someone who blocks you) the service must refuse it, and when the model says it succeeds
 * the service must agree.
 *
 * <h2>Where the real system may differ, and how the comparison stays exact</h2>
 * A stored timeline keeps its newest {@code capacity} entries, cut <em>before</em> read-time filtering
 * (deleted tweets, entries that no longer belong, hidden reposts and invisible tweets keep taking
 * slots), while the model filters all of history. So the comparison is made where both are complete:
 * <ul>
 *   <li>The <em>floor</em>: when the reader's stored timeline is full, its oldest stored id (below it the
 *       store has dropped entries); 0 when it is not full (then it holds every entry that belongs). For a
 *       reader the store cannot index the read path rebuilds every time, and the floor is the model's
 *       {@code capacity}-th kept entry. Everything that belongs at or above the floor must reach the read,
 *       from the store or from a pull-mode author's merge.</li>
 *   <li>The <em>cut</em>: the floor, or the last entry of the page if the page came back full.</li>
 *   <li>A repost whose {@link TimelineRules#REPOST_WINDOW} window in the model reaches below the floor
 *       is <em>uncertain</em> (the read sees a different window there), unless its match lies above the
 *       floor: uncertain reposts are left out of both sides.</li>
 * </ul>
 * Above the cut, the page must equal the model exactly; anywhere, the page must hold only tweets the
 * model keeps and lets the reader see, newest first, without duplicates, and never a repost the model
 * hides for certain. At the last checkpoint the same timeline is also read in small pages (following
 * {@code max_id}), which must join into the single read, and above a bound taken from it with
 * {@code since_id} (the newest entries above it) and {@code min_id} (the entries just above it), which
 * must be the matching parts of the single read.
 *
 * <p>Determinism: all choices come from the seed's {@link Random}, time from a simulated clock, and the
 * timeline store's memory budget is either ample or at most 16 timelines (where eviction compares every
 * slot instead of sampling at random), so a seed replays exactly. Not thread-safe: one simulation per
 * thread.
 *
 * <pre>{@code
 * TimelineSimulation.Stats s = TimelineSimulation.run(42, (clock, partitions) -> {
 *     MemoryStore store = new MemoryStore(partitions, clock);
 *     return TimelineSimulation.inMemory(store, store);
 * });
 * }</pre>
 */
public final class TimelineSimulation {
    /** The durable state the simulated process restarts over. */
    public interface Backend extends AutoCloseable {
        KeyValueStore store();

        EventLog log();

        /** Simulates a process restart: a durable backend closes and reopens its store. */
        void restart();

        @Override
        void close();
    }

    /** Opens a fresh backend for one seed. */
    @FunctionalInterface
    public interface BackendFactory {
        Backend open(InstantSource clock, int partitions);
    }

    /** What one or more runs exercised, so a green run can show it covered the interesting paths. */
    public static final class Stats {
        long seeds;
        long ops;
        long rejectionsPredicted;
        long reads;
        long timelinesCompared;
        long keptByFanout;
        long entriesCompared;
        long comparedWithFloor;
        long uncertainLeftOut;
        long pagedChecks;
        long fannedOut;
        long pulled;
        long pullAuthorsSeen;
        long reconstructions;
        long evictions;
        long restarts;
        long crashes;
        long lagged;
        long mostPullRanges;
        long pullRangesExpired;
        long followerCacheAuthors;
        long snapshotsWritten;
        long snapshotsRestored;
        long snapshotsRefused;

        public synchronized void add(Stats o) {
            seeds += o.seeds;
            ops += o.ops;
            rejectionsPredicted += o.rejectionsPredicted;
            reads += o.reads;
            timelinesCompared += o.timelinesCompared;
            keptByFanout += o.keptByFanout;
            entriesCompared += o.entriesCompared;
            comparedWithFloor += o.comparedWithFloor;
            uncertainLeftOut += o.uncertainLeftOut;
            pagedChecks += o.pagedChecks;
            fannedOut += o.fannedOut;
            pulled += o.pulled;
            pullAuthorsSeen += o.pullAuthorsSeen;
            reconstructions += o.reconstructions;
            evictions += o.evictions;
            restarts += o.restarts;
            crashes += o.crashes;
            lagged += o.lagged;
            mostPullRanges = Math.max(mostPullRanges, o.mostPullRanges);
            pullRangesExpired += o.pullRangesExpired;
            followerCacheAuthors += o.followerCacheAuthors;
            snapshotsWritten += o.snapshotsWritten;
            snapshotsRestored += o.snapshotsRestored;
            snapshotsRefused += o.snapshotsRefused;
        }

        @Override
        public synchronized String toString() {
            return seeds + " seeds, " + ops + " ops (" + rejectionsPredicted + " refusals predicted), "
                    + reads + " reads between ops, " + timelinesCompared + " timelines compared ("
                    + keptByFanout + " kept up by fanout since an earlier read, " + comparedWithFloor
                    + " against a full store), " + entriesCompared + " entries compared, "
                    + uncertainLeftOut + " uncertain reposts left out, " + pagedChecks + " paged reads, "
                    + fannedOut + " tweets pushed, " + pulled + " pulled (" + pullAuthorsSeen + " pull authors), "
                    + reconstructions + " reconstructions, " + evictions + " evictions, " + restarts
                    + " restarts (" + crashes + " mid-batch crashes), " + lagged + " writes left to a lagging fanout, at most "
                    + mostPullRanges + " pull ranges opened by one author between restarts, " + pullRangesExpired
                    + " authors' closed pull ranges expired, " + followerCacheAuthors + " follower lists cached at restarts, "
                    + snapshotsWritten + " timeline snapshots written, " + snapshotsRestored + " loaded, "
                    + snapshotsRefused + " refused as stale";
        }
    }

    /**
     * Simulated time: moves when the simulation says so, and by 1 ms after 1,000 reads without a move,
     * so an id generator that used up a millisecond never waits for ever. Deterministic either way.
     */
    static final class SimClock implements InstantSource {
        private long now = Instant.parse("2025-03-01T00:00:00Z").toEpochMilli();
        private int readsSinceMove;

        void advance(long millis) {
            now += millis;
            readsSinceMove = 0;
        }

        @Override
        public long millis() {
            if (++readsSinceMove > 1_000) {
                advance(1);
            }
            return now;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }

    private static final int LOG_TAIL = 40;
    private static final String FANOUT = "fanout";

    // ---- configuration, all drawn from the seed
    private final long seed;
    private final Random rnd;
    /** Snapshot choices, from their own generator so that they leave the main sequence of a seed as it was. */
    private final Random snapshotRnd;
    /** The timeline snapshot's file, once a clean restart wrote one. */
    private @Nullable Path snapshotFile;
    private final SimClock clock = new SimClock();
    private final int capacity;
    private final long memoryBudget;
    private final int maxUsers;
    private final int indexCapacity;
    private final boolean adaptive;
    private final int followerBatch;
    private final int followerCacheMin;
    private final long followerCacheBytes;
    private final int pollBatch;
    private final double lagChance;
    /**
     * "Flappy" seeds: one author writes half of everything, and before each of its writes the threshold
     * is usually set just below or at its follower count so its mode flips; no restarts, which would
     * reset the policy's memory of pull ranges: many pull ranges per author.
     */
    private final boolean flappy;
    private final int ops;
    private final PasswordHasher hasher = new PasswordHasher(8, 1);
    private final Stats stats = new Stats();
    private final Backend backend;
    private int threshold;

    // ---- the system under test (rebuilt on restart)
    private UserService users;
    private GraphService graph;
    private TweetService tweets;
    private TimelineStore timelines;
    private TweetIndex index;
    private FanoutPolicy policy;
    private RateTracker rates;
    private FanoutService fanout;
    private HomeTimelineService home;
    private EventConsumer consumer;

    // ---- the model: the simulation's own record of history
    private final List<Long> userIds = new ArrayList<>();
    private final Map<Long, String> handles = new HashMap<>();
    private final Set<Long> locked = new HashSet<>();
    /** follower → followee → shows reposts. */
    private final Map<Long, TreeMap<Long, Boolean>> following = new HashMap<>();
    /** requester → protected target → shows reposts (as asked). */
    private final Map<Long, TreeMap<Long, Boolean>> requests = new HashMap<>();
    private final Map<Long, TreeSet<Long>> blocking = new HashMap<>();
    private final Map<Long, TreeSet<Long>> muting = new HashMap<>();
    /** Existing tweets (originals, replies, quotes, reposts) as the model knows them, by id. */
    private final TreeMap<Long, Tweet> tweetsById = new TreeMap<>();
    /** original → reposter → repost id. */
    private final Map<Long, TreeMap<Long, Long>> repostsOf = new HashMap<>();
    private final Map<Long, String> labels = new HashMap<>();
    private int tweetSeq;

    private final List<String> opLog = new ArrayList<>();
    private int opNo;
    private boolean pending; // events appended that the fanout has not applied
    private boolean holdFanout; // the next write's events stay unapplied (a crash is coming)
    /** Per author, whether it was pulling at the last look and how many pull ranges it opened since the restart. */
    private final Map<Long, Boolean> wasPulling = new HashMap<>();
    private final Map<Long, Integer> pullRanges = new HashMap<>();

    private TimelineSimulation(long seed, BackendFactory backends) {
        this.seed = seed;
        this.rnd = new Random(seed);
        this.snapshotRnd = new Random(~seed);
        this.capacity = pick(5, 8, 12, 20, 30);
        this.maxUsers = rnd.nextInt(8) == 0 ? 6 + rnd.nextInt(8) : 64;
        // Ample (never evicts), or at most 16 timelines: eviction then compares every slot (deterministic).
        this.memoryBudget = rnd.nextInt(4) != 0
                ? TimelineStore.bytesFor(capacity, 64)
                : TimelineStore.bytesFor(capacity, 4 + rnd.nextInt(13));
        this.indexCapacity = 8 + rnd.nextInt(56);
        this.adaptive = rnd.nextInt(5) == 0;
        this.threshold = 1 + rnd.nextInt(5);
        this.followerBatch = 1 + rnd.nextInt(4);
        this.pollBatch = 1 + rnd.nextInt(16);
        this.lagChance = rnd.nextBoolean() ? 0 : 0.3;
        this.flappy = rnd.nextInt(6) == 0;
        this.ops = 100 + rnd.nextInt(101);
        this.backend = backends.open(clock, 1 + rnd.nextInt(4));
        this.followerCacheMin = rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(3);
        // Sometimes a budget of a few lists, so that lists are dropped and rebuilt between posts.
        this.followerCacheBytes = rnd.nextBoolean() ? 1L << 20 : 150 + rnd.nextInt(400);
    }

    /**
     * Runs seed {@code seed} (100–200 ops) over a backend from {@code backends}; throws a
     * {@link SimulationFailure} naming the seed, with the op log, on any discrepancy.
     */
    public static Stats run(long seed, BackendFactory backends) {
        TimelineSimulation sim = new TimelineSimulation(seed, backends);
        try {
            sim.simulate();
            return sim.stats;
        } finally {
            sim.closeServices();
            sim.backend.close();
            sim.deleteSnapshot();
        }
    }

    private void simulate() {
        try {
            log("config: capacity " + capacity + ", timelines in budget "
                    + (memoryBudget / TimelineStore.bytesFor(capacity, 1)) + ", maxUsers " + maxUsers
                    + ", tweet index " + indexCapacity + ", " + (adaptive ? "adaptive" : "threshold") + " " + threshold
                    + ", follower batch " + followerBatch + ", poll batch " + pollBatch + ", lag " + lagChance
                    + (flappy ? ", flappy" : "") + ", follower cache from " + followerCacheMin + " in " + followerCacheBytes + " bytes"
                    + ", partitions " + backend.log().partitionCount() + ", ops " + ops);
            startServices();
            int initial = 8 + rnd.nextInt(13);
            for (int i = 0; i < initial; i++) {
                signUp();
            }
            for (int i = 0, n = initial * (1 + rnd.nextInt(3)); i < n; i++) {
                follow(); // a denser graph from the start: more authors above the pull threshold
            }
            catchUp();
            int nextCheck = 10 + rnd.nextInt(10);
            for (opNo = 1; opNo <= ops; opNo++) {
                clock.advance(1 + rnd.nextInt(30_000));
                step();
                stats.ops++;
                if (opNo == nextCheck) {
                    checkpoint(false);
                    nextCheck += 10 + rnd.nextInt(10);
                }
            }
            checkpoint(true);
            stats.seeds = 1;
        } catch (SimulationFailure f) {
            throw f;
        } catch (Throwable t) {
            throw new SimulationFailure(header("unexpected " + t) + tail(), t);
        }
    }

    // ------------------------------------------------------------------------------ the system

    private void startServices() {
        KeyValueStore store = backend.store();
        SnowflakeIdGenerator ids = new SnowflakeIdGenerator(0, clock, Duration.ofSeconds(1));
        users = new UserService(store, ids, clock, hasher);
        graph = new GraphService(store, users, ids, clock);
        // A tiny tweet cache, so that eviction and reloads are exercised too.
        tweets = new TweetService(store, users, graph, ids, clock, new TweetText(500), Duration.ofHours(24),
                rnd.nextBoolean() ? 0 : 8);
        timelines = new TimelineStore(capacity, memoryBudget, maxUsers);
        index = new TweetIndex(indexCapacity);
        policy = adaptive ? FanoutPolicy.adaptive(threshold) : FanoutPolicy.threshold(threshold);
        rates = new RateTracker();
        PullLists pullLists = new PullLists(store, policy, capacity + TimelineRules.REPOST_WINDOW);
        fanout = new FanoutService(timelines, index, policy, pullLists, tweets, graph, users, rates, clock, followerBatch,
                followerCacheMin, followerCacheBytes);
        home = new HomeTimelineService(store, timelines, index, policy, pullLists, tweets, graph, users, rates, clock);
        consumer = backend.log().subscribe(FANOUT, StartFrom.savedOrLatest());
    }

    private void closeServices() {
        if (fanout != null) {
            stats.fannedOut += fanout.fannedOut();
            stats.pulled += fanout.pulled();
            stats.pullAuthorsSeen += policy.pullAuthors().length;
            stats.followerCacheAuthors += fanout.followerCache()[0];
            stats.reconstructions += home.reconstructions();
            stats.evictions += timelines.evictions();
            consumer.close();
            fanout = null;
        }
    }

    private void restart(String why, boolean clean) {
        closeServices();
        if (clean && snapshotRnd.nextBoolean()) {
            writeSnapshot();
        }
        backend.restart();
        clock.advance(1_000 + rnd.nextInt(60_000)); // a restart takes time: the new id generator starts later
        startServices();
        restoreSnapshot();
        wasPulling.clear();
        pullRanges.clear();
        stats.restarts++;
        log("restart (" + why + ")");
        if (rnd.nextBoolean()) {
            // Cold start as Timelines does it: rebuild the recently active first (there, concurrently with
            // the fanout consuming its backlog; here before it, which is one of the orders that can happen).
            int warmed = home.warm(clock.millis() - (1 + rnd.nextInt(48)) * 3_600_000L, () -> false);
            log("warm-up rebuilt " + warmed + " recently active timelines");
        }
    }

    /** As {@code Timelines} does on close: with the consumer stopped, at its saved positions. */
    private void writeSnapshot() {
        try {
            if (snapshotFile == null) {
                snapshotFile = Files.createTempFile("rookery-sim-", ".snapshot");
            }
            long[] at = savedFanoutPositions();
            TimelineSnapshot.Counts c = TimelineSnapshot.write(snapshotFile, timelines, index, policy, at);
            stats.snapshotsWritten++;
            log("timeline snapshot written at " + Arrays.toString(at) + ": " + c.users() + " timelines, "
                    + c.entries() + " entries, " + c.tweets() + " tweets indexed");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * As {@code Timelines} does at start, before the consumer runs: loads the snapshot if it fits the
     * saved positions. Usually the file is deleted after; sometimes it stays behind, so that a later
     * restart (a crash included) finds it stale, and must refuse it, or still fitting, and may use it.
     */
    private void restoreSnapshot() {
        if (snapshotFile == null || !Files.exists(snapshotFile)) {
            return;
        }
        long[] at = savedFanoutPositions();
        try {
            TimelineSnapshot.Counts c = TimelineSnapshot.restore(snapshotFile, timelines, index, policy, at);
            stats.snapshotsRestored++;
            log("timeline snapshot loaded: " + c.users() + " timelines, " + c.entries() + " entries");
        } catch (TimelineSnapshot.UnusableSnapshotException e) {
            stats.snapshotsRefused++;
            log("timeline snapshot refused: " + e.getMessage());
            if (timelines.residentUsers() != 0 || index.size() != 0 || policy.pullAuthors().length != 0) {
                throw new SimulationFailure(header("a refused snapshot loaded " + timelines.residentUsers()
                        + " timelines, " + index.size() + " tweets and " + policy.pullAuthors().length
                        + " authors' pull ranges") + tail(), null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (snapshotRnd.nextInt(3) != 0) {
            deleteSnapshot();
        }
    }

    private void deleteSnapshot() {
        if (snapshotFile != null) {
            try {
                Files.deleteIfExists(snapshotFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private long[] savedFanoutPositions() {
        long[] at = new long[backend.log().partitionCount()];
        try (EventConsumer c = backend.log().subscribe(FANOUT, StartFrom.savedOrLatest())) {
            for (int p : c.partitions()) {
                at[p] = c.position(p);
            }
        }
        return at;
    }

    /** Polls, applies and commits until the fanout consumer has nothing left. */
    private void catchUp() throws InterruptedException {
        while (true) {
            List<LogRecord> batch = consumer.poll(pollBatch, Duration.ZERO);
            if (batch.isEmpty()) {
                pending = false;
                return;
            }
            fanout.apply(batch);
            consumer.commit();
            for (long u : userIds) {
                boolean pulling = policy.isPulling(u);
                if (pulling && !wasPulling.getOrDefault(u, false)) {
                    stats.mostPullRanges = Math.max(stats.mostPullRanges, pullRanges.merge(u, 1, Integer::sum));
                }
                wasPulling.put(u, pulling);
            }
        }
    }

    /** After a write: usually catch up; in lagging seeds sometimes leave the events for later. */
    private void afterWrite() throws InterruptedException {
        if (holdFanout || (lagChance > 0 && rnd.nextDouble() < lagChance)) {
            pending = true;
            stats.lagged++;
            return;
        }
        catchUp();
    }

    // ------------------------------------------------------------------------------ operations

    private void step() throws InterruptedException {
        int r = rnd.nextInt(1000);
        if ((r -= 180) < 0) {
            post();
        } else if ((r -= 90) < 0) {
            reply();
        } else if ((r -= 70) < 0) {
            repost();
        } else if ((r -= 25) < 0) {
            quote();
        } else if ((r -= 25) < 0) {
            favourite();
        } else if ((r -= 60) < 0) {
            delete();
        } else if ((r -= 20) < 0) {
            unrepost();
        } else if ((r -= 160) < 0) {
            follow();
        } else if ((r -= 45) < 0) {
            unfollow();
        } else if ((r -= 30) < 0) {
            answerRequest();
        } else if ((r -= 30) < 0) {
            block();
        } else if ((r -= 20) < 0) {
            unblock();
        } else if ((r -= 30) < 0) {
            mute();
        } else if ((r -= 20) < 0) {
            unmute();
        } else if ((r -= 15) < 0) {
            toggleProtected();
        } else if ((r -= 25) < 0) {
            changeThreshold();
        } else if ((r -= 25) < 0) {
            if (flappy) {
                read(); // flappy seeds never restart: that would reset the pull ranges under test
            } else if (r < -10) {
                restart("clean", true);
            } else {
                crash();
            }
        } else if ((r -= 15) < 0) {
            signUp();
        } else if ((r -= 10) < 0) {
            sweepInactive();
        } else {
            read();
        }
    }

    private void signUp() throws InterruptedException {
        String handle = "user" + userIds.size();
        Account a = users.register(handle, handle + "@example.com", "password-" + handle, Registrations.OPEN);
        userIds.add(a.id());
        handles.put(a.id(), handle);
        boolean protect = rnd.nextInt(5) == 0;
        if (protect) {
            users.updateProfile(a.id(), null, null, true, null);
            locked.add(a.id());
        }
        log("sign up " + handle + (protect ? " (protected)" : ""));
        afterWrite();
    }

    private void post() throws InterruptedException {
        long a = author();
        Visibility asked = pickVisibility();
        List<Long> mentioned = someUsers(rnd.nextInt(3));
        Tweet t = create(a, "post", asked, mentioned, null, 0);
        log(handle(a) + " posts " + describe(t));
        afterWrite();
    }

    private void reply() throws InterruptedException {
        long a = author();
        Tweet parent = pickTweet(a, false);
        if (parent == null) {
            post();
            return;
        }
        Visibility asked = pickVisibility();
        List<Long> mentioned = someUsers(rnd.nextInt(2));
        if (!visibleTo(a, parent)) {
            expectRefused(handle(a) + " replies to " + label(parent.id()) + ", which they cannot see",
                    () -> tweets.post(a, new NewTweet("re", parent.id(), 0, asked, "", false, null, null)));
            return;
        }
        Tweet t = create(a, "reply", asked, mentioned, parent, 0);
        log(handle(a) + " replies to " + label(parent.id()) + ": " + describe(t));
        afterWrite();
    }

    private void quote() throws InterruptedException {
        long a = author();
        Tweet q = pickTweet(a, true);
        if (q == null) {
            post();
            return;
        }
        Visibility asked = pickVisibility();
        if (!visibleTo(a, q) || q.isRepost() || !shareable(q)) {
            expectRefused(handle(a) + " quotes " + label(q.id()) + " (hidden, a repost or not shareable)",
                    () -> tweets.post(a, new NewTweet("quote", 0, q.id(), asked, "", false, null, null)));
            return;
        }
        Tweet t = create(a, "quote", asked, someUsers(rnd.nextInt(2)), null, q.id());
        log(handle(a) + " quotes " + label(q.id()) + ": " + describe(t));
        afterWrite();
    }

    /** Posts through the service and records the model's own version of the tweet. */
    private Tweet create(long a, String kind, @Nullable Visibility asked, List<Long> mentioned, @Nullable Tweet parent,
                         long quoteOf) {
        StringBuilder text = new StringBuilder(kind).append(' ').append(tweetSeq + 1);
        for (long m : mentioned) {
            text.append(" @").append(handles.get(m));
        }
        NewTweet req = new NewTweet(text.toString(), parent == null ? 0 : parent.id(), quoteOf, asked, "", false, null, null);
        Tweet got = call(handle(a) + " " + kind, () -> tweets.post(a, req));
        Visibility vis = asked != null ? asked : locked.contains(a) ? Visibility.PRIVATE : Visibility.PUBLIC;
        Set<Long> mentions = new LinkedHashSet<>(mentioned);
        long replyTo = parent == null ? 0 : parent.authorId();
        if (replyTo != 0 && replyTo != a) {
            mentions.add(replyTo);
        }
        Tweet model = new Tweet(got.id(), a, "", 0, parent == null ? 0 : parent.id(), replyTo, 0, quoteOf, vis, "",
                false, null, List.copyOf(mentions), List.of(), List.of());
        if (got.authorId() != a || got.visibility() != vis || !new HashSet<>(got.mentionIds()).equals(mentions)
                || got.inReplyToAccountId() != replyTo) {
            throw failure("the service stored " + got + " but the model expected " + model);
        }
        record(model);
        return model;
    }

    private void repost() throws InterruptedException {
        long a = author();
        Tweet t = pickTweet(a, true);
        if (t == null) {
            post();
            return;
        }
        Visibility asked = rnd.nextInt(3) == 0 ? pickVisibility() : null;
        Tweet target = t.isRepost() ? tweetsById.get(t.repostOfId()) : t;
        if (!visibleTo(a, t) || !visibleTo(a, target) || !shareable(target)) {
            expectRefused(handle(a) + " reposts " + label(t.id()) + " (hidden or not shareable)",
                    () -> tweets.repost(a, t.id(), asked));
            return;
        }
        Long existing = repostsOf.getOrDefault(target.id(), new TreeMap<>()).get(a);
        Tweet got = call(handle(a) + " reposts", () -> tweets.repost(a, t.id(), asked));
        if (existing != null) {
            if (got.id() != existing) {
                throw failure("reposting again returned " + got.id() + ", not the existing repost " + label(existing));
            }
            log(handle(a) + " reposts " + label(target.id()) + " again: same repost " + label(existing));
            return;
        }
        Visibility vis = asked == null || asked == Visibility.DIRECT ? Visibility.PUBLIC : asked;
        Tweet model = new Tweet(got.id(), a, "", 0, 0, 0, target.id(), 0, vis, "", false, null, List.of(), List.of(),
                List.of());
        if (got.repostOfId() != target.id() || got.visibility() != vis) {
            throw failure("the service stored repost " + got + " but the model expected " + model);
        }
        record(model);
        repostsOf.computeIfAbsent(target.id(), k -> new TreeMap<>()).put(a, got.id());
        log(handle(a) + " reposts " + label(t.id()) + ": " + describe(model));
        afterWrite();
    }

    private void favourite() throws InterruptedException {
        long a = anyUser();
        Tweet t = pickTweet(a, true);
        if (t == null) {
            return;
        }
        Tweet target = t.isRepost() ? tweetsById.get(t.repostOfId()) : t;
        if (!visibleTo(a, t) || !visibleTo(a, target)) {
            expectRefused(handle(a) + " favourites " + label(t.id()) + ", hidden from them",
                    () -> tweets.favourite(a, t.id()));
            return;
        }
        call("favourite", () -> tweets.favourite(a, t.id()));
        log(handle(a) + " favourites " + label(t.id()));
        afterWrite();
    }

    private void delete() throws InterruptedException {
        long a = anyUser();
        List<Tweet> own = tweetsById.values().stream().filter(t -> t.authorId() == a).toList();
        if (own.isEmpty()) {
            post();
            return;
        }
        Tweet t = own.get(rnd.nextInt(own.size()));
        if (!visibleTo(a, t)) {
            // A repost of an original its author has since hidden from the reposter: not even they can reach it.
            expectRefused(handle(a) + " deletes " + label(t.id()) + " whose original they cannot see",
                    () -> tweets.delete(a, t.id()));
            return;
        }
        call("delete", () -> tweets.delete(a, t.id()));
        forget(t);
        log(handle(a) + " deletes " + label(t.id()));
        afterWrite();
    }

    private void unrepost() throws InterruptedException {
        long a = anyUser();
        Tweet t = pickTweet(a, true);
        if (t == null) {
            return;
        }
        if (!visibleTo(a, t)) {
            expectRefused(handle(a) + " un-reposts " + label(t.id()) + ", hidden from them", () -> tweets.unrepost(a, t.id()));
            return;
        }
        long originalId = t.isRepost() ? t.repostOfId() : t.id();
        call("unrepost", () -> tweets.unrepost(a, t.id()));
        Long repost = repostsOf.getOrDefault(originalId, new TreeMap<>()).get(a);
        if (repost != null) {
            forget(tweetsById.get(repost));
        }
        log(handle(a) + " un-reposts " + label(originalId) + (repost == null ? " (had not reposted it)" : ": " + label(repost)));
        afterWrite();
    }

    private void follow() throws InterruptedException {
        long a = anyUser();
        long b = otherUser(a);
        boolean showReposts = rnd.nextInt(4) != 0;
        boolean notify = rnd.nextInt(5) == 0;
        String what = handle(a) + " follows " + handle(b) + (showReposts ? "" : " without reposts");
        if (blocks(a, b) || blocks(b, a)) {
            expectRefused(what + " across a block", () -> graph.follow(a, b, showReposts, notify));
            return;
        }
        call("follow", () -> graph.follow(a, b, showReposts, notify));
        if (follows(a, b)) {
            following.get(a).put(b, showReposts);
            log(what + " (updates the follow)");
        } else if (locked.contains(b)) {
            requests.computeIfAbsent(a, k -> new TreeMap<>()).putIfAbsent(b, showReposts);
            log(what + " (asks: protected)");
        } else {
            following.computeIfAbsent(a, k -> new TreeMap<>()).put(b, showReposts);
            log(what);
        }
        afterWrite();
    }

    private void unfollow() throws InterruptedException {
        long a = anyUser();
        List<Long> followed = new ArrayList<>(following.getOrDefault(a, new TreeMap<>()).keySet());
        followed.addAll(requests.getOrDefault(a, new TreeMap<>()).keySet());
        long b = followed.isEmpty() || rnd.nextInt(5) == 0 ? otherUser(a) : followed.get(rnd.nextInt(followed.size()));
        call("unfollow", () -> graph.unfollow(a, b));
        removeFollow(a, b);
        log(handle(a) + " unfollows " + handle(b));
        afterWrite();
    }

    private void answerRequest() throws InterruptedException {
        List<long[]> open = new ArrayList<>();
        for (long r : userIds) {
            for (long target : requests.getOrDefault(r, new TreeMap<>()).keySet()) {
                open.add(new long[] {r, target});
            }
        }
        if (open.isEmpty()) {
            follow();
            return;
        }
        long[] req = open.get(rnd.nextInt(open.size()));
        long requester = req[0];
        long target = req[1];
        boolean showReposts = requests.get(requester).remove(target);
        if (rnd.nextInt(4) == 0) {
            call("reject", () -> graph.rejectRequest(target, requester));
            log(handle(target) + " rejects " + handle(requester) + "'s follow request");
        } else {
            call("authorize", () -> graph.authorizeRequest(target, requester));
            following.computeIfAbsent(requester, k -> new TreeMap<>()).putIfAbsent(target, showReposts);
            log(handle(target) + " authorizes " + handle(requester) + "'s follow request");
        }
        afterWrite();
    }

    private void block() throws InterruptedException {
        long a = anyUser();
        long b = otherUser(a);
        call("block", () -> graph.block(a, b));
        if (!blocks(a, b)) {
            removeFollow(a, b);
            removeFollow(b, a);
            blocking.computeIfAbsent(a, k -> new TreeSet<>()).add(b);
        }
        log(handle(a) + " blocks " + handle(b));
        afterWrite();
    }

    private void unblock() throws InterruptedException {
        long a = anyUser();
        List<Long> blocked = new ArrayList<>(blocking.getOrDefault(a, new TreeSet<>()));
        long b = blocked.isEmpty() ? otherUser(a) : blocked.get(rnd.nextInt(blocked.size()));
        call("unblock", () -> graph.unblock(a, b));
        blocking.getOrDefault(a, new TreeSet<>()).remove(b);
        log(handle(a) + " unblocks " + handle(b));
        afterWrite();
    }

    private void mute() throws InterruptedException {
        long a = anyUser();
        long b = otherUser(a);
        boolean notifications = rnd.nextBoolean();
        call("mute", () -> graph.mute(a, b, notifications));
        muting.computeIfAbsent(a, k -> new TreeSet<>()).add(b);
        log(handle(a) + " mutes " + handle(b));
        afterWrite();
    }

    private void unmute() throws InterruptedException {
        long a = anyUser();
        List<Long> muted = new ArrayList<>(muting.getOrDefault(a, new TreeSet<>()));
        long b = muted.isEmpty() ? otherUser(a) : muted.get(rnd.nextInt(muted.size()));
        call("unmute", () -> graph.unmute(a, b));
        muting.getOrDefault(a, new TreeSet<>()).remove(b);
        log(handle(a) + " unmutes " + handle(b));
        afterWrite();
    }

    private void toggleProtected() throws InterruptedException {
        long a = anyUser();
        boolean now = !locked.contains(a);
        call("protect", () -> users.updateProfile(a, null, null, now, null));
        if (now) {
            locked.add(a);
        } else {
            locked.remove(a);
        }
        log(handle(a) + (now ? " protects their account" : " unprotects their account"));
        afterWrite();
    }

    private void changeThreshold() {
        threshold = 1 + rnd.nextInt(6);
        policy.setThreshold(threshold);
        log("fanout threshold set to " + threshold);
    }

    /** A write, then the process dies part-way through fanning its events out, before committing. */
    private void crash() throws InterruptedException {
        holdFanout = true;
        post();
        holdFanout = false;
        List<LogRecord> batch = consumer.poll(pollBatch, Duration.ZERO);
        int applied = batch.isEmpty() ? 0 : rnd.nextInt(batch.size() + 1);
        fanout.apply(batch.subList(0, applied));
        stats.crashes++;
        pending = true;
        restart("crash after applying " + applied + " of a batch of " + batch.size() + ", uncommitted", false);
    }

    private void sweepInactive() {
        clock.advance((1 + rnd.nextInt(6)) * 3_600_000L);
        long cutoff = clock.millis() - (1 + rnd.nextInt(3)) * 3_600_000L;
        int n = timelines.evictInactive(cutoff);
        rates.setActiveReaders(timelines.residentUsers()); // what the hourly sweeper does
        int expired = home.expireClosedPullRanges();
        stats.pullRangesExpired += expired;
        log("hours pass; " + n + " inactive timelines evicted, " + expired + " authors' closed pull ranges expired");
    }

    private void read() {
        long a = anyUser();
        long maxId = 0;
        if (rnd.nextInt(4) == 0 && !tweetsById.isEmpty()) {
            List<Long> ids = new ArrayList<>(tweetsById.keySet());
            maxId = ids.get(rnd.nextInt(ids.size()));
        }
        int limit = 1 + rnd.nextInt(capacity);
        long max = maxId;
        List<Tweet> page = call("read", () -> home.home(a, new Page(max, 0, 0, limit)));
        stats.reads++;
        log(handle(a) + " reads " + limit + (maxId == 0 ? "" : " below " + label(maxId)) + (pending ? " (fanout lagging)" : "")
                + ": " + page.size() + " tweets");
    }

    // ------------------------------------------------------------------------------ model updates

    private void record(Tweet t) {
        tweetsById.put(t.id(), t);
        labels.put(t.id(), "t" + (++tweetSeq));
    }

    /** A tweet and, for an original, every repost of it. */
    private void forget(Tweet t) {
        tweetsById.remove(t.id());
        if (t.isRepost()) {
            repostsOf.getOrDefault(t.repostOfId(), new TreeMap<>()).remove(t.authorId());
        } else {
            TreeMap<Long, Long> reposts = repostsOf.remove(t.id());
            if (reposts != null) {
                reposts.values().forEach(tweetsById::remove);
            }
        }
    }

    private void removeFollow(long a, long b) {
        following.getOrDefault(a, new TreeMap<>()).remove(b);
        requests.getOrDefault(a, new TreeMap<>()).remove(b);
    }

    private boolean follows(long a, long b) {
        return following.getOrDefault(a, new TreeMap<>()).containsKey(b);
    }

    private boolean blocks(long a, long b) {
        return blocking.getOrDefault(a, new TreeSet<>()).contains(b);
    }

    private boolean shareable(Tweet t) {
        return (t.visibility() == Visibility.PUBLIC || t.visibility() == Visibility.UNLISTED)
                && !locked.contains(t.authorId());
    }

    /** {@link TweetService#filterVisible} semantics, from the model's relationships. */
    private boolean visibleTo(long viewer, Tweet t) {
        if (!canSee(viewer, t)) {
            return false;
        }
        if (t.isRepost()) {
            Tweet o = tweetsById.get(t.repostOfId());
            return o != null && canSee(viewer, o);
        }
        return true;
    }

    private boolean canSee(long viewer, Tweet t) {
        long author = t.authorId();
        return viewer == author || TweetService.canSee(t, locked.contains(author), follows(viewer, author),
                blocks(author, viewer), t.mentionIds().contains(viewer));
    }

    private TimelineRules.Reader reader(long u) {
        TreeMap<Long, Boolean> f = following.getOrDefault(u, new TreeMap<>());
        long[] follows = f.keySet().stream().mapToLong(Long::longValue).toArray();
        long[] hides = f.entrySet().stream().filter(e -> !e.getValue()).mapToLong(Map.Entry::getKey).toArray();
        Set<Long> hidden = new TreeSet<>(blocking.getOrDefault(u, new TreeSet<>()));
        hidden.addAll(muting.getOrDefault(u, new TreeSet<>()));
        long[] blockedBy = userIds.stream().filter(v -> blocks(v, u)).mapToLong(Long::longValue).toArray();
        return new TimelineRules.Reader(u, follows, hides, hidden.stream().mapToLong(Long::longValue).toArray(), blockedBy);
    }

    /** The model's timeline of one reader: the kept list, its hidden repeats and what the reader may see. */
    private final class Expected {
        final long[] ids;
        final long[] content;
        final boolean[] hidden;
        final boolean[] visible;
        final int n;

        Expected(long u) {
            TimelineRules.Reader reader = reader(u);
            List<Tweet> kept = new ArrayList<>();
            for (Tweet t : tweetsById.descendingMap().values()) {
                Tweet original = t.isRepost() ? tweetsById.get(t.repostOfId()) : null;
                if (TimelineRules.belongs(reader, t, original)) {
                    kept.add(t);
                }
            }
            n = kept.size();
            ids = new long[n];
            content = new long[n];
            visible = new boolean[n];
            for (int i = 0; i < n; i++) {
                Tweet t = kept.get(i);
                ids[i] = t.id();
                content[i] = t.isRepost() ? t.repostOfId() : t.id();
                visible[i] = visibleTo(u, t);
            }
            hidden = TimelineRules.hiddenAsRepeat(ids, content, n);
        }

        /** Whether entry {@code i}'s hidden-as-repeat status could differ in a read that lacks the kept entries below {@code floor}. */
        boolean uncertain(int i, long floor) {
            if (floor == 0 || ids[i] == content[i]) {
                return false;
            }
            int end = Math.min(n, i + 1 + TimelineRules.REPOST_WINDOW);
            if (hidden[i]) {
                for (int j = i + 1; j < end; j++) {
                    if (content[j] == content[i]) {
                        return ids[j] < floor;
                    }
                }
            }
            return end > i + 1 && ids[end - 1] < floor;
        }

        int indexOf(long id) {
            for (int i = 0; i < n; i++) {
                if (ids[i] == id) {
                    return i;
                }
            }
            return -1;
        }
    }

    // ------------------------------------------------------------------------------ checking

    private void checkpoint(boolean last) throws InterruptedException {
        catchUp();
        log("checkpoint: every home timeline against the model");
        for (long u : userIds) {
            checkUser(u, last);
        }
    }

    private void checkUser(long u, boolean last) {
        Expected model = new Expected(u);
        boolean wasResident = timelines.isResident(u);
        List<Tweet> page = call("home read of " + handle(u), () -> home.home(u, Page.newest(capacity)));
        long[] actual = page.stream().mapToLong(Tweet::id).toArray();

        long floor;
        if (timelines.isResident(u)) {
            long[] stored = new long[capacity];
            int n = timelines.read(u, 0, 0, stored, capacity);
            for (int i = 1; i < n; i++) {
                if (stored[i] >= stored[i - 1]) {
                    throw mismatch(u, "the stored timeline is not strictly newest first", model, actual, 0,
                            Arrays.copyOf(stored, n));
                }
            }
            floor = n == capacity ? stored[n - 1] : 0;
        } else {
            floor = model.n >= capacity ? model.ids[capacity - 1] : 0;
        }
        long cut = Math.max(floor, actual.length == capacity ? actual[actual.length - 1] : 0);

        for (int i = 0; i < actual.length; i++) {
            if (i > 0 && actual[i] >= actual[i - 1]) {
                throw mismatch(u, "the page is not strictly newest first", model, actual, floor, null);
            }
            int k = model.indexOf(actual[i]);
            if (k < 0 || !model.visible[k]) {
                throw mismatch(u, "the page shows " + label(actual[i]) + ", which the model says "
                        + (k < 0 ? "does not belong in this timeline" : "the reader may not see"), model, actual, floor, null);
            }
            if (model.hidden[k] && !model.uncertain(k, floor)) {
                throw mismatch(u, "the page shows " + label(actual[i]) + ", a repost the model hides as a repeat",
                        model, actual, floor, null);
            }
        }
        List<Long> expected = new ArrayList<>();
        Set<Long> uncertain = new HashSet<>();
        for (int i = 0; i < model.n; i++) {
            if (model.ids[i] < cut) {
                break;
            }
            if (model.uncertain(i, floor)) {
                uncertain.add(model.ids[i]);
            } else if (!model.hidden[i] && model.visible[i]) {
                expected.add(model.ids[i]);
            }
        }
        List<Long> got = new ArrayList<>();
        for (long id : actual) {
            if (id >= cut && !uncertain.contains(id)) {
                got.add(id);
            }
        }
        if (!got.equals(expected)) {
            List<Long> missing = new ArrayList<>(expected);
            missing.removeAll(got);
            List<Long> extra = new ArrayList<>(got);
            extra.removeAll(expected);
            throw mismatch(u, "the page differs from the model at or above " + (cut == 0 ? "the bottom" : label(cut))
                    + "; missing " + describeAll(missing) + ", unexpected " + describeAll(extra)
                    + (missing.isEmpty() && extra.isEmpty() ? " (same tweets, other order)" : ""), model, actual, floor, null);
        }
        stats.timelinesCompared++;
        if (wasResident) {
            stats.keptByFanout++;
        }
        stats.entriesCompared += expected.size();
        stats.uncertainLeftOut += uncertain.size();
        if (floor != 0) {
            stats.comparedWithFloor++;
        }
        if (last) {
            checkPaged(u, model, actual, floor);
        }
    }

    /** Scrolling in small pages (each below the last id of the one before) shows what one read shows. */
    private void checkPaged(long u, Expected model, long[] single, long floor) {
        int size = 1 + rnd.nextInt(7);
        List<Long> scrolled = new ArrayList<>();
        long maxId = 0;
        while (scrolled.size() < single.length) {
            long max = maxId;
            List<Tweet> page = call("paged read", () -> home.home(u, new Page(max, 0, 0, size)));
            if (page.isEmpty()) {
                break;
            }
            page.forEach(t -> scrolled.add(t.id()));
            maxId = page.get(page.size() - 1).id();
        }
        List<Long> one = Arrays.stream(single).boxed().toList();
        List<Long> joined = scrolled.subList(0, Math.min(scrolled.size(), one.size()));
        if (!joined.equals(one)) {
            throw mismatch(u, "pages of " + size + " joined " + labels(joined) + " differ from one read", model, single,
                    floor, null);
        }
        stats.pagedChecks++;
        if (single.length < 2) {
            return;
        }
        // Loading newer entries: since_id gives the newest ones above it, min_id the ones just above it.
        int at = 1 + rnd.nextInt(single.length - 1);
        long bound = single[at];
        List<Long> above = one.subList(0, at);
        List<Long> since = call("since_id read", () -> home.home(u, new Page(0, bound, 0, capacity))).stream()
                .map(Tweet::id).toList();
        if (!since.equals(above)) {
            throw mismatch(u, "since_id " + label(bound) + " gave " + labels(since) + ", but one read shows "
                    + labels(above) + " above it", model, single, floor, null);
        }
        int limit = 1 + rnd.nextInt(at);
        List<Long> newer = call("min_id read", () -> home.home(u, new Page(0, 0, bound, limit))).stream()
                .map(Tweet::id).toList();
        List<Long> justAbove = above.subList(at - limit, at);
        if (!newer.equals(justAbove)) {
            throw mismatch(u, "min_id " + label(bound) + " limit " + limit + " gave " + labels(newer)
                    + ", but one read shows " + labels(justAbove) + " just above it", model, single, floor, null);
        }
    }

    // ------------------------------------------------------------------------------ helpers

    private @Nullable Tweet pickTweet(long viewer, boolean repostsToo) {
        List<Tweet> all = tweetsById.values().stream().filter(t -> repostsToo || !t.isRepost()).toList();
        if (all.isEmpty()) {
            return null;
        }
        if (rnd.nextInt(5) != 0) { // mostly something the actor can see
            List<Tweet> seen = all.stream().filter(t -> visibleTo(viewer, t)).toList();
            if (!seen.isEmpty()) {
                return seen.get(rnd.nextInt(seen.size()));
            }
        }
        return all.get(rnd.nextInt(all.size()));
    }

    private @Nullable Visibility pickVisibility() {
        int r = rnd.nextInt(10);
        return r < 3 ? null : r < 6 ? Visibility.PUBLIC : r < 7 ? Visibility.UNLISTED : r < 9 ? Visibility.PRIVATE
                : Visibility.DIRECT;
    }

    /** Who writes next; in flappy seeds half the time the busy author, whose mode is then usually flipped. */
    private long author() {
        if (!flappy || rnd.nextBoolean()) {
            return anyUser();
        }
        long a = userIds.get(0);
        long followers = following.values().stream().filter(f -> f.containsKey(a)).count();
        if (followers >= 2 && rnd.nextInt(4) != 0) {
            threshold = (int) (policy.isPulling(a) ? followers : followers - 1);
            policy.setThreshold(threshold);
            log("fanout threshold set to " + threshold + " (" + handle(a) + " has " + followers + " followers)");
        }
        return a;
    }

    private long anyUser() {
        return userIds.get(rnd.nextInt(userIds.size()));
    }

    private long otherUser(long a) {
        long b;
        do {
            b = anyUser();
        } while (b == a);
        return b;
    }

    private List<Long> someUsers(int n) {
        Set<Long> out = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            out.add(anyUser());
        }
        return List.copyOf(out);
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private interface Call<T> {
        T run();
    }

    /** Runs an action the model expects to succeed. */
    private <T> T call(String what, Call<T> action) {
        try {
            return action.run();
        } catch (RookeryException e) {
            throw failure("the model expected \"" + what + "\" to succeed; the service refused: " + e.getMessage());
        }
    }

    /** Runs an action the model expects the service to refuse. */
    private void expectRefused(String what, Call<?> action) {
        try {
            action.run();
        } catch (RookeryException e) {
            stats.rejectionsPredicted++;
            log(what + ": refused (" + e.status() + ")");
            return;
        }
        throw failure("the model expected the service to refuse: " + what + "; it accepted");
    }

    private void log(String line) {
        opLog.add("#" + opNo + " " + line);
    }

    private String handle(long user) {
        return handles.getOrDefault(user, "?" + user);
    }

    private String label(long tweetId) {
        return labels.getOrDefault(tweetId, "?") + "/" + tweetId;
    }

    private String labels(List<Long> ids) {
        return ids.stream().map(id -> labels.getOrDefault(id, "?" + id)).collect(Collectors.joining(" ", "[", "]"));
    }

    private String describe(Tweet t) {
        StringBuilder sb = new StringBuilder(labels.getOrDefault(t.id(), "?")).append(' ').append(t.visibility().apiName());
        if (t.isRepost()) {
            sb.append(" repost of ").append(labels.getOrDefault(t.repostOfId(), "?"));
        }
        if (t.isReply()) {
            sb.append(" reply to ").append(labels.getOrDefault(t.inReplyToId(), "?")).append(" by ")
                    .append(handle(t.inReplyToAccountId()));
        }
        if (t.quoteOfId() != 0) {
            sb.append(" quoting ").append(labels.getOrDefault(t.quoteOfId(), "?"));
        }
        if (!t.mentionIds().isEmpty()) {
            sb.append(" mentioning ").append(t.mentionIds().stream().map(this::handle).collect(Collectors.joining(",")));
        }
        return sb.toString();
    }

    private String describeAll(List<Long> ids) {
        return ids.stream().map(id -> {
            Tweet t = tweetsById.get(id);
            return t == null ? label(id) + " (deleted)" : describe(t) + " by " + handle(t.authorId());
        }).collect(Collectors.joining("; ", "[", "]"));
    }

    private String relationships(long u) {
        LongFunction<String> h = this::handle;
        return handle(u) + (locked.contains(u) ? " (protected)" : "") + " follows "
                + following.getOrDefault(u, new TreeMap<>()).entrySet().stream()
                        .map(e -> h.apply(e.getKey()) + (e.getValue() ? "" : "(no reposts)")).toList()
                + ", blocks " + blocking.getOrDefault(u, new TreeSet<>()).stream().map(h::apply).toList()
                + ", mutes " + muting.getOrDefault(u, new TreeSet<>()).stream().map(h::apply).toList()
                + ", blocked by " + userIds.stream().filter(v -> blocks(v, u)).map(h::apply).toList()
                + "; protected accounts " + locked.stream().map(h::apply).sorted().toList();
    }

    private SimulationFailure mismatch(long u, String what, Expected model, long[] actual, long floor,
                                       long @Nullable [] stored) {
        List<Long> expected = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < model.n; i++) {
            if (!model.hidden[i] && model.visible[i]) {
                expected.add(model.ids[i]);
            } else {
                notes.add(labels.getOrDefault(model.ids[i], "?") + (model.hidden[i] ? ":repeat" : ":invisible"));
            }
        }
        StringBuilder sb = new StringBuilder(header("home timeline of " + handle(u) + ": " + what));
        sb.append("\n  expected (model, all history): ").append(labels(expected));
        sb.append("\n  actual page:                   ").append(labels(Arrays.stream(actual).boxed().toList()));
        sb.append("\n  kept by the model but hidden as a repeat or from the reader: ").append(notes);
        sb.append("\n  stored floor: ").append(floor == 0 ? "none (store not full)" : label(floor));
        if (stored != null) {
            sb.append("\n  stored: ").append(labels(Arrays.stream(stored).boxed().toList()));
        }
        sb.append("\n  ").append(relationships(u));
        sb.append("\n  pull authors now: ").append(Arrays.stream(policy.pullAuthors()).mapToObj(this::handle).toList());
        sb.append("\n  ids: expected ").append(expected).append("\n       actual   ")
                .append(Arrays.toString(actual));
        return new SimulationFailure(sb + tail(), null);
    }

    private SimulationFailure failure(String what) {
        return new SimulationFailure(header(what) + tail(), null);
    }

    private String header(String what) {
        return "timeline simulation seed " + seed + " failed at op #" + opNo + ": " + what
                + "\n  replay: -Drookery.sim.seed=" + seed;
    }

    private String tail() {
        int from = Math.max(0, opLog.size() - LOG_TAIL);
        StringBuilder sb = new StringBuilder("\n  last ").append(opLog.size() - from).append(" of ")
                .append(opLog.size()).append(" log lines:");
        if (from > 0) {
            sb.append("\n    ").append(opLog.get(0)); // the configuration
        }
        for (String line : opLog.subList(from, opLog.size())) {
            sb.append("\n    ").append(line);
        }
        return sb.toString();
    }

    /** A discrepancy, with the seed and the op log in its message. */
    public static final class SimulationFailure extends AssertionError {
        private static final long serialVersionUID = 1L;

        SimulationFailure(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    /** A backend over one in-memory store; a restart keeps it (new services over the same data). */
    public static Backend inMemory(KeyValueStore store, EventLog log) {
        requireNonNull(store, "store");
        requireNonNull(log, "log");
        return new Backend() {
            @Override
            public KeyValueStore store() {
                return store;
            }

            @Override
            public EventLog log() {
                return log;
            }

            @Override
            public void restart() {
                // The data stays; the caller rebuilds every service over it.
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }
}
