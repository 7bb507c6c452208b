package org.rookery.core.model;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Who may see a tweet, in Mastodon's words. */
public enum Visibility {
    /** Everyone, and listed in public timelines. */
    PUBLIC,
    /** Everyone, but not listed in public timelines. */
    UNLISTED,
    /** The author's followers (and mentioned users). */
    PRIVATE,
    /** Only mentioned users. */
    DIRECT;

    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses an API value; null when it names no visibility. */
    public static @Nullable Visibility parse(String s) {
        return switch (s) {
            case "public" -> PUBLIC;
            case "unlisted" -> UNLISTED;
            case "private" -> PRIVATE;
            case "direct" -> DIRECT;
            default -> null;
        };
    }
}
