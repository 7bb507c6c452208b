package org.rookery.bench.home;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.rookery.core.timeline.FanoutPolicy;

/**
 * A seeded social-network workload for the hybrid fanout model: who follows whom, how often each
 * user posts and reads, and the work a choice of pulled authors costs.
 *
 * <ul>
 *   <li>Follows: each user follows a log-normal number of accounts (median {@code medianFollows},
 *       σ 1.0, at most {@code maxFollows}), drawn by Zipf popularity (rank exponent {@code zipf}): the
 *       follower counts come out power-law distributed, as Twitter's do.</li>
 *   <li>Activity: a share {@code activeShare} of users read their home timeline (and only they are
 *       resident in the timeline store, so only they receive fanout); read rates are log-normal
 *       (median {@code readMedian} reads a day, σ {@code readSigma}).</li>
 *   <li>Posting rates: log-normal (median {@code postMedian} a day, σ {@code postSigma}), times
 *       (followers / median followers)^{@code postPopularityExp}: popular accounts post a little
 *       more, and a heavy tail of accounts (bots, news feeds) posts far more than anyone reads.</li>
 * </ul>
 *
 * <p>Work of a set of pulled authors, per day (see {@link Work}): deliveries = Σ over pushed authors of
 * posts × resident followers; merge steps at read time = Σ over reads, over the reader's followed
 * pulled authors, of the entries merged. Two measures of the latter: {@code scanned}, what the read
 * path does today ({@code HomeTimelineService.pulledTweets} reads up to 60 = 20 + REPOST_WINDOW ids of
 * each followed pulled author on every read, whatever their age), and {@code merged}, the entries
 * that actually reach the merged top 60 (1 + 60 × the author's share of the reader's incoming tweets),
 * what a read path that stopped each pull list at the page's bottom would do.
 *
 * <p>Not thread-safe; immutable after construction.
 */
final class FanoutWorkload {
    static final int WANT = 60;
    static final double DAY = 86_400;

    final int n;
    final int[] offsets; // followees of u: followees[offsets[u] .. offsets[u + 1])
    final int[] followees;
    final int[] followers; // all followers (what users.counts reports)
    final int[] residentFollowers; // active followers: the ones fanout delivers to
    final boolean[] active;
    final double[] postsPerDay;
    final double[] readsPerDay;
    final double[] followerReadsPerDay; // Σ reads of an author's followers
    final double[] incomingPerDay; // Σ posts of a user's followees
    final double meanReadsPerActive;
    final int activeUsers;

    record Params(int users, double medianFollows, int maxFollows, double zipf, double activeShare, double readMedian,
                  double readSigma, double postMedian, double postSigma, double postPopularityExp, long seed) {
        static Params defaults(int users, long seed) {
            return new Params(users, 40, 5_000, 0.8, 0.7, 3, 1.2, 0.5, 1.5, 0.2, seed);
        }

        /** The defaults, each overridable by a {@code --name=value} option of the same name. */
        static Params from(Map<String, String> o, int users, long seed) {
            Params d = defaults(users, seed);
            return new Params(users, HomeWorld.doubleOpt(o, "follows", d.medianFollows()),
                    HomeWorld.intOpt(o, "max-follows", d.maxFollows()), HomeWorld.doubleOpt(o, "zipf", d.zipf()),
                    HomeWorld.doubleOpt(o, "active-share", d.activeShare()),
                    HomeWorld.doubleOpt(o, "read-median", d.readMedian()),
                    HomeWorld.doubleOpt(o, "read-sigma", d.readSigma()),
                    HomeWorld.doubleOpt(o, "post-median", d.postMedian()),
                    HomeWorld.doubleOpt(o, "post-sigma", d.postSigma()),
                    HomeWorld.doubleOpt(o, "post-popularity-exp", d.postPopularityExp()), seed);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "users %,d, follows median %.0f (σ 1.0, max %,d), popularity zipf %.2f,"
                    + " active share %.2f, reads/day median %.1f (σ %.1f), posts/day median %.2f (σ %.1f) ×"
                    + " (followers/median)^%.2f, seed %d", users, medianFollows, maxFollows, zipf, activeShare,
                    readMedian, readSigma, postMedian, postSigma, postPopularityExp, seed);
        }
    }

    FanoutWorkload(Params p) {
        SplittableRandom rnd = new SplittableRandom(p.seed());
        n = p.users();
        HomeWorld.Alias popular = new HomeWorld.Alias(HomeWorld.zipfWeights(n, p.zipf(), rnd));
        offsets = new int[n + 1];
        int[] buf = new int[Math.max(16, (int) (p.medianFollows() * 3 * n))];
        int size = 0;
        int[] one = new int[p.maxFollows()];
        for (int u = 0; u < n; u++) {
            int k = (int) Math.min(Math.min(p.maxFollows(), n - 1),
                    Math.max(1, Math.round(HomeWorld.lognormal(rnd, p.medianFollows(), 1.0))));
            for (int i = 0; i < k; i++) {
                int v = popular.draw(rnd);
                one[i] = v == u ? popular.draw(rnd) : v;
            }
            Arrays.sort(one, 0, k);
            int m = 0;
            for (int i = 0; i < k; i++) {
                if (one[i] != u && (m == 0 || one[i] != one[m - 1])) {
                    one[m++] = one[i];
                }
            }
            if (size + m > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(size + m, buf.length + buf.length / 2));
            }
            System.arraycopy(one, 0, buf, size, m);
            size += m;
            offsets[u + 1] = size;
        }
        followees = Arrays.copyOf(buf, size);
        active = new boolean[n];
        readsPerDay = new double[n];
        int act = 0;
        double reads = 0;
        for (int u = 0; u < n; u++) {
            active[u] = rnd.nextDouble() < p.activeShare();
            if (active[u]) {
                readsPerDay[u] = HomeWorld.lognormal(rnd, p.readMedian(), p.readSigma());
                reads += readsPerDay[u];
                act++;
            }
        }
        activeUsers = act;
        meanReadsPerActive = reads / Math.max(1, act);
        followers = new int[n];
        residentFollowers = new int[n];
        followerReadsPerDay = new double[n];
        for (int u = 0; u < n; u++) {
            for (int i = offsets[u]; i < offsets[u + 1]; i++) {
                int a = followees[i];
                followers[a]++;
                if (active[u]) {
                    residentFollowers[a]++;
                    followerReadsPerDay[a] += readsPerDay[u];
                }
            }
        }
        int[] sorted = followers.clone();
        Arrays.sort(sorted);
        double medianFollowers = Math.max(1, sorted[n / 2]);
        postsPerDay = new double[n];
        for (int a = 0; a < n; a++) {
            postsPerDay[a] = HomeWorld.lognormal(rnd, p.postMedian(), p.postSigma())
                    * Math.pow((followers[a] + 1) / medianFollowers, p.postPopularityExp());
        }
        incomingPerDay = new double[n];
        for (int u = 0; u < n; u++) {
            double in = 0;
            for (int i = offsets[u]; i < offsets[u + 1]; i++) {
                in += postsPerDay[followees[i]];
            }
            incomingPerDay[u] = in;
        }
    }

    long edges() {
        return followees.length;
    }

    /**
     * The authors {@code policy} pulls, decided by its own {@link FanoutPolicy#shouldPull} with the
     * figures the server gives it: all followers (users.counts), the posting rate, and followers ×
     * the average resident reader's read rate (RateTracker). {@code measuredPostsPerDay}: the rates as
     * measured (the true ones, or noisy ones).
     */
    boolean[] pulled(FanoutPolicy policy, double[] measuredPostsPerDay) {
        boolean[] out = new boolean[n];
        double perReader = meanReadsPerActive / DAY;
        for (int a = 0; a < n; a++) {
            out[a] = policy.shouldPull(followers[a], measuredPostsPerDay[a] / DAY, followers[a] * perReader);
        }
        return out;
    }

    /**
     * Posting rates as RateTracker would measure them at a random moment: a decayed count with a
     * one-hour half-life holds on average rate × 5,194 s of posts, Poisson-distributed.
     */
    double[] measuredRates(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double window = 3_600 / Math.log(2);
        double[] out = new double[n];
        for (int a = 0; a < n; a++) {
            out[a] = poisson(rnd, postsPerDay[a] / DAY * window) / window * DAY;
        }
        return out;
    }

    private static int poisson(SplittableRandom rnd, double mean) {
        if (mean > 50) {
            return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rnd)));
        }
        double l = Math.exp(-mean);
        int k = 0;
        double prod = rnd.nextDouble();
        while (prod > l) {
            k++;
            prod *= rnd.nextDouble();
        }
        return k;
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** Per-day work and read-cost distribution of one choice of pulled authors. */
    record Work(int pulledAuthors, double deliveries, double cachedDeliveries, double pullLists, double scanned,
                double merged, double[] listsPerReadPercentiles, int maxListsPerRead, long maxFanout) {
        double totalScanned() {
            return deliveries + scanned;
        }

        double totalMerged() {
            return deliveries + merged;
        }

        /** CPU seconds a day with measured unit costs, every delivery at {@code deliveryNs}. */
        double cpuSeconds(double deliveryNs, double pullListNs) {
            return (deliveries * deliveryNs + pullLists * pullListNs) / 1e9;
        }

        /**
         * CPU seconds a day when deliveries of authors whose followers are cached in memory (the
         * fanout's follower cache) cost {@code cachedDeliveryNs} and the others {@code deliveryNs}.
         */
        double cpuSeconds(double deliveryNs, double cachedDeliveryNs, double pullListNs) {
            return ((deliveries - cachedDeliveries) * deliveryNs + cachedDeliveries * cachedDeliveryNs
                    + pullLists * pullListNs) / 1e9;
        }
    }

    static final double[] PERCENTILES = {50, 99, 99.9};

    /** Authors with at least this many followers have them cached for fanout (the server's default). */
    static final int FOLLOWER_CACHE_MIN = 10_000;

    Work work(boolean[] pulled) {
        double deliveries = 0;
        double cached = 0;
        int nPulled = 0;
        long maxFanout = 0;
        for (int a = 0; a < n; a++) {
            if (pulled[a]) {
                nPulled++;
            } else {
                deliveries += postsPerDay[a] * residentFollowers[a];
                if (followers[a] >= FOLLOWER_CACHE_MIN) {
                    cached += postsPerDay[a] * residentFollowers[a];
                }
                maxFanout = Math.max(maxFanout, residentFollowers[a]);
            }
        }
        double lists = 0;
        double merged = 0;
        int maxLists = 0;
        int[] count = new int[n];
        for (int u = 0; u < n; u++) {
            if (!active[u]) {
                continue;
            }
            int c = 0;
            double m = 0;
            for (int i = offsets[u]; i < offsets[u + 1]; i++) {
                int a = followees[i];
                if (pulled[a]) {
                    c++;
                    m += 1 + Math.min(WANT, WANT * postsPerDay[a] / Math.max(1e-12, incomingPerDay[u]));
                }
            }
            count[u] = c;
            maxLists = Math.max(maxLists, c);
            lists += readsPerDay[u] * c;
            merged += readsPerDay[u] * m;
        }
        return new Work(nPulled, deliveries, cached, lists, lists * WANT, merged, readWeightedPercentiles(count), maxLists, maxFanout);
    }

    /** Percentiles over reads (each user weighted by its read rate) of the pulled authors merged per read. */
    private double[] readWeightedPercentiles(int[] count) {
        int max = 0;
        for (int c : count) {
            max = Math.max(max, c);
        }
        double[] weight = new double[max + 1];
        double total = 0;
        for (int u = 0; u < n; u++) {
            weight[count[u]] += readsPerDay[u];
            total += readsPerDay[u];
        }
        double[] out = new double[PERCENTILES.length];
        for (int i = 0; i < PERCENTILES.length; i++) {
            double target = total * PERCENTILES[i] / 100;
            double acc = 0;
            int c = 0;
            while (c < max && acc + weight[c] < target) {
                acc += weight[c];
                c++;
            }
            out[i] = c;
        }
        return out;
    }

    int maxFollowers() {
        int m = 0;
        for (int f : followers) {
            m = Math.max(m, f);
        }
        return m;
    }

    int authorsAbove(int followersMin) {
        int c = 0;
        for (int f : followers) {
            if (f > followersMin) {
                c++;
            }
        }
        return c;
    }
}
