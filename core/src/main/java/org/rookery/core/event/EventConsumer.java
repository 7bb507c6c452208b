package org.rookery.core.event;

import java.time.Duration;
import java.util.List;

/**
 * A named reader of some partitions of the log. Delivery is at least once: events returned by
 * {@link #poll} but not yet {@link #commit committed} are delivered again after a restart, so
 * consumers apply events idempotently (by event id, or because applying twice is harmless).
 *
 * <p>Not thread-safe: one thread polls one consumer.
 *
 * <pre>{@code
 * try (EventConsumer c = log.subscribe("fanout", StartFrom.savedOrEarliest())) {
 *     while (running) {
 *         for (LogRecord r : c.poll(1024, Duration.ofMillis(500))) apply(r.event());
 *         c.commit();
 *     }
 * }
 * }</pre>
 */
public interface EventConsumer extends AutoCloseable {
    /** The consumer's name: positions are saved under it. */
    String name();

    /** The partitions this consumer reads. */
    int[] partitions();

    /**
     * Up to {@code maxEvents} next events, in offset order within each partition; waits up to
     * {@code timeout} for the first one and returns an empty list if none arrived.
     */
    List<LogRecord> poll(int maxEvents, Duration timeout) throws InterruptedException;

    /** Saves the position after the last event returned by {@link #poll}, durably. */
    void commit();

    /** The next offset this consumer will read in {@code partition} (moved up past events dropped by retention). */
    long position(int partition);

    /** Moves this consumer (not yet committed) to {@code start}. */
    void seek(StartFrom start);

    @Override
    void close();
}
