package org.rookery.core.timeline;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.rookery.core.config.Settings;
import org.rookery.core.graph.GraphService;
import org.rookery.core.internal.LongKeys;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.users.UserService;

/**
 * Home timeline reads (Twitter's Timeline Service): ids from the in-memory {@link TimelineStore},
 * merged at read time with the recent tweets of followed pull-mode authors (a k-way merge over
 * primitive arrays), filtered ({@link TimelineRules}: deleted, blocked, muted, repeated reposts,
 * visibility) and paged by cursor. A user who is not resident — never read, evicted as inactive or
 * over the memory budget, or after a restart — is <em>reconstructed</em>: the recent tweets of
 * everyone they follow are merged, the rules applied, and the result stored. Only one rebuild runs
 * per user at a time; concurrent reads wait for that one rebuild.
 *
 * <p>Thread-safe; blocking (reads RocksDB).
 */
public final class HomeTimelineService {
    private static final System.Logger LOG = System.getLogger(HomeTimelineService.class.getName());

    private final KeyValueStore store;
    private final TimelineStore timelines;
    private final TweetIndex index;
    private final FanoutPolicy policy;
    private final PullLists pullLists;
    private final UserService users;
    /**
     * Readers (followees, mutes, blocks) by user: a read would otherwise scan four relationship lists.
     * Invalidated by {@link GraphService}'s change listener after every relationship commit and
     * before it is acknowledged; a load racing the change is removed when the invalidation waits for
     * it (Caffeine loads under the key's lock). Weighed in ids held; keyed by {@link LongKeys#spread}(user id).
     */
    private final Cache<Long, TimelineRules.Reader> readers;
    private final Function<Long, TimelineRules.Reader> readerLoader = key -> loadReader(LongKeys.id(key));
    private final TweetService tweets;
    private final GraphService graph;
    private final RateTracker rates;
    private final InstantSource clock;
    private final Map<Long, CompletableFuture<Void>> rebuilding = new ConcurrentHashMap<>();
    /** Set by {@link #stopRebuilds}: no rebuild starts any more. */
    private volatile boolean rebuildsStopped;
    /** When each user's activity was last noted (to be written, or written): at most once an hour. */
    private final Map<Long, Long> activityNoted = new ConcurrentHashMap<>();
    private final Object activityLock = new Object();
    /** Held by {@link #flushActivity} while it writes. */
    private final Object flushLock = new Object();
    /** Activity noted and not yet written: user ids and times in turn, guarded by {@code activityLock}. */
    private long[] pendingActivity = new long[64];
    private int pendingActivityCount;
    /** Set by whoever starts the cold start, then counted down by the thread that runs it. */
    private volatile int warmPending;
    private final AtomicLong reconstructions = new AtomicLong();
    private final AtomicLong reconstructionNanos = new AtomicLong();

    /** Default weight of the reader cache: ids held over all cached readers (8 bytes each), the setting's. */
    public static final long DEFAULT_READER_CACHE_IDS = Settings.READER_CACHE_IDS.defaultValue();

    public HomeTimelineService(KeyValueStore store, TimelineStore timelines, TweetIndex index, FanoutPolicy policy,
                               PullLists pullLists, TweetService tweets, GraphService graph, UserService users,
                               RateTracker rates, InstantSource clock) {
        this(store, timelines, index, policy, pullLists, tweets, graph, users, rates, clock, DEFAULT_READER_CACHE_IDS);
    }

    /** @param readerCacheIds how many relationship ids the reader cache may hold (0: no cache) */
    public HomeTimelineService(KeyValueStore store, TimelineStore timelines, TweetIndex index, FanoutPolicy policy,
                               PullLists pullLists, TweetService tweets, GraphService graph, UserService users,
                               RateTracker rates, InstantSource clock, long readerCacheIds) {
        this.store = requireNonNull(store, "store");
        this.timelines = requireNonNull(timelines, "timelines");
        this.index = requireNonNull(index, "index");
        this.policy = requireNonNull(policy, "policy");
        this.pullLists = requireNonNull(pullLists, "pullLists");
        this.users = requireNonNull(users, "users");
        this.readers = Caffeine.newBuilder().maximumWeight(readerCacheIds)
                .weigher((Long id, TimelineRules.Reader r) -> (int) Math.min(Integer.MAX_VALUE, 4L + r.follows().length
                        + r.hidesRepostsOf().length + r.blocksOrMutes().length + r.blockedBy().length))
                .build();
        graph.addChangeListener((a, b) -> {
            readers.invalidate(LongKeys.spread(a));
            readers.invalidate(LongKeys.spread(b));
        });
        this.tweets = requireNonNull(tweets, "tweets");
        this.graph = requireNonNull(graph, "graph");
        this.rates = requireNonNull(rates, "rates");
        this.clock = requireNonNull(clock, "clock");
    }

    /** The reader's relationships, for the rules; from the cache when it has them. */
    public TimelineRules.Reader reader(long userId) {
        return MemoryOnly.get(readers, LongKeys.spread(userId), readerLoader);
    }

    private TimelineRules.Reader loadReader(long userId) {
        long[][] follows = {new long[64]};
        long[][] hides = {new long[8]};
        int[] nf = {0};
        int[] nh = {0};
        graph.forEachFolloweeBatch(userId, 256, (ids, flags, count) -> {
            for (int i = 0; i < count; i++) {
                if (nf[0] == follows[0].length) {
                    follows[0] = Arrays.copyOf(follows[0], nf[0] * 2);
                }
                follows[0][nf[0]++] = ids[i];
                if ((flags[i] & GraphService.SHOW_REPOSTS) == 0) {
                    if (nh[0] == hides[0].length) {
                        hides[0] = Arrays.copyOf(hides[0], nh[0] * 2);
                    }
                    hides[0][nh[0]++] = ids[i];
                }
            }
        });
        return new TimelineRules.Reader(userId, Arrays.copyOf(follows[0], nf[0]), Arrays.copyOf(hides[0], nh[0]),
                graph.mutedOrBlockedBy(userId), graph.blockersOf(userId));
    }

    private static final byte[] ACTIVE_PREFIX = Bytes.utf8("active:");
    private static final long ACTIVITY_GRANULARITY_MS = 3_600_000L;

    private static byte[] activeKey(long userId) {
        byte[] k = Arrays.copyOf(ACTIVE_PREFIX, ACTIVE_PREFIX.length + 8);
        Bytes.putLong(k, ACTIVE_PREFIX.length, userId);
        return k;
    }

    /**
     * Notes that {@code userId} is active (a home read, a sign-in), at most once an hour per user, so
     * that after a restart the recently active users can be rebuilt first. Costs a map lookup: the
     * record is written by the next {@link #flushActivity}, which {@code Timelines} runs every second
     * and on close, so a read never waits for a commit. A crash loses at most the last second's
     * records: they only order the cold-start rebuild, and a user whose record is lost is rebuilt
     * by their next read instead.
     */
    public void recordActivity(long userId, long nowMillis) {
        Long last = activityNoted.get(userId);
        if (last != null && nowMillis - last < ACTIVITY_GRANULARITY_MS) {
            return;
        }
        activityNoted.put(userId, nowMillis);
        synchronized (activityLock) {
            if (pendingActivityCount + 2 > pendingActivity.length) {
                pendingActivity = Arrays.copyOf(pendingActivity, pendingActivity.length * 2);
            }
            pendingActivity[pendingActivityCount++] = userId;
            pendingActivity[pendingActivityCount++] = nowMillis;
        }
    }

    /** Most activity records in one commit. */
    private static final int ACTIVITY_BATCH = 4096;

    /**
     * Writes the activity noted since the last flush, in commits of up to {@value #ACTIVITY_BATCH}
     * records; returns how many were written. If a commit fails, its users are noted as not yet
     * recorded (their next activity tries again) and the failure is thrown. Flushes run one at a
     * time, so when one returns, everything noted before it was called is written.
     */
    public int flushActivity() {
        synchronized (flushLock) {
            return flushPendingActivity();
        }
    }

    private int flushPendingActivity() {
        long[] pending;
        int n;
        synchronized (activityLock) {
            pending = pendingActivity;
            n = pendingActivityCount;
            if (n == 0) {
                return 0;
            }
            pendingActivity = new long[64];
            pendingActivityCount = 0;
        }
        for (int from = 0; from < n; from += 2 * ACTIVITY_BATCH) {
            int to = Math.min(n, from + 2 * ACTIVITY_BATCH);
            WriteBatch batch = new WriteBatch();
            for (int i = from; i < to; i += 2) {
                batch.put(Table.META, activeKey(pending[i]), Bytes.key(pending[i + 1]));
            }
            try {
                store.commit(batch);
            } catch (RuntimeException e) {
                for (int i = from; i < n; i += 2) {
                    activityNoted.remove(pending[i], pending[i + 1]);
                }
                throw e;
            }
        }
        return n / 2;
    }

    /** Users whose activity is noted in memory (those of the last hour, after the hourly sweep). */
    public int activityNotes() {
        return activityNoted.size();
    }

    /**
     * Forgets the activity noted more than an hour before {@code nowMillis}: such a user's next read
     * notes it again, as it would with the note kept, so the notes take memory for the users of the
     * last hour only, not for everyone who read since the start. Returns how many were forgotten.
     */
    public int forgetOldActivity(long nowMillis) {
        int forgotten = 0;
        for (Map.Entry<Long, Long> e : activityNoted.entrySet()) {
            if (nowMillis - e.getValue() >= ACTIVITY_GRANULARITY_MS && activityNoted.remove(e.getKey(), e.getValue())) {
                forgotten++;
            }
        }
        return forgotten;
    }

    /**
     * Users active since {@code sinceMillis}, most recently active first (from the durable record).
     * Users recorded within the hour are noted as such, so their next read does not record them again.
     */
    public long[] activeSince(long sinceMillis) {
        List<long[]> found = new ArrayList<>();
        store.scan(Table.META, ACTIVE_PREFIX, null, false, (k, v) -> {
            long at = Bytes.getLong(v, 0);
            if (at >= sinceMillis) {
                found.add(new long[] {Bytes.getLong(k, ACTIVE_PREFIX.length), at});
            }
            return true;
        });
        long now = clock.millis();
        for (long[] f : found) {
            if (now - f[1] < ACTIVITY_GRANULARITY_MS) {
                activityNoted.putIfAbsent(f[0], f[1]);
            }
        }
        found.sort((a, b) -> Long.compare(b[1], a[1]));
        return found.stream().mapToLong(a -> a[0]).toArray();
    }

    /**
     * Cold start: rebuilds the timelines of the users active since {@code sinceMillis}, most recent
     * first, while the memory budget has room (for those already in memory, loads their
     * relationships into the reader cache instead), until {@code stop} says so. Reads meanwhile
     * reconstruct on demand, sharing any rebuild already running for the same user. Returns how
     * many were rebuilt.
     */
    public int warm(long sinceMillis, BooleanSupplier stop) {
        long[] users = activeSince(sinceMillis);
        warmPending = users.length;
        return warm(users, stop, user -> {}, 0);
    }

    /**
     * Starts the cold start on {@code executor}: reads who was active since {@code sinceMillis} now
     * (so {@link #warmPending} counts them from this call on) and rebuilds them there. The first
     * {@code firstPages} of them in memory, the most recently active, are also handed to
     * {@code firstPage} (which reads and renders their first page, say: {@link #peek}), so the
     * caches their first reads need are filled and the read path is compiled before the first
     * users arrive.
     */
    public void warmInBackground(long sinceMillis, Executor executor, BooleanSupplier stop, LongConsumer firstPage,
                                 int firstPages) {
        long[] users = activeSince(sinceMillis);
        warmPending = users.length;
        executor.execute(() -> warm(users, stop, firstPage, firstPages));
    }

    private int warm(long[] users, BooleanSupplier stop, LongConsumer firstPage, int firstPages) {
        long started = System.nanoTime();
        int n = 0;
        int pages = 0;
        try {
            for (long user : users) {
                if (stop.getAsBoolean()) {
                    break;
                }
                if (timelines.slotOf(user) < 0) {
                    if (timelines.residentUsers() < timelines.maxResidentUsers()) { // else it would evict someone
                        reconstruct(user);
                        n++;
                    }
                } else {
                    // In memory already (a snapshot brought it back): load what a rebuild would have cached,
                    // the reader's relationships, so their first read is answered from memory too.
                    reader(user);
                }
                if (pages < firstPages && timelines.slotOf(user) >= 0) {
                    pages++;
                    try {
                        firstPage.accept(user);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "warming the first page of user " + user + " failed", e);
                    }
                }
                warmPending--;
            }
        } finally {
            warmPending = 0;
        }
        if (users.length > 0) {
            LOG.log(System.Logger.Level.INFO, "Cold start: {0} recently active users gone through, {1} rebuilt, {2} first pages rendered, in {3} ms",
                    users.length, n, pages, (System.nanoTime() - started) / 1_000_000);
        }
        return n;
    }

    /** Users the cold-start rebuild has still to go through; 0 once it is done (or was never started). */
    public int warmPending() {
        return warmPending;
    }

    /** One page of {@code viewerId}'s home timeline, newest first. */
    public List<Tweet> home(long viewerId, Page page) {
        long now = clock.millis();
        rates.recordRead(now);
        recordActivity(viewerId, now);
        int slot = ensureResident(viewerId);
        List<Tweet> out = page(viewerId, slot, page);
        if (slot >= 0) {
            timelines.touch(slot, now);
        }
        return out;
    }

    /**
     * The page {@link #home} would answer a user whose timeline is in memory, without it counting as
     * their read: no activity noted, no read rate, their place in the eviction order unchanged. Empty
     * for a user not in memory (nothing is rebuilt). For warming caches.
     */
    public List<Tweet> peek(long viewerId, Page page) {
        int slot = timelines.slotOf(viewerId);
        return slot < 0 ? List.of() : page(viewerId, slot, page);
    }

    private List<Tweet> page(long viewerId, int slot, Page page) {
        TimelineRules.Reader reader = reader(viewerId);
        // Whether a repost is hidden as a repeat depends on the REPOST_WINDOW kept entries below it, also
        // those below since_id or min_id and below the last candidate read: so kept entries are collected
        // from max_id down, past the lower bound, until every entry the page can show is decided, and
        // only then cut to the page. Otherwise a refresh with since_id, a min_id page or the bottom of a
        // page would show what a full read hides, and a min_id page cut before filtering would come back
        // short or empty though newer entries exist.
        boolean newer = page.minId() != 0; // the entries just above min_id, not the newest
        long lower = Math.max(page.minId(), page.sinceId());
        // Twice the page plus the repost window: about what it takes to decide a page in one round
        // when about one entry in six is a repost (a second round costs another merge and lookups).
        int want = (newer ? timelines.capacity() : 2 * page.limit()) + TimelineRules.REPOST_WINDOW;
        List<Tweet> kept = new ArrayList<>();
        Map<Long, Tweet> originals = new HashMap<>(); // of the reposts keep() saw, as it found them
        List<Tweet> out = List.of();
        long maxId = page.maxId();
        for (int round = 0; round < 8; round++) {
            long[] ids = candidateIds(viewerId, reader, slot, maxId, 0, want);
            if (round == 0 && (ids.length == 0 || ids[0] <= lower)) {
                break; // nothing above the lower bound: a poll with nothing new stays cheap
            }
            boolean exhausted = ids.length < want;
            // Hydrate the newest candidates first: unless a repost among them waits for its repeat
            // window, a page is decided by about `limit` of them, and each candidate kept is a tweet
            // lookup (a read would otherwise hydrate four times what it shows).
            int first = newer ? ids.length : Math.min(ids.length, page.limit() + page.limit() / 2);
            int limit = newer ? Integer.MAX_VALUE : page.limit();
            keep(reader, ids, 0, first, kept, originals);
            Selection s = select(reader, kept, originals, lower, exhausted && first == ids.length, limit);
            if (!s.complete() && first < ids.length) {
                keep(reader, ids, first, ids.length, kept, originals);
                s = select(reader, kept, originals, lower, exhausted, limit);
            }
            out = s.page();
            if (s.complete() || exhausted) {
                break;
            }
            maxId = ids[ids.length - 1];
        }
        if (newer && out.size() > page.limit()) {
            out = out.subList(out.size() - page.limit(), out.size()); // the page just newer than min_id
        }
        return out;
    }

    /** Stored ids merged with the pull-mode authors' tweets, newest first, deduplicated. */
    private long[] candidateIds(long viewerId, TimelineRules.Reader reader, int slot, long maxId, long minId, int want) {
        long[] stored;
        if (slot >= 0) {
            stored = new long[want];
            int n = timelines.readAt(slot, maxId, minId, stored, want);
            stored = Arrays.copyOf(stored, Math.max(0, n));
        } else {
            // The store cannot hold this user (more users than it can index): merge on every read.
            stored = Arrays.stream(rebuild(viewerId, reader, timelines.capacity()))
                    .filter(id -> (maxId == 0 || id < maxId) && id > minId).limit(want).toArray();
        }
        long[] pulled = policy.pullAuthors();
        if (pulled.length == 0) {
            return stored;
        }
        List<long[]> lists = new ArrayList<>();
        lists.add(stored);
        // The followed pull-mode authors: walk the smaller of the two sorted sets, search the larger.
        long[] follows = reader.follows();
        boolean walkPulled = pulled.length <= follows.length;
        for (long author : walkPulled ? pulled : follows) {
            if (walkPulled ? Arrays.binarySearch(follows, author) >= 0 : Arrays.binarySearch(pulled, author) >= 0) {
                lists.add(pullLists.newest(author, maxId, minId, want));
            }
        }
        if (Arrays.binarySearch(pulled, viewerId) >= 0) {
            lists.add(pullLists.newest(viewerId, maxId, minId, want));
        }
        return lists.size() == 1 ? stored : KWayMerge.mergeDescending(lists, want);
    }

    /**
     * Appends the tweets of {@code candidates[from, to)} (newest first) that exist and belong in the
     * reader's timeline; the originals of the reposts among them that still exist go to {@code originals}.
     */
    private void keep(TimelineRules.Reader reader, long[] candidates, int from, int to, List<Tweet> kept,
                      Map<Long, Tweet> originals) {
        if (from >= to) {
            return;
        }
        long[] ids = from == 0 && to == candidates.length ? candidates : Arrays.copyOfRange(candidates, from, to);
        @Nullable Tweet[] found = tweets.getEach(ids);
        long[] originalIds = new long[ids.length];
        int o = 0;
        for (Tweet t : found) {
            if (t != null && t.isRepost()) {
                originalIds[o++] = t.repostOfId();
            }
        }
        if (o > 0) {
            originals.putAll(tweets.getAll(Arrays.copyOf(originalIds, o)));
        }
        for (Tweet t : found) {
            if (t == null) {
                continue; // deleted
            }
            if (TimelineRules.belongs(reader, t, t.isRepost() ? originals.get(t.repostOfId()) : null)) {
                kept.add(t);
            }
        }
    }

    /** The visible entries above the lower bound, at most {@code limit}; complete when nothing left could change it. */
    private record Selection(List<Tweet> page, boolean complete) {}

    /**
     * Of the kept entries (newest first), those above {@code lower} that are not repeated reposts and
     * that the viewer may see. Stops at the first repost whose repeat window is not all read yet (more
     * kept entries may follow, unless the candidates are {@code exhausted}); other entries are never
     * hidden as repeats, so they are decided as soon as they are kept.
     */
    private Selection select(TimelineRules.Reader reader, List<Tweet> kept, Map<Long, Tweet> originals, long lower,
                             boolean exhausted, int limit) {
        int n = kept.size();
        long[] ids = new long[n];
        long[] content = new long[n];
        for (int i = 0; i < n; i++) {
            Tweet t = kept.get(i);
            ids[i] = t.id();
            content[i] = t.isRepost() ? t.repostOfId() : t.id();
        }
        boolean[] repeat = TimelineRules.hiddenAsRepeat(ids, content, n);
        List<Tweet> shown = new ArrayList<>();
        int i = 0;
        for (; i < n && ids[i] > lower; i++) {
            if (!exhausted && content[i] != ids[i] && i + TimelineRules.REPOST_WINDOW >= n) {
                break; // a repost whose window reaches past what was read: undecided
            }
            if (!repeat[i]) {
                shown.add(kept.get(i));
            }
        }
        boolean decidedAboveLower = i < n && ids[i] <= lower;
        List<Tweet> visible = visible(reader, shown, originals);
        if (visible.size() >= limit) {
            return new Selection(visible.subList(0, limit), true);
        }
        return new Selection(visible, decidedAboveLower || (exhausted && i == n));
    }

    /**
     * The kept entries the viewer may see ({@link TweetService#canSee}), decided from the reader
     * where it can be: a kept tweet is the viewer's own or by an account they follow that does not
     * block them ({@link TimelineRules#belongs}), so it is visible; only a repost's original by an
     * account the viewer does not follow needs that account (locked or not) looked up. A repost's
     * original is the one {@link #keep} found for it (absent: deleted).
     */
    private List<Tweet> visible(TimelineRules.Reader reader, List<Tweet> shown, Map<Long, Tweet> originals) {
        long viewer = reader.id();
        long[] unknown = null;
        int u = 0;
        boolean reposts = false;
        for (Tweet t : shown) {
            if (t.isRepost()) {
                reposts = true;
                Tweet o = originals.get(t.repostOfId());
                if (o != null && o.authorId() != viewer && !reader.follows(o.authorId())) {
                    if (unknown == null) {
                        unknown = new long[shown.size()];
                    }
                    unknown[u++] = o.authorId();
                }
            }
        }
        if (!reposts) {
            return shown;
        }
        Map<Long, Account> accounts = u == 0 ? Map.of() : users.getAll(Arrays.stream(unknown, 0, u).distinct().toArray());
        List<Tweet> out = new ArrayList<>(shown.size());
        for (Tweet t : shown) {
            if (t.isRepost()) {
                Tweet o = originals.get(t.repostOfId());
                if (o == null) {
                    continue;
                }
                long oa = o.authorId();
                if (oa != viewer) {
                    boolean follows = reader.follows(oa);
                    Account a = follows ? null : accounts.get(oa);
                    if (!follows && a == null) {
                        continue;
                    }
                    if (!TweetService.canSee(o, !follows && a.locked(), follows, reader.isBlockedBy(oa),
                            o.mentionIds().contains(viewer))) {
                        continue;
                    }
                }
            }
            out.add(t);
        }
        return out;
    }

    /** The user's slot, reconstructing the timeline first if it is not in memory; -1 if it cannot be. */
    public int ensureResident(long userId) {
        int slot = timelines.slotOf(userId);
        if (slot >= 0) {
            return slot;
        }
        reconstruct(userId);
        return timelines.slotOf(userId);
    }

    /**
     * For a snapshot of the timelines at a clean stop: no rebuild starts after this call (one that
     * would throws {@link IllegalStateException}), and it returns once the rebuilds under way have
     * finished, true, or when {@code timeout} has passed first, false. A rebuild makes its user
     * resident before it fills the timeline, so a snapshot taken during one would keep a timeline
     * that is partly filled.
     */
    public boolean stopRebuilds(Duration timeout) {
        rebuildsStopped = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (CompletableFuture<Void> running : rebuilding.values()) {
            try {
                running.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                // failed: it is over all the same
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Rebuilds {@code userId}'s home timeline from the graph and the followed users' timelines.
     * Concurrent callers for the same user share one rebuild.
     */
    public void reconstruct(long userId) {
        MemoryOnly.refuseIfActive(); // a rebuild reads the store, and a caller may wait for another's
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = rebuilding.putIfAbsent(userId, mine);
        if (running != null) {
            running.join();
            return;
        }
        if (rebuildsStopped) { // read after registering: stopRebuilds either sees this rebuild or it sees the flag
            rebuilding.remove(userId, mine);
            IllegalStateException e = new IllegalStateException("the server is stopping: timelines are not rebuilt");
            mine.completeExceptionally(e);
            throw e;
        }
        long start = System.nanoTime();
        try {
            // Resident first, so tweets fanned out while we merge land too; duplicates are ignored.
            int slot = timelines.makeResident(userId, clock.millis());
            if (slot >= 0) {
                long[] ids = rebuild(userId, reader(userId), timelines.capacity());
                for (int i = ids.length - 1; i >= 0; i--) {
                    timelines.insertAt(slot, ids[i]); // oldest first: every insert is the fast path
                }
            }
            mine.complete(null);
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            rebuilding.remove(userId, mine);
            reconstructions.incrementAndGet();
            reconstructionNanos.addAndGet(System.nanoTime() - start);
        }
    }

    /**
     * The newest {@code capacity} ids that belong in the reader's timeline, newest first, merged
     * from the user timelines of the reader and everyone they follow. Reads a first slice of each
     * followed timeline, then reads deeper only where a timeline could still reach into the result.
     * The rules are applied to each user-timeline row as it is read ({@link TimelineRules#belongsByRow});
     * only the tweets a row cannot decide are fetched.
     */
    public long[] rebuild(long userId, TimelineRules.Reader reader, int capacity) {
        long[] sources = Arrays.copyOf(reader.follows(), reader.follows().length + 1);
        sources[sources.length - 1] = userId;
        int k = sources.length;
        int slice = Math.max(20, Math.min(capacity, 2 * capacity / Math.max(1, k)));
        Candidates c = new Candidates(reader, sources);
        c.readNewest(slice);
        long[] merged = accepted(c, capacity);
        for (int round = 0; round < 4; round++) {
            long cutoff = merged.length >= capacity ? merged[capacity - 1] : 0;
            boolean deeper = false;
            for (int i = 0; i < k; i++) {
                if (c.more[i] && c.oldest[i] > cutoff) {
                    c.readBelow(i, Math.min(capacity, c.read[i] * 2));
                    deeper = true;
                }
            }
            if (!deeper) {
                break;
            }
            merged = accepted(c, capacity);
        }
        return merged;
    }

    /**
     * The rows read so far from each source's user timeline: the ids their rows do not reject, newest
     * first, and the ids whose rows cannot decide. One per rebuild; not thread-safe.
     */
    private final class Candidates {
        final TimelineRules.Reader reader;
        final long[] sources;
        final long[][] ids;
        final int[] kept;
        /** Rows read per source, accepted or not, and the oldest id among them (0: none yet). */
        final int[] read;
        final long[] oldest;
        /** Whether a source may have rows below {@link #oldest}. */
        final boolean[] more;
        /** Ids whose rows cannot decide, sorted up to {@link #sortedUndecided}. */
        long[] undecided = new long[16];
        int undecidedCount;
        int sortedUndecided;

        Candidates(TimelineRules.Reader reader, long[] sources) {
            this.reader = reader;
            this.sources = sources;
            int k = sources.length;
            ids = new long[k][];
            kept = new int[k];
            read = new int[k];
            oldest = new long[k];
            more = new boolean[k];
        }

        /** The newest {@code limit} rows of every source, in one pass over the store. */
        void readNewest(int limit) {
            byte[][] prefixes = new byte[sources.length][];
            for (int i = 0; i < sources.length; i++) {
                prefixes[i] = Bytes.key(sources[i]);
                ids[i] = new long[limit];
            }
            store.scanNewest(Table.USER_TIMELINES, prefixes, new byte[sources.length][], limit, this::add);
            for (int i = 0; i < sources.length; i++) {
                more[i] = read[i] == limit;
            }
        }

        /** Up to {@code limit} more rows of source {@code i}, below the oldest read. */
        void readBelow(int i, int limit) {
            long source = sources[i];
            int before = read[i];
            if (ids[i].length < kept[i] + limit) {
                ids[i] = Arrays.copyOf(ids[i], kept[i] + limit);
            }
            store.scan(Table.USER_TIMELINES, Bytes.key(source), Bytes.key(source, oldest[i] - 1), true, (key, v) -> {
                add(i, key, v);
                return read[i] - before < limit;
            });
            more[i] = read[i] - before == limit;
        }

        private void add(int i, byte[] key, byte[] row) {
            long id = Bytes.getLong(key, 8);
            read[i]++;
            oldest[i] = id;
            int verdict = TimelineRules.belongsByRow(reader, sources[i], row);
            if (verdict == TimelineRules.REJECT) {
                return;
            }
            if (verdict == TimelineRules.UNDECIDED) {
                if (undecidedCount == undecided.length) {
                    undecided = Arrays.copyOf(undecided, undecidedCount * 2);
                }
                undecided[undecidedCount++] = id;
            }
            ids[i][kept[i]++] = id;
        }

        boolean isUndecided(long id) {
            if (sortedUndecided != undecidedCount) {
                Arrays.sort(undecided, 0, undecidedCount);
                sortedUndecided = undecidedCount;
            }
            return Arrays.binarySearch(undecided, 0, undecidedCount, id) >= 0;
        }

        List<long[]> lists() {
            List<long[]> out = new ArrayList<>(sources.length);
            for (int i = 0; i < sources.length; i++) {
                out.add(kept[i] == ids[i].length ? ids[i] : Arrays.copyOf(ids[i], kept[i]));
            }
            return out;
        }
    }

    /**
     * Merges the candidates and keeps what the rules accept, newest first, at most {@code capacity}.
     * Rows decided most of them as they were read; the undecided ones are hydrated in order, a chunk
     * at a time (what is still missing plus a quarter), until {@code capacity} are accepted.
     */
    private long[] accepted(Candidates c, int capacity) {
        int total = 0;
        for (int n : c.kept) {
            total += n;
        }
        long[] all = KWayMerge.mergeDescending(c.lists(), total);
        long[] out = new long[Math.min(capacity, all.length)];
        int n = 0;
        int next = 0;
        while (n < out.length && next < all.length) {
            int missing = out.length - n;
            int end = (int) Math.min(all.length, next + (long) missing + Math.max(16, missing / 4));
            Map<Long, Tweet> found = Map.of();
            Map<Long, Tweet> originals = Map.of();
            if (c.undecidedCount > 0) {
                long[] fetch = new long[end - next];
                int f = 0;
                for (int j = next; j < end; j++) {
                    if (c.isUndecided(all[j])) {
                        fetch[f++] = all[j];
                    }
                }
                if (f > 0) {
                    found = tweets.getAll(Arrays.copyOf(fetch, f));
                    long[] originalIds = found.values().stream().filter(Tweet::isRepost).mapToLong(Tweet::repostOfId)
                            .distinct().toArray();
                    originals = originalIds.length == 0 ? Map.of() : tweets.getAll(originalIds);
                }
            }
            for (int j = next; j < end && n < out.length; j++) {
                long id = all[j];
                if (c.undecidedCount > 0 && c.isUndecided(id)) {
                    Tweet t = found.get(id);
                    if (t == null) {
                        continue;
                    }
                    Tweet o = t.isRepost() ? originals.get(t.repostOfId()) : null;
                    if (!TimelineRules.belongs(c.reader, t, o)) {
                        continue;
                    }
                    index.put(TweetIndex.Meta.of(t, o == null ? 0 : o.authorId()));
                }
                out[n++] = id;
            }
            next = end;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Forgets closed pull ranges that no read can reach any more: an author pulled for a while and
     * pushed again since has tweets that are in no stored timeline, so reads keep merging them — until
     * every resident follower's timeline is full of entries newer than the range (its tweets are then
     * deeper than a timeline holds). Non-resident followers need no range: a reconstruction merges
     * user timelines, which hold every tweet. Returns how many authors had ranges dropped. For a
     * periodic sweep; its cost is one pass over each such author's followers.
     */
    public int expireClosedPullRanges() {
        int dropped = 0;
        long[] buf = new long[timelines.capacity()];
        for (long author : policy.authorsWithClosedRanges()) {
            long until = policy.closedUntil(author);
            if (until == 0) {
                continue;
            }
            boolean[] reachable = {reaches(author, until, buf)};
            graph.forEachFollowerBatch(author, 4096, (ids, count) -> {
                for (int i = 0; i < count && !reachable[0]; i++) {
                    reachable[0] = reaches(ids[i], until, buf);
                }
            });
            if (!reachable[0]) {
                policy.dropClosed(author, until);
                pullLists.drop(author);
                dropped++;
            }
        }
        return dropped;
    }

    /** Whether a pulled tweet older than {@code until} could still be within {@code user}'s timeline. */
    private boolean reaches(long user, long until, long[] buf) {
        int slot = timelines.slotOf(user);
        return slot >= 0 && timelines.readAt(slot, 0, until - 1, buf, buf.length) < buf.length;
    }

    public long reconstructions() {
        return reconstructions.get();
    }

    public long reconstructionNanos() {
        return reconstructionNanos.get();
    }
}
