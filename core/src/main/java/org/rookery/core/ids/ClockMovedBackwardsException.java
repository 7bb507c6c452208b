package org.rookery.core.ids;

/**
 * Thrown by {@link SnowflakeIdGenerator#nextId()} when the clock reads earlier than the timestamp of
 * the last id handed out and does not catch up within the generator's bound. Issuing an id then
 * would risk a duplicate or an id smaller than one already given out, so none is issued.
 *
 * <p>The failure is retriable: nothing changed in the generator, and once the clock has caught up
 * (typically after an NTP step backwards of a few milliseconds) the next call succeeds.
 */
public final class ClockMovedBackwardsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long clockMillis;
    private final long lastTimestampMillis;

    public ClockMovedBackwardsException(String message, long clockMillis, long lastTimestampMillis) {
        super(message);
        this.clockMillis = clockMillis;
        this.lastTimestampMillis = lastTimestampMillis;
    }

    /** The clock's last reading, in epoch milliseconds. */
    public long clockMillis() {
        return clockMillis;
    }

    /** The timestamp of the last id handed out, in epoch milliseconds; later than {@link #clockMillis()}. */
    public long lastTimestampMillis() {
        return lastTimestampMillis;
    }
}
