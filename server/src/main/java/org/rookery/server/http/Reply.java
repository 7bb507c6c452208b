package org.rookery.server.http;

import com.linecorp.armeria.common.HttpStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a handler answers: a status, a body rendered as JSON (or raw HTML/bytes) and extra headers.
 * Not thread-safe.
 */
public final class Reply {
    final HttpStatus status;
    final @Nullable Object json;
    final @Nullable String html;
    final Map<String, String> headers = new LinkedHashMap<>();

    private Reply(HttpStatus status, @Nullable Object json, @Nullable String html) {
        this.status = status;
        this.json = json;
        this.html = html;
    }

    public static Reply json(Object body) {
        return new Reply(HttpStatus.OK, body, null);
    }

    public static Reply json(HttpStatus status, Object body) {
        return new Reply(status, body, null);
    }

    public static Reply html(HttpStatus status, String html) {
        return new Reply(status, null, html);
    }

    /** A 302 to {@code location}. */
    public static Reply redirect(String location) {
        return new Reply(HttpStatus.FOUND, null, "").header("location", location);
    }

    public Reply header(String name, String value) {
        headers.put(name, value);
        return this;
    }
}
