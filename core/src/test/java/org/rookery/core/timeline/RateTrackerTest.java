package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The fanout cost model's measured rates: decayed with a one-hour half-life, quiet authors forgotten. */
class RateTrackerTest {
    private static final long HOUR = 3_600_000L;
    private static final long T0 = 1_740_787_200_000L; // 2025-03-01T00:00:00Z
    private final RateTracker rates = new RateTracker();

    @Test
    void aSteadyPostingRateIsMeasuredAndHalvesEachHourAfterItStops() {
        long t = T0;
        for (int i = 0; i < 6 * 3600; i++) { // one post a second for six hours: close to the steady state
            rates.recordPost(7, t);
            t += 1_000;
        }
        assertThat(rates.postsPerSecond(7, t)).isCloseTo(1.0, within(0.03));
        assertThat(rates.postsPerSecond(7, t + HOUR)).isCloseTo(0.5, within(0.02));
        assertThat(rates.postsPerSecond(8, t)).as("never posted").isZero();
    }

    @Test
    void authorsAreForgottenOnceTheirCountHasDecayedAwayAndCountedAfreshWhenTheyPostAgain() {
        rates.recordPost(1, T0);                     // one post
        for (int i = 0; i < 100; i++) {
            rates.recordPost(2, T0 + i * 1_000L);    // a hundred
        }
        assertThat(rates.forgetQuietAuthors(T0 + 6 * HOUR)).as("1/64 of a post is still above the bar").isZero();
        assertThat(rates.forgetQuietAuthors(T0 + 7 * HOUR)).as("1/128 is not").isEqualTo(1);
        assertThat(rates.trackedAuthors()).isEqualTo(1);
        assertThat(rates.postsPerSecond(1, T0 + 7 * HOUR)).isZero();
        assertThat(rates.postsPerSecond(2, T0 + 7 * HOUR)).isPositive();

        rates.recordPost(1, T0 + 7 * HOUR);
        assertThat(rates.postsPerSecond(1, T0 + 7 * HOUR)).as("one post, nothing left of the first")
                .isCloseTo(Math.log(2) / 3600, within(1e-12));
        assertThat(rates.forgetQuietAuthors(T0 + 14 * HOUR)).as("both gone quiet").isEqualTo(2);
        assertThat(rates.trackedAuthors()).isZero();
    }
}
