package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.timeline.TweetIndex.Meta;

class TweetIndexTest {

    private static Meta original(long id, long author) {
        return new Meta(id, author, 0, 0, 0, 0);
    }

    @Test
    void getReturnsWhatWasPut() {
        TweetIndex index = new TweetIndex(8);
        Meta repost = new Meta(20, 7, 10, 3, 0, TweetIndex.FLAG_REPOST);
        Meta reply = new Meta(21, 8, 0, 0, 7, TweetIndex.FLAG_REPLY | TweetIndex.FLAG_PRIVATE);
        index.put(repost);
        index.put(reply);

        assertThat(index.get(20)).isEqualTo(repost);
        assertThat(index.get(21)).isEqualTo(reply);
        assertThat(index.get(20).isRepost()).isTrue();
        assertThat(index.get(20).contentId()).isEqualTo(10);
        assertThat(index.get(21).contentId()).isEqualTo(21);
        assertThat(index.authorOf(20)).isEqualTo(7);
        assertThat(index.authorOf(21)).isEqualTo(8);
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void unknownTweetsAreNullWithAuthorZero() {
        TweetIndex index = new TweetIndex(4);
        index.put(original(1, 5));

        assertThat(index.get(2)).isNull();
        assertThat(index.authorOf(2)).isZero();
        assertThat(index.get(Long.MIN_VALUE)).isNull();
        assertThat(index.authorOf(Long.MIN_VALUE)).as("the map's reserved key").isZero();
    }

    @Test
    void putAgainReplacesTheEntryWithoutTakingAnotherPlace() {
        TweetIndex index = new TweetIndex(2);
        index.put(original(1, 5));
        index.put(original(2, 6));
        index.put(new Meta(1, 5, 0, 0, 0, TweetIndex.FLAG_PRIVATE));

        assertThat(index.get(1).flags()).isEqualTo(TweetIndex.FLAG_PRIVATE);
        assertThat(index.get(2)).as("not pushed out by the update").isNotNull();
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void aFullIndexDropsItsOldestTweetFirst() {
        TweetIndex index = new TweetIndex(3);
        for (long id = 1; id <= 5; id++) {
            index.put(original(id, 100 + id));
        }

        assertThat(index.get(1)).isNull();
        assertThat(index.get(2)).isNull();
        assertThat(index.authorOf(1)).isZero();
        assertThat(index.authorOf(3)).isEqualTo(103);
        assertThat(index.authorOf(5)).isEqualTo(105);
        assertThat(index.size()).isEqualTo(3);
    }

    @Test
    void removeForgetsATweetAndLeavesTheOthers() {
        TweetIndex index = new TweetIndex(3);
        index.put(original(1, 11));
        index.put(original(2, 12));

        index.remove(1);
        index.remove(99); // never there

        assertThat(index.get(1)).isNull();
        assertThat(index.authorOf(1)).isZero();
        assertThat(index.authorOf(2)).isEqualTo(12);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void aRemovedTweetPutAgainSurvivesItsOldPlaceBeingReused() {
        TweetIndex index = new TweetIndex(2);
        index.put(original(1, 11)); // place 0
        index.remove(1);
        index.put(original(1, 11)); // place 1
        index.put(original(2, 12)); // place 0 again: must not forget tweet 1

        assertThat(index.authorOf(1)).isEqualTo(11);
        assertThat(index.authorOf(2)).isEqualTo(12);
        index.put(original(3, 13)); // place 1: now tweet 1 is the oldest and goes
        assertThat(index.get(1)).isNull();
        assertThat(index.authorOf(2)).isEqualTo(12);
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void metaOfATweetCarriesItsFlags() {
        Tweet reply = new Tweet(30, 4, "hi", 0, 29, 5, 0, 0, Visibility.PRIVATE, "", false, null,
                List.of(), List.of(), List.of());
        Tweet repost = new Tweet(31, 4, "", 0, 0, 0, 12, 0, Visibility.PUBLIC, "", false, null,
                List.of(), List.of(), List.of());
        Tweet direct = new Tweet(32, 4, "psst", 0, 0, 0, 0, 0, Visibility.DIRECT, "", false, null,
                List.of(5L), List.of(), List.of());

        assertThat(Meta.of(reply, 0)).isEqualTo(new Meta(30, 4, 0, 0, 5,
                TweetIndex.FLAG_REPLY | TweetIndex.FLAG_PRIVATE));
        assertThat(Meta.of(repost, 9)).isEqualTo(new Meta(31, 4, 12, 9, 0, TweetIndex.FLAG_REPOST));
        assertThat(Meta.of(direct, 0).flags()).isEqualTo(TweetIndex.FLAG_DIRECT);
    }

    @Test
    void ramBytesUsedIsFixedByCapacity() {
        TweetIndex index = new TweetIndex(1_000);
        long before = index.ramBytesUsed();
        for (long id = 1; id <= 2_000; id++) {
            index.put(original(id, id));
        }

        assertThat(index.ramBytesUsed()).isEqualTo(before);
        assertThat(before).as("41 bytes of fields per tweet plus the map").isBetween(1_000L * 41, 1_000L * (41 + 48) + 256);
        assertThatThrownBy(() -> new TweetIndex(0)).hasMessage("capacity: 0 (expected: > 0)");
    }
}
