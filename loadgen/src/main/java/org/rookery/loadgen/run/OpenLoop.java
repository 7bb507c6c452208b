package org.rookery.loadgen.run;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The open-loop scheduler, as wrk2 does it: each stream's requests are due at fixed intervals from
 * the start ({@code start + k / rate}), whether or not earlier ones have answered, and each
 * request's latency is measured from the time it was <em>due</em>, not from when it was sent, so a
 * stalled server (or a stalled generator: a GC pause, a slow send) shows up as latency of every
 * request that should have gone out meanwhile: no coordinated omission. How late each request was
 * sent is recorded apart ({@link OpStats#sent}), so a report can tell the generator's part. One
 * thread sends for all streams, always the stream whose next request is due first; when it is
 * behind it sends back-to-back until it has caught up. At most {@code maxOutstanding} requests are
 * in flight; a request due while that many are outstanding is counted as overflow in its stream's
 * stats (and reported), never silently skipped.
 *
 * <pre>{@code
 * OpenLoop loop = new OpenLoop(List.of(new OpenLoop.Stream(homeStats, home, RateProfile.constant(1000))), 10_000);
 * loop.run(System.nanoTime(), Duration.ofSeconds(30).toNanos());
 * loop.awaitQuiet(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>{@link #run} is meant for one thread; {@link #outstanding()} may be read from any.
 */
public final class OpenLoop {
    /** Sends one request now; the future tells how it ended. */
    @FunctionalInterface
    public interface Operation {
        CompletableFuture<Outcome> issue();
    }

    /** One operation at one rate profile, recorded in {@code stats}. */
    public record Stream(OpStats stats, Operation operation, RateProfile profile) {
    }

    private final List<Stream> streams;
    private final int maxOutstanding;
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile boolean stopped;

    public OpenLoop(List<Stream> streams, int maxOutstanding) {
        if (maxOutstanding < 1) {
            throw new IllegalArgumentException("maxOutstanding: " + maxOutstanding + " (expected: > 0)");
        }
        this.streams = List.copyOf(streams);
        this.maxOutstanding = maxOutstanding;
    }

    public int outstanding() {
        return outstanding.get();
    }

    /** Makes {@link #run} return at its next step. */
    public void stop() {
        stopped = true;
    }

    /**
     * Sends every stream's schedule from {@code startNanos} (a {@link System#nanoTime()}) for
     * {@code durationNanos}; returns when the last request is sent, not answered.
     */
    public void run(long startNanos, long durationNanos) {
        int n = streams.size();
        int[] phase = new int[n];
        long[] phaseStart = new long[n];
        long[] phaseEnd = new long[n];
        long[] k = new long[n];
        long[] due = new long[n];
        for (int s = 0; s < n; s++) {
            phase[s] = -1;
            due[s] = advancePhase(s, phase, phaseStart, phaseEnd, k, durationNanos);
        }
        while (!stopped) {
            int next = -1;
            for (int s = 0; s < n; s++) {
                if (due[s] != Long.MAX_VALUE && (next < 0 || due[s] < due[next])) {
                    next = s;
                }
            }
            if (next < 0) {
                return;
            }
            long scheduled = startNanos + due[next];
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0 && !stopped) {
                LockSupport.parkNanos(wait);
            }
            send(streams.get(next), scheduled);
            k[next]++;
            Stream st = streams.get(next);
            double rate = st.profile().rate(phase[next]);
            long offset = phaseStart[next] + (long) (k[next] * 1e9 / rate);
            due[next] = offset < phaseEnd[next]
                    ? offset
                    : advancePhase(next, phase, phaseStart, phaseEnd, k, durationNanos);
        }
    }

    /** Moves stream {@code s} to its next phase with a non-zero rate; its first due offset, or MAX_VALUE. */
    private long advancePhase(int s, int[] phase, long[] phaseStart, long[] phaseEnd, long[] k, long durationNanos) {
        RateProfile p = streams.get(s).profile();
        while (++phase[s] < p.phaseCount()) {
            long start = (long) (p.startSeconds(phase[s]) * 1e9);
            long end = phase[s] + 1 < p.phaseCount() ? (long) (p.startSeconds(phase[s] + 1) * 1e9) : durationNanos;
            end = Math.min(end, durationNanos);
            if (start >= durationNanos) {
                break;
            }
            if (p.rate(phase[s]) > 0 && end > start) {
                phaseStart[s] = start;
                phaseEnd[s] = end;
                k[s] = 0;
                return start;
            }
        }
        return Long.MAX_VALUE;
    }

    private void send(Stream s, long scheduled) {
        if (outstanding.get() >= maxOutstanding) {
            s.stats().overflow(scheduled);
            return;
        }
        outstanding.incrementAndGet();
        s.stats().sent(scheduled, System.nanoTime());
        CompletableFuture<Outcome> f;
        try {
            f = s.operation().issue();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((outcome, error) -> {
            outstanding.decrementAndGet();
            s.stats().complete(scheduled, System.nanoTime(), error != null || outcome == null ? Outcome.ERROR : outcome);
        });
    }

    /** Waits until no request is outstanding or {@code timeout} passes; true if quiet. */
    public boolean awaitQuiet(java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (outstanding.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }
}
