package org.rookery.core.timeline;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rookery.core.graph.GraphService;

/**
 * The followers of the biggest pushed authors as sorted {@code int[]} of timeline-store user indexes
 * (Twitter's FlockDB-in-memory role for fanout): a post by an account with a million followers is
 * then a forward sweep over one array into the timeline store instead of a million-row scan of the
 * graph in RocksDB followed by a million hash lookups and a sort (hundreds of milliseconds).
 *
 * <p>Authors enter when they post and have at least {@code minFollowers} followers; the list is
 * built from the graph once and then kept current from the follow events the fanout consumer sees
 * ({@link #followed}, {@link #unfollowed}); events that change follow flags or remove follows in
 * other ways ({@link #invalidate}) drop the list, to be rebuilt on the next post. Building reads the
 * graph as it is now, which may be ahead of the consumer's position in the log; the events in
 * between then find their change already made, and inserting or removing twice is harmless.
 *
 * <p>Memory: 4 bytes per follower of a cached author (plus 4 per follower who hides the author's
 * reposts); a 1,000,000-follower account costs 4 MB. Owned by the fanout consumer: only its thread changes the lists (the map is concurrent so that
 * metrics may count them).
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

        boolean hidesReposts(int index) {
            return hideCount > 0 && Arrays.binarySearch(hideReposts, 0, hideCount, index) >= 0;
        }
    }

    private final TimelineStore timelines;
    private final GraphService graph;
    private final int minFollowers;
    private final int batchSize;
    private final Map<Long, Followers> cached = new ConcurrentHashMap<>();
    private volatile long cachedFollowers; // written by the owner only, read by metrics

    /** @param minFollowers authors with fewer followers are read from the graph on every post (0: never cache) */
    FollowerCache(TimelineStore timelines, GraphService graph, int minFollowers, int batchSize) {
        this.timelines = requireNonNull(timelines, "timelines");
        this.graph = requireNonNull(graph, "graph");
        this.minFollowers = minFollowers;
        this.batchSize = batchSize;
    }

    /**
     * The cached followers of {@code author}, building the list if the author has at least the
     * minimum; null if the author is not cached (fewer followers, caching off, or the store cannot
     * index every follower).
     */
    Followers of(long author, long followerCount) {
        Followers f = cached.get(author);
        if (f != null || minFollowers <= 0 || followerCount < minFollowers) {
            return f;
        }
        f = build(author);
        if (f != null) {
            cached.put(author, f);
            cachedFollowers += f.count;
        }
        return f;
    }

    private Followers build(long author) {
        int[][] idx = {new int[1024]};
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
        Arrays.sort(idx[0], 0, n[0]);
        Arrays.sort(hide[0], 0, h[0]);
        return new Followers(idx[0], n[0], hide[0], h[0]);
    }

    boolean isCached(long author) {
        return cached.containsKey(author);
    }

    /** {@code follower} now follows {@code author} (showing reposts unless {@code hideReposts}). */
    void followed(long follower, long author, boolean hideReposts) {
        Followers f = cached.get(author);
        if (f == null) {
            return;
        }
        int x = timelines.indexOrAssign(follower);
        if (x < 0) {
            drop(author, f);
            return;
        }
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
    }

    /** {@code follower} no longer follows {@code author}. */
    void unfollowed(long follower, long author) {
        Followers f = cached.get(author);
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
        Followers f = cached.get(author);
        if (f != null) {
            drop(author, f);
        }
    }

    private void drop(long author, Followers f) {
        cached.remove(author);
        cachedFollowers -= f.count;
    }

    int authors() {
        return cached.size();
    }

    /** Followers held over all cached authors. */
    long followers() {
        return cachedFollowers;
    }
}
