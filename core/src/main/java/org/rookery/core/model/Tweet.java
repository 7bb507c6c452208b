package org.rookery.core.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A tweet (a status in Mastodon's words): an original post, a reply, a quote, or a repost (which
 * carries no text of its own and points at the original through {@code repostOfId}). Ids that are
 * absent are 0.
 */
public record Tweet(
        long id,
        long authorId,
        String text,
        long createdAtMillis,
        long inReplyToId,
        long inReplyToAccountId,
        long repostOfId,
        long quoteOfId,
        Visibility visibility,
        String spoilerText,
        boolean sensitive,
        @Nullable String language,
        List<Long> mentionIds,
        List<String> hashtags,
        List<String> urls) {

    public Tweet {
        mentionIds = List.copyOf(mentionIds);
        hashtags = List.copyOf(hashtags);
        urls = List.copyOf(urls);
    }

    public boolean isRepost() {
        return repostOfId != 0;
    }

    public boolean isReply() {
        return inReplyToId != 0;
    }
}
