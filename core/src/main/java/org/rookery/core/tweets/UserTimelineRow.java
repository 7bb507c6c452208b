package org.rookery.core.tweets;

import org.jspecify.annotations.Nullable;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.store.Bytes;

/**
 * The value of a user-timeline entry ({@code Table.USER_TIMELINES}, key author + tweet id): what a
 * home-timeline reconstruction needs to apply {@code TimelineRules} without reading the tweet, the
 * way Twitter's timeline entries carry the author and a few bits beside the tweet id. A rebuild scans
 * these rows anyway to find the followed accounts' recent tweets, so most candidates are decided
 * there; only the few the row cannot decide (direct tweets, mentions when the reader blocks or mutes
 * someone) are fetched and decoded.
 *
 * <p>Layout: one flag byte, then the replied-to account (8 bytes) when {@link #FLAG_REPLY}, then the
 * reposted original's author (8 bytes) when {@link #FLAG_REPOST}. Rows written before the layout
 * carried anything but the flag byte lack {@link #FLAG_DESCRIBED}; readers treat those as undecided.
 * Stateless.
 */
public final class UserTimelineRow {
    /** A reply to another account's tweet (the row carries that account). */
    public static final int FLAG_REPLY = 1;
    /** A repost (the row carries the original's author). */
    public static final int FLAG_REPOST = 2;
    /** A reply to the author's own tweet (a thread). */
    public static final int FLAG_SELF_REPLY = 4;
    /** A direct tweet: it belongs only in the timelines of the accounts it mentions. */
    public static final int FLAG_DIRECT = 8;
    /** The tweet, or a repost's original, mentions accounts. */
    public static final int FLAG_MENTIONS = 16;
    /** The row carries the fields above; without it only REPLY, REPOST and SELF_REPLY are known. */
    public static final int FLAG_DESCRIBED = 64;

    private UserTimelineRow() {}

    /** The row for {@code t}; {@code original} is the reposted tweet when {@code t} is a repost. */
    public static byte[] of(Tweet t, @Nullable Tweet original) {
        int flags = FLAG_DESCRIBED;
        if (t.isRepost()) {
            if (original == null) {
                throw new IllegalArgumentException("a repost's row needs its original");
            }
            flags |= FLAG_REPOST | (original.mentionIds().isEmpty() ? 0 : FLAG_MENTIONS);
        } else {
            if (t.isReply()) {
                flags |= t.inReplyToAccountId() == t.authorId() ? FLAG_SELF_REPLY : FLAG_REPLY;
            }
            flags |= (t.visibility() == Visibility.DIRECT ? FLAG_DIRECT : 0)
                    | (t.mentionIds().isEmpty() ? 0 : FLAG_MENTIONS);
        }
        byte[] row = new byte[1 + ((flags & FLAG_REPLY) != 0 ? 8 : 0) + ((flags & FLAG_REPOST) != 0 ? 8 : 0)];
        row[0] = (byte) flags;
        int at = 1;
        if ((flags & FLAG_REPLY) != 0) {
            Bytes.putLong(row, at, t.inReplyToAccountId());
            at += 8;
        }
        if ((flags & FLAG_REPOST) != 0) {
            Bytes.putLong(row, at, original.authorId());
        }
        return row;
    }

    /** The row's flags (0 for an empty row). */
    public static int flags(byte[] row) {
        return row.length == 0 ? 0 : row[0] & 0xff;
    }

    /** Whether the row carries the fields a rule check needs. */
    public static boolean described(byte[] row) {
        return (flags(row) & FLAG_DESCRIBED) != 0;
    }

    /** The replied-to account of a described {@link #FLAG_REPLY} row. */
    public static long replyToAccount(byte[] row) {
        return Bytes.getLong(row, 1);
    }

    /** The reposted original's author of a described {@link #FLAG_REPOST} row. */
    public static long originalAuthor(byte[] row) {
        return Bytes.getLong(row, (flags(row) & FLAG_REPLY) != 0 ? 9 : 1);
    }
}
