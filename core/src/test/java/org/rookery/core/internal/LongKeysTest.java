package org.rookery.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.rookery.core.ids.SnowflakeIdGenerator;

class LongKeysTest {

    /** 600,000 ids made over one minute by one worker, ten per millisecond, as a busy server makes them. */
    static long[] snowflakeIdsOverAMinute() {
        long[] millis = {Instant.parse("2026-12-05T12:00:00Z").toEpochMilli()};
        InstantSource clock = () -> Instant.ofEpochMilli(millis[0]);
        SnowflakeIdGenerator ids = new SnowflakeIdGenerator(7, clock, Duration.ZERO);
        long[] out = new long[600_000];
        for (int i = 0; i < out.length; i++) {
            if (i % 10 == 0) {
                millis[0]++;
            }
            out[i] = ids.nextId();
        }
        return out;
    }

    @Test
    void snowflakeIdsKeyedBySpreadHashToDistinctCodes() {
        long[] ids = snowflakeIdsOverAMinute();
        Set<Integer> plain = new HashSet<>();
        Set<Integer> spread = new HashSet<>();
        for (long id : ids) {
            plain.add(Long.hashCode(id));
            spread.add(Long.hashCode(LongKeys.spread(id)));
        }
        // What LongKeys is for: the ids' own hash codes collide in long chains.
        assertThat(plain.size()).isLessThan(ids.length / 4);
        assertThat(spread.size()).isGreaterThan(ids.length * 99 / 100);
    }

    @Property
    void idUndoesSpread(@ForAll long id) {
        assertThat(LongKeys.id(LongKeys.spread(id))).isEqualTo(id);
    }
}
