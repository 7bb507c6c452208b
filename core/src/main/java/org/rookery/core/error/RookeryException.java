package org.rookery.core.error;

import org.jspecify.annotations.Nullable;

/**
 * A client-visible failure with the HTTP status it maps to, a short error and a description that
 * names the offending field where there is one. The API turns it into
 * {@code {"error": "...", "error_description": "..."}}.
 */
public class RookeryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final @Nullable String field;

    public RookeryException(int status, String message, @Nullable String field) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    /** The HTTP status this failure maps to. */
    public int status() {
        return status;
    }

    /** The request field at fault, or null when the failure is not about one field. */
    public @Nullable String field() {
        return field;
    }

    /** A bad or missing field: 422 in Mastodon's API. */
    public static RookeryException invalid(String field, String message) {
        return new RookeryException(422, field + ": " + message, field);
    }

    /** A malformed request (unparseable body, wrong parameter type): 400. */
    public static RookeryException badRequest(String field, String message) {
        return new RookeryException(400, field + ": " + message, field);
    }

    /** Missing, or hidden from this viewer: both look the same. */
    public static RookeryException notFound() {
        return new RookeryException(404, "Record not found", null);
    }

    public static RookeryException unauthorized(String message) {
        return new RookeryException(401, message, null);
    }

    public static RookeryException forbidden(String message) {
        return new RookeryException(403, message, null);
    }

    public static RookeryException conflict(String field, String message) {
        return new RookeryException(409, field + ": " + message, field);
    }
}
