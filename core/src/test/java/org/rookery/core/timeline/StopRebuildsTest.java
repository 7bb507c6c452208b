package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.testing.MemoryStore;

/**
 * Before a clean stop snapshots the timelines, {@link HomeTimelineService#stopRebuilds} waits for
 * the rebuilds under way (a rebuilding user is resident with a timeline not yet filled, which a
 * snapshot must not keep) and lets no new one start.
 */
class StopRebuildsTest {
    private final TimelineSimulation.SimClock clock = new TimelineSimulation.SimClock();
    private final MemoryStore memory = new MemoryStore(2, clock);
    private final CountDownLatch scanning = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final TimelineStore timelines = new TimelineStore(20, TimelineStore.bytesFor(20, 16), 64);

    @Test
    void waitsForTheRebuildUnderWayAndStartsNoOther() throws Exception {
        HomeTimelineService home = service(blockingUserTimelineScans());
        CompletableFuture<Void> rebuild = CompletableFuture.runAsync(() -> home.reconstruct(1));
        assertThat(scanning.await(10, TimeUnit.SECONDS)).as("the rebuild reads user timelines").isTrue();
        assertThat(timelines.isResident(1)).as("resident before it is filled").isTrue();

        assertThat(home.stopRebuilds(Duration.ofMillis(50))).as("still rebuilding").isFalse();
        CompletableFuture<Boolean> stopped =
                CompletableFuture.supplyAsync(() -> home.stopRebuilds(Duration.ofSeconds(10)));
        assertThatThrownBy(() -> home.reconstruct(2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stopping");
        assertThat(timelines.isResident(2)).isFalse();
        assertThat(stopped).isNotDone();

        release.countDown();
        assertThat(stopped.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(rebuild).isDone();
        rebuild.get(); // completed normally
        assertThat(home.stopRebuilds(Duration.ZERO)).as("nothing under way").isTrue();
    }

    private HomeTimelineService service(KeyValueStore store) {
        return TestHomeTimelines.over(store, clock, timelines);
    }

    /** The memory store, except that the first read of user timelines waits for {@code release}. */
    private KeyValueStore blockingUserTimelineScans() {
        return (KeyValueStore) Proxy.newProxyInstance(KeyValueStore.class.getClassLoader(),
                new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("scan") && args[0] == Table.USER_TIMELINES
                            && scanning.getCount() > 0) {
                        scanning.countDown();
                        assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
