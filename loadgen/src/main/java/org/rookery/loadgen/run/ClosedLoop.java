package org.rookery.loadgen.run;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * As fast as the server answers: {@code concurrency} requests in flight, each sent the moment the
 * previous one of its slot ends, for a fixed time. This is how the {@code ceiling} is found (the
 * highest rate the box sustains); its latencies are measured from each send, so under a closed loop
 * they describe the server at saturation, not what users at a given arrival rate would see (use
 * the open loop for that). Thread-safe; one run per instance.
 */
public final class ClosedLoop {
    private final OpStats stats;
    private final OpenLoop.Operation operation;
    private final int concurrency;

    public ClosedLoop(OpStats stats, OpenLoop.Operation operation, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: > 0)");
        }
        this.stats = stats;
        this.operation = operation;
        this.concurrency = concurrency;
    }

    /** Runs until {@code endNanos} (a {@link System#nanoTime()}), then waits for the slots to drain. */
    public void run(long endNanos) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            next(endNanos, done);
        }
        done.await(endNanos - System.nanoTime() + TimeUnit.SECONDS.toNanos(30), TimeUnit.NANOSECONDS);
    }

    private void next(long endNanos, CountDownLatch done) {
        long sent = System.nanoTime();
        if (sent - endNanos >= 0) {
            done.countDown();
            return;
        }
        java.util.concurrent.CompletableFuture<Outcome> f;
        try {
            f = operation.issue();
        } catch (RuntimeException e) {
            f = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        f.whenComplete((outcome, error) -> {
            stats.complete(sent, System.nanoTime(), error != null || outcome == null ? Outcome.ERROR : outcome);
            if (error != null) {
                // Do not spin on a dead server: a failed slot waits a millisecond before its next request.
                java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS)
                        .execute(() -> next(endNanos, done));
            } else {
                next(endNanos, done);
            }
        });
    }
}
