package org.rookery.loadgen.graph;

import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Generates follow graphs whose follower counts follow a power law, {@code P(k) ∝ k^-exponent},
 * the heavy tail measured on Twitter (Kwak et al., WWW 2010, fit an exponent of about 2.28 to
 * follower counts). Each user's follower count is drawn from a discrete power law truncated at
 * {@code users - 1}, with its lower cut-off solved so the mean is {@code meanFollowers}; the
 * followers themselves are distinct users drawn uniformly (Floyd's sampling). A few "celebrity"
 * accounts (users {@code 0, 1, ...}) can be given exact follower counts, e.g. 1,000,000. The same
 * seed gives the same graph. Memory: the two arrays of the result plus one bit per user.
 *
 * <pre>{@code
 * FollowerGraph g = PowerLawGraphGenerator.builder(100_000).meanFollowers(100).exponent(2.2)
 *         .celebrities(50_000).seed(42).build().generate();
 * }</pre>
 *
 * <p>Not thread-safe; {@link #generate()} may be called again and gives the same graph.
 */
public final class PowerLawGraphGenerator {
    private final int users;
    private final double meanFollowers;
    private final double exponent;
    private final int[] celebrities;
    private final long seed;

    private PowerLawGraphGenerator(Builder b) {
        this.users = b.users;
        this.meanFollowers = b.meanFollowers;
        this.exponent = b.exponent;
        this.celebrities = b.celebrities.clone();
        this.seed = b.seed;
    }

    public static Builder builder(int users) {
        return new Builder(users);
    }

    /** The lower cut-off {@code x_min} of the continuous law whose truncated, floored mean is {@code mean}. */
    static double solveMinimum(double mean, double exponent, double cap) {
        if (mean <= 0) {
            return 0;
        }
        double lo = 1e-6;
        double hi = Math.max(1, cap);
        for (int i = 0; i < 200; i++) {
            double mid = 0.5 * (lo + hi);
            if (truncatedMean(mid, exponent, cap + 1) - 0.5 < mean) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    /** Mean of a Pareto law with cut-off {@code xmin} and exponent {@code a}, truncated at {@code xmax}. */
    static double truncatedMean(double xmin, double a, double xmax) {
        if (xmin >= xmax) {
            return xmax;
        }
        double z = 1 - Math.pow(xmin / xmax, a - 1);
        double integral = Math.abs(a - 2) < 1e-9
                ? Math.log(xmax / xmin)
                : (Math.pow(xmax, 2 - a) - Math.pow(xmin, 2 - a)) / (2 - a);
        return (a - 1) * Math.pow(xmin, a - 1) * integral / z;
    }

    public FollowerGraph generate() {
        SplittableRandom rnd = new SplittableRandom(seed);
        int cap = users - 1;
        int[] degree = new int[users];
        long celebrityEdges = 0;
        int famous = Math.min(celebrities.length, users);
        for (int c = 0; c < famous; c++) {
            degree[c] = Math.min(celebrities[c], cap);
            celebrityEdges += degree[c];
        }
        int others = users - famous;
        double mean = others == 0 ? 0 : Math.max(0, (meanFollowers * users - celebrityEdges) / others);
        double xmin = solveMinimum(mean, exponent, cap);
        double xmax = cap + 1.0;
        double tail = 1 - Math.pow(xmin / xmax, exponent - 1);
        long total = celebrityEdges;
        for (int u = famous; u < users; u++) {
            // Inverse CDF of the truncated Pareto law, floored to a count.
            double x = xmin * Math.pow(1 - rnd.nextDouble() * tail, -1 / (exponent - 1));
            degree[u] = (int) Math.min(cap, Math.floor(x));
            total += degree[u];
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("edges: " + total + " (expected: < 2^31; fewer users or followers)");
        }
        int[] offsets = new int[users + 1];
        for (int u = 0; u < users; u++) {
            offsets[u + 1] = offsets[u] + degree[u];
        }
        int[] followers = new int[(int) total];
        BitSet chosen = new BitSet(users);
        for (int u = 0; u < users; u++) {
            sampleDistinct(rnd, u, degree[u], cap, followers, offsets[u], chosen);
        }
        return new FollowerGraph(offsets, followers);
    }

    /**
     * Floyd's algorithm: {@code d} distinct values of {@code [0, n)} in O(d), each mapped past
     * {@code self} so nobody follows themselves. Clears the bits it set.
     */
    private static void sampleDistinct(SplittableRandom rnd, int self, int d, int n, int[] out, int at, BitSet chosen) {
        int k = at;
        for (int j = n - d; j < n; j++) {
            int t = rnd.nextInt(j + 1);
            if (chosen.get(t)) {
                t = j;
            }
            chosen.set(t);
            out[k++] = t >= self ? t + 1 : t;
        }
        for (int i = at; i < k; i++) {
            int t = out[i] > self ? out[i] - 1 : out[i];
            chosen.clear(t);
        }
    }

    /** Validating builder; {@link #build()} gives an immutable generator. */
    public static final class Builder {
        private final int users;
        private double meanFollowers = 50;
        private double exponent = 2.2;
        private int[] celebrities = new int[0];
        private long seed = 1;

        private Builder(int users) {
            if (users < 2) {
                throw new IllegalArgumentException("users: " + users + " (expected: >= 2)");
            }
            this.users = users;
        }

        public Builder meanFollowers(double mean) {
            if (!(mean >= 0) || mean > users - 1) {
                throw new IllegalArgumentException("meanFollowers: " + mean + " (expected: 0.." + (users - 1) + ")");
            }
            this.meanFollowers = mean;
            return this;
        }

        public Builder exponent(double exponent) {
            if (!(exponent > 1.05) || exponent > 10) {
                throw new IllegalArgumentException("exponent: " + exponent + " (expected: > 1.05 and <= 10)");
            }
            this.exponent = exponent;
            return this;
        }

        /** Exact follower counts for users 0, 1, ... (capped at users - 1). */
        public Builder celebrities(int... followerCounts) {
            for (int c : followerCounts) {
                if (c < 0) {
                    throw new IllegalArgumentException("celebrities: " + c + " (expected: >= 0)");
                }
            }
            this.celebrities = followerCounts.clone();
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public PowerLawGraphGenerator build() {
            return new PowerLawGraphGenerator(this);
        }
    }
}
