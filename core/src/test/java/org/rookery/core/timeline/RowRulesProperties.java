package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.tweets.UserTimelineRow;

/**
 * {@link TimelineRules#belongsByRow} against {@link TimelineRules#belongs}: over six accounts and
 * every kind of tweet (plain, thread, reply to another, repost, direct; with and without mentions),
 * and readers with any follows, hidden reposts, blocks, mutes and blockers, a row that decides decides
 * as the tweet would; and a row decides everything but direct tweets and mentions of a reader who
 * blocks or mutes someone, which is what keeps a reconstruction from fetching the tweets.
 */
class RowRulesProperties {
    private static final long READER = 1;

    record Case(Tweet tweet, Tweet original, TimelineRules.Reader reader) {}

    @Property(tries = 3000)
    void aDecidingRowAgreesWithTheTweet(@ForAll("cases") Case c) {
        byte[] row = UserTimelineRow.of(c.tweet(), c.original());
        int verdict = TimelineRules.belongsByRow(c.reader(), c.tweet().authorId(), row);
        boolean belongs = TimelineRules.belongs(c.reader(), c.tweet(), c.original());
        if (verdict != TimelineRules.UNDECIDED) {
            assertThat(verdict).as("%s", c).isEqualTo(belongs ? TimelineRules.ACCEPT : TimelineRules.REJECT);
        }
        boolean mentions = !(c.original() != null ? c.original() : c.tweet()).mentionIds().isEmpty();
        boolean mayNeedTweet = c.tweet().visibility() == Visibility.DIRECT && mentions
                || mentions && c.reader().blocksOrMutes().length > 0;
        if (!mayNeedTweet) {
            assertThat(verdict).as("decided without the tweet: %s", c).isNotEqualTo(TimelineRules.UNDECIDED);
        }
    }

    @Property(tries = 50)
    void aRowWrittenBeforeRowsDescribedTheirTweetIsUndecided(@ForAll("cases") Case c) {
        int oldFlags = c.tweet().isRepost() ? UserTimelineRow.FLAG_REPOST : 0;
        assertThat(TimelineRules.belongsByRow(c.reader(), c.tweet().authorId(), new byte[] {(byte) oldFlags}))
                .isEqualTo(TimelineRules.UNDECIDED);
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Long> account = Arbitraries.longs().between(1, 6);
        Arbitrary<List<Long>> accounts = account.list().ofMaxSize(3).uniqueElements();
        Arbitrary<Tweet> plain = Combinators.combine(account, accounts, Arbitraries.of(Visibility.class),
                Arbitraries.integers().between(0, 2), account).as((author, mentions, vis, kind, to) -> {
                    long replyTo = kind == 0 ? 0 : kind == 1 ? author : to;
                    return tweet(100, author, kind == 0 ? 0 : 50, replyTo, 0, vis, mentions);
                });
        Arbitrary<TimelineRules.Reader> reader = Combinators.combine(accounts, accounts, accounts, accounts)
                .as((follows, hides, blocksOrMutes, blockedBy) -> new TimelineRules.Reader(READER,
                        ids(follows), ids(hides), ids(blocksOrMutes), ids(blockedBy)));
        Arbitrary<Case> original = Combinators.combine(plain, reader).as((t, r) -> new Case(t, null, r));
        Arbitrary<Case> repost = Combinators.combine(plain.filter(t -> t.visibility() != Visibility.DIRECT), account,
                reader).as((o, reposter, r) -> new Case(
                        tweet(200, reposter, 0, 0, o.id(), Visibility.PUBLIC, List.of()), o, r));
        return Arbitraries.oneOf(original, repost);
    }

    private static Tweet tweet(long id, long author, long inReplyTo, long replyTo, long repostOf, Visibility vis,
                               List<Long> mentions) {
        return new Tweet(id, author, "", 0, inReplyTo, replyTo, repostOf, 0, vis, "", false, null, mentions,
                List.of(), List.of());
    }

    private static long[] ids(List<Long> l) {
        return l.stream().mapToLong(Long::longValue).toArray();
    }
}
