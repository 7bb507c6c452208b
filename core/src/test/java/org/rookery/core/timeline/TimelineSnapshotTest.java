package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineSnapshotTest {
    private static final long MINUTE = 60_000L;
    private static final long[] AT = {17, 0, 4_203};

    @TempDir
    Path dir;

    /** Users 1..users, each resident, last active at a different minute, with up to capacity entries. */
    private static TimelineStore filled(long seed, int capacity, int users) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TimelineStore store = new TimelineStore(capacity, TimelineStore.bytesFor(capacity, users), 10_000);
        for (long user = 1; user <= users; user++) {
            store.makeResident(user, rnd.nextLong(1_000) * MINUTE);
            int n = rnd.nextInt(capacity * 2);
            for (int i = 0; i < n; i++) {
                store.insert(user, 1 + rnd.nextLong(1_000_000)); // out of order and repeated too
            }
        }
        return store;
    }

    private static TweetIndex indexed(int capacity, int tweets) {
        TweetIndex index = new TweetIndex(capacity);
        for (long id = 1; id <= tweets; id++) {
            index.put(new TweetIndex.Meta(id, 100 + id % 7, id % 3 == 0 ? id - 1 : 0, id % 3 == 0 ? 100 : 0,
                    id % 5 == 0 ? 200 : 0, (int) (id % 16)));
        }
        index.remove(tweets - 1);
        return index;
    }

    private static FanoutPolicy pulling() {
        FanoutPolicy policy = FanoutPolicy.threshold(10);
        policy.decide(3, 1_000, true);
        return policy;
    }

    /** Every resident timeline, most recently active first, as "user@minute: ids". */
    private static List<String> contents(TimelineStore store) throws IOException {
        List<String> out = new ArrayList<>();
        store.forEachResident((user, lastActive, entries, count) -> {
            StringBuilder b = new StringBuilder().append(user).append('@').append(lastActive / MINUTE).append(':');
            for (int i = 0; i < count; i++) {
                b.append(' ').append(entries[i]);
            }
            out.add(b.toString());
        });
        return out;
    }

    private static List<TweetIndex.Meta> contents(TweetIndex index) throws IOException {
        List<TweetIndex.Meta> out = new ArrayList<>();
        index.forEach(out::add);
        return out;
    }

    @Test
    void aRestoredStoreHoldsTheSameTimelinesAndTweets() throws IOException {
        long seed = new SplittableRandom().nextLong();
        TimelineStore store = filled(seed, 40, 300);
        TweetIndex index = indexed(64, 100); // more tweets than it holds: the oldest fell out
        FanoutPolicy policy = FanoutPolicy.threshold(10);
        policy.decide(7, 100, true);
        policy.decide(7, 200, false); // closed: 7's tweets in [100, 200) are in no stored timeline
        policy.decide(9, 150, true);  // still pulling from 150
        Path file = dir.resolve(TimelineSnapshot.FILE_NAME);

        TimelineSnapshot.Counts written = TimelineSnapshot.write(file, store, index, policy, AT);
        TimelineStore restored = new TimelineStore(40, TimelineStore.bytesFor(40, 300), 10_000);
        TweetIndex restoredIndex = new TweetIndex(64);
        FanoutPolicy restoredPolicy = FanoutPolicy.threshold(10);
        TimelineSnapshot.Counts read =
                TimelineSnapshot.restore(file, restored, restoredIndex, restoredPolicy, AT.clone());

        assertThat(contents(restored)).as("seed %d", seed).isEqualTo(contents(store));
        assertThat(contents(restored)).as("seed %d", seed).hasSize(300);
        assertThat(contents(restoredIndex)).isEqualTo(contents(index)).hasSize(63);
        assertThat(restoredIndex.get(100)).isEqualTo(index.get(100));
        assertThat(restoredIndex.get(99)).as("removed before the snapshot").isNull();
        assertThat(restoredPolicy.pullAuthors()).containsExactly(7, 9);
        assertThat(restoredPolicy.isPulled(7, 150)).isTrue();
        assertThat(restoredPolicy.isPulled(7, 200)).isFalse();
        assertThat(restoredPolicy.isPulling(7)).isFalse();
        assertThat(restoredPolicy.isPulling(9)).isTrue();
        assertThat(restoredPolicy.isPulled(9, 149)).isFalse();
        assertThat(read.users()).isEqualTo(written.users()).isEqualTo(300);
        assertThat(read.entries()).isEqualTo(written.entries()).isEqualTo(store.entries());
        assertThat(read.tweets()).isEqualTo(written.tweets()).isEqualTo(63);
        assertThat(written.bytes()).isEqualTo(Files.size(file));
        assertThat(dir.resolve(TimelineSnapshot.FILE_NAME + ".tmp")).doesNotExist();

        // The restored timelines take fanout as before.
        long newest = restored.size(1) == 0 ? 0 : TimelineStoreTest.timeline(restored, 1)[0];
        assertThat(restored.insert(1, newest + 1)).isTrue();
        assertThat(TimelineStoreTest.timeline(restored, 1)[0]).isEqualTo(newest + 1);
    }

    @Test
    void aSnapshotTakenAtOtherPositionsIsRefusedAndNothingIsLoaded() throws IOException {
        Path file = dir.resolve(TimelineSnapshot.FILE_NAME);
        TimelineSnapshot.write(file, filled(1, 10, 20), indexed(16, 10), pulling(), AT);
        TimelineStore store = new TimelineStore(10, TimelineStore.bytesFor(10, 20), 1_000);
        TweetIndex index = new TweetIndex(16);
        FanoutPolicy policy = FanoutPolicy.threshold(10);

        // The consumer moved on after the snapshot (a crash after the start that loaded it).
        assertThatThrownBy(() -> TimelineSnapshot.restore(file, store, index, policy, new long[] {17, 1, 4_203}))
                .isInstanceOf(TimelineSnapshot.UnusableSnapshotException.class)
                .hasMessageContaining("[17, 0, 4203]").hasMessageContaining("[17, 1, 4203]");
        assertThatThrownBy(() -> TimelineSnapshot.restore(file, store, index, policy, new long[] {17, 0}))
                .isInstanceOf(TimelineSnapshot.UnusableSnapshotException.class).hasMessageContaining("partitions");
        assertThat(store.residentUsers()).isZero();
        assertThat(index.size()).isZero();
        assertThat(policy.pullAuthors()).isEmpty();
    }

    @Test
    void aDamagedOrCutSnapshotIsRefusedAndNothingIsLoaded() throws IOException {
        Path file = dir.resolve(TimelineSnapshot.FILE_NAME);
        TimelineSnapshot.write(file, filled(2, 10, 20), indexed(16, 10), pulling(), AT);
        long length = Files.size(file);
        TimelineStore store = new TimelineStore(10, TimelineStore.bytesFor(10, 20), 1_000);
        TweetIndex index = new TweetIndex(16);
        FanoutPolicy policy = FanoutPolicy.threshold(10);

        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(length / 2);
            int b = f.read();
            f.seek(length / 2);
            f.write(b ^ 0x10); // one bit in the middle of the timelines
        }
        assertThatThrownBy(() -> TimelineSnapshot.restore(file, store, index, policy, AT))
                .isInstanceOf(TimelineSnapshot.UnusableSnapshotException.class).hasMessageContaining("checksum");

        TimelineSnapshot.write(file, filled(2, 10, 20), indexed(16, 10), pulling(), AT);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length - 100);
        }
        assertThatThrownBy(() -> TimelineSnapshot.restore(file, store, index, policy, AT))
                .isInstanceOf(TimelineSnapshot.UnusableSnapshotException.class);
        Files.write(file, new byte[10]);
        assertThatThrownBy(() -> TimelineSnapshot.restore(file, store, index, policy, AT))
                .isInstanceOf(TimelineSnapshot.UnusableSnapshotException.class).hasMessageContaining("short");
        assertThat(store.residentUsers()).isZero();
        assertThat(index.size()).isZero();
        assertThat(policy.pullAuthors()).isEmpty();
    }

    @Test
    void aSmallerStoreGetsTheMostRecentlyActiveUsersAndTheNewestEntries() throws IOException {
        long seed = new SplittableRandom().nextLong();
        TimelineStore store = filled(seed, 40, 100);
        Path file = dir.resolve(TimelineSnapshot.FILE_NAME);
        TimelineSnapshot.write(file, store, new TweetIndex(8), pulling(), AT);

        // Room for 30 timelines of 10 entries.
        TimelineStore smaller = new TimelineStore(10, TimelineStore.bytesFor(10, 30), 10_000);
        TimelineSnapshot.Counts read =
                TimelineSnapshot.restore(file, smaller, new TweetIndex(8), FanoutPolicy.threshold(10), AT);

        List<String> expected = contents(store).subList(0, 30).stream()
                .map(line -> {
                    String[] parts = line.split(" ");
                    return String.join(" ", List.of(parts).subList(0, Math.min(parts.length, 11)));
                })
                .toList();
        assertThat(contents(smaller)).as("seed %d", seed).isEqualTo(expected);
        assertThat(read.users()).isEqualTo(30);
        assertThat(smaller.evictions()).as("nobody evicted to make room").isZero();
    }
}
