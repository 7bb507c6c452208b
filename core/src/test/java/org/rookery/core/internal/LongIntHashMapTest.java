package org.rookery.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LongIntHashMapTest {

    private static final int MISSING = -1;

    @Test
    void getsWhatWasPutAndMissingForTheRest() {
        LongIntHashMap map = new LongIntHashMap(8);
        map.put(42L, 7);
        map.put(-3L, 0);
        map.put(0L, 9);
        map.put(Long.MAX_VALUE, 11);

        assertThat(map.get(42L, MISSING)).isEqualTo(7);
        assertThat(map.get(-3L, MISSING)).isZero();
        assertThat(map.get(0L, MISSING)).isEqualTo(9);
        assertThat(map.get(Long.MAX_VALUE, MISSING)).isEqualTo(11);
        assertThat(map.get(43L, MISSING)).isEqualTo(MISSING);
        assertThat(map.size()).isEqualTo(4);
    }

    @Test
    void putOfAKnownKeyReplacesItsValueWithoutGrowing() {
        LongIntHashMap map = new LongIntHashMap(4);
        map.put(5L, 1);
        map.put(5L, 2);

        assertThat(map.get(5L, MISSING)).isEqualTo(2);
        assertThat(map.size()).isEqualTo(1);
    }

    @Test
    void removeReturnsTheValueOnceThenMissing() {
        LongIntHashMap map = new LongIntHashMap(4);
        map.put(5L, 1);

        assertThat(map.remove(5L, MISSING)).isEqualTo(1);
        assertThat(map.remove(5L, MISSING)).isEqualTo(MISSING);
        assertThat(map.get(5L, MISSING)).isEqualTo(MISSING);
        assertThat(map.size()).isZero();
    }

    @Test
    void theReservedKeyIsRejectedAndNeverFound() {
        LongIntHashMap map = new LongIntHashMap(4);
        map.put(1L, 3);
        map.remove(1L, MISSING); // leaves a stale value behind an empty slot

        assertThatThrownBy(() -> map.put(Long.MIN_VALUE, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Long.MIN_VALUE");
        assertThat(map.get(Long.MIN_VALUE, MISSING)).isEqualTo(MISSING);
        assertThat(map.remove(Long.MIN_VALUE, MISSING)).isEqualTo(MISSING);
    }

    @Test
    void aFullMapRejectsNewKeysButStillUpdatesKnownOnes() {
        LongIntHashMap map = new LongIntHashMap(3);
        map.put(1L, 1);
        map.put(2L, 2);
        map.put(3L, 3);

        assertThatThrownBy(() -> map.put(4L, 4)).isInstanceOf(IllegalStateException.class);
        map.put(2L, 20);
        assertThat(map.get(2L, MISSING)).isEqualTo(20);
        assertThat(map.get(4L, MISSING)).isEqualTo(MISSING);
        assertThat(map.size()).isEqualTo(3);
    }

    @Test
    void rejectsSizesItCannotHold() {
        assertThatThrownBy(() -> new LongIntHashMap(0)).hasMessage("maxSize: 0 (expected: 1-536870912)");
        assertThatThrownBy(() -> new LongIntHashMap((1 << 29) + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backwardShiftKeepsAChainThatWrapsAroundTheTableFindable() {
        LongIntHashMap map = new LongIntHashMap(4); // 8 slots
        int last = map.slots() - 1;
        long seed = 11;
        // Three keys whose probes start at the last slot (so the chain wraps to slots 0 and 1) and one
        // whose probe starts at slot 0 (displaced to slot 2 by the wrapped chain).
        List<Long> atLast = keysWithHome(map, last, 3, seed);
        long atZero = keysWithHome(map, 0, 1, seed).get(0);
        for (int i = 0; i < 3; i++) {
            map.put(atLast.get(i), i);
        }
        map.put(atZero, 100);

        assertThat(map.remove(atLast.get(0), MISSING)).isEqualTo(0);

        assertThat(map.get(atLast.get(1), MISSING)).isEqualTo(1);
        assertThat(map.get(atLast.get(2), MISSING)).isEqualTo(2);
        assertThat(map.get(atZero, MISSING)).isEqualTo(100);
        assertThat(map.remove(atLast.get(2), MISSING)).isEqualTo(2);
        assertThat(map.get(atZero, MISSING)).isEqualTo(100);
        assertThat(map.get(atLast.get(1), MISSING)).isEqualTo(1);
        assertThat(map.remove(atLast.get(1), MISSING)).isEqualTo(1);
        assertThat(map.get(atZero, MISSING)).isEqualTo(100);
        assertThat(map.size()).isEqualTo(1);
    }

    @Test
    void removingTheMiddleOfACollisionChainKeepsTheTailFindable() {
        LongIntHashMap map = new LongIntHashMap(4);
        List<Long> same = keysWithHome(map, 3, 4, 5);
        for (int i = 0; i < 4; i++) {
            map.put(same.get(i), i);
        }

        map.remove(same.get(1), MISSING);
        map.remove(same.get(2), MISSING);

        assertThat(map.get(same.get(0), MISSING)).isEqualTo(0);
        assertThat(map.get(same.get(3), MISSING)).isEqualTo(3);
        assertThat(map.get(same.get(1), MISSING)).isEqualTo(MISSING);
        map.put(same.get(1), 10); // the freed slots are reused
        map.put(same.get(2), 20);
        assertThat(map.get(same.get(2), MISSING)).isEqualTo(20);
        assertThat(map.size()).isEqualTo(4);
    }

    @Test
    void ramBytesUsedCountsTheTwoArraysAtLeastTwiceTheEntries() {
        LongIntHashMap map = new LongIntHashMap(1_000);
        assertThat(map.ramBytesUsed()).isBetween(2_000L * 12, 4_000L * 12 + 64);
    }

    /** Distinct keys whose probe starts at {@code slot}, found by a seeded search. */
    static List<Long> keysWithHome(LongIntHashMap map, int slot, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Long> out = new ArrayList<>();
        while (out.size() < n) {
            long k = rnd.nextLong();
            if (k != Long.MIN_VALUE && map.homeSlot(k) == slot && !out.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }
}
