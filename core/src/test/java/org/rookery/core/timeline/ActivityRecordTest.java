package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.store.StoreOverloadedException;
import org.rookery.core.testing.MemoryStore;

/**
 * Users' activity records, which order the cold-start rebuild: noted in memory by reads (without
 * a commit, so also inside a memory-only read), written by {@link HomeTimelineService#flushActivity}
 * at most once an hour per user, and read back after a restart.
 */
class ActivityRecordTest {
    private static final long HOUR = 3_600_000L;
    private final TimelineSimulation.SimClock clock = new TimelineSimulation.SimClock();
    private final MemoryStore memory = new MemoryStore(2, clock);
    /** Fails the next commit when set; every other call goes to the memory store. */
    private final AtomicBoolean failNextCommit = new AtomicBoolean();

    @Test
    void aUserIsRecordedOnceAnHourAndOnlyWhenFlushed() {
        HomeTimelineService home = service(memory);
        home.recordActivity(1, clock.millis());
        try (var scope = MemoryOnly.enter()) { // a read from memory notes activity too, and commits nothing
            home.recordActivity(2, clock.millis());
        }
        home.recordActivity(1, clock.millis() + 1_000);
        assertThat(home.activeSince(0)).as("nothing written before the flush").isEmpty();

        assertThat(home.flushActivity()).isEqualTo(2);
        assertThat(home.activeSince(0)).containsExactlyInAnyOrder(1L, 2L);
        assertThat(home.flushActivity()).isZero();

        clock.advance(HOUR - 1);
        home.recordActivity(1, clock.millis());
        assertThat(home.flushActivity()).as("within the hour").isZero();
        clock.advance(1);
        home.recordActivity(1, clock.millis());
        assertThat(home.flushActivity()).as("an hour later").isEqualTo(1);
        assertThat(home.activeSince(clock.millis())).containsExactly(1L);
    }

    @Test
    void afterARestartTheUsersRecordedWithinTheHourAreNotRecordedAgain() {
        HomeTimelineService before = service(memory);
        before.recordActivity(1, clock.millis());
        before.recordActivity(2, clock.millis() - 2 * HOUR);
        before.flushActivity();
        clock.advance(10 * 60_000L);

        HomeTimelineService after = service(memory); // a restart: nothing noted in memory
        assertThat(after.activeSince(0)).as("most recent first").containsExactly(1L, 2L);
        after.recordActivity(1, clock.millis());
        after.recordActivity(2, clock.millis());
        assertThat(after.flushActivity()).as("only the user last recorded over an hour ago").isEqualTo(1);
    }

    @Test
    void notesOlderThanAnHourAreForgottenAndTheNextReadIsRecordedAsWithTheNoteKept() {
        HomeTimelineService home = service(memory);
        long t = clock.millis();
        home.recordActivity(1, t);
        home.recordActivity(2, t + 30 * 60_000L);
        assertThat(home.flushActivity()).isEqualTo(2);

        assertThat(home.forgetOldActivity(t + HOUR - 1)).isZero();
        assertThat(home.forgetOldActivity(t + HOUR)).as("only the note an hour old").isEqualTo(1);
        home.recordActivity(2, t + HOUR);
        assertThat(home.flushActivity()).as("still noted within its hour").isZero();
        home.recordActivity(1, t + HOUR);
        assertThat(home.flushActivity()).as("recorded again, as an hour-old note allows").isEqualTo(1);
        assertThat(home.activeSince(t + HOUR)).containsExactly(1L);
    }

    @Test
    void usersOfAFailedWriteAreRecordedAtTheirNextActivity() {
        HomeTimelineService home = service(failing());
        home.recordActivity(1, clock.millis());
        failNextCommit.set(true);
        assertThatThrownBy(home::flushActivity).isInstanceOf(StoreOverloadedException.class);
        assertThat(home.activeSince(0)).isEmpty();

        home.recordActivity(1, clock.millis() + 1_000);
        assertThat(home.flushActivity()).isEqualTo(1);
        assertThat(home.activeSince(0)).containsExactly(1L);
    }

    private HomeTimelineService service(KeyValueStore store) {
        return TestHomeTimelines.over(store, clock);
    }

    /** The memory store, except that a commit fails as an overloaded store's does when asked to. */
    private KeyValueStore failing() {
        return (KeyValueStore) Proxy.newProxyInstance(KeyValueStore.class.getClassLoader(),
                new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("commit") && failNextCommit.getAndSet(false)) {
                        throw new StoreOverloadedException("commit queue full (test)");
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
