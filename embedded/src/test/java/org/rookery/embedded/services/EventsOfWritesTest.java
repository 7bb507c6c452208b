package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventType;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.model.Account;
import org.rookery.core.model.AccountCounts;
import org.rookery.core.model.Page;
import org.rookery.core.model.Relationship;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.tweets.TweetCounts;
import org.rookery.core.users.Registrations;

/** Each write appends exactly the events {@link EventType} documents, on its actor's partition. */
class EventsOfWritesTest {
    @TempDir
    Path dir;

    private ServiceFixture f;
    private EventConsumer log;
    private Account alice;
    private Account bob;
    private Account carol;

    /** What an event says, without its id and time. */
    record Seen(EventType type, long actor, long subject, long object) {}

    @BeforeEach
    void open() throws InterruptedException {
        f = ServiceFixture.open(dir);
        log = f.store.subscribe("test", StartFrom.earliest());
        alice = f.signUp("alice");
        bob = f.signUp("bob");
        carol = f.signUp("carol");
        newEvents();
    }

    @AfterEach
    void close() {
        log.close();
        f.close();
    }

    /** The events appended since the last call, in the order they were made. */
    private List<Seen> newEvents() throws InterruptedException {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // A commit returns once its events are readable, so reading up to the end offsets gets them all.
        while (!caughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out reading the event log");
            }
            for (LogRecord r : log.poll(1000, Duration.ofMillis(100))) {
                assertThat(r.partition()).as("partition of %s", r.event())
                        .isEqualTo(f.store.partitionOf(r.event().actorId()));
                events.add(r.event());
            }
        }
        events.sort(Comparator.comparingLong(Event::id));
        return events.stream().map(e -> new Seen(e.type(), e.actorId(), e.subjectId(), e.objectId())).toList();
    }

    private boolean caughtUp() {
        for (int p : log.partitions()) {
            if (log.position(p) < f.store.endOffset(p)) {
                return false;
            }
        }
        return true;
    }

    private static Seen seen(EventType type, long actor, long subject, long object) {
        return new Seen(type, actor, subject, object);
    }

    // ---- accounts ---------------------------------------------------------------------------

    @Test
    void signUpAppendsAccountCreated() throws Exception {
        Account dave = f.signUp("dave");
        Account erin = f.users.register("erin", "erin@example.com", "correct horse", Registrations.APPROVAL);

        assertThat(newEvents()).containsExactly(
                seen(EventType.ACCOUNT_CREATED, dave.id(), dave.id(), 0),
                seen(EventType.ACCOUNT_CREATED, erin.id(), erin.id(), 0));
    }

    @Test
    void profileChangesAndApprovalAppendAccountUpdated() throws Exception {
        f.users.updateProfile(alice.id(), "Alice", null, null, null);
        assertThat(newEvents()).containsExactly(seen(EventType.ACCOUNT_UPDATED, alice.id(), alice.id(), 0));

        f.users.updateProfile(alice.id(), null, null, true, null);
        assertThat(newEvents()).containsExactly(seen(EventType.ACCOUNT_UPDATED, alice.id(), alice.id(), 0));

        Account erin = f.users.register("erin", "erin@example.com", "correct horse", Registrations.APPROVAL);
        newEvents();
        f.users.approve(erin.id());
        assertThat(newEvents()).containsExactly(seen(EventType.ACCOUNT_UPDATED, erin.id(), erin.id(), 0));
    }

    // ---- graph ------------------------------------------------------------------------------

    @Test
    void followAndUnfollowAppendOneEventEachAndRepeatsAppendNothing() throws Exception {
        f.graph.follow(alice.id(), bob.id(), true, false);
        assertThat(newEvents()).containsExactly(seen(EventType.FOLLOWED, alice.id(), bob.id(), 0));

        f.graph.follow(alice.id(), bob.id(), true, false);
        assertThat(newEvents()).isEmpty();

        f.graph.unfollow(alice.id(), bob.id());
        assertThat(newEvents()).containsExactly(seen(EventType.UNFOLLOWED, alice.id(), bob.id(), 0));

        f.graph.unfollow(alice.id(), bob.id());
        assertThat(newEvents()).isEmpty();
    }

    @Test
    void followRequestsAppendRequestedThenFollowedOrRejected() throws Exception {
        Account dave = f.signUpLocked("dave");
        newEvents();

        f.graph.follow(alice.id(), dave.id(), true, false);
        f.graph.follow(alice.id(), dave.id(), true, false);
        assertThat(newEvents()).containsExactly(seen(EventType.FOLLOW_REQUESTED, alice.id(), dave.id(), 0));

        f.graph.authorizeRequest(dave.id(), alice.id());
        assertThat(newEvents()).containsExactly(seen(EventType.FOLLOWED, alice.id(), dave.id(), 0));

        f.graph.follow(bob.id(), dave.id(), true, false);
        newEvents();
        f.graph.rejectRequest(dave.id(), bob.id());
        assertThat(newEvents()).containsExactly(seen(EventType.FOLLOW_REQUEST_REJECTED, dave.id(), bob.id(), 0));
    }

    @Test
    void aBlockIsOneEventEvenWhenItRemovesFollows() throws Exception {
        f.graph.follow(alice.id(), bob.id(), true, false);
        f.graph.follow(bob.id(), alice.id(), true, false);
        newEvents();

        f.graph.block(alice.id(), bob.id());
        assertThat(newEvents()).containsExactly(seen(EventType.BLOCKED, alice.id(), bob.id(), 0));

        f.graph.block(alice.id(), bob.id());
        assertThat(newEvents()).isEmpty();

        f.graph.unblock(alice.id(), bob.id());
        assertThat(newEvents()).containsExactly(seen(EventType.UNBLOCKED, alice.id(), bob.id(), 0));

        f.graph.unblock(alice.id(), bob.id());
        assertThat(newEvents()).isEmpty();
    }

    @Test
    void muteAndUnmuteAppendOneEventEach() throws Exception {
        f.graph.mute(alice.id(), bob.id(), true);
        assertThat(newEvents()).containsExactly(seen(EventType.MUTED, alice.id(), bob.id(), 0));

        f.graph.mute(alice.id(), bob.id(), true);
        assertThat(newEvents()).isEmpty();

        f.graph.unmute(alice.id(), bob.id());
        assertThat(newEvents()).containsExactly(seen(EventType.UNMUTED, alice.id(), bob.id(), 0));

        f.graph.unmute(alice.id(), bob.id());
        assertThat(newEvents()).isEmpty();
    }

    // ---- tweets -----------------------------------------------------------------------------

    @Test
    void postsAppendTweetCreatedNamingWhatTheyReplyToOrQuote() throws Exception {
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("hello").withIdempotencyKey("k"));
        assertThat(newEvents()).containsExactly(seen(EventType.TWEET_CREATED, alice.id(), t.id(), 0));

        f.tweets.post(alice.id(), NewTweet.of("hello").withIdempotencyKey("k"));
        assertThat(newEvents()).isEmpty();

        Tweet reply = f.tweets.post(bob.id(), NewTweet.of("hi").replyingTo(t.id()));
        assertThat(newEvents()).containsExactly(seen(EventType.TWEET_CREATED, bob.id(), reply.id(), t.id()));

        Tweet quote = f.tweets.post(carol.id(), NewTweet.of("look").quoting(t.id()));
        assertThat(newEvents()).containsExactly(seen(EventType.TWEET_CREATED, carol.id(), quote.id(), t.id()));
    }

    @Test
    void repostAndUnrepostNameTheRepostAndItsOriginal() throws Exception {
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("share me"));
        newEvents();

        Tweet repost = f.tweets.repost(bob.id(), t.id(), null);
        assertThat(newEvents()).containsExactly(seen(EventType.REPOSTED, bob.id(), repost.id(), t.id()));

        f.tweets.repost(bob.id(), t.id(), null);
        assertThat(newEvents()).isEmpty();

        f.tweets.unrepost(bob.id(), t.id());
        assertThat(newEvents()).containsExactly(seen(EventType.UNREPOSTED, bob.id(), repost.id(), t.id()));

        f.tweets.unrepost(bob.id(), t.id());
        assertThat(newEvents()).isEmpty();

        Tweet again = f.tweets.repost(bob.id(), t.id(), null);
        newEvents();
        f.tweets.delete(bob.id(), again.id());
        assertThat(newEvents()).containsExactly(seen(EventType.UNREPOSTED, bob.id(), again.id(), t.id()));
    }

    @Test
    void favouriteAndUnfavouriteNameTheTweetAndItsAuthor() throws Exception {
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("like me"));
        Tweet repost = f.tweets.repost(carol.id(), t.id(), null);
        newEvents();

        f.tweets.favourite(bob.id(), t.id());
        assertThat(newEvents()).containsExactly(seen(EventType.FAVOURITED, bob.id(), t.id(), alice.id()));

        f.tweets.favourite(bob.id(), repost.id());
        assertThat(newEvents()).isEmpty();

        f.tweets.unfavourite(bob.id(), t.id());
        assertThat(newEvents()).containsExactly(seen(EventType.UNFAVOURITED, bob.id(), t.id(), alice.id()));

        f.tweets.unfavourite(bob.id(), t.id());
        assertThat(newEvents()).isEmpty();
    }

    @Test
    void deleteAppendsOneTweetDeletedPerRemovedTweetOnEachAuthorsPartition() throws Exception {
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("share me"));
        Tweet bobs = f.tweets.repost(bob.id(), t.id(), null);
        Tweet carols = f.tweets.repost(carol.id(), t.id(), null);
        f.tweets.favourite(bob.id(), t.id());
        newEvents();

        f.tweets.delete(alice.id(), t.id());

        assertThat(newEvents()).containsExactly(
                seen(EventType.TWEET_DELETED, alice.id(), t.id(), 0),
                seen(EventType.TWEET_DELETED, bob.id(), bobs.id(), t.id()),
                seen(EventType.TWEET_DELETED, carol.id(), carols.id(), t.id()));
    }

    @Test
    void aDeletedReplyOrQuoteNamesWhatItRepliedToOrQuotedAsAtCreation() throws Exception {
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("original"));
        Tweet reply = f.tweets.post(bob.id(), NewTweet.of("reply").replyingTo(t.id()));
        Tweet quote = f.tweets.post(carol.id(), NewTweet.of("quote").quoting(t.id()));
        newEvents();

        f.tweets.delete(bob.id(), reply.id());
        assertThat(newEvents()).containsExactly(seen(EventType.TWEET_DELETED, bob.id(), reply.id(), t.id()));

        f.tweets.delete(carol.id(), quote.id());
        assertThat(newEvents()).containsExactly(seen(EventType.TWEET_DELETED, carol.id(), quote.id(), t.id()));
    }

    // ---- rejected writes ----------------------------------------------------------------------

    /** What users can see of the server: accounts, counts, relationships, timelines, tweet counts. */
    record State(List<Account> accounts, List<AccountCounts> counts, List<Relationship> relationships,
                 List<List<Long>> timelines, List<TweetCounts> tweetCounts, long[] totals) {}

    private State state(List<Account> accounts, long[] tweetIds) {
        List<Account> records = new ArrayList<>();
        List<AccountCounts> counts = new ArrayList<>();
        List<Relationship> relationships = new ArrayList<>();
        List<List<Long>> timelines = new ArrayList<>();
        for (Account a : accounts) {
            records.add(f.users.require(a.id()));
            counts.add(f.users.counts(a.id()));
            timelines.add(f.tweets.userTimeline(a.id(), a.id(), Page.newest(100), false, false).stream()
                    .map(Tweet::id).toList());
            for (Account b : accounts) {
                if (a.id() != b.id()) {
                    relationships.add(f.graph.relationship(a.id(), b.id()));
                }
            }
        }
        return new State(records, counts, relationships, timelines, List.of(f.tweets.counts(tweetIds)), f.users.totals());
    }

    private static void assertRefused(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOf(RookeryException.class);
    }

    @Test
    void rejectedWritesAppendNothingAndChangeNothing() throws Exception {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(alice.id(), bob.id(), true, false);
        f.graph.follow(carol.id(), dave.id(), true, false);
        f.graph.block(bob.id(), carol.id());
        Tweet bobs = f.tweets.post(bob.id(), NewTweet.of("bob's"));
        Tweet daves = f.tweets.post(dave.id(), NewTweet.of("followers only"));
        Tweet alices = f.tweets.post(alice.id(), NewTweet.of("alice's").withVisibility(Visibility.PRIVATE));
        List<Account> everyone = List.of(alice, bob, carol, dave);
        long[] tweetIds = {bobs.id(), daves.id(), alices.id()};
        newEvents();
        State before = state(everyone, tweetIds);

        // Accounts.
        assertRefused(() -> f.users.register("ALICE", "new@example.com", "correct horse", Registrations.OPEN));
        assertRefused(() -> f.users.register("erin", ServiceFixture.emailOf("alice").toUpperCase(Locale.ROOT), "correct horse",
                Registrations.OPEN));
        assertRefused(() -> f.users.register("erin", "erin@example.com", "short", Registrations.OPEN));
        assertRefused(() -> f.users.register("erin", "erin@example.com", "correct horse", Registrations.CLOSED));
        assertRefused(() -> f.users.register("no-dashes", "erin@example.com", "correct horse", Registrations.OPEN));
        assertRefused(() -> f.users.updateProfile(alice.id(), "x".repeat(31), "new note", true, true));
        // Graph.
        assertRefused(() -> f.graph.follow(alice.id(), alice.id(), true, false));
        assertRefused(() -> f.graph.follow(carol.id(), bob.id(), true, false));
        assertRefused(() -> f.graph.follow(alice.id(), 424242, true, false));
        assertRefused(() -> f.graph.block(alice.id(), alice.id()));
        assertRefused(() -> f.graph.mute(alice.id(), alice.id(), true));
        assertRefused(() -> f.graph.authorizeRequest(dave.id(), bob.id()));
        assertRefused(() -> f.graph.rejectRequest(dave.id(), bob.id()));
        // Tweets.
        assertRefused(() -> f.tweets.post(alice.id(), NewTweet.of(" ")));
        assertRefused(() -> f.tweets.post(alice.id(), NewTweet.of("x".repeat(501)).withIdempotencyKey("k")));
        assertRefused(() -> f.tweets.post(alice.id(), NewTweet.of("x").withIdempotencyKey("")));
        assertRefused(() -> f.tweets.post(alice.id(), NewTweet.of("hm").replyingTo(daves.id())));
        assertRefused(() -> f.tweets.post(carol.id(), NewTweet.of("hm").replyingTo(bobs.id())));
        assertRefused(() -> f.tweets.post(alice.id(), NewTweet.of("hm").quoting(daves.id())));
        assertRefused(() -> f.tweets.repost(bob.id(), alices.id(), null));
        assertRefused(() -> f.tweets.repost(carol.id(), bobs.id(), null));
        assertRefused(() -> f.tweets.favourite(carol.id(), bobs.id()));
        assertRefused(() -> f.tweets.favourite(alice.id(), daves.id()));
        assertRefused(() -> f.tweets.delete(alice.id(), bobs.id()));
        assertRefused(() -> f.tweets.delete(alice.id(), 424242));

        assertThat(newEvents()).isEmpty();
        assertThat(state(everyone, tweetIds)).usingRecursiveComparison().isEqualTo(before);
        assertThat(f.users.byHandle("erin")).isEmpty();
        // The refused post's key is still free.
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("now valid").withIdempotencyKey("k"));
        assertThat(t.text()).isEqualTo("now valid");
    }
}
