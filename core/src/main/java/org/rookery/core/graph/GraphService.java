package org.rookery.core.graph;

import static java.util.Objects.requireNonNull;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventType;
import org.rookery.core.ids.IdGenerator;
import org.rookery.core.internal.StripedLocks;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.PagedIds;
import org.rookery.core.model.Relationship;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.users.UserService;

/**
 * The social graph (Twitter's Flock): follow, unfollow, block, mute, follow requests for protected
 * accounts; follower lists paged by cursor and read in primitive batches for fanout. Every change is
 * one atomic write with its event. Thread-safe; blocking.
 *
 * <p>Storage: {@link Table#EDGES} holds both directions of each edge under a kind byte
 * ({@code F}: follower → followee, {@code f}: followee → follower, {@code B}/{@code b} blocks,
 * {@code M}/{@code m} mutes, {@code R}/{@code r} follow requests), so "does A follow B"
 * and "who follows B, in id order" are each one lookup or one range scan. {@link Table#EDGE_INDEX}
 * orders the same edges by their edge id (newest first) for the API's pages.
 */
public final class GraphService {
    public static final byte FOLLOWING = 'F';
    public static final byte FOLLOWER = 'f';
    public static final byte BLOCKING = 'B';
    public static final byte BLOCKED_BY = 'b';
    public static final byte MUTING = 'M';
    public static final byte MUTED_BY = 'm';
    public static final byte REQUESTED = 'R';
    public static final byte REQUEST_PENDING = 'r';

    /** Follow-edge flag: the follower sees the followee's reposts. */
    public static final int SHOW_REPOSTS = 1;
    /** Follow-edge flag: the follower is notified of the followee's posts. */
    public static final int NOTIFY = 2;
    private static final int MUTE_NOTIFICATIONS = 1;

    /** Receives one batch of follower ids; {@code ids[0..count)} is valid only during the call. */
    @FunctionalInterface
    public interface BatchConsumer {
        void accept(long[] ids, int count);
    }

    private final KeyValueStore store;
    private final UserService users;
    private final IdGenerator ids;
    private final InstantSource clock;
    private final StripedLocks locks = new StripedLocks(1024);

    public GraphService(KeyValueStore store, UserService users, IdGenerator ids, InstantSource clock) {
        this.store = requireNonNull(store, "store");
        this.users = requireNonNull(users, "users");
        this.ids = requireNonNull(ids, "ids");
        this.clock = requireNonNull(clock, "clock");
    }

    /** Told about two users whose relationship just changed, after the change is durable. */
    @FunctionalInterface
    public interface ChangeListener {
        void changed(long a, long b);
    }

    private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();

    /**
     * Registers a listener called, on the writing thread, after every committed relationship change
     * and before it is acknowledged: for caches of relationships (the home timeline's reader) that
     * must not serve a block or mute a moment after the user was told it took effect.
     */
    public void addChangeListener(ChangeListener listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    private void commit(WriteBatch batch, long a, long b) {
        store.commit(batch);
        for (ChangeListener l : listeners) {
            l.changed(a, b);
        }
    }

    /**
     * The lock key of an unordered pair of users: every check-then-write here concerns the edges
     * between two users, so follows of one popular account by many users do not queue behind
     * each other's disk syncs (counters are merge operations and need no lock).
     */
    private static long pair(long a, long b) {
        long lo = Math.min(a, b);
        long hi = Math.max(a, b);
        return lo * 0x9E3779B97F4A7C15L + hi;
    }

    private static byte[] edge(byte kind, long a, long b) {
        return Bytes.key(kind, a, b);
    }

    private static byte[] edgeValue(long edgeId, int flags) {
        byte[] v = new byte[9];
        Bytes.putLong(v, 0, edgeId);
        v[8] = (byte) flags;
        return v;
    }

    private @Nullable byte[] getEdge(byte kind, long a, long b) {
        return store.get(Table.EDGES, edge(kind, a, b));
    }

    /** Whether the edge exists; by {@link KeyValueStore#containsEach}, so memory can answer it inside a {@code MemoryOnly} scope. */
    private boolean hasEdge(byte kind, long a, long b) {
        return store.containsEach(Table.EDGES, List.of(edge(kind, a, b)))[0];
    }

    public boolean isFollowing(long follower, long followee) {
        return hasEdge(FOLLOWING, follower, followee);
    }

    public boolean isBlocking(long blocker, long blocked) {
        return hasEdge(BLOCKING, blocker, blocked);
    }

    public boolean isMuting(long muter, long muted) {
        return hasEdge(MUTING, muter, muted);
    }

    /** Follows {@code target}, or asks to if it is protected; updates options of an existing follow. */
    public Relationship follow(long actor, long target, boolean showReposts, boolean notify) {
        if (actor == target) {
            throw RookeryException.forbidden("You can't follow yourself");
        }
        Account targetAccount = users.require(target);
        locks.with(pair(actor, target), () -> {
            if (isBlocking(target, actor) || isBlocking(actor, target)) {
                throw RookeryException.forbidden("This action is not allowed");
            }
            int flags = (showReposts ? SHOW_REPOSTS : 0) | (notify ? NOTIFY : 0);
            byte[] existing = getEdge(FOLLOWING, actor, target);
            long now = clock.millis();
            WriteBatch batch = new WriteBatch();
            if (existing != null) {
                long edgeId = Bytes.getLong(existing, 0);
                if (existing[8] == flags) {
                    return null;
                }
                batch.put(Table.EDGES, edge(FOLLOWING, actor, target), edgeValue(edgeId, flags))
                        .put(Table.EDGES, edge(FOLLOWER, target, actor), edgeValue(edgeId, flags))
                        .append(new Event(ids.nextId(), EventType.FOLLOW_UPDATED, actor, target, 0, now));
            } else if (targetAccount.locked()) {
                if (getEdge(REQUESTED, actor, target) != null) {
                    return null;
                }
                long edgeId = ids.nextId();
                batch.put(Table.EDGES, edge(REQUESTED, actor, target), edgeValue(edgeId, flags))
                        .put(Table.EDGES, edge(REQUEST_PENDING, target, actor), edgeValue(edgeId, flags))
                        .put(Table.EDGE_INDEX, edge(REQUEST_PENDING, target, edgeId), Bytes.key(actor))
                        .append(new Event(ids.nextId(), EventType.FOLLOW_REQUESTED, actor, target, 0, now));
            } else {
                addFollow(batch, actor, target, ids.nextId(), flags);
                batch.append(new Event(ids.nextId(), EventType.FOLLOWED, actor, target, 0, now));
            }
            commit(batch, actor, target);
            return null;
        });
        return relationship(actor, target);
    }

    private void addFollow(WriteBatch batch, long follower, long followee, long edgeId, int flags) {
        batch.put(Table.EDGES, edge(FOLLOWING, follower, followee), edgeValue(edgeId, flags))
                .put(Table.EDGES, edge(FOLLOWER, followee, follower), edgeValue(edgeId, flags))
                .put(Table.EDGE_INDEX, edge(FOLLOWING, follower, edgeId), Bytes.key(followee))
                .put(Table.EDGE_INDEX, edge(FOLLOWER, followee, edgeId), Bytes.key(follower))
                .increment(Table.COUNTERS, UserService.counterKey(follower, UserService.FOLLOWING), 1)
                .increment(Table.COUNTERS, UserService.counterKey(followee, UserService.FOLLOWERS), 1);
    }

    /** Removes the follow edge (if any) into {@code batch}; returns whether there was one. */
    private boolean removeFollow(WriteBatch batch, long follower, long followee) {
        byte[] existing = getEdge(FOLLOWING, follower, followee);
        if (existing == null) {
            return false;
        }
        long edgeId = Bytes.getLong(existing, 0);
        batch.delete(Table.EDGES, edge(FOLLOWING, follower, followee))
                .delete(Table.EDGES, edge(FOLLOWER, followee, follower))
                .delete(Table.EDGE_INDEX, edge(FOLLOWING, follower, edgeId))
                .delete(Table.EDGE_INDEX, edge(FOLLOWER, followee, edgeId))
                .increment(Table.COUNTERS, UserService.counterKey(follower, UserService.FOLLOWING), -1)
                .increment(Table.COUNTERS, UserService.counterKey(followee, UserService.FOLLOWERS), -1);
        return true;
    }

    private boolean removeRequest(WriteBatch batch, long requester, long target) {
        byte[] existing = getEdge(REQUESTED, requester, target);
        if (existing == null) {
            return false;
        }
        long edgeId = Bytes.getLong(existing, 0);
        batch.delete(Table.EDGES, edge(REQUESTED, requester, target))
                .delete(Table.EDGES, edge(REQUEST_PENDING, target, requester))
                .delete(Table.EDGE_INDEX, edge(REQUEST_PENDING, target, edgeId));
        return true;
    }

    /** What {@link #followAll} did with one edge. */
    public enum ImportOutcome {
        /** The follow was made. */
        FOLLOWED,
        /** The follower already followed the followee; nothing changed. */
        ALREADY_FOLLOWING,
        /** Follower and followee are the same account. */
        SELF,
        /** The follower or the followee does not exist. */
        UNKNOWN_ACCOUNT,
        /** One of the two blocks the other. */
        BLOCKED
    }

    /** Edges written per store commit by {@link #followAll}. */
    static final int IMPORT_CHUNK = 4096;

    /**
     * Bulk import of follows: edge {@code i} is {@code followers[i]} following {@code followees[i]}.
     * Every edge made goes through the same write as {@link #follow} (both directions, the edge
     * index, the counters and a {@code FOLLOWED} event, so the fanout and notifications consumers
     * see it), but many edges share one commit: each chunk of up to {@value #IMPORT_CHUNK} edges is
     * checked and written under the locks of all its pairs (the same pair locks {@link #follow}
     * takes) as one atomic, durable batch. The edges are split by lock stripe into parts that never
     * share a lock, and the parts run concurrently, so one part's checks overlap another's commit.
     * The events say the follows were imported ({@link EventType#FOLLOW_IMPORTED}): they are
     * relationships that existed before, so nobody gets a notification of them (a migrated graph of
     * millions of edges would otherwise flood every inbox, and the notifications consumer with it).
     * Protected accounts are followed directly, as an operator's import, and a pending request of the
     * same pair is replaced by the follow. Edges are followed with reposts shown and without post
     * notifications, the API's defaults. Edges that cannot be made are reported and skipped; the
     * others still apply. A pair repeated in the input is followed once, at its first occurrence.
     *
     * @return the outcome of each edge, in order
     */
    public ImportOutcome[] followAll(long[] followers, long[] followees) {
        requireNonNull(followers, "followers");
        requireNonNull(followees, "followees");
        if (followers.length != followees.length) {
            throw new IllegalArgumentException("followees: " + followees.length + " edges (expected: "
                    + followers.length + ", as many as followers)");
        }
        ImportOutcome[] out = new ImportOutcome[followers.length];
        int parts = followers.length <= IMPORT_CHUNK ? 1 : IMPORT_PARTS;
        // Each part takes the edges whose pair lock falls in its range of stripes, in input order.
        int[] count = new int[parts];
        int[] partOf = new int[followers.length];
        for (int i = 0; i < followers.length; i++) {
            partOf[i] = (int) ((long) locks.stripeOf(pair(followers[i], followees[i])) * parts / locks.stripes());
            count[partOf[i]]++;
        }
        int[][] edgesOf = new int[parts][];
        for (int p = 0; p < parts; p++) {
            edgesOf[p] = new int[count[p]];
            count[p] = 0;
        }
        for (int i = 0; i < followers.length; i++) {
            edgesOf[partOf[i]][count[partOf[i]]++] = i;
        }
        if (parts == 1) {
            followPart(followers, followees, edgesOf[0], out);
            return out;
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>(parts);
            for (int[] part : edgesOf) {
                running.add(pool.submit(() -> followPart(followers, followees, part, out)));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while importing follows", e);
        }
        return out;
    }

    /** Parts {@link #followAll} splits a large import into, each on its own thread. */
    static final int IMPORT_PARTS = 4;

    private void followPart(long[] followers, long[] followees, int[] edges, ImportOutcome[] out) {
        for (int from = 0; from < edges.length; from += IMPORT_CHUNK) {
            followChunk(followers, followees, edges, from, Math.min(edges.length, from + IMPORT_CHUNK), out);
        }
    }

    private record Pair(long follower, long followee) {}

    /** Imports the edges {@code idx[from, to)} in one commit. */
    private void followChunk(long[] followers, long[] followees, int[] idx, int from, int to, ImportOutcome[] out) {
        int size = to - from;
        long[] pairs = new long[size];
        // Which accounts exist: one multiget of the chunk's distinct ids (accounts are never deleted).
        long[] both = new long[2 * size];
        for (int j = 0; j < size; j++) {
            int i = idx[from + j];
            pairs[j] = pair(followers[i], followees[i]);
            both[2 * j] = followers[i];
            both[2 * j + 1] = followees[i];
        }
        long[] distinct = Arrays.stream(both).sorted().distinct().toArray();
        List<byte[]> accountKeys = new ArrayList<>(distinct.length);
        for (long id : distinct) {
            accountKeys.add(Bytes.key(id));
        }
        List<byte @Nullable []> accounts = store.multiGet(Table.ACCOUNTS, accountKeys);
        locks.with(pairs, () -> {
            List<byte[]> keys = new ArrayList<>(4 * size);
            for (int j = 0; j < size; j++) {
                int i = idx[from + j];
                long a = followers[i];
                long b = followees[i];
                keys.add(edge(FOLLOWING, a, b));
                keys.add(edge(BLOCKING, a, b));
                keys.add(edge(BLOCKING, b, a));
                keys.add(edge(REQUESTED, a, b));
            }
            List<byte @Nullable []> edges = multiGetInKeyOrder(Table.EDGES, keys);
            java.util.Set<Pair> made = new java.util.HashSet<>();
            int m = 0;
            long[] ma = new long[size];
            long[] mb = new long[size];
            long[] medge = new long[size];
            WriteBatch batch = new WriteBatch();
            long now = clock.millis();
            for (int j = 0; j < size; j++) {
                int i = idx[from + j];
                long a = followers[i];
                long b = followees[i];
                int k = 4 * j;
                if (a == b) {
                    out[i] = ImportOutcome.SELF;
                } else if (accounts.get(Arrays.binarySearch(distinct, a)) == null
                        || accounts.get(Arrays.binarySearch(distinct, b)) == null) {
                    out[i] = ImportOutcome.UNKNOWN_ACCOUNT;
                } else if (edges.get(k + 1) != null || edges.get(k + 2) != null) {
                    out[i] = ImportOutcome.BLOCKED;
                } else if (edges.get(k) != null || !made.add(new Pair(a, b))) {
                    out[i] = ImportOutcome.ALREADY_FOLLOWING;
                } else {
                    byte[] request = edges.get(k + 3);
                    if (request != null) {
                        batch.delete(Table.EDGES, edge(REQUESTED, a, b))
                                .delete(Table.EDGES, edge(REQUEST_PENDING, b, a))
                                .delete(Table.EDGE_INDEX, edge(REQUEST_PENDING, b, Bytes.getLong(request, 0)));
                    }
                    ma[m] = a;
                    mb[m] = b;
                    medge[m] = ids.nextId();
                    m++;
                    batch.append(new Event(ids.nextId(), EventType.FOLLOWED, a, b, EventType.FOLLOW_IMPORTED, now));
                    out[i] = ImportOutcome.FOLLOWED;
                }
            }
            if (m > 0) {
                addFollowsSorted(batch, ma, mb, medge, m);
                store.commit(batch);
                for (Pair p : made) {
                    for (ChangeListener l : listeners) {
                        l.changed(p.follower(), p.followee());
                    }
                }
            }
            return null;
        });
    }

    /**
     * {@link KeyValueStore#multiGet} with the lookups made in key order (neighbouring keys share
     * memtable paths and blocks), the values returned in the order of {@code keys}.
     */
    private List<byte @Nullable []> multiGetInKeyOrder(Table table, List<byte[]> keys) {
        Integer[] order = new Integer[keys.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Arrays.compareUnsigned(keys.get(x), keys.get(y)));
        List<byte[]> sorted = new ArrayList<>(order.length);
        for (int i : order) {
            sorted.add(keys.get(i));
        }
        List<byte @Nullable []> found = store.multiGet(table, sorted);
        List<byte @Nullable []> out = new ArrayList<>(java.util.Collections.nCopies(order.length, (byte[]) null));
        for (int j = 0; j < order.length; j++) {
            out.set(order[j], found.get(j));
        }
        return out;
    }

    /**
     * The writes of {@link #addFollow} for {@code n} follows at once, each table's keys in ascending
     * order and each user's counters summed into one increment: random keys inserted in key order
     * share their path through RocksDB's memtable, which makes a large import several times cheaper.
     */
    private static void addFollowsSorted(WriteBatch batch, long[] followers, long[] followees, long[] edgeIds, int n) {
        int flags = SHOW_REPOSTS;
        Integer[] byFollower = new Integer[n];
        Integer[] byFollowee = new Integer[n];
        for (int i = 0; i < n; i++) {
            byFollower[i] = i;
            byFollowee[i] = i;
        }
        // Ids are positive, so signed order is the big-endian keys' byte order.
        Arrays.sort(byFollower, (x, y) -> followers[x] != followers[y] ? Long.compare(followers[x], followers[y])
                : Long.compare(followees[x], followees[y]));
        Arrays.sort(byFollowee, (x, y) -> followees[x] != followees[y] ? Long.compare(followees[x], followees[y])
                : Long.compare(followers[x], followers[y]));
        for (int i : byFollower) {
            batch.put(Table.EDGES, edge(FOLLOWING, followers[i], followees[i]), edgeValue(edgeIds[i], flags));
        }
        for (int i : byFollowee) {
            batch.put(Table.EDGES, edge(FOLLOWER, followees[i], followers[i]), edgeValue(edgeIds[i], flags));
        }
        // The edge index is keyed by (user, edge id).
        Arrays.sort(byFollower, (x, y) -> followers[x] != followers[y] ? Long.compare(followers[x], followers[y])
                : Long.compare(edgeIds[x], edgeIds[y]));
        Arrays.sort(byFollowee, (x, y) -> followees[x] != followees[y] ? Long.compare(followees[x], followees[y])
                : Long.compare(edgeIds[x], edgeIds[y]));
        for (int i : byFollower) {
            batch.put(Table.EDGE_INDEX, edge(FOLLOWING, followers[i], edgeIds[i]), Bytes.key(followees[i]));
        }
        for (int i : byFollowee) {
            batch.put(Table.EDGE_INDEX, edge(FOLLOWER, followees[i], edgeIds[i]), Bytes.key(followers[i]));
        }
        // One counter increment per user and kind, users ascending (their counter keys sort the same way).
        int fi = 0;
        int ei = 0;
        while (fi < n || ei < n) {
            long f = fi < n ? followers[byFollower[fi]] : Long.MAX_VALUE;
            long e = ei < n ? followees[byFollowee[ei]] : Long.MAX_VALUE;
            long user = Math.min(f, e);
            long following = 0;
            while (fi < n && followers[byFollower[fi]] == user) {
                following++;
                fi++;
            }
            long followersOf = 0;
            while (ei < n && followees[byFollowee[ei]] == user) {
                followersOf++;
                ei++;
            }
            if (followersOf > 0) {
                batch.increment(Table.COUNTERS, UserService.counterKey(user, UserService.FOLLOWERS), followersOf);
            }
            if (following > 0) {
                batch.increment(Table.COUNTERS, UserService.counterKey(user, UserService.FOLLOWING), following);
            }
        }
    }

    public Relationship unfollow(long actor, long target) {
        users.require(target);
        locks.with(pair(actor, target), () -> {
            WriteBatch batch = new WriteBatch();
            boolean removed = removeFollow(batch, actor, target);
            removed |= removeRequest(batch, actor, target);
            if (removed) {
                batch.append(new Event(ids.nextId(), EventType.UNFOLLOWED, actor, target, 0, clock.millis()));
                commit(batch, actor, target);
            }
            return null;
        });
        return relationship(actor, target);
    }

    /** Blocks {@code target}: follows and requests both ways are removed in the same write. */
    public Relationship block(long actor, long target) {
        if (actor == target) {
            throw RookeryException.forbidden("You can't block yourself");
        }
        users.require(target);
        locks.with(pair(actor, target), () -> {
            if (isBlocking(actor, target)) {
                return null;
            }
            long edgeId = ids.nextId();
            WriteBatch batch = new WriteBatch();
            removeFollow(batch, actor, target);
            removeFollow(batch, target, actor);
            removeRequest(batch, actor, target);
            removeRequest(batch, target, actor);
            batch.put(Table.EDGES, edge(BLOCKING, actor, target), edgeValue(edgeId, 0))
                    .put(Table.EDGES, edge(BLOCKED_BY, target, actor), edgeValue(edgeId, 0))
                    .put(Table.EDGE_INDEX, edge(BLOCKING, actor, edgeId), Bytes.key(target))
                    .append(new Event(ids.nextId(), EventType.BLOCKED, actor, target, 0, clock.millis()));
            commit(batch, actor, target);
            return null;
        });
        return relationship(actor, target);
    }

    public Relationship unblock(long actor, long target) {
        users.require(target);
        locks.with(pair(actor, target), () -> {
            byte[] existing = getEdge(BLOCKING, actor, target);
            if (existing == null) {
                return null;
            }
            long edgeId = Bytes.getLong(existing, 0);
            commit(new WriteBatch()
                    .delete(Table.EDGES, edge(BLOCKING, actor, target))
                    .delete(Table.EDGES, edge(BLOCKED_BY, target, actor))
                    .delete(Table.EDGE_INDEX, edge(BLOCKING, actor, edgeId))
                    .append(new Event(ids.nextId(), EventType.UNBLOCKED, actor, target, 0, clock.millis())),
                    actor, target);
            return null;
        });
        return relationship(actor, target);
    }

    public Relationship mute(long actor, long target, boolean notifications) {
        if (actor == target) {
            throw RookeryException.forbidden("You can't mute yourself");
        }
        users.require(target);
        locks.with(pair(actor, target), () -> {
            byte[] existing = getEdge(MUTING, actor, target);
            long edgeId = existing == null ? ids.nextId() : Bytes.getLong(existing, 0);
            WriteBatch batch = new WriteBatch()
                    .put(Table.EDGES, edge(MUTING, actor, target), edgeValue(edgeId, notifications ? MUTE_NOTIFICATIONS : 0))
                    .put(Table.EDGES, edge(MUTED_BY, target, actor), edgeValue(edgeId, notifications ? MUTE_NOTIFICATIONS : 0))
                    .put(Table.EDGE_INDEX, edge(MUTING, actor, edgeId), Bytes.key(target));
            if (existing != null && (existing[8] & MUTE_NOTIFICATIONS) == (notifications ? MUTE_NOTIFICATIONS : 0)) {
                return null;
            }
            batch.append(new Event(ids.nextId(), EventType.MUTED, actor, target, 0, clock.millis()));
            commit(batch, actor, target);
            return null;
        });
        return relationship(actor, target);
    }

    public Relationship unmute(long actor, long target) {
        users.require(target);
        locks.with(pair(actor, target), () -> {
            byte[] existing = getEdge(MUTING, actor, target);
            if (existing == null) {
                return null;
            }
            commit(new WriteBatch()
                    .delete(Table.EDGES, edge(MUTING, actor, target))
                    .delete(Table.EDGES, edge(MUTED_BY, target, actor))
                    .delete(Table.EDGE_INDEX, edge(MUTING, actor, Bytes.getLong(existing, 0)))
                    .append(new Event(ids.nextId(), EventType.UNMUTED, actor, target, 0, clock.millis())),
                    actor, target);
            return null;
        });
        return relationship(actor, target);
    }

    /** {@code target} accepts {@code requester}'s follow request: the follow is made. */
    public Relationship authorizeRequest(long target, long requester) {
        locks.with(pair(target, requester), () -> {
            byte[] req = getEdge(REQUESTED, requester, target);
            if (req == null) {
                throw RookeryException.notFound();
            }
            int flags = req[8];
            WriteBatch batch = new WriteBatch();
            removeRequest(batch, requester, target);
            if (getEdge(FOLLOWING, requester, target) == null) {
                addFollow(batch, requester, target, ids.nextId(), flags);
            }
            batch.append(new Event(ids.nextId(), EventType.FOLLOWED, requester, target, 0, clock.millis()));
            commit(batch, requester, target);
            return null;
        });
        return relationship(target, requester);
    }

    public Relationship rejectRequest(long target, long requester) {
        locks.with(pair(target, requester), () -> {
            WriteBatch batch = new WriteBatch();
            if (!removeRequest(batch, requester, target)) {
                throw RookeryException.notFound();
            }
            batch.append(new Event(ids.nextId(), EventType.FOLLOW_REQUEST_REJECTED, target, requester, 0, clock.millis()));
            commit(batch, target, requester);
            return null;
        });
        return relationship(target, requester);
    }

    /** How {@code viewer} and {@code other} relate, from one multiget. */
    public Relationship relationship(long viewer, long other) {
        List<byte[]> keys = List.of(
                edge(FOLLOWING, viewer, other), edge(FOLLOWING, other, viewer),
                edge(BLOCKING, viewer, other), edge(BLOCKING, other, viewer),
                edge(MUTING, viewer, other), edge(REQUESTED, viewer, other), edge(REQUESTED, other, viewer));
        List<byte @Nullable []> v = store.multiGet(Table.EDGES, keys);
        byte[] following = v.get(0);
        byte[] muting = v.get(4);
        byte[] requested = v.get(5);
        int followFlags = following != null ? following[8] : requested != null ? requested[8] : 0;
        boolean pendingOrFollowing = following != null || requested != null;
        return new Relationship(other,
                following != null,
                pendingOrFollowing && (followFlags & SHOW_REPOSTS) != 0,
                pendingOrFollowing && (followFlags & NOTIFY) != 0,
                v.get(1) != null,
                v.get(2) != null,
                v.get(3) != null,
                muting != null,
                muting != null && (muting[8] & MUTE_NOTIFICATIONS) != 0,
                requested != null,
                v.get(6) != null);
    }

    /**
     * Which of {@code others} {@code viewer} follows, as a parallel boolean array (one
     * {@link KeyValueStore#containsEach}, which memory can answer inside a {@code MemoryOnly} scope).
     */
    public boolean[] followsEach(long viewer, long[] others) {
        List<byte[]> keys = new ArrayList<>(others.length);
        for (long o : others) {
            keys.add(edge(FOLLOWING, viewer, o));
        }
        return store.containsEach(Table.EDGES, keys);
    }

    /** Which of {@code others} {@code viewer} blocks or mutes, as a parallel boolean array (as {@link #followsEach}). */
    public boolean[] blockingOrMutingEach(long viewer, long[] others) {
        List<byte[]> keys = new ArrayList<>(others.length * 2);
        for (long o : others) {
            keys.add(edge(BLOCKING, viewer, o));
            keys.add(edge(MUTING, viewer, o));
        }
        boolean[] found = store.containsEach(Table.EDGES, keys);
        boolean[] out = new boolean[others.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = found[2 * i] || found[2 * i + 1];
        }
        return out;
    }

    /** Which of {@code others} block {@code viewer}, as a parallel boolean array (as {@link #followsEach}). */
    public boolean[] blockedByEach(long viewer, long[] others) {
        List<byte[]> keys = new ArrayList<>(others.length);
        for (long o : others) {
            keys.add(edge(BLOCKING, o, viewer));
        }
        return store.containsEach(Table.EDGES, keys);
    }

    public PagedIds followers(long userId, Page page) {
        return pageIndex(FOLLOWER, userId, page);
    }

    public PagedIds following(long userId, Page page) {
        return pageIndex(FOLLOWING, userId, page);
    }

    public PagedIds pendingRequests(long userId, Page page) {
        return pageIndex(REQUEST_PENDING, userId, page);
    }

    public PagedIds blocks(long userId, Page page) {
        return pageIndex(BLOCKING, userId, page);
    }

    public PagedIds mutes(long userId, Page page) {
        return pageIndex(MUTING, userId, page);
    }

    /** One page of an edge index, newest edge first, cursors being edge ids. */
    private PagedIds pageIndex(byte kind, long userId, Page page) {
        byte[] prefix = Bytes.key(kind, userId);
        long[] idsOut = new long[page.limit()];
        long[] cursors = new long[page.limit()];
        int[] n = {0};
        if (page.minId() != 0) {
            store.scan(Table.EDGE_INDEX, prefix, edge(kind, userId, page.minId() + 1), false, (k, v) -> {
                long edgeId = Bytes.getLong(k, 9);
                if (!page.contains(edgeId)) {
                    return page.maxId() == 0 || edgeId < page.maxId();
                }
                idsOut[n[0]] = Bytes.getLong(v, 0);
                cursors[n[0]] = edgeId;
                return ++n[0] < page.limit();
            });
            reverse(idsOut, n[0]);
            reverse(cursors, n[0]);
        } else {
            byte[] from = page.maxId() == 0 ? null : edge(kind, userId, page.maxId() - 1);
            store.scan(Table.EDGE_INDEX, prefix, from, true, (k, v) -> {
                long edgeId = Bytes.getLong(k, 9);
                if (edgeId <= page.sinceId()) {
                    return false;
                }
                idsOut[n[0]] = Bytes.getLong(v, 0);
                cursors[n[0]] = edgeId;
                return ++n[0] < page.limit();
            });
        }
        return new PagedIds(Arrays.copyOf(idsOut, n[0]), Arrays.copyOf(cursors, n[0]));
    }

    private static void reverse(long[] a, int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * Streams every follower of {@code userId} in ascending id order, {@code batchSize} at a time,
     * through one reused {@code long[]}: a follower list of millions is never held as objects.
     * Returns the number of followers visited.
     */
    public long forEachFollowerBatch(long userId, int batchSize, BatchConsumer consumer) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: > 0)");
        }
        long[] buf = new long[batchSize];
        int[] n = {0};
        long[] total = {0};
        store.scan(Table.EDGES, Bytes.key(FOLLOWER, userId), null, false, (k, v) -> {
            buf[n[0]++] = Bytes.getLong(k, 9);
            if (n[0] == batchSize) {
                consumer.accept(buf, batchSize);
                total[0] += batchSize;
                n[0] = 0;
            }
            return true;
        });
        if (n[0] > 0) {
            consumer.accept(buf, n[0]);
            total[0] += n[0];
        }
        return total[0];
    }

    /** Receives one batch of follower ids with their follow-edge flags, valid only during the call. */
    @FunctionalInterface
    public interface FlaggedBatchConsumer {
        void accept(long[] ids, byte[] flags, int count);
    }

    /**
     * Streams every follower of {@code userId} in ascending id order with its follow flags
     * ({@link #SHOW_REPOSTS}, {@link #NOTIFY}), {@code batchSize} at a time through reused arrays.
     */
    public long forEachFollowerBatch(long userId, int batchSize, FlaggedBatchConsumer consumer) {
        return forEachEdgeBatch(FOLLOWER, userId, batchSize, consumer);
    }

    /** Streams every account {@code userId} follows, ascending, with the follow flags. */
    public long forEachFolloweeBatch(long userId, int batchSize, FlaggedBatchConsumer consumer) {
        return forEachEdgeBatch(FOLLOWING, userId, batchSize, consumer);
    }

    private long forEachEdgeBatch(byte kind, long userId, int batchSize, FlaggedBatchConsumer consumer) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: > 0)");
        }
        long[] buf = new long[batchSize];
        byte[] flags = new byte[batchSize];
        int[] n = {0};
        long[] total = {0};
        store.scan(Table.EDGES, Bytes.key(kind, userId), null, false, (k, v) -> {
            buf[n[0]] = Bytes.getLong(k, 9);
            flags[n[0]++] = v.length > 8 ? v[8] : 0;
            if (n[0] == batchSize) {
                consumer.accept(buf, flags, batchSize);
                total[0] += batchSize;
                n[0] = 0;
            }
            return true;
        });
        if (n[0] > 0) {
            consumer.accept(buf, flags, n[0]);
            total[0] += n[0];
        }
        return total[0];
    }

    /** Sorted ids of the users who mute or block {@code userId} (usually few): one scan each. */
    public long[] mutersAndBlockersOf(long userId) {
        long[] a = edgeSet(MUTED_BY, userId);
        long[] b = edgeSet(BLOCKED_BY, userId);
        long[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        Arrays.sort(all);
        return all;
    }

    /** Sorted ids of the users {@code userId} blocks. */
    public long[] blockedBy(long userId) {
        return edgeSet(BLOCKING, userId);
    }

    /** Sorted ids of the users {@code userId} mutes or blocks. */
    public long[] mutedOrBlockedBy(long userId) {
        long[] a = edgeSet(MUTING, userId);
        long[] b = edgeSet(BLOCKING, userId);
        long[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        Arrays.sort(all);
        return all;
    }

    /** Sorted ids of the users who block {@code userId}. */
    public long[] blockersOf(long userId) {
        return edgeSet(BLOCKED_BY, userId);
    }

    /** Sorted ids of {@code userId}'s followers (for intersecting with another list). */
    public long[] followerIds(long userId) {
        return edgeSet(FOLLOWER, userId);
    }

    private long[] edgeSet(byte kind, long userId) {
        long[][] buf = {new long[16]};
        int[] n = {0};
        store.scan(Table.EDGES, Bytes.key(kind, userId), null, false, (k, v) -> {
            if (n[0] == buf[0].length) {
                buf[0] = Arrays.copyOf(buf[0], n[0] * 2);
            }
            buf[0][n[0]++] = Bytes.getLong(k, 9);
            return true;
        });
        return Arrays.copyOf(buf[0], n[0]); // keys are in id order: already sorted
    }
}
