package org.rookery.core.store;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The durable store port: ordered tables of byte keys, atomic batches that also append to the event
 * log, counters. The embedded adapter is RocksDB; a cluster adapter maps tables to CQL tables and
 * the log to Kafka.
 *
 * <p>Implementations are thread-safe. {@link #commit} may block the calling thread until the batch is
 * durable, sharing one fsync with the batches of concurrent callers (group commit); call it from a
 * blocking-task thread, never from an event loop. An event loop may read inside a {@link MemoryOnly}
 * scope: there a store answers only what its memory holds and throws {@link WouldBlockException}
 * for anything else, before it has done anything.
 */
public interface KeyValueStore extends AutoCloseable {

    /** Visits one entry of a scan; returns false to stop. */
    @FunctionalInterface
    interface Visitor {
        boolean visit(byte[] key, byte[] value);
    }

    /**
     * The value at {@code key}, null if absent. Inside a {@link MemoryOnly} scope a store answers what
     * its memory holds and throws {@link WouldBlockException} where finding out needs the disk, as
     * {@link #multiGet}, {@link #containsEach} and {@link #scan} do; {@link #commit} always throws it there.
     */
    byte @Nullable [] get(Table table, byte[] key);

    /** Values for {@code keys} in the same order, null where absent; one round trip. */
    List<byte @Nullable []> multiGet(Table table, List<byte[]> keys);

    /** Whether each of {@code keys} exists, in the same order; one round trip. */
    default boolean[] containsEach(Table table, List<byte[]> keys) {
        List<byte @Nullable []> values = multiGet(table, keys);
        boolean[] out = new boolean[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i) != null;
        }
        return out;
    }

    /**
     * Visits the entries whose keys start with {@code prefix}, in key order or, if {@code reverse},
     * in reverse key order, starting at {@code from} (inclusive; null for the start of the prefix, or its
     * end when reversed; a {@code from} outside the prefix is clamped to the prefix's bounds).
     *
     * <p>Inside a {@link MemoryOnly} scope it visits what memory holds (memtables, block cache) and
     * throws {@link WouldBlockException} where the next entry would need a block from disk, so the
     * visitor may have seen some entries by then: there it must only collect them, since the caller
     * runs the whole read again.
     */
    void scan(Table table, byte[] prefix, byte @Nullable [] from, boolean reverse, Visitor visitor);

    /** Visits one entry of {@link #scanNewest}: which of the prefixes it belongs to, and the entry. */
    @FunctionalInterface
    interface PrefixVisitor {
        void visit(int prefixIndex, byte[] key, byte[] value);
    }

    /**
     * For each {@code prefixes[i]}, visits up to {@code limit} entries in reverse key order (the
     * newest, for keys that end in an id), starting at {@code froms[i]} (inclusive; a null element:
     * the end of the prefix). One call for many small reverse scans (a reconstruction reads the newest tweets of
     * every followed account): stores override it to reuse one cursor; this default runs one
     * {@link #scan} per prefix.
     */
    default void scanNewest(Table table, byte[][] prefixes, byte[][] froms, int limit, PrefixVisitor visitor) {
        if (limit <= 0) {
            return;
        }
        for (int i = 0; i < prefixes.length; i++) {
            int index = i;
            int[] n = {0};
            scan(table, prefixes[i], froms[i], true, (k, v) -> {
                visitor.visit(index, k, v);
                return ++n[0] < limit;
            });
        }
    }

    /** The 64-bit counter at {@code key}, 0 if never incremented. */
    default long counter(Table table, byte[] key) {
        byte[] v = get(table, key);
        return v == null ? 0 : Bytes.fromLittleEndian(v);
    }

    /** Applies {@code batch} atomically and returns once it, and its events, are durable. */
    void commit(WriteBatch batch);

    @Override
    void close();
}
