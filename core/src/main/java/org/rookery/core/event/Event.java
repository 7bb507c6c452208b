package org.rookery.core.event;

import java.nio.ByteBuffer;

/**
 * One entry of the event log: who ({@code actorId}) did what ({@code type}) to what
 * ({@code subjectId}, {@code objectId}), when. Events are small and fixed-size; consumers read
 * whatever else they need from the store. The log is partitioned by {@code actorId}, so one actor's
 * events stay in order.
 *
 * @param id a Snowflake id, unique per event: consumers use it to apply events idempotently
 * @param timestampMillis when the event was accepted (epoch ms)
 */
public record Event(long id, EventType type, long actorId, long subjectId, long objectId, long timestampMillis) {

    /** Size of {@link #toBytes()}. */
    public static final int SIZE = 1 + 1 + 8 * 5;
    private static final byte VERSION = 1;

    public byte[] toBytes() {
        return ByteBuffer.allocate(SIZE)
                .put(VERSION)
                .put((byte) type.code())
                .putLong(id)
                .putLong(actorId)
                .putLong(subjectId)
                .putLong(objectId)
                .putLong(timestampMillis)
                .array();
    }

    public static Event fromBytes(byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        byte version = buf.get();
        if (version != VERSION) {
            throw new IllegalArgumentException("event version: " + version + " (expected: " + VERSION + ")");
        }
        EventType type = EventType.ofCode(buf.get());
        return new Event(buf.getLong(), type, buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong());
    }

    /** The same event with the log's accept time. */
    public Event withTimestamp(long millis) {
        return new Event(id, type, actorId, subjectId, objectId, millis);
    }
}
