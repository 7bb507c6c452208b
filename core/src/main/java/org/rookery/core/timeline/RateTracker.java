package org.rookery.core.timeline;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measured rates for the fanout cost model: each author's posting rate (an exponentially decayed
 * count per second, half-life one hour) and the home-timeline read rate of an average reader.
 * A follower set's read rate is estimated as followers × the average reader's rate: exact per-author
 * sums would cost a write per followee on every read.
 *
 * <p>Thread-safe.
 */
public final class RateTracker {
    private static final double HALF_LIFE_MS = 3_600_000.0;
    private static final double LN2 = Math.log(2);

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
        posts.computeIfAbsent(authorId, a -> new Decayed()).add(nowMillis);
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
