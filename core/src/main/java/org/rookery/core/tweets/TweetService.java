package org.rookery.core.tweets;

import static java.util.Objects.requireNonNull;
import static org.rookery.core.tweets.UserTimelineRow.FLAG_REPLY;
import static org.rookery.core.tweets.UserTimelineRow.FLAG_REPOST;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.rookery.core.config.Settings;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventType;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.IdGenerator;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.internal.RecordCache;
import org.rookery.core.internal.RecordCodec;
import org.rookery.core.internal.StripedLocks;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.users.UserService;

/**
 * Tweets (Twitter's Tweetypie): post, reply, quote, repost, favourite, delete, read with visibility
 * enforced, user timelines and conversations. A post is one atomic, durable write of the tweet, the
 * author's user-timeline entry, the counters, the idempotency record and the {@code TWEET_CREATED}
 * event. Thread-safe; blocking.
 *
 * <pre>{@code
 * Tweet t = tweets.post(alice, NewTweet.of("hello #rookery").withIdempotencyKey(key));
 * List<Tweet> page = tweets.userTimeline(bob, alice, Page.newest(20), false, false);
 * }</pre>
 */
public final class TweetService {
    /** Counter kinds under {@code T + tweet id}. */
    public static final byte REPLIES = 1;
    public static final byte REPOSTS = 2;
    public static final byte FAVOURITES = 3;

    private static final int MAX_ANCESTORS = 40;
    private static final int MAX_DESCENDANTS = 200;
    private static final int MAX_IDEMPOTENCY_KEY = 256;

    private final KeyValueStore store;
    private final UserService users;
    private final GraphService graph;
    private final IdGenerator ids;
    private final InstantSource clock;
    private final TweetText text;
    private final Duration idempotencyTtl;
    private final StripedLocks locks = new StripedLocks(1024);
    /**
     * Decoded tweets by id (Tweetypie's cache role): tweets never change after creation, only
     * disappear; a delete is never undone by a read that raced it ({@link RecordCache}).
     */
    private final RecordCache<Tweet> cache;
    /**
     * Each author's newest tweet id ({@link #lastTweetAt}, 0: none), which every page hydration asks
     * for each author on it; dropped by every write to the author's user timeline.
     */
    private final RecordCache<Long> lastTweets;

    /** Default size of the decoded-tweet cache: the setting's ({@code rookery.tweets.cache.size}). */
    public static final int DEFAULT_CACHE_TWEETS = Settings.TWEET_CACHE_SIZE.defaultValue();

    public TweetService(KeyValueStore store, UserService users, GraphService graph, IdGenerator ids,
                        InstantSource clock, TweetText text, Duration idempotencyTtl) {
        this(store, users, graph, ids, clock, text, idempotencyTtl, DEFAULT_CACHE_TWEETS);
    }

    /** @param cacheTweets how many decoded tweets to keep in memory (0: none) */
    public TweetService(KeyValueStore store, UserService users, GraphService graph, IdGenerator ids,
                        InstantSource clock, TweetText text, Duration idempotencyTtl, int cacheTweets) {
        if (cacheTweets < 0) {
            throw new IllegalArgumentException("cacheTweets: " + cacheTweets + " (expected: >= 0)");
        }
        this.cache = new RecordCache<>(cacheTweets);
        this.store = requireNonNull(store, "store");
        this.users = requireNonNull(users, "users");
        // One entry per author: as many as the accounts the user service keeps decoded.
        this.lastTweets = new RecordCache<>(users.accountCacheSize());
        this.graph = requireNonNull(graph, "graph");
        this.ids = requireNonNull(ids, "ids");
        this.clock = requireNonNull(clock, "clock");
        this.text = requireNonNull(text, "text");
        this.idempotencyTtl = requireNonNull(idempotencyTtl, "idempotencyTtl");
    }

    public TweetText text() {
        return text;
    }

    public static byte[] counterKey(long tweetId, byte kind) {
        byte[] k = new byte[10];
        k[0] = 'T';
        Bytes.putLong(k, 1, tweetId);
        k[9] = kind;
        return k;
    }

    // ---- writes ---------------------------------------------------------------------------

    /** Posts a tweet, a reply or a quote. A repeated {@code idempotencyKey} returns the first tweet. */
    public Tweet post(long authorId, NewTweet req) {
        requireNonNull(req, "req");
        String key = req.idempotencyKey();
        if (key != null && (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY)) {
            throw RookeryException.invalid("Idempotency-Key", "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
        }
        if (key == null) {
            return create(authorId, req);
        }
        byte[] idemKey = Bytes.key(authorId, key);
        return locks.with(authorId, StripedLocks.keyOf(key), () -> {
            byte[] seen = store.get(Table.IDEMPOTENCY, idemKey);
            if (seen != null && clock.millis() - Bytes.getLong(seen, 8) < idempotencyTtl.toMillis()) {
                Optional<Tweet> first = get(Bytes.getLong(seen, 0));
                if (first.isPresent()) {
                    return first.get();
                }
            }
            return create(authorId, req);
        });
    }

    private Tweet create(long authorId, NewTweet req) {
        Account author = users.require(authorId);
        String body = req.text();
        if (body.isBlank()) {
            throw RookeryException.invalid("status", "can't be blank");
        }
        TweetText.Parsed parsed = text.parse(body);
        if (parsed.weightedLength() > text.maxLength()) {
            throw RookeryException.invalid("status", "is too long (" + parsed.weightedLength()
                    + " characters; maximum is " + text.maxLength() + ")");
        }
        if (req.spoilerText().length() > text.maxLength()) {
            throw RookeryException.invalid("spoiler_text", "is too long (maximum is " + text.maxLength() + " characters)");
        }
        Visibility visibility = req.visibility() != null ? req.visibility()
                : author.locked() ? Visibility.PRIVATE : Visibility.PUBLIC;

        long replyToAccount = 0;
        Tweet parent = null;
        if (req.inReplyToId() != 0) {
            parent = visible(authorId, req.inReplyToId()).orElseThrow(() ->
                    RookeryException.invalid("in_reply_to_id", "is not a status you can see"));
            if (parent.isRepost()) {
                throw RookeryException.invalid("in_reply_to_id", "is a repost; reply to the original");
            }
            replyToAccount = parent.authorId();
        }
        if (req.quoteOfId() != 0) {
            Tweet quoted = visible(authorId, req.quoteOfId()).orElseThrow(() ->
                    RookeryException.invalid("quoted_status_id", "is not a status you can see"));
            if (quoted.isRepost()) {
                throw RookeryException.invalid("quoted_status_id", "is a repost; quote the original");
            }
            if (!isShareable(quoted)) {
                throw RookeryException.forbidden("This status can't be quoted");
            }
        }
        // Mentions resolve to local accounts; unknown handles stay plain text.
        Set<Long> mentioned = new LinkedHashSet<>();
        for (String handle : parsed.mentions()) {
            users.byHandle(handle).ifPresent(a -> mentioned.add(a.id()));
        }
        if (replyToAccount != 0 && replyToAccount != authorId) {
            mentioned.add(replyToAccount);
        }

        long id = ids.nextId();
        long now = clock.millis();
        Tweet tweet = new Tweet(id, authorId, body, now, req.inReplyToId(), replyToAccount, 0, req.quoteOfId(),
                visibility, req.spoilerText(), req.sensitive() || !req.spoilerText().isEmpty(), req.language(),
                List.copyOf(mentioned), parsed.hashtags(), parsed.urls());
        WriteBatch batch = new WriteBatch()
                .put(Table.TWEETS, Bytes.key(id), RecordCodec.encode(tweet))
                .put(Table.USER_TIMELINES, Bytes.key(authorId, id), UserTimelineRow.of(tweet, null))
                .increment(Table.COUNTERS, UserService.counterKey(authorId, UserService.STATUSES), 1)
                .increment(Table.COUNTERS, UserService.TOTAL_TWEETS, 1);
        if (parent != null) {
            batch.put(Table.REPLIES, Bytes.key(parent.id(), id), new byte[0])
                    .increment(Table.COUNTERS, counterKey(parent.id(), REPLIES), 1);
        }
        if (req.idempotencyKey() != null) {
            byte[] v = new byte[16];
            Bytes.putLong(v, 0, id);
            Bytes.putLong(v, 8, now);
            batch.put(Table.IDEMPOTENCY, Bytes.key(authorId, req.idempotencyKey()), v);
        }
        long object = req.inReplyToId() != 0 ? req.inReplyToId() : req.quoteOfId();
        batch.append(new Event(ids.nextId(), EventType.TWEET_CREATED, authorId, id, object, now));
        store.commit(batch);
        lastTweets.invalidate(authorId);
        return tweet;
    }

    /** Public and unlisted tweets of unprotected authors may be reposted and quoted. */
    private boolean isShareable(Tweet t) {
        if (t.visibility() != Visibility.PUBLIC && t.visibility() != Visibility.UNLISTED) {
            return false;
        }
        return users.get(t.authorId()).map(a -> !a.locked()).orElse(false);
    }

    /** Reposts {@code tweetId}; reposting twice returns the existing repost. */
    public Tweet repost(long actorId, long tweetId, @Nullable Visibility visibility) {
        Tweet original = visible(actorId, tweetId).orElseThrow(RookeryException::notFound);
        if (original.isRepost()) {
            original = visible(actorId, original.repostOfId()).orElseThrow(RookeryException::notFound);
        }
        Tweet target = original;
        if (!isShareable(target)) {
            throw RookeryException.forbidden("This status can't be reposted");
        }
        return locks.with(actorId, target.id(), () -> {
            if (get(target.id()).isEmpty()) {
                throw RookeryException.notFound(); // deleted since the check above: delete holds this lock
            }
            byte[] existing = store.get(Table.REPOSTS, Bytes.key(target.id(), actorId));
            if (existing != null) {
                Optional<Tweet> r = get(Bytes.getLong(existing, 0));
                if (r.isPresent()) {
                    return r.get();
                }
            }
            long id = ids.nextId();
            long now = clock.millis();
            Visibility v = visibility == null || visibility == Visibility.DIRECT ? Visibility.PUBLIC : visibility;
            Tweet repost = new Tweet(id, actorId, "", now, 0, 0, target.id(), 0, v, "", false, null,
                    List.of(), List.of(), List.of());
            store.commit(new WriteBatch()
                    .put(Table.TWEETS, Bytes.key(id), RecordCodec.encode(repost))
                    .put(Table.USER_TIMELINES, Bytes.key(actorId, id), UserTimelineRow.of(repost, target))
                    .put(Table.REPOSTS, Bytes.key(target.id(), actorId), Bytes.key(id))
                    .increment(Table.COUNTERS, counterKey(target.id(), REPOSTS), 1)
                    .increment(Table.COUNTERS, UserService.counterKey(actorId, UserService.STATUSES), 1)
                    .append(new Event(ids.nextId(), EventType.REPOSTED, actorId, id, target.id(), now)));
            lastTweets.invalidate(actorId);
            return repost;
        });
    }

    /** Removes {@code actorId}'s repost of {@code tweetId}; returns the original. */
    public Tweet unrepost(long actorId, long tweetId) {
        Tweet original = visible(actorId, tweetId).orElseThrow(RookeryException::notFound);
        long originalId = original.isRepost() ? original.repostOfId() : original.id();
        locks.with(actorId, originalId, () -> {
            byte[] existing = store.get(Table.REPOSTS, Bytes.key(originalId, actorId));
            if (existing == null) {
                return null;
            }
            long repostId = Bytes.getLong(existing, 0);
            WriteBatch batch = new WriteBatch();
            removeTweet(batch, repostId, actorId, originalId, FLAG_REPOST, 0);
            batch.append(new Event(ids.nextId(), EventType.UNREPOSTED, actorId, repostId, originalId, clock.millis()));
            store.commit(batch);
            lastTweets.invalidate(actorId);
            forget(repostId);
            return null;
        });
        return get(originalId).orElseThrow(RookeryException::notFound);
    }

    /** Deletes the author's own tweet (and every repost of it); returns it as it was. */
    public Tweet delete(long actorId, long tweetId) {
        Tweet tweet = visible(actorId, tweetId).orElseThrow(RookeryException::notFound);
        if (tweet.authorId() != actorId) {
            throw RookeryException.forbidden("This action is not allowed");
        }
        if (tweet.isRepost()) {
            unrepost(actorId, tweet.repostOfId());
            return tweet;
        }
        return locks.with(actorId, tweetId, () -> {
            if (get(tweetId).isEmpty()) {
                return tweet; // deleted meanwhile
            }
            long now = clock.millis();
            WriteBatch batch = new WriteBatch();
            removeTweet(batch, tweetId, actorId, 0, tweet.isReply() ? FLAG_REPLY : 0, tweet.inReplyToId());
            long object = tweet.inReplyToId() != 0 ? tweet.inReplyToId() : tweet.quoteOfId(); // as at creation
            batch.append(new Event(ids.nextId(), EventType.TWEET_DELETED, actorId, tweetId, object, now));
            // Reposts of a deleted tweet go with it, each announced on its reposter's partition.
            List<long[]> reposts = new ArrayList<>();
            store.scan(Table.REPOSTS, Bytes.key(tweetId), null, false, (k, v) -> {
                reposts.add(new long[] {Bytes.getLong(k, 8), Bytes.getLong(v, 0)});
                return true;
            });
            for (long[] r : reposts) {
                removeTweet(batch, r[1], r[0], tweetId, FLAG_REPOST, 0);
                batch.append(new Event(ids.nextId(), EventType.TWEET_DELETED, r[0], r[1], tweetId, now));
            }
            store.scan(Table.FAVOURITES, Bytes.key(tweetId), null, false, (k, v) -> {
                batch.delete(Table.FAVOURITES, k);
                return true;
            });
            batch.delete(Table.COUNTERS, counterKey(tweetId, REPLIES))
                    .delete(Table.COUNTERS, counterKey(tweetId, REPOSTS))
                    .delete(Table.COUNTERS, counterKey(tweetId, FAVOURITES));
            store.commit(batch);
            long[] gone = new long[reposts.size() + 1];
            long[] authors = new long[reposts.size() + 1];
            gone[0] = tweetId;
            authors[0] = actorId;
            for (int i = 0; i < reposts.size(); i++) {
                gone[i + 1] = reposts.get(i)[1];
                authors[i + 1] = reposts.get(i)[0];
            }
            lastTweets.invalidate(authors);
            forget(gone);
            return tweet;
        });
    }

    /** Adds to {@code batch} the removal of one tweet's record, timeline entry and counts. */
    private void removeTweet(WriteBatch batch, long id, long authorId, long repostOf, int flags, long inReplyTo) {
        batch.delete(Table.TWEETS, Bytes.key(id))
                .delete(Table.USER_TIMELINES, Bytes.key(authorId, id))
                .increment(Table.COUNTERS, UserService.counterKey(authorId, UserService.STATUSES), -1);
        if ((flags & FLAG_REPOST) == 0) {
            batch.increment(Table.COUNTERS, UserService.TOTAL_TWEETS, -1);
        }
        if ((flags & FLAG_REPOST) != 0) {
            batch.delete(Table.REPOSTS, Bytes.key(repostOf, authorId))
                    .increment(Table.COUNTERS, counterKey(repostOf, REPOSTS), -1);
        }
        if (inReplyTo != 0) {
            batch.delete(Table.REPLIES, Bytes.key(inReplyTo, id))
                    .increment(Table.COUNTERS, counterKey(inReplyTo, REPLIES), -1);
        }
    }

    /** Favourites a tweet (again: no change); returns the tweet. */
    public Tweet favourite(long actorId, long tweetId) {
        Tweet t = visible(actorId, tweetId).orElseThrow(RookeryException::notFound);
        Tweet target = t.isRepost() ? visible(actorId, t.repostOfId()).orElseThrow(RookeryException::notFound) : t;
        locks.with(actorId, target.id(), () -> {
            if (get(target.id()).isEmpty()) {
                throw RookeryException.notFound(); // deleted since the check above: delete holds this lock
            }
            byte[] key = Bytes.key(target.id(), actorId);
            if (store.get(Table.FAVOURITES, key) == null) {
                long now = clock.millis();
                store.commit(new WriteBatch()
                        .put(Table.FAVOURITES, key, Bytes.key(now))
                        .increment(Table.COUNTERS, counterKey(target.id(), FAVOURITES), 1)
                        .append(new Event(ids.nextId(), EventType.FAVOURITED, actorId, target.id(), target.authorId(), now)));
            }
            return null;
        });
        return target;
    }

    public Tweet unfavourite(long actorId, long tweetId) {
        Tweet t = visible(actorId, tweetId).orElseThrow(RookeryException::notFound);
        Tweet target = t.isRepost() ? visible(actorId, t.repostOfId()).orElseThrow(RookeryException::notFound) : t;
        locks.with(actorId, target.id(), () -> {
            byte[] key = Bytes.key(target.id(), actorId);
            if (store.get(Table.FAVOURITES, key) != null) {
                store.commit(new WriteBatch()
                        .delete(Table.FAVOURITES, key)
                        .increment(Table.COUNTERS, counterKey(target.id(), FAVOURITES), -1)
                        .append(new Event(ids.nextId(), EventType.UNFAVOURITED, actorId, target.id(), target.authorId(),
                                clock.millis())));
            }
            return null;
        });
        return target;
    }

    // ---- reads ----------------------------------------------------------------------------

    /** The tweet as stored, visibility not checked. */
    public Optional<Tweet> get(long id) {
        Tweet cached = cache.getIfPresent(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        long stamp = cache.stamp();
        byte[] v = store.get(Table.TWEETS, Bytes.key(id));
        if (v == null) {
            return Optional.empty();
        }
        Tweet t = RecordCodec.decode(v, Tweet.class);
        cache.putLoaded(stamp, id, t);
        return Optional.of(t);
    }

    /** Tweets by id in one multiget; missing ones are left out. */
    public Map<Long, Tweet> getAll(long[] tweetIds) {
        @Nullable Tweet[] each = getEach(tweetIds);
        Map<Long, Tweet> out = new HashMap<>(tweetIds.length * 2);
        for (int i = 0; i < each.length; i++) {
            if (each[i] != null) {
                out.put(tweetIds[i], each[i]);
            }
        }
        return out;
    }

    /**
     * The tweets of {@code tweetIds} in their order, null where one does not exist: the cached ones
     * from memory, the rest in one multiget. No map of boxed ids, for the page choice that looks up
     * a few dozen per read.
     */
    public @Nullable Tweet[] getEach(long[] tweetIds) {
        return cache.getEach(tweetIds, new Tweet[tweetIds.length], this::load);
    }

    /** The tweets of {@code tweetIds} from the store, in one multiget; null where one does not exist. */
    private @Nullable Tweet[] load(long[] tweetIds) {
        return RecordCodec.decodeEach(store.multiGet(Table.TWEETS, Bytes.keys(tweetIds)), new Tweet[tweetIds.length],
                Tweet.class);
    }

    /** Forgets deleted tweets; called after their delete is committed, before it is acknowledged. */
    private void forget(long... tweetIds) {
        cache.invalidate(tweetIds);
    }

    /** The tweet if {@code viewerId} (0: signed out) may see it; a hidden tweet looks missing. */
    public Optional<Tweet> visible(long viewerId, long id) {
        Optional<Tweet> t = get(id);
        if (t.isEmpty()) {
            return t;
        }
        List<Tweet> seen = filterVisible(viewerId, List.of(t.get()));
        return seen.isEmpty() ? Optional.empty() : Optional.of(seen.get(0));
    }

    /**
     * The tweets {@code viewerId} may see, in the given order. The relationships this needs are
     * fetched once for the whole list (Mastodon's "crutches"), never one lookup per tweet. A repost is
     * visible only if its original is.
     */
    public List<Tweet> filterVisible(long viewerId, List<Tweet> tweets) {
        if (tweets.isEmpty()) {
            return tweets;
        }
        Map<Long, Tweet> originals = new HashMap<>();
        long[] originalIds = tweets.stream().filter(Tweet::isRepost).mapToLong(Tweet::repostOfId).distinct().toArray();
        if (originalIds.length > 0) {
            originals.putAll(getAll(originalIds));
        }
        Set<Long> authorSet = new LinkedHashSet<>();
        for (Tweet t : tweets) {
            authorSet.add(t.authorId());
        }
        for (Tweet o : originals.values()) {
            authorSet.add(o.authorId());
        }
        long[] authors = authorSet.stream().mapToLong(Long::longValue).toArray();
        Map<Long, Account> accounts = users.getAll(authors);
        boolean[] follows = viewerId == 0 ? new boolean[authors.length] : graph.followsEach(viewerId, authors);
        boolean[] blockedBy = viewerId == 0 ? new boolean[authors.length] : graph.blockedByEach(viewerId, authors);
        Map<Long, Integer> index = new HashMap<>();
        for (int i = 0; i < authors.length; i++) {
            index.put(authors[i], i);
        }
        List<Tweet> out = new ArrayList<>(tweets.size());
        for (Tweet t : tweets) {
            if (!canSee(viewerId, t, accounts, follows, blockedBy, index)) {
                continue;
            }
            if (t.isRepost()) {
                Tweet o = originals.get(t.repostOfId());
                if (o == null || !canSee(viewerId, o, accounts, follows, blockedBy, index)) {
                    continue;
                }
            }
            out.add(t);
        }
        return out;
    }

    private static boolean canSee(long viewerId, Tweet t, Map<Long, Account> accounts, boolean[] follows,
                                  boolean[] blockedBy, Map<Long, Integer> index) {
        Account author = accounts.get(t.authorId());
        if (author == null) {
            return false;
        }
        if (viewerId == t.authorId()) {
            return true;
        }
        int i = index.get(t.authorId());
        return canSee(t, author.locked(), follows[i], blockedBy[i], viewerId != 0 && t.mentionIds().contains(viewerId));
    }

    /**
     * The visibility rule, in one place: the author's block hides everything; a protected author's
     * tweets and private tweets are for followers (and mentioned users); direct tweets are for
     * mentioned users only.
     */
    public static boolean canSee(Tweet t, boolean authorLocked, boolean viewerFollowsAuthor, boolean authorBlocksViewer,
                                 boolean viewerMentioned) {
        if (authorBlocksViewer) {
            return false;
        }
        return switch (t.visibility()) {
            case DIRECT -> viewerMentioned;
            case PRIVATE -> viewerFollowsAuthor || viewerMentioned;
            case PUBLIC, UNLISTED -> !authorLocked || viewerFollowsAuthor || viewerMentioned;
        };
    }

    /** Whether {@code viewerId} may read {@code authorId}'s user timeline at all. */
    public boolean canReadTimelineOf(long viewerId, Account author) {
        if (viewerId == author.id()) {
            return true;
        }
        if (viewerId != 0 && graph.isBlocking(author.id(), viewerId)) {
            return false;
        }
        return !author.locked() || (viewerId != 0 && graph.isFollowing(viewerId, author.id()));
    }

    /**
     * One page of {@code authorId}'s tweets and reposts that {@code viewerId} may see, newest first,
     * read from the author's user-timeline list.
     */
    public List<Tweet> userTimeline(long viewerId, long authorId, Page page, boolean excludeReplies, boolean excludeReposts) {
        Account author = users.require(authorId);
        if (!canReadTimelineOf(viewerId, author)) {
            return List.of();
        }
        List<Tweet> out = new ArrayList<>(page.limit());
        long cursorMax = page.maxId();
        long cursorMin = page.minId();
        // Visibility filtering may drop entries; read further until the page is full or the list ends.
        for (int round = 0; round < 10 && out.size() < page.limit(); round++) {
            int want = page.limit() - out.size();
            long[] pageIds = timelineIds(authorId, new Page(cursorMax, page.sinceId(), cursorMin, want),
                    excludeReplies, excludeReposts);
            if (pageIds.length == 0) {
                break;
            }
            Map<Long, Tweet> found = getAll(pageIds);
            List<Tweet> batch = new ArrayList<>(pageIds.length);
            for (long id : pageIds) {
                Tweet t = found.get(id);
                if (t != null) {
                    batch.add(t);
                }
            }
            List<Tweet> seen = filterVisible(viewerId, batch);
            if (cursorMin != 0) {
                out.addAll(0, seen); // ascending reads: newer batches go in front
                cursorMin = pageIds[0];
            } else {
                out.addAll(seen);
                cursorMax = pageIds[pageIds.length - 1];
            }
            if (pageIds.length < want) {
                break;
            }
        }
        return out;
    }

    /** Ids of one page of an author's user-timeline list, newest first, filtered by entry flags. */
    private long[] timelineIds(long authorId, Page page, boolean excludeReplies, boolean excludeReposts) {
        long[] out = new long[page.limit()];
        int[] n = {0};
        byte[] prefix = Bytes.key(authorId);
        KeyValueStore.Visitor take = (k, v) -> {
            long id = Bytes.getLong(k, 8);
            if (!page.contains(id)) {
                return page.minId() != 0 ? (page.maxId() == 0 || id < page.maxId()) : id > page.sinceId();
            }
            int flags = UserTimelineRow.flags(v);
            if ((excludeReplies && (flags & FLAG_REPLY) != 0) || (excludeReposts && (flags & FLAG_REPOST) != 0)) {
                return true;
            }
            out[n[0]++] = id;
            return n[0] < page.limit();
        };
        if (page.minId() != 0) {
            store.scan(Table.USER_TIMELINES, prefix, Bytes.key(authorId, page.minId() + 1), false, take);
            long[] asc = Arrays.copyOf(out, n[0]);
            long[] desc = new long[asc.length];
            for (int i = 0; i < asc.length; i++) {
                desc[i] = asc[asc.length - 1 - i];
            }
            return desc;
        }
        byte[] from = page.maxId() == 0 ? null : Bytes.key(authorId, page.maxId() - 1);
        store.scan(Table.USER_TIMELINES, prefix, from, true, take);
        return Arrays.copyOf(out, n[0]);
    }

    /** Ancestors and descendants of a tweet that the viewer may see. */
    public Context context(long viewerId, long tweetId) {
        Tweet tweet = visible(viewerId, tweetId).orElseThrow(RookeryException::notFound);
        if (tweet.isRepost()) {
            tweet = visible(viewerId, tweet.repostOfId()).orElseThrow(RookeryException::notFound);
        }
        List<Tweet> ancestors = new ArrayList<>();
        long parentId = tweet.inReplyToId();
        while (parentId != 0 && ancestors.size() < MAX_ANCESTORS) {
            Optional<Tweet> p = get(parentId);
            if (p.isEmpty()) {
                break;
            }
            ancestors.add(0, p.get());
            parentId = p.get().inReplyToId();
        }
        ancestors = filterVisible(viewerId, ancestors);
        // Descendants depth first, each level oldest first: the order threads read in.
        List<Tweet> descendants = new ArrayList<>();
        ArrayDeque<Long> stack = new ArrayDeque<>();
        pushReplies(tweet.id(), stack);
        while (!stack.isEmpty() && descendants.size() < MAX_DESCENDANTS) {
            long id = stack.pop();
            Optional<Tweet> r = get(id);
            if (r.isEmpty()) {
                continue;
            }
            descendants.add(r.get());
            pushReplies(id, stack);
        }
        return new Context(withoutBlockedOrMuted(viewerId, ancestors),
                withoutBlockedOrMuted(viewerId, filterVisible(viewerId, descendants)));
    }

    /** Leaves out tweets by accounts the viewer blocks or mutes (the viewer's own stay). */
    private List<Tweet> withoutBlockedOrMuted(long viewerId, List<Tweet> tweets) {
        if (viewerId == 0 || tweets.isEmpty()) {
            return tweets;
        }
        long[] authors = tweets.stream().mapToLong(Tweet::authorId).distinct().toArray();
        boolean[] hidden = graph.blockingOrMutingEach(viewerId, authors);
        Set<Long> hide = new java.util.HashSet<>();
        for (int i = 0; i < authors.length; i++) {
            if (hidden[i] && authors[i] != viewerId) {
                hide.add(authors[i]);
            }
        }
        return hide.isEmpty() ? tweets : tweets.stream().filter(t -> !hide.contains(t.authorId())).toList();
    }

    private void pushReplies(long parentId, ArrayDeque<Long> stack) {
        List<Long> replies = new ArrayList<>();
        store.scan(Table.REPLIES, Bytes.key(parentId), null, false, (k, v) -> {
            replies.add(Bytes.getLong(k, 8));
            return replies.size() < MAX_DESCENDANTS;
        });
        for (int i = replies.size() - 1; i >= 0; i--) {
            stack.push(replies.get(i));
        }
    }

    /** Reply, repost and favourite counts for each tweet, one multiget. */
    public TweetCounts[] counts(long[] tweetIds) {
        List<byte[]> keys = new ArrayList<>(tweetIds.length * 3);
        for (long id : tweetIds) {
            keys.add(counterKey(id, REPLIES));
            keys.add(counterKey(id, REPOSTS));
            keys.add(counterKey(id, FAVOURITES));
        }
        List<byte @Nullable []> v = store.multiGet(Table.COUNTERS, keys);
        TweetCounts[] out = new TweetCounts[tweetIds.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = new TweetCounts(count(v.get(3 * i)), count(v.get(3 * i + 1)), count(v.get(3 * i + 2)));
        }
        return out;
    }

    private static long count(byte @Nullable [] v) {
        return v == null ? 0 : Math.max(0, Bytes.fromLittleEndian(v));
    }

    /** Whether the viewer favourited each tweet, one multiget. */
    public boolean[] favouritedEach(long viewerId, long[] tweetIds) {
        return existsEach(Table.FAVOURITES, viewerId, tweetIds);
    }

    /** Whether the viewer reposted each tweet, one multiget. */
    public boolean[] repostedEach(long viewerId, long[] tweetIds) {
        return existsEach(Table.REPOSTS, viewerId, tweetIds);
    }

    /**
     * {@link #favouritedEach(long, long[])} for tweets whose {@link #counts} the caller has read: a
     * tweet nobody favourited is not asked about. A favourite's row and its count change in one
     * commit, so a count of 0 read before the rows means no row, as of that read.
     */
    public boolean[] favouritedEach(long viewerId, long[] tweetIds, TweetCounts[] counts) {
        return existsEach(Table.FAVOURITES, viewerId, tweetIds, counts);
    }

    /** {@link #repostedEach(long, long[])} that asks only about tweets with reposts; see the favourites one. */
    public boolean[] repostedEach(long viewerId, long[] tweetIds, TweetCounts[] counts) {
        return existsEach(Table.REPOSTS, viewerId, tweetIds, counts);
    }

    private boolean[] existsEach(Table table, long viewerId, long[] tweetIds) {
        return existsEach(table, viewerId, tweetIds, null);
    }

    /**
     * Whether the viewer has a row of {@code table} ({@link Table#FAVOURITES} or {@link Table#REPOSTS})
     * for each tweet; with {@code counts}, only the tweets whose count of such rows is above 0 are
     * looked up. Most tweets have none: a page then costs no store call at all, where it took one
     * per status.
     */
    private boolean[] existsEach(Table table, long viewerId, long[] tweetIds, TweetCounts @Nullable [] counts) {
        boolean reposts = table == Table.REPOSTS;
        boolean[] out = new boolean[tweetIds.length];
        if (viewerId == 0 || tweetIds.length == 0) {
            return out;
        }
        int[] asked = new int[tweetIds.length];
        List<byte[]> keys = new ArrayList<>(tweetIds.length);
        for (int i = 0; i < tweetIds.length; i++) {
            if (counts == null || (reposts ? counts[i].reposts() : counts[i].favourites()) > 0) {
                asked[keys.size()] = i;
                keys.add(Bytes.key(tweetIds[i], viewerId));
            }
        }
        if (keys.isEmpty()) {
            return out;
        }
        boolean[] found = store.containsEach(table, keys);
        for (int k = 0; k < found.length; k++) {
            out[asked[k]] = found[k];
        }
        return out;
    }

    /**
     * {@link #lastTweetAt} of many authors, in the order of {@code authorIds}: from memory, the
     * others with one store cursor.
     */
    public long[] lastTweetAtEach(long[] authorIds) {
        long[] out = new long[authorIds.length];
        int[] missing = new int[authorIds.length];
        int misses = 0;
        for (int i = 0; i < authorIds.length; i++) {
            Long cached = lastTweets.getIfPresent(authorIds[i]);
            if (cached != null) {
                out[i] = cached;
            } else {
                missing[misses++] = i;
            }
        }
        if (misses == 0) {
            return out;
        }
        byte[][] prefixes = new byte[misses][];
        for (int j = 0; j < misses; j++) {
            prefixes[j] = Bytes.key(authorIds[missing[j]]);
        }
        long stamp = lastTweets.stamp();
        long[] loaded = new long[misses];
        store.scanNewest(Table.USER_TIMELINES, prefixes, new byte[misses][], 1,
                (j, k, v) -> loaded[j] = Bytes.getLong(k, 8));
        for (int j = 0; j < misses; j++) {
            out[missing[j]] = loaded[j];
            lastTweets.putLoaded(stamp, authorIds[missing[j]], loaded[j]);
        }
        return out;
    }

    /** The newest tweet id of an author (its time is in the id), 0 if none: Mastodon's last_status_at. */
    public long lastTweetAt(long authorId) {
        return lastTweetAtEach(new long[] {authorId})[0];
    }

    /** Lookups of decoded tweets answered from memory and from the store. */
    public CacheCounts tweetCache() {
        return cache.counts();
    }

    /** Lookups of authors' newest post ids answered from memory and from the store. */
    public CacheCounts lastTweetCache() {
        return lastTweets.counts();
    }
}
