package org.rookery.core.timeline;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measured rates for the fanout cost model: each author's posting rate (an exponentially decayed
 * count per second, half-life one hour) and the home-timeline read rate of an average reader.
 * A follower set's read rate is estimated as followers × the average reader's rate: exact per-author
 * sums would cost a write per followee on every read. Authors who have gone quiet are forgotten
 * ({@link #forgetQuietAuthors}, hourly), so the per-author rates take memory for the authors who
 * posted in the last hours, not for everyone who ever posted.
 *
 * <p>Thread-safe.
 */
public final class RateTracker {
    private static final double HALF_LIFE_MS = 3_600_000.0;
    private static final double LN2 = Math.log(2);
    /**
     * A decayed count below this is forgotten: one post decays to it in under seven half-lives
     * (seven hours), and its rate, about 2 × 10<sup>-6</sup> posts a second, reads as 0 from then on.
     */
    static final double FORGET_BELOW = 0.01;

    /** A decayed rate: value decays with the half-life; each event adds one. */
    private static final class Decayed {
        private double value;
        private long at;

        synchronized void add(long now) {
            decayTo(now);
            value += 1;
        }

        synchronized double perSecond(long now) {
            decayTo(now);
            // A decayed count with half-life H approximates rate × H / ln 2.
            return value * LN2 / (HALF_LIFE_MS / 1000.0);
        }

        /** Whether the decayed count is below {@link #FORGET_BELOW} at {@code now}. */
        synchronized boolean quiet(long now) {
            decayTo(now);
            return value < FORGET_BELOW;
        }

        private void decayTo(long now) {
            if (at != 0 && now > at) {
                value *= Math.exp(-LN2 * (now - at) / HALF_LIFE_MS);
            }
            at = Math.max(at, now);
        }
    }

    private final Map<Long, Decayed> posts = new ConcurrentHashMap<>();
    private final Decayed reads = new Decayed();
    private volatile double activeReaders = 1;

    public void recordPost(long authorId, long nowMillis) {
        // Counted inside the map's compute, so that forgetQuietAuthors cannot drop the entry between
        // its lookup and the count.
        posts.compute(authorId, (a, d) -> {
            Decayed rate = d == null ? new Decayed() : d;
            rate.add(nowMillis);
            return rate;
        });
    }

    /** Drops the authors whose decayed post count has fallen below {@link #FORGET_BELOW}; returns how many. */
    public int forgetQuietAuthors(long nowMillis) {
        int[] forgotten = {0};
        for (Long author : posts.keySet()) {
            posts.computeIfPresent(author, (a, d) -> {
                if (d.quiet(nowMillis)) {
                    forgotten[0]++;
                    return null;
                }
                return d;
            });
        }
        return forgotten[0];
    }

    /** Authors whose posting rate is kept. */
    public int trackedAuthors() {
        return posts.size();
    }

    public void recordRead(long nowMillis) {
        reads.add(nowMillis);
    }

    /** The number of users whose timelines are kept (readers), for the per-reader average. */
    public void setActiveReaders(long n) {
        activeReaders = Math.max(1, n);
    }

    public double postsPerSecond(long authorId, long nowMillis) {
        Decayed d = posts.get(authorId);
        return d == null ? 0 : d.perSecond(nowMillis);
    }

    /** Reads per second of an average reader. */
    public double readsPerReaderPerSecond(long nowMillis) {
        return reads.perSecond(nowMillis) / activeReaders;
    }

    /** Estimated home-timeline reads per second of {@code followers} followers. */
    public double followerReadsPerSecond(long followers, long nowMillis) {
        return followers * readsPerReaderPerSecond(nowMillis);
    }
}
