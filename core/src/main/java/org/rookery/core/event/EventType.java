package org.rookery.core.event;

/** What happened. The byte code is the wire form; never reuse one. */
public enum EventType {
    /** actor posted tweet {@code subject}; {@code object} is the replied-to, reposted or quoted tweet or 0. */
    TWEET_CREATED(1),
    /** actor deleted tweet {@code subject}; {@code object} as at creation. */
    TWEET_DELETED(2),
    /**
     * actor follows user {@code subject}; {@code object} is {@link #FOLLOW_IMPORTED} when the follow
     * came from an operator's bulk import (a relationship that already existed elsewhere), else 0.
     */
    FOLLOWED(3),
    /** actor stopped following user {@code subject}. */
    UNFOLLOWED(4),
    /** actor asked to follow protected user {@code subject}. */
    FOLLOW_REQUESTED(5),
    /** actor ({@code subject}'s target) rejected the request of user {@code subject}. */
    FOLLOW_REQUEST_REJECTED(6),
    BLOCKED(7),
    UNBLOCKED(8),
    MUTED(9),
    UNMUTED(10),
    /** actor favourited tweet {@code subject} written by {@code object}. */
    FAVOURITED(11),
    UNFAVOURITED(12),
    /** actor reposted tweet {@code object} as repost {@code subject}. */
    REPOSTED(13),
    /** actor removed repost {@code subject} of tweet {@code object}. */
    UNREPOSTED(14),
    /** actor signed up. */
    ACCOUNT_CREATED(15),
    /** actor changed their profile or protected flag. */
    ACCOUNT_UPDATED(16),
    /** actor changed the options (show reposts, notify) of their follow of {@code subject}. */
    FOLLOW_UPDATED(17);

    private static final EventType[] BY_CODE = new EventType[32];

    static {
        for (EventType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    EventType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static EventType ofCode(int code) {
        EventType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) {
            throw new IllegalArgumentException("code: " + code + " (expected: a known event type)");
        }
        return t;
    }

    /** {@link #FOLLOWED}'s {@code object} for a bulk-imported follow: nobody is notified of it. */
    public static final long FOLLOW_IMPORTED = 1;
}
