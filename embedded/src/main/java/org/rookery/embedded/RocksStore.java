package org.rookery.embedded;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Holder;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.ReadTier;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Status;
import org.rocksdb.WriteOptions;
import org.rookery.core.config.Settings;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventLog;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.store.StoreOverloadedException;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.store.WouldBlockException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded durable store and event log: one RocksDB instance holding a column family per
 * {@link Table}, the event log ({@code event_log}) and consumer positions ({@code consumer_offsets}),
 * so that a domain write and the events it appends commit in one atomic RocksDB write.
 *
 * <p><b>Group commit.</b> {@link #commit} hands its batch to a single committer thread through a
 * queue and blocks until the batch is durable. The committer takes everything queued (up to
 * 1,000 batches), translates it into one RocksDB {@code WriteBatch}, gives
 * each event the next offset of its partition and its accept time (never earlier than the last
 * timestamp in that partition, so {@link #offsetForTime} can binary-search), and writes the group
 * with one WAL sync. Only then does it publish the partitions' new end offsets (the high watermark:
 * consumers never read at or above it), wake waiting consumers and complete the callers. Concurrent
 * writers therefore share one fsync, and a failed write fails every batch of its group whole; no
 * offset is consumed by a failed group. Offsets and timestamps are touched only by the committer
 * thread, so they need no lock. The queue is bounded ({@link Options#maxQueuedBatches}): a commit
 * that finds it full fails at once with {@link StoreOverloadedException} rather than waiting behind
 * an unbounded backlog.
 *
 * <p><b>Log layout.</b> Events are keyed by 2-byte partition + 8-byte offset (big-endian) and
 * partitioned by actor with {@link EventLog#partitionOf}; the partition count is saved on first
 * open and may not change. Retention cuts whole prefixes of partitions with a range delete, once an
 * hour and on {@link #enforceRetention}.
 *
 * <p>This class is thread-safe. Reads run on the calling thread; {@link #commit} blocks, so call it
 * from a blocking-task thread, never from an event loop. {@link #close} waits for queued commits and
 * in-flight reads, then frees the native resources; later calls throw {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (RocksStore store = RocksStore.open(RocksStore.Options.builder(dir).partitions(16).build())) {
 *     store.commit(new WriteBatch()
 *             .put(Table.TWEETS, Bytes.key(tweetId), tweetBytes)
 *             .put(Table.USER_TIMELINES, Bytes.key(authorId, tweetId), new byte[0])
 *             .append(new Event(eventId, EventType.TWEET_CREATED, authorId, tweetId, 0, 0)));
 *     try (EventConsumer fanout = store.subscribe("fanout", StartFrom.savedOrEarliest())) {
 *         for (LogRecord r : fanout.poll(1024, Duration.ofMillis(500))) apply(r.event());
 *         fanout.commit();
 *     }
 * }
 * }</pre>
 */
public final class RocksStore implements KeyValueStore, EventLog {

    /** The most batches the committer joins into one RocksDB write. */
    static final int MAX_GROUP_BATCHES = 1000;
    /** How often the background task drops events older than the retention. */
    static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

    static final String EVENT_LOG = "event_log";
    static final String CONSUMER_OFFSETS = "consumer_offsets";

    private static final Logger log = LoggerFactory.getLogger(RocksStore.class);
    private static final Pending STOP = new Pending(new WriteBatch(), new CompletableFuture<>());

    static {
        RocksDB.loadLibrary();
    }

    /**
     * How to open a {@link RocksStore}: immutable, validated on construction.
     *
     * @param dataDir the RocksDB directory, created if missing
     * @param partitions event log partitions (default 16); fixed when the store is created
     * @param clock the source of event accept times (default {@link InstantSource#system()})
     * @param retention how long events are kept (default 7 days)
     * @param syncWrites whether commits sync the WAL before returning (default true; false only for
     *     benchmarks, it gives up "acknowledged means durable")
     * @param blockCacheBytes the block cache shared by all column families (default 64 MiB)
     * @param maxQueuedBatches the most batches that may wait for the committer (default 10,000); a
     *     commit beyond it fails at once with {@link StoreOverloadedException}, so an overload is
     *     answered instead of queued without bound
     * @param counterCacheEntries groups of counters ({@code Table.COUNTERS} keys that differ only in
     *     the two low bits of their last byte: an account's or a status's counts) kept in memory for
     *     reads (default {@code rookery.store.counter.cache.size}'s, 48 bytes each); 0 reads every
     *     counter from RocksDB
     */
    public record Options(
            Path dataDir,
            int partitions,
            InstantSource clock,
            Duration retention,
            boolean syncWrites,
            long blockCacheBytes,
            int maxQueuedBatches,
            int counterCacheEntries) {

        public static final int DEFAULT_PARTITIONS = 16;
        public static final int MAX_PARTITIONS = 1024;
        public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
        public static final long DEFAULT_BLOCK_CACHE_BYTES = 64L << 20;
        public static final int DEFAULT_MAX_QUEUED_BATCHES = 10_000;
        public static final int DEFAULT_COUNTER_CACHE_ENTRIES = Settings.COUNTER_CACHE_SIZE.defaultValue();

        public Options {
            requireNonNull(dataDir, "dataDir");
            requireNonNull(clock, "clock");
            requireNonNull(retention, "retention");
            checkPartitions(partitions);
            checkRetention(retention);
            checkBlockCache(blockCacheBytes);
            checkMaxQueued(maxQueuedBatches);
            checkCounterCache(counterCacheEntries);
        }

        /** The defaults for a store in {@code dataDir}. */
        public static Options of(Path dataDir) {
            return builder(dataDir).build();
        }

        public static Builder builder(Path dataDir) {
            return new Builder(dataDir);
        }

        public Builder toBuilder() {
            return new Builder(dataDir)
                    .partitions(partitions)
                    .clock(clock)
                    .retention(retention)
                    .syncWrites(syncWrites)
                    .blockCacheBytes(blockCacheBytes)
                    .maxQueuedBatches(maxQueuedBatches)
                    .counterCacheEntries(counterCacheEntries);
        }

        private static void checkPartitions(int partitions) {
            if (partitions <= 0) {
                throw new IllegalArgumentException("partitions: " + partitions + " (expected: > 0)");
            }
            if (partitions >= MAX_PARTITIONS) {
                throw new IllegalArgumentException(
                        "partitions: " + partitions + " (expected: < " + MAX_PARTITIONS + ")");
            }
        }

        private static void checkRetention(Duration retention) {
            if (retention.isNegative() || retention.isZero()) {
                throw new IllegalArgumentException("retention: " + retention + " (expected: > 0)");
            }
        }

        private static void checkBlockCache(long blockCacheBytes) {
            if (blockCacheBytes <= 0) {
                throw new IllegalArgumentException("blockCacheBytes: " + blockCacheBytes + " (expected: > 0)");
            }
        }

        private static void checkCounterCache(int counterCacheEntries) {
            if (counterCacheEntries < 0) {
                throw new IllegalArgumentException("counterCacheEntries: " + counterCacheEntries + " (expected: >= 0)");
            }
        }

        private static void checkMaxQueued(int maxQueuedBatches) {
            if (maxQueuedBatches <= 0) {
                throw new IllegalArgumentException("maxQueuedBatches: " + maxQueuedBatches + " (expected: > 0)");
            }
        }

        /** Builds {@link Options}; each setter validates its argument at once. Not thread-safe. */
        public static final class Builder {
            private final Path dataDir;
            private int partitions = DEFAULT_PARTITIONS;
            private InstantSource clock = InstantSource.system();
            private Duration retention = DEFAULT_RETENTION;
            private boolean syncWrites = true;
            private long blockCacheBytes = DEFAULT_BLOCK_CACHE_BYTES;
            private int maxQueuedBatches = DEFAULT_MAX_QUEUED_BATCHES;
            private int counterCacheEntries = DEFAULT_COUNTER_CACHE_ENTRIES;

            private Builder(Path dataDir) {
                this.dataDir = requireNonNull(dataDir, "dataDir");
            }

            public Builder partitions(int partitions) {
                checkPartitions(partitions);
                this.partitions = partitions;
                return this;
            }

            public Builder clock(InstantSource clock) {
                this.clock = requireNonNull(clock, "clock");
                return this;
            }

            public Builder retention(Duration retention) {
                checkRetention(requireNonNull(retention, "retention"));
                this.retention = retention;
                return this;
            }

            public Builder syncWrites(boolean syncWrites) {
                this.syncWrites = syncWrites;
                return this;
            }

            public Builder blockCacheBytes(long blockCacheBytes) {
                checkBlockCache(blockCacheBytes);
                this.blockCacheBytes = blockCacheBytes;
                return this;
            }

            public Builder maxQueuedBatches(int maxQueuedBatches) {
                checkMaxQueued(maxQueuedBatches);
                this.maxQueuedBatches = maxQueuedBatches;
                return this;
            }

            public Builder counterCacheEntries(int counterCacheEntries) {
                checkCounterCache(counterCacheEntries);
                this.counterCacheEntries = counterCacheEntries;
                return this;
            }

            public Options build() {
                return new Options(dataDir, partitions, clock, retention, syncWrites, blockCacheBytes, maxQueuedBatches,
                        counterCacheEntries);
            }
        }
    }

    /** The counts of a counter cache that is off. */
    private static final CacheCounts NO_CACHE = new CacheCounts() {
        @Override
        public long hits() {
            return 0;
        }

        @Override
        public long misses() {
            return 0;
        }
    };

    /** One caller's batch waiting for the committer. */
    private record Pending(WriteBatch batch, CompletableFuture<Void> done) {}

    private final Options options;
    private final @Nullable CounterCache counters;
    /** The counter keys of the group being written; the committer's only. */
    private final List<byte[]> writtenCounters = new ArrayList<>();
    private final InstantSource clock;
    private final int partitions;
    private final long retentionMillis;

    // Native resources; closed in close(): handles, then the DB, then `owned` in reverse.
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final List<AutoCloseable> owned;
    private final ColumnFamilyHandle[] tables;
    private final ColumnFamilyHandle eventLog;
    private final ColumnFamilyHandle consumerOffsets;
    private final ColumnFamilyHandle meta;
    private final WriteOptions writeOptions;
    /** Consumer positions: to the WAL, not synced (see {@link #savePositions}). */
    private final WriteOptions positionWrites;
    /** Reads that memory can answer (memtables, block cache), for {@link MemoryOnly} scopes; in {@code owned}. */
    private final ReadOptions memoryTier;

    // Committer state: the arrays are read and written by the committer thread only.
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** Batches admitted and not yet taken by the committer; bounded by {@link Options#maxQueuedBatches}. */
    private final AtomicInteger admitted = new AtomicInteger();
    private final LongAdder refusedBatches = new LongAdder();
    private final Thread committer;
    private final long[] nextOffset;
    private final long[] lastTimestamp;
    private final long[] rollbackOffset;
    private final long[] rollbackTimestamp;

    /** Committed end per partition (the high watermark), published after each durable write. */
    private final AtomicLongArray endOffsets;
    /** First retained offset per partition; written under {@link #retentionLock}. */
    private final AtomicLongArray startOffsets;

    /** Signalled after every committed group and on close; consumers wait on it in poll. */
    private final ReentrantLock appendLock = new ReentrantLock();
    private final Condition appended = appendLock.newCondition();

    /** Callers inside the native DB; close waits for it to drain before freeing anything. */
    private final LongAdder inFlight = new LongAdder();
    private volatile boolean closed;
    private final Object closeLock = new Object();
    private boolean released;

    private final Object retentionLock = new Object();
    private final ScheduledExecutorService retentionTask;

    // Metrics; single writer (the committer), so plain volatile fields suffice.
    private volatile long committedBatches;
    private volatile long commitGroups;
    private volatile long appendedEvents;

    /**
     * Test seam: run by the committer before each RocksDB write with the group's batch count; an
     * exception fails the whole group as a failed write would.
     */
    volatile @Nullable IntConsumer beforeWrite;

    private RocksStore(
            Options options,
            RocksDB db,
            List<ColumnFamilyHandle> handles,
            List<AutoCloseable> owned,
            ColumnFamilyHandle[] tables,
            ColumnFamilyHandle eventLog,
            ColumnFamilyHandle consumerOffsets,
            ColumnFamilyHandle meta,
            WriteOptions writeOptions) throws RocksDBException {
        this.options = options;
        this.counters = options.counterCacheEntries() == 0 ? null : new CounterCache(options.counterCacheEntries());
        this.clock = options.clock();
        this.partitions = options.partitions();
        this.retentionMillis = options.retention().toMillis();
        this.db = db;
        this.handles = handles;
        this.owned = owned;
        this.memoryTier = own(owned, new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER));
        this.positionWrites = own(owned, new WriteOptions().setSync(false));
        this.tables = tables;
        this.eventLog = eventLog;
        this.consumerOffsets = consumerOffsets;
        this.meta = meta;
        this.writeOptions = writeOptions;

        nextOffset = new long[partitions];
        lastTimestamp = new long[partitions];
        rollbackOffset = new long[partitions];
        rollbackTimestamp = new long[partitions];
        endOffsets = new AtomicLongArray(partitions);
        startOffsets = new AtomicLongArray(partitions);
        recoverOffsets();

        committer = Thread.ofPlatform().name("rookery-committer").daemon(true).unstarted(this::runCommitter);
        retentionTask = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("rookery-retention").daemon(true).factory());
        committer.start();
        long every = RETENTION_INTERVAL.toMillis();
        retentionTask.scheduleWithFixedDelay(this::runRetention, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens (creating if missing) the store in {@code options.dataDir()}.
     *
     * @throws IllegalStateException if the store was created with another partition count
     * @throws RocksStoreException if RocksDB cannot open the directory
     */
    public static RocksStore open(Options options) {
        requireNonNull(options, "options");
        Path dir = options.dataDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("dataDir: cannot create " + dir, e);
        }
        List<AutoCloseable> owned = new ArrayList<>();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db = null;
        try {
            LRUCache cache = own(owned, new LRUCache(options.blockCacheBytes()));
            BloomFilter bloom = own(owned, new BloomFilter(10));
            DBOptions dbOptions = own(owned, new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setMaxBackgroundJobs(Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())))
                    // All memtables together; flushes the biggest when exceeded.
                    .setDbWriteBufferSize(128L << 20)
                    // Rarely written families (consumer_offsets, meta) would otherwise pin old WALs.
                    .setMaxTotalWalSize(256L << 20)
                    .setBytesPerSync(1L << 20)
                    .setKeepLogFileNum(5));

            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(
                    RocksDB.DEFAULT_COLUMN_FAMILY, columnOptions(owned, cache, bloom, false)));
            for (Table t : Table.values()) {
                // Every table gets uint64add, so WriteBatch#increment works on any of them.
                descriptors.add(new ColumnFamilyDescriptor(bytes(cfName(t)), columnOptions(owned, cache, bloom, true)));
            }
            descriptors.add(new ColumnFamilyDescriptor(bytes(EVENT_LOG), columnOptions(owned, cache, bloom, false)));
            descriptors.add(new ColumnFamilyDescriptor(bytes(CONSUMER_OFFSETS), columnOptions(owned, cache, bloom, false)));
            // RocksDB refuses to open unless every existing family is named: keep unknown ones as they are.
            for (byte[] existing : existingColumnFamilies(dir)) {
                if (descriptors.stream().noneMatch(d -> Arrays.equals(d.getName(), existing))) {
                    descriptors.add(new ColumnFamilyDescriptor(existing, columnOptions(owned, cache, bloom, false)));
                }
            }

            db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            ColumnFamilyHandle[] tables = new ColumnFamilyHandle[Table.values().length];
            for (int i = 0; i < tables.length; i++) {
                tables[i] = handles.get(1 + i);
            }
            ColumnFamilyHandle meta = handles.get(0);
            ColumnFamilyHandle eventLog = handles.get(1 + tables.length);
            ColumnFamilyHandle consumerOffsets = handles.get(2 + tables.length);
            WriteOptions writeOptions = own(owned, new WriteOptions().setSync(options.syncWrites()));

            checkPartitionCount(db, meta, options.partitions());
            return new RocksStore(
                    options, db, handles, owned, tables, eventLog, consumerOffsets, meta, writeOptions);
        } catch (RocksDBException | RuntimeException e) {
            release(db, handles, owned);
            if (e instanceof RocksDBException re) {
                throw new RocksStoreException("cannot open RocksDB in " + dir + ": " + re.getMessage(), re);
            }
            throw (RuntimeException) e;
        }
    }

    private static <T extends AutoCloseable> T own(List<AutoCloseable> owned, T resource) {
        owned.add(resource);
        return resource;
    }

    /** Merge operands a counter may pile up in the memtable before a write folds them. */
    static final long MAX_SUCCESSIVE_MERGES = 64;

    private static ColumnFamilyOptions columnOptions(
            List<AutoCloseable> owned, LRUCache cache, BloomFilter bloom, boolean counters) {
        ColumnFamilyOptions o = own(owned, new ColumnFamilyOptions());
        o.setCompressionType(CompressionType.LZ4_COMPRESSION);
        o.setTableFormatConfig(new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setFilterPolicy(bloom)
                .setCacheIndexAndFilterBlocks(true)
                .setPinL0FilterAndIndexBlocksInCache(true));
        if (counters) {
            o.setMergeOperatorName("uint64add");
            // A hot counter (the post total, a celebrity's followers) gets a merge per write; past this
            // many in the memtable the write folds them into one value, so a read never walks thousands.
            o.setMaxSuccessiveMerges(MAX_SUCCESSIVE_MERGES);
        }
        return o;
    }

    private static List<byte[]> existingColumnFamilies(Path dir) {
        if (!Files.exists(dir.resolve("CURRENT"))) {
            return List.of();
        }
        try (org.rocksdb.Options o = new org.rocksdb.Options()) {
            return RocksDB.listColumnFamilies(o, dir.toString());
        } catch (RocksDBException e) {
            throw new RocksStoreException("cannot list column families in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void checkPartitionCount(RocksDB db, ColumnFamilyHandle meta, int partitions)
            throws RocksDBException {
        byte[] saved = db.get(meta, LogKeys.PARTITIONS);
        if (saved == null) {
            try (WriteOptions sync = new WriteOptions().setSync(true)) {
                db.put(meta, sync, LogKeys.PARTITIONS, LogKeys.int32(partitions));
            }
            return;
        }
        int created = LogKeys.int32(saved);
        if (created != partitions) {
            throw new IllegalStateException("partitions: " + partitions + " (expected: " + created
                    + ", the count this store was created with; changing it would break per-actor event order)");
        }
    }

    static String cfName(Table table) {
        return table.name().toLowerCase(Locale.ROOT);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Reads each partition's first and last key (and retention's saved start) into the counters. */
    private void recoverOffsets() throws RocksDBException {
        try (RocksIterator it = db.newIterator(eventLog)) {
            for (int p = 0; p < partitions; p++) {
                byte[] savedStart = db.get(meta, LogKeys.logStart(p));
                long floor = savedStart == null ? 0 : Bytes.getLong(savedStart, 0);
                long end = floor;
                long ts = 0;
                it.seekForPrev(LogKeys.event(p, Long.MAX_VALUE));
                if (it.isValid() && LogKeys.partition(it.key()) == p) {
                    end = Math.max(end, LogKeys.offset(it.key()) + 1);
                    ts = Event.fromBytes(it.value()).timestampMillis();
                }
                long start = end;
                it.seek(LogKeys.event(p, 0));
                if (it.isValid() && LogKeys.partition(it.key()) == p) {
                    start = LogKeys.offset(it.key());
                }
                it.status();
                nextOffset[p] = end;
                lastTimestamp[p] = ts;
                endOffsets.set(p, end);
                startOffsets.set(p, start);
            }
        }
    }

    // ---------------------------------------------------------------- KeyValueStore: reads

    @Override
    public byte @Nullable [] get(Table table, byte[] key) {
        requireNonNull(table, "table");
        requireNonNull(key, "key");
        if (table == Table.COUNTERS && counters != null) {
            return multiGet(table, List.of(key)).get(0);
        }
        if (MemoryOnly.active()) {
            return readManyFromMemory(table, List.of(key)).get(0);
        }
        enter();
        try {
            return db.get(tables[table.ordinal()], key);
        } catch (RocksDBException e) {
            throw failure("get from " + cfName(table), e);
        } finally {
            exit();
        }
    }

    @Override
    public List<byte @Nullable []> multiGet(Table table, List<byte[]> keys) {
        requireNonNull(table, "table");
        requireNonNull(keys, "keys");
        if (keys.isEmpty()) {
            return List.of();
        }
        for (byte[] k : keys) {
            requireNonNull(k, "keys contains null");
        }
        if (table == Table.COUNTERS && counters != null) {
            return cachedCounters(counters, keys);
        }
        return MemoryOnly.active() ? readManyFromMemory(table, keys) : readMany(table, keys);
    }

    /**
     * Values for {@code keys} from memory only, inside a {@link MemoryOnly} scope: RocksDB's
     * {@code keyMayExist} under the block-cache read tier does no I/O, and it is authoritative both
     * ways where it answers: false means absent (memtables, filters and cached blocks ruled the key
     * out), and true with the value filled is the value a {@code get} would return. True without a
     * value means a block on disk would decide, and throws {@link WouldBlockException}. Not used for
     * {@code Table.COUNTERS} while the {@link CounterCache} keeps them. ({@code containsEach} comes here
     * through {@code multiGet}.) Two other ways do not work: RocksJava's byte-array {@code multiGet}
     * under {@link ReadTier#BLOCK_CACHE_TIER} answers a key on disk only with null, as if absent, and
     * {@code multiGetByteBuffers} under that tier reported such a key as found, having read it.
     */
    private List<byte @Nullable []> readManyFromMemory(Table table, List<byte[]> keys) {
        ColumnFamilyHandle cf = tables[table.ordinal()];
        byte[][] out = new byte[keys.size()][];
        Holder<byte[]> value = new Holder<>();
        admit();
        try {
            for (int i = 0; i < out.length; i++) {
                value.setValue(null);
                if (db.keyMayExist(cf, memoryTier, keys.get(i), value)) {
                    out[i] = value.getValue();
                    if (out[i] == null) {
                        throw WouldBlockException.get(); // may exist; finding out needs a block from disk
                    }
                }
            }
            return Arrays.asList(out);
        } finally {
            exit();
        }
    }

    private List<byte @Nullable []> readMany(Table table, List<byte[]> keys) {
        enter();
        try {
            return db.multiGetAsList(Collections.nCopies(keys.size(), tables[table.ordinal()]), keys);
        } catch (RocksDBException e) {
            throw failure("multiGet from " + cfName(table), e);
        } finally {
            exit();
        }
    }

    /** Test seam: writes every memtable to table files and waits until they are written. */
    void flush() {
        admit();
        try (FlushOptions o = new FlushOptions().setWaitForFlush(true)) {
            db.flush(o, handles);
        } catch (RocksDBException e) {
            throw failure("flush", e);
        } finally {
            exit();
        }
    }

    /** Counter values from the {@link CounterCache}, the missing ones in one multiGet. */
    private List<byte @Nullable []> cachedCounters(CounterCache cache, List<byte[]> keys) {
        int n = keys.size();
        byte[][] out = new byte[n][];
        int[] missing = new int[n];
        int misses = cache.lookup(keys, out, missing);
        if (misses > 0) {
            List<byte[]> load = new ArrayList<>(misses);
            for (int j = 0; j < misses; j++) {
                load.add(keys.get(missing[j]));
            }
            long stamp = cache.stamp();
            List<byte @Nullable []> values = readMany(Table.COUNTERS, load);
            cache.putLoaded(stamp, load, values);
            for (int j = 0; j < misses; j++) {
                out[missing[j]] = values.get(j);
            }
        }
        return Arrays.asList(out);
    }

    @Override
    public void scan(Table table, byte[] prefix, byte @Nullable [] from, boolean reverse, Visitor visitor) {
        requireNonNull(table, "table");
        requireNonNull(prefix, "prefix");
        requireNonNull(visitor, "visitor");
        byte[] end = Bytes.prefixEnd(prefix); // empty: no key bounds the prefix from above
        boolean bounded = end.length > 0;
        if (from != null) {
            if (Arrays.compareUnsigned(from, prefix) < 0) {
                if (reverse) {
                    return; // every key with the prefix is after `from`
                }
                from = null;
            } else if (bounded && Arrays.compareUnsigned(from, end) >= 0) {
                if (!reverse) {
                    return; // every key with the prefix is before `from`
                }
                from = null;
            }
        }
        boolean memoryOnly = MemoryOnly.active();
        admit();
        try (ReadOptions ro = new ReadOptions();
                Slice lower = new Slice(prefix);
                Slice upper = bounded ? new Slice(end) : null) {
            if (memoryOnly) {
                ro.setReadTier(ReadTier.BLOCK_CACHE_TIER);
            }
            ro.setIterateLowerBound(lower);
            if (upper != null) {
                ro.setIterateUpperBound(upper);
            }
            try (RocksIterator it = db.newIterator(tables[table.ordinal()], ro)) {
                if (!reverse) {
                    it.seek(from != null ? from : prefix);
                } else if (from != null) {
                    it.seekForPrev(from);
                } else if (bounded) {
                    it.seekForPrev(end);
                    if (it.isValid() && Arrays.equals(it.key(), end)) {
                        it.prev();
                    }
                } else {
                    it.seekToLast();
                }
                while (it.isValid()) {
                    byte[] key = it.key();
                    if (!startsWith(key, prefix) || !visitor.visit(key, it.value())) {
                        break;
                    }
                    if (reverse) {
                        it.prev();
                    } else {
                        it.next();
                    }
                }
                it.status();
            }
        } catch (RocksDBException e) {
            if (memoryOnly && e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                throw WouldBlockException.get(); // the next block is on disk only
            }
            throw failure("scan of " + cfName(table), e);
        } finally {
            exit();
        }
    }

    /** One iterator (and one consistent view) for all the prefixes, instead of one per prefix. */
    @Override
    public void scanNewest(Table table, byte[][] prefixes, byte[][] froms, int limit, PrefixVisitor visitor) {
        requireNonNull(table, "table");
        requireNonNull(prefixes, "prefixes");
        requireNonNull(visitor, "visitor");
        if (limit <= 0 || prefixes.length == 0) {
            return;
        }
        enter();
        try (ReadOptions ro = new ReadOptions();
                RocksIterator it = db.newIterator(tables[table.ordinal()], ro)) {
            for (int i = 0; i < prefixes.length; i++) {
                byte[] prefix = prefixes[i];
                byte[] end = Bytes.prefixEnd(prefix);
                byte[] from = froms[i];
                if (from != null && Arrays.compareUnsigned(from, prefix) < 0) {
                    continue; // every key with the prefix is after `from`
                }
                if (from != null && (end.length == 0 || Arrays.compareUnsigned(from, end) < 0)) {
                    it.seekForPrev(from);
                } else if (end.length > 0) {
                    it.seekForPrev(end);
                    if (it.isValid() && Arrays.equals(it.key(), end)) {
                        it.prev();
                    }
                } else {
                    it.seekToLast();
                }
                int n = 0;
                while (it.isValid() && n < limit) {
                    byte[] key = it.key();
                    if (!startsWith(key, prefix)) {
                        break;
                    }
                    visitor.visit(i, key, it.value());
                    n++;
                    it.prev();
                }
                it.status();
            }
        } catch (RocksDBException e) {
            throw failure("scan of " + cfName(table), e);
        } finally {
            exit();
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length
                && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    // ---------------------------------------------------------------- KeyValueStore: group commit

    /**
     * Applies {@code batch} and its events atomically; returns once they are durable (WAL synced,
     * unless {@link Options#syncWrites()} is off).
     *
     * @throws IllegalArgumentException if an op is malformed; nothing is applied
     * @throws IllegalStateException if the store is closed
     * @throws RocksStoreException if the write failed; nothing of the batch is applied
     * @throws StoreOverloadedException if {@link Options#maxQueuedBatches} batches are already
     *     waiting; nothing of the batch is applied
     */
    @Override
    public void commit(WriteBatch batch) {
        requireNonNull(batch, "batch");
        validate(batch);
        Pending pending = new Pending(batch, new CompletableFuture<>());
        enter(); // close() waits for this, so nothing is queued after the committer's last drain
        try {
            if (batch.isEmpty()) {
                return;
            }
            if (admitted.incrementAndGet() > options.maxQueuedBatches()) {
                admitted.decrementAndGet();
                refusedBatches.increment();
                throw new StoreOverloadedException("commit refused: " + options.maxQueuedBatches()
                        + " batches are already waiting for the committer");
            }
            queue.add(pending);
        } finally {
            exit();
        }
        try {
            pending.done().join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new RocksStoreException("commit failed: " + cause, cause);
        }
    }

    private static void validate(WriteBatch batch) {
        for (WriteBatch.Op op : batch.ops()) {
            requireNonNull(op, "op");
            requireNonNull(op.kind(), "op.kind");
            requireNonNull(op.table(), "op.table");
            requireNonNull(op.key(), "op.key");
            if (op.kind() != WriteBatch.Kind.DELETE) {
                requireNonNull(op.value(), "op.value");
            }
            if (op.kind() == WriteBatch.Kind.INCREMENT && op.value().length != 8) {
                throw new IllegalArgumentException(
                        "increment delta: " + op.value().length + " bytes (expected: 8, little-endian)");
            }
        }
        for (Event e : batch.events()) {
            requireNonNull(e, "event");
            requireNonNull(e.type(), "event.type");
        }
    }

    private void runCommitter() {
        List<Pending> group = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                // Only close() stops the committer (with STOP), or callers would hang.
                continue;
            }
            queue.drainTo(group, MAX_GROUP_BATCHES - 1);
            if (group.remove(STOP)) {
                stopping = true; // close() queues STOP after the last batch it lets in
            }
            admitted.addAndGet(-group.size());
            if (!group.isEmpty()) {
                writeGroup(group);
            }
            group.clear();
        }
    }

    private void writeGroup(List<Pending> group) {
        System.arraycopy(nextOffset, 0, rollbackOffset, 0, partitions);
        System.arraycopy(lastTimestamp, 0, rollbackTimestamp, 0, partitions);
        int events = 0;
        writtenCounters.clear();
        try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
            long now = clock.millis();
            for (Pending pending : group) {
                for (WriteBatch.Op op : pending.batch().ops()) {
                    ColumnFamilyHandle cf = tables[op.table().ordinal()];
                    if (op.table() == Table.COUNTERS && counters != null) {
                        writtenCounters.add(op.key());
                    }
                    switch (op.kind()) {
                        case PUT -> wb.put(cf, op.key(), op.value());
                        case DELETE -> wb.delete(cf, op.key());
                        case INCREMENT -> wb.merge(cf, op.key(), op.value());
                    }
                }
                for (Event e : pending.batch().events()) {
                    int p = partitionOf(e.actorId());
                    long ts = Math.max(now, lastTimestamp[p]);
                    lastTimestamp[p] = ts;
                    wb.put(eventLog, LogKeys.event(p, nextOffset[p]++), e.withTimestamp(ts).toBytes());
                    events++;
                }
            }
            IntConsumer hook = beforeWrite;
            if (hook != null) {
                hook.accept(group.size());
            }
            db.write(writeOptions, wb);
        } catch (Throwable t) {
            // Nothing was written: give the offsets back so the log stays dense.
            System.arraycopy(rollbackOffset, 0, nextOffset, 0, partitions);
            System.arraycopy(rollbackTimestamp, 0, lastTimestamp, 0, partitions);
            log.warn("commit of {} batches failed", group.size(), t);
            for (Pending pending : group) {
                pending.done().completeExceptionally(t);
            }
            return;
        }
        if (events > 0) {
            for (int p = 0; p < partitions; p++) {
                if (endOffsets.get(p) != nextOffset[p]) {
                    endOffsets.set(p, nextOffset[p]);
                }
            }
        }
        if (counters != null && !writtenCounters.isEmpty()) {
            counters.written(writtenCounters);
            writtenCounters.clear();
        }
        commitGroups++;
        committedBatches += group.size();
        appendedEvents += events;
        if (events > 0) {
            wakeConsumers();
        }
        for (Pending pending : group) {
            pending.done().complete(null);
        }
    }

    // ---------------------------------------------------------------- EventLog

    @Override
    public int partitionCount() {
        return partitions;
    }

    @Override
    public long startOffset(int partition) {
        checkPartition(partition);
        return startOffsets.get(partition);
    }

    @Override
    public long endOffset(int partition) {
        checkPartition(partition);
        return endOffsets.get(partition);
    }

    @Override
    public long offsetForTime(int partition, Instant time) {
        checkPartition(partition);
        requireNonNull(time, "time");
        enter();
        try {
            return offsetForTime(partition, toMillis(time));
        } finally {
            exit();
        }
    }

    /** Binary search over [start, end) by point gets; timestamps never decrease within a partition. */
    private long offsetForTime(int partition, long millis) {
        long hi = endOffsets.get(partition);
        long lo = Math.min(startOffsets.get(partition), hi);
        try {
            while (lo < hi) {
                long mid = (lo + hi) >>> 1;
                byte[] v = db.get(eventLog, LogKeys.event(partition, mid));
                // Absent: retention dropped it since we read start, so it was older than anything kept.
                if (v == null || Event.fromBytes(v).timestampMillis() < millis) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        } catch (RocksDBException e) {
            throw failure("offsetForTime in partition " + partition, e);
        }
    }

    private static long toMillis(Instant time) {
        try {
            return time.toEpochMilli();
        } catch (ArithmeticException e) {
            return time.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    @Override
    public EventConsumer subscribe(String name, StartFrom start) {
        return subscribe(name, 0, 1, start);
    }

    @Override
    public EventConsumer subscribe(String group, int member, int members, StartFrom start) {
        requireNonNull(group, "group");
        requireNonNull(start, "start");
        if (group.isEmpty() || group.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                    "group: \"" + group.replace("\0", "\\0") + "\" (expected: non-empty, without NUL)");
        }
        if (members <= 0) {
            throw new IllegalArgumentException("members: " + members + " (expected: > 0)");
        }
        if (member < 0 || member >= members) {
            throw new IllegalArgumentException(
                    "member: " + member + " (expected: >= 0 and < " + members + ")");
        }
        if (start.kind() == StartFrom.Kind.TIME && start.time() == null) {
            throw new IllegalArgumentException("start: " + start + " (expected: a time for TIME)");
        }
        int[] mine = new int[(partitions - member + members - 1) / members];
        for (int i = 0, p = member; p < partitions; p += members) {
            mine[i++] = p;
        }
        return new RocksConsumer(this, group, mine, start);
    }

    @Override
    public long enforceRetention() {
        synchronized (retentionLock) {
            enter();
            try {
                long cutoff = clock.millis() - retentionMillis;
                long[] cuts = new long[partitions];
                long dropped = 0;
                try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
                    for (int p = 0; p < partitions; p++) {
                        long start = startOffsets.get(p);
                        long cut = offsetForTime(p, cutoff);
                        cuts[p] = cut;
                        if (cut > start) {
                            wb.deleteRange(eventLog, LogKeys.event(p, start), LogKeys.event(p, cut));
                            wb.put(meta, LogKeys.logStart(p), Bytes.key(cut));
                            dropped += cut - start;
                        }
                    }
                    if (dropped == 0) {
                        return 0;
                    }
                    db.write(writeOptions, wb);
                } catch (RocksDBException e) {
                    throw failure("retention", e);
                }
                for (int p = 0; p < partitions; p++) {
                    if (cuts[p] > startOffsets.get(p)) {
                        startOffsets.set(p, cuts[p]);
                    }
                }
                return dropped;
            } finally {
                exit();
            }
        }
    }

    private void runRetention() {
        try {
            long dropped = enforceRetention();
            if (dropped > 0) {
                log.info("retention dropped {} events older than {}", dropped, options.retention());
            }
        } catch (IllegalStateException e) {
            log.debug("retention skipped: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("retention failed", e);
        }
    }

    // ---------------------------------------------------------------- services for RocksConsumer

    /** Where consumer {@code name} starts reading {@code partition}. */
    long resolveStart(byte[] name, int partition, StartFrom start) {
        return switch (start.kind()) {
            case SAVED_OR_EARLIEST -> {
                long saved = savedPosition(name, partition);
                yield saved < 0 ? startOffset(partition) : clampSaved(partition, saved);
            }
            case SAVED_OR_LATEST -> {
                long saved = savedPosition(name, partition);
                yield saved < 0 ? endOffset(partition) : clampSaved(partition, saved);
            }
            case EARLIEST -> startOffset(partition);
            case LATEST -> endOffset(partition);
            case TIME -> offsetForTime(partition, requireNonNull(start.time(), "start.time"));
        };
    }

    private long clampSaved(int partition, long saved) {
        long end = endOffsets.get(partition);
        if (saved > end) {
            // Only possible if the log lost events the positions saw (syncWrites off and a crash).
            log.warn("saved position {} in partition {} is past the end {}; reading from the end",
                    saved, partition, end);
            return end;
        }
        return Math.max(saved, startOffsets.get(partition));
    }

    /** The saved position of {@code name} in {@code partition}, or -1 if none. */
    long savedPosition(byte[] name, int partition) {
        enter();
        try {
            byte[] v = db.get(consumerOffsets, LogKeys.position(name, partition));
            return v == null ? -1 : Bytes.getLong(v, 0);
        } catch (RocksDBException e) {
            throw failure("read of consumer positions", e);
        } finally {
            exit();
        }
    }

    /**
     * Saves the first {@code count} of {@code positions}, of the partitions {@code parts}, in one
     * write to the WAL that is not synced: a process crash keeps it (the OS has it), a machine crash
     * may lose it and the consumer then gets those events again, which delivery at least once and
     * idempotent handlers allow. A position is written after the events it passed, so one that
     * survives a crash never points past the log. Syncing every consumer commit had cost an
     * {@code fdatasync} per poll batch per consumer, 2 % of a busy server's CPU.
     */
    void savePositions(byte[] name, int[] parts, long[] positions, int count) {
        enter();
        try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
            for (int i = 0; i < count; i++) {
                wb.put(consumerOffsets, LogKeys.position(name, parts[i]), Bytes.key(positions[i]));
            }
            db.write(positionWrites, wb);
        } catch (RocksDBException e) {
            throw failure("save of consumer positions", e);
        } finally {
            exit();
        }
    }

    /**
     * Reads up to {@code quota[i]} events of {@code parts[i]} from {@code positions[i]} below
     * {@code ends[i]}, visiting partitions from index {@code first} round-robin, and advances the
     * positions past what it returns.
     */
    List<LogRecord> read(int[] parts, long[] positions, long[] ends, int[] quota, int first) {
        List<LogRecord> out = new ArrayList<>();
        enter();
        // Created after the ends were read, so its implicit snapshot holds every event below them.
        try (RocksIterator it = db.newIterator(eventLog)) {
            for (int k = 0; k < parts.length; k++) {
                int i = (first + k) % parts.length;
                if (quota[i] == 0) {
                    continue;
                }
                int p = parts[i];
                it.seek(LogKeys.event(p, positions[i]));
                for (int n = 0; n < quota[i] && it.isValid(); n++, it.next()) {
                    byte[] key = it.key();
                    long offset = LogKeys.offset(key);
                    if (LogKeys.partition(key) != p || offset >= ends[i]) {
                        break;
                    }
                    out.add(new LogRecord(p, offset, Event.fromBytes(it.value())));
                    positions[i] = offset + 1;
                }
                it.status();
            }
        } catch (RocksDBException e) {
            throw failure("read of the event log", e);
        } finally {
            exit();
        }
        return out;
    }

    /**
     * Waits until {@code consumer} has something to read, it or the store is closed, or the deadline
     * passes; returns whether there is something to read.
     */
    boolean awaitAppend(RocksConsumer consumer, long deadlineNanos) throws InterruptedException {
        appendLock.lock();
        try {
            while (true) {
                if (closed || consumer.isClosed()) {
                    return false;
                }
                if (consumer.hasUnread()) {
                    return true;
                }
                long wait = deadlineNanos - System.nanoTime();
                if (wait <= 0) {
                    return false;
                }
                appended.awaitNanos(wait);
            }
        } finally {
            appendLock.unlock();
        }
    }

    void wakeConsumers() {
        appendLock.lock();
        try {
            appended.signalAll();
        } finally {
            appendLock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- metrics

    /** Caller batches made durable since open. */
    public long committedBatches() {
        return committedBatches;
    }

    /** RocksDB writes (one WAL sync each) the committer made; below {@link #committedBatches} when commits shared. */
    public long commitGroups() {
        return commitGroups;
    }

    /** Events appended to the log since open. */
    public long appendedEvents() {
        return appendedEvents;
    }

    /** Batches waiting for the committer. */
    public int queuedBatches() {
        return queue.size();
    }

    /** Commits refused since open because {@link Options#maxQueuedBatches} were already waiting. */
    public long refusedBatches() {
        return refusedBatches.sum();
    }

    /** Counter reads answered by the in-memory counter cache and by RocksDB (none counted when it is off). */
    public CacheCounts counterCache() {
        CounterCache c = counters;
        return c != null ? c : NO_CACHE;
    }

    /** RocksDB's estimate of the bytes compaction still has to rewrite, over all column families (0 once settled). */
    public long pendingCompactionBytes() {
        return longProperty("rocksdb.estimate-pending-compaction-bytes", true);
    }

    /** Compactions running now. */
    public long runningCompactions() {
        return longProperty("rocksdb.num-running-compactions", false);
    }

    private long longProperty(String name, boolean aggregated) {
        try {
            enter();
        } catch (IllegalStateException closedAlready) {
            return 0;
        }
        try {
            return aggregated ? db.getAggregatedLongProperty(name) : db.getLongProperty(name);
        } catch (RocksDBException e) {
            return 0; // a metric, not a reason to fail
        } finally {
            exit();
        }
    }

    public Options options() {
        return options;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Stops accepting commits, waits for the queued ones to be written, stops the committer and the
     * retention task, wakes waiting consumers, waits for in-flight reads and frees RocksDB.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (released) {
                return;
            }
            closed = true;
            awaitNoneInFlight(); // every commit() that got in has queued its batch
            queue.add(STOP);
            retentionTask.shutdownNow();
            boolean interrupted = false;
            while (true) {
                try {
                    committer.join();
                    retentionTask.awaitTermination(1, TimeUnit.MINUTES);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            wakeConsumers();
            awaitNoneInFlight();
            release(db, handles, owned);
            released = true;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitNoneInFlight() {
        while (inFlight.sum() != 0) {
            LockSupport.parkNanos(50_000);
        }
    }

    private static void release(@Nullable RocksDB db, List<ColumnFamilyHandle> handles, List<AutoCloseable> owned) {
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        if (db != null) {
            try {
                db.closeE();
            } catch (RocksDBException e) {
                log.warn("closing RocksDB failed", e);
            }
        }
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                log.warn("closing {} failed", owned.get(i), e);
            }
        }
    }

    /** {@link #admit()} for a call that may wait on the disk: refused inside a {@link MemoryOnly} scope. */
    private void enter() {
        MemoryOnly.refuseIfActive();
        admit();
    }

    /** Marks a caller as using the native DB; pair with {@link #exit()} in a finally block. */
    private void admit() {
        inFlight.increment();
        if (closed) {
            inFlight.decrement();
            throw new IllegalStateException("store is closed");
        }
    }

    private void exit() {
        inFlight.decrement();
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException(
                    "partition: " + partition + " (expected: >= 0 and < " + partitions + ")");
        }
    }

    private static RocksStoreException failure(String what, RocksDBException e) {
        return new RocksStoreException(what + " failed: " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "RocksStore{" + options.dataDir() + ", partitions=" + partitions + (closed ? ", closed}" : "}");
    }
}
