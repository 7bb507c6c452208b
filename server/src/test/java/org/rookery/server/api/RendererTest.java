package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class RendererTest {
    @Test
    void daysAreFormattedAsIsoDatesAlsoWhenTwoShareASlot() {
        long today = LocalDate.of(2026, 12, 6).toEpochDay();
        // Days 64 apart share a slot of the formatted-day table: each must still read as itself.
        for (int round = 0; round < 3; round++) {
            for (long day : new long[] {today, today + 64, today - 64, 0, -1, today + 1}) {
                assertThat(Renderer.day(day).getValue()).as("day %d", day)
                        .isEqualTo(LocalDate.ofEpochDay(day).toString());
            }
        }
        assertThat(Renderer.day(today).getValue()).isEqualTo("2026-12-06");
    }
}
