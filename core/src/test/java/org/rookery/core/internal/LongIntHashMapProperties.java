package org.rookery.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Random put / get / remove sequences against {@link java.util.HashMap}. The tables are tiny (8 to 64
 * slots) and the keys come from a small pool in which several keys share a home slot, some of them
 * the table's last slot, so probe chains collide and wrap around and every removal exercises
 * backward-shift deletion.
 */
class LongIntHashMapProperties {

    private static final int MISSING = Integer.MIN_VALUE;

    enum Kind { PUT, REMOVE, GET }

    record Op(Kind kind, int key, int value) {}

    @Property(tries = 500)
    void behavesLikeAHashMap(
            @ForAll @IntRange(min = 1, max = 24) int maxSize,
            @ForAll @LongRange(min = 0, max = 1_000_000) long keySeed,
            @ForAll("ops") List<Op> ops) {
        LongIntHashMap map = new LongIntHashMap(maxSize);
        long[] pool = keyPool(map, keySeed);
        Map<Long, Integer> model = new HashMap<>();

        for (Op op : ops) {
            long key = pool[op.key() % pool.length];
            switch (op.kind()) {
                case PUT -> {
                    if (!model.containsKey(key) && model.size() == maxSize) {
                        assertThatThrownBy(() -> map.put(key, op.value())).isInstanceOf(IllegalStateException.class);
                    } else {
                        map.put(key, op.value());
                        model.put(key, op.value());
                    }
                }
                case REMOVE -> {
                    Integer removed = model.remove(key);
                    assertThat(map.remove(key, MISSING)).as("remove %d after %s", key, ops)
                            .isEqualTo(removed == null ? MISSING : removed);
                }
                case GET -> assertThat(map.get(key, MISSING)).isEqualTo(model.getOrDefault(key, MISSING));
            }
            // Every key of the pool, present or not, answers as the model does.
            for (long k : pool) {
                if (map.get(k, MISSING) != model.getOrDefault(k, MISSING)) {
                    throw new AssertionError("key " + k + ": " + map.get(k, MISSING) + ", model "
                            + model.get(k) + " (after " + op + ", keySeed " + keySeed + ", maxSize " + maxSize + ")");
                }
            }
            assertThat(map.size()).isEqualTo(model.size());
        }
    }

    /**
     * 16 keys: groups of four sharing a home slot (one group at the last slot, one at slot 0, two at
     * random slots), so chains collide, run into each other and wrap.
     */
    static long[] keyPool(LongIntHashMap map, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int slots = map.slots();
        int[] homes = {slots - 1, 0, rnd.nextInt(slots), rnd.nextInt(slots)};
        List<Long> keys = new ArrayList<>();
        for (int home : homes) {
            for (long k : LongIntHashMapTest.keysWithHome(map, home, 4, rnd.nextLong())) {
                if (!keys.contains(k)) {
                    keys.add(k);
                }
            }
        }
        return keys.stream().mapToLong(Long::longValue).toArray();
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Kind> kinds = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(5, Kind.PUT), net.jqwik.api.Tuple.of(4, Kind.REMOVE),
                net.jqwik.api.Tuple.of(1, Kind.GET));
        return Combinators.combine(kinds, Arbitraries.integers().between(0, 15),
                        Arbitraries.integers().between(-1_000, 1_000_000))
                .as(Op::new).list().ofMaxSize(80);
    }
}
