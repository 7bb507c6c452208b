package org.rookery.core.config;

import java.util.HashMap;
import java.util.Map;

/**
 * Resolved settings: explicit values (command line) over environment variables over defaults.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * Config config = Config.builder().env(System.getenv()).set("rookery.port", "8080").build();
 * int port = config.get(Settings.PORT);
 * }</pre>
 */
public final class Config {
    private final Map<String, Object> values;

    private Config(Map<String, Object> values) {
        this.values = Map.copyOf(values);
    }

    public static Config defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        Object v = values.get(key.name());
        return v == null ? key.defaultValue() : (T) v;
    }

    /** A builder that starts from this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        return b;
    }

    /** Collects values; each is parsed and validated when set. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Object> values = new HashMap<>();

        private Builder() {}

        /** Takes every key whose environment variable is present in {@code env}. */
        public Builder env(Map<String, String> env) {
            for (ConfigKey<?> k : Settings.all()) {
                String raw = env.get(k.envName());
                if (raw != null && !raw.isBlank()) {
                    values.put(k.name(), k.parse(raw));
                }
            }
            return this;
        }

        /** Sets {@code name} from its text form; fails on an unknown key or a bad value. */
        public Builder set(String name, String raw) {
            ConfigKey<?> key = Settings.all().stream().filter(k -> k.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown setting: " + name
                            + " (see docs/configuration.md)"));
            values.put(name, key.parse(raw));
            return this;
        }

        public <T> Builder set(ConfigKey<T> key, T value) {
            values.put(key.name(), value);
            return this;
        }

        public Config build() {
            return new Config(values);
        }
    }
}
