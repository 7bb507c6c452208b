package org.rookery.core.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Stores records as JSON bytes: readable with any tool, tolerant of added fields. Thread-safe. */
public final class RecordCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private RecordCodec() {}

    public static byte[] encode(Object record) {
        try {
            return MAPPER.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Each of {@code values} decoded into {@code out} (null stays null): the answer of a multiget.
     *
     * @return {@code out}
     */
    public static <T> @Nullable T[] decodeEach(List<byte @Nullable []> values, @Nullable T[] out, Class<T> type) {
        for (int i = 0; i < out.length; i++) {
            byte[] v = values.get(i);
            out[i] = v == null ? null : decode(v, type);
        }
        return out;
    }

    public static <T> T decode(byte[] bytes, Class<T> type) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt " + type.getSimpleName() + " record", e);
        }
    }
}
