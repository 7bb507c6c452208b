package org.rookery.core.timeline;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.tweets.UserTimelineRow;

/**
 * Which tweets belong in a home timeline: the business rules Twitter and Mastodon apply
 * (Mastodon's {@code FeedManager#filter_from_home}), in one place, as pure functions of the reader's
 * relationships. Fanout, reconstruction, the read path and the brute-force model in the tests all use
 * these, so they cannot drift apart. Thread-safe (stateless).
 *
 * <ul>
 *   <li>The reader's own tweets always belong.</li>
 *   <li>Otherwise the reader must follow the author; a direct tweet also needs the reader mentioned.</li>
 *   <li>Nothing whose author, mentioned accounts, reposted author or replied-to account the reader
 *       blocks or mutes; nothing from an author who blocks the reader.</li>
 *   <li>A reply to someone else belongs only if the reader follows the replied-to account or is it.</li>
 *   <li>A repost belongs only if the reader shows the reposter's reposts and the original's author
 *       does not block the reader.</li>
 *   <li>A repost is hidden when its original, or another repost of it, is among the
 *       {@link #REPOST_WINDOW} entries just older than it ({@link #hiddenAsRepeat}).</li>
 * </ul>
 */
public final class TimelineRules {
    /** Mastodon's REBLOG_FALLOFF: a repost of something this close below is not shown again. */
    public static final int REPOST_WINDOW = 40;

    private TimelineRules() {}

    /** The reader's relationships, as sorted id sets. */
    public record Reader(long id, long[] follows, long[] hidesRepostsOf, long[] blocksOrMutes, long[] blockedBy) {
        public Reader {
            follows = sorted(follows);
            hidesRepostsOf = sorted(hidesRepostsOf);
            blocksOrMutes = sorted(blocksOrMutes);
            blockedBy = sorted(blockedBy);
        }

        public boolean follows(long user) {
            return Arrays.binarySearch(follows, user) >= 0;
        }

        public boolean hidesRepostsOf(long user) {
            return Arrays.binarySearch(hidesRepostsOf, user) >= 0;
        }

        public boolean blocksOrMutes(long user) {
            return Arrays.binarySearch(blocksOrMutes, user) >= 0;
        }

        public boolean isBlockedBy(long user) {
            return Arrays.binarySearch(blockedBy, user) >= 0;
        }

        private static long[] sorted(long[] a) {
            long[] c = a.clone();
            Arrays.sort(c);
            return c;
        }
    }

    /**
     * Whether {@code t} belongs in {@code reader}'s home timeline ({@code original}: the reposted
     * tweet when {@code t} is a repost; a repost whose original is gone does not belong).
     */
    public static boolean belongs(Reader reader, Tweet t, @Nullable Tweet original) {
        long r = reader.id();
        if (t.isRepost() && original == null) {
            return false;
        }
        if (t.authorId() == r) {
            return true;
        }
        if (!reader.follows(t.authorId())) {
            return false;
        }
        if (t.visibility() == Visibility.DIRECT && !t.mentionIds().contains(r)) {
            return false;
        }
        if (reader.blocksOrMutes(t.authorId()) || reader.isBlockedBy(t.authorId()) || mentionsHidden(reader, t)) {
            return false;
        }
        if (t.isRepost()) {
            return !reader.hidesRepostsOf(t.authorId())
                    && !reader.blocksOrMutes(original.authorId())
                    && !reader.isBlockedBy(original.authorId())
                    && !mentionsHidden(reader, original);
        }
        if (t.isReply() && t.inReplyToAccountId() != t.authorId()) {
            long to = t.inReplyToAccountId();
            return !reader.blocksOrMutes(to) && (to == r || reader.follows(to));
        }
        return true;
    }

    /** {@link #belongsByRow}: the row says the tweet belongs. */
    public static final int ACCEPT = 1;
    /** {@link #belongsByRow}: the row says the tweet does not belong. */
    public static final int REJECT = 0;
    /** {@link #belongsByRow}: the row cannot tell; apply {@link #belongs} to the tweet. */
    public static final int UNDECIDED = -1;

    /**
     * {@link #belongs}, decided from {@code author}'s user-timeline row for the tweet
     * ({@link UserTimelineRow}) where the row carries enough: {@link #ACCEPT}, {@link #REJECT} or
     * {@link #UNDECIDED} (direct tweets to someone, mentions when the reader blocks or mutes anyone,
     * rows written before rows described their tweet). Where it decides, it agrees with {@link #belongs}
     * for every tweet that still exists; a repost whose original is gone is accepted here and dropped
     * by the read that meets it, as every read drops deleted entries.
     */
    public static int belongsByRow(Reader reader, long author, byte[] row) {
        if (!UserTimelineRow.described(row)) {
            return UNDECIDED;
        }
        int flags = UserTimelineRow.flags(row);
        long r = reader.id();
        if (author == r) {
            return ACCEPT;
        }
        if (!reader.follows(author)) {
            return REJECT;
        }
        boolean mentions = (flags & UserTimelineRow.FLAG_MENTIONS) != 0;
        if ((flags & UserTimelineRow.FLAG_DIRECT) != 0) {
            if (!mentions) {
                return REJECT;
            }
            return UNDECIDED; // is the reader among the mentioned?
        }
        if (reader.blocksOrMutes(author) || reader.isBlockedBy(author)) {
            return REJECT;
        }
        if (mentions && reader.blocksOrMutes().length > 0) {
            return UNDECIDED; // is a mentioned account among them?
        }
        if ((flags & UserTimelineRow.FLAG_REPOST) != 0) {
            long oa = UserTimelineRow.originalAuthor(row);
            return reader.hidesRepostsOf(author) || reader.blocksOrMutes(oa) || reader.isBlockedBy(oa) ? REJECT : ACCEPT;
        }
        if ((flags & UserTimelineRow.FLAG_REPLY) != 0) {
            long to = UserTimelineRow.replyToAccount(row);
            return !reader.blocksOrMutes(to) && (to == r || reader.follows(to)) ? ACCEPT : REJECT;
        }
        return ACCEPT;
    }

    private static boolean mentionsHidden(Reader reader, Tweet t) {
        for (long m : t.mentionIds()) {
            if (reader.blocksOrMutes(m)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Marks the reposts that repeat something shown just below them: entry {@code i} (ids newest
     * first, {@code contentIds[i]} = the original's id for a repost, the id itself otherwise) is hidden
     * when it is a repost and the same content appears among the {@link #REPOST_WINDOW} entries older
     * than it. Order-independent: the result depends only on the list, so fanout order and deletes
     * cannot make two copies of a timeline disagree.
     */
    public static boolean[] hiddenAsRepeat(long[] ids, long[] contentIds, int n) {
        boolean[] hidden = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (contentIds[i] == ids[i]) {
                continue; // not a repost
            }
            int end = Math.min(n, i + 1 + REPOST_WINDOW);
            for (int j = i + 1; j < end; j++) {
                if (contentIds[j] == contentIds[i]) {
                    hidden[i] = true;
                    break;
                }
            }
        }
        return hidden;
    }
}
