package org.rookery.core.event;

import java.time.Instant;

/**
 * The append-only event log (the firehose): partitioned by actor, offsets per partition, retention
 * by age, named consumers with saved positions, rewind by time. The embedded adapter keeps it in
 * RocksDB beside the store so a write and its event commit together; in a cluster a Kafka topic
 * with the same partitioning replaces it. Appends go through
 * {@link org.rookery.core.store.WriteBatch#append}.
 *
 * <p>Implementations are thread-safe.
 */
public interface EventLog {
    int partitionCount();

    /** The partition that holds the events of {@code actorId}. */
    default int partitionOf(long actorId) {
        long h = actorId * 0x9E3779B97F4A7C15L;
        return (int) ((h >>> 33) % partitionCount());
    }

    /** The first offset still retained in {@code partition}. */
    long startOffset(int partition);

    /** The offset the next appended event in {@code partition} will get (committed events are below it). */
    long endOffset(int partition);

    /** The first offset in {@code partition} whose event was accepted at or after {@code time}; {@link #endOffset} if every event is earlier. */
    long offsetForTime(int partition, Instant time);

    /** A consumer of every partition, positioned at its saved position or at {@code start}. */
    EventConsumer subscribe(String name, StartFrom start);

    /**
     * Member {@code member} (0-based) of a group of {@code members} consumers sharing the name
     * {@code group}: it reads partitions {@code p} with {@code p % members == member}, so the group
     * splits the log the way a Kafka consumer group does.
     */
    EventConsumer subscribe(String group, int member, int members, StartFrom start);

    /** Drops events older than the retention; returns how many were dropped. */
    long enforceRetention();
}
