package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.testing.MemoryStore;
import org.rookery.core.tweets.NewTweet;
import org.rookery.core.users.Registrations;

/**
 * The cold start's first-page warm-up: {@link HomeTimelineService#peek} answers what a home read
 * would without being one, and {@link HomeTimelineService#warmInBackground} hands it the most
 * recently active users, as many as it is told, after rebuilding them.
 */
class ColdStartWarmUpTest {
    private static final long DAY = 86_400_000L;
    private static final Page FIRST = new Page(0, 0, 0, 20);
    private final TimelineSimulation.SimClock clock = new TimelineSimulation.SimClock();
    private final MemoryStore memory = new MemoryStore(2, clock);
    private final TimelineStore timelines = new TimelineStore(20, TimelineStore.bytesFor(20, 16), 64);
    private final TestHomeTimelines.Wired w = TestHomeTimelines.wired(memory, clock, timelines);
    private final HomeTimelineService home = w.home();

    @Test
    void aPeekIsTheFirstPageAndNotARead() {
        Account reader = user("reader");
        Account writer = user("writer");
        w.graph().follow(reader.id(), writer.id(), true, false);
        w.tweets().post(writer.id(), NewTweet.of("one"));
        w.tweets().post(writer.id(), NewTweet.of("two"));
        assertThat(home.peek(reader.id(), FIRST)).as("not in memory: nothing rebuilt").isEmpty();
        assertThat(timelines.isResident(reader.id())).isFalse();

        List<Tweet> read = home.home(reader.id(), FIRST); // rebuilds, notes the activity, marks the read
        assertThat(read).extracting(Tweet::text).containsExactly("two", "one");
        assertThat(home.flushActivity()).isEqualTo(1);
        clock.advance(2 * DAY);

        assertThat(home.peek(reader.id(), FIRST)).isEqualTo(read);
        assertThat(home.flushActivity()).as("no activity noted").isZero();
        assertThat(timelines.evictInactive(clock.millis() - DAY)).as("its last read is still two days old").isEqualTo(1);
        assertThat(timelines.isResident(reader.id())).isFalse();
    }

    @Test
    void theWarmUpRendersTheFirstPagesOfTheMostRecentlyActiveAndGoesOnPastAFailure() {
        Account writer = user("writer");
        List<Long> readers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Account r = user("reader" + i);
            w.graph().follow(r.id(), writer.id(), true, false);
            home.recordActivity(r.id(), clock.millis() + i * 60_000L); // the later, the more recent
            readers.add(r.id());
        }
        w.tweets().post(writer.id(), NewTweet.of("hello"));
        assertThat(home.flushActivity()).isEqualTo(5);

        Map<Long, List<Tweet>> pages = new LinkedHashMap<>();
        home.warmInBackground(0, Runnable::run, () -> false, user -> {
            if (user == readers.get(4)) {
                throw new IllegalStateException("a page that fails to render (test)");
            }
            pages.put(user, home.peek(user, FIRST));
        }, 3);

        assertThat(pages.keySet()).as("the next two most recent, in that order").containsExactly(readers.get(3), readers.get(2));
        assertThat(pages.values()).allSatisfy(p -> assertThat(p).extracting(Tweet::text).containsExactly("hello"));
        assertThat(readers).allSatisfy(r -> assertThat(timelines.isResident(r)).as("rebuilt").isTrue());
        assertThat(home.warmPending()).isZero();
        assertThat(home.flushActivity()).as("the warm-up is no one's read").isZero();
    }

    private Account user(String handle) {
        return w.users().register(handle, handle + "@example.com", "password-" + handle, Registrations.OPEN);
    }
}
