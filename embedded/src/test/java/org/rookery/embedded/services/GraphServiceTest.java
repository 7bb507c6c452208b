package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import org.rookery.core.model.AccountCounts;
import org.rookery.core.model.Page;
import org.rookery.core.model.PagedIds;
import org.rookery.core.model.Relationship;

class GraphServiceTest {
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

    private static void assertStatus(Runnable call, int status) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(status));
    }

    private static long[] ids(Account... accounts) {
        return Arrays.stream(accounts).mapToLong(Account::id).toArray();
    }

    // ---- follow and unfollow ----------------------------------------------------------------

    @Test
    void followMakesTheEdgeAndCountsIt() {
        Relationship r = f.graph.follow(alice.id(), bob.id(), true, false);

        assertThat(r.id()).isEqualTo(bob.id());
        assertThat(r.following()).isTrue();
        assertThat(r.requested()).isFalse();
        assertThat(f.graph.isFollowing(alice.id(), bob.id())).isTrue();
        assertThat(f.graph.isFollowing(bob.id(), alice.id())).isFalse();
        assertThat(f.users.counts(alice.id())).isEqualTo(new AccountCounts(0, 1, 0));
        assertThat(f.users.counts(bob.id())).isEqualTo(new AccountCounts(1, 0, 0));
        assertThat(f.graph.followers(bob.id(), Page.newest(10)).ids()).containsExactly(alice.id());
        assertThat(f.graph.following(alice.id(), Page.newest(10)).ids()).containsExactly(bob.id());
    }

    @Test
    void followingTwiceIsOneFollow() {
        f.graph.follow(alice.id(), bob.id(), true, false);
        Relationship again = f.graph.follow(alice.id(), bob.id(), true, false);

        assertThat(again.following()).isTrue();
        assertThat(f.users.counts(alice.id()).following()).isEqualTo(1);
        assertThat(f.users.counts(bob.id()).followers()).isEqualTo(1);
        assertThat(f.graph.followers(bob.id(), Page.newest(10)).ids()).containsExactly(alice.id());
    }

    @Test
    void followingAgainUpdatesTheFollowOptionsOnly() {
        f.graph.follow(alice.id(), bob.id(), true, false);
        long edge = f.graph.followers(bob.id(), Page.newest(10)).cursors()[0];

        Relationship r = f.graph.follow(alice.id(), bob.id(), false, true);

        assertThat(r.showingReposts()).isFalse();
        assertThat(r.notifying()).isTrue();
        assertThat(f.graph.followers(bob.id(), Page.newest(10)).cursors()).containsExactly(edge);
        assertThat(f.users.counts(bob.id()).followers()).isEqualTo(1);
    }

    @Test
    void unfollowRemovesTheEdgeAndIsIdempotent() {
        f.graph.follow(alice.id(), bob.id(), true, false);

        Relationship r = f.graph.unfollow(alice.id(), bob.id());
        Relationship again = f.graph.unfollow(alice.id(), bob.id());

        assertThat(r.following()).isFalse();
        assertThat(again.following()).isFalse();
        assertThat(f.users.counts(alice.id())).isEqualTo(AccountCounts.ZERO);
        assertThat(f.users.counts(bob.id())).isEqualTo(AccountCounts.ZERO);
        assertThat(f.graph.followers(bob.id(), Page.newest(10)).isEmpty()).isTrue();
        assertThat(f.graph.following(alice.id(), Page.newest(10)).isEmpty()).isTrue();
        // Unfollowing someone never followed changes nothing either.
        assertThat(f.graph.unfollow(carol.id(), bob.id()).following()).isFalse();
        assertThat(f.users.counts(carol.id())).isEqualTo(AccountCounts.ZERO);
    }

    @Test
    void refusesFollowingYourselfOrAnUnknownAccount() {
        assertStatus(() -> f.graph.follow(alice.id(), alice.id(), true, false), 403);
        assertStatus(() -> f.graph.follow(alice.id(), 42, true, false), 404);
        assertStatus(() -> f.graph.unfollow(alice.id(), 42), 404);

        assertThat(f.users.counts(alice.id())).isEqualTo(AccountCounts.ZERO);
    }

    // ---- follow requests ----------------------------------------------------------------------

    @Test
    void followingAProtectedAccountAsksFirst() {
        Account dave = f.signUpLocked("dave");

        Relationship r = f.graph.follow(alice.id(), dave.id(), true, true);
        f.graph.follow(alice.id(), dave.id(), true, true);

        assertThat(r.following()).isFalse();
        assertThat(r.requested()).isTrue();
        assertThat(r.showingReposts()).isTrue();
        assertThat(r.notifying()).isTrue();
        assertThat(f.graph.relationship(dave.id(), alice.id()).requestedBy()).isTrue();
        assertThat(f.graph.isFollowing(alice.id(), dave.id())).isFalse();
        assertThat(f.users.counts(dave.id()).followers()).isZero();
        assertThat(f.users.counts(alice.id()).following()).isZero();
        assertThat(f.graph.pendingRequests(dave.id(), Page.newest(10)).ids()).containsExactly(alice.id());
    }

    @Test
    void authorizingARequestMakesTheFollow() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(alice.id(), dave.id(), false, true);

        Relationship seenByDave = f.graph.authorizeRequest(dave.id(), alice.id());

        assertThat(seenByDave.followedBy()).isTrue();
        assertThat(seenByDave.requestedBy()).isFalse();
        Relationship seenByAlice = f.graph.relationship(alice.id(), dave.id());
        assertThat(seenByAlice.following()).isTrue();
        assertThat(seenByAlice.requested()).isFalse();
        // The options asked for with the request carry over to the follow.
        assertThat(seenByAlice.showingReposts()).isFalse();
        assertThat(seenByAlice.notifying()).isTrue();
        assertThat(f.users.counts(dave.id()).followers()).isEqualTo(1);
        assertThat(f.users.counts(alice.id()).following()).isEqualTo(1);
        assertThat(f.graph.pendingRequests(dave.id(), Page.newest(10)).isEmpty()).isTrue();
        assertThat(f.graph.followers(dave.id(), Page.newest(10)).ids()).containsExactly(alice.id());
        assertStatus(() -> f.graph.authorizeRequest(dave.id(), alice.id()), 404);
    }

    @Test
    void rejectingARequestRemovesIt() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(alice.id(), dave.id(), true, false);

        Relationship r = f.graph.rejectRequest(dave.id(), alice.id());

        assertThat(r.requestedBy()).isFalse();
        assertThat(r.followedBy()).isFalse();
        assertThat(f.graph.relationship(alice.id(), dave.id()).requested()).isFalse();
        assertThat(f.graph.pendingRequests(dave.id(), Page.newest(10)).isEmpty()).isTrue();
        assertThat(f.users.counts(dave.id())).isEqualTo(AccountCounts.ZERO);
        assertStatus(() -> f.graph.rejectRequest(dave.id(), alice.id()), 404);
        // Alice may ask again.
        assertThat(f.graph.follow(alice.id(), dave.id(), true, false).requested()).isTrue();
    }

    @Test
    void unfollowingWithdrawsAPendingRequest() {
        Account dave = f.signUpLocked("dave");
        f.graph.follow(alice.id(), dave.id(), true, false);

        Relationship r = f.graph.unfollow(alice.id(), dave.id());

        assertThat(r.requested()).isFalse();
        assertThat(f.graph.pendingRequests(dave.id(), Page.newest(10)).isEmpty()).isTrue();
        assertStatus(() -> f.graph.authorizeRequest(dave.id(), alice.id()), 404);
    }

    // ---- blocks and mutes ---------------------------------------------------------------------

    @Test
    void blockRemovesFollowsBothWays() {
        f.graph.follow(alice.id(), bob.id(), true, false);
        f.graph.follow(bob.id(), alice.id(), true, false);
        f.graph.follow(carol.id(), alice.id(), true, false);

        Relationship r = f.graph.block(alice.id(), bob.id());

        assertThat(r.blocking()).isTrue();
        assertThat(r.following()).isFalse();
        assertThat(r.followedBy()).isFalse();
        assertThat(f.graph.relationship(bob.id(), alice.id()).blockedBy()).isTrue();
        assertThat(f.users.counts(alice.id())).isEqualTo(new AccountCounts(1, 0, 0));
        assertThat(f.users.counts(bob.id())).isEqualTo(AccountCounts.ZERO);
        assertThat(f.graph.followers(alice.id(), Page.newest(10)).ids()).containsExactly(carol.id());
        assertThat(f.graph.blocks(alice.id(), Page.newest(10)).ids()).containsExactly(bob.id());
    }

    @Test
    void blockRemovesPendingRequestsBothWays() {
        Account dave = f.signUpLocked("dave");
        Account erin = f.signUpLocked("erin");
        f.graph.follow(dave.id(), erin.id(), true, false);
        f.graph.follow(erin.id(), dave.id(), true, false);

        Relationship r = f.graph.block(dave.id(), erin.id());

        assertThat(r.requested()).isFalse();
        assertThat(r.requestedBy()).isFalse();
        assertThat(f.graph.pendingRequests(dave.id(), Page.newest(10)).isEmpty()).isTrue();
        assertThat(f.graph.pendingRequests(erin.id(), Page.newest(10)).isEmpty()).isTrue();
        assertStatus(() -> f.graph.authorizeRequest(dave.id(), erin.id()), 404);
    }

    @Test
    void neitherSideOfABlockCanFollowUntilUnblocked() {
        f.graph.block(alice.id(), bob.id());

        assertStatus(() -> f.graph.follow(bob.id(), alice.id(), true, false), 403);
        assertStatus(() -> f.graph.follow(alice.id(), bob.id(), true, false), 403);
        assertThat(f.users.counts(alice.id())).isEqualTo(AccountCounts.ZERO);

        Relationship r = f.graph.unblock(alice.id(), bob.id());

        assertThat(r.blocking()).isFalse();
        assertThat(f.graph.blocks(alice.id(), Page.newest(10)).isEmpty()).isTrue();
        assertThat(f.graph.follow(bob.id(), alice.id(), true, false).following()).isTrue();
    }

    @Test
    void blockingTwiceKeepsOneBlockAndYourselfIsRefused() {
        f.graph.block(alice.id(), bob.id());
        f.graph.block(alice.id(), bob.id());

        assertThat(f.graph.blocks(alice.id(), Page.newest(10)).ids()).containsExactly(bob.id());
        assertStatus(() -> f.graph.block(alice.id(), alice.id()), 403);
        assertStatus(() -> f.graph.block(alice.id(), 42), 404);
    }

    @Test
    void muteIsOneWayAndRemembersWhetherNotificationsAreMuted() {
        Relationship r = f.graph.mute(alice.id(), bob.id(), true);

        assertThat(r.muting()).isTrue();
        assertThat(r.mutingNotifications()).isTrue();
        assertThat(f.graph.relationship(bob.id(), alice.id()).muting()).isFalse();
        assertThat(f.graph.mute(alice.id(), bob.id(), false).mutingNotifications()).isFalse();
        assertThat(f.graph.mutes(alice.id(), Page.newest(10)).ids()).containsExactly(bob.id());

        assertThat(f.graph.unmute(alice.id(), bob.id()).muting()).isFalse();
        assertThat(f.graph.mutes(alice.id(), Page.newest(10)).isEmpty()).isTrue();
        assertStatus(() -> f.graph.mute(alice.id(), alice.id(), true), 403);
    }

    @Test
    void relationshipReportsEveryField() {
        f.graph.follow(alice.id(), bob.id(), true, true);
        f.graph.follow(bob.id(), alice.id(), true, false);
        f.graph.mute(alice.id(), bob.id(), false);

        Relationship r = f.graph.relationship(alice.id(), bob.id());

        assertThat(r).isEqualTo(new Relationship(bob.id(), true, true, true, true, false, false, true, false, false, false));
        assertThat(f.graph.relationship(alice.id(), carol.id()))
                .isEqualTo(new Relationship(carol.id(), false, false, false, false, false, false, false, false, false, false));
        assertThat(f.graph.followsEach(alice.id(), ids(bob, carol))).containsExactly(true, false);
        f.graph.block(carol.id(), alice.id());
        assertThat(f.graph.blockedByEach(alice.id(), ids(bob, carol))).containsExactly(false, true);
    }

    // ---- pages ------------------------------------------------------------------------------

    @Test
    void followerPagesAreNewestFirstWithEdgeCursors() {
        List<Account> followers = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Account a = f.signUp("follower" + i);
            f.graph.follow(a.id(), alice.id(), true, false);
            followers.add(a);
        }
        // Following out of sign-up order: pages follow the edges' order, not the accounts'.
        f.graph.unfollow(followers.get(0).id(), alice.id());
        f.graph.follow(followers.get(0).id(), alice.id(), true, false);
        long[] newestFirst = {followers.get(0).id(), followers.get(6).id(), followers.get(5).id(), followers.get(4).id(),
                followers.get(3).id(), followers.get(2).id(), followers.get(1).id()};

        PagedIds all = f.graph.followers(alice.id(), Page.newest(20));
        assertThat(all.ids()).containsExactly(newestFirst);
        long[] cursors = all.cursors();
        for (int i = 1; i < cursors.length; i++) {
            assertThat(cursors[i]).isLessThan(cursors[i - 1]);
        }

        PagedIds first = f.graph.followers(alice.id(), Page.newest(3));
        assertThat(first.ids()).containsExactly(Arrays.copyOfRange(newestFirst, 0, 3));
        PagedIds second = f.graph.followers(alice.id(), new Page(first.cursors()[2], 0, 0, 3));
        assertThat(second.ids()).containsExactly(Arrays.copyOfRange(newestFirst, 3, 6));
        PagedIds third = f.graph.followers(alice.id(), new Page(second.cursors()[2], 0, 0, 3));
        assertThat(third.ids()).containsExactly(newestFirst[6]);
        assertThat(f.graph.followers(alice.id(), new Page(third.cursors()[0], 0, 0, 3)).isEmpty()).isTrue();

        // since_id: the newest entries above it; min_id: the entries just above it, newest first.
        assertThat(f.graph.followers(alice.id(), new Page(0, cursors[5], 0, 3)).ids())
                .containsExactly(Arrays.copyOfRange(newestFirst, 0, 3));
        assertThat(f.graph.followers(alice.id(), new Page(0, 0, cursors[5], 3)).ids())
                .containsExactly(Arrays.copyOfRange(newestFirst, 2, 5));
        assertThat(f.graph.followers(alice.id(), new Page(0, 0, cursors[5], 3)).cursors())
                .containsExactly(Arrays.copyOfRange(cursors, 2, 5));
        assertThat(f.graph.followers(alice.id(), new Page(0, 0, cursors[2], 3)).ids())
                .containsExactly(Arrays.copyOfRange(newestFirst, 0, 2));
        // Both bounds: strictly between them.
        assertThat(f.graph.followers(alice.id(), new Page(cursors[1], cursors[5], 0, 10)).ids())
                .containsExactly(Arrays.copyOfRange(newestFirst, 2, 5));
        assertThat(f.graph.followers(alice.id(), new Page(cursors[1], 0, cursors[5], 2)).ids())
                .containsExactly(Arrays.copyOfRange(newestFirst, 3, 5));
        assertThat(f.graph.followers(alice.id(), new Page(0, 0, cursors[0], 3)).isEmpty()).isTrue();
    }

    @Test
    void followingPagesAreNewestFirst() {
        Account dave = f.signUp("dave");
        f.graph.follow(alice.id(), carol.id(), true, false);
        f.graph.follow(alice.id(), bob.id(), true, false);
        f.graph.follow(alice.id(), dave.id(), true, false);

        PagedIds page = f.graph.following(alice.id(), Page.newest(2));

        assertThat(page.ids()).containsExactly(dave.id(), bob.id());
        assertThat(f.graph.following(alice.id(), new Page(page.cursors()[1], 0, 0, 2)).ids()).containsExactly(carol.id());
    }

    @Test
    void forEachFollowerBatchVisitsEveryFollowerOnceInAscendingIdOrder() throws Exception {
        int followerCount = 10_000;
        int batchSize = 4096;
        long[] expected = new long[followerCount];
        try (ServiceFixture bulk = ServiceFixture.openUnsynced(dir.resolve("bulk"))) {
            Account star = bulk.signUp("star");
            Account other = bulk.signUp("other");
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Long>> done = new ArrayList<>();
                for (int i = 0; i < followerCount; i++) {
                    String handle = "fan" + i;
                    done.add(pool.submit(() -> {
                        Account fan = bulk.signUp(handle);
                        bulk.graph.follow(fan.id(), star.id(), true, false);
                        return fan.id();
                    }));
                }
                for (int i = 0; i < followerCount; i++) {
                    expected[i] = done.get(i).get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            Arrays.sort(expected);
            bulk.graph.follow(star.id(), other.id(), true, false); // whom the star follows is not its followers

            List<Integer> batchSizes = new ArrayList<>();
            long[] seen = new long[followerCount + 1];
            int[] n = {0};
            long visited = bulk.graph.forEachFollowerBatch(star.id(), batchSize, (batch, count) -> {
                batchSizes.add(count);
                for (int i = 0; i < count && n[0] < seen.length; i++) {
                    seen[n[0]++] = batch[i];
                }
            });

            assertThat(visited).isEqualTo(followerCount);
            assertThat(batchSizes).containsExactly(4096, 4096, 1808);
            assertThat(Arrays.copyOf(seen, n[0])).containsExactly(expected);
            assertThat(bulk.users.counts(star.id()).followers()).isEqualTo(followerCount);
        }
    }

    @Test
    void forEachFollowerBatchOfNoFollowersCallsNothing() {
        int[] calls = {0};

        long visited = f.graph.forEachFollowerBatch(alice.id(), 4096, (batch, count) -> calls[0]++);

        assertThat(visited).isZero();
        assertThat(calls[0]).isZero();
        assertThatThrownBy(() -> f.graph.forEachFollowerBatch(alice.id(), 0, (batch, count) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batchSize: 0 (expected: > 0)");
    }

    @Test
    void forEachFollowerBatchSendsFullBatchesWhenTheCountDividesEvenly() {
        for (int i = 0; i < 6; i++) {
            f.graph.follow(f.signUp("fan" + i).id(), alice.id(), true, false);
        }
        List<Integer> sizes = new ArrayList<>();

        f.graph.forEachFollowerBatch(alice.id(), 3, (batch, count) -> sizes.add(count));

        assertThat(sizes).containsExactly(3, 3);
    }
}
