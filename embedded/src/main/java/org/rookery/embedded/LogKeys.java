package org.rookery.embedded;

import org.rookery.core.store.Bytes;

/**
 * Key layouts of the event log's column families.
 *
 * <ul>
 *   <li>{@code event_log}: 2-byte partition + 8-byte offset, both big-endian, so one partition's
 *       events are contiguous and in offset order.
 *   <li>{@code consumer_offsets}: UTF-8 consumer name + {@code 0x00} + 2-byte partition → 8-byte
 *       big-endian next offset.
 *   <li>{@code default}: the log's own bookkeeping (partition count, per-partition start offset).
 * </ul>
 */
final class LogKeys {
    static final int EVENT_KEY_SIZE = 10;

    /** default CF: the partition count the store was created with (4 bytes, big-endian). */
    static final byte[] PARTITIONS = Bytes.utf8("log/partitions");

    private static final byte[] LOG_START = Bytes.utf8("log/start/");

    private LogKeys() {}

    static byte[] event(int partition, long offset) {
        byte[] k = new byte[EVENT_KEY_SIZE];
        k[0] = (byte) (partition >>> 8);
        k[1] = (byte) partition;
        Bytes.putLong(k, 2, offset);
        return k;
    }

    static int partition(byte[] eventKey) {
        return ((eventKey[0] & 0xFF) << 8) | (eventKey[1] & 0xFF);
    }

    static long offset(byte[] eventKey) {
        return Bytes.getLong(eventKey, 2);
    }

    /** The position key of consumer {@code name} (already UTF-8) in {@code partition}. */
    static byte[] position(byte[] name, int partition) {
        byte[] k = new byte[name.length + 3];
        System.arraycopy(name, 0, k, 0, name.length);
        k[name.length] = 0;
        k[name.length + 1] = (byte) (partition >>> 8);
        k[name.length + 2] = (byte) partition;
        return k;
    }

    /**
     * default CF: the first offset retention kept in {@code partition}. Saved with every cut so a
     * partition emptied by retention does not restart its offsets at 0 after a reopen.
     */
    static byte[] logStart(int partition) {
        byte[] k = new byte[LOG_START.length + 2];
        System.arraycopy(LOG_START, 0, k, 0, LOG_START.length);
        k[LOG_START.length] = (byte) (partition >>> 8);
        k[LOG_START.length + 1] = (byte) partition;
        return k;
    }

    static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static int int32(byte[] b) {
        if (b.length != 4) {
            throw new IllegalStateException("int32 value: " + b.length + " bytes (expected: 4)");
        }
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }
}
