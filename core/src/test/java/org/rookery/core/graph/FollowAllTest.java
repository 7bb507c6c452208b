package org.rookery.core.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.EventType;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.graph.GraphService.ImportOutcome;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.model.Account;
import org.rookery.core.testing.MemoryStore;
import org.rookery.core.users.UserService;

/**
 * {@link GraphService#followAll} against a model: random edge lists (repeats, self-follows, unknown
 * accounts, blocks, pending requests, protected accounts) give the outcome one-at-a-time follows
 * would, and leave the graph, the counters and the event log as they would.
 */
class FollowAllTest {
    private final InstantSource clock = InstantSource.system();
    private final MemoryStore store = new MemoryStore(4, clock);
    private final SnowflakeIdGenerator ids = new SnowflakeIdGenerator(0, clock, Duration.ofSeconds(1));
    private final UserService users = new UserService(store, ids, clock, new PasswordHasher(8, 1));
    private final GraphService graph = new GraphService(store, users, ids, clock);

    private long[] accounts(String prefix, int n) {
        List<String> handles = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            handles.add(prefix + i);
        }
        return users.importAccounts(handles).stream().mapToLong(Account::id).toArray();
    }

    private record Edge(long follower, long followee) {}

    @RepeatedTest(20)
    void outcomesGraphCountersAndEventsMatchOneAtATimeFollows(RepetitionInfo rep) throws Exception {
        long seed = 0x5EEDL * 31 + rep.getCurrentRepetition();
        Random random = new Random(seed);
        String why = "seed " + seed;
        int n = 5 + random.nextInt(40);
        long[] id = accounts("s" + rep.getCurrentRepetition() + "x", n);
        Set<Edge> follows = new HashSet<>();
        Set<Edge> blocks = new HashSet<>();
        // Some existing state: follows, blocks, a protected account with a pending request.
        for (int k = 0; k < n; k++) {
            long a = id[random.nextInt(n)];
            long b = id[random.nextInt(n)];
            if (a == b) {
                continue;
            }
            if (random.nextInt(4) == 0) {
                graph.block(a, b);
                blocks.add(new Edge(a, b));
                follows.remove(new Edge(a, b));
                follows.remove(new Edge(b, a));
            } else if (!blocks.contains(new Edge(a, b)) && !blocks.contains(new Edge(b, a))) {
                graph.follow(a, b, true, false);
                follows.add(new Edge(a, b));
            }
        }
        long locked = users.updateProfile(id[0], null, null, true, null).id();
        long requester = id[1];
        boolean pending = !follows.contains(new Edge(requester, locked))
                && !blocks.contains(new Edge(requester, locked)) && !blocks.contains(new Edge(locked, requester));
        if (pending) {
            graph.follow(requester, locked, true, false);
            assertThat(graph.relationship(requester, locked).requested()).isTrue();
        }

        int m = 1 + random.nextInt(3 * GraphService.IMPORT_CHUNK);
        long[] followers = new long[m];
        long[] followees = new long[m];
        ImportOutcome[] expected = new ImportOutcome[m];
        Set<Edge> model = new HashSet<>(follows);
        for (int i = 0; i < m; i++) {
            long a = random.nextInt(50) == 0 ? 999_999L : id[random.nextInt(n)];
            long b = random.nextInt(50) == 0 ? 888_888L : id[random.nextInt(n)];
            followers[i] = a;
            followees[i] = b;
            Edge e = new Edge(a, b);
            if (a == b) {
                expected[i] = ImportOutcome.SELF;
            } else if (a == 999_999L || b == 888_888L) {
                expected[i] = ImportOutcome.UNKNOWN_ACCOUNT;
            } else if (blocks.contains(e) || blocks.contains(new Edge(b, a))) {
                expected[i] = ImportOutcome.BLOCKED;
            } else if (!model.add(e)) {
                expected[i] = ImportOutcome.ALREADY_FOLLOWING;
            } else {
                expected[i] = ImportOutcome.FOLLOWED;
            }
        }
        long eventsBefore = followedEvents();

        assertThat(graph.followAll(followers, followees)).as(why).containsExactly(expected);

        for (long a : id) {
            int following = 0;
            int followed = 0;
            for (long b : id) {
                boolean should = model.contains(new Edge(a, b));
                assertThat(graph.isFollowing(a, b)).as("%s: %s follows %s", why, a, b).isEqualTo(should);
                following += should ? 1 : 0;
                followed += model.contains(new Edge(b, a)) ? 1 : 0;
            }
            assertThat(users.counts(a).following()).as("%s: following of %s", why, a).isEqualTo(following);
            assertThat(users.counts(a).followers()).as("%s: followers of %s", why, a).isEqualTo(followed);
        }
        if (pending && model.contains(new Edge(requester, locked))) {
            assertThat(graph.relationship(requester, locked).requested()).as("%s: the request became the follow", why)
                    .isFalse();
        }
        long made = java.util.Arrays.stream(expected).filter(o -> o == ImportOutcome.FOLLOWED).count();
        assertThat(followedEvents() - eventsBefore).as("%s: one FOLLOWED event per follow made", why).isEqualTo(made);
    }

    @Test
    void listenersHearOfEveryFollowMadeAfterItIsStored() {
        long[] id = accounts("listen", 3);
        List<Edge> heard = new ArrayList<>();
        graph.addChangeListener((a, b) -> {
            assertThat(graph.isFollowing(a, b)).as("stored before listeners hear").isTrue();
            heard.add(new Edge(a, b));
        });
        graph.followAll(new long[] {id[0], id[1], id[0]}, new long[] {id[1], id[2], id[1]});
        assertThat(heard).containsExactlyInAnyOrder(new Edge(id[0], id[1]), new Edge(id[1], id[2]));
    }

    private long followedEvents() throws InterruptedException {
        long n = 0;
        try (EventConsumer c = store.subscribe("count-" + System.nanoTime(), StartFrom.earliest())) {
            List<LogRecord> batch;
            while (!(batch = c.poll(100_000, Duration.ZERO)).isEmpty()) {
                n += batch.stream().filter(r -> r.event().type() == EventType.FOLLOWED).count();
            }
        }
        return n;
    }
}
