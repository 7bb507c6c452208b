package org.rookery.core.event;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Where a new subscription starts when the consumer has no saved position, or where to move it:
 * the earliest retained event, the end of the log, or the first event at or after a point in time.
 */
public record StartFrom(Kind kind, @Nullable Instant time) {
    public enum Kind { SAVED_OR_EARLIEST, SAVED_OR_LATEST, EARLIEST, LATEST, TIME }

    public StartFrom {
        if ((kind == Kind.TIME) != (time != null)) {
            throw new IllegalArgumentException("time: " + time + " (expected: set exactly when kind is TIME)");
        }
    }

    /** The saved position; the earliest retained event for a consumer never seen before. */
    public static StartFrom savedOrEarliest() {
        return new StartFrom(Kind.SAVED_OR_EARLIEST, null);
    }

    /** The saved position; the end of the log for a consumer never seen before. */
    public static StartFrom savedOrLatest() {
        return new StartFrom(Kind.SAVED_OR_LATEST, null);
    }

    public static StartFrom earliest() {
        return new StartFrom(Kind.EARLIEST, null);
    }

    public static StartFrom latest() {
        return new StartFrom(Kind.LATEST, null);
    }

    /** Rewind (or skip) to the first event accepted at or after {@code time}: "2 hours ago". */
    public static StartFrom time(Instant time) {
        return new StartFrom(Kind.TIME, time);
    }
}
