package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventType;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.graph.GraphService.ImportOutcome;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;

/**
 * The bulk import methods on a real RocksDB store: {@code UserService.importAccounts},
 * {@code OAuthService.issueTokens} and {@code GraphService.followAll} write what the one-at-a-time
 * methods write (records, counters, events), many items per commit, and it survives a reopen.
 */
class BulkImportTest {
    @TempDir
    Path dir;

    private static List<String> handles(String prefix, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(String.format("%s%05d", prefix, i));
        }
        return out;
    }

    /** Every event in the log, by type. */
    private static Map<EventType, List<Event>> allEvents(ServiceFixture f) throws InterruptedException {
        Map<EventType, List<Event>> out = new HashMap<>();
        try (EventConsumer log = f.store.subscribe("bulk-test", StartFrom.earliest())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!caughtUp(f, log)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out reading the event log");
                }
                for (LogRecord r : log.poll(10_000, Duration.ofMillis(100))) {
                    out.computeIfAbsent(r.event().type(), t -> new ArrayList<>()).add(r.event());
                }
            }
        }
        return out;
    }

    private static boolean caughtUp(ServiceFixture f, EventConsumer log) {
        for (int p : log.partitions()) {
            if (log.position(p) < f.store.endOffset(p)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void importedAccountsAreApprovedHaveNoPasswordAndAreCreatedOnce() throws Exception {
        List<String> names = handles("u", 2_500); // three commits of up to 1,000
        names.add("U00007"); // the same handle in another case: the same account
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            long usersBefore = f.users.totals()[0];
            List<Account> first = f.users.importAccounts(names);
            assertThat(first).hasSize(names.size());
            assertThat(first.get(2_500).id()).isEqualTo(first.get(7).id());
            for (int i = 0; i < 2_500; i++) {
                Account a = first.get(i);
                assertThat(a.handle()).isEqualTo(names.get(i));
                assertThat(a.approved()).as("imported accounts need no approval").isTrue();
            }
            assertThat(f.users.byHandle("u01234")).contains(first.get(1234));
            assertThat(f.users.authenticate("u01234", "")).as("no password signs in").isEmpty();
            assertThat(f.users.authenticate("u01234", "pw-of-u01234")).isEmpty();
            assertThat(f.users.totals()[0] - usersBefore).isEqualTo(2_500);

            List<Account> again = f.users.importAccounts(List.of("u00001", "newcomer", "u02499"));
            assertThat(again.get(0)).isEqualTo(first.get(1));
            assertThat(again.get(2)).isEqualTo(first.get(2_499));
            assertThat(f.users.totals()[0] - usersBefore).isEqualTo(2_501);

            assertThat(allEvents(f).get(EventType.ACCOUNT_CREATED)).as("one ACCOUNT_CREATED per new account")
                    .hasSize(2_501)
                    .allSatisfy(e -> assertThat(e.subjectId()).isEqualTo(e.actorId()));
        }
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            assertThat(f.users.byHandle("u02000")).as("after a reopen").isPresent();
            assertThat(f.users.importAccounts(List.of("u02000")).get(0).id())
                    .isEqualTo(f.users.byHandle("u02000").orElseThrow().id());
        }
    }

    @Test
    void anInvalidHandleCreatesNothing() {
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            long before = f.users.totals()[0];
            assertThatThrownBy(() -> f.users.importAccounts(List.of("fine_one", "no spaces")))
                    .isInstanceOfSatisfying(RookeryException.class, e -> {
                        assertThat(e.status()).isEqualTo(422);
                        assertThat(e.field()).isEqualTo("username");
                    });
            assertThat(f.users.byHandle("fine_one")).isEmpty();
            assertThat(f.users.totals()[0]).isEqualTo(before);
        }
    }

    @Test
    void issuedTokensAuthenticateTheirUsersWithTheScopes() {
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            List<Account> accounts = f.users.importAccounts(handles("t", 50));
            OAuthService.App app = f.oauth.createApp("bulk", List.of(OAuthService.OOB_REDIRECT), "read write follow", null).app();
            long[] ids = accounts.stream().mapToLong(Account::id).toArray();
            List<OAuthService.NewToken> tokens = f.oauth.issueTokens(app, ids, "read write follow");
            assertThat(tokens).hasSize(50);
            for (int i = 0; i < 50; i++) {
                OAuthService.Token t = f.oauth.authenticate(tokens.get(i).accessToken()).orElseThrow();
                assertThat(t.userId()).isEqualTo(ids[i]);
                assertThat(t.hasScope("write:statuses")).isTrue();
                assertThat(t.clientId()).isEqualTo(app.clientId());
            }
            assertThat(tokens.stream().map(OAuthService.NewToken::accessToken).distinct()).hasSize(50);
        }
    }

    @Test
    void followAllMakesEdgesCountersAndEventsAndReportsWhatItCannotDo() throws Exception {
        int n = 70; // 4,830 edges: more than one chunk, so the import runs in parts
        long[] id = new long[n];
        long locked;
        long blocker;
        long[] followers;
        long[] followees;
        List<ImportOutcome> expected = new ArrayList<>();
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            List<Account> accounts = f.users.importAccounts(handles("g", n));
            for (int i = 0; i < n; i++) {
                id[i] = accounts.get(i).id();
            }
            locked = f.signUpLocked("locked").id();
            blocker = f.signUp("blocker").id();
            f.graph.block(blocker, id[0]);
            f.graph.follow(id[1], locked, true, false); // a pending request, replaced by the import's follow

            // Everyone follows everyone else, plus the odd cases.
            List<long[]> edges = new ArrayList<>();
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    if (a != b) {
                        edges.add(new long[] {id[a], id[b]});
                        expected.add(ImportOutcome.FOLLOWED);
                    }
                }
            }
            edges.add(new long[] {id[0], id[1]});
            expected.add(ImportOutcome.ALREADY_FOLLOWING); // repeated in the same call
            edges.add(new long[] {id[2], id[2]});
            expected.add(ImportOutcome.SELF);
            edges.add(new long[] {id[2], 12345});
            expected.add(ImportOutcome.UNKNOWN_ACCOUNT);
            edges.add(new long[] {id[0], blocker});
            expected.add(ImportOutcome.BLOCKED);
            edges.add(new long[] {blocker, id[0]});
            expected.add(ImportOutcome.BLOCKED);
            edges.add(new long[] {id[1], locked});
            expected.add(ImportOutcome.FOLLOWED);
            followers = edges.stream().mapToLong(e -> e[0]).toArray();
            followees = edges.stream().mapToLong(e -> e[1]).toArray();

            assertThat(f.graph.followAll(followers, followees)).containsExactlyElementsOf(expected);

            assertThat(f.graph.isFollowing(id[1], locked)).as("a protected account is followed directly").isTrue();
            assertThat(f.graph.relationship(id[1], locked).requested()).as("the request is gone").isFalse();
            assertThat(f.graph.pendingRequests(locked, Page.newest(10)).size()).isZero();
            assertThat(f.users.counts(locked).followers()).isEqualTo(1);
            assertThat(f.users.counts(id[5]).followers()).isEqualTo(n - 1);
            assertThat(f.users.counts(id[5]).following()).isEqualTo(n - 1);
            assertThat(f.graph.followers(id[7], Page.newest(80)).size()).isEqualTo(n - 1);
            assertThat(f.graph.isFollowing(id[0], blocker)).isFalse();

            Map<EventType, List<Event>> events = allEvents(f);
            assertThat(events.get(EventType.FOLLOWED)).as("one FOLLOWED per edge made")
                    .hasSize(n * (n - 1) + 1);

            // A second import of the same edges changes nothing.
            ImportOutcome[] again = f.graph.followAll(new long[] {id[3], id[4]}, new long[] {id[4], id[3]});
            assertThat(again).containsOnly(ImportOutcome.ALREADY_FOLLOWING);
            assertThat(f.users.counts(id[4]).followers()).isEqualTo(n - 1);
        }
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            assertThat(f.graph.isFollowing(id[n - 1], id[0])).as("after a reopen").isTrue();
            assertThat(f.users.counts(id[0]).followers()).isEqualTo(n - 1);
        }
    }

    @Test
    void followAllRejectsMismatchedArrays() {
        try (ServiceFixture f = ServiceFixture.open(dir)) {
            assertThatThrownBy(() -> f.graph.followAll(new long[2], new long[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("followees: 1 edges (expected: 2, as many as followers)");
        }
    }
}
