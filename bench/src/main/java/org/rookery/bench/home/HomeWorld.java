package org.rookery.bench.home;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventType;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.timeline.FanoutPolicy;
import org.rookery.core.timeline.FanoutService;
import org.rookery.core.timeline.HomeTimelineService;
import org.rookery.core.timeline.PullLists;
import org.rookery.core.timeline.RateTracker;
import org.rookery.core.timeline.TimelineRules;
import org.rookery.core.timeline.TimelineStore;
import org.rookery.core.timeline.TweetIndex;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.tweets.TweetText;
import org.rookery.core.users.Registrations;
import org.rookery.core.users.UserService;
import org.rookery.core.model.Tweet;
import org.rookery.embedded.RocksStore;

/**
 * The home-timeline machinery wired as {@code org.rookery.server.Timelines} wires it, over a real
 * {@link RocksStore} in a temporary directory, with loaders for the benchmarks' data: users, a follow
 * graph and tweets made through the real services (so every key, counter and event is what the
 * server writes), and fanout applied synchronously, in tweet-id order, by the real
 * {@link FanoutService} (the server runs the same {@code apply} on its consumer thread).
 *
 * <p>Not thread-safe, except the loaders, which fan their writes over threads themselves.
 */
final class HomeWorld implements AutoCloseable {
    final Path dir;
    final SimClock clock;
    final TimelineStore timelines;
    final TweetIndex index;
    final FanoutPolicy policy;
    final RateTracker rates;
    // Replaced by reopen(): the services over the store.
    RocksStore store;
    UserService users;
    GraphService graph;
    TweetService tweets;
    FanoutService fanout;
    PullLists pullLists;
    HomeTimelineService home;
    private final AtomicLong eventIds = new AtomicLong(1);
    private final int tweetCache;

    /** A wall clock that a simulation can move forward (never back): real time plus an offset. */
    static final class SimClock implements InstantSource {
        private final AtomicLong offset = new AtomicLong();

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public long millis() {
            return System.currentTimeMillis() + offset.get();
        }

        void advance(long millis) {
            offset.addAndGet(millis);
        }
    }

    HomeWorld(FanoutPolicy policy, int timelineCapacity, int maxUsers) {
        this(policy, timelineCapacity, maxUsers, TweetService.DEFAULT_CACHE_TWEETS);
    }

    /** @param tweetCache decoded tweets the TweetService keeps in memory (the server's rookery.tweets.cache.size) */
    HomeWorld(FanoutPolicy policy, int timelineCapacity, int maxUsers, int tweetCache) {
        this.tweetCache = tweetCache;
        try {
            this.dir = Files.createTempDirectory("rookery-home-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.clock = new SimClock();
        this.timelines = new TimelineStore(timelineCapacity, TimelineStore.bytesFor(timelineCapacity, maxUsers) + (1 << 20),
                Math.max(maxUsers, 1024));
        this.index = new TweetIndex(1 << 20);
        this.policy = policy;
        this.rates = new RateTracker();
        open();
    }

    private void open() {
        // syncWrites off: the loaders write millions of records; reads are what is measured.
        store = RocksStore.open(RocksStore.Options.builder(dir).syncWrites(false).clock(clock).build());
        SnowflakeIdGenerator ids = new SnowflakeIdGenerator(1, clock, Duration.ofSeconds(1));
        users = new UserService(store, ids, clock, new PasswordHasher(64, 1));
        graph = new GraphService(store, users, ids, clock);
        tweets = new TweetService(store, users, graph, ids, clock, new TweetText(500), Duration.ofHours(24), tweetCache);
        pullLists = new PullLists(store, policy, timelines.capacity() + TimelineRules.REPOST_WINDOW);
        fanout = new FanoutService(timelines, index, policy, pullLists, tweets, graph, users, rates, clock, 4096, 10_000,
                FanoutService.DEFAULT_FOLLOWER_CACHE_BYTES);
        home = new HomeTimelineService(store, timelines, index, policy, pullLists, tweets, graph, users, rates, clock);
    }

    /** A fanout service over the same store and timelines with its follower cache from {@code followerCacheMin} (0: off). */
    FanoutService newFanout(int followerCacheMin) {
        return new FanoutService(timelines, index, policy, pullLists, tweets, graph, users, rates, clock, 4096,
                followerCacheMin, FanoutService.DEFAULT_FOLLOWER_CACHE_BYTES);
    }

    /**
     * Closes and reopens the RocksDB store (keeping the in-memory timelines, tweet index and policy,
     * as a server's would be if only the store restarted): RocksDB writes the memtables out to SST
     * files on reopen, so the data sits where a long-running server's older data sits rather than
     * all in the write buffers a fresh load leaves it in.
     */
    void reopen() {
        store.close();
        open();
    }

    // ------------------------------------------------------------------ loaders

    /** Runs {@code task(i)} for i in [0, n) on {@code threads} threads, in contiguous ranges. */
    static void parallel(int n, int threads, IntConsumer task) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            int per = (n + threads - 1) / threads;
            for (int t = 0; t < threads; t++) {
                int from = t * per;
                int to = Math.min(n, from + per);
                fs.add(pool.submit(() -> {
                    for (int i = from; i < to; i++) {
                        task.accept(i);
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("loader failed", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Registers {@code n} users; returns their ids in registration order. */
    long[] registerUsers(int n, int threads) {
        long[] ids = new long[n];
        parallel(n, threads, i -> ids[i] = users.register(String.format(Locale.ROOT, "user%07d", i),
                String.format(Locale.ROOT, "user%07d@bench.example", i), "benchmark-password", Registrations.OPEN).id());
        return ids;
    }

    /** Makes every {@code follows[u]} edge from {@code userIds[u]} (indexes into userIds). */
    void follow(long[] userIds, int[][] follows, int threads) {
        parallel(userIds.length, threads, u -> {
            for (int f : follows[u]) {
                graph.follow(userIds[u], userIds[f], true, false);
            }
        });
    }

    /** Gives each user an empty home timeline in memory (what a server holds for active users). */
    void makeResident(long[] userIds) {
        for (long u : userIds) {
            timelines.makeResident(u, clock.millis());
        }
    }

    /** What one post of a load should be. */
    record Post(long author, long inReplyTo, long repostOf) {}

    /**
     * Makes {@code count} posts through {@link TweetService} on {@code threads} threads, in chunks of
     * {@code chunk}; post i is {@code plan.apply(i)}, asked for when it is made (so it can point at
     * tweets of earlier chunks). Each chunk is then fanned out in tweet-id order on this thread (the
     * fanout consumer's order) if {@code fanOut}, and every tweet made is handed to {@code made}. A
     * reply or repost whose target is not allowed becomes a plain post.
     */
    void postAndFanOut(int count, java.util.function.IntFunction<Post> plan, int threads, int chunk, boolean fanOut,
                       java.util.function.Consumer<Tweet> made) {
        Tweet[] buf = new Tweet[chunk];
        for (int from = 0; from < count; from += chunk) {
            int base = from;
            int n = Math.min(chunk, count - from);
            parallel(n, threads, i -> buf[i] = post(plan.apply(base + i), base + i));
            Tweet[] sorted = Arrays.copyOf(buf, n);
            Arrays.sort(sorted, Comparator.comparingLong(Tweet::id));
            for (Tweet t : sorted) {
                if (fanOut) {
                    fanOut(t);
                }
                made.accept(t);
            }
        }
    }

    private static final String[] WORDS = {"timeline", "rookery", "morning", "coffee", "release", "benchmark",
        "weather", "match", "music", "paper", "train", "garden", "photo", "launch", "update", "thread"};

    private Tweet post(Post p, int n) {
        if (p.repostOf() != 0) {
            try {
                return tweets.repost(p.author(), p.repostOf(), null);
            } catch (RuntimeException e) {
                // not visible or not shareable: fall through to a plain post
            }
        }
        StringBuilder text = new StringBuilder(120);
        long h = n * 0x9E3779B97F4A7C15L;
        while (text.length() < 90) {
            text.append(WORDS[(int) ((h >>> 60) & 15)]).append(' ');
            h = h * 6364136223846793005L + 1442695040888963407L;
        }
        text.append("#tag").append(n % 50).append(" no. ").append(n);
        NewTweet req = NewTweet.of(text.toString());
        if (p.inReplyTo() != 0) {
            try {
                return tweets.post(p.author(), req.replyingTo(p.inReplyTo()));
            } catch (RuntimeException e) {
                // fall through
            }
        }
        return tweets.post(p.author(), req);
    }

    /** Applies the event the post appended, as the fanout consumer would. */
    void fanOut(Tweet t) {
        EventType type = t.isRepost() ? EventType.REPOSTED : EventType.TWEET_CREATED;
        fanout.apply(new Event(eventIds.getAndIncrement(), type, t.authorId(), t.id(), t.repostOfId(), clock.millis()));
    }

    @Override
    public void close() {
        store.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ workload shapes

    /** Walker's alias table: O(1) draws from a fixed discrete distribution. */
    static final class Alias {
        private final double[] prob;
        private final int[] alias;

        Alias(double[] weights) {
            int n = weights.length;
            prob = new double[n];
            alias = new int[n];
            double sum = 0;
            for (double w : weights) {
                sum += w;
            }
            double[] scaled = new double[n];
            int[] small = new int[n];
            int[] large = new int[n];
            int ns = 0;
            int nl = 0;
            for (int i = 0; i < n; i++) {
                scaled[i] = weights[i] * n / sum;
                if (scaled[i] < 1) {
                    small[ns++] = i;
                } else {
                    large[nl++] = i;
                }
            }
            while (ns > 0 && nl > 0) {
                int s = small[--ns];
                int l = large[--nl];
                prob[s] = scaled[s];
                alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                if (scaled[l] < 1) {
                    small[ns++] = l;
                } else {
                    large[nl++] = l;
                }
            }
            while (nl > 0) {
                prob[large[--nl]] = 1;
            }
            while (ns > 0) {
                prob[small[--ns]] = 1;
            }
        }

        int draw(java.util.SplittableRandom rnd) {
            int i = rnd.nextInt(prob.length);
            return rnd.nextDouble() < prob[i] ? i : alias[i];
        }
    }

    /** Zipf-like popularity: the user at rank r (1-based) gets weight r^-s; ranks are a random permutation. */
    static double[] zipfWeights(int n, double s, java.util.SplittableRandom rnd) {
        int[] perm = permutation(n, rnd);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[perm[i]] = Math.pow(i + 1, -s);
        }
        return w;
    }

    static int[] permutation(int n, java.util.SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static double lognormal(java.util.SplittableRandom rnd, double median, double sigma) {
        // Box-Muller
        double u1 = 1 - rnd.nextDouble();
        double u2 = rnd.nextDouble();
        double z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        return median * Math.exp(sigma * z);
    }

    // ------------------------------------------------------------------ reporting

    /**
     * Starts a JFR recording with the JDK's "profile" settings into {@code path}, or does nothing if
     * {@code path} is null; close the result to stop and write it. Used around one measured phase so
     * the profile holds that phase only (not the loading).
     */
    static AutoCloseable profile(String path) {
        if (path == null) {
            return () -> { };
        }
        try {
            jdk.jfr.Recording r = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            r.setDestination(Path.of(path));
            r.start();
            return () -> {
                r.stop();
                r.close();
                System.out.println("JFR recording of that phase: " + path);
            };
        } catch (IOException | java.text.ParseException e) {
            throw new IllegalStateException("cannot start JFR", e);
        }
    }

    static Histogram histogram() {
        return new Histogram(1, 60_000_000_000L, 3);
    }

    /** "p50 12.3 µs  p99 45.6 µs  p99.9 78.9 µs  max ...  mean ...  (n)" from a histogram of nanoseconds. */
    static String summary(Histogram h) {
        return String.format(Locale.ROOT, "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s  (n=%,d)",
                fmt(h.getValueAtPercentile(50)), fmt(h.getValueAtPercentile(90)), fmt(h.getValueAtPercentile(99)),
                fmt(h.getValueAtPercentile(99.9)), fmt(h.getMaxValue()), fmt((long) h.getMean()), h.getTotalCount());
    }

    static String fmt(long nanos) {
        if (nanos < 10_000) {
            return String.format(Locale.ROOT, "%.2f µs", nanos / 1e3);
        }
        if (nanos < 10_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    static void printMachine(String what, String[] args) {
        Runtime rt = Runtime.getRuntime();
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException e) {
            // not Linux
        }
        System.out.printf(Locale.ROOT, "%s, %s%n", what, LocalDate.now());
        System.out.printf(Locale.ROOT, "%d cpus (%s), %s %s, max heap %.1f GB, jvm args %s, args %s%n",
                rt.availableProcessors(), cpu, System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), rt.maxMemory() / 1e9,
                ManagementFactory.getRuntimeMXBean().getInputArguments(), Arrays.toString(args));
    }

    /** {@code --name=value} options. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || a.indexOf('=') < 0) {
                throw new IllegalArgumentException("argument: " + a + " (expected: --name=value)");
            }
            m.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        return m;
    }

    static int intOpt(Map<String, String> o, String name, int def) {
        return o.containsKey(name) ? Integer.parseInt(o.get(name).replace("_", "")) : def;
    }

    static long longOpt(Map<String, String> o, String name, long def) {
        return o.containsKey(name) ? Long.parseLong(o.get(name).replace("_", "")) : def;
    }

    static double doubleOpt(Map<String, String> o, String name, double def) {
        return o.containsKey(name) ? Double.parseDouble(o.get(name)) : def;
    }

    static long seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000_000L;
    }
}
