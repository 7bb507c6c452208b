package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.core.model.AccountCounts;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.users.Registrations;

class UserServiceTest {
    @TempDir
    Path dir;

    private ServiceFixture f;

    @BeforeEach
    void open() {
        f = ServiceFixture.open(dir);
    }

    @AfterEach
    void close() {
        f.close();
    }

    private Account register(String handle, String email, String password) {
        return f.users.register(handle, email, password, Registrations.OPEN);
    }

    private static void assertInvalid(Runnable call, String field) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(RookeryException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.field()).isEqualTo(field);
                });
    }

    private long totalUsers() {
        return f.users.totals()[0];
    }

    // ---- registration --------------------------------------------------------------------

    @Test
    void registersAnApprovedAccountWithItsHandleAsDisplayName() {
        Account a = register("Alice_1", "alice@example.com", "correct horse");

        assertThat(a.handle()).isEqualTo("Alice_1");
        assertThat(a.displayName()).isEqualTo("Alice_1");
        assertThat(a.note()).isEmpty();
        assertThat(a.locked()).isFalse();
        assertThat(a.approved()).isTrue();
        assertThat(f.users.get(a.id())).contains(a);
        assertThat(f.users.byHandle("alice_1")).contains(a);
        assertThat(f.users.email(a.id())).contains("alice@example.com");
        assertThat(f.users.counts(a.id())).isEqualTo(AccountCounts.ZERO);
        assertThat(totalUsers()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "a_b", "ABC", "x12", "___", "abcdefghijklmnopqrstuvwxyz_123"})
    void acceptsHandlesOfThreeToThirtyLettersDigitsAndUnderscores(String handle) {
        assertThat(handle.length()).isBetween(3, 30);

        assertThat(register(handle, "user@example.com", "correct horse").handle()).isEqualTo(handle);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "ab", "abcdefghijklmnopqrstuvwxyz_1234"})
    void refusesHandlesShorterThanThreeOrLongerThanThirty(String handle) {
        assertInvalid(() -> register(handle, "user@example.com", "correct horse"), "username");
        assertThat(totalUsers()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bad-handle", "bad.handle", "bad handle", "@alice", "al!ce", "jürgen", "名前です", "tab\there"})
    void refusesHandlesWithOtherCharacters(String handle) {
        assertInvalid(() -> register(handle, "user@example.com", "correct horse"), "username");
        assertThat(f.users.byHandle(handle)).isEmpty();
        assertThat(totalUsers()).isZero();
    }

    @Test
    void handlesAreUniqueWhateverTheirCase() {
        Account alice = register("alice", "alice@example.com", "correct horse");

        assertInvalid(() -> register("ALICE", "other@example.com", "correct horse"), "username");
        assertInvalid(() -> register("Alice", "third@example.com", "correct horse"), "username");

        assertThat(f.users.byHandle("ALICE")).contains(alice);
        assertThat(totalUsers()).isEqualTo(1);
        // The refused e-mails stay free.
        assertThat(register("bob", "other@example.com", "correct horse").handle()).isEqualTo("bob");
    }

    @Test
    void emailsAreUniqueWhateverTheirCase() {
        register("alice", "Alice@Example.com", "correct horse");

        assertInvalid(() -> register("bob", "alice@example.COM", "correct horse"), "email");

        assertThat(f.users.byHandle("bob")).isEmpty();
        assertThat(totalUsers()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not-an-email", "a@b@c", "no spaces@example.com", "@example.com", "alice@"})
    void refusesMalformedEmails(String email) {
        assertInvalid(() -> register("alice", email, "correct horse"), "email");
        assertThat(f.users.byHandle("alice")).isEmpty();
    }

    @Test
    void refusesPasswordsShorterThanEightOrLongerThan128() {
        assertInvalid(() -> register("alice", "alice@example.com", "1234567"), "password");
        assertInvalid(() -> register("alice", "alice@example.com", "x".repeat(129)), "password");
        assertThat(f.users.byHandle("alice")).isEmpty();

        assertThat(register("alice", "alice@example.com", "12345678")).isNotNull();
        assertThat(register("bob", "bob@example.com", "x".repeat(128))).isNotNull();
        assertThat(f.users.authenticate("bob", "x".repeat(128))).isPresent();
    }

    @Test
    void closedRegistrationsRefuseEveryone() {
        assertThatThrownBy(() -> f.users.register("alice", "alice@example.com", "correct horse", Registrations.CLOSED))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(403))
                .hasMessageContaining("closed");

        assertThat(f.users.byHandle("alice")).isEmpty();
        assertThat(f.users.authenticate("alice@example.com", "correct horse")).isEmpty();
        assertThat(totalUsers()).isZero();
    }

    @Test
    void approvalModeCreatesAnUnapprovedAccountThatAnAdministratorApproves() {
        Account pending = f.users.register("alice", "alice@example.com", "correct horse", Registrations.APPROVAL);

        assertThat(pending.approved()).isFalse();
        assertThat(f.users.byHandle("alice")).hasValueSatisfying(a -> assertThat(a.approved()).isFalse());
        // The handle is reserved while approval is pending.
        assertInvalid(() -> register("alice", "other@example.com", "correct horse"), "username");

        Account approved = f.users.approve(pending.id());

        assertThat(approved.approved()).isTrue();
        assertThat(f.users.get(pending.id())).hasValueSatisfying(a -> assertThat(a.approved()).isTrue());
    }

    @Test
    void concurrentSignUpsOfOneHandleCreateOneAccount() throws Exception {
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        int created = 0;
        try {
            List<Future<Boolean>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String handle = i % 2 == 0 ? "alice" : "ALICE";
                String email = "alice" + i + "@example.com";
                done.add(pool.submit(() -> {
                    start.await();
                    try {
                        register(handle, email, "correct horse");
                        return true;
                    } catch (RookeryException e) {
                        assertThat(e.field()).isEqualTo("username");
                        return false;
                    }
                }));
            }
            for (Future<Boolean> d : done) {
                created += d.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(created).isEqualTo(1);
        assertThat(totalUsers()).isEqualTo(1);
    }

    // ---- sign-in ----------------------------------------------------------------------------

    @Test
    void authenticatesByEmailOrHandleInAnyCase() {
        Account alice = register("Alice", "alice@example.com", "correct horse");

        assertThat(f.users.authenticate("alice@example.com", "correct horse")).contains(alice);
        assertThat(f.users.authenticate("ALICE@EXAMPLE.COM", "correct horse")).contains(alice);
        assertThat(f.users.authenticate("alice", "correct horse")).contains(alice);
        assertThat(f.users.authenticate("ALICE", "correct horse")).contains(alice);
        assertThat(f.users.authenticate("@Alice", "correct horse")).contains(alice);
    }

    @Test
    void refusesAWrongPasswordOrAnUnknownLogin() {
        register("alice", "alice@example.com", "correct horse");
        register("bob", "bob@example.com", "battery staple");

        assertThat(f.users.authenticate("alice", "Correct horse")).isEmpty();
        assertThat(f.users.authenticate("alice@example.com", "battery staple")).isEmpty();
        assertThat(f.users.authenticate("alice", "")).isEmpty();
        assertThat(f.users.authenticate("carol", "correct horse")).isEmpty();
        assertThat(f.users.authenticate("carol@example.com", "correct horse")).isEmpty();
    }

    @Test
    void findsLocalAccountsByHandleWithOrWithoutAtAndDomain() {
        Account alice = register("alice", "alice@example.com", "correct horse");

        assertThat(f.users.byHandle("@alice")).contains(alice);
        assertThat(f.users.byHandle("alice@rookery.example")).contains(alice);
        assertThat(f.users.byHandle("@ALICE@rookery.example")).contains(alice);
        assertThat(f.users.byHandle("bob")).isEmpty();
        assertThat(f.users.getAll(new long[] {alice.id(), alice.id() + 1})).containsOnlyKeys(alice.id());
    }

    // ---- profile --------------------------------------------------------------------------

    @Test
    void updatesOnlyTheProfileFieldsGiven() {
        Account alice = f.signUp("alice");

        Account renamed = f.users.updateProfile(alice.id(), "Alice 🐦", null, null, null);
        Account locked = f.users.updateProfile(alice.id(), null, "I write code", true, true);

        assertThat(renamed.displayName()).isEqualTo("Alice 🐦");
        assertThat(locked).isEqualTo(new Account(alice.id(), "alice", "Alice 🐦", "I write code", true, true, true,
                alice.createdAtMillis()));
        assertThat(f.users.get(alice.id())).contains(locked);
    }

    @Test
    void refusesTooLongDisplayNameOrNoteAndChangesNothing() {
        Account alice = f.signUp("alice");

        assertInvalid(() -> f.users.updateProfile(alice.id(), "x".repeat(31), null, true, null), "display_name");
        assertInvalid(() -> f.users.updateProfile(alice.id(), null, "x".repeat(501), true, null), "note");

        assertThat(f.users.get(alice.id())).contains(alice);
        // Limits count code points: 30 emoji are 30 characters.
        assertThat(f.users.updateProfile(alice.id(), "🐦".repeat(30), null, null, null).displayName())
                .isEqualTo("🐦".repeat(30));
    }

    @Test
    void unknownAccountsAreNotFound() {
        assertThat(f.users.get(42)).isEmpty();
        assertThatThrownBy(() -> f.users.require(42))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> f.users.updateProfile(42, "x", null, null, null))
                .isInstanceOfSatisfying(RookeryException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    // ---- counts -----------------------------------------------------------------------------

    @Test
    void countsFollowersFollowingAndStatuses() {
        Account alice = f.signUp("alice");
        Account bob = f.signUp("bob");
        Account carol = f.signUp("carol");

        f.graph.follow(bob.id(), alice.id(), true, false);
        f.graph.follow(carol.id(), alice.id(), true, false);
        f.graph.follow(alice.id(), bob.id(), true, false);
        Tweet t = f.tweets.post(alice.id(), NewTweet.of("one"));
        f.tweets.post(alice.id(), NewTweet.of("two"));
        f.tweets.repost(bob.id(), t.id(), null);

        assertThat(f.users.counts(alice.id())).isEqualTo(new AccountCounts(2, 1, 2));
        assertThat(f.users.counts(bob.id())).isEqualTo(new AccountCounts(1, 1, 1));
        assertThat(f.users.counts(carol.id())).isEqualTo(new AccountCounts(0, 1, 0));
        assertThat(f.users.totals()).containsExactly(3, 2);
    }

    @Test
    void countsStayExactUnderConcurrentFollowsAndUnfollowsOfTheSamePairs() throws Exception {
        long seed = new Random().nextLong();
        int threads = 8;
        int opsPerThread = 150;
        List<Account> accounts = List.of(f.signUp("alice"), f.signUp("bob"), f.signUp("carol"), f.signUp("dave"));
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < opsPerThread; i++) {
                        // Mostly alice and bob, so several threads race on the same pair.
                        Account actor = accounts.get(random.nextInt(10) < 7 ? 0 : random.nextInt(4));
                        Account target = accounts.get(random.nextInt(10) < 7 ? 1 : random.nextInt(4));
                        if (actor.id() == target.id()) {
                            continue;
                        }
                        if (random.nextBoolean()) {
                            f.graph.follow(actor.id(), target.id(), true, false);
                        } else {
                            f.graph.unfollow(actor.id(), target.id());
                        }
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

        for (Account a : accounts) {
            long following = accounts.stream().filter(o -> f.graph.isFollowing(a.id(), o.id())).count();
            long followers = accounts.stream().filter(o -> f.graph.isFollowing(o.id(), a.id())).count();
            AccountCounts counts = f.users.counts(a.id());
            assertThat(counts.following()).as("%s following (seed %d)", a.handle(), seed).isEqualTo(following);
            assertThat(counts.followers()).as("%s followers (seed %d)", a.handle(), seed).isEqualTo(followers);
            assertThat(f.graph.following(a.id(), Page.newest(10)).size())
                    .as("%s following list (seed %d)", a.handle(), seed).isEqualTo(following);
            assertThat(f.graph.followers(a.id(), Page.newest(10)).size())
                    .as("%s followers list (seed %d)", a.handle(), seed).isEqualTo(followers);
        }
    }

    @Test
    void statusesCountStaysExactUnderConcurrentPostsAndDeletes() throws Exception {
        long seed = new Random().nextLong();
        int threads = 8;
        Account alice = f.signUp("alice");
        Account bob = f.signUp("bob");
        Tweet shared = f.tweets.post(bob.id(), NewTweet.of("repost me"));
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                done.add(pool.submit(() -> {
                    start.await();
                    List<Long> mine = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        switch (random.nextInt(4)) {
                            case 0 -> mine.add(f.tweets.post(alice.id(), NewTweet.of("post " + i)).id());
                            case 1 -> {
                                if (!mine.isEmpty()) {
                                    f.tweets.delete(alice.id(), mine.remove(random.nextInt(mine.size())));
                                }
                            }
                            case 2 -> f.tweets.repost(alice.id(), shared.id(), null);
                            default -> f.tweets.unrepost(alice.id(), shared.id());
                        }
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

        int onTimeline = f.tweets.userTimeline(alice.id(), alice.id(), Page.newest(1000), false, false).size();
        boolean reposted = f.tweets.repostedEach(alice.id(), new long[] {shared.id()})[0];
        assertThat(f.users.counts(alice.id()).statuses()).as("seed %d", seed).isEqualTo(onTimeline);
        assertThat(f.tweets.counts(new long[] {shared.id()})[0].reposts()).as("seed %d", seed).isEqualTo(reposted ? 1 : 0);
    }

    @Test
    void aProfileChangeIsSeenByTheNextReadThoughTheAccountWasCached() {
        Account a = f.signUp("cachedprofile");
        assertThat(f.users.get(a.id())).get().extracting(Account::locked).isEqualTo(false);
        assertThat(f.users.getAll(new long[] {a.id()})).containsKey(a.id()); // both read paths have it cached

        f.users.updateProfile(a.id(), "New Name", null, true, null);

        assertThat(f.users.get(a.id())).get().satisfies(x -> {
            assertThat(x.displayName()).isEqualTo("New Name");
            assertThat(x.locked()).isTrue();
        });
        assertThat(f.users.getAll(new long[] {a.id()}).get(a.id()).locked()).isTrue();
    }
}
