package org.rookery.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.store.Bytes;
import org.rookery.core.tweets.TweetService;

/** {@link CounterCache} on its own; {@link RocksStoreCounterCacheTest} holds it to the store's commits. */
class CounterCacheTest {

    private static byte @Nullable [][] lookup(CounterCache cache, List<byte[]> keys, List<Integer> missingOut) {
        byte[][] out = new byte[keys.size()][];
        int[] missing = new int[keys.size()];
        int misses = cache.lookup(keys, out, missing);
        for (int i = 0; i < misses; i++) {
            missingOut.add(missing[i]);
        }
        return out;
    }

    private static List<byte @Nullable []> values(long... v) {
        List<byte @Nullable []> out = new ArrayList<>();
        for (long x : v) {
            out.add(x < 0 ? null : Bytes.littleEndian(x));
        }
        return out;
    }

    @Test
    void keepsValuesAndAbsenceUntilWritten() {
        CounterCache cache = new CounterCache(1_000);
        List<byte[]> keys = List.of(TweetService.counterKey(1, TweetService.REPLIES),
                TweetService.counterKey(1, TweetService.FAVOURITES), new byte[] {'x'});
        List<Integer> missing = new ArrayList<>();
        lookup(cache, keys, missing);
        assertThat(missing).containsExactly(0, 1, 2);

        cache.putLoaded(cache.stamp(), keys, values(7, -1, 1L << 40));
        missing.clear();
        byte[][] got = lookup(cache, keys, missing);
        assertThat(missing).isEmpty();
        assertThat(Bytes.fromLittleEndian(got[0])).isEqualTo(7);
        assertThat(got[1]).isNull();
        assertThat(Bytes.fromLittleEndian(got[2])).isEqualTo(1L << 40);

        cache.written(List.of(TweetService.counterKey(1, TweetService.FAVOURITES)));
        missing.clear();
        lookup(cache, keys, missing);
        assertThat(missing).as("a write drops the counts of its status, the sibling it did not change too")
                .containsExactly(0, 1);
        // Three lookups of three keys: all missed, all found, the status's two dropped by the write.
        assertThat(cache.hits()).isEqualTo(4);
        assertThat(cache.misses()).isEqualTo(5);
    }

    /** A status's three counts (and an account's) are one entry: their keys differ only in their last byte's low bits. */
    @Test
    void theCountsOfOneStatusShareAnEntryAndStayDistinct() {
        CounterCache cache = new CounterCache(CounterCache.WAYS);
        List<byte[]> keys = new ArrayList<>();
        for (long id = 1; id <= CounterCache.WAYS; id++) {
            keys.add(TweetService.counterKey(id, TweetService.REPLIES));
            keys.add(TweetService.counterKey(id, TweetService.REPOSTS));
            keys.add(TweetService.counterKey(id, TweetService.FAVOURITES));
        }
        List<byte @Nullable []> loaded = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            loaded.add(i % 3 == 1 ? null : Bytes.littleEndian(i));
        }
        cache.putLoaded(cache.stamp(), keys, loaded);
        assertThat(cache.size()).as("values cached").isEqualTo(keys.size());
        List<Integer> missing = new ArrayList<>();
        byte[][] got = lookup(cache, keys, missing);
        assertThat(missing).as("8 statuses' counts fit a table of 8 entries").isEmpty();
        for (int i = 0; i < keys.size(); i++) {
            if (i % 3 == 1) {
                assertThat(got[i]).as("key %d", i).isNull();
            } else {
                assertThat(Bytes.fromLittleEndian(got[i])).as("key %d", i).isEqualTo(i);
            }
        }
        cache.written(List.of(TweetService.counterKey(3, TweetService.REPOSTS)));
        missing.clear();
        lookup(cache, keys, missing);
        assertThat(missing).containsExactly(6, 7, 8);
    }

    @Test
    void keepsNothingLoadedBeforeAWrite() {
        CounterCache cache = new CounterCache(1_000);
        List<byte[]> keys = List.of(TweetService.counterKey(1, TweetService.REPLIES));
        long stamp = cache.stamp();
        cache.written(List.of(TweetService.counterKey(2, TweetService.REPLIES))); // any write moves the stamp
        cache.putLoaded(stamp, keys, values(7));
        List<Integer> missing = new ArrayList<>();
        lookup(cache, keys, missing);
        assertThat(missing).containsExactly(0);
    }

    @Test
    void keysItCannotHoldAndValuesThatAreNotCountersAreNeverCached() {
        CounterCache cache = new CounterCache(1_000);
        byte[] longKey = new byte[CounterCache.MAX_KEY_BYTES + 1];
        Arrays.fill(longKey, (byte) 'k');
        List<byte[]> keys = List.of(longKey, new byte[0], new byte[] {'v'});
        List<byte @Nullable []> loaded = new ArrayList<>(values(3, 4));
        loaded.add(new byte[] {1, 2, 3});
        cache.putLoaded(cache.stamp(), keys, loaded);
        List<Integer> missing = new ArrayList<>();
        lookup(cache, keys, missing);
        assertThat(missing).containsExactly(0, 1, 2);
        assertThat(cache.size()).isZero();
    }

    @Test
    void keysThatShareAPrefixOrDifferOnlyInLengthAreDistinct() {
        CounterCache cache = new CounterCache(1_000);
        List<byte[]> keys = List.of(new byte[] {'a'}, new byte[] {'a', 0}, new byte[] {'a', 0, 0},
                new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 0},
                new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
                new byte[] {'b'}, new byte[] {'e'}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 2}); // 'a' and 'b' share an entry
        cache.putLoaded(cache.stamp(), keys, values(0, 1, 2, 3, 4, 5, 6, 7, 8));
        List<Integer> missing = new ArrayList<>();
        byte[][] got = lookup(cache, keys, missing);
        assertThat(missing).isEmpty();
        for (int i = 0; i < keys.size(); i++) {
            assertThat(Bytes.fromLittleEndian(got[i])).as("key %d", i).isEqualTo(i);
        }
    }

    /**
     * A cache with room for every counter keeps nearly every counter: the keys of Snowflake ids
     * spread over the sets. (With a polynomial hash of the key bytes, as a String's, one hash in
     * eight was used and most of these would have replaced each other.)
     */
    @Test
    void countersOfSnowflakeIdsSpreadOverTheSets() {
        long[] millis = {Instant.parse("2026-12-05T12:00:00Z").toEpochMilli()};
        InstantSource clock = () -> Instant.ofEpochMilli(millis[0]);
        SnowflakeIdGenerator ids = new SnowflakeIdGenerator(7, clock, Duration.ZERO);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            if (i % 10 == 0) {
                millis[0]++;
            }
            long id = ids.nextId();
            for (byte kind : new byte[] {TweetService.REPLIES, TweetService.REPOSTS, TweetService.FAVOURITES}) {
                keys.add(TweetService.counterKey(id, kind));
            }
        }
        CounterCache cache = new CounterCache(keys.size() / 3 * 2); // room for every status's counts twice over
        List<byte @Nullable []> loaded = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            loaded.add(Bytes.littleEndian(i));
        }
        cache.putLoaded(cache.stamp(), keys, loaded);
        assertThat(cache.size()).isGreaterThan(keys.size() * 99L / 100);
        List<Integer> missing = new ArrayList<>();
        byte[][] got = lookup(cache, keys, missing);
        for (int i = 0; i < keys.size(); i++) {
            if (got[i] != null) {
                assertThat(Bytes.fromLittleEndian(got[i])).isEqualTo(i);
            }
        }
    }

    @Test
    void aFullSetReplacesItsSlotsInTurn() {
        CounterCache cache = new CounterCache(CounterCache.WAYS);
        assertThat(cache.capacity()).isGreaterThanOrEqualTo(CounterCache.WAYS);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < cache.capacity() * 4; i++) {
            keys.add(Bytes.key(i * CounterCache.KINDS)); // each its own entry
        }
        List<byte @Nullable []> loaded = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            loaded.add(Bytes.littleEndian(i));
        }
        cache.putLoaded(cache.stamp(), keys, loaded);
        assertThat(cache.size()).isEqualTo(cache.capacity());
        List<Integer> missing = new ArrayList<>();
        byte[][] got = lookup(cache, keys, missing);
        assertThat(missing).hasSize(keys.size() - cache.capacity());
        for (int i = 0; i < keys.size(); i++) {
            if (got[i] != null) {
                assertThat(Bytes.fromLittleEndian(got[i])).isEqualTo(i);
            }
        }
    }
}
