package org.rookery.bench.home;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.rookery.core.internal.RecordCodec;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.Table;
import org.rookery.core.timeline.FanoutPolicy;
import org.rookery.core.timeline.KWayMerge;
import org.rookery.core.timeline.TimelineRules;
import org.rookery.core.tweets.TweetService;

/**
 * Home read latency (issue 3, target p99 ≤ 200 µs): in-process
 * {@code HomeTimelineService.home(viewer, Page.newest(20))} on a real RocksStore, for readers whose
 * in-memory timeline is full (800 entries) and who follow 5 pull-mode authors, single thread, after
 * warm-up, with HdrHistogram.
 *
 * <p>Data, all made through the real services: {@code --users} accounts (default 10,000); a follow
 * graph with Zipf popularity (rank exponent {@code --zipf}, 0.8: an in-degree tail like Twitter's) and
 * log-normal out-degrees (median {@code --follows}, 60); {@code --readers} measured readers (1,000),
 * who follow at least {@code --reader-follows} accounts (150) and the 5 most followed accounts; then
 * the policy's threshold is set just below the 5th most followed account
 * ({@link FanoutPolicy#setThreshold}), so exactly those 5 are pulled; then {@code --tweets} posts
 * (100,000) by log-normally distributed posting rates, the 5 pulled authors {@code --pull-share}
 * (0.5 %) each, 15 % reposts and 10 % replies of followed accounts' tweets, fanned out by the real
 * FanoutService into the timelines of all users (all resident).
 *
 * <p>With {@code --as-loaded} (default true) {@code home()} and the id level are measured first on the
 * data as loaded (mostly in RocksDB memtables); then the store is reopened (data in SST files) and,
 * single thread, each phase after its own warm-up:
 * <ol>
 *   <li>{@code home()}: the figure against the target (and again under JFR with {@code --jfr}).</li>
 *   <li>Id level, one round: the timeline store read plus the 5 pull lists (RocksDB scans, as
 *       {@code HomeTimelineService.pulledTweets} does them) and the k-way merge; and the same with
 *       the pull lists already in memory (store read + merge only).</li>
 *   <li>References: a RocksDB point read of one tweet, the timeline store read alone, a RocksDB
 *       multiGet of 60 tweets (no decoding).</li>
 *   <li>Where the time goes: {@code home()}'s steps re-enacted with the same public calls, each
 *       timed and summed over the read's rounds, with {@code home()} itself interleaved to check the
 *       re-enactment still matches the service; then what-ifs of the re-enactment (more candidates in
 *       the first round, the repeat-window cut for reposts only).</li>
 *   <li>{@code home()} again, to show the run-to-run noise.</li>
 * </ol>
 *
 * <pre>{@code
 * ./rookery build    # or: mvn -B -ntp -q -DskipTests package -pl bench -am
 * java -Xmx4g -cp bench/target/rookery-benchmarks.jar org.rookery.bench.home.HomeReadBench
 * # a JFR profile of the measured home() reads only:
 * java -Xmx4g -cp bench/target/rookery-benchmarks.jar org.rookery.bench.home.HomeReadBench --jfr=/tmp/home.jfr
 * }</pre>
 */
public final class HomeReadBench {
    private static final int LIMIT = 20;

    private HomeReadBench() {}

    public static void main(String[] args) {
        Map<String, String> o = HomeWorld.parse(args);
        int nUsers = HomeWorld.intOpt(o, "users", 10_000);
        int nTweets = HomeWorld.intOpt(o, "tweets", 100_000);
        int nReaders = HomeWorld.intOpt(o, "readers", 1_000);
        int nPull = HomeWorld.intOpt(o, "pull-authors", 5);
        double zipf = HomeWorld.doubleOpt(o, "zipf", 0.8);
        double medianFollows = HomeWorld.doubleOpt(o, "follows", 60);
        int readerFollows = HomeWorld.intOpt(o, "reader-follows", 150);
        double pullShare = HomeWorld.doubleOpt(o, "pull-share", 0.005);
        int threads = HomeWorld.intOpt(o, "threads", 4);
        int warmup = HomeWorld.intOpt(o, "warmup", 50_000);
        int reads = HomeWorld.intOpt(o, "reads", 100_000);
        long seed = HomeWorld.longOpt(o, "seed", 20261123L);
        boolean asLoaded = Boolean.parseBoolean(o.getOrDefault("as-loaded", "true"));
        String jfr = o.get("jfr");
        int tweetCache = HomeWorld.intOpt(o, "tweet-cache", TweetService.DEFAULT_CACHE_TWEETS);
        boolean breakdown = Boolean.parseBoolean(o.getOrDefault("breakdown", "false"));
        HomeWorld.printMachine("home read benchmark", args);
        System.out.printf(Locale.ROOT, "users %,d, tweets %,d, readers %,d, pull authors %d, zipf %.2f, median follows %.0f,"
                + " reader follows >= %d, seed %d%n", nUsers, nTweets, nReaders, nPull, zipf, medianFollows, readerFollows, seed);

        SplittableRandom rnd = new SplittableRandom(seed);
        System.out.printf(Locale.ROOT, "tweet cache %,d tweets%s%n", tweetCache, breakdown ? "; with the breakdown" : "");
        try (HomeWorld w = new HomeWorld(FanoutPolicy.threshold(Integer.MAX_VALUE), 800, nUsers, tweetCache)) {
            long t0 = System.nanoTime();
            long[] ids = w.registerUsers(nUsers, threads);
            System.out.printf(Locale.ROOT, "registered %,d users in %d s%n", nUsers, HomeWorld.seconds(t0));

            // Follow graph.
            double[] pop = HomeWorld.zipfWeights(nUsers, zipf, rnd);
            HomeWorld.Alias popular = new HomeWorld.Alias(pop);
            Integer[] byPop = new Integer[nUsers];
            for (int i = 0; i < nUsers; i++) {
                byPop[i] = i;
            }
            Arrays.sort(byPop, (a, b) -> Double.compare(pop[b], pop[a]));
            int[] pulled = new int[nPull];
            for (int i = 0; i < nPull; i++) {
                pulled[i] = byPop[i];
            }
            Set<Integer> pulledSet = new HashSet<>();
            for (int p : pulled) {
                pulledSet.add(p);
            }
            int[] readers = new int[nReaders];
            Set<Integer> readerSet = new HashSet<>();
            while (readerSet.size() < nReaders) {
                int u = rnd.nextInt(nUsers);
                if (!pulledSet.contains(u) && readerSet.add(u)) {
                    readers[readerSet.size() - 1] = u;
                }
            }
            int[][] follows = new int[nUsers][];
            long edges = 0;
            for (int u = 0; u < nUsers; u++) {
                int k = (int) Math.min(1000, Math.max(5, Math.round(HomeWorld.lognormal(rnd, medianFollows, 0.9))));
                Set<Integer> f = new HashSet<>();
                if (readerSet.contains(u)) {
                    k = Math.max(k, readerFollows);
                    for (int p : pulled) {
                        f.add(p);
                    }
                }
                while (f.size() < k) {
                    int v = popular.draw(rnd);
                    if (v != u) {
                        f.add(v);
                    }
                }
                follows[u] = f.stream().mapToInt(Integer::intValue).toArray();
                edges += k;
            }
            t0 = System.nanoTime();
            w.follow(ids, follows, threads);
            System.out.printf(Locale.ROOT, "made %,d follows in %d s%n", edges, HomeWorld.seconds(t0));

            // Exactly the 5 most followed accounts are pulled: the threshold sits at the 6th.
            long[] followers = new long[nUsers];
            for (int u = 0; u < nUsers; u++) {
                followers[u] = w.users.counts(ids[u]).followers();
            }
            long minPulled = Long.MAX_VALUE;
            long maxPushed = 0;
            for (int u = 0; u < nUsers; u++) {
                if (pulledSet.contains(u)) {
                    minPulled = Math.min(minPulled, followers[u]);
                } else {
                    maxPushed = Math.max(maxPushed, followers[u]);
                }
            }
            if (minPulled <= maxPushed) {
                throw new IllegalStateException("the pull authors are not the most followed: " + minPulled + " <= "
                        + maxPushed + " (seed " + seed + ")");
            }
            w.policy.setThreshold((int) maxPushed);
            System.out.printf(Locale.ROOT, "pull authors have %,d-%,d followers; threshold set to %,d (most followed pushed"
                    + " author)%n", minPulled, Arrays.stream(pulled).mapToLong(p -> followers[p]).max().orElse(0), maxPushed);

            // Tweets, fanned out into every user's timeline.
            w.makeResident(ids);
            double[] postWeight = new double[nUsers];
            double others = 0;
            for (int u = 0; u < nUsers; u++) {
                postWeight[u] = pulledSet.contains(u) ? 0 : HomeWorld.lognormal(rnd, 1, 1.2);
                others += postWeight[u];
            }
            for (int p : pulled) {
                postWeight[p] = others * pullShare / (1 - nPull * pullShare);
            }
            HomeWorld.Alias posting = new HomeWorld.Alias(postWeight);
            AtomicLongArray lastTweet = new AtomicLongArray(nUsers);
            Map<Long, Integer> indexOf = new HashMap<>();
            for (int u = 0; u < nUsers; u++) {
                indexOf.put(ids[u], u);
            }
            List<Long> allTweets = new ArrayList<>(nTweets);
            t0 = System.nanoTime();
            w.postAndFanOut(nTweets, i -> {
                SplittableRandom r = new SplittableRandom(seed * 31 + i);
                int a = posting.draw(r);
                double kind = r.nextDouble();
                int[] fs = follows[a];
                long target = kind < 0.25 ? lastTweet.get(fs[r.nextInt(fs.length)]) : 0;
                return new HomeWorld.Post(ids[a], kind >= 0.15 ? target : 0, kind < 0.15 ? target : 0);
            }, threads, 2_000, true, t -> {
                allTweets.add(t.id());
                if (!t.isRepost()) {
                    lastTweet.set(indexOf.get(t.authorId()), t.id());
                }
            });
            System.out.printf(Locale.ROOT, "posted and fanned out %,d tweets in %d s: %,d deliveries, %,d pushed,"
                    + " %,d pulled%n", nTweets, HomeWorld.seconds(t0), w.fanout.deliveries(), w.fanout.fannedOut(),
                    w.fanout.pulled());
            w.rates.setActiveReaders(nUsers);

            long[] viewers = Arrays.stream(readers).mapToLong(r -> ids[r]).filter(v -> w.timelines.size(v) == 800).toArray();
            System.out.printf(Locale.ROOT, "measured readers with a full timeline (800): %,d of %,d; each follows all %d"
                    + " pull authors%n", viewers.length, nReaders, nPull);
            if (viewers.length == 0) {
                throw new IllegalStateException("no reader has a full timeline (seed " + seed + ")");
            }
            long[] tweetIds = allTweets.stream().mapToLong(Long::longValue).toArray();
            Measure m = new Measure(w, viewers, tweetIds, rnd, jfr);
            if (asLoaded) {
                System.out.println("-- as loaded: the data still in RocksDB's write buffers (memtables)");
                m.homeAndIds(warmup, reads);
            }
            t0 = System.nanoTime();
            w.reopen();
            System.out.printf(Locale.ROOT, "-- after reopening the store (%d s): the data in SST files, as a long-running"
                    + " server's older data%n", HomeWorld.seconds(t0));
            m.run(warmup, reads, breakdown);
        }
    }

    /** The measured phases. */
    private static final class Measure {
        private final HomeWorld w;
        private final long[] viewers;
        private final long[] tweetIds;
        private final SplittableRandom rnd;
        private final String jfr;
        private final int want = LIMIT + TimelineRules.REPOST_WINDOW;
        private long sink;
        private Histogram interleaved;
        private Histogram reenacted;
        private Histogram rounds;

        Measure(HomeWorld w, long[] viewers, long[] tweetIds, SplittableRandom rnd, String jfr) {
            this.jfr = jfr;
            this.w = w;
            this.viewers = viewers;
            this.tweetIds = tweetIds;
            this.rnd = rnd;
        }

        private long viewer() {
            return viewers[rnd.nextInt(viewers.length)];
        }

        /** Warm-up, then home() and the id-level part. */
        void homeAndIds(int warmup, int reads) {
            // Warm-up: every reader at least once (the first read persists the activity record), JIT.
            for (int i = 0; i < Math.max(warmup, viewers.length); i++) {
                sink += w.home.home(i < viewers.length ? viewers[i] : viewer(), Page.newest(LIMIT)).size();
            }
            Histogram home = homeReads(reads);
            System.out.println("home(viewer, Page.newest(20)):                  " + HomeWorld.summary(home));
            Map<Long, TimelineRules.Reader> readers = new HashMap<>();
            for (long v : viewers) {
                readers.put(v, w.home.reader(v));
            }
            idLevel(readers, warmup / 4);
            Histogram ids = idLevel(readers, reads);
            System.out.println("id level: store read + 5 pull scans + merge:    " + HomeWorld.summary(ids));
        }

        void run(int warmup, int reads, boolean withBreakdown) {
            homeAndIds(warmup, reads);
            if (jfr != null) {
                try (AutoCloseable rec = HomeWorld.profile(jfr)) {
                    System.out.println("home(), profiled with JFR:                      "
                            + HomeWorld.summary(homeReads(reads)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            Map<Long, TimelineRules.Reader> readers = new HashMap<>();
            for (long v : viewers) {
                readers.put(v, w.home.reader(v));
            }
            Map<Long, List<long[]>> lists = new HashMap<>();
            for (long v : viewers) {
                lists.put(v, pullLists(v, readers.get(v)));
            }
            idLevelInMemory(lists, warmup / 4);
            Histogram mem = idLevelInMemory(lists, reads);
            System.out.println("id level, pull lists in memory (read + merge):  " + HomeWorld.summary(mem));

            pointReads(warmup / 4);
            System.out.println("reference: RocksDB point read of one tweet:     " + HomeWorld.summary(pointReads(reads)));
            storeReads(warmup / 4);
            System.out.println("reference: timeline store read of 60 ids alone: " + HomeWorld.summary(storeReads(reads)));
            multiGets(warmup / 4);
            System.out.println("reference: RocksDB multiGet of 60 tweets (raw): " + HomeWorld.summary(multiGets(reads)));

            if (!withBreakdown) {
                System.out.println("home(viewer, Page.newest(20)), again:           " + HomeWorld.summary(homeReads(reads)));
                System.out.println("(sink " + sink + ")");
                return;
            }
            breakdown(warmup / 4);
            Map<String, Histogram> parts = breakdown(reads);
            System.out.println("where home() spends its time (its steps re-enacted, each timed, summed over rounds):");
            long total = 0;
            for (Map.Entry<String, Histogram> e : parts.entrySet()) {
                if (!e.getKey().startsWith("  ")) {
                    total += (long) e.getValue().getMean();
                }
            }
            for (Map.Entry<String, Histogram> e : parts.entrySet()) {
                Histogram h = e.getValue();
                System.out.printf(Locale.ROOT, "  %-52s mean %9s  p50 %9s  p99 %9s  %s%n", e.getKey(),
                        HomeWorld.fmt((long) h.getMean()), HomeWorld.fmt(h.getValueAtPercentile(50)),
                        HomeWorld.fmt(h.getValueAtPercentile(99)),
                        e.getKey().startsWith("  ") ? "" : String.format(Locale.ROOT, "%4.1f %%", 100.0 * h.getMean() / total));
            }
            System.out.printf(Locale.ROOT, "  %-52s mean %9s%n", "sum of the steps' means", HomeWorld.fmt(total));
            System.out.println("  re-enacted read, whole:                            " + HomeWorld.summary(reenacted));
            System.out.println("  home() itself, interleaved with the re-enactment:  " + HomeWorld.summary(interleaved));
            System.out.printf(Locale.ROOT, "  rounds of 60 candidates per read: mean %.2f, max %d (%.1f %% of reads take 2 or more)%n",
                    rounds.getMean(), rounds.getMaxValue(), 100.0 * (1 - rounds.getCountBetweenValues(0, 1) / (double) rounds.getTotalCount()));
            System.out.println("what-if (the re-enactment changed as proposed; not home() itself):");
            int[][] variants = {{want, 0}, {80, 0}, {want, 1}, {80, 1}};
            for (int[] va : variants) {
                breakdown(warmup / 8, va[0], va[1] == 1);
                breakdown(reads / 2, va[0], va[1] == 1);
                System.out.printf(Locale.ROOT, "  first round %d candidates, window cut %-13s rounds %.2f  %s%n", va[0],
                        va[1] == 1 ? "reposts only:" : "all entries:", rounds.getMean(), HomeWorld.summary(reenacted));
            }
            System.out.println("home(viewer, Page.newest(20)), again:           " + HomeWorld.summary(homeReads(reads)));
            System.out.println("(sink " + sink + ")");
        }

        private Histogram homeReads(int n) {
            Histogram h = HomeWorld.histogram();
            for (int i = 0; i < n; i++) {
                long v = viewer();
                long t0 = System.nanoTime();
                List<Tweet> page = w.home.home(v, Page.newest(LIMIT));
                h.recordValue(System.nanoTime() - t0);
                sink += page.size();
            }
            return h;
        }

        private Histogram idLevel(Map<Long, TimelineRules.Reader> readers, int n) {
            Histogram h = HomeWorld.histogram();
            for (int i = 0; i < n; i++) {
                long v = viewer();
                TimelineRules.Reader reader = readers.get(v);
                long t0 = System.nanoTime();
                int slot = w.timelines.slotOf(v);
                long[] stored = new long[want];
                int got = w.timelines.readAt(slot, 0, 0, stored, want);
                List<long[]> lists = new ArrayList<>();
                lists.add(Arrays.copyOf(stored, got));
                for (long author : w.policy.pullAuthors()) {
                    if (author == v || reader.follows(author)) {
                        lists.add(pulledTweets(author, 0, 0, want));
                    }
                }
                long[] merged = KWayMerge.mergeDescending(lists, want);
                h.recordValue(System.nanoTime() - t0);
                sink += merged[0];
            }
            return h;
        }

        private List<long[]> pullLists(long v, TimelineRules.Reader reader) {
            List<long[]> lists = new ArrayList<>();
            for (long author : w.policy.pullAuthors()) {
                if (author == v || reader.follows(author)) {
                    lists.add(pulledTweets(author, 0, 0, want));
                }
            }
            return lists;
        }

        private Histogram idLevelInMemory(Map<Long, List<long[]>> pull, int n) {
            Histogram h = HomeWorld.histogram();
            for (int i = 0; i < n; i++) {
                long v = viewer();
                List<long[]> pl = pull.get(v);
                long t0 = System.nanoTime();
                int slot = w.timelines.slotOf(v);
                long[] stored = new long[want];
                int got = w.timelines.readAt(slot, 0, 0, stored, want);
                List<long[]> lists = new ArrayList<>(pl.size() + 1);
                lists.add(Arrays.copyOf(stored, got));
                lists.addAll(pl);
                long[] merged = KWayMerge.mergeDescending(lists, want);
                h.recordValue(System.nanoTime() - t0);
                sink += merged[0];
            }
            return h;
        }

        private Histogram pointReads(int n) {
            Histogram h = HomeWorld.histogram();
            for (int i = 0; i < n; i++) {
                byte[] key = Bytes.key(tweetIds[rnd.nextInt(tweetIds.length)]);
                long t0 = System.nanoTime();
                byte[] v = w.store.get(Table.TWEETS, key);
                h.recordValue(System.nanoTime() - t0);
                sink += v == null ? 0 : v.length;
            }
            return h;
        }

        private Histogram storeReads(int n) {
            Histogram h = HomeWorld.histogram();
            long[] buf = new long[want];
            for (int i = 0; i < n; i++) {
                long v = viewer();
                long t0 = System.nanoTime();
                int got = w.timelines.readAt(w.timelines.slotOf(v), 0, 0, buf, want);
                h.recordValue(System.nanoTime() - t0);
                sink += got + buf[0];
            }
            return h;
        }

        private Histogram multiGets(int n) {
            Histogram h = HomeWorld.histogram();
            long[] buf = new long[want];
            for (int i = 0; i < n; i++) {
                long v = viewer();
                int got = w.timelines.readAt(w.timelines.slotOf(v), 0, 0, buf, want);
                List<byte[]> keys = new ArrayList<>(got);
                for (int j = 0; j < got; j++) {
                    keys.add(Bytes.key(buf[j]));
                }
                long t0 = System.nanoTime();
                List<byte[]> vals = w.store.multiGet(Table.TWEETS, keys);
                h.recordValue(System.nanoTime() - t0);
                sink += vals.size();
            }
            return h;
        }

        /** HomeTimelineService.pulledTweets, verbatim but for the service's private fields. */
        private long[] pulledTweets(long author, long maxId, long minId, int want) {
            long[] out = new long[want];
            int[] n = {0};
            long floor = Math.max(minId, w.policy.oldestPulled(author) - 1);
            byte[] from = maxId == 0 ? null : Bytes.key(author, maxId - 1);
            w.store.scan(Table.USER_TIMELINES, Bytes.key(author), from, true, (k, val) -> {
                long id = Bytes.getLong(k, 8);
                if (id <= floor) {
                    return false;
                }
                if (w.policy.isPulled(author, id)) {
                    out[n[0]++] = id;
                }
                return n[0] < want;
            });
            return Arrays.copyOf(out, n[0]);
        }

        /**
         * home() for Page.newest(20), step by step with the same public calls, each step timed and
         * summed over the read's rounds: a round reads 60 candidates (store + pull lists, merged),
         * keeps those the rules accept (hydrated), then selects the entries whose repeat window is
         * fully read and filters them for visibility; a new round reads 60 more while fewer than 20
         * are decided. Mirrors HomeTimelineService.home / keep / select as of this commit; the
         * interleaved home() figure printed beside it checks that the re-enactment still matches.
         */
        private Map<String, Histogram> breakdown(int n) {
            return breakdown(n, want, false);
        }

        /**
         * The re-enactment with {@code firstWant} candidates in the first round (home() reads 60) and,
         * if {@code repostOnlyCut}, the repeat-window cut applied to reposts only (a tweet that is not a
         * repost is never hidden as a repeat, so its window need not be read): what-ifs for proposals.
         */
        private Map<String, Histogram> breakdown(int n, int firstWant, boolean repostOnlyCut) {
            Map<String, Histogram> parts = new LinkedHashMap<>();
            String[] names = {
                "rates.recordRead + recordActivity + slotOf",
                "reader(): followees + mutes/blocks + blockers (4 scans)",
                "timeline store reads (60 ids a round)",
                "pullAuthors() + pull-list scans (5 a round, 60 ids each)",
                "k-way merges (6 lists -> 60 ids a round)",
                "keep: multiGet of the candidates (60 a round)",
                "keep: JSON decode of the candidates",
                "keep: getAll of reposted originals",
                "keep: TimelineRules.belongs",
                "select: hiddenAsRepeat + repeat-window cut",
                "select: filterVisible(decided entries), every round",
                "  inside the last round's filterVisible: originals getAll",
                "  inside the last round's filterVisible: users.getAll",
                "  inside the last round's filterVisible: follows+blocked",
            };
            for (String s : names) {
                parts.put(s, HomeWorld.histogram());
            }
            Histogram[] h = parts.values().toArray(new Histogram[0]);
            long[] acc = new long[h.length];
            interleaved = HomeWorld.histogram();
            reenacted = HomeWorld.histogram();
            rounds = new Histogram(100, 3);
            for (int i = 0; i < n; i++) {
                // home() itself, interleaved with its re-enactment, so the two are compared under the same conditions.
                long t = System.nanoTime();
                sink += w.home.home(viewer(), Page.newest(LIMIT)).size();
                interleaved.recordValue(System.nanoTime() - t);

                long v = viewer();
                Arrays.fill(acc, 0);
                t = System.nanoTime();
                long now = w.clock.millis();
                w.rates.recordRead(now);
                w.home.recordActivity(v, now);
                int slot = w.timelines.slotOf(v);
                t = lap(acc, 0, t);
                TimelineRules.Reader reader = w.home.reader(v);
                t = lap(acc, 1, t);
                List<Tweet> kept = new ArrayList<>();
                List<Tweet> out = List.of();
                List<Tweet> lastShown = List.of();
                long maxId = 0;
                int round = 0;
                for (; round < 8; round++) {
                    int want = round == 0 ? firstWant : this.want;
                    long[] stored = new long[want];
                    int got = w.timelines.readAt(slot, maxId, 0, stored, want);
                    List<long[]> lists = new ArrayList<>();
                    lists.add(Arrays.copyOf(stored, got));
                    t = lap(acc, 2, t);
                    for (long author : w.policy.pullAuthors()) {
                        if (author == v || reader.follows(author)) {
                            lists.add(pulledTweets(author, maxId, 0, want));
                        }
                    }
                    t = lap(acc, 3, t);
                    long[] ids = lists.size() == 1 ? lists.get(0) : KWayMerge.mergeDescending(lists, want);
                    t = lap(acc, 4, t);
                    if (round == 0 && ids.length == 0) {
                        break;
                    }
                    boolean exhausted = ids.length < want;
                    // keep()
                    List<byte[]> keys = new ArrayList<>(ids.length);
                    for (long id : ids) {
                        keys.add(Bytes.key(id));
                    }
                    List<byte[]> vals = w.store.multiGet(Table.TWEETS, keys);
                    t = lap(acc, 5, t);
                    Map<Long, Tweet> found = new HashMap<>(ids.length * 2);
                    for (byte[] val : vals) {
                        if (val != null) {
                            Tweet tw = RecordCodec.decode(val, Tweet.class);
                            found.put(tw.id(), tw);
                        }
                    }
                    t = lap(acc, 6, t);
                    long[] originals = found.values().stream().filter(Tweet::isRepost).mapToLong(Tweet::repostOfId)
                            .distinct().toArray();
                    Map<Long, Tweet> origin = originals.length == 0 ? Map.of() : w.tweets.getAll(originals);
                    t = lap(acc, 7, t);
                    for (long id : ids) {
                        Tweet tw = found.get(id);
                        if (tw != null && TimelineRules.belongs(reader, tw, tw.isRepost() ? origin.get(tw.repostOfId()) : null)) {
                            kept.add(tw);
                        }
                    }
                    t = lap(acc, 8, t);
                    // select()
                    int k = kept.size();
                    long[] kid = new long[k];
                    long[] content = new long[k];
                    for (int j = 0; j < k; j++) {
                        Tweet tw = kept.get(j);
                        kid[j] = tw.id();
                        content[j] = tw.isRepost() ? tw.repostOfId() : tw.id();
                    }
                    boolean[] repeat = TimelineRules.hiddenAsRepeat(kid, content, k);
                    List<Tweet> shown = new ArrayList<>();
                    int j = 0;
                    for (; j < k; j++) {
                        if (!exhausted && !repeat[j] && j + TimelineRules.REPOST_WINDOW >= k
                                && (!repostOnlyCut || content[j] != kid[j])) {
                            break;
                        }
                        if (!repeat[j]) {
                            shown.add(kept.get(j));
                        }
                    }
                    t = lap(acc, 9, t);
                    lastShown = shown;
                    List<Tweet> visible = w.tweets.filterVisible(v, shown);
                    t = lap(acc, 10, t);
                    out = visible.size() >= LIMIT ? visible.subList(0, LIMIT) : visible;
                    if (visible.size() >= LIMIT || exhausted) {
                        break;
                    }
                    maxId = ids[ids.length - 1];
                }
                w.timelines.touch(slot, now);
                lap(acc, 0, t);
                sink += out.size();
                rounds.recordValue(Math.min(round + 1, 8));
                long sum = 0;
                for (int j = 0; j <= 10; j++) {
                    h[j].recordValue(Math.max(1, acc[j]));
                    sum += acc[j];
                }
                reenacted.recordValue(Math.max(1, sum));
                // The parts of filterVisible on the last round's decided entries, timed apart (not part of the sum).
                List<Tweet> last = lastShown;
                t = System.nanoTime();
                long[] og2 = last.stream().filter(Tweet::isRepost).mapToLong(Tweet::repostOfId).distinct().toArray();
                Map<Long, Tweet> o2 = og2.length == 0 ? Map.of() : w.tweets.getAll(og2);
                t = lap(h[11], t);
                Set<Long> authorSet = new java.util.LinkedHashSet<>();
                for (Tweet tw : last) {
                    authorSet.add(tw.authorId());
                }
                for (Tweet og : o2.values()) {
                    authorSet.add(og.authorId());
                }
                long[] authors = authorSet.stream().mapToLong(Long::longValue).toArray();
                sink += w.users.getAll(authors).size();
                t = lap(h[12], t);
                sink += w.graph.followsEach(v, authors).length + w.graph.blockedByEach(v, authors).length;
                lap(h[13], t);
            }
            return parts;
        }

        private static long lap(long[] acc, int i, long since) {
            long now = System.nanoTime();
            acc[i] += now - since;
            return now;
        }

        private static long lap(Histogram h, long since) {
            long now = System.nanoTime();
            h.recordValue(now - since);
            return now;
        }
    }
}
