package org.rookery.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

/**
 * {@link RocksStore#scanNewest} (one iterator for many reverse scans, what a reconstruction reads)
 * returns exactly what one {@link RocksStore#scan} per prefix returns, including prefixes with no
 * keys, neighbours whose keys sit right next to each other, and starting points inside, before and
 * after a prefix.
 */
class RocksStoreScanNewestTest {
    @TempDir
    Path dir;

    @Test
    void matchesOneScanPerPrefix() {
        long seed = 20261122L;
        Random rnd = new Random(seed);
        try (RocksStore store = RocksStore.open(RocksStore.Options.builder(dir).partitions(1).build())) {
            int authors = 60;
            WriteBatch batch = new WriteBatch();
            for (long a = 1; a <= authors; a++) {
                int tweets = a % 7 == 0 ? 0 : rnd.nextInt(40); // some authors never posted
                for (int t = 0; t < tweets; t++) {
                    batch.put(Table.USER_TIMELINES, Bytes.key(a, 1_000 + rnd.nextInt(1_000_000)), new byte[] {(byte) t});
                }
            }
            store.commit(batch);

            byte[][] prefixes = new byte[authors + 1][];
            byte[][] froms = new byte[authors + 1][];
            for (int i = 0; i <= authors; i++) {
                long a = i == authors ? 999 : i + 1; // and one author with no keys at the very end
                prefixes[i] = Bytes.key(a);
                froms[i] = switch (rnd.nextInt(4)) {
                    case 0 -> null;
                    case 1 -> Bytes.key(a, rnd.nextInt(1_001_000)); // inside the prefix
                    case 2 -> Bytes.key(a - 1, Long.MAX_VALUE);      // before it: nothing
                    default -> Bytes.key(a + 1, 0);                 // after it: clamped to its end
                };
            }
            for (int limit : new int[] {1, 5, 1_000}) {
                List<List<Long>> expected = new ArrayList<>();
                List<List<Long>> actual = new ArrayList<>();
                for (int i = 0; i < prefixes.length; i++) {
                    expected.add(new ArrayList<>());
                    actual.add(new ArrayList<>());
                    List<Long> e = expected.get(i);
                    store.scan(Table.USER_TIMELINES, prefixes[i], froms[i], true, (k, v) -> {
                        e.add(Bytes.getLong(k, 8));
                        return e.size() < limit;
                    });
                }
                store.scanNewest(Table.USER_TIMELINES, prefixes, froms, limit,
                        (i, k, v) -> actual.get(i).add(Bytes.getLong(k, 8)));
                assertThat(actual).as("limit %d, seed %d", limit, seed).isEqualTo(expected);
                assertThat(actual.stream().mapToInt(List::size).sum()).as("something was read").isPositive();

                List<List<Long>> byDefault = new ArrayList<>();
                for (int i = 0; i < prefixes.length; i++) {
                    byDefault.add(new ArrayList<>());
                }
                KeyValueStore plain = new ForwardingStore(store);
                plain.scanNewest(Table.USER_TIMELINES, prefixes, froms, limit, (i, k, v) -> byDefault.get(i).add(Bytes.getLong(k, 8)));
                assertThat(byDefault).as("the port's default, limit %d", limit).isEqualTo(expected);
            }
        }
    }

    /** The port's default methods over RocksDB's scan. */
    private record ForwardingStore(RocksStore store) implements KeyValueStore {
        @Override
        public byte[] get(Table table, byte[] key) {
            return store.get(table, key);
        }

        @Override
        public List<byte[]> multiGet(Table table, List<byte[]> keys) {
            return store.multiGet(table, keys);
        }

        @Override
        public void scan(Table table, byte[] prefix, byte[] from, boolean reverse, Visitor visitor) {
            store.scan(table, prefix, from, reverse, visitor);
        }

        @Override
        public void commit(WriteBatch batch) {
            store.commit(batch);
        }

        @Override
        public void close() {
        }
    }
}
