package org.rookery.core.activity;

import java.util.Optional;

/**
 * One entry of a user's notification timeline: {@code accountId} did something of {@code type} that
 * concerns the owner, about status {@code statusId} (0 for follows and follow requests).
 *
 * @param id the id of the event that caused it (a Snowflake id, so notifications sort by time and a
 *           re-delivered event writes the same notification again)
 * @param statusId the status a client shows with it: the mentioning status, the favourited status, or
 *                 the original of a repost
 * @param createdAtMillis when the event was accepted (epoch ms)
 */
public record Notification(long id, Type type, long accountId, long statusId, long createdAtMillis) {

    /** The kinds of notification, under Mastodon's names. The byte code is the stored form; never reuse one. */
    public enum Type {
        /** A status mentions the owner (a reply to the owner mentions them too). */
        MENTION(1, "mention"),
        /** Someone reposted the owner's status. */
        REBLOG(2, "reblog"),
        /** Someone favourited the owner's status. */
        FAVOURITE(3, "favourite"),
        /** Someone followed the owner. */
        FOLLOW(4, "follow"),
        /** Someone asked to follow the owner's protected account. */
        FOLLOW_REQUEST(5, "follow_request");

        private static final Type[] BY_CODE = new Type[8];

        static {
            for (Type t : values()) {
                BY_CODE[t.code] = t;
            }
        }

        private final int code;
        private final String apiName;

        Type(int code, String apiName) {
            this.code = code;
            this.apiName = apiName;
        }

        public int code() {
            return code;
        }

        /** The name in the Mastodon API ({@code favourite}, {@code follow_request}, ...). */
        public String apiName() {
            return apiName;
        }

        /** Whether notifications of this type carry a status. */
        public boolean hasStatus() {
            return this == MENTION || this == REBLOG || this == FAVOURITE;
        }

        public static Type ofCode(int code) {
            Type t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
            if (t == null) {
                throw new IllegalArgumentException("code: " + code + " (expected: a known notification type)");
            }
            return t;
        }

        /** The type an API name names; empty for names this server does not produce. */
        public static Optional<Type> ofApiName(String name) {
            for (Type t : values()) {
                if (t.apiName.equals(name)) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }
    }
}
