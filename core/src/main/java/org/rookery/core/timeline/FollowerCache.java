package org.rookery.core.timeline;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.Arrays;
import org.rookery.core.graph.GraphService;
import org.rookery.core.internal.LongKeys;

/**
 * The followers of the authors who post, as sorted {@code int[]} of timeline-store user indexes
 * (Twitter's FlockDB-in-memory role for fanout): a post is then a forward sweep over one array into
 * the timeline store instead of a scan of the graph in RocksDB followed by a hash lookup per
 * follower and a sort. For an account with a million followers that is milliseconds instead of
 * hundreds; for the many accounts with a hundred, it is what lets one fanout thread keep up with
 * thousands of posts a second on a CPU it shares with the requests.
 *
 * <p>Authors enter when they post and have at least {@code minFollowers} followers; the list is
 * built from the graph once and then kept current from the follow events the fanout consumer sees
 * ({@link #followed}, {@link #unfollowed}); events that change follow flags or remove follows in
 * other ways ({@link #invalidate}) drop the list, to be rebuilt on the next post. Building reads the
 * graph as it is now, which may be ahead of the consumer's position in the log; the events in
 * between then find their change already made, and inserting or removing twice is harmless.
 *
 * <p>Memory: 4 bytes per follower of a cached author (plus 4 per follower who hides the author's
 * reposts) and about 100 bytes per author, within a budget; when it is full the lists of the
 * authors least likely to post again are dropped (Caffeine's W-TinyLFU, so prolific authors stay).
 * Owned by the fanout consumer: only its thread reads and changes the lists (the cache is
 * concurrent so that metrics may count them).
 */
final class FollowerCache {
    /** One author's followers: {@code indexes[0..count)} ascending; {@code hideReposts} ascending. */
    static final class Followers {
        int[] indexes;
        int count;
        int[] hideReposts;
        int hideCount;

        Followers(int[] indexes, int count, int[] hideReposts, int hideCount) {
            this.indexes = indexes;
            this.count = count;
            this.hideReposts = hideReposts;
            this.hideCount = hideCount;
        }

        /** Memory held: the arrays and about 100 bytes of object and cache entry. */
        int bytes() {
            return (int) Math.min(Integer.MAX_VALUE, 100L + 4L * indexes.length + 4L * hideReposts.length);
        }

        boolean hidesReposts(int index) {
            return hideCount > 0 && Arrays.binarySearch(hideReposts, 0, hideCount, index) >= 0;
        }
    }

    private final TimelineStore timelines;
    private final GraphService graph;
    private final int minFollowers;
    private final int batchSize;
    /** Keyed by {@link LongKeys#spread}(author); weighed in bytes. */
    private final Cache<Long, Followers> cached;
    private volatile long cachedFollowers; // written by the owner only (evictions run on its thread), read by metrics

    /**
     * @param minFollowers authors with fewer followers are read from the graph on every post (0: never cache)
     * @param maxBytes the memory the lists may take, in bytes (0: never cache)
     */
    FollowerCache(TimelineStore timelines, GraphService graph, int minFollowers, long maxBytes, int batchSize) {
        this.timelines = requireNonNull(timelines, "timelines");
        this.graph = requireNonNull(graph, "graph");
        this.minFollowers = maxBytes <= 0 ? 0 : minFollowers;
        this.batchSize = batchSize;
        this.cached = Caffeine.newBuilder()
                .maximumWeight(Math.max(0, maxBytes))
                .weigher((Long author, Followers f) -> f.bytes())
                .evictionListener((Long author, Followers f, RemovalCause cause) -> {
                    if (f != null) {
                        cachedFollowers -= f.count;
                    }
                })
                .executor(Runnable::run) // evictions on the owner's thread, which alone writes the counter
                .build();
    }

    /**
     * The cached followers of {@code author}, building the list if the author has at least the
     * minimum; null if the author is not cached (fewer followers, caching off, or the store cannot
     * index every follower).
     */
    Followers of(long author, long followerCount) {
        Followers f = cached.getIfPresent(LongKeys.spread(author));
        if (f != null || minFollowers <= 0 || followerCount < minFollowers) {
            return f;
        }
        f = build(author, followerCount);
        if (f != null) {
            cachedFollowers += f.count;
            cached.put(LongKeys.spread(author), f);
        }
        return f;
    }

    private Followers build(long author, long expected) {
        int[][] idx = {new int[(int) Math.min(1 << 20, Math.max(16, expected))]};
        int[][] hide = {new int[16]};
        int[] n = {0};
        int[] h = {0};
        boolean[] full = {false};
        graph.forEachFollowerBatch(author, batchSize, (ids, flags, count) -> {
            for (int i = 0; i < count && !full[0]; i++) {
                int x = timelines.indexOrAssign(ids[i]);
                if (x < 0) {
                    full[0] = true; // the store cannot index everyone: fall back to the graph
                    return;
                }
                if (n[0] == idx[0].length) {
                    idx[0] = Arrays.copyOf(idx[0], n[0] * 2);
                }
                idx[0][n[0]++] = x;
                if ((flags[i] & GraphService.SHOW_REPOSTS) == 0) {
                    if (h[0] == hide[0].length) {
                        hide[0] = Arrays.copyOf(hide[0], h[0] * 2);
                    }
                    hide[0][h[0]++] = x;
                }
            }
        });
        if (full[0]) {
            return null;
        }
        int[] indexes = Arrays.copyOf(idx[0], n[0]); // exact: most lists are small, and the budget counts lengths
        int[] hides = Arrays.copyOf(hide[0], h[0]);
        Arrays.sort(indexes);
        Arrays.sort(hides);
        return new Followers(indexes, n[0], hides, h[0]);
    }

    boolean isCached(long author) {
        return cached.asMap().containsKey(LongKeys.spread(author)); // not a use: follows should not keep a list
    }

    /** {@code follower} now follows {@code author} (showing reposts unless {@code hideReposts}). */
    void followed(long follower, long author, boolean hideReposts) {
        Followers f = cached.getIfPresent(LongKeys.spread(author));
        if (f == null) {
            return;
        }
        int x = timelines.indexOrAssign(follower);
        if (x < 0) {
            drop(author, f);
            return;
        }
        int weighed = f.bytes();
        int at = Arrays.binarySearch(f.indexes, 0, f.count, x);
        if (at < 0) {
            at = -at - 1;
            if (f.count == f.indexes.length) {
                f.indexes = Arrays.copyOf(f.indexes, Math.max(16, f.count + (f.count >> 1)));
            }
            System.arraycopy(f.indexes, at, f.indexes, at + 1, f.count - at);
            f.indexes[at] = x;
            f.count++;
            cachedFollowers++;
        }
        if (hideReposts && !f.hidesReposts(x)) {
            int hat = -Arrays.binarySearch(f.hideReposts, 0, f.hideCount, x) - 1;
            if (f.hideCount == f.hideReposts.length) {
                f.hideReposts = Arrays.copyOf(f.hideReposts, Math.max(16, f.hideCount * 2));
            }
            System.arraycopy(f.hideReposts, hat, f.hideReposts, hat + 1, f.hideCount - hat);
            f.hideReposts[hat] = x;
            f.hideCount++;
        }
        if (f.bytes() != weighed) {
            cached.put(LongKeys.spread(author), f); // weighs the grown list
        }
    }

    /** {@code follower} no longer follows {@code author}. */
    void unfollowed(long follower, long author) {
        Followers f = cached.getIfPresent(LongKeys.spread(author));
        if (f == null) {
            return;
        }
        int x = timelines.indexOf(follower);
        int at = x < 0 ? -1 : Arrays.binarySearch(f.indexes, 0, f.count, x);
        if (at >= 0) {
            System.arraycopy(f.indexes, at + 1, f.indexes, at, f.count - at - 1);
            f.count--;
            cachedFollowers--;
        }
        int hat = x < 0 ? -1 : Arrays.binarySearch(f.hideReposts, 0, f.hideCount, x);
        if (hat >= 0) {
            System.arraycopy(f.hideReposts, hat + 1, f.hideReposts, hat, f.hideCount - hat - 1);
            f.hideCount--;
        }
    }

    /** Forgets {@code author}'s list; rebuilt on their next post. */
    void invalidate(long author) {
        Followers f = cached.getIfPresent(LongKeys.spread(author));
        if (f != null) {
            drop(author, f);
        }
    }

    private void drop(long author, Followers f) {
        if (cached.asMap().remove(LongKeys.spread(author), f)) {
            cachedFollowers -= f.count;
        }
    }

    int authors() {
        return (int) cached.estimatedSize();
    }

    /** Memory the lists hold, as the budget counts it. */
    long bytes() {
        return cached.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    /** Followers held over all cached authors. */
    long followers() {
        return cachedFollowers;
    }
}
