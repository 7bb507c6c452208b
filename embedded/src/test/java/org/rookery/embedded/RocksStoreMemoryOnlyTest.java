package org.rookery.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.store.Table;
import org.rookery.core.store.WouldBlockException;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.tweets.TweetService;

/**
 * Inside a {@link MemoryOnly} scope (an event loop trying a read) the store answers only what memory
 * holds: {@link RocksStore#get}, {@link RocksStore#multiGet}, {@link RocksStore#containsEach} and
 * {@link RocksStore#scan} from the memtables and the block cache, refusing where a block is on disk
 * only; counters the counter cache does not hold and every commit refuse at once, applying nothing.
 */
class RocksStoreMemoryOnlyTest {
    @TempDir
    Path dir;

    private static final byte[] FAVOURITE = Bytes.key(100, 7);
    private static final byte[] ABSENT = Bytes.key(101, 7);
    private static final byte[] TWEET = Bytes.key(100, 8);

    private RocksStore open() {
        return RocksStore.open(RocksStore.Options.builder(dir).partitions(1).build());
    }

    @Test
    void answersFromTheMemtable() {
        try (RocksStore store = open()) {
            store.commit(new WriteBatch().put(Table.FAVOURITES, FAVOURITE, new byte[0]));
            store.commit(new WriteBatch().put(Table.TWEETS, TWEET, new byte[] {1, 2, 3}));
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThat(store.containsEach(Table.FAVOURITES, List.of(FAVOURITE, ABSENT))).containsExactly(true, false);
                assertThat(store.get(Table.TWEETS, TWEET)).containsExactly(1, 2, 3);
                assertThat(store.get(Table.TWEETS, ABSENT)).isNull();
                assertThat(store.multiGet(Table.TWEETS, List.of(ABSENT, TWEET))).satisfiesExactly(
                        v -> assertThat(v).isNull(), v -> assertThat(v).containsExactly(1, 2, 3));
            }
        }
    }

    @Test
    void aKeyDeletedInTheMemtableIsAbsentThoughItsOldValueIsOnDisk() {
        try (RocksStore store = open()) {
            store.commit(new WriteBatch().put(Table.TWEETS, TWEET, new byte[] {1}));
            store.flush();
            store.commit(new WriteBatch().delete(Table.TWEETS, TWEET));
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThat(store.get(Table.TWEETS, TWEET)).isNull();
                assertThat(store.containsEach(Table.TWEETS, List.of(TWEET))).containsExactly(false);
            }
        }
    }

    @Test
    void refusesAKeyWhoseBlockIsOnlyOnDiskUntilARegularReadHasCachedIt() {
        try (RocksStore store = open()) {
            // Enough keys for a table file of many blocks, so that opening it (which reads its tail:
            // index and filter) does not read the block that holds FAVOURITE, near its start.
            WriteBatch batch = new WriteBatch();
            for (long tweet = 1_000; tweet <= 101_000; tweet += 2) {
                batch.put(Table.FAVOURITES, Bytes.key(tweet, 7), new byte[16]);
            }
            store.commit(batch.put(Table.FAVOURITES, FAVOURITE, new byte[0]));
            store.flush();
        }
        // Opened again: the key is in a table file only, and the block cache is empty.
        try (RocksStore store = open()) {
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThatThrownBy(() -> store.containsEach(Table.FAVOURITES, List.of(ABSENT, FAVOURITE)))
                        .isInstanceOf(WouldBlockException.class);
                assertThatThrownBy(() -> store.get(Table.FAVOURITES, FAVOURITE)).isInstanceOf(WouldBlockException.class);
                assertThatThrownBy(() -> store.multiGet(Table.FAVOURITES, List.of(ABSENT, FAVOURITE)))
                        .isInstanceOf(WouldBlockException.class);
            }
            assertThat(store.containsEach(Table.FAVOURITES, List.of(ABSENT, FAVOURITE))).containsExactly(false, true);
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThat(store.containsEach(Table.FAVOURITES, List.of(ABSENT, FAVOURITE))).containsExactly(false, true);
                assertThat(store.get(Table.FAVOURITES, FAVOURITE)).as("from the block cache").isEmpty();
                assertThat(store.get(Table.FAVOURITES, ABSENT)).isNull();
            }
        }
    }

    /** A user-timeline-like list: 20,000 rows under one prefix, the newest last. */
    private static void writeList(RocksStore store, long owner) {
        WriteBatch batch = new WriteBatch();
        for (long id = 1; id <= 20_000; id++) {
            batch.put(Table.USER_TIMELINES, Bytes.key(owner, id), new byte[24]);
        }
        store.commit(batch);
    }

    /** The newest {@code n} ids of {@code owner}'s list, by a reverse scan. */
    private static List<Long> newest(RocksStore store, long owner, int n) {
        List<Long> ids = new java.util.ArrayList<>();
        store.scan(Table.USER_TIMELINES, Bytes.key(owner), null, true, (k, v) -> {
            ids.add(Bytes.getLong(k, 8));
            return ids.size() < n;
        });
        return ids;
    }

    @Test
    void scansFromTheMemtable() {
        try (RocksStore store = open()) {
            writeList(store, 42);
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThat(newest(store, 42, 3)).containsExactly(20_000L, 19_999L, 19_998L);
                assertThat(newest(store, 43, 3)).isEmpty();
            }
        }
    }

    @Test
    void refusesAScanThatReachesABlockOnlyOnDiskUntilARegularReadHasCachedIt() {
        try (RocksStore store = open()) {
            writeList(store, 42);
            store.flush();
        }
        // Opened again: the rows are in a table file only, and the block cache is empty.
        try (RocksStore store = open()) {
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThatThrownBy(() -> newest(store, 42, 20)).isInstanceOf(WouldBlockException.class);
            }
            List<Long> page = newest(store, 42, 20);
            assertThat(page).hasSize(20).startsWith(20_000L).endsWith(19_981L);
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThat(newest(store, 42, 20)).as("the same page, now from the block cache").isEqualTo(page);
                // The oldest rows lie in blocks nothing has read yet.
                assertThatThrownBy(() -> store.scan(Table.USER_TIMELINES, Bytes.key(42), null, false, (k, v) -> true))
                        .isInstanceOf(WouldBlockException.class);
            }
        }
    }

    @Test
    void refusesCountersNotCachedAndCommitsWithoutApplyingThem() {
        byte[] counter = TweetService.counterKey(100, (byte) 3);
        try (RocksStore store = open()) {
            store.commit(new WriteBatch().put(Table.FAVOURITES, FAVOURITE, new byte[] {1}).increment(Table.COUNTERS, counter, 5));
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThatThrownBy(() -> store.get(Table.COUNTERS, counter)).as("not in the counter cache yet")
                        .isInstanceOf(WouldBlockException.class);
                assertThatThrownBy(() -> store.commit(new WriteBatch().put(Table.FAVOURITES, ABSENT, new byte[] {1})))
                        .isInstanceOf(WouldBlockException.class);
                assertThat(MemoryOnly.active()).isTrue();
            }
            assertThat(MemoryOnly.active()).isFalse();
            assertThat(store.get(Table.FAVOURITES, FAVOURITE)).containsExactly(1);
            assertThat(store.get(Table.FAVOURITES, ABSENT)).isNull();
            assertThat(Bytes.fromLittleEndian(store.get(Table.COUNTERS, counter))).isEqualTo(5);
            try (MemoryOnly.Scope s = MemoryOnly.enter()) {
                assertThat(Bytes.fromLittleEndian(store.get(Table.COUNTERS, counter))).as("cached by the read before").isEqualTo(5);
            }
        }
    }
}
