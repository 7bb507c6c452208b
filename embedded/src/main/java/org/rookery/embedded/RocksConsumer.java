package org.rookery.embedded;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;

/**
 * A named reader of some partitions of a {@link RocksStore}'s log. It reads only below each
 * partition's committed end, shares each poll among its partitions so that a busy partition cannot
 * starve the others, and saves its positions under its name in {@code consumer_offsets}.
 *
 * <p>Not thread-safe, except {@link #close()}, which may be called from another thread to wake a
 * blocked {@link #poll}.
 */
final class RocksConsumer implements EventConsumer {
    private final RocksStore store;
    private final String name;
    private final byte[] nameBytes;
    private final int[] parts;
    /** The next offset to read, per index of {@link #parts}. */
    private final long[] positions;
    /** The position last saved, or -1; skips rewriting unchanged positions. */
    private final long[] saved;
    /** Scratch of {@link #commit}: the partitions whose positions moved, and those positions. */
    private final int[] movedParts;
    private final long[] movedPositions;
    private final long[] ends;
    private final int[] quota;
    /** Which partition index a poll serves first; rotates so leftovers are shared fairly. */
    private int cursor;
    private volatile boolean closed;

    RocksConsumer(RocksStore store, String name, int[] parts, StartFrom start) {
        this.store = store;
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.parts = parts;
        this.positions = new long[parts.length];
        this.saved = new long[parts.length];
        this.movedParts = new int[parts.length];
        this.movedPositions = new long[parts.length];
        this.ends = new long[parts.length];
        this.quota = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            saved[i] = store.savedPosition(nameBytes, parts[i]);
        }
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
        ensureOpen();
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        while (true) {
            List<LogRecord> records = readAvailable(maxEvents);
            if (!records.isEmpty()) {
                return records;
            }
            if (!store.awaitAppend(this, deadline)) {
                return List.of();
            }
        }
    }

    private static long saturatedNanos(Duration d) {
        // Far enough that the deadline arithmetic cannot overflow: about 146 years.
        return d.compareTo(Duration.ofDays(365L * 146)) > 0 ? Long.MAX_VALUE / 2 : d.toNanos();
    }

    /** Splits {@code max} among the partitions with unread events, then reads them in one pass. */
    private List<LogRecord> readAvailable(int max) {
        int active = 0;
        for (int i = 0; i < parts.length; i++) {
            ends[i] = store.endOffset(parts[i]);
            // Retention may have cut below our position: skip to the first retained event.
            positions[i] = Math.max(positions[i], store.startOffset(parts[i]));
            quota[i] = 0;
            if (positions[i] < ends[i]) {
                active++;
            }
        }
        if (active == 0) {
            return List.of();
        }
        int remaining = max;
        while (remaining > 0 && active > 0) {
            int share = Math.max(1, remaining / active);
            for (int k = 0; k < parts.length && remaining > 0; k++) {
                int i = (cursor + k) % parts.length;
                long left = ends[i] - positions[i] - quota[i];
                if (left <= 0) {
                    continue;
                }
                int take = (int) Math.min(Math.min(share, left), remaining);
                quota[i] += take;
                remaining -= take;
                if (take == left) {
                    active--;
                }
            }
        }
        List<LogRecord> records = store.read(parts, positions, ends, quota, cursor);
        cursor = (cursor + 1) % parts.length;
        return records;
    }

    /** Whether some partition has committed events at or after this consumer's position. */
    boolean hasUnread() {
        for (int i = 0; i < parts.length; i++) {
            if (positions[i] < store.endOffset(parts[i])) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void commit() {
        ensureOpen();
        // Only the partitions that moved: a batch usually touches one or two of the 16, and every
        // position written is a memtable insert (rewriting all of them was 1 % of a busy server's CPU).
        int moved = 0;
        for (int i = 0; i < parts.length; i++) {
            positions[i] = Math.max(positions[i], store.startOffset(parts[i]));
            if (positions[i] != saved[i]) {
                movedParts[moved] = parts[i];
                movedPositions[moved++] = positions[i];
            }
        }
        if (moved == 0) {
            return;
        }
        store.savePositions(nameBytes, movedParts, movedPositions, moved);
        System.arraycopy(positions, 0, saved, 0, parts.length);
    }

    @Override
    public long position(int partition) {
        int i = indexOf(partition);
        return Math.max(positions[i], store.startOffset(partition));
    }

    @Override
    public void seek(StartFrom start) {
        requireNonNull(start, "start");
        ensureOpen();
        if (start.kind() == StartFrom.Kind.TIME && start.time() == null) {
            throw new IllegalArgumentException("start: " + start + " (expected: a time for TIME)");
        }
        for (int i = 0; i < parts.length; i++) {
            positions[i] = store.resolveStart(nameBytes, parts[i], start);
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            store.wakeConsumers();
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

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("consumer " + name + " is closed");
        }
        if (store.isClosed()) {
            throw new IllegalStateException("store is closed");
        }
    }

    @Override
    public String toString() {
        return "RocksConsumer{" + name + ", partitions=" + Arrays.toString(parts) + "}";
    }
}
