package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.testing.MemoryStore;

class PullListsTest {
    private static final long AUTHOR = 7;

    private final MemoryStore store = new MemoryStore(1, InstantSource.fixed(Instant.EPOCH));
    private final FanoutPolicy policy = FanoutPolicy.threshold(1_000);

    /** The author posts {@code ids} (ascending), each pushed or pulled as {@code pulled} says. */
    private void post(boolean pulled, long... ids) {
        for (long id : ids) {
            store.commit(new WriteBatch().put(Table.USER_TIMELINES, Bytes.key(AUTHOR, id), new byte[8]));
            policy.decide(AUTHOR, id, pulled);
        }
    }

    @Test
    void loadsOnlyThePulledTweetsNewestFirstAndPagesThem() {
        post(false, 10, 20);
        post(true, 30, 40);
        post(false, 50);
        post(true, 60, 70);
        PullLists lists = new PullLists(store, policy, 100);

        assertThat(lists.newest(AUTHOR, 0, 0, 10)).containsExactly(70, 60, 40, 30);
        assertThat(lists.newest(AUTHOR, 60, 0, 10)).as("below max_id").containsExactly(40, 30);
        assertThat(lists.newest(AUTHOR, 0, 40, 10)).as("above min_id").containsExactly(70, 60);
        assertThat(lists.newest(AUTHOR, 0, 0, 3)).as("at most want").containsExactly(70, 60, 40);
    }

    @Test
    void followsTheFanoutConsumerAfterLoading() {
        post(true, 10, 20);
        PullLists lists = new PullLists(store, policy, 100);
        assertThat(lists.newest(AUTHOR, 0, 0, 10)).containsExactly(20, 10);

        post(true, 30);
        lists.added(AUTHOR, 30);
        lists.added(AUTHOR, 30);
        lists.removed(AUTHOR, 10);

        assertThat(lists.newest(AUTHOR, 0, 0, 10)).as("added once, deleted gone").containsExactly(30, 20);
    }

    @Test
    void aReadDeeperThanTheListHoldsGoesToTheStore() {
        post(true, 10, 20, 30, 40, 50);
        PullLists lists = new PullLists(store, policy, 3);

        assertThat(lists.newest(AUTHOR, 0, 0, 2)).containsExactly(50, 40);
        assertThat(lists.newest(AUTHOR, 0, 0, 10)).as("the list is cut at 3: the rest from the store")
                .containsExactly(50, 40, 30, 20, 10);
        assertThat(lists.newest(AUTHOR, 30, 0, 10)).containsExactly(20, 10);

        post(true, 60);
        lists.added(AUTHOR, 60);
        assertThat(lists.newest(AUTHOR, 0, 0, 3)).containsExactly(60, 50, 40);
        assertThat(lists.newest(AUTHOR, 0, 0, 10)).containsExactly(60, 50, 40, 30, 20, 10);
    }

    @Test
    void anAuthorWhoseRangesWereDroppedHasNothingToMerge() {
        post(true, 10, 20);
        post(false, 30);
        PullLists lists = new PullLists(store, policy, 100);
        assertThat(lists.newest(AUTHOR, 0, 0, 10)).containsExactly(20, 10);

        assertThat(policy.authorsWithClosedRanges()).containsExactly(AUTHOR);
        assertThat(policy.closedUntil(AUTHOR)).isEqualTo(30);
        assertThat(policy.dropClosed(AUTHOR, 30)).as("no range left").isFalse();
        lists.drop(AUTHOR);

        assertThat(policy.pullAuthors()).isEmpty();
        assertThat(lists.newest(AUTHOR, 0, 0, 10)).isEmpty();
    }
}
