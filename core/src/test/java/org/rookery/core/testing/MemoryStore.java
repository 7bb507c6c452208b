package org.rookery.core.testing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventLog;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

/**
 * A test double of the durable store and its event log, held in memory: one {@link TreeMap} per
 * table ordered as RocksDB orders keys (unsigned lexicographic bytes), batches applied all or nothing
 * under one lock, increments as little-endian 64-bit deltas (RocksDB's {@code uint64add}), events
 * given per-partition offsets in commit order, and consumers whose committed positions are kept in
 * the store, so that new service objects over the same {@code MemoryStore} (a simulated restart)
 * resume where the old ones stopped.
 *
 * <p>It exists so that logic above the storage ports (fanout, timelines, the rules) can be tested
 * over thousands of seeds in seconds. It does not stand in for RocksDB in any test that claims to
 * test storage: nothing is written to disk, there is no retention ({@link #enforceRetention} keeps
 * every event), and {@link #close} does not persist anything. A simulated restart keeps the
 * {@code MemoryStore} open and builds new services over it.
 *
 * <p>Thread-safe: one lock guards tables and log; a {@link #scan} copies the range under the lock and
 * visits the copy outside it (a snapshot, as a RocksDB iterator is). {@link EventConsumer#poll} waits
 * at most its timeout for an event and returns at once with {@code Duration.ZERO}.
 *
 * <pre>{@code
 * MemoryStore store = new MemoryStore(4, clock);
 * EventConsumer fanout = store.subscribe("fanout", StartFrom.savedOrEarliest());
 * store.commit(new WriteBatch().put(Table.META, key, value).append(event));
 * List<LogRecord> batch = fanout.poll(64, Duration.ZERO);
 * fanout.commit();
 * }</pre>
 */
public final class MemoryStore implements KeyValueStore, EventLog {
    private static final Comparator<byte[]> KEY_ORDER = Arrays::compareUnsigned;

    private final int partitions;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final Map<Table, TreeMap<byte[], byte[]>> tables = new EnumMap<>(Table.class);
    /** Per partition, the events in offset order (offset = index: nothing is ever dropped). */
    private final List<List<Event>> log = new ArrayList<>();
    private final long[] lastTimestamp;
    /** Consumer name → saved next offset per partition (-1: none saved). */
    private final Map<String, long[]> savedPositions = new HashMap<>();
    private boolean closed;

    /**
     * @param partitions event log partitions, as fixed at creation in the real store
     * @param clock the source of event accept times
     */
    public MemoryStore(int partitions, InstantSource clock) {
        if (partitions <= 0) {
            throw new IllegalArgumentException("partitions: " + partitions + " (expected: > 0)");
        }
        this.partitions = partitions;
        this.clock = requireNonNull(clock, "clock");
        this.lastTimestamp = new long[partitions];
        for (Table t : Table.values()) {
            tables.put(t, new TreeMap<>(KEY_ORDER));
        }
        for (int p = 0; p < partitions; p++) {
            log.add(new ArrayList<>());
        }
    }

    // ---------------------------------------------------------------- KeyValueStore

    @Override
    public byte @Nullable [] get(Table table, byte[] key) {
        requireNonNull(table, "table");
        requireNonNull(key, "key");
        lock.lock();
        try {
            ensureOpen();
            byte[] v = tables.get(table).get(key);
            return v == null ? null : v.clone();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<byte @Nullable []> multiGet(Table table, List<byte[]> keys) {
        requireNonNull(table, "table");
        requireNonNull(keys, "keys");
        lock.lock();
        try {
            ensureOpen();
            TreeMap<byte[], byte[]> t = tables.get(table);
            List<byte @Nullable []> out = new ArrayList<>(keys.size());
            for (byte[] k : keys) {
                byte[] v = t.get(requireNonNull(k, "keys contains null"));
                out.add(v == null ? null : v.clone());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Same contract as the RocksDB adapter, including the clamping of a {@code from} outside the prefix. */
    @Override
    public void scan(Table table, byte[] prefix, byte @Nullable [] from, boolean reverse, Visitor visitor) {
        requireNonNull(table, "table");
        requireNonNull(prefix, "prefix");
        requireNonNull(visitor, "visitor");
        byte[] end = Bytes.prefixEnd(prefix); // empty: no key bounds the prefix from above
        boolean bounded = end.length > 0;
        if (from != null) {
            if (KEY_ORDER.compare(from, prefix) < 0) {
                if (reverse) {
                    return;
                }
                from = null;
            } else if (bounded && KEY_ORDER.compare(from, end) >= 0) {
                if (!reverse) {
                    return;
                }
                from = null;
            }
        }
        List<Map.Entry<byte[], byte[]>> range = new ArrayList<>();
        lock.lock();
        try {
            ensureOpen();
            TreeMap<byte[], byte[]> t = tables.get(table);
            NavigableMap<byte[], byte[]> view;
            if (!reverse) {
                view = t.tailMap(from != null ? from : prefix, true);
            } else if (from != null) {
                view = t.headMap(from, true).descendingMap();
            } else {
                view = (bounded ? t.headMap(end, false) : t).descendingMap();
            }
            for (Map.Entry<byte[], byte[]> e : view.entrySet()) {
                if (!startsWith(e.getKey(), prefix)) {
                    break;
                }
                range.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey().clone(), e.getValue().clone()));
            }
        } finally {
            lock.unlock();
        }
        for (Map.Entry<byte[], byte[]> e : range) {
            if (!visitor.visit(e.getKey(), e.getValue())) {
                return;
            }
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public void commit(WriteBatch batch) {
        requireNonNull(batch, "batch");
        for (WriteBatch.Op op : batch.ops()) {
            requireNonNull(op.table(), "op.table");
            requireNonNull(op.key(), "op.key");
            if (op.kind() == WriteBatch.Kind.INCREMENT && op.value().length != 8) {
                throw new IllegalArgumentException(
                        "increment delta: " + op.value().length + " bytes (expected: 8, little-endian)");
            }
        }
        lock.lock();
        try {
            ensureOpen();
            for (WriteBatch.Op op : batch.ops()) {
                TreeMap<byte[], byte[]> t = tables.get(op.table());
                byte[] key = op.key().clone();
                switch (op.kind()) {
                    case PUT -> t.put(key, op.value().clone());
                    case DELETE -> t.remove(key);
                    case INCREMENT -> {
                        byte[] old = t.get(key);
                        long v = old == null ? 0 : Bytes.fromLittleEndian(old);
                        t.put(key, Bytes.littleEndian(v + Bytes.fromLittleEndian(op.value())));
                    }
                }
            }
            long now = clock.millis();
            for (Event e : batch.events()) {
                int p = partitionOf(e.actorId());
                long ts = Math.max(now, lastTimestamp[p]);
                lastTimestamp[p] = ts;
                log.get(p).add(e.withTimestamp(ts));
            }
            if (!batch.events().isEmpty()) {
                appended.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Marks the store closed: later calls fail, blocked polls return. Keeps nothing anywhere. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store is closed");
        }
    }

    // ---------------------------------------------------------------- EventLog

    @Override
    public int partitionCount() {
        return partitions;
    }

    /** Always 0: this log keeps every event. */
    @Override
    public long startOffset(int partition) {
        checkPartition(partition);
        return 0;
    }

    @Override
    public long endOffset(int partition) {
        checkPartition(partition);
        lock.lock();
        try {
            return log.get(partition).size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long offsetForTime(int partition, Instant time) {
        checkPartition(partition);
        requireNonNull(time, "time");
        lock.lock();
        try {
            List<Event> events = log.get(partition);
            int lo = 0;
            int hi = events.size();
            while (lo < hi) { // timestamps never decrease within a partition
                int mid = (lo + hi) >>> 1;
                if (events.get(mid).timestampMillis() < time.toEpochMilli()) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        } finally {
            lock.unlock();
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
        if (members <= 0) {
            throw new IllegalArgumentException("members: " + members + " (expected: > 0)");
        }
        if (member < 0 || member >= members) {
            throw new IllegalArgumentException("member: " + member + " (expected: >= 0 and < " + members + ")");
        }
        int[] mine = new int[(partitions - member + members - 1) / members];
        for (int i = 0, p = member; p < partitions; p += members) {
            mine[i++] = p;
        }
        return new Consumer(group, mine, start);
    }

    /** Keeps every event (this log has no retention); returns 0. */
    @Override
    public long enforceRetention() {
        return 0;
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException(
                    "partition: " + partition + " (expected: >= 0 and < " + partitions + ")");
        }
    }

    /** Must hold the lock. */
    private long savedPosition(String name, int partition) {
        long[] saved = savedPositions.get(name);
        return saved == null ? -1 : saved[partition];
    }

    /** Must hold the lock. */
    private long resolveStart(String name, int partition, StartFrom start) {
        long end = log.get(partition).size();
        return switch (start.kind()) {
            case SAVED_OR_EARLIEST -> {
                long saved = savedPosition(name, partition);
                yield saved < 0 ? 0 : Math.min(saved, end);
            }
            case SAVED_OR_LATEST -> {
                long saved = savedPosition(name, partition);
                yield saved < 0 ? end : Math.min(saved, end);
            }
            case EARLIEST -> 0;
            case LATEST -> end;
            case TIME -> offsetForTime(partition, requireNonNull(start.time(), "start.time"));
        };
    }

    /**
     * A named reader of some partitions. A poll takes events round-robin across its partitions, one
     * at a time from a rotating first partition, so a busy partition cannot starve the others and
     * events of different partitions interleave (only each partition's own order is promised).
     */
    private final class Consumer implements EventConsumer {
        private final String name;
        private final int[] parts;
        private final long[] positions;
        private int cursor;
        private boolean consumerClosed;

        Consumer(String name, int[] parts, StartFrom start) {
            this.name = name;
            this.parts = parts;
            this.positions = new long[parts.length];
            seek(start);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int[] partitions() {
            return parts.clone();
        }

        @Override
        public List<LogRecord> poll(int maxEvents, Duration timeout) throws InterruptedException {
            if (maxEvents <= 0) {
                throw new IllegalArgumentException("maxEvents: " + maxEvents + " (expected: > 0)");
            }
            requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
            }
            long deadline = System.nanoTime() + Math.min(timeout.toNanos(), TimeUnit.DAYS.toNanos(365));
            lock.lock();
            try {
                while (true) {
                    ensureUsable();
                    List<LogRecord> out = readAvailable(maxEvents);
                    if (!out.isEmpty()) {
                        return out;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return List.of();
                    }
                    appended.awaitNanos(left);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Must hold the lock. */
        private List<LogRecord> readAvailable(int max) {
            List<LogRecord> out = new ArrayList<>();
            boolean progress = true;
            while (out.size() < max && progress) {
                progress = false;
                for (int k = 0; k < parts.length && out.size() < max; k++) {
                    int i = (cursor + k) % parts.length;
                    List<Event> events = log.get(parts[i]);
                    if (positions[i] < events.size()) {
                        out.add(new LogRecord(parts[i], positions[i], events.get((int) positions[i])));
                        positions[i]++;
                        progress = true;
                    }
                }
            }
            cursor = (cursor + 1) % parts.length;
            return out;
        }

        @Override
        public void commit() {
            lock.lock();
            try {
                ensureUsable();
                long[] saved = savedPositions.computeIfAbsent(name, n -> {
                    long[] none = new long[partitions];
                    Arrays.fill(none, -1);
                    return none;
                });
                for (int i = 0; i < parts.length; i++) {
                    saved[parts[i]] = positions[i];
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public long position(int partition) {
            lock.lock();
            try {
                return positions[indexOf(partition)];
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void seek(StartFrom start) {
            requireNonNull(start, "start");
            lock.lock();
            try {
                ensureUsable();
                for (int i = 0; i < parts.length; i++) {
                    positions[i] = resolveStart(name, parts[i], start);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                consumerClosed = true;
                appended.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private int indexOf(int partition) {
            for (int i = 0; i < parts.length; i++) {
                if (parts[i] == partition) {
                    return i;
                }
            }
            throw new IllegalArgumentException(
                    "partition: " + partition + " (expected: one of " + Arrays.toString(parts) + ")");
        }

        /** Must hold the lock. */
        private void ensureUsable() {
            if (consumerClosed) {
                throw new IllegalStateException("consumer " + name + " is closed");
            }
            ensureOpen();
        }

        @Override
        public String toString() {
            return "MemoryStore.Consumer{" + name + ", partitions=" + Arrays.toString(parts) + "}";
        }
    }
}
