package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.activity.Notification;
import org.rookery.core.activity.Notification.Type;
import org.rookery.core.activity.NotificationService;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventType;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.tweets.NewTweet;

/**
 * Notifications as the {@code notifications} consumer builds them: each test makes writes through the
 * real services, reads the events they appended from the log and hands them to
 * {@link NotificationService#apply} itself, so what is applied, and when, is deterministic.
 */
class NotificationServiceTest {
    private static final Set<Type> ALL = EnumSet.allOf(Type.class);

    @TempDir
    Path dir;

    private ServiceFixture f;
    private EventConsumer log;
    private NotificationService notifications;
    private Account alice;
    private Account bob;
    private Account carol;

    /** What a user sees of one notification: what happened, who did it, about which status (0: none). */
    record Seen(Type type, long account, long status) {}

    @BeforeEach
    void open() throws InterruptedException {
        f = ServiceFixture.open(dir);
        log = f.store.subscribe("test", StartFrom.earliest());
        notifications = new NotificationService(f.store, f.tweets, f.graph, 800);
        alice = f.signUp("alice");
        bob = f.signUp("bob");
        carol = f.signUp("carol");
        deliver();
    }

    @AfterEach
    void close() {
        log.close();
        f.close();
    }

    /** The events appended since the last call, as the consumer would be handed them. */
    private List<LogRecord> newEvents() throws InterruptedException {
        List<LogRecord> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // A commit returns once its events are readable, so reading up to the end offsets gets them all.
        while (!caughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out reading the event log");
            }
            out.addAll(log.poll(1000, Duration.ofMillis(100)));
        }
        return out;
    }

    private boolean caughtUp() {
        for (int p : log.partitions()) {
            if (log.position(p) < f.store.endOffset(p)) {
                return false;
            }
        }
        return true;
    }

    /** Applies the events appended since the last call; returns them. */
    private List<LogRecord> deliver() throws InterruptedException {
        List<LogRecord> batch = newEvents();
        notifications.apply(batch);
        return batch;
    }

    private List<Notification> all(Account owner) {
        return notifications.page(owner.id(), Page.newest(10_000), ALL, 0);
    }

    /** {@code owner}'s notifications, newest first. */
    private List<Seen> seen(Account owner) {
        return all(owner).stream().map(n -> new Seen(n.type(), n.accountId(), n.statusId())).toList();
    }

    private static Seen seen(Type type, Account actor, long status) {
        return new Seen(type, actor.id(), status);
    }

    private static Seen seen(Type type, Account actor, Tweet status) {
        return new Seen(type, actor.id(), status.id());
    }

    private Tweet post(Account author, String text) {
        return f.tweets.post(author.id(), NewTweet.of(text));
    }

    // ---- each kind ----------------------------------------------------------------------------

    @Test
    void aMentionNotifiesEachMentionedAccountOnce() throws Exception {
        Tweet t = post(alice, "hello @bob and @carol, and again @bob; @nobody is not here");
        List<LogRecord> batch = deliver();

        assertThat(seen(bob)).containsExactly(seen(Type.MENTION, alice, t));
        assertThat(seen(carol)).containsExactly(seen(Type.MENTION, alice, t));
        assertThat(seen(alice)).isEmpty();
        Notification n = all(bob).get(0);
        LogRecord created = batch.stream().filter(r -> r.event().type() == EventType.TWEET_CREATED).findFirst().orElseThrow();
        assertThat(n.id()).as("the notification id is the id of the event that caused it").isEqualTo(created.event().id());
        assertThat(n.createdAtMillis()).isEqualTo(created.event().timestampMillis());
    }

    @Test
    void aReplyNotifiesTheAuthorItRepliesToAsAMention() throws Exception {
        Tweet t = post(alice, "what do you think?");
        Tweet reply = f.tweets.post(bob.id(), NewTweet.of("I agree").replyingTo(t.id()));
        Tweet thread = f.tweets.post(bob.id(), NewTweet.of("and more").replyingTo(reply.id()));
        deliver();

        assertThat(seen(alice)).containsExactly(seen(Type.MENTION, bob, reply));
        assertThat(seen(bob)).as("replying to oneself notifies nobody").isEmpty();
        assertThat(thread.mentionIds()).isEmpty();
    }

    @Test
    void favouritesAndRepostsNotifyTheAuthorWithTheOriginalStatus() throws Exception {
        Tweet t = post(alice, "share and like me");
        deliver();
        f.tweets.favourite(bob.id(), t.id());
        Tweet repost = f.tweets.repost(carol.id(), t.id(), null);
        f.tweets.favourite(carol.id(), repost.id()); // a favourite of a repost is one of the original
        deliver();

        assertThat(seen(alice)).containsExactlyInAnyOrder(
                seen(Type.FAVOURITE, bob, t), seen(Type.REBLOG, carol, t), seen(Type.FAVOURITE, carol, t));
        assertThat(seen(bob)).isEmpty();
        assertThat(seen(carol)).isEmpty();
    }

    @Test
    void followsAndFollowRequestsNotifyTheFollowedAccount() throws Exception {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(bob.id(), alice.id(), true, false);
        f.graph.follow(bob.id(), dave.id(), true, false);
        deliver();

        assertThat(seen(alice)).containsExactly(seen(Type.FOLLOW, bob, 0));
        assertThat(seen(dave)).containsExactly(seen(Type.FOLLOW_REQUEST, bob, 0));
        assertThat(seen(bob)).isEmpty();
    }

    @Test
    void bulkImportedFollowsNotifyNobodyWhileAnApiFollowStillDoes() throws Exception {
        f.graph.followAll(new long[] {bob.id(), carol.id()}, new long[] {alice.id(), alice.id()});
        deliver();
        assertThat(f.graph.relationship(alice.id(), bob.id()).followedBy()).isTrue();
        assertThat(seen(alice)).as("an operator's import carries relationships that existed before").isEmpty();

        f.graph.follow(alice.id(), bob.id(), true, false);
        deliver();
        assertThat(seen(bob)).containsExactly(seen(Type.FOLLOW, alice, 0));
    }

    @Test
    void aHandledFollowRequestGoesAwayAndAnAuthorizedOneIsNotAnnouncedAsAFollow() throws Exception {
        Account dave = f.signUpLocked("dave");
        Account erin = f.signUp("erin");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.follow(carol.id(), dave.id(), true, false);
        f.graph.follow(erin.id(), dave.id(), true, false);
        deliver();
        assertThat(seen(dave)).containsExactly(
                seen(Type.FOLLOW_REQUEST, erin, 0), seen(Type.FOLLOW_REQUEST, carol, 0), seen(Type.FOLLOW_REQUEST, bob, 0));

        f.graph.authorizeRequest(dave.id(), bob.id());
        f.graph.rejectRequest(dave.id(), carol.id());
        f.graph.unfollow(erin.id(), dave.id()); // withdrawn
        deliver();

        assertThat(seen(dave)).isEmpty();
        assertThat(f.graph.isFollowing(bob.id(), dave.id())).isTrue();
    }

    @Test
    void aRequestAuthorizedInTheSameBatchLeavesNothing() throws Exception {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.authorizeRequest(dave.id(), bob.id());
        deliver();

        assertThat(seen(dave)).isEmpty();
    }

    // ---- who is not notified --------------------------------------------------------------------

    @Test
    void nobodyIsNotifiedOfTheirOwnActions() throws Exception {
        Tweet t = post(alice, "talking to myself, @alice");
        f.tweets.post(alice.id(), NewTweet.of("indeed").replyingTo(t.id()));
        f.tweets.favourite(alice.id(), t.id());
        f.tweets.repost(alice.id(), t.id(), null);
        deliver();

        assertThat(seen(alice)).isEmpty();
    }

    @Test
    void accountsInABlockEitherWayNotifyNobody() throws Exception {
        f.graph.block(bob.id(), carol.id()); // bob blocks carol: carol cannot reach bob
        f.graph.block(alice.id(), bob.id()); // alice blocks bob: alice cannot reach bob either
        Account dave = f.signUp("dave");
        post(carol, "hey @bob");
        post(alice, "hey @bob");
        post(dave, "hey @bob");
        deliver();

        assertThat(seen(bob)).extracting(Seen::account).containsExactly(dave.id());
    }

    @Test
    void muteWithNotificationsSilencesAnAccountAndAPlainMuteDoesNot() throws Exception {
        f.graph.mute(alice.id(), bob.id(), true);
        f.graph.mute(alice.id(), carol.id(), false);
        Tweet t = post(alice, "hello");
        deliver();
        Tweet fromBob = post(bob, "@alice hi");
        Tweet fromCarol = post(carol, "@alice hi");
        f.tweets.favourite(bob.id(), t.id());
        f.tweets.favourite(carol.id(), t.id());
        f.graph.follow(bob.id(), alice.id(), true, false);
        f.graph.follow(carol.id(), alice.id(), true, false);
        deliver();

        assertThat(seen(alice)).containsExactlyInAnyOrder(
                seen(Type.MENTION, carol, fromCarol), seen(Type.FAVOURITE, carol, t), seen(Type.FOLLOW, carol, 0));
        assertThat(fromBob.mentionIds()).containsExactly(alice.id());
    }

    @Test
    void aBlockClearsTheNotificationsBetweenTheTwoAccountsOnly() throws Exception {
        Tweet alices = post(alice, "alice's");
        Tweet bobs = post(bob, "bob's");
        deliver();
        post(bob, "@alice hi");
        f.tweets.favourite(bob.id(), alices.id());
        f.graph.follow(bob.id(), alice.id(), true, false);
        f.tweets.favourite(alice.id(), bobs.id());
        f.graph.follow(alice.id(), bob.id(), true, false);
        Tweet fromCarol = post(carol, "@alice @bob hello both");
        deliver();
        assertThat(seen(alice)).hasSize(4);
        assertThat(seen(bob)).hasSize(3);

        f.graph.block(alice.id(), bob.id());
        deliver();

        assertThat(seen(alice)).containsExactly(seen(Type.MENTION, carol, fromCarol));
        assertThat(seen(bob)).containsExactly(seen(Type.MENTION, carol, fromCarol));
        assertThat(notifications.page(alice.id(), Page.newest(40), ALL, bob.id())).isEmpty();
    }

    // ---- undo -------------------------------------------------------------------------------------

    @Test
    void undoingAnActionTakesItsNotificationBack() throws Exception {
        Tweet t = post(alice, "hello");
        Tweet other = post(alice, "another");
        deliver();
        f.tweets.favourite(bob.id(), t.id());
        f.tweets.favourite(bob.id(), other.id());
        f.tweets.repost(carol.id(), t.id(), null);
        f.graph.follow(bob.id(), alice.id(), true, false);
        f.graph.follow(carol.id(), alice.id(), true, false);
        deliver();
        assertThat(seen(alice)).hasSize(5);

        f.tweets.unfavourite(bob.id(), t.id());
        f.tweets.unrepost(carol.id(), t.id());
        f.graph.unfollow(bob.id(), alice.id());
        deliver();

        assertThat(seen(alice)).containsExactlyInAnyOrder(seen(Type.FAVOURITE, bob, other), seen(Type.FOLLOW, carol, 0));
    }

    @Test
    void deletingAStatusTakesEveryNotificationAboutItAway() throws Exception {
        Tweet t = post(alice, "soon gone");
        Tweet kept = post(alice, "stays");
        deliver();
        f.tweets.favourite(bob.id(), t.id());
        f.tweets.repost(carol.id(), t.id(), null);
        f.tweets.favourite(carol.id(), kept.id());
        Tweet mention = post(bob, "@alice @carol look");
        Tweet repostOfKept = f.tweets.repost(bob.id(), kept.id(), null);
        deliver();
        assertThat(seen(alice)).hasSize(5);

        f.tweets.delete(alice.id(), t.id());
        f.tweets.delete(bob.id(), mention.id());
        f.tweets.delete(bob.id(), repostOfKept.id()); // deleting a repost undoes it
        deliver();

        assertThat(seen(alice)).containsExactly(seen(Type.FAVOURITE, carol, kept));
        assertThat(seen(carol)).isEmpty();
    }

    @Test
    void anActionUndoneBeforeItWasDeliveredNotifiesNobody() throws Exception {
        Tweet t = post(alice, "hello");
        f.tweets.favourite(bob.id(), t.id());
        f.tweets.unfavourite(bob.id(), t.id());
        Tweet gone = post(bob, "@alice oops");
        f.tweets.delete(bob.id(), gone.id());
        f.graph.follow(carol.id(), alice.id(), true, false);
        f.graph.unfollow(carol.id(), alice.id());
        deliver();

        assertThat(seen(alice)).isEmpty();
    }

    // ---- delivery -------------------------------------------------------------------------------

    @Test
    void reDeliveringABatchLeavesTheSameNotifications() throws Exception {
        Account dave = f.signUpLocked("dave");
        Tweet t = post(alice, "hello @dave");
        deliver();
        f.tweets.favourite(bob.id(), t.id());
        f.tweets.repost(carol.id(), t.id(), null);
        post(bob, "@alice @carol hi");
        f.graph.follow(bob.id(), dave.id(), true, false);
        f.graph.follow(carol.id(), dave.id(), true, false);
        f.graph.authorizeRequest(dave.id(), carol.id());
        f.tweets.unfavourite(bob.id(), t.id());
        f.graph.follow(carol.id(), alice.id(), true, false);
        List<LogRecord> batch = newEvents();

        notifications.apply(batch);
        Map<String, List<Notification>> once = snapshot(alice, bob, carol, dave);
        notifications.apply(batch);
        notifications.apply(batch);

        assertThat(snapshot(alice, bob, carol, dave)).isEqualTo(once);
        assertThat(once.get("alice")).extracting(Notification::type).containsExactlyInAnyOrder(
                Type.MENTION, Type.REBLOG, Type.FOLLOW);
        assertThat(once.get("dave")).extracting(Notification::type).containsExactly(Type.FOLLOW_REQUEST, Type.MENTION);
    }

    private Map<String, List<Notification>> snapshot(Account... owners) {
        Map<String, List<Notification>> out = new LinkedHashMap<>();
        for (Account a : owners) {
            out.put(a.handle(), all(a));
        }
        return out;
    }

    /**
     * Random writes among a few accounts, one of them protected; then the whole log applied once by
     * one service, and in random batches, each delivered one to three times, by another: both see the
     * same notifications, and each account's notifications from one actor are exactly what the
     * per-actor index answers.
     */
    @Test
    void batchingAndReDeliveryDoNotChangeTheOutcome() throws Exception {
        long seed = new Random().nextLong();
        try {
            checkBatchingAndReDelivery(new Random(seed));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed + "L (replay: new Random(" + seed + "L))", e);
        }
    }

    private void checkBatchingAndReDelivery(Random random) throws Exception {
        List<Account> users = new ArrayList<>(List.of(alice, bob, carol, f.signUp("dave"), f.signUpLocked("erin")));
        List<Tweet> posted = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Account actor = users.get(random.nextInt(users.size()));
            Account other = users.get(random.nextInt(users.size()));
            Tweet some = posted.isEmpty() ? null : posted.get(random.nextInt(posted.size()));
            try {
                switch (random.nextInt(14)) {
                    case 0, 1 -> posted.add(f.tweets.post(actor.id(), NewTweet.of("hi @" + other.handle())));
                    case 2 -> posted.add(some == null ? post(actor, "first")
                            : f.tweets.post(actor.id(), NewTweet.of("re").replyingTo(some.id())));
                    case 3 -> posted.add(post(actor, "just me"));
                    case 4 -> f.tweets.favourite(actor.id(), some == null ? 0 : some.id());
                    case 5 -> f.tweets.unfavourite(actor.id(), some == null ? 0 : some.id());
                    case 6 -> f.tweets.repost(actor.id(), some == null ? 0 : some.id(), null);
                    case 7 -> f.tweets.unrepost(actor.id(), some == null ? 0 : some.id());
                    case 8 -> f.tweets.delete(actor.id(), some == null ? 0 : some.id());
                    case 9, 10 -> f.graph.follow(actor.id(), other.id(), true, false);
                    case 11 -> f.graph.unfollow(actor.id(), other.id());
                    case 12 -> {
                        if (random.nextBoolean()) {
                            f.graph.authorizeRequest(other.id(), actor.id());
                        } else {
                            f.graph.rejectRequest(other.id(), actor.id());
                        }
                    }
                    default -> {
                        switch (random.nextInt(4)) {
                            case 0 -> f.graph.block(actor.id(), other.id());
                            case 1 -> f.graph.unblock(actor.id(), other.id());
                            case 2 -> f.graph.mute(actor.id(), other.id(), random.nextBoolean());
                            default -> f.graph.unmute(actor.id(), other.id());
                        }
                    }
                }
            } catch (RookeryException refused) {
                // not allowed (hidden, blocked, yourself, nothing pending): the write appended nothing
            }
        }
        List<LogRecord> events = newEvents();
        NotificationService once = new NotificationService(new Namespaced(f.store, (byte) 1), f.tweets, f.graph, 800);
        NotificationService batched = new NotificationService(new Namespaced(f.store, (byte) 2), f.tweets, f.graph, 800);
        once.apply(events);
        for (int from = 0; from < events.size(); ) {
            int to = Math.min(events.size(), from + 1 + random.nextInt(40));
            List<LogRecord> batch = events.subList(from, to);
            for (int times = 1 + random.nextInt(3); times > 0; times--) {
                batched.apply(batch);
            }
            from = to;
        }

        int total = 0;
        for (Account owner : users) {
            List<Notification> expected = once.page(owner.id(), Page.newest(10_000), ALL, 0);
            assertThat(batched.page(owner.id(), Page.newest(10_000), ALL, 0)).as("notifications of %s", owner.handle())
                    .isEqualTo(expected);
            total += expected.size();
            for (Account actor : users) {
                assertThat(batched.page(owner.id(), Page.newest(10_000), ALL, actor.id()))
                        .as("notifications of %s from %s", owner.handle(), actor.handle())
                        .isEqualTo(expected.stream().filter(n -> n.accountId() == actor.id()).toList());
            }
        }
        assertThat(total).as("the random writes notified someone").isPositive();
    }

    // ---- capacity -------------------------------------------------------------------------------

    @Test
    void aTimelineKeepsOnlyTheNewestNotificationsUpToItsCapacity() throws Exception {
        NotificationService small = new NotificationService(f.store, f.tweets, f.graph, 5);
        List<Tweet> mentions = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            mentions.add(post(bob, "@alice number " + i));
        }
        small.apply(newEvents());
        assertThat(idsOf(small, alice)).containsExactlyElementsOf(statusIdsNewestFirst(mentions, 5));

        // One at a time, and after a dismissal: still the newest five, none lost early.
        for (int i = 8; i < 11; i++) {
            mentions.add(post(bob, "@alice number " + i));
            small.apply(newEvents());
            assertThat(idsOf(small, alice)).containsExactlyElementsOf(statusIdsNewestFirst(mentions, 5));
        }
        long dismissed = small.page(alice.id(), Page.newest(1), ALL, 0).get(0).id();
        assertThat(small.dismiss(alice.id(), dismissed)).isTrue();
        mentions.remove(mentions.size() - 1);
        mentions.add(post(carol, "@alice from carol"));
        small.apply(newEvents());
        assertThat(idsOf(small, alice)).containsExactlyElementsOf(statusIdsNewestFirst(mentions, 5));
        assertThat(small.page(alice.id(), Page.newest(100), ALL, bob.id())).as("the per-actor index is trimmed too")
                .hasSize(4);

        // A trimmed notification's status can still be deleted without trouble.
        f.tweets.delete(bob.id(), mentions.get(0).id());
        small.apply(newEvents());
        assertThat(idsOf(small, alice)).hasSize(5);
    }

    private static List<Long> idsOf(NotificationService service, Account owner) {
        return service.page(owner.id(), Page.newest(100), ALL, 0).stream().map(Notification::statusId).toList();
    }

    private static List<Long> statusIdsNewestFirst(List<Tweet> tweets, int n) {
        List<Long> ids = new ArrayList<>(tweets.stream().map(Tweet::id).toList());
        Collections.reverse(ids);
        return ids.subList(0, Math.min(n, ids.size()));
    }

    // ---- reading ----------------------------------------------------------------------------------

    @Test
    void pagesFilterByTypeAndAccountAndFollowCursors() throws Exception {
        Tweet t = post(alice, "hello");
        deliver();
        Tweet m1 = post(bob, "@alice one");
        f.tweets.favourite(bob.id(), t.id());
        f.graph.follow(bob.id(), alice.id(), true, false);
        Tweet m2 = post(carol, "@alice two");
        f.tweets.favourite(carol.id(), t.id());
        deliver();
        List<Notification> every = all(alice);
        assertThat(every).hasSize(5);
        assertThat(every).extracting(Notification::id).isSortedAccordingTo((a, b) -> Long.compare(b, a));

        assertThat(notifications.page(alice.id(), Page.newest(40), EnumSet.of(Type.MENTION), 0))
                .extracting(Notification::statusId).containsExactlyInAnyOrder(m1.id(), m2.id());
        assertThat(notifications.page(alice.id(), Page.newest(40), EnumSet.complementOf(EnumSet.of(Type.MENTION)), 0))
                .extracting(Notification::type).containsOnly(Type.FAVOURITE, Type.FOLLOW).hasSize(3);
        assertThat(notifications.page(alice.id(), Page.newest(40), EnumSet.noneOf(Type.class), 0)).isEmpty();
        assertThat(notifications.page(alice.id(), Page.newest(40), ALL, bob.id()))
                .extracting(Notification::accountId).containsOnly(bob.id()).hasSize(3);
        assertThat(notifications.page(alice.id(), Page.newest(40), EnumSet.of(Type.FAVOURITE), carol.id()))
                .extracting(Notification::statusId).containsExactly(t.id());

        // Walking down by max_id and back up by min_id visits every notification once.
        List<Notification> down = new ArrayList<>();
        long maxId = 0;
        while (true) {
            List<Notification> page = notifications.page(alice.id(), new Page(maxId, 0, 0, 2), ALL, 0);
            if (page.isEmpty()) {
                break;
            }
            down.addAll(page);
            maxId = page.get(page.size() - 1).id();
        }
        assertThat(down).isEqualTo(every);
        List<Notification> up = new ArrayList<>();
        long minId = every.get(every.size() - 1).id();
        up.add(every.get(every.size() - 1));
        while (true) {
            List<Notification> page = notifications.page(alice.id(), new Page(0, 0, minId, 2), ALL, 0);
            if (page.isEmpty()) {
                break;
            }
            up.addAll(0, page);
            minId = page.get(0).id();
        }
        assertThat(up).isEqualTo(every);
        assertThat(notifications.page(alice.id(), new Page(0, every.get(2).id(), 0, 40), ALL, 0))
                .as("since_id: the newest ones above it").isEqualTo(every.subList(0, 2));
    }

    @Test
    void aNotificationCanBeReadDismissedAndCleared() throws Exception {
        post(bob, "@alice one");
        post(carol, "@alice two");
        post(carol, "@bob three");
        deliver();
        List<Notification> before = all(alice);
        Notification first = before.get(0);

        assertThat(notifications.get(alice.id(), first.id())).contains(first);
        assertThat(notifications.get(bob.id(), first.id())).as("someone else's notification").isEmpty();
        assertThat(notifications.dismiss(bob.id(), first.id())).isFalse();
        assertThat(notifications.dismiss(alice.id(), first.id())).isTrue();
        assertThat(notifications.get(alice.id(), first.id())).isEmpty();
        assertThat(notifications.dismiss(alice.id(), first.id())).isFalse();
        assertThat(all(alice)).containsExactly(before.get(1));
        assertThat(notifications.page(alice.id(), Page.newest(40), ALL, first.accountId())).isEmpty();

        assertThat(notifications.clear(alice.id())).isEqualTo(1);
        assertThat(all(alice)).isEmpty();
        assertThat(all(bob)).as("clearing is one's own").hasSize(1);
    }

    @Test
    void aNotificationWhoseStatusTheOwnerCanNoLongerSeeIsLeftOut() throws Exception {
        Tweet kept = post(carol, "@bob first");
        Tweet hidden = post(dave(), "@bob second");
        deliver();
        Notification ofHidden = all(bob).get(0);
        assertThat(ofHidden.statusId()).isEqualTo(hidden.id());

        f.graph.block(hidden.authorId(), bob.id()); // not yet delivered: the author's block hides the status
        assertThat(seen(bob)).containsExactly(new Seen(Type.MENTION, carol.id(), kept.id()));
        assertThat(notifications.get(bob.id(), ofHidden.id())).isEmpty();
        assertThat(notifications.page(bob.id(), Page.newest(1), ALL, 0)).as("reading goes on past it to fill the page")
                .extracting(Notification::statusId).containsExactly(kept.id());

        deliver();
        assertThat(seen(bob)).containsExactly(new Seen(Type.MENTION, carol.id(), kept.id()));
    }

    private Account dave() {
        return f.users.byHandle("dave").orElseGet(() -> f.signUp("dave"));
    }

    @Test
    void privateAndDirectMentionsReachTheMentionedAccount() throws Exception {
        Tweet direct = f.tweets.post(bob.id(), NewTweet.of("@alice psst").withVisibility(Visibility.DIRECT));
        Tweet privately = f.tweets.post(carol.id(), NewTweet.of("@alice followers only").withVisibility(Visibility.PRIVATE));
        deliver();

        assertThat(seen(alice)).containsExactly(seen(Type.MENTION, carol, privately), seen(Type.MENTION, bob, direct));
    }

    // ---- a store view for side-by-side services -------------------------------------------------

    /**
     * The store with its {@link Table#NOTIFICATIONS} keys under a one-byte namespace, so that two
     * services can build notifications from the same tweets and graph without sharing them.
     */
    private static final class Namespaced implements KeyValueStore {
        private final KeyValueStore store;
        private final byte namespace;

        Namespaced(KeyValueStore store, byte namespace) {
            this.store = store;
            this.namespace = namespace;
        }

        private byte[] map(Table table, byte[] key) {
            if (table != Table.NOTIFICATIONS) {
                return key;
            }
            byte[] k = new byte[key.length + 1];
            k[0] = namespace;
            System.arraycopy(key, 0, k, 1, key.length);
            return k;
        }

        @Override
        public byte @Nullable [] get(Table table, byte[] key) {
            return store.get(table, map(table, key));
        }

        @Override
        public List<byte @Nullable []> multiGet(Table table, List<byte[]> keys) {
            return store.multiGet(table, keys.stream().map(k -> map(table, k)).toList());
        }

        @Override
        public void scan(Table table, byte[] prefix, byte @Nullable [] from, boolean reverse, Visitor visitor) {
            if (table != Table.NOTIFICATIONS) {
                store.scan(table, prefix, from, reverse, visitor);
                return;
            }
            store.scan(table, map(table, prefix), from == null ? null : map(table, from), reverse,
                    (k, v) -> visitor.visit(Arrays.copyOfRange(k, 1, k.length), v));
        }

        @Override
        public void commit(WriteBatch batch) {
            WriteBatch mapped = new WriteBatch();
            for (WriteBatch.Op op : batch.ops()) {
                byte[] key = map(op.table(), op.key());
                switch (op.kind()) {
                    case PUT -> mapped.put(op.table(), key, op.value());
                    case DELETE -> mapped.delete(op.table(), key);
                    case INCREMENT -> mapped.increment(op.table(), key, Bytes.fromLittleEndian(op.value()));
                }
            }
            batch.events().forEach(mapped::append);
            store.commit(mapped);
        }

        @Override
        public void close() {
            // the fixture closes the store
        }
    }
}
