package org.rookery.core.timeline;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides, per author, whether new tweets are pushed into followers' timelines (fanout on write)
 * or pulled at read time (merged into each follower's home timeline when it is read), and
 * remembers the id ranges an author spent in pull mode, so a switch loses and duplicates nothing:
 * tweets inside a pull range are merged at read time, all others are in the stores.
 *
 * <p>Two modes. {@code threshold}: pull when an author has more followers than a fixed number
 * (Twitter's rule for its biggest accounts). {@code adaptive}: the cost model of "Feeding Frenzy"
 * (Silberstein et al., SIGMOD 2010) per author: pushing costs one delivery per follower per tweet
 * ({@code postRate × followers × pushCost}); pulling costs one merge step per follower read
 * ({@code followerReadRate × followers × pullCost}), so an author is pulled when it posts faster
 * than its followers read (weighted by the two costs, {@link Costs}: a delivery is far cheaper when
 * the author's followers are in the fanout's memory), and only when it has enough followers for
 * the choice to matter. Rates are exponentially decayed averages measured by the server.
 *
 * <p>Thread-safe. Decisions are made by the fanout consumer (one thread) in log order, so every
 * tweet's mode is fixed once, by its id.
 */
public final class FanoutPolicy {
    /** How modes are chosen. */
    public enum Mode { THRESHOLD, ADAPTIVE }

    /** Id ranges [from, until) in which an author's tweets were not fanned out; until = MAX while pulling. */
    private record PullRanges(long[] from, long[] until) {
        boolean covers(long tweetId) {
            for (int i = 0; i < from.length; i++) {
                if (tweetId >= from[i] && tweetId < until[i]) {
                    return true;
                }
            }
            return false;
        }

        boolean open() {
            return until.length > 0 && until[until.length - 1] == Long.MAX_VALUE;
        }
    }

    private static final int MAX_RANGES = 8;

    /**
     * What the two ways cost, in nanoseconds of fanout or read work: one delivery of a tweet into one
     * timeline when the author's followers are read from the graph ({@code deliveryNs}) or from the
     * fanout's in-memory follower cache, which holds authors with at least
     * {@code cacheMinFollowers} followers ({@code cachedDeliveryNs}); and merging one pulled author
     * into one home read ({@code pullNs}).
     */
    public record Costs(double deliveryNs, double cachedDeliveryNs, int cacheMinFollowers, double pullNs) {
        /** Measured on the reference machine (docs/benchmarks.md, "Hybrid fanout"). */
        public static final Costs MEASURED = new Costs(1_500, 20, 10_000, 170);

        double pushCost(long followers) {
            return followers >= cacheMinFollowers ? cachedDeliveryNs : deliveryNs;
        }
    }

    private final Mode mode;
    private volatile int threshold;
    private final Costs costs;
    private final int minFollowersForPull;
    private final Map<Long, PullRanges> pull = new ConcurrentHashMap<>();
    /** The keys of {@link #pull}, sorted: read on every home read, changed only when an author gains or loses ranges. */
    private volatile long[] pullAuthors = new long[0];

    /**
     * @param threshold followers above which an author is pulled ({@code threshold} mode), and above
     *     which pulling is always chosen in adaptive mode too (a cap on fanout latency)
     * @param minFollowersForPull below this, adaptive mode always pushes (merging costs a read more
     *     than it saves)
     */
    public FanoutPolicy(Mode mode, int threshold, int minFollowersForPull, Costs costs) {
        if (threshold <= 0) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0)");
        }
        this.mode = mode;
        this.threshold = threshold;
        this.minFollowersForPull = minFollowersForPull;
        this.costs = Objects.requireNonNull(costs, "costs");
    }

    /** One cost per delivery whoever the author ({@code pushCost}), {@code pullCost} per pulled author per read. */
    public FanoutPolicy(Mode mode, int threshold, int minFollowersForPull, double pushCost, double pullCost) {
        this(mode, threshold, minFollowersForPull, new Costs(pushCost, pushCost, Integer.MAX_VALUE, pullCost));
    }

    public static FanoutPolicy threshold(int threshold) {
        return new FanoutPolicy(Mode.THRESHOLD, threshold, threshold, 1, 1);
    }

    /**
     * Adaptive with Rookery's measured costs ({@link Costs#MEASURED}), deciding for authors with at
     * least 1,000 followers (the hybrid benchmark's best: a quarter less total work than all-push).
     */
    public static FanoutPolicy adaptive(int threshold) {
        return new FanoutPolicy(Mode.ADAPTIVE, threshold, Math.min(threshold, 1_000), Costs.MEASURED);
    }

    public Mode mode() {
        return mode;
    }

    public int threshold() {
        return threshold;
    }

    /** Changes the follower threshold at run time (a Decider-style switch); later tweets follow it. */
    public void setThreshold(int threshold) {
        if (threshold <= 0) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0)");
        }
        this.threshold = threshold;
    }

    /**
     * Whether {@code authorId}, with these figures, should be pulled: the decision alone, not
     * recorded. {@code postsPerSecond} is the author's posting rate, {@code followerReadsPerSecond}
     * the summed home-timeline read rate of its followers.
     */
    public boolean shouldPull(long followers, double postsPerSecond, double followerReadsPerSecond) {
        if (followers > threshold) {
            return true;
        }
        if (mode == Mode.THRESHOLD || followers < minFollowersForPull) {
            return false;
        }
        double push = postsPerSecond * followers * costs.pushCost(followers);
        double pullWork = followerReadsPerSecond * costs.pullNs();
        return push > pullWork;
    }

    /**
     * Records the mode of {@code authorId} from tweet {@code tweetId} on; returns whether that
     * tweet (and later ones, until the next switch) is pulled. Called by the fanout consumer, in log
     * order.
     */
    public boolean decide(long authorId, long tweetId, boolean pullNow) {
        PullRanges r = pull.get(authorId);
        boolean pulling = r != null && r.open();
        if (pullNow && !pulling) {
            long[] from = r == null ? new long[0] : r.from();
            long[] until = r == null ? new long[0] : r.until();
            pull.put(authorId, trim(append(from, tweetId), append(until, Long.MAX_VALUE)));
            if (r == null) {
                refreshPullAuthors();
            }
        } else if (!pullNow && pulling) {
            long[] until = r.until().clone();
            until[until.length - 1] = tweetId;
            pull.put(authorId, new PullRanges(r.from(), until));
        }
        return pullNow;
    }

    private static long[] append(long[] a, long v) {
        long[] c = Arrays.copyOf(a, a.length + 1);
        c[a.length] = v;
        return c;
    }

    private static PullRanges trim(long[] from, long[] until) {
        if (from.length <= MAX_RANGES) {
            return new PullRanges(from, until);
        }
        // Join the oldest ranges into one, over the pushed gaps between them, rather than forget any: a
        // forgotten range's tweets were never pushed, so they would vanish from every stored timeline.
        // Reads then also merge the gaps' pushed tweets, which they drop as duplicates.
        int join = from.length - MAX_RANGES;
        long[] f = Arrays.copyOfRange(from, join, from.length);
        long[] u = Arrays.copyOfRange(until, join, until.length);
        f[0] = from[0];
        return new PullRanges(f, u);
    }

    /** Whether {@code tweetId} by {@code authorId} was not fanned out and must be merged at read time. */
    public boolean isPulled(long authorId, long tweetId) {
        PullRanges r = pull.get(authorId);
        return r != null && r.covers(tweetId);
    }

    /** Whether any of {@code authorId}'s tweets are merged at read time. */
    public boolean hasPullRanges(long authorId) {
        return pull.containsKey(authorId);
    }

    /** Authors with pull ranges, sorted: the candidates a home read merges. Do not modify the array. */
    public long[] pullAuthors() {
        return pullAuthors;
    }

    /** A new snapshot of the map's keys; called after every key is added or removed, by the thread that did it. */
    private synchronized void refreshPullAuthors() {
        pullAuthors = pull.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** The lowest tweet id still covered by a pull range of {@code authorId}, or Long.MAX_VALUE. */
    public long oldestPulled(long authorId) {
        PullRanges r = pull.get(authorId);
        return r == null || r.from().length == 0 ? Long.MAX_VALUE : r.from()[0];
    }

    /** Authors with a closed pull range: pulled for a while, pushed again since. */
    public long[] authorsWithClosedRanges() {
        return pull.entrySet().stream()
                .filter(e -> e.getValue().from().length > (e.getValue().open() ? 1 : 0))
                .mapToLong(Map.Entry::getKey).sorted().toArray();
    }

    /** The end of {@code authorId}'s newest closed pull range (tweets below it were pulled), or 0. */
    public long closedUntil(long authorId) {
        PullRanges r = pull.get(authorId);
        if (r == null) {
            return 0;
        }
        int closed = r.open() ? r.until().length - 2 : r.until().length - 1;
        return closed < 0 ? 0 : r.until()[closed];
    }

    /**
     * Forgets {@code authorId}'s closed pull ranges that end at or before {@code until}, once no
     * read can reach their tweets any more (the caller checks); an open range stays. Returns whether
     * the author still has a pull range.
     */
    public boolean dropClosed(long authorId, long until) {
        PullRanges left = pull.computeIfPresent(authorId, (a, r) -> {
            int keep = 0;
            for (int i = 0; i < r.from().length; i++) {
                if (r.until()[i] > until) {
                    keep++;
                }
            }
            if (keep == 0) {
                return null;
            }
            long[] f = new long[keep];
            long[] u = new long[keep];
            for (int i = 0, j = 0; i < r.from().length; i++) {
                if (r.until()[i] > until) {
                    f[j] = r.from()[i];
                    u[j++] = r.until()[i];
                }
            }
            return new PullRanges(f, u);
        });
        if (left == null) {
            refreshPullAuthors();
        }
        return left != null;
    }

    /** Receives one author's pull ranges from {@link #forEachPullRange}. */
    @FunctionalInterface
    public interface PullRangeVisitor {
        /** Ranges [from[i], until[i]), oldest first; until is Long.MAX_VALUE for a range still open. */
        void visit(long authorId, long[] from, long[] until) throws IOException;
    }

    /**
     * Hands every author's pull ranges to {@code visitor}, by author id: with the timelines, what a
     * snapshot must keep, since a stored timeline lacks exactly the tweets inside them.
     */
    public void forEachPullRange(PullRangeVisitor visitor) throws IOException {
        for (long author : pullAuthors) {
            PullRanges r = pull.get(author);
            if (r != null) {
                visitor.visit(author, r.from().clone(), r.until().clone());
            }
        }
    }

    /**
     * Sets {@code authorId}'s pull ranges to those a snapshot kept (ranges [from[i], until[i]), oldest
     * first, as {@link #forEachPullRange} gave them), before the fanout consumer runs.
     */
    public void restorePullRanges(long authorId, long[] from, long[] until) {
        if (from.length != until.length || from.length == 0) {
            throw new IllegalArgumentException("from, until: " + from.length + " and " + until.length
                    + " ranges (expected: the same number, at least one)");
        }
        pull.put(authorId, trim(from.clone(), until.clone()));
        refreshPullAuthors();
    }

    /** Whether {@code authorId} is in pull mode now. */
    public boolean isPulling(long authorId) {
        PullRanges r = pull.get(authorId);
        return r != null && r.open();
    }
}
