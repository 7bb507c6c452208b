package org.rookery.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.rookery.core.error.RookeryException;

/**
 * Request parameters from the query string and the body, whatever the body's form (JSON,
 * form-urlencoded, multipart/form-data), read the way Rails reads them for Mastodon: {@code ids[]=1}
 * and a JSON array both give a list; nested JSON objects flatten to {@code source[privacy]}.
 * Typed getters fail with a 400/422 naming the parameter. Not thread-safe.
 */
public final class Params {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    public void add(String name, String value) {
        String key = name.endsWith("[]") ? name.substring(0, name.length() - 2) : name;
        values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }

    /** Adds the fields of a JSON object body. */
    public void addJson(JsonNode node, String prefix) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = prefix.isEmpty() ? e.getKey() : prefix + "[" + e.getKey() + "]";
            JsonNode v = e.getValue();
            if (v.isArray()) {
                values.computeIfAbsent(name, k -> new ArrayList<>());
                for (JsonNode item : v) {
                    if (item.isValueNode() && !item.isNull()) {
                        add(name, item.asText());
                    }
                }
            } else if (v.isObject()) {
                addJson(v, name);
            } else if (!v.isNull()) {
                add(name, v.asText());
            }
        }
    }

    public boolean has(String name) {
        List<String> v = values.get(name);
        return v != null && !v.isEmpty();
    }

    public @Nullable String string(String name) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public String string(String name, String def) {
        String v = string(name);
        return v == null ? def : v;
    }

    public String required(String name) {
        String v = string(name);
        if (v == null || v.isBlank()) {
            throw RookeryException.invalid(name, "is required");
        }
        return v;
    }

    public List<String> list(String name) {
        List<String> v = values.get(name);
        return v == null ? List.of() : List.copyOf(v);
    }

    /** A boolean the way Rails reads one; null if absent. */
    public @Nullable Boolean bool(String name) {
        String v = string(name);
        if (v == null) {
            return null;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "on", "t", "yes" -> true;
            case "false", "0", "off", "f", "no", "" -> false;
            default -> throw RookeryException.badRequest(name, "must be true or false");
        };
    }

    public boolean bool(String name, boolean def) {
        Boolean b = bool(name);
        return b == null ? def : b;
    }

    /** A positive id; 0 if absent; 400 naming the parameter if it is not a number. */
    public long id(String name) {
        String v = string(name);
        if (v == null || v.isEmpty()) {
            return 0;
        }
        return parseId(name, v);
    }

    public static long parseId(String name, String v) {
        try {
            long id = Long.parseLong(v);
            if (id < 0) {
                throw RookeryException.badRequest(name, "must be a positive id");
            }
            return id;
        } catch (NumberFormatException e) {
            throw RookeryException.badRequest(name, "must be an id (digits), was " + abbreviate(v));
        }
    }

    /** {@code limit} clamped to [1, max], default {@code def}. */
    public int limit(int def, int max) {
        String v = string("limit");
        if (v == null || v.isEmpty()) {
            return def;
        }
        try {
            int n = Integer.parseInt(v);
            return Math.max(1, Math.min(max, n));
        } catch (NumberFormatException e) {
            throw RookeryException.badRequest("limit", "must be a number, was " + abbreviate(v));
        }
    }

    private static String abbreviate(String v) {
        return v.length() > 40 ? v.substring(0, 40) + "…" : v;
    }
}
