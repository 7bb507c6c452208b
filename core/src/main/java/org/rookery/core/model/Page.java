package org.rookery.core.model;

/**
 * A page request over an id-ordered list, in Mastodon's terms: entries with ids below
 * {@code maxId} and above {@code sinceId}, newest first; or, with {@code minId}, the entries just
 * above {@code minId} (the page immediately newer than it), still returned newest first. 0 means
 * unset.
 */
public record Page(long maxId, long sinceId, long minId, int limit) {
    public static final int DEFAULT_LIMIT = 20;

    public Page {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
    }

    public static Page newest(int limit) {
        return new Page(0, 0, 0, limit);
    }

    /** Whether {@code id} lies inside the bounds (ignoring the limit). */
    public boolean contains(long id) {
        return (maxId == 0 || id < maxId) && id > Math.max(sinceId, minId);
    }
}
