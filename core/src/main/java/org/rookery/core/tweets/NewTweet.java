package org.rookery.core.tweets;

import org.jspecify.annotations.Nullable;
import org.rookery.core.model.Visibility;

/**
 * What a client asks to post. Ids that are absent are 0; a null visibility means the author's
 * default (public, or private for a protected account).
 */
public record NewTweet(
        String text,
        long inReplyToId,
        long quoteOfId,
        @Nullable Visibility visibility,
        String spoilerText,
        boolean sensitive,
        @Nullable String language,
        @Nullable String idempotencyKey) {

    public static NewTweet of(String text) {
        return new NewTweet(text, 0, 0, null, "", false, null, null);
    }

    public NewTweet replyingTo(long id) {
        return new NewTweet(text, id, quoteOfId, visibility, spoilerText, sensitive, language, idempotencyKey);
    }

    public NewTweet quoting(long id) {
        return new NewTweet(text, inReplyToId, id, visibility, spoilerText, sensitive, language, idempotencyKey);
    }

    public NewTweet withIdempotencyKey(String key) {
        return new NewTweet(text, inReplyToId, quoteOfId, visibility, spoilerText, sensitive, language, key);
    }

    public NewTweet withVisibility(Visibility v) {
        return new NewTweet(text, inReplyToId, quoteOfId, v, spoilerText, sensitive, language, idempotencyKey);
    }
}
