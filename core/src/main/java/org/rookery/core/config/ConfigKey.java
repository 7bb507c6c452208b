package org.rookery.core.config;

import java.util.Locale;
import java.util.function.Function;

/**
 * One setting: its name, type, default and documentation, declared once in {@link Settings}.
 *
 * @param name the dotted name, e.g. {@code rookery.port}; the environment variable is derived from it
 */
public record ConfigKey<T>(String name, Class<T> type, T defaultValue, String doc, Function<String, T> parser) {

    /** The environment variable that sets this key: {@code rookery.data.dir} → {@code ROOKERY_DATA_DIR}. */
    public String envName() {
        return name.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** Parses {@code raw} or fails naming this key. */
    public T parse(String raw) {
        try {
            return parser.apply(raw.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + ": " + raw + " (expected: " + type.getSimpleName()
                    + (e.getMessage() == null ? "" : "; " + e.getMessage()) + ")", e);
        }
    }
}
