package org.rookery.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCacheTest {
    private record Rec(long id, String value) {}

    /** A store of records 1..10 (only even ids exist) that notes every batch asked of it. */
    private final List<long[]> loads = new ArrayList<>();

    private Rec[] load(long[] ids) {
        loads.add(ids.clone());
        Rec[] out = new Rec[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i] % 2 == 0 && ids[i] <= 10 ? new Rec(ids[i], "stored " + ids[i]) : null;
        }
        return out;
    }

    @Test
    void getEachAnswersInOrderLoadsOnlyWhatIsNotCachedAndKeepsIt() {
        RecordCache<Rec> cache = new RecordCache<>(1_000);
        cache.putLoaded(cache.stamp(), 4, new Rec(4, "cached 4"));

        Rec[] first = cache.getEach(new long[] {6, 3, 4, 2}, new Rec[4], this::load);

        assertThat(first).containsExactly(new Rec(6, "stored 6"), null, new Rec(4, "cached 4"), new Rec(2, "stored 2"));
        assertThat(loads).hasSize(1);
        assertThat(loads.get(0)).containsExactly(6, 3, 2); // 4 came from memory

        Rec[] again = cache.getEach(new long[] {2, 6}, new Rec[2], this::load);

        assertThat(again).containsExactly(new Rec(2, "stored 2"), new Rec(6, "stored 6"));
        assertThat(loads).hasSize(1); // both kept by the first call
    }

    @Test
    void aRecordLoadedAcrossAWriteIsAnsweredButNotKept() {
        RecordCache<Rec> cache = new RecordCache<>(1_000);

        Rec[] got = cache.getEach(new long[] {8}, new Rec[1], ids -> {
            Rec[] loaded = load(ids);
            cache.invalidate(8); // a write to 8 commits while the read is loading
            return loaded;
        });

        assertThat(got).containsExactly(new Rec(8, "stored 8"));
        assertThat(cache.getIfPresent(8)).isNull(); // the next read goes to the store again
        cache.getEach(new long[] {8}, new Rec[1], this::load);
        assertThat(loads).hasSize(2);
    }

    @Test
    void getEachWithNothingCachedCountsMisses() {
        RecordCache<Rec> cache = new RecordCache<>(0);

        Rec[] got = cache.getEach(new long[] {2, 5}, new Rec[2], this::load);

        assertThat(got).containsExactly(new Rec(2, "stored 2"), null);
        assertThat(cache.counts().misses()).isEqualTo(2);
        assertThat(cache.counts().hits()).isZero();
    }
}
