package org.rookery.core.store;

import java.util.ArrayList;
import java.util.List;
import org.rookery.core.event.Event;

/**
 * The writes of one domain operation together with the events it appends to the log: applied all
 * or nothing, and durable (WAL synced) before {@link KeyValueStore#commit} completes. This is what
 * makes "acknowledged means durable" and "never a half-applied write" one mechanism.
 *
 * <p>Not thread-safe: one request builds one batch.
 */
public final class WriteBatch {
    /** One write. {@code value} is empty for deletes; for increments it holds the delta (8 bytes, little-endian). */
    public record Op(Kind kind, Table table, byte[] key, byte[] value) {}

    public enum Kind { PUT, DELETE, INCREMENT }

    private static final byte[] EMPTY = new byte[0];

    private final List<Op> ops = new ArrayList<>();
    private final List<Event> events = new ArrayList<>(1);

    public WriteBatch put(Table table, byte[] key, byte[] value) {
        ops.add(new Op(Kind.PUT, table, key, value));
        return this;
    }

    public WriteBatch delete(Table table, byte[] key) {
        ops.add(new Op(Kind.DELETE, table, key, EMPTY));
        return this;
    }

    /** Adds {@code delta} (may be negative) to the 64-bit counter at {@code key}. */
    public WriteBatch increment(Table table, byte[] key, long delta) {
        ops.add(new Op(Kind.INCREMENT, table, key, Bytes.littleEndian(delta)));
        return this;
    }

    /** Appends {@code event} to the event log in the same atomic, durable write. */
    public WriteBatch append(Event event) {
        events.add(event);
        return this;
    }

    /** The writes, in the order added (a read-only view). */
    public List<Op> ops() {
        return java.util.Collections.unmodifiableList(ops);
    }

    /** The events to append, in the order added (a read-only view). */
    public List<Event> events() {
        return java.util.Collections.unmodifiableList(events);
    }

    public boolean isEmpty() {
        return ops.isEmpty() && events.isEmpty();
    }
}
