package org.rookery.bench.timeline;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.rookery.core.timeline.TimelineStore;
import org.rookery.core.timeline.TweetIndex;

/**
 * Fanout into the compact timeline store at Twitter's scale on one core, with the seeds' design
 * (Redis lists, {@code LPUSH} + {@code LTRIM}) measured as the reference in the same run.
 *
 * <ol>
 *   <li>1,000,000 users with random 64-bit ids, all resident, 800 entries each, filled to the cap.</li>
 *   <li>Steady state: each tweet goes to 100–1,000 random followers given as a sorted index array
 *       (the fanout service's follower cache), timelines full so the oldest entry drops on every
 *       delivery; deliveries per second on the calling thread. Then the same follower lists in
 *       random order, for contrast; then the same followers as user ids, each resolved with
 *       {@code indexOf}, sorted and delivered per tweet, as {@code FanoutService} does (the Redis
 *       reference, too, is handed user keys and hashes each one).</li>
 *   <li>A celebrity: one tweet to all 1,000,000 users, time per {@code deliver} call, p50 / p99.</li>
 *   <li>Bytes per entry: {@code ramBytesUsed()} of the store and of a {@link TweetIndex} big enough
 *       for every tweet the timelines hold, divided by the entries. How many tweets that is depends
 *       on the mean fanout: the benchmark's own (550, followers drawn from 100–1,000) and Twitter's
 *       (75: 30 billion deliveries a day from 400 million tweets, "Timelines at Scale") are both
 *       reported. Cross-checked against the JVM's heap in use after a full GC.</li>
 *   <li>Redis (needs {@code redis-server} on the PATH: {@code apt-get install -y redis-server}):
 *       started on a free port without persistence, lists filled to 800, then pipelined
 *       {@code LPUSH} + {@code LTRIM 0 799} fanout inserts per second and {@code MEMORY USAGE} of
 *       full lists; stopped at the end. See {@link RedisListReference}.</li>
 * </ol>
 *
 * <p>A plain main rather than JMH: the state is 6.5 GB and takes seconds to build, the figure of
 * interest is a steady-state rate over millions of operations (not a per-call latency that needs
 * JMH's timing care), and the Redis reference must run in the same process lifetime against a server
 * the benchmark starts and stops. Warm-up is explicit: a timed phase of the same loop before any
 * measured round, so the loop is compiled by C2 and the timelines are in their steady state.
 *
 * <p>Rates are given per second of wall-clock time and per second of the measuring thread's CPU
 * time (Redis: of redis-server's CPU time), so a run on a shared box can be told apart from a slow
 * store. See docs/benchmarks.md for figures.
 *
 * <pre>{@code
 * ./rookery timeline-bench                    # everything, default sizes, -Xmx12g with transparent huge pages
 * ./rookery timeline-bench --redis=false      # without the Redis reference
 * ROOKERY_BENCH_JAVA_OPTS="-Xmx12g" ./rookery timeline-bench   # 4 KiB pages
 * }</pre>
 */
public final class TimelineFanoutBench {

    /** 2026-01-01T00:00Z in Snowflake form (milliseconds since the Twitter epoch, shifted by 22). */
    static final long FIRST_TWEET_ID = (1_767_225_600_000L - 1_288_834_974_657L) << 22;
    /** Deliveries per tweet at Twitter: 30 billion a day from 400 million tweets ("Timelines at Scale"). */
    static final int TWITTER_MEAN_FANOUT = 75;

    private TimelineFanoutBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        int users = intOpt(opts, "users", 1_000_000);
        int capacity = intOpt(opts, "capacity", 800);
        int minFollowers = intOpt(opts, "min-followers", 100);
        int maxFollowers = intOpt(opts, "max-followers", 1_000);
        int pool = intOpt(opts, "pool", 4_096);
        double warmupSeconds = doubleOpt(opts, "warmup-seconds", 10);
        int rounds = intOpt(opts, "rounds", 5);
        double roundSeconds = doubleOpt(opts, "round-seconds", 3);
        int celebrityRepeats = intOpt(opts, "celebrity-repeats", 200);
        boolean redis = Boolean.parseBoolean(opts.getOrDefault("redis", "true"));
        int redisLists = intOpt(opts, "redis-lists", 100_000);
        double redisSeconds = doubleOpt(opts, "redis-seconds", 10);
        long seed = Long.parseLong(opts.getOrDefault("seed", "20261122"));

        Runtime rt = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "timeline fanout benchmark, %s%n", LocalDate.now());
        System.out.printf(Locale.ROOT, "JVM %s %s, %d cpus, max heap %.1f GB, args %s%n",
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                rt.availableProcessors(), rt.maxMemory() / 1e9,
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.printf(Locale.ROOT, "users %,d x capacity %,d, followers per tweet %d-%d, seed %d%n",
                users, capacity, minFollowers, maxFollowers, seed);
        System.out.printf(Locale.ROOT, "cpu %s; load average %s; transparent huge pages %s%n",
                cpuModel(), loadAverage(), firstLine("/sys/kernel/mm/transparent_hugepage/enabled"));

        SplittableRandom rnd = new SplittableRandom(seed);

        // Users: random 64-bit ids, dense indexes through indexOrAssign, all resident.
        long t0 = System.nanoTime();
        TimelineStore store = new TimelineStore(capacity, TimelineStore.bytesFor(capacity, users), 2 * users);
        long[] userIds = new long[users];
        for (int i = 0; i < users; i++) {
            long id;
            do {
                id = rnd.nextLong();
            } while (id == Long.MIN_VALUE || id == 0 || store.indexOf(id) >= 0);
            userIds[i] = id;
            if (store.makeResident(id, 0) < 0) {
                throw new IllegalStateException("user " + i + " did not become resident");
            }
        }
        System.out.printf(Locale.ROOT, "made %,d users resident in %.1f s (max resident %,d)%n",
                store.residentUsers(), secondsSince(t0), store.maxResidentUsers());

        // Fill every timeline to the cap with older ids (not measured; per user, in order).
        t0 = System.nanoTime();
        long fillSpan = (long) capacity * 4_096;
        for (int i = 0; i < users; i++) {
            int slot = store.slotOf(userIds[i]);
            for (int k = 0; k < capacity; k++) {
                store.insertAt(slot, FIRST_TWEET_ID + k * 4_096L + (i & 4_095));
            }
        }
        System.out.printf(Locale.ROOT, "filled %,d entries in %.1f s%n", store.entries(), secondsSince(t0));

        // The tweets the timelines hold: each entry is one of (entries / mean fanout) tweets.
        double meanFanout = (minFollowers + maxFollowers) / 2.0;
        int liveTweets = (int) Math.ceil((double) users * capacity / meanFanout);
        TweetIndex tweets = new TweetIndex(Math.max(1, liveTweets + liveTweets / 4));

        // Follower lists: random distinct user indexes, sorted as the fanout service keeps them.
        int[][] sorted = new int[pool][];
        int[][] shuffled = new int[pool][];
        for (int p = 0; p < pool; p++) {
            int n = minFollowers + rnd.nextInt(maxFollowers - minFollowers + 1);
            int[] f = distinctSorted(rnd, n, users);
            for (int j = 0; j < n; j++) {
                f[j] = store.indexOf(userIds[f[j]]); // user -> index goes through the store's map
            }
            Arrays.sort(f);
            sorted[p] = f;
            int[] s = f.clone();
            for (int j = n - 1; j > 0; j--) {
                int r = rnd.nextInt(j + 1);
                int tmp = s[j];
                s[j] = s[r];
                s[r] = tmp;
            }
            shuffled[p] = s;
        }

        Fanout fanout = new Fanout(store, tweets, userIds, FIRST_TWEET_ID + fillSpan + 1);
        System.out.println();
        System.out.println("== sorted follower lists (the fanout service's order) ==");
        fanout.run(sorted, warmupSeconds, "warm-up");
        Rate[] sortedRates = new Rate[rounds];
        for (int r = 0; r < rounds; r++) {
            sortedRates[r] = fanout.run(sorted, roundSeconds, "round " + (r + 1));
        }
        System.out.println("== the same lists in random order ==");
        fanout.run(shuffled, Math.min(warmupSeconds, 3), "warm-up");
        Rate[] shuffledRates = new Rate[rounds];
        for (int r = 0; r < rounds; r++) {
            shuffledRates[r] = fanout.run(shuffled, roundSeconds, "round " + (r + 1));
        }

        System.out.println("== the same followers as user ids: indexOf + sort + deliver per tweet ==");
        long[][] followerIds = new long[pool][];
        for (int p = 0; p < pool; p++) {
            long[] ids = new long[shuffled[p].length];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = store.userAt(shuffled[p][j]);
            }
            Arrays.sort(ids); // a follower list sorted by user id is in random index order
            followerIds[p] = ids;
        }
        fanout.runFromIds(followerIds, Math.min(warmupSeconds, 3), "warm-up");
        Rate[] idRates = new Rate[rounds];
        for (int r = 0; r < rounds; r++) {
            idRates[r] = fanout.runFromIds(followerIds, roundSeconds, "round " + (r + 1));
        }

        System.out.println("== celebrity: one tweet to every user ==");
        int[] everyone = new int[users];
        for (int i = 0; i < users; i++) {
            everyone[i] = store.indexOf(userIds[i]);
        }
        Arrays.sort(everyone);
        long[] nanos = new long[celebrityRepeats];
        long[] cpuNanos = new long[celebrityRepeats];
        for (int r = -Math.max(5, celebrityRepeats / 10); r < celebrityRepeats; r++) { // negative: warm-up
            long id = fanout.nextTweetId++;
            long start = System.nanoTime();
            long cpuStart = THREADS.getCurrentThreadCpuTime();
            int n = store.deliver(everyone, users, id);
            long took = System.nanoTime() - start;
            long cpuTook = THREADS.getCurrentThreadCpuTime() - cpuStart;
            if (n != users) {
                throw new IllegalStateException("celebrity tweet reached " + n + " of " + users);
            }
            if (r >= 0) {
                nanos[r] = took;
                cpuNanos[r] = cpuTook;
            }
        }
        Arrays.sort(nanos);
        Arrays.sort(cpuNanos);
        double p50 = percentile(nanos, 50) / 1e6;
        double p99 = percentile(nanos, 99) / 1e6;
        double cpuP50 = percentile(cpuNanos, 50) / 1e6;
        double cpuP99 = percentile(cpuNanos, 99) / 1e6;
        System.out.printf(Locale.ROOT, "deliver to %,d followers: p50 %.1f ms, p99 %.1f ms, min %.1f, max %.1f (%d calls); "
                        + "CPU time p50 %.1f ms, p99 %.1f ms%n",
                users, p50, p99, nanos[0] / 1e6, nanos[nanos.length - 1] / 1e6, nanos.length, cpuP50, cpuP99);

        System.out.println("== memory ==");
        long entries = store.entries();
        long storeBytes = store.ramBytesUsed();
        long indexBytes = tweets.ramBytesUsed();
        double perEntry = (double) (storeBytes + indexBytes) / entries;
        System.out.printf(Locale.ROOT, "entries %,d; store %,d bytes (%.2f per entry); tweet index for %,d tweets "
                        + "(mean fanout %.0f, plus a quarter) %,d bytes (%.2f per entry); together %.2f bytes per entry%n",
                entries, storeBytes, (double) storeBytes / entries, liveTweets + liveTweets / 4, meanFanout, indexBytes,
                (double) indexBytes / entries, perEntry);
        int twitterTweets = (int) Math.ceil((double) entries / TWITTER_MEAN_FANOUT);
        long twitterIndexBytes = new TweetIndex(twitterTweets + twitterTweets / 4).ramBytesUsed();
        double perEntryTwitter = (double) (storeBytes + twitterIndexBytes) / entries;
        System.out.printf(Locale.ROOT, "at Twitter's mean fanout of %d: tweet index for %,d tweets %,d bytes "
                        + "(%.2f per entry); together %.2f bytes per entry%n",
                TWITTER_MEAN_FANOUT, twitterTweets + twitterTweets / 4, twitterIndexBytes,
                (double) twitterIndexBytes / entries, perEntryTwitter);
        System.gc();
        long heapUsed = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long benchArrays = users * 12L + Arrays.stream(sorted).mapToLong(a -> a.length * 4L + 16).sum() * 2
                + Arrays.stream(followerIds).mapToLong(a -> a.length * 8L + 16).sum();
        System.out.printf(Locale.ROOT, "cross-check: heap in use after a full GC %,d bytes = %.2f per entry, of which "
                        + "about %,d bytes are the benchmark's own arrays (user ids, follower lists): %.2f per entry without them%n",
                heapUsed, (double) heapUsed / entries, benchArrays, (double) (heapUsed - benchArrays) / entries);

        double ours = median(sortedRates, Rate::wall);
        double oursCpu = median(sortedRates, Rate::cpu);
        double oursShuffled = median(shuffledRates, Rate::wall);
        double oursShuffledCpu = median(shuffledRates, Rate::cpu);
        double oursIds = median(idRates, Rate::wall);
        double oursIdsCpu = median(idRates, Rate::cpu);
        RedisListReference.Result ref = null;
        if (redis) {
            System.out.println("== Redis reference: LPUSH + LTRIM 0 " + (capacity - 1) + ", pipelined ==");
            ref = RedisListReference.run(redisLists, capacity, minFollowers, maxFollowers, redisSeconds, seed,
                    FIRST_TWEET_ID);
        }

        System.out.println();
        System.out.println("== summary == (load average now " + loadAverage() + ")");
        System.out.printf(Locale.ROOT, "ours, sorted follower lists:   %,.0f deliveries/s, %,.0f per CPU-second "
                        + "(medians of %d rounds; %s, %s)%n",
                ours, oursCpu, rounds, range(sortedRates, Rate::wall), range(sortedRates, Rate::cpu));
        System.out.printf(Locale.ROOT, "ours, random order:            %,.0f deliveries/s, %,.0f per CPU-second "
                        + "(medians of %d rounds; %s, %s)%n",
                oursShuffled, oursShuffledCpu, rounds, range(shuffledRates, Rate::wall), range(shuffledRates, Rate::cpu));
        System.out.printf(Locale.ROOT, "ours, from follower ids:       %,.0f deliveries/s, %,.0f per CPU-second "
                        + "(medians of %d rounds; %s, %s)%n",
                oursIds, oursIdsCpu, rounds, range(idRates, Rate::wall), range(idRates, Rate::cpu));
        System.out.printf(Locale.ROOT, "celebrity, %,d followers:   p50 %.1f ms, p99 %.1f ms (CPU time p50 %.1f ms, p99 %.1f ms)%n",
                users, p50, p99, cpuP50, cpuP99);
        System.out.printf(Locale.ROOT, "ours, bytes per entry:         %.2f (store %.2f + tweet index %.2f at mean fanout %.0f); "
                        + "%.2f at Twitter's mean fanout of %d%n",
                perEntry, (double) storeBytes / entries, (double) indexBytes / entries, meanFanout, perEntryTwitter,
                TWITTER_MEAN_FANOUT);
        if (ref != null) {
            System.out.printf(Locale.ROOT, "redis %s LPUSH+LTRIM: %,.0f inserts/s, %,.0f per redis-server CPU-second; "
                            + "%.2f bytes per entry (MEMORY USAGE of %d full lists, encoding %s), %.2f by INFO used_memory%n",
                    ref.version(), ref.insertsPerSecond(), ref.insertsPerCpuSecond(), ref.bytesPerEntry(), ref.listsMeasured(),
                    ref.encoding(), ref.usedMemoryPerEntry());
            System.out.printf(Locale.ROOT, "ratio ours / redis:            %.1fx (sorted), %.1fx (random order), %.1fx (from ids); "
                            + "per CPU-second %.1fx (sorted), %.1fx (random order), %.1fx (from ids); "
                            + "bytes %.2fx smaller (%.2fx at Twitter's fanout)%n",
                    ours / ref.insertsPerSecond(), oursShuffled / ref.insertsPerSecond(), oursIds / ref.insertsPerSecond(),
                    oursCpu / ref.insertsPerCpuSecond(), oursShuffledCpu / ref.insertsPerCpuSecond(),
                    oursIdsCpu / ref.insertsPerCpuSecond(), ref.bytesPerEntry() / perEntry,
                    ref.bytesPerEntry() / perEntryTwitter);
        }
    }

    /** Deliveries per second of wall-clock time, and per second of the delivering thread's CPU time. */
    record Rate(double wall, double cpu) {}

    static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** The measured loop: one tweet after another, each put in the tweet index and delivered. */
    static final class Fanout {
        private final TimelineStore store;
        private final TweetIndex tweets;
        private final long[] authors;
        long nextTweetId;
        private int next;

        Fanout(TimelineStore store, TweetIndex tweets, long[] authors, long firstTweetId) {
            this.store = store;
            this.tweets = tweets;
            this.authors = authors;
            this.nextTweetId = firstTweetId;
        }

        /**
         * Delivers for {@code seconds}; prints and returns deliveries per second of wall-clock time and
         * per second of this thread's CPU time.
         */
        Rate run(int[][] followers, double seconds, String label) {
            long delivered = 0;
            long tweetCount = 0;
            int mask = followers.length - 1;
            if ((followers.length & mask) != 0) {
                throw new IllegalArgumentException("pool: " + followers.length + " (expected: a power of two)");
            }
            long start = System.nanoTime();
            long cpuStart = THREADS.getCurrentThreadCpuTime();
            long deadline = start + (long) (seconds * 1e9);
            long now;
            do {
                for (int b = 0; b < 64; b++) {
                    int[] f = followers[next++ & mask];
                    long id = nextTweetId++;
                    tweets.put(new TweetIndex.Meta(id, authors[(int) (id % authors.length)], 0, 0, 0, 0));
                    delivered += store.deliver(f, f.length, id);
                    tweetCount++;
                }
                now = System.nanoTime();
            } while (now < deadline);
            return report(label, delivered, tweetCount, start, now, THREADS.getCurrentThreadCpuTime() - cpuStart);
        }

        /**
         * Like {@link #run}, but each tweet's followers are user ids: each is resolved to its index
         * with {@code indexOf}, the indexes are sorted and delivered, as {@code FanoutService} does.
         */
        Rate runFromIds(long[][] followers, double seconds, String label) {
            long delivered = 0;
            long tweetCount = 0;
            int mask = followers.length - 1;
            int[] buf = new int[0];
            long start = System.nanoTime();
            long cpuStart = THREADS.getCurrentThreadCpuTime();
            long deadline = start + (long) (seconds * 1e9);
            long now;
            do {
                for (int b = 0; b < 64; b++) {
                    long[] f = followers[next++ & mask];
                    if (buf.length < f.length) {
                        buf = new int[f.length];
                    }
                    int n = 0;
                    for (long user : f) {
                        int idx = store.indexOf(user);
                        if (idx >= 0) {
                            buf[n++] = idx;
                        }
                    }
                    Arrays.sort(buf, 0, n);
                    long id = nextTweetId++;
                    tweets.put(new TweetIndex.Meta(id, authors[(int) (id % authors.length)], 0, 0, 0, 0));
                    delivered += store.deliver(buf, n, id);
                    tweetCount++;
                }
                now = System.nanoTime();
            } while (now < deadline);
            return report(label, delivered, tweetCount, start, now, THREADS.getCurrentThreadCpuTime() - cpuStart);
        }

        /** Prints and returns the rates of a measured round. */
        private static Rate report(String label, long delivered, long tweetCount, long start, long now, long cpu) {
            Rate rate = new Rate(delivered / ((now - start) / 1e9), delivered / (cpu / 1e9));
            System.out.printf(Locale.ROOT, "  %-9s %,13.0f deliveries/s, %,13.0f per CPU-second (on CPU %.0f%% of the time; "
                            + "%,d tweets, %,d deliveries, %.2f s)%n",
                    label, rate.wall(), rate.cpu(), 100.0 * cpu / (now - start), tweetCount, delivered, (now - start) / 1e9);
            return rate;
        }
    }

    static int[] distinctSorted(SplittableRandom rnd, int n, int bound) {
        int[] a = new int[n];
        int have = 0;
        while (have < n) {
            for (int j = have; j < n; j++) {
                a[j] = rnd.nextInt(bound);
            }
            Arrays.sort(a, 0, n);
            have = 0;
            for (int j = 0; j < n; j++) {
                if (have == 0 || a[j] != a[have - 1]) {
                    a[have++] = a[j];
                }
            }
        }
        return a;
    }

    static long percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length); // nearest rank
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double median(Rate[] rates, java.util.function.ToDoubleFunction<Rate> f) {
        return median(Arrays.stream(rates).mapToDouble(f).toArray());
    }

    static String range(Rate[] rates, java.util.function.ToDoubleFunction<Rate> f) {
        return range(Arrays.stream(rates).mapToDouble(f).toArray());
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String range(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%,.0f-%,.0f", s[0], s[s.length - 1]);
    }

    /** The 1, 5 and 15 minute load averages: other work on the box shows up here. */
    static String loadAverage() {
        String l = firstLine("/proc/loadavg");
        String[] f = l.split(" ");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : l;
    }

    static String cpuModel() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(x -> x.startsWith("model name")).map(x -> x.substring(x.indexOf(':') + 1).trim())
                    .findFirst().orElse("?");
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    static String firstLine(String file) {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of(file))) {
            return lines.findFirst().orElse("?");
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                throw new IllegalArgumentException("argument: " + a + " (expected: --name=value)");
            }
            m.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        return m;
    }

    static int intOpt(Map<String, String> opts, String name, int dflt) {
        String v = opts.get(name);
        return v == null ? dflt : Integer.parseInt(v.replace("_", ""));
    }

    static double doubleOpt(Map<String, String> opts, String name, double dflt) {
        String v = opts.get(name);
        return v == null ? dflt : Double.parseDouble(v);
    }
}
