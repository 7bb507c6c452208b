package org.rookery.core.event;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Runs one named consumer of the event log on its own thread: poll a batch, hand it to the
 * handler, commit the position, repeat. A handler failure is logged and the same batch is retried
 * after a short back-off (at-least-once: the position only moves once the batch was applied), so
 * handlers must be idempotent. Reports its lag in events and in seconds.
 *
 * <p>Thread-safe: {@link #start}, {@link #close} and the lag getters may be called from any thread.
 *
 * <pre>{@code
 * ConsumerLoop fanout = new ConsumerLoop(log, "fanout", StartFrom.savedOrLatest(), 1024, clock, batch -> ...);
 * fanout.start();
 * }</pre>
 */
public final class ConsumerLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ConsumerLoop.class.getName());
    private static final Duration POLL_WAIT = Duration.ofMillis(250);

    /** Applies one batch of records, in log order within each partition. */
    @FunctionalInterface
    public interface Handler {
        void handle(List<LogRecord> batch) throws Exception;
    }

    private final EventLog log;
    private final String name;
    private final StartFrom start;
    private final int maxBatch;
    private final InstantSource clock;
    private final Handler handler;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private volatile Thread thread;
    private volatile EventConsumer consumer;
    private volatile long lastAppliedTimestamp;
    /** Next offset to apply per partition, updated only after a batch was applied (positions move at poll). */
    private volatile AtomicLongArray appliedNext;
    private volatile long applied;
    private volatile long failures;

    public ConsumerLoop(EventLog log, String name, StartFrom start, int maxBatch, InstantSource clock, Handler handler) {
        this.log = requireNonNull(log, "log");
        this.name = requireNonNull(name, "name");
        this.start = requireNonNull(start, "start");
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: > 0)");
        }
        this.maxBatch = maxBatch;
        this.clock = requireNonNull(clock, "clock");
        this.handler = requireNonNull(handler, "handler");
    }

    public String name() {
        return name;
    }

    /** Subscribes and starts the consumer thread. */
    public synchronized ConsumerLoop start() {
        if (running) {
            return this;
        }
        consumer = log.subscribe(name, start);
        AtomicLongArray next = new AtomicLongArray(log.partitionCount());
        for (int p : consumer.partitions()) {
            next.set(p, consumer.position(p));
        }
        appliedNext = next;
        running = true;
        Thread t = new Thread(this::run, "rookery-consumer-" + name);
        t.setDaemon(true);
        thread = t;
        t.start();
        return this;
    }

    private void run() {
        EventConsumer c = consumer;
        long backoffMs = 10;
        try {
            while (running) {
                List<LogRecord> batch = c.poll(maxBatch, POLL_WAIT);
                if (batch.isEmpty()) {
                    continue;
                }
                while (running) {
                    try {
                        handler.handle(batch);
                        c.commit();
                        applied += batch.size();
                        long last = 0;
                        AtomicLongArray next = appliedNext;
                        for (LogRecord r : batch) {
                            last = Math.max(last, r.event().timestampMillis());
                            next.accumulateAndGet(r.partition(), r.offset() + 1, Math::max);
                        }
                        lastAppliedTimestamp = last;
                        backoffMs = 10;
                        break;
                    } catch (InterruptedException e) {
                        throw e;
                    } catch (Exception e) {
                        failures++;
                        LOG.log(System.Logger.Level.WARNING, "consumer " + name + " failed on a batch of "
                                + batch.size() + "; retrying in " + backoffMs + " ms", e);
                        TimeUnit.MILLISECONDS.sleep(backoffMs); // back-off before a retry, not synchronisation
                        backoffMs = Math.min(5_000, backoffMs * 2);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    /** Events appended but not yet applied by this consumer. */
    public long lagEvents() {
        EventConsumer c = consumer;
        AtomicLongArray next = appliedNext;
        if (c == null || next == null) {
            return 0;
        }
        long lag = 0;
        for (int p : c.partitions()) {
            lag += Math.max(0, log.endOffset(p) - Math.max(next.get(p), log.startOffset(p)));
        }
        return lag;
    }

    /** How far behind the newest event this consumer is, in seconds (0 when caught up). */
    public double lagSeconds() {
        if (lagEvents() == 0) {
            return 0;
        }
        long last = lastAppliedTimestamp;
        return last == 0 ? 0 : Math.max(0, clock.millis() - last) / 1000.0;
    }

    /** Whether every event appended so far has been applied. */
    public boolean caughtUp() {
        return lagEvents() == 0;
    }

    /** Events applied since start. */
    public long applied() {
        return applied;
    }

    public long failures() {
        return failures;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        Thread t = thread;
        try {
            // The loop notices within one poll wait; the batch in hand is finished and committed first.
            if (t != null && t != Thread.currentThread()) {
                stopped.await(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close();
        }
    }
}
