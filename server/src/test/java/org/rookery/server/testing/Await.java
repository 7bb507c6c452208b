package org.rookery.server.testing;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waiting for a condition in tests, with a deadline instead of a sleep. */
public final class Await {
    private Await() {}

    /** Reads until {@code done} holds (at most 20 s) and returns the value that made it hold. */
    public static <T> T eventually(Supplier<T> read, Predicate<T> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        T v = read.get();
        while (!done.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s; last value: " + v);
            }
            Thread.onSpinWait();
            v = read.get();
        }
        return v;
    }
}
