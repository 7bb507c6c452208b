package org.rookery.core.activity;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.rookery.core.activity.Notification.Type;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventType;
import org.rookery.core.event.LogRecord;
import org.rookery.core.graph.GraphService;
import org.rookery.core.internal.LongIntHashMap;
import org.rookery.core.model.Page;
import org.rookery.core.model.Relationship;
import org.rookery.core.model.Tweet;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.tweets.TweetService;

/**
 * Per-user notification timelines (Twitter's activity timeline, Tumblr's and Mastodon's
 * notifications), derived from the event log by the {@value #CONSUMER} consumer through
 * {@link #apply}: mentions (a reply mentions the author it replies to), reposts, favourites, follows
 * and follow requests. Nobody is notified of their own actions, nor by an account they block, that
 * blocks them or whose notifications they mute. Undoing an action takes its notification back, as
 * Mastodon does: an unfavourite, an unrepost, an unfollow or withdrawn request, a deleted status (all
 * notifications about it go), a handled follow request; a block clears the notifications between the
 * two accounts. Each timeline keeps the newest {@code capacity} notifications.
 *
 * <p>Events are applied idempotently: a notification's id is the id of the event that caused it, so a
 * re-delivered batch rewrites the same keys, and every rule reads the current state of the store
 * (a status deleted or a follow undone since is not notified).
 *
 * <p>Storage, in {@link Table#NOTIFICATIONS}, one key family per leading kind byte; all the entries of
 * one notification are written and deleted in one batch:
 * <ul>
 *   <li>{@code N} + owner + notification id → type, actor, status, activity tweet, time: the timeline,
 *       newest last in key order;
 *   <li>{@code A} + owner + actor + notification id → type, activity tweet: one actor's notifications
 *       (the API's {@code account_id}, undoing follows and favourites, clearing on a block);
 *   <li>{@code T} + activity tweet + owner + notification id → actor: the notifications a tweet caused,
 *       removed when it goes (the activity tweet is the mentioning or favourited tweet, or the repost);
 *   <li>{@code R} + owner + requester → nothing: follow requests seen, so that the {@code FOLLOWED}
 *       event of an authorized request is told from a plain follow (Mastodon does not announce it).
 * </ul>
 *
 * <p>Thread-safe: {@link #apply} is serialised (it is one consumer); reads, {@link #dismiss} and
 * {@link #clear} may run concurrently with it. Blocking.
 *
 * <pre>{@code
 * NotificationService notifications = new NotificationService(store, tweets, graph, 800);
 * new ConsumerLoop(log, NotificationService.CONSUMER, StartFrom.savedOrEarliest(), 1024, clock,
 *         notifications::apply).start();
 * List<Notification> page = notifications.page(me, Page.newest(40), EnumSet.allOf(Notification.Type.class), 0);
 * }</pre>
 */
public final class NotificationService {
    /** The name of the event-log consumer that applies events here. */
    public static final String CONSUMER = "notifications";

    private static final byte TIMELINE = 'N';
    private static final byte BY_ACTOR = 'A';
    private static final byte BY_TWEET = 'T';
    private static final byte REQUEST_SEEN = 'R';
    private static final byte VERSION = 1;
    private static final int RECORD_SIZE = 2 + 8 * 4;
    private static final byte[] EMPTY = new byte[0];
    /** Reads past hidden notifications until a page is full, at most this many times. */
    private static final int MAX_READ_ROUNDS = 10;
    /** Writes held before a commit while applying a batch. */
    private static final int MAX_PENDING_OPS = 4096;
    /** Timeline length bounds remembered; beyond it they are forgotten and measured again. */
    private static final int LENGTH_BOUNDS = 1 << 16;

    private final KeyValueStore store;
    private final TweetService tweets;
    private final GraphService graph;
    private final int capacity;
    /**
     * Per owner, an upper bound of the timeline's length (writes add to it; removals, which may come
     * from other threads, do not lower it), so a timeline is measured and trimmed only when it may
     * exceed the capacity. Guarded by {@code this}.
     */
    private LongIntHashMap lengthBounds = new LongIntHashMap(LENGTH_BOUNDS);

    public NotificationService(KeyValueStore store, TweetService tweets, GraphService graph, int capacity) {
        this.store = requireNonNull(store, "store");
        this.tweets = requireNonNull(tweets, "tweets");
        this.graph = requireNonNull(graph, "graph");
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    // ---- the consumer -----------------------------------------------------------------------

    /**
     * Applies one batch of the event log (a {@code ConsumerLoop.Handler}). Applying a batch again
     * leaves the same notifications. Writes are committed in batches, before any rule reads what an
     * earlier event of the batch wrote, and the timelines written to are trimmed at the end.
     */
    public synchronized void apply(List<LogRecord> batch) {
        requireNonNull(batch, "batch");
        Applier applier = new Applier();
        for (LogRecord r : batch) {
            applier.apply(r.event());
        }
        applier.flush();
        applier.trimTouched();
    }

    /** The state of one {@link #apply} call: the pending writes and the owners written to. */
    private final class Applier {
        private WriteBatch pending = new WriteBatch();
        private long[] touched = new long[64];
        private int touchedCount;

        void apply(Event e) {
            long actor = e.actorId();
            long subject = e.subjectId();
            switch (e.type()) {
                case TWEET_CREATED -> mentioned(e);
                case REPOSTED -> reposted(e);
                case FAVOURITED -> favourited(e);
                case FOLLOWED -> followed(e);
                case FOLLOW_REQUESTED -> followRequested(e);
                // A deleted tweet, or a removed repost, takes every notification it caused along.
                case TWEET_DELETED, UNREPOSTED -> removeCausedBy(subject);
                case UNFAVOURITED -> removeFrom(e.objectId(), actor, Type.FAVOURITE, subject);
                case UNFOLLOWED -> { // an unfollow, or a withdrawn request
                    removeFrom(subject, actor, Type.FOLLOW, 0);
                    removeFrom(subject, actor, Type.FOLLOW_REQUEST, 0);
                    forgetRequest(subject, actor);
                }
                case FOLLOW_REQUEST_REJECTED -> {
                    removeFrom(actor, subject, Type.FOLLOW_REQUEST, 0);
                    forgetRequest(actor, subject);
                }
                case BLOCKED -> { // Mastodon clears the blocked account's notifications; follows both ways are gone
                    removeFrom(actor, subject, null, 0);
                    removeFrom(subject, actor, null, 0);
                    forgetRequest(actor, subject);
                    forgetRequest(subject, actor);
                }
                default -> { } // account, mute and follow-option changes notify nobody
            }
        }

        private void mentioned(Event e) {
            Tweet t = tweets.get(e.subjectId()).orElse(null);
            if (t == null || t.isRepost()) {
                return; // deleted since: its TWEET_DELETED follows in the same partition
            }
            for (long user : t.mentionIds()) {
                notifyIfWanted(user, e, Type.MENTION, t.id(), t.id());
            }
        }

        private void reposted(Event e) {
            Map<Long, Tweet> found = tweets.getAll(new long[] {e.subjectId(), e.objectId()});
            Tweet original = found.get(e.objectId());
            if (original == null || !found.containsKey(e.subjectId())) {
                return;
            }
            notifyIfWanted(original.authorId(), e, Type.REBLOG, original.id(), e.subjectId());
        }

        private void favourited(Event e) {
            if (tweets.get(e.subjectId()).isEmpty()) {
                return;
            }
            notifyIfWanted(e.objectId(), e, Type.FAVOURITE, e.subjectId(), e.subjectId());
        }

        private void followed(Event e) {
            long follower = e.actorId();
            long followee = e.subjectId();
            if (e.objectId() == EventType.FOLLOW_IMPORTED) {
                return; // an operator's import of relationships that existed before: not news to anyone
            }
            flush();
            if (store.get(Table.NOTIFICATIONS, requestKey(followee, follower)) != null) {
                // An authorized request: its notification has been handled, and the owner knows of the follow.
                removeFrom(followee, follower, Type.FOLLOW_REQUEST, 0);
                return;
            }
            Relationship r = graph.relationship(followee, follower);
            if (follower != followee && r.followedBy() && wanted(r)) {
                add(followee, e, Type.FOLLOW, 0, 0);
            }
        }

        private void followRequested(Event e) {
            long requester = e.actorId();
            long target = e.subjectId();
            if (requester == target) {
                return;
            }
            Relationship r = graph.relationship(target, requester);
            if (r.requestedBy() || r.followedBy()) { // pending, or authorized already: its FOLLOWED comes next
                pending.put(Table.NOTIFICATIONS, requestKey(target, requester), EMPTY);
            }
            if (r.requestedBy() && wanted(r)) {
                add(target, e, Type.FOLLOW_REQUEST, 0, 0);
            }
        }

        private void notifyIfWanted(long owner, Event e, Type type, long statusId, long activityId) {
            if (owner == e.actorId() || owner == 0) {
                return;
            }
            if (wanted(graph.relationship(owner, e.actorId()))) {
                add(owner, e, type, statusId, activityId);
            }
        }

        private void add(long owner, Event e, Type type, long statusId, long activityId) {
            long id = e.id();
            long actor = e.actorId();
            pending.put(Table.NOTIFICATIONS, Bytes.key(TIMELINE, owner, id),
                            encode(type, actor, statusId, activityId, e.timestampMillis()))
                    .put(Table.NOTIFICATIONS, key(BY_ACTOR, owner, actor, id), actorValue(type, activityId));
            if (activityId != 0) {
                pending.put(Table.NOTIFICATIONS, key(BY_TWEET, activityId, owner, id), Bytes.key(actor));
            }
            if (touchedCount == touched.length) {
                touched = Arrays.copyOf(touched, touchedCount * 2);
            }
            touched[touchedCount++] = owner;
            flushIfLarge();
        }

        /** Removes every notification caused by tweet {@code activityId}, whoever received it. */
        private void removeCausedBy(long activityId) {
            flush();
            List<long[]> hits = new ArrayList<>();
            store.scan(Table.NOTIFICATIONS, Bytes.key(BY_TWEET, activityId), null, false, (k, v) -> {
                hits.add(new long[] {Bytes.getLong(k, 9), Bytes.getLong(k, 17), Bytes.getLong(v, 0)});
                return true;
            });
            for (long[] h : hits) {
                delete(pending, h[0], h[1], h[2], activityId);
                flushIfLarge();
            }
        }

        /** Removes {@code owner}'s notifications from {@code actor} of {@code type} (null: any) about {@code activityId} (0: any). */
        private void removeFrom(long owner, long actor, @Nullable Type type, long activityId) {
            flush();
            List<long[]> hits = new ArrayList<>();
            store.scan(Table.NOTIFICATIONS, Bytes.key(BY_ACTOR, owner, actor), null, false, (k, v) -> {
                long activity = Bytes.getLong(v, 1);
                if ((type == null || v[0] == type.code()) && (activityId == 0 || activity == activityId)) {
                    hits.add(new long[] {Bytes.getLong(k, 17), activity});
                }
                return true;
            });
            for (long[] h : hits) {
                delete(pending, owner, h[0], actor, h[1]);
                flushIfLarge();
            }
        }

        private void forgetRequest(long owner, long requester) {
            pending.delete(Table.NOTIFICATIONS, requestKey(owner, requester));
        }

        private void flushIfLarge() {
            if (pending.ops().size() >= MAX_PENDING_OPS) {
                flush();
            }
        }

        void flush() {
            if (!pending.isEmpty()) {
                store.commit(pending);
                pending = new WriteBatch();
            }
        }

        /** Trims each timeline written to that may now exceed the capacity. */
        void trimTouched() {
            long[] owners = Arrays.copyOf(touched, touchedCount);
            Arrays.sort(owners);
            for (int i = 0; i < owners.length; ) {
                long owner = owners[i];
                int j = i;
                while (j < owners.length && owners[j] == owner) {
                    j++;
                }
                int bound = lengthBounds.get(owner, -1);
                // Re-delivered writes count again: the bound only errs upwards, which costs a measurement.
                bound = bound < 0 || (long) bound + (j - i) > capacity ? trim(owner) : bound + (j - i);
                if (lengthBounds.get(owner, -1) < 0 && lengthBounds.size() >= LENGTH_BOUNDS) {
                    lengthBounds = new LongIntHashMap(LENGTH_BOUNDS);
                }
                lengthBounds.put(owner, bound);
                i = j;
            }
        }

        /** Deletes all but the newest {@code capacity} notifications of {@code owner}; returns how many are left. */
        private int trim(long owner) {
            int[] seen = {0};
            List<byte[]> excess = new ArrayList<>();
            store.scan(Table.NOTIFICATIONS, Bytes.key(TIMELINE, owner), null, true, (k, v) -> {
                if (++seen[0] > capacity) {
                    excess.add(k);
                    excess.add(v);
                }
                return true;
            });
            WriteBatch b = new WriteBatch();
            for (int i = 0; i < excess.size(); i += 2) {
                byte[] v = excess.get(i + 1);
                delete(b, owner, Bytes.getLong(excess.get(i), 9), Bytes.getLong(v, 2), Bytes.getLong(v, 18));
                if (b.ops().size() >= MAX_PENDING_OPS) {
                    store.commit(b);
                    b = new WriteBatch();
                }
            }
            store.commit(b);
            return Math.min(seen[0], capacity);
        }
    }

    /**
     * Whether the owner of the relationship wants notifications from the other account: not if either
     * blocks the other, nor if the owner mutes it with its notifications.
     */
    private static boolean wanted(Relationship ownerToActor) {
        return !ownerToActor.blocking() && !ownerToActor.blockedBy() && !ownerToActor.mutingNotifications();
    }

    // ---- reads and the owner's changes -------------------------------------------------------

    /**
     * One page of {@code ownerId}'s notifications of {@code types}, newest first, only those from
     * {@code fromAccountId} unless it is 0. A notification whose status is gone or hidden from the
     * owner is left out (hidden looks like missing), and reading continues past it to fill the page.
     */
    public List<Notification> page(long ownerId, Page page, Set<Type> types, long fromAccountId) {
        requireNonNull(page, "page");
        requireNonNull(types, "types");
        if (types.isEmpty()) {
            return List.of();
        }
        boolean[] wantedTypes = new boolean[256];
        for (Type t : types) {
            wantedTypes[t.code()] = true;
        }
        List<Notification> out = new ArrayList<>(page.limit());
        long cursorMax = page.maxId();
        long cursorMin = page.minId();
        for (int round = 0; round < MAX_READ_ROUNDS && out.size() < page.limit(); round++) {
            int want = page.limit() - out.size();
            List<Notification> read = read(ownerId, new Page(cursorMax, page.sinceId(), cursorMin, want), wantedTypes,
                    fromAccountId);
            if (read.isEmpty()) {
                break;
            }
            List<Notification> seen = visible(ownerId, read);
            if (cursorMin != 0) {
                out.addAll(0, seen); // ascending reads: newer batches go in front
                cursorMin = read.get(0).id();
            } else {
                out.addAll(seen);
                cursorMax = read.get(read.size() - 1).id();
            }
            if (read.size() < want) {
                break;
            }
        }
        return out;
    }

    /** Up to {@code page.limit()} stored notifications inside the page's bounds, newest first. */
    private List<Notification> read(long ownerId, Page page, boolean[] wantedTypes, long fromAccountId) {
        boolean byActor = fromAccountId != 0;
        byte[] prefix = byActor ? Bytes.key(BY_ACTOR, ownerId, fromAccountId) : Bytes.key(TIMELINE, ownerId);
        int idOffset = prefix.length;
        long[] ids = new long[page.limit()];
        List<byte @Nullable []> records = new ArrayList<>(byActor ? 0 : page.limit());
        int[] n = {0};
        KeyValueStore.Visitor take = (k, v) -> {
            long id = Bytes.getLong(k, idOffset);
            if (!page.contains(id)) {
                return page.minId() != 0 ? (page.maxId() == 0 || id < page.maxId()) : id > page.sinceId();
            }
            if (!wantedTypes[byActor ? v[0] & 0xFF : v[1] & 0xFF]) {
                return true;
            }
            ids[n[0]++] = id;
            if (!byActor) {
                records.add(v);
            }
            return n[0] < page.limit();
        };
        if (page.minId() != 0) {
            store.scan(Table.NOTIFICATIONS, prefix, idKey(prefix, page.minId() + 1), false, take);
        } else {
            store.scan(Table.NOTIFICATIONS, prefix, page.maxId() == 0 ? null : idKey(prefix, page.maxId() - 1), true, take);
        }
        if (byActor) {
            List<byte[]> keys = new ArrayList<>(n[0]);
            for (int i = 0; i < n[0]; i++) {
                keys.add(Bytes.key(TIMELINE, ownerId, ids[i]));
            }
            records.addAll(store.multiGet(Table.NOTIFICATIONS, keys));
        }
        List<Notification> out = new ArrayList<>(n[0]);
        for (int i = 0; i < n[0]; i++) {
            byte[] v = records.get(i);
            if (v != null) { // dismissed since the index was read
                out.add(decode(ids[i], v));
            }
        }
        if (page.minId() != 0) {
            Collections.reverse(out);
        }
        return out;
    }

    /** The notifications whose status (if any) the owner may see, in the same order. */
    private List<Notification> visible(long ownerId, List<Notification> notifications) {
        long[] statusIds = notifications.stream().mapToLong(Notification::statusId).filter(id -> id != 0)
                .distinct().toArray();
        if (statusIds.length == 0) {
            return notifications;
        }
        Set<Long> seen = new HashSet<>();
        for (Tweet t : tweets.filterVisible(ownerId, new ArrayList<>(tweets.getAll(statusIds).values()))) {
            seen.add(t.id());
        }
        List<Notification> out = new ArrayList<>(notifications.size());
        for (Notification n : notifications) {
            if (n.statusId() == 0 || seen.contains(n.statusId())) {
                out.add(n);
            }
        }
        return out;
    }

    /** One of {@code ownerId}'s notifications; empty if there is none or its status is gone or hidden. */
    public Optional<Notification> get(long ownerId, long id) {
        byte[] v = store.get(Table.NOTIFICATIONS, Bytes.key(TIMELINE, ownerId, id));
        if (v == null) {
            return Optional.empty();
        }
        List<Notification> seen = visible(ownerId, List.of(decode(id, v)));
        return seen.isEmpty() ? Optional.empty() : Optional.of(seen.get(0));
    }

    /** Removes one of {@code ownerId}'s notifications; returns whether there was one. */
    public boolean dismiss(long ownerId, long id) {
        byte[] v = store.get(Table.NOTIFICATIONS, Bytes.key(TIMELINE, ownerId, id));
        if (v == null) {
            return false;
        }
        checkVersion(v);
        WriteBatch b = new WriteBatch();
        delete(b, ownerId, id, Bytes.getLong(v, 2), Bytes.getLong(v, 18));
        store.commit(b);
        return true;
    }

    /** Removes all of {@code ownerId}'s notifications; returns how many there were. */
    public int clear(long ownerId) {
        List<long[]> all = new ArrayList<>();
        store.scan(Table.NOTIFICATIONS, Bytes.key(TIMELINE, ownerId), null, false, (k, v) -> {
            checkVersion(v);
            all.add(new long[] {Bytes.getLong(k, 9), Bytes.getLong(v, 2), Bytes.getLong(v, 18)});
            return true;
        });
        WriteBatch b = new WriteBatch();
        for (long[] n : all) {
            delete(b, ownerId, n[0], n[1], n[2]);
            if (b.ops().size() >= MAX_PENDING_OPS) {
                store.commit(b);
                b = new WriteBatch();
            }
        }
        store.commit(b);
        return all.size();
    }

    // ---- encoding ---------------------------------------------------------------------------

    /** Adds the removal of every entry of one notification to {@code b}. */
    private static void delete(WriteBatch b, long owner, long id, long actor, long activityId) {
        b.delete(Table.NOTIFICATIONS, Bytes.key(TIMELINE, owner, id))
                .delete(Table.NOTIFICATIONS, key(BY_ACTOR, owner, actor, id));
        if (activityId != 0) {
            b.delete(Table.NOTIFICATIONS, key(BY_TWEET, activityId, owner, id));
        }
    }

    private static byte[] key(byte kind, long a, long b, long c) {
        byte[] k = new byte[25];
        k[0] = kind;
        Bytes.putLong(k, 1, a);
        Bytes.putLong(k, 9, b);
        Bytes.putLong(k, 17, c);
        return k;
    }

    /** {@code prefix} followed by {@code id}. */
    private static byte[] idKey(byte[] prefix, long id) {
        byte[] k = Arrays.copyOf(prefix, prefix.length + 8);
        Bytes.putLong(k, prefix.length, id);
        return k;
    }

    private static byte[] requestKey(long owner, long requester) {
        return Bytes.key(REQUEST_SEEN, owner, requester);
    }

    /** version, type, actor, status, activity tweet, time. */
    private static byte[] encode(Type type, long actor, long statusId, long activityId, long createdAtMillis) {
        byte[] v = new byte[RECORD_SIZE];
        v[0] = VERSION;
        v[1] = (byte) type.code();
        Bytes.putLong(v, 2, actor);
        Bytes.putLong(v, 10, statusId);
        Bytes.putLong(v, 18, activityId);
        Bytes.putLong(v, 26, createdAtMillis);
        return v;
    }

    private static Notification decode(long id, byte[] v) {
        checkVersion(v);
        return new Notification(id, Type.ofCode(v[1]), Bytes.getLong(v, 2), Bytes.getLong(v, 10), Bytes.getLong(v, 26));
    }

    private static void checkVersion(byte[] v) {
        if (v.length != RECORD_SIZE || v[0] != VERSION) {
            throw new IllegalStateException("notification record: version " + (v.length == 0 ? "none" : v[0])
                    + ", " + v.length + " bytes (expected: version " + VERSION + ", " + RECORD_SIZE + " bytes)");
        }
    }

    private static byte[] actorValue(Type type, long activityId) {
        byte[] v = new byte[9];
        v[0] = (byte) type.code();
        Bytes.putLong(v, 1, activityId);
        return v;
    }
}
