package org.rookery.core.timeline;

import static java.util.Objects.requireNonNull;

import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.rookery.core.event.Event;
import org.rookery.core.event.LogRecord;
import org.rookery.core.graph.GraphService;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.users.UserService;

/**
 * Fanout on write (Twitter's fanout daemon, Mastodon's {@code FanOutOnWriteService}): a consumer of
 * the event log that puts each new tweet into the home timelines of the author's resident
 * followers, in batches of follower ids read from the graph, sorted by timeline index so the
 * writes sweep memory forward. Who receives follows {@link TimelineRules}; the relationship data
 * the rules need is fetched once per tweet as sorted sets (Mastodon's "crutches"), never once per
 * follower. Authors in pull mode ({@link FanoutPolicy}) are not fanned out.
 *
 * <p>Relationship changes (follow, unfollow, block, mute, their undo, follow options) evict the
 * affected users' timelines, which are then rebuilt from the graph on their next read
 * ({@link HomeTimelineService#reconstruct}): a rebuilt timeline is exactly what the rules say,
 * whatever happened before, at the cost of one reconstruction per change. Deletes need no work
 * here: reads drop ids whose tweet is gone, so a deleted tweet never shows once the delete was
 * acknowledged.
 *
 * <p>Idempotent: an event applied twice inserts nothing twice (timelines ignore duplicate ids).
 * Not thread-safe: one consumer thread calls {@link #apply}.
 */
public final class FanoutService {
    private final TimelineStore timelines;
    private final TweetIndex index;
    private final FanoutPolicy policy;
    private final TweetService tweets;
    private final GraphService graph;
    private final UserService users;
    private final RateTracker rates;
    private final InstantSource clock;
    private final int batchSize;
    private final PullLists pullLists;
    private final FollowerCache followerCache;
    private final AtomicLong deliveries = new AtomicLong();
    private final AtomicLong fannedOut = new AtomicLong();
    private final AtomicLong pulled = new AtomicLong();
    private final Map<Long, Long> followerCounts = new ConcurrentHashMap<>();
    private int[] indexBuf = new int[4096];

    /** Default memory of the follower cache: 64 M followers, e.g. 640,000 posting authors with 100 each. */
    public static final long DEFAULT_FOLLOWER_CACHE_BYTES = 256L << 20;

    /**
     * @param pullLists where tweets left to read-time merge are announced
     * @param followerCacheMin authors with at least this many followers get their follower list kept in
     *     memory as timeline-store indexes ({@link FollowerCache}); 0 turns the cache off
     * @param followerCacheBytes the memory the follower cache may hold; 0 turns it off
     */
    public FanoutService(TimelineStore timelines, TweetIndex index, FanoutPolicy policy, PullLists pullLists,
                         TweetService tweets, GraphService graph, UserService users, RateTracker rates,
                         InstantSource clock, int batchSize, int followerCacheMin,
                         long followerCacheBytes) {
        this.timelines = requireNonNull(timelines, "timelines");
        this.index = requireNonNull(index, "index");
        this.policy = requireNonNull(policy, "policy");
        this.tweets = requireNonNull(tweets, "tweets");
        this.graph = requireNonNull(graph, "graph");
        this.users = requireNonNull(users, "users");
        this.rates = requireNonNull(rates, "rates");
        this.clock = requireNonNull(clock, "clock");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: > 0)");
        }
        this.batchSize = batchSize;
        this.pullLists = requireNonNull(pullLists, "pullLists");
        this.followerCache = new FollowerCache(timelines, graph, followerCacheMin, followerCacheBytes, batchSize);
    }

    /** Applies a batch of log records; the consumer loop's handler. */
    public void apply(List<LogRecord> batch) {
        for (LogRecord r : batch) {
            apply(r.event());
        }
    }

    public void apply(Event e) {
        switch (e.type()) {
            case TWEET_CREATED, REPOSTED -> tweets.get(e.subjectId()).ifPresent(this::fanout);
            case TWEET_DELETED, UNREPOSTED -> {
                index.remove(e.subjectId());
                pullLists.removed(e.actorId(), e.subjectId());
            }
            case FOLLOWED -> {
                timelines.evict(e.actorId());
                followerCounts.remove(e.subjectId());
                if (followerCache.isCached(e.subjectId())) {
                    var r = graph.relationship(e.actorId(), e.subjectId());
                    if (r.following()) {
                        followerCache.followed(e.actorId(), e.subjectId(), !r.showingReposts());
                    }
                }
            }
            case UNFOLLOWED -> {
                timelines.evict(e.actorId());
                followerCounts.remove(e.subjectId());
                followerCache.unfollowed(e.actorId(), e.subjectId());
            }
            case FOLLOW_UPDATED -> {
                timelines.evict(e.actorId());
                followerCache.invalidate(e.subjectId());
            }
            case MUTED, UNMUTED -> timelines.evict(e.actorId());
            case BLOCKED, UNBLOCKED -> {
                // A block removes the follows both ways.
                timelines.evict(e.actorId());
                timelines.evict(e.subjectId());
                followerCounts.remove(e.subjectId());
                followerCounts.remove(e.actorId());
                followerCache.unfollowed(e.actorId(), e.subjectId());
                followerCache.unfollowed(e.subjectId(), e.actorId());
            }
            default -> { }
        }
    }

    /** Delivers one tweet (or repost) to the timelines it belongs in, or leaves it to read-time merge. */
    void fanout(Tweet t) {
        Tweet original = null;
        if (t.isRepost()) {
            Optional<Tweet> o = tweets.get(t.repostOfId());
            if (o.isEmpty()) {
                return; // the original is already gone
            }
            original = o.get();
        }
        index.put(TweetIndex.Meta.of(t, original == null ? 0 : original.authorId()));
        long author = t.authorId();
        rates.recordPost(author, clock.millis());
        // The author always sees their own tweets.
        int own = timelines.slotOf(author);
        if (own >= 0 && timelines.insertAt(own, t.id())) {
            deliveries.incrementAndGet();
        }
        long followers = followerCounts.computeIfAbsent(author, a -> users.counts(a).followers());
        boolean pull = policy.decide(author, t.id(), policy.shouldPull(followers,
                rates.postsPerSecond(author, clock.millis()), rates.followerReadsPerSecond(followers, clock.millis())));
        if (pull) {
            pulled.incrementAndGet();
            pullLists.added(author, t.id());
            return;
        }
        fannedOut.incrementAndGet();
        push(t, original, followers);
    }

    /** Inserts {@code t} into the timelines of the followers the rules let have it. */
    private void push(Tweet t, Tweet original, long followers) {
        long author = t.authorId();
        // Crutches: everyone who must not get it because they block or mute an involved account.
        long[] excluded = excludedReaders(t, original);
        long[] originalBlocks = original == null ? new long[0] : graph.blockedBy(original.authorId());
        long[] replyAudience = null;
        if (t.isReply() && t.inReplyToAccountId() != author) {
            replyAudience = graph.followerIds(t.inReplyToAccountId());
        }
        if (t.visibility() == Visibility.DIRECT) {
            for (long m : t.mentionIds()) {
                if (m != author && graph.isFollowing(m, author) && Arrays.binarySearch(excluded, m) < 0) {
                    deliverOne(m, t.id());
                }
            }
            return;
        }
        FollowerCache.Followers cached = followerCache.of(author, followers);
        if (cached != null) {
            pushToCached(t, cached, excluded, originalBlocks, replyAudience);
            return;
        }
        final long[] audience = replyAudience;
        final long replyTo = t.inReplyToAccountId();
        final boolean repost = t.isRepost();
        graph.forEachFollowerBatch(author, batchSize, (ids, flags, count) -> {
            int[] buf = indexBuf.length >= count ? indexBuf : (indexBuf = new int[count]);
            int n = 0;
            for (int i = 0; i < count; i++) {
                long f = ids[i];
                if (excluded.length > 0 && Arrays.binarySearch(excluded, f) >= 0) {
                    continue;
                }
                if (audience != null && f != replyTo && Arrays.binarySearch(audience, f) < 0) {
                    continue;
                }
                if (repost && ((flags[i] & GraphService.SHOW_REPOSTS) == 0
                        || Arrays.binarySearch(originalBlocks, f) >= 0)) {
                    continue;
                }
                int idx = timelines.indexOf(f);
                if (idx >= 0) {
                    buf[n++] = idx;
                }
            }
            Arrays.sort(buf, 0, n);
            deliveries.addAndGet(timelines.deliver(buf, n, t.id()));
        });
    }

    /**
     * The same rules as the graph path, over a cached follower list: the crutch sets become sorted
     * index sets, and the common case (nobody excluded, not a reply or repost) hands the list to the
     * store in batches untouched.
     */
    private void pushToCached(Tweet t, FollowerCache.Followers f, long[] excluded, long[] originalBlocks,
                              long[] replyAudience) {
        int[] skip = indexesOf(excluded, originalBlocks);
        int[] audience = null;
        if (replyAudience != null) {
            long[] withTarget = Arrays.copyOf(replyAudience, replyAudience.length + 1);
            withTarget[replyAudience.length] = t.inReplyToAccountId();
            audience = indexesOf(withTarget, new long[0]);
        }
        boolean repost = t.isRepost();
        int[] all = f.indexes;
        int count = f.count;
        if (skip.length == 0 && audience == null && (!repost || f.hideCount == 0)) {
            for (int start = 0; start < count; start += batchSize) {
                int n = Math.min(batchSize, count - start);
                int[] buf = indexBuf.length >= n ? indexBuf : (indexBuf = new int[n]);
                System.arraycopy(all, start, buf, 0, n);
                deliveries.addAndGet(timelines.deliver(buf, n, t.id()));
            }
            return;
        }
        int[] buf = indexBuf.length >= batchSize ? indexBuf : (indexBuf = new int[batchSize]);
        int n = 0;
        for (int i = 0; i < count; i++) {
            int x = all[i];
            if (skip.length > 0 && Arrays.binarySearch(skip, x) >= 0) {
                continue;
            }
            if (audience != null && Arrays.binarySearch(audience, x) < 0) {
                continue;
            }
            if (repost && f.hidesReposts(x)) {
                continue;
            }
            buf[n++] = x;
            if (n == batchSize) {
                deliveries.addAndGet(timelines.deliver(buf, n, t.id()));
                n = 0;
            }
        }
        deliveries.addAndGet(timelines.deliver(buf, n, t.id()));
    }

    /** The timeline-store indexes of the users in {@code a} and {@code b} that have one, sorted. */
    private int[] indexesOf(long[] a, long[] b) {
        int[] out = new int[a.length + b.length];
        int n = 0;
        for (long u : a) {
            int x = timelines.indexOf(u);
            if (x >= 0) {
                out[n++] = x;
            }
        }
        for (long u : b) {
            int x = timelines.indexOf(u);
            if (x >= 0) {
                out[n++] = x;
            }
        }
        Arrays.sort(out, 0, n);
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private void deliverOne(long user, long tweetId) {
        int slot = timelines.slotOf(user);
        if (slot >= 0 && timelines.insertAt(slot, tweetId)) {
            deliveries.incrementAndGet();
        }
    }

    /** Sorted ids of readers who block or mute the author, a mentioned account or the reposted author. */
    private long[] excludedReaders(Tweet t, Tweet original) {
        long[] out = graph.mutersAndBlockersOf(t.authorId());
        for (long m : t.mentionIds()) {
            out = union(out, graph.mutersAndBlockersOf(m));
        }
        if (t.isReply() && t.inReplyToAccountId() != t.authorId()) {
            out = union(out, graph.mutersAndBlockersOf(t.inReplyToAccountId()));
        }
        if (original != null) {
            out = union(out, graph.mutersAndBlockersOf(original.authorId()));
            for (long m : original.mentionIds()) {
                out = union(out, graph.mutersAndBlockersOf(m));
            }
        }
        return out;
    }

    private static long[] union(long[] a, long[] b) {
        if (b.length == 0) {
            return a;
        }
        if (a.length == 0) {
            return b;
        }
        long[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        Arrays.sort(c);
        return c;
    }

    /** Timeline inserts made. */
    public long deliveries() {
        return deliveries.get();
    }

    /** Tweets fanned out on write. */
    public long fannedOut() {
        return fannedOut.get();
    }

    /** Authors whose followers are kept in memory, how many followers that is, and the bytes they take. */
    public long[] followerCache() {
        return new long[] {followerCache.authors(), followerCache.followers(), followerCache.bytes()};
    }

    /** Tweets left for read-time merge (pull mode). */
    public long pulled() {
        return pulled.get();
    }
}
