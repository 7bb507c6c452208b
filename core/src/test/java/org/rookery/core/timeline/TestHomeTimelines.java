package org.rookery.core.timeline;

import java.time.Duration;
import java.time.InstantSource;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.tweets.TweetText;
import org.rookery.core.users.UserService;

/** A {@link HomeTimelineService} with its services over one store, for tests of the service alone. */
final class TestHomeTimelines {
    private TestHomeTimelines() {}

    /** The home-timeline service and the services it reads, to make users, follows and tweets with. */
    record Wired(UserService users, GraphService graph, TweetService tweets, HomeTimelineService home) {}

    /** Over {@code store}, with room for 16 timelines of 20 entries. */
    static HomeTimelineService over(KeyValueStore store, InstantSource clock) {
        return over(store, clock, new TimelineStore(20, TimelineStore.bytesFor(20, 16), 64));
    }

    static HomeTimelineService over(KeyValueStore store, InstantSource clock, TimelineStore timelines) {
        return wired(store, clock, timelines).home();
    }

    static Wired wired(KeyValueStore store, InstantSource clock, TimelineStore timelines) {
        SnowflakeIdGenerator ids = new SnowflakeIdGenerator(0, clock, Duration.ofSeconds(1));
        UserService users = new UserService(store, ids, clock, new PasswordHasher(8, 1));
        GraphService graph = new GraphService(store, users, ids, clock);
        TweetService tweets = new TweetService(store, users, graph, ids, clock, new TweetText(500), Duration.ofHours(1));
        FanoutPolicy policy = FanoutPolicy.threshold(1_000);
        HomeTimelineService home = new HomeTimelineService(store, timelines, new TweetIndex(256), policy,
                new PullLists(store, policy, 60), tweets, graph, users, new RateTracker(), clock);
        return new Wired(users, graph, tweets, home);
    }
}
