package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.tweets.Context;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.tweets.TweetCounts;
import org.rookery.core.tweets.TweetService;

class TweetServiceTest {
    private static final long SIGNED_OUT = 0;

    @TempDir
    Path dir;

    private ServiceFixture f;
    private Account alice;
    private Account bob;
    private Account carol;

    @BeforeEach
    void open() {
        f = ServiceFixture.open(dir);
        alice = f.signUp("alice");
        bob = f.signUp("bob");
        carol = f.signUp("carol");
    }

    @AfterEach
    void close() {
        f.close();
    }

    private Tweet post(Account author, String text) {
        return f.tweets.post(author.id(), NewTweet.of(text));
    }

    private Tweet post(Account author, NewTweet req) {
        return f.tweets.post(author.id(), req);
    }

    private TweetCounts counts(Tweet t) {
        return f.tweets.counts(new long[] {t.id()})[0];
    }

    private long statuses(Account a) {
        return f.users.counts(a.id()).statuses();
    }

    private long totalTweets() {
        return f.users.totals()[1];
    }

    private List<Long> timeline(long viewer, Account author, Page page) {
        return ids(f.tweets.userTimeline(viewer, author.id(), page, false, false));
    }

    private static List<Long> ids(List<Tweet> tweets) {
        return tweets.stream().map(Tweet::id).toList();
    }

    private static List<Long> ids(Tweet... tweets) {
        List<Long> out = new ArrayList<>();
        for (Tweet t : tweets) {
            out.add(t.id());
        }
        return out;
    }

    private static void assertRefused(Runnable call, int status, String field) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RookeryException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.field()).isEqualTo(field);
        });
    }

    // ---- posting ----------------------------------------------------------------------------

    @Test
    void postStoresTheTweetWithItsEntitiesAndCountsIt() {
        Tweet t = post(alice, "hi @bob and @nobody, see https://example.com/x #rookery");

        assertThat(t.authorId()).isEqualTo(alice.id());
        assertThat(t.visibility()).isEqualTo(Visibility.PUBLIC);
        assertThat(t.mentionIds()).containsExactly(bob.id());
        assertThat(t.hashtags()).containsExactly("rookery");
        assertThat(t.urls()).containsExactly("https://example.com/x");
        assertThat(f.tweets.get(t.id())).contains(t);
        assertThat(f.tweets.visible(bob.id(), t.id())).contains(t);
        assertThat(timeline(bob.id(), alice, Page.newest(20))).containsExactly(t.id());
        assertThat(statuses(alice)).isEqualTo(1);
        assertThat(totalTweets()).isEqualTo(1);
        assertThat(counts(t)).isEqualTo(TweetCounts.ZERO);
        assertThat(f.tweets.lastTweetAt(alice.id())).isEqualTo(t.id());
    }

    @Test
    void aProtectedAuthorPostsToFollowersByDefault() {
        Account dave = f.signUpLocked("dave");

        assertThat(post(dave, "quiet").visibility()).isEqualTo(Visibility.PRIVATE);
        assertThat(post(dave, NewTweet.of("loud").withVisibility(Visibility.PUBLIC)).visibility())
                .isEqualTo(Visibility.PUBLIC);
    }

    @Test
    void refusesBlankOrTooLongTextAndWritesNothing() {
        assertRefused(() -> post(alice, ""), 422, "status");
        assertRefused(() -> post(alice, "   \n "), 422, "status");
        assertRefused(() -> post(alice, "x".repeat(501)), 422, "status");
        assertRefused(() -> post(alice, "語".repeat(501)), 422, "status");
        assertRefused(() -> post(alice, new NewTweet("ok", 0, 0, null, "x".repeat(501), false, null, null)),
                422, "spoiler_text");

        assertThat(statuses(alice)).isZero();
        assertThat(totalTweets()).isZero();
        assertThat(timeline(alice.id(), alice, Page.newest(20))).isEmpty();

        assertThat(post(alice, "x".repeat(500)).text()).hasSize(500);
        assertThat(post(alice, "see https://example.com/" + "a".repeat(600)).urls()).hasSize(1);
    }

    @Test
    void aSpoilerMakesTheTweetSensitive() {
        Tweet t = post(alice, new NewTweet("the ending", 0, 0, null, "spoilers", false, "en", null));

        assertThat(t.spoilerText()).isEqualTo("spoilers");
        assertThat(t.sensitive()).isTrue();
        assertThat(t.language()).isEqualTo("en");
    }

    // ---- replies and quotes -----------------------------------------------------------------

    @Test
    void aReplyCountsOnItsParentAndMentionsItsAuthor() {
        Tweet parent = post(alice, "question?");

        Tweet reply = post(bob, NewTweet.of("answer").replyingTo(parent.id()));

        assertThat(reply.inReplyToId()).isEqualTo(parent.id());
        assertThat(reply.inReplyToAccountId()).isEqualTo(alice.id());
        assertThat(reply.mentionIds()).containsExactly(alice.id());
        assertThat(counts(parent).replies()).isEqualTo(1);
        assertThat(statuses(bob)).isEqualTo(1);

        Tweet selfReply = post(alice, NewTweet.of("more").replyingTo(parent.id()));

        assertThat(selfReply.mentionIds()).isEmpty();
        assertThat(counts(parent).replies()).isEqualTo(2);
    }

    @Test
    void refusesRepliesToTweetsThatCannotBeRepliedTo() {
        Account dave = f.signUpLocked("dave");
        Tweet hidden = post(dave, "followers only");
        Tweet original = post(alice, "original");
        Tweet repost = f.tweets.repost(carol.id(), original.id(), null);

        assertRefused(() -> post(bob, NewTweet.of("hm").replyingTo(hidden.id())), 422, "in_reply_to_id");
        assertRefused(() -> post(bob, NewTweet.of("hm").replyingTo(424242)), 422, "in_reply_to_id");
        assertRefused(() -> post(bob, NewTweet.of("hm").replyingTo(repost.id())), 422, "in_reply_to_id");

        assertThat(statuses(bob)).isZero();
        assertThat(counts(hidden).replies()).isZero();
        assertThat(counts(original).replies()).isZero();
    }

    @Test
    void quotesPointAtThePublicTweetTheyQuote() {
        Tweet original = post(alice, "quotable");

        Tweet quote = post(bob, NewTweet.of("so true").quoting(original.id()));

        assertThat(quote.quoteOfId()).isEqualTo(original.id());
        assertThat(quote.isRepost()).isFalse();
        assertThat(statuses(bob)).isEqualTo(1);
    }

    @Test
    void refusesQuotesOfPrivateHiddenOrRepostedTweets() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.authorizeRequest(dave.id(), bob.id());
        Tweet followersOnly = post(dave, "followers only");
        Tweet original = post(alice, "original");
        Tweet repost = f.tweets.repost(carol.id(), original.id(), null);

        assertThatThrownBy(() -> post(bob, NewTweet.of("look").quoting(followersOnly.id())))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(403));
        assertRefused(() -> post(carol, NewTweet.of("look").quoting(followersOnly.id())), 422, "quoted_status_id");
        assertRefused(() -> post(bob, NewTweet.of("look").quoting(repost.id())), 422, "quoted_status_id");

        assertThat(statuses(bob)).isZero();
    }

    // ---- reposts and favourites ----------------------------------------------------------------

    @Test
    void repostCountsOnTheOriginalAndTheReposterAndHappensOnce() {
        Tweet original = post(alice, "share me");

        Tweet repost = f.tweets.repost(bob.id(), original.id(), null);

        assertThat(repost.isRepost()).isTrue();
        assertThat(repost.repostOfId()).isEqualTo(original.id());
        assertThat(repost.authorId()).isEqualTo(bob.id());
        assertThat(repost.visibility()).isEqualTo(Visibility.PUBLIC);
        assertThat(counts(original).reposts()).isEqualTo(1);
        assertThat(statuses(bob)).isEqualTo(1);
        assertThat(f.tweets.repostedEach(bob.id(), new long[] {original.id()})).containsExactly(true);
        assertThat(timeline(carol.id(), bob, Page.newest(20))).containsExactly(repost.id());

        assertThat(f.tweets.repost(bob.id(), original.id(), null)).isEqualTo(repost);
        assertThat(f.tweets.repost(bob.id(), repost.id(), null)).isEqualTo(repost);
        assertThat(counts(original).reposts()).isEqualTo(1);
        assertThat(statuses(bob)).isEqualTo(1);
        // Reposts are not tweets of their own in the server's totals.
        assertThat(totalTweets()).isEqualTo(1);
    }

    @Test
    void repostingARepostRepostsItsOriginal() {
        Tweet original = post(alice, "share me");
        Tweet first = f.tweets.repost(bob.id(), original.id(), null);

        Tweet second = f.tweets.repost(carol.id(), first.id(), Visibility.DIRECT);

        assertThat(second.repostOfId()).isEqualTo(original.id());
        assertThat(second.visibility()).isEqualTo(Visibility.PUBLIC);
        assertThat(counts(original).reposts()).isEqualTo(2);
    }

    @Test
    void unrepostRemovesTheRepostAndItsCounts() {
        Tweet original = post(alice, "share me");
        Tweet repost = f.tweets.repost(bob.id(), original.id(), null);

        Tweet returned = f.tweets.unrepost(bob.id(), original.id());

        assertThat(returned).isEqualTo(original);
        assertThat(f.tweets.get(repost.id())).isEmpty();
        assertThat(counts(original).reposts()).isZero();
        assertThat(statuses(bob)).isZero();
        assertThat(timeline(bob.id(), bob, Page.newest(20))).isEmpty();
        assertThat(f.tweets.unrepost(bob.id(), original.id())).isEqualTo(original);
        assertThat(counts(original).reposts()).isZero();
    }

    @Test
    void refusesRepostsOfTweetsNotForEveryone() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.authorizeRequest(dave.id(), bob.id());
        Tweet lockedPublic = post(dave, NewTweet.of("public but protected").withVisibility(Visibility.PUBLIC));
        Tweet privateTweet = post(alice, NewTweet.of("followers only").withVisibility(Visibility.PRIVATE));
        f.graph.follow(bob.id(), alice.id(), true, false);

        assertThatThrownBy(() -> f.tweets.repost(bob.id(), lockedPublic.id(), null))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(403));
        assertThatThrownBy(() -> f.tweets.repost(bob.id(), privateTweet.id(), null))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(403));
        assertThatThrownBy(() -> f.tweets.repost(carol.id(), privateTweet.id(), null))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));

        assertThat(statuses(bob)).isZero();
        assertThat(counts(privateTweet).reposts()).isZero();
    }

    @Test
    void favouriteCountsOnceAndUnfavouriteTakesItBack() {
        Tweet t = post(alice, "like me");

        assertThat(f.tweets.favourite(bob.id(), t.id())).isEqualTo(t);
        f.tweets.favourite(bob.id(), t.id());
        f.tweets.favourite(carol.id(), t.id());

        assertThat(counts(t).favourites()).isEqualTo(2);
        assertThat(f.tweets.favouritedEach(bob.id(), new long[] {t.id()})).containsExactly(true);

        f.tweets.unfavourite(bob.id(), t.id());
        f.tweets.unfavourite(bob.id(), t.id());

        assertThat(counts(t).favourites()).isEqualTo(1);
        assertThat(f.tweets.favouritedEach(bob.id(), new long[] {t.id()})).containsExactly(false);
        assertThat(f.tweets.favouritedEach(carol.id(), new long[] {t.id()})).containsExactly(true);
    }

    @Test
    void viewerFlagsGivenTheCountsAnswerAsTheRowsDo() {
        Tweet untouched = post(alice, "nobody cares");
        Tweet faved = post(alice, "bob likes this");
        Tweet byOthers = post(alice, "carol likes and shares this");
        Tweet shared = post(alice, "bob shares this");
        f.tweets.favourite(bob.id(), faved.id());
        f.tweets.favourite(carol.id(), byOthers.id());
        f.tweets.repost(carol.id(), byOthers.id(), null);
        f.tweets.repost(bob.id(), shared.id(), null);
        long[] ids = {untouched.id(), faved.id(), byOthers.id(), shared.id()};

        TweetCounts[] counts = f.tweets.counts(ids);
        assertThat(f.tweets.favouritedEach(bob.id(), ids, counts)).containsExactly(false, true, false, false)
                .containsExactly(f.tweets.favouritedEach(bob.id(), ids));
        assertThat(f.tweets.repostedEach(bob.id(), ids, counts)).containsExactly(false, false, false, true)
                .containsExactly(f.tweets.repostedEach(bob.id(), ids));
        assertThat(f.tweets.favouritedEach(carol.id(), ids, counts)).containsExactly(false, false, true, false);
        assertThat(f.tweets.repostedEach(carol.id(), ids, counts)).containsExactly(false, false, true, false);

        f.tweets.unfavourite(bob.id(), faved.id());
        f.tweets.unrepost(bob.id(), shared.id());
        counts = f.tweets.counts(ids);
        assertThat(f.tweets.favouritedEach(bob.id(), ids, counts)).containsOnly(false);
        assertThat(f.tweets.repostedEach(bob.id(), ids, counts)).containsOnly(false);
        assertThat(f.tweets.favouritedEach(0, ids, counts)).as("no viewer").containsOnly(false);
    }

    @Test
    void favouritingARepostFavouritesItsOriginal() {
        Tweet original = post(alice, "like me");
        Tweet repost = f.tweets.repost(bob.id(), original.id(), null);

        assertThat(f.tweets.favourite(carol.id(), repost.id())).isEqualTo(original);

        assertThat(counts(original).favourites()).isEqualTo(1);
        assertThat(counts(repost).favourites()).isZero();
    }

    // ---- deleting ---------------------------------------------------------------------------

    @Test
    void deleteRemovesTheTweetFromEveryReadAndUndoesItsCounts() {
        Tweet keep = post(alice, "keep");
        Tweet doomed = post(alice, "doomed");
        f.tweets.favourite(bob.id(), doomed.id());

        Tweet deleted = f.tweets.delete(alice.id(), doomed.id());

        assertThat(deleted).isEqualTo(doomed);
        assertThat(f.tweets.get(doomed.id())).isEmpty();
        assertThat(f.tweets.visible(alice.id(), doomed.id())).isEmpty();
        assertThat(f.tweets.getAll(new long[] {keep.id(), doomed.id()})).containsOnlyKeys(keep.id());
        assertThat(timeline(alice.id(), alice, Page.newest(20))).containsExactly(keep.id());
        assertThat(statuses(alice)).isEqualTo(1);
        assertThat(totalTweets()).isEqualTo(1);
        assertThat(counts(doomed)).isEqualTo(TweetCounts.ZERO);
        assertThat(f.tweets.favouritedEach(bob.id(), new long[] {doomed.id()})).containsExactly(false);
        assertThatThrownBy(() -> f.tweets.delete(alice.id(), doomed.id()))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void deleteTakesTheRepostsWithIt() {
        Tweet original = post(alice, "share me");
        Tweet bobs = f.tweets.repost(bob.id(), original.id(), null);
        Tweet carols = f.tweets.repost(carol.id(), original.id(), null);
        Tweet carolsOwn = post(carol, "mine");

        f.tweets.delete(alice.id(), original.id());

        assertThat(f.tweets.get(bobs.id())).isEmpty();
        assertThat(f.tweets.get(carols.id())).isEmpty();
        assertThat(f.tweets.visible(SIGNED_OUT, carols.id())).isEmpty();
        assertThat(timeline(alice.id(), bob, Page.newest(20))).isEmpty();
        assertThat(timeline(alice.id(), carol, Page.newest(20))).containsExactly(carolsOwn.id());
        assertThat(statuses(bob)).isZero();
        assertThat(statuses(carol)).isEqualTo(1);
        assertThat(f.tweets.repostedEach(bob.id(), new long[] {original.id()})).containsExactly(false);
        assertThat(totalTweets()).isEqualTo(1);
    }

    @Test
    void deletingAReplyTakesItOffItsParentsCount() {
        Tweet parent = post(alice, "question?");
        Tweet reply = post(bob, NewTweet.of("answer").replyingTo(parent.id()));

        f.tweets.delete(bob.id(), reply.id());

        assertThat(counts(parent).replies()).isZero();
        assertThat(f.tweets.context(alice.id(), parent.id()).descendants()).isEmpty();
        assertThat(statuses(bob)).isZero();
    }

    @Test
    void deletingYourRepostByItsIdUnreposts() {
        Tweet original = post(alice, "share me");
        Tweet repost = f.tweets.repost(bob.id(), original.id(), null);

        assertThat(f.tweets.delete(bob.id(), repost.id())).isEqualTo(repost);

        assertThat(f.tweets.get(repost.id())).isEmpty();
        assertThat(f.tweets.get(original.id())).contains(original);
        assertThat(counts(original).reposts()).isZero();
        assertThat(statuses(bob)).isZero();
    }

    @Test
    void onlyTheAuthorDeletes() {
        Tweet t = post(alice, "mine");

        assertThatThrownBy(() -> f.tweets.delete(bob.id(), t.id()))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(403));
        assertThatThrownBy(() -> f.tweets.delete(bob.id(), 424242))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThat(f.tweets.get(t.id())).contains(t);
        assertThat(statuses(alice)).isEqualTo(1);
    }

    @Test
    void repostsAndFavouritesRacingDeletesLeaveNothingBehind() throws Exception {
        List<Account> fans = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            fans.add(f.signUp("fan" + i));
        }
        List<Tweet> doomed = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            doomed.add(post(alice, "doomed " + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(1 + fans.size());
        try {
            List<Future<?>> done = new ArrayList<>();
            done.add(pool.submit(() -> {
                for (Tweet t : doomed) {
                    f.tweets.delete(alice.id(), t.id());
                }
                return null;
            }));
            for (Account fan : fans) {
                done.add(pool.submit(() -> {
                    for (Tweet t : doomed) {
                        ignoreNotFound(() -> f.tweets.repost(fan.id(), t.id(), null));
                        ignoreNotFound(() -> f.tweets.favourite(fan.id(), t.id()));
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        long[] doomedIds = doomed.stream().mapToLong(Tweet::id).toArray();
        for (Account fan : fans) {
            assertThat(statuses(fan)).as("%s statuses", fan.handle()).isZero();
            assertThat(f.tweets.lastTweetAt(fan.id())).as("%s timeline", fan.handle()).isZero();
            assertThat(f.tweets.repostedEach(fan.id(), doomedIds)).as("%s reposts", fan.handle()).doesNotContain(true);
            assertThat(f.tweets.favouritedEach(fan.id(), doomedIds)).as("%s favourites", fan.handle()).doesNotContain(true);
        }
        assertThat(f.tweets.counts(doomedIds)).containsOnly(TweetCounts.ZERO);
        assertThat(totalTweets()).isZero();
    }

    private static void ignoreNotFound(Runnable call) {
        try {
            call.run();
        } catch (RookeryException e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    // ---- idempotency ------------------------------------------------------------------------

    @Test
    void aRepeatedIdempotencyKeyReturnsTheFirstTweetAndWritesNothing() {
        Tweet first = post(alice, NewTweet.of("once").withIdempotencyKey("key-1"));

        Tweet again = post(alice, NewTweet.of("once").withIdempotencyKey("key-1"));
        Tweet changed = post(alice, NewTweet.of("a different text").withIdempotencyKey("key-1"));

        assertThat(again).isEqualTo(first);
        assertThat(changed).isEqualTo(first);
        assertThat(statuses(alice)).isEqualTo(1);
        assertThat(totalTweets()).isEqualTo(1);
        assertThat(timeline(alice.id(), alice, Page.newest(20))).containsExactly(first.id());
    }

    @Test
    void idempotencyKeysBelongToOneAuthor() {
        Tweet alices = post(alice, NewTweet.of("hello").withIdempotencyKey("key-1"));
        Tweet bobs = post(bob, NewTweet.of("hello").withIdempotencyKey("key-1"));
        Tweet other = post(alice, NewTweet.of("hello").withIdempotencyKey("key-2"));

        assertThat(bobs.id()).isNotEqualTo(alices.id());
        assertThat(other.id()).isNotEqualTo(alices.id());
        assertThat(statuses(alice)).isEqualTo(2);
    }

    @Test
    void anIdempotencyKeyExpiresOrDiesWithItsTweet() {
        Tweet first = post(alice, NewTweet.of("hello").withIdempotencyKey("key-1"));
        f.clock.advance(ServiceFixture.IDEMPOTENCY_TTL.plusSeconds(1));

        Tweet afterTtl = post(alice, NewTweet.of("hello").withIdempotencyKey("key-1"));

        assertThat(afterTtl.id()).isNotEqualTo(first.id());
        f.tweets.delete(alice.id(), afterTtl.id());
        Tweet afterDelete = post(alice, NewTweet.of("hello").withIdempotencyKey("key-1"));
        assertThat(afterDelete.id()).isNotEqualTo(afterTtl.id());
        assertThat(statuses(alice)).isEqualTo(2);
    }

    @Test
    void refusesEmptyOrOverlongIdempotencyKeys() {
        assertRefused(() -> post(alice, NewTweet.of("x").withIdempotencyKey("")), 422, "Idempotency-Key");
        assertRefused(() -> post(alice, NewTweet.of("x").withIdempotencyKey("k".repeat(257))), 422, "Idempotency-Key");

        assertThat(statuses(alice)).isZero();
        assertThat(post(alice, NewTweet.of("x").withIdempotencyKey("k".repeat(256))).text()).isEqualTo("x");
    }

    @Test
    void concurrentPostsWithTheSameKeyMakeExactlyOneTweet() throws Exception {
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Tweet> results = new ArrayList<>();
        try {
            List<Future<Tweet>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                done.add(pool.submit(() -> {
                    start.await();
                    return post(alice, NewTweet.of("just once").withIdempotencyKey("retry-me"));
                }));
            }
            for (Future<Tweet> d : done) {
                results.add(d.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(results.stream().map(Tweet::id).distinct()).hasSize(1);
        assertThat(statuses(alice)).isEqualTo(1);
        assertThat(timeline(alice.id(), alice, Page.newest(20))).containsExactly(results.get(0).id());
    }

    // ---- visibility -------------------------------------------------------------------------

    @Test
    void theVisibilityRuleInOnePlace() {
        Tweet pub = tweetWith(Visibility.PUBLIC);
        Tweet unlisted = tweetWith(Visibility.UNLISTED);
        Tweet priv = tweetWith(Visibility.PRIVATE);
        Tweet direct = tweetWith(Visibility.DIRECT);
        // canSee(tweet, authorLocked, viewerFollowsAuthor, authorBlocksViewer, viewerMentioned)
        assertThat(TweetService.canSee(pub, false, false, false, false)).isTrue();
        assertThat(TweetService.canSee(unlisted, false, false, false, false)).isTrue();
        assertThat(TweetService.canSee(pub, true, false, false, false)).isFalse();
        assertThat(TweetService.canSee(pub, true, true, false, false)).isTrue();
        assertThat(TweetService.canSee(pub, true, false, false, true)).isTrue();
        assertThat(TweetService.canSee(priv, false, false, false, false)).isFalse();
        assertThat(TweetService.canSee(priv, false, true, false, false)).isTrue();
        assertThat(TweetService.canSee(priv, false, false, false, true)).isTrue();
        assertThat(TweetService.canSee(direct, false, true, false, false)).isFalse();
        assertThat(TweetService.canSee(direct, false, false, false, true)).isTrue();
        for (Tweet t : List.of(pub, unlisted, priv, direct)) {
            assertThat(TweetService.canSee(t, false, true, true, true)).as(t.visibility().apiName()).isFalse();
        }
    }

    private Tweet tweetWith(Visibility v) {
        return new Tweet(1, 2, "x", 0, 0, 0, 0, 0, v, "", false, null, List.of(), List.of(), List.of());
    }

    @Test
    void aProtectedAuthorsTweetsAreForFollowersAndMentionedUsers() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.authorizeRequest(dave.id(), bob.id());
        Account erin = f.signUp("erin");
        Tweet quiet = post(dave, "for my followers");
        Tweet publicOne = post(dave, NewTweet.of("still protected").withVisibility(Visibility.PUBLIC));
        Tweet mentioning = post(dave, "hey @erin");

        for (Tweet t : List.of(quiet, publicOne, mentioning)) {
            assertThat(f.tweets.visible(dave.id(), t.id())).contains(t);
            assertThat(f.tweets.visible(bob.id(), t.id())).contains(t);
            assertThat(f.tweets.visible(carol.id(), t.id())).isEmpty();
            assertThat(f.tweets.visible(SIGNED_OUT, t.id())).isEmpty();
        }
        assertThat(f.tweets.visible(erin.id(), mentioning.id())).contains(mentioning);
        assertThat(f.tweets.visible(erin.id(), quiet.id())).isEmpty();
        assertThat(timeline(carol.id(), dave, Page.newest(20))).isEmpty();
        assertThat(timeline(bob.id(), dave, Page.newest(20))).containsExactly(mentioning.id(), publicOne.id(), quiet.id());
    }

    @Test
    void privateAndDirectTweetsOfAnOpenAccount() {
        f.graph.follow(bob.id(), alice.id(), true, false);
        Tweet priv = post(alice, NewTweet.of("followers and @carol").withVisibility(Visibility.PRIVATE));
        Tweet direct = post(alice, NewTweet.of("just @carol").withVisibility(Visibility.DIRECT));
        Tweet unlisted = post(alice, NewTweet.of("quietly public").withVisibility(Visibility.UNLISTED));
        Account erin = f.signUp("erin");

        assertThat(f.tweets.visible(bob.id(), priv.id())).contains(priv);
        assertThat(f.tweets.visible(carol.id(), priv.id())).contains(priv);
        assertThat(f.tweets.visible(erin.id(), priv.id())).isEmpty();
        assertThat(f.tweets.visible(SIGNED_OUT, priv.id())).isEmpty();

        assertThat(f.tweets.visible(carol.id(), direct.id())).contains(direct);
        assertThat(f.tweets.visible(bob.id(), direct.id())).isEmpty();
        assertThat(f.tweets.visible(alice.id(), direct.id())).contains(direct);

        assertThat(f.tweets.visible(SIGNED_OUT, unlisted.id())).contains(unlisted);
        assertThat(timeline(erin.id(), alice, Page.newest(20))).containsExactly(unlisted.id());
        assertThat(timeline(bob.id(), alice, Page.newest(20))).containsExactly(unlisted.id(), priv.id());
    }

    @Test
    void anAuthorsBlockHidesEverythingFromTheBlockedViewer() {
        Tweet t = post(alice, "public");
        f.graph.block(alice.id(), bob.id());

        assertThat(f.tweets.visible(bob.id(), t.id())).isEmpty();
        assertThat(f.tweets.visible(carol.id(), t.id())).contains(t);
        assertThat(f.tweets.visible(SIGNED_OUT, t.id())).contains(t);
        assertThat(timeline(bob.id(), alice, Page.newest(20))).isEmpty();
        assertThat(f.tweets.canReadTimelineOf(bob.id(), alice)).isFalse();
        assertThatThrownBy(() -> f.tweets.favourite(bob.id(), t.id()))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void filterVisibleDropsRepostsWhoseOriginalIsHidden() {
        Tweet original = post(alice, "share me");
        Tweet other = post(carol, "mine");
        Tweet repost = f.tweets.repost(carol.id(), original.id(), null);
        Account dave = f.signUp("dave");
        f.graph.follow(dave.id(), alice.id(), true, false);
        f.graph.block(alice.id(), bob.id());
        List<Tweet> list = List.of(repost, other, original);

        assertThat(ids(f.tweets.filterVisible(carol.id(), list))).containsExactlyElementsOf(ids(repost, other, original));
        assertThat(ids(f.tweets.filterVisible(bob.id(), list))).containsExactly(other.id());
        assertThat(f.tweets.visible(bob.id(), repost.id())).isEmpty();

        // Alice protects her account: only her followers still see the repost.
        f.users.updateProfile(alice.id(), null, null, true, null);

        assertThat(ids(f.tweets.filterVisible(dave.id(), list))).containsExactlyElementsOf(ids(repost, other, original));
        assertThat(ids(f.tweets.filterVisible(SIGNED_OUT, list))).containsExactly(other.id());
        assertThat(ids(f.tweets.filterVisible(carol.id(), list))).containsExactly(other.id());
        assertThat(timeline(SIGNED_OUT, carol, Page.newest(20))).containsExactly(other.id());
        assertThat(f.tweets.filterVisible(carol.id(), List.of())).isEmpty();
    }

    // ---- user timelines ----------------------------------------------------------------------

    @Test
    void userTimelinePagesNewestFirstWithMaxSinceAndMinId() {
        List<Tweet> t = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            t.add(post(alice, "tweet " + i));
        }

        assertThat(timeline(bob.id(), alice, Page.newest(3))).containsExactlyElementsOf(ids(t.get(9), t.get(8), t.get(7)));
        assertThat(timeline(bob.id(), alice, new Page(t.get(7).id(), 0, 0, 3)))
                .containsExactlyElementsOf(ids(t.get(6), t.get(5), t.get(4)));
        assertThat(timeline(bob.id(), alice, new Page(t.get(1).id(), 0, 0, 3))).containsExactly(t.get(0).id());
        assertThat(timeline(bob.id(), alice, new Page(t.get(0).id(), 0, 0, 3))).isEmpty();
        // since_id: the newest page above it.
        assertThat(timeline(bob.id(), alice, new Page(0, t.get(2).id(), 0, 3)))
                .containsExactlyElementsOf(ids(t.get(9), t.get(8), t.get(7)));
        // min_id: the page just newer than it, still newest first.
        assertThat(timeline(bob.id(), alice, new Page(0, 0, t.get(2).id(), 3)))
                .containsExactlyElementsOf(ids(t.get(5), t.get(4), t.get(3)));
        assertThat(timeline(bob.id(), alice, new Page(0, 0, t.get(7).id(), 3)))
                .containsExactlyElementsOf(ids(t.get(9), t.get(8)));
        assertThat(timeline(bob.id(), alice, new Page(0, 0, t.get(9).id(), 3))).isEmpty();
        // Both bounds.
        assertThat(timeline(bob.id(), alice, new Page(t.get(6).id(), t.get(2).id(), 0, 10)))
                .containsExactlyElementsOf(ids(t.get(5), t.get(4), t.get(3)));
        assertThat(timeline(bob.id(), alice, new Page(t.get(6).id(), 0, t.get(2).id(), 2)))
                .containsExactlyElementsOf(ids(t.get(4), t.get(3)));
    }

    @Test
    void userTimelineFillsThePageAcrossTweetsTheViewerCannotSee() {
        List<Tweet> visible = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            visible.add(post(alice, "public " + i));
            post(alice, NewTweet.of("followers only " + i).withVisibility(Visibility.PRIVATE));
            post(alice, NewTweet.of("followers only too " + i).withVisibility(Visibility.PRIVATE));
        }

        assertThat(timeline(bob.id(), alice, Page.newest(3)))
                .containsExactlyElementsOf(ids(visible.get(5), visible.get(4), visible.get(3)));
        assertThat(timeline(bob.id(), alice, new Page(visible.get(3).id(), 0, 0, 3)))
                .containsExactlyElementsOf(ids(visible.get(2), visible.get(1), visible.get(0)));
        assertThat(timeline(bob.id(), alice, new Page(0, 0, visible.get(0).id(), 3)))
                .containsExactlyElementsOf(ids(visible.get(3), visible.get(2), visible.get(1)));
        assertThat(timeline(alice.id(), alice, Page.newest(18))).hasSize(18);
    }

    @Test
    void userTimelineCanLeaveOutRepliesToOthersAndReposts() {
        Tweet bobs = post(bob, "bob's");
        Tweet original = post(alice, "original");
        Tweet replyToBob = post(alice, NewTweet.of("reply to bob").replyingTo(bobs.id()));
        Tweet selfReply = post(alice, NewTweet.of("thread, continued").replyingTo(original.id()));
        Tweet repost = f.tweets.repost(alice.id(), bobs.id(), null);

        assertThat(ids(f.tweets.userTimeline(carol.id(), alice.id(), Page.newest(20), false, false)))
                .containsExactlyElementsOf(ids(repost, selfReply, replyToBob, original));
        assertThat(ids(f.tweets.userTimeline(carol.id(), alice.id(), Page.newest(20), true, false)))
                .containsExactlyElementsOf(ids(repost, selfReply, original));
        assertThat(ids(f.tweets.userTimeline(carol.id(), alice.id(), Page.newest(20), false, true)))
                .containsExactlyElementsOf(ids(selfReply, replyToBob, original));
        assertThat(ids(f.tweets.userTimeline(carol.id(), alice.id(), Page.newest(20), true, true)))
                .containsExactlyElementsOf(ids(selfReply, original));
        assertThat(ids(f.tweets.userTimeline(carol.id(), alice.id(), Page.newest(1), true, true)))
                .containsExactly(selfReply.id());
    }

    @Test
    void userTimelineOfAnUnknownAccountIsNotFound() {
        assertThatThrownBy(() -> f.tweets.userTimeline(alice.id(), 424242, Page.newest(20), false, false))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    // ---- conversations ------------------------------------------------------------------------

    @Test
    void contextListsAncestorsOldestFirstAndDescendantsInThreadOrder() {
        Tweet root = post(alice, "root");
        Tweet r1 = post(bob, NewTweet.of("r1").replyingTo(root.id()));
        Tweet r2 = post(carol, NewTweet.of("r2").replyingTo(root.id()));
        Tweet r1a = post(alice, NewTweet.of("r1a").replyingTo(r1.id()));
        Tweet r1b = post(carol, NewTweet.of("r1b").replyingTo(r1.id()));
        Tweet r1a1 = post(bob, NewTweet.of("r1a1").replyingTo(r1a.id()));

        Context ofRoot = f.tweets.context(carol.id(), root.id());
        Context ofR1 = f.tweets.context(carol.id(), r1.id());
        Context ofLeaf = f.tweets.context(carol.id(), r1a1.id());

        assertThat(ofRoot.ancestors()).isEmpty();
        assertThat(ids(ofRoot.descendants())).containsExactlyElementsOf(ids(r1, r1a, r1a1, r1b, r2));
        assertThat(ids(ofR1.ancestors())).containsExactly(root.id());
        assertThat(ids(ofR1.descendants())).containsExactlyElementsOf(ids(r1a, r1a1, r1b));
        assertThat(ids(ofLeaf.ancestors())).containsExactlyElementsOf(ids(root, r1, r1a));
        assertThat(ofLeaf.descendants()).isEmpty();
    }

    @Test
    void contextOfARepostIsTheContextOfItsOriginal() {
        Tweet root = post(alice, "root");
        Tweet reply = post(bob, NewTweet.of("reply").replyingTo(root.id()));
        Tweet repost = f.tweets.repost(carol.id(), root.id(), null);

        Context c = f.tweets.context(bob.id(), repost.id());

        assertThat(c.ancestors()).isEmpty();
        assertThat(ids(c.descendants())).containsExactly(reply.id());
    }

    @Test
    void contextLeavesOutTweetsTheViewerCannotSee() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.authorizeRequest(dave.id(), bob.id());
        Tweet root = post(alice, "root");
        Tweet hiddenReply = post(dave, NewTweet.of("followers only").replyingTo(root.id()));
        Tweet openReply = post(carol, NewTweet.of("open").replyingTo(root.id()));

        assertThat(ids(f.tweets.context(carol.id(), root.id()).descendants())).containsExactly(openReply.id());
        assertThat(ids(f.tweets.context(bob.id(), root.id()).descendants()))
                .containsExactlyElementsOf(ids(hiddenReply, openReply));
        assertThat(ids(f.tweets.context(alice.id(), root.id()).descendants()))
                .as("the replied-to author is mentioned, so she sees the reply")
                .containsExactlyElementsOf(ids(hiddenReply, openReply));
        assertThatThrownBy(() -> f.tweets.context(carol.id(), hiddenReply.id()))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void aDeleteIsNeverUndoneByCachedReadsRacingIt() throws Exception {
        // Readers hammer the tweet cache while the tweets are deleted one by one; once delete()
        // returns, no read may return the tweet again, from the cache or otherwise.
        List<Tweet> posted = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Tweet t = post(alice, "cached " + i);
            posted.add(t);
            posted.add(f.tweets.repost(bob.id(), t.id(), null));
        }
        long[] all = posted.stream().mapToLong(Tweet::id).toArray();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    while (!stop.get()) {
                        f.tweets.getAll(all);
                        f.tweets.get(all[(int) (System.nanoTime() % all.length)]);
                    }
                }));
            }
            for (int i = 0; i < posted.size(); i += 2) {
                Tweet original = posted.get(i);
                f.tweets.delete(alice.id(), original.id());
                long[] gone = {original.id(), posted.get(i + 1).id()};
                assertThat(f.tweets.getAll(gone)).as("tweet %d and its repost after the delete", i / 2).isEmpty();
                assertThat(f.tweets.get(original.id())).isEmpty();
            }
            stop.set(true);
            for (Future<?> r : readers) {
                r.get(30, TimeUnit.SECONDS);
            }
            assertThat(f.tweets.getAll(all)).as("every tweet was deleted").isEmpty();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    @Test
    void batchedAccountFiguresMatchTheOneAtATimeOnes() {
        post(alice, "one");
        Tweet last = post(alice, "two");
        Tweet bobs = post(bob, "bob's");
        f.graph.follow(bob.id(), alice.id(), true, false);
        long nobody = 424242L;
        long[] ids = {alice.id(), bob.id(), carol.id(), nobody};

        long[] lastTweets = f.tweets.lastTweetAtEach(ids);
        org.rookery.core.model.AccountCounts[] counts = f.users.countsEach(ids);

        assertThat(lastTweets).containsExactly(last.id(), bobs.id(), 0, 0);
        for (int i = 0; i < ids.length; i++) {
            assertThat(lastTweets[i]).isEqualTo(f.tweets.lastTweetAt(ids[i]));
            assertThat(counts[i]).isEqualTo(f.users.counts(ids[i]));
        }
        assertThat(counts[0].followers()).isEqualTo(1);
        assertThat(counts[0].statuses()).isEqualTo(2);
    }
}
