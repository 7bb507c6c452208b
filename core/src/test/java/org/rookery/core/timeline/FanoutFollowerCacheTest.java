package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.event.EventConsumer;
import org.rookery.core.event.LogRecord;
import org.rookery.core.event.StartFrom;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.model.Tweet;
import org.rookery.core.testing.MemoryStore;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.tweets.TweetText;
import org.rookery.core.users.Registrations;
import org.rookery.core.users.UserService;

/**
 * Fanout of an author whose followers are held in memory ({@link FollowerCache}): the cached list
 * must follow every follow, unfollow, follow-option change and block the consumer sees, so that
 * who receives a post is exactly who would with the graph read from the store.
 */
class FanoutFollowerCacheTest {
    private final InstantSource clock = InstantSource.fixed(Instant.parse("2026-11-22T00:00:00Z"));
    private final MemoryStore store = new MemoryStore(2, clock);
    private UserService users;
    private GraphService graph;
    private TweetService tweets;
    private TimelineStore timelines;
    private FanoutService fanout;
    private EventConsumer consumer;
    private long star;
    private final List<Long> fans = new ArrayList<>();

    @BeforeEach
    void setUp() {
        SnowflakeIdGenerator ids = new SnowflakeIdGenerator(0, clock, Duration.ofSeconds(1));
        users = new UserService(store, ids, clock, new PasswordHasher(8, 1));
        graph = new GraphService(store, users, ids, clock);
        tweets = new TweetService(store, users, graph, ids, clock, new TweetText(500), Duration.ofHours(1));
        timelines = new TimelineStore(20, TimelineStore.bytesFor(20, 16), 64);
        fanout = newFanout(1 << 20);
        consumer = store.subscribe("fanout", StartFrom.latest());
        star = signUp("star");
        for (int i = 0; i < 5; i++) {
            fans.add(signUp("fan" + i));
        }
        for (int i = 0; i < 4; i++) {
            graph.follow(fans.get(i), star, true, false);
        }
        catchUp();
    }

    /** Followers read in batches of 2; lists cached from 3 followers, within {@code cacheBytes}. */
    private FanoutService newFanout(long cacheBytes) {
        FanoutPolicy policy = FanoutPolicy.threshold(1_000);
        return new FanoutService(timelines, new TweetIndex(256), policy, new PullLists(store, policy, 60), tweets,
                graph, users, new RateTracker(), clock, 2, 3, cacheBytes);
    }

    @AfterEach
    void tearDown() {
        consumer.close();
    }

    private long signUp(String handle) {
        long id = users.register(handle, handle + "@example.com", "password-" + handle, Registrations.OPEN).id();
        timelines.makeResident(id, clock.millis());
        return id;
    }

    /**
     * Lets the consumer apply what happened; relationship changes evict the fans' timelines, which
     * come back empty (as a reconstruction would bring them back, but with only what follows).
     */
    private void catchUp() {
        try {
            List<LogRecord> batch;
            while (!(batch = consumer.poll(100, Duration.ZERO)).isEmpty()) {
                fanout.apply(batch);
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        for (long fan : fans) {
            if (!timelines.isResident(fan)) {
                timelines.makeResident(fan, clock.millis());
            }
        }
    }

    /** Posts as the star; returns which fans got it. */
    private List<Integer> post() {
        Tweet t = tweets.post(star, NewTweet.of("hello"));
        return delivered(t.id());
    }

    private List<Integer> delivered(long tweetId) {
        catchUp();
        List<Integer> got = new ArrayList<>();
        long[] buf = new long[20];
        for (int i = 0; i < fans.size(); i++) {
            long fan = fans.get(i);
            int n = timelines.read(fan, 0, 0, buf, 20);
            for (int j = 0; j < n; j++) {
                if (buf[j] == tweetId) {
                    got.add(i);
                }
            }
        }
        return got;
    }

    @Test
    void theCachedListFollowsEveryRelationshipChange() {
        assertThat(post()).as("the four followers").containsExactly(0, 1, 2, 3);
        assertThat(fanout.followerCache()[0]).as("the star's followers are cached").isEqualTo(1);

        graph.follow(fans.get(4), star, true, false);
        catchUp();
        assertThat(post()).as("a new follower").containsExactly(0, 1, 2, 3, 4);

        graph.unfollow(fans.get(1), star);
        catchUp();
        assertThat(post()).as("after an unfollow").containsExactly(0, 2, 3, 4);

        graph.block(star, fans.get(2));
        catchUp();
        assertThat(post()).as("after the star blocks a fan").containsExactly(0, 3, 4);
        assertThat(fanout.followerCache()[1]).as("followers held").isEqualTo(3);
    }

    @Test
    void aFollowerWhoHidesRepostsGetsNoRepostsFromTheCachedList() {
        long other = signUp("other");
        Tweet original = tweets.post(other, NewTweet.of("original"));
        assertThat(post()).containsExactly(0, 1, 2, 3);

        graph.follow(fans.get(0), star, false, false); // change the follow: hide the star's reposts
        graph.follow(fans.get(4), star, false, false); // a new follower who hides them from the start
        catchUp();
        Tweet repost = tweets.repost(star, original.id(), null);

        assertThat(delivered(repost.id())).as("the repost").containsExactly(1, 2, 3);
        assertThat(post()).as("a plain post still reaches all").containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void aFullCacheDropsListsAndTheirAuthorsStillReachEveryFollower() {
        long rival = signUp("rival");
        for (int i = 1; i < 5; i++) {
            graph.follow(fans.get(i), rival, true, false);
        }
        catchUp();
        fanout = newFanout(140); // room for one list of four or five followers (100 + 4 per slot), not two
        for (int round = 0; round < 3; round++) {
            assertThat(post()).as("the star, round %d", round).containsExactly(0, 1, 2, 3);
            assertThat(delivered(tweets.post(rival, NewTweet.of("rival")).id())).as("the rival, round %d", round)
                    .containsExactly(1, 2, 3, 4);
            assertThat(fanout.followerCache()[0]).as("authors cached").isEqualTo(1);
            assertThat(fanout.followerCache()[1]).as("followers held: one list").isEqualTo(4);
        }
        graph.unfollow(fans.get(2), rival);
        catchUp();
        assertThat(delivered(tweets.post(rival, NewTweet.of("rival")).id())).as("after an unfollow")
                .containsExactly(1, 3, 4);
    }
}
