package org.rookery.loadgen.run;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Measures delivery lag: after a post is acknowledged, one of the author's followers polls their
 * home timeline ({@code GET /api/v1/timelines/home?min_id=<id-1>&limit=1}, which answers the
 * oldest entry newer than just below the post: the post itself once it is there) every
 * {@code interval} until the post appears or {@code timeout} passes. The lag is the time from the
 * acknowledgement to the answer that showed the post, so it is an upper bound with a resolution of
 * about one interval. At most {@code maxActive} posts are followed at once (each poll is a real
 * home read, counted under its own operation, {@code probe}); posts offered while all are busy are
 * not sampled. Thread-safe.
 */
public final class DeliveryProbes {
    private final HttpTarget http;
    private final ScheduledExecutorService timer;
    private final int maxActive;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final OpStats probeStats;
    private final long origin;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong undelivered = new AtomicLong();
    private final AtomicLong offered = new AtomicLong();
    private final Histogram lags = new Histogram(3); // microseconds
    private final List<Sample> samples = new ArrayList<>();

    /** One followed post: its id, when it was acknowledged (s since the origin), its lag in ms (-1: never seen). */
    public record Sample(long postId, double ackSeconds, double lagMs) {
    }

    /** @param origin the {@link System#nanoTime()} that sample times are relative to (the run's start) */
    public DeliveryProbes(HttpTarget http, ScheduledExecutorService timer, int maxActive, Duration interval,
                          Duration timeout, OpStats probeStats, long origin) {
        if (maxActive < 0) {
            throw new IllegalArgumentException("maxActive: " + maxActive + " (expected: >= 0)");
        }
        this.http = http;
        this.timer = timer;
        this.maxActive = maxActive;
        this.intervalNanos = interval.toNanos();
        this.timeoutNanos = timeout.toNanos();
        this.probeStats = probeStats;
        this.origin = origin;
    }

    /**
     * Follows post {@code postId}, acknowledged at {@code ackNanos}, in the home timeline of the
     * reader whose bearer header is {@code authorization}; false if all probes are busy.
     */
    public boolean offer(long postId, long ackNanos, String authorization) {
        offered.incrementAndGet();
        if (active.incrementAndGet() > maxActive) {
            active.decrementAndGet();
            return false;
        }
        poll(postId, ackNanos, authorization);
        return true;
    }

    private void poll(long postId, long ackNanos, String authorization) {
        long sent = System.nanoTime();
        CompletableFuture<AggregatedHttpResponse> f;
        try {
            f = http.get("/api/v1/timelines/home?limit=1&min_id=" + (postId - 1), authorization);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((r, error) -> {
            long now = System.nanoTime();
            Outcome outcome = error != null ? Outcome.ERROR : Outcome.of(r.status().code());
            probeStats.complete(sent, now, outcome);
            if (outcome == Outcome.OK && r.contentUtf8().contains("\"id\":\"" + postId + "\"")) {
                long lagMicros = Math.max(1, (now - ackNanos) / 1000);
                synchronized (this) {
                    lags.recordValue(lagMicros);
                    samples.add(new Sample(postId, (ackNanos - origin) / 1e9, lagMicros / 1000.0));
                }
                active.decrementAndGet();
            } else if (now - ackNanos > timeoutNanos) {
                undelivered.incrementAndGet();
                synchronized (this) {
                    samples.add(new Sample(postId, (ackNanos - origin) / 1e9, -1));
                }
                active.decrementAndGet();
            } else {
                timer.schedule(() -> poll(postId, ackNanos, authorization), intervalNanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    public int active() {
        return active.get();
    }

    /** Posts whose probe timed out before the post appeared. */
    public long undelivered() {
        return undelivered.get();
    }

    /** Posts offered, sampled or not. */
    public long offered() {
        return offered.get();
    }

    /** Delivery lags in microseconds. */
    public synchronized Histogram lags() {
        return lags.copy();
    }

    /** Every followed post that was seen or timed out, in completion order. */
    public synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** Waits until no probe is active or {@code timeout} passes. */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (active.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
        return true;
    }
}
