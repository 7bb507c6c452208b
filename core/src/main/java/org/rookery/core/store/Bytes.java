package org.rookery.core.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Big-endian key building and reading: key order equals numeric order for non-negative longs. */
public final class Bytes {
    private Bytes() {}

    public static byte[] key(long a) {
        byte[] k = new byte[8];
        putLong(k, 0, a);
        return k;
    }

    /** {@link #key(long)} of each id, in order: the keys of one multiget. */
    public static List<byte[]> keys(long[] ids) {
        List<byte[]> keys = new ArrayList<>(ids.length);
        for (long id : ids) {
            keys.add(key(id));
        }
        return keys;
    }

    public static byte[] key(long a, long b) {
        byte[] k = new byte[16];
        putLong(k, 0, a);
        putLong(k, 8, b);
        return k;
    }

    public static byte[] key(byte kind, long a) {
        byte[] k = new byte[9];
        k[0] = kind;
        putLong(k, 1, a);
        return k;
    }

    public static byte[] key(byte kind, long a, long b) {
        byte[] k = new byte[17];
        k[0] = kind;
        putLong(k, 1, a);
        putLong(k, 9, b);
        return k;
    }

    public static byte[] key(long a, String s) {
        byte[] sb = s.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[8 + sb.length];
        putLong(k, 0, a);
        System.arraycopy(sb, 0, k, 8, sb.length);
        return k;
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    public static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    /** Little-endian 64-bit, the encoding of RocksDB's {@code uint64add} merge operator. */
    public static byte[] littleEndian(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    public static long fromLittleEndian(byte[] b) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** The smallest key greater than every key that starts with {@code prefix}; empty if there is none (all 0xFF). */
    public static byte[] prefixEnd(byte[] prefix) {
        byte[] end = Arrays.copyOf(prefix, prefix.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[0];
    }
}
