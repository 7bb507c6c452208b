package org.rookery.core.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every setting Rookery has, with its default and documentation, in one place (Kafka's habit).
 * {@code docs/configuration.md} is generated from this class ({@code ./rookery config-doc}).
 */
public final class Settings {
    private Settings() {}

    public static final ConfigKey<Integer> PORT = intKey("rookery.port", 8080,
            "Port of the public HTTP API (Mastodon client API, OAuth, web page).");
    public static final ConfigKey<Integer> ADMIN_PORT = intKey("rookery.admin.port", 9990,
            "Port of the admin endpoints (/admin/ping, /admin/server_info, /admin/metrics, /health); 9990 as in TwitterServer.");
    public static final ConfigKey<String> BIND_ADDRESS = stringKey("rookery.bind.address", "127.0.0.1",
            "Address both ports listen on. Use 0.0.0.0 to accept connections from other machines.");
    public static final ConfigKey<String> DATA_DIR = stringKey("rookery.data.dir", "data",
            "Directory of the embedded store (RocksDB) and event log.");
    public static final ConfigKey<String> PUBLIC_URL = stringKey("rookery.public.url", "",
            "Absolute base URL clients reach the server at (for Link headers and entity URLs). Empty: derived from each request's Host header.");
    public static final ConfigKey<String> INSTANCE_TITLE = stringKey("rookery.instance.title", "Rookery",
            "Name of this server, shown by /api/v1/instance.");
    public static final ConfigKey<String> INSTANCE_DESCRIPTION = stringKey("rookery.instance.description",
            "A microblogging server built on the architecture Twitter and Tumblr published.",
            "Description shown by /api/v1/instance.");
    public static final ConfigKey<String> CONTACT_EMAIL = stringKey("rookery.contact.email", "admin@localhost",
            "Contact address shown by /api/v1/instance.");
    public static final ConfigKey<Integer> WORKER_ID = intKey("rookery.worker.id", 0,
            "Snowflake worker number (0-1023); every process that mints ids needs its own.");
    public static final ConfigKey<Duration> CLOCK_BACKWARDS_WAIT = durationKey("rookery.ids.clock.backwards.wait", Duration.ofSeconds(1),
            "How long id generation waits for a clock that moved backwards to catch up before failing the request.");
    public static final ConfigKey<Integer> MAX_TWEET_LENGTH = intKey("rookery.tweet.max.length", 500,
            "Maximum weighted length of a tweet (twitter-text counting; every link counts as 23).");
    public static final ConfigKey<String> REGISTRATIONS = stringKey("rookery.registrations", "open",
            "Sign-up mode: open, approval (accounts wait for an administrator) or closed.");
    public static final ConfigKey<Integer> PASSWORD_HASH_MEMORY_KB = intKey("rookery.password.hash.memory.kb", 19456,
            "Argon2id memory cost in KiB (OWASP's minimum recommendation is 19456).");
    public static final ConfigKey<Integer> PASSWORD_HASH_ITERATIONS = intKey("rookery.password.hash.iterations", 2,
            "Argon2id time cost (passes over memory).");
    public static final ConfigKey<Integer> FOLLOWER_BATCH_SIZE = intKey("rookery.graph.follower.batch.size", 4096,
            "Followers read per batch when fanning out.");
    public static final ConfigKey<Integer> LOG_PARTITIONS = intKey("rookery.log.partitions", 16,
            "Partitions of the event log (fixed when the data directory is created).");
    public static final ConfigKey<Duration> LOG_RETENTION = durationKey("rookery.log.retention", Duration.ofDays(7),
            "How long the event log keeps events (Tumblr's firehose keeps a week).");
    public static final ConfigKey<Boolean> SYNC_WRITES = boolKey("rookery.store.sync.writes", true,
            "Sync the write-ahead log before acknowledging a write. Turn off only for benchmarks: acknowledged writes may be lost on a crash.");
    public static final ConfigKey<Integer> BLOCK_CACHE_MB = intKey("rookery.store.block.cache.mb", 256,
            "RocksDB's block cache (uncompressed blocks, index and bloom filters) shared by all tables, in MiB. Follower lists are read from it on every fanout of an author outside the follower cache, so a graph larger than it is read from compressed files instead.");
    public static final ConfigKey<Integer> COUNTER_CACHE_SIZE = intKey("rookery.store.counter.cache.size", 250_000,
            "Accounts and statuses whose counters (statuses, followers and following of an account; replies, reposts and favourites of a status) are kept in memory for reads, 48 bytes each, the counts of one account or status read in one lookup (rounded up to a power of two; sets of 8 that replace their entries in turn when full); a write drops the counts it changed before it is acknowledged. A page of 20 statuses reads the counts of up to 40 accounts and statuses. 0 reads every counter from RocksDB.");
    public static final ConfigKey<Integer> MAX_REQUEST_BYTES = intKey("rookery.http.max.request.bytes", 1 << 20,
            "Largest accepted request body; larger ones get 413.");
    public static final ConfigKey<Integer> MAX_INFLIGHT_REQUESTS = intKey("rookery.http.max.inflight.requests", 1024,
            "Public API requests handled at once; more are shed at once with 503 and Retry-After: 1 instead of queueing without bound. 0: no limit. The admin port is not limited.");
    public static final ConfigKey<Boolean> HTTP_MEMORY_FIRST = boolKey("rookery.http.memory.first", true,
            "Try the reads that memory usually answers (home timeline; a status or its context, an account, its statuses, followers or following by id; an account by handle; relationships; verify_credentials; notifications; instance) on the event loop first, and hand them to the blocking-task executor only when they need the disk: saves two thread hand-offs per read. false: every request runs on the blocking-task executor.");
    public static final ConfigKey<Integer> HTTP_MEMORY_FIRST_MAX_INFLIGHT = intKey("rookery.http.memory.first.max.inflight", 16,
            "Memory-first reads are tried on the event loop only while fewer API requests than this are in flight (counted by rookery.http.max.inflight.requests; with that limit off they always are). A busier server hands them straight to the blocking-task executor: measured at saturation on 2 cores, event-loop reads held fewer reads a second.");
    public static final ConfigKey<Integer> COMMIT_QUEUE_MAX = intKey("rookery.store.commit.queue.max", 10_000,
            "Write batches that may wait for the store's group committer; a write that finds the queue full is refused with 503 and Retry-After: 1 (nothing of it applied).");
    public static final ConfigKey<Duration> IDEMPOTENCY_TTL = durationKey("rookery.idempotency.ttl", Duration.ofHours(24),
            "How long an Idempotency-Key keeps returning the tweet it created.");

    public static final ConfigKey<Integer> TIMELINE_CAPACITY = intKey("rookery.timeline.capacity", 800,
            "Entries kept per home timeline (Twitter kept 800); older entries fall off.");
    public static final ConfigKey<Long> TIMELINE_MEMORY_BYTES = longKey("rookery.timeline.memory.bytes", 1L << 30,
            "Memory budget of the in-memory home-timeline store; when it is full the least recently active users are evicted (and reconstructed on their next read).");
    public static final ConfigKey<Integer> TIMELINE_MAX_USERS = intKey("rookery.timeline.max.users", 1 << 21,
            "How many distinct users the timeline store can index; users beyond it are served by reconstruction on every read.");
    public static final ConfigKey<Integer> TIMELINE_ACTIVE_DAYS = intKey("rookery.timeline.active.days", 30,
            "Users who have not been active for this many days are evicted from timeline memory and not fanned out to.");
    public static final ConfigKey<Boolean> TIMELINE_SNAPSHOT = boolKey("rookery.timeline.snapshot", true,
            "Write the home timelines to timelines.snapshot in the data directory on a clean shutdown and load them at the next start (seconds, instead of rebuilding every recently active user from the store); the file is used once, and only if the fanout consumer has not moved since it was written.");
    public static final ConfigKey<Integer> TIMELINE_WARMUP_PAGES = intKey("rookery.timeline.warmup.pages", 20_000,
            "At start, the home timelines of this many of the most recently active users are read and rendered once in the background (not counted as their reads), so that the caches their first reads need are filled and the read path is compiled before it takes traffic; 0 turns it off.");
    public static final ConfigKey<Integer> TWEET_INDEX_CAPACITY = intKey("rookery.timeline.tweet.index.capacity", 1 << 20,
            "Recent tweets whose author and kind the timeline store keeps in memory (once per tweet, not per entry).");
    public static final ConfigKey<Integer> PULL_THRESHOLD = intKey("rookery.fanout.pull.threshold", 100_000,
            "Authors with more followers than this are not fanned out; their tweets are merged into followers' home timelines at read time.");
    public static final ConfigKey<String> FANOUT_MODE = stringKey("rookery.fanout.mode", "adaptive",
            "How push or pull is chosen per author: 'threshold' (follower count only) or 'adaptive' (measured posting and reading rates, the Feeding Frenzy cost model).");
    public static final ConfigKey<Integer> FANOUT_ADAPTIVE_MIN_FOLLOWERS = intKey("rookery.fanout.adaptive.min.followers", 1_000,
            "Adaptive mode: authors with fewer followers are always pushed (the cost model decides only above this). 1,000 cut total work by a quarter in the hybrid benchmark.");
    public static final ConfigKey<Integer> FANOUT_COST_DELIVERY_NS = intKey("rookery.fanout.cost.delivery.ns", 1_500,
            "Adaptive mode's cost model: nanoseconds of fanout work per delivery when the author's followers are read from the graph (measured in docs/benchmarks.md).");
    public static final ConfigKey<Integer> FANOUT_COST_CACHED_DELIVERY_NS = intKey("rookery.fanout.cost.cached.delivery.ns", 20,
            "Adaptive mode's cost model: nanoseconds per delivery when the author's followers are in the follower cache.");
    public static final ConfigKey<Integer> FANOUT_COST_PULL_NS = intKey("rookery.fanout.cost.pull.ns", 170,
            "Adaptive mode's cost model: nanoseconds a home read spends merging one pulled author.");
    public static final ConfigKey<Integer> FOLLOWER_CACHE_MIN = intKey("rookery.fanout.follower.cache.min.followers", 1,
            "Authors with at least this many followers have their follower list kept in memory (4 bytes per follower) when they post, so their posts fan out without reading the graph; 0 turns the cache off.");
    public static final ConfigKey<Integer> FOLLOWER_CACHE_MB = intKey("rookery.fanout.follower.cache.mb", 256,
            "Memory for the fanout follower cache, in MiB (4 bytes per follower, about 100 per author); when full, the lists of the authors least likely to post soon are dropped and read from the graph again on their next post. 0 turns the cache off.");
    public static final ConfigKey<Integer> TWEET_CACHE_SIZE = intKey("rookery.tweets.cache.size", 400_000,
            "Decoded tweets kept in memory for timeline reads and hydration (Tweetypie's cache), about 300 bytes of heap each (the default ~120 MB); 0 turns it off. Size it to the tweets home reads reach: with 20,000 users and 244,000 statuses stored, 400,000 instead of 100,000 raised the hit rate from 93 % to 99.9 % and cut the server's CPU per home read by an eighth (docs/benchmarks.md). At high post rates that means a few minutes of posts (the default holds 70 s at 5,700 posts/s; 1,000,000 raised the hit rate from 64 % to 93 % with 1,000 reads/s alongside). Watch its hit rate, rookery.cache.gets{cache=tweets}.");
    public static final ConfigKey<Integer> ACCOUNT_CACHE_SIZE = intKey("rookery.accounts.cache.size", 100_000,
            "Decoded accounts kept in memory for hydration; invalidated when a profile changes. As many authors' newest post ids (an account's last_status_at) are kept too. 0 turns both off.");
    public static final ConfigKey<Integer> TOKEN_CACHE_SIZE = intKey("rookery.oauth.token.cache.size", 100_000,
            "Live OAuth access tokens kept in memory (by their SHA-256, about 200 bytes each), so an authenticated request does not read its token from the store; a revocation drops its entry before it returns. Size it to the tokens in use at once; 0 reads every token from the store.");
    public static final ConfigKey<Integer> RENDER_CACHE_MB = intKey("rookery.render.cache.mb", 64,
            "Serialized JSON kept in memory for statuses and accounts, in MiB: the members of a status or account that are the same on every read (text as HTML, links, mentions, tags; the profile), copied into each response with counts and the viewer's flags written in at read time. Three quarters for statuses, a quarter for accounts; 0 renders every response in full.");
    public static final ConfigKey<Long> READER_CACHE_IDS = longKey("rookery.timeline.reader.cache.ids", 8L << 20,
            "Relationship ids (followees, mutes, blocks) of home-timeline readers kept in memory, 8 bytes each; invalidated on every relationship change.");
    public static final ConfigKey<Integer> NOTIFICATIONS_CAPACITY = intKey("rookery.notifications.capacity", 800,
            "Notifications kept per user; older ones are dropped.");

    /** All keys, in declaration order. */
    public static List<ConfigKey<?>> all() {
        List<ConfigKey<?>> keys = new ArrayList<>();
        for (Field f : Settings.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigKey.class) {
                try {
                    keys.add((ConfigKey<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return keys;
    }

    /** The operator's reference page, in Markdown. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder("""
                # Configuration

                Generated from `org.rookery.core.config.Settings` by `./rookery config-doc`; do not edit by hand.
                Each key can be set as `--set key=value` on the command line or by its environment variable.
                `--port` and `--data-dir` are short for `rookery.port` and `rookery.data.dir`.

                | key | environment | default | meaning |
                | --- | --- | --- | --- |
                """);
        for (ConfigKey<?> k : all()) {
            sb.append("| `").append(k.name()).append("` | `").append(k.envName()).append("` | `")
                    .append(k.defaultValue()).append("` | ").append(k.doc()).append(" |\n");
        }
        return sb.toString();
    }

    private static ConfigKey<Integer> intKey(String name, int def, String doc) {
        return new ConfigKey<>(name, Integer.class, def, doc, Integer::valueOf);
    }

    private static ConfigKey<Long> longKey(String name, long def, String doc) {
        return new ConfigKey<>(name, Long.class, def, doc, Long::valueOf);
    }

    private static ConfigKey<String> stringKey(String name, String def, String doc) {
        return new ConfigKey<>(name, String.class, def, doc, s -> s);
    }

    private static ConfigKey<Boolean> boolKey(String name, boolean def, String doc) {
        return new ConfigKey<>(name, Boolean.class, def, doc, s -> switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException("true or false");
        });
    }

    private static ConfigKey<Duration> durationKey(String name, Duration def, String doc) {
        return new ConfigKey<>(name, Duration.class, def, doc, Duration::parse);
    }
}
