package org.rookery.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RateProfileTest {

    @Test
    void rampClimbsInStepsToTheFullRateAndLeavesTheRestAlone() {
        RateProfile ramped = RateProfile.constant(1_000).rampedUp(10, 10);

        assertThat(ramped.rateAt(0)).isEqualTo(100);
        assertThat(ramped.rateAt(0.99)).isEqualTo(100);
        assertThat(ramped.rateAt(1)).isEqualTo(200);
        assertThat(ramped.rateAt(9.5)).isEqualTo(1_000);
        assertThat(ramped.rateAt(10)).isEqualTo(1_000);
        assertThat(ramped.rateAt(100)).isEqualTo(1_000);
        // 100 + 200 + ... + 1,000 in the ten ramp seconds, then the full rate.
        assertThat(ramped.expectedCount(10)).isCloseTo(5_500, within(1e-6));
        assertThat(ramped.expectedCount(20) - ramped.expectedCount(10)).isCloseTo(10_000, within(1e-6));
    }

    @Test
    void everyStepOfTheDefaultWarmUpHasItsShare() {
        RateProfile ramped = RateProfile.constant(1_000).rampedUp(15, 10);

        for (int k = 0; k < 10; k++) {
            assertThat(ramped.rateAt(1.5 * k)).as("from %s s", 1.5 * k).isEqualTo(100.0 * (k + 1));
            assertThat(ramped.rateAt(1.5 * k + 1.4)).isEqualTo(100.0 * (k + 1));
        }
        assertThat(ramped.rateAt(15)).isEqualTo(1_000);
    }

    @Test
    void phasesAfterTheRampKeepTheirRatesAndStarts() {
        RateProfile spike = RateProfile.phases(new double[] {0, 15, 20}, new double[] {200, 5_000, 200});

        RateProfile ramped = spike.rampedUp(10, 5);

        assertThat(ramped.rateAt(0)).isEqualTo(40);
        assertThat(ramped.rateAt(8)).isEqualTo(200);
        assertThat(ramped.rateAt(14.9)).isEqualTo(200);
        assertThat(ramped.rateAt(15)).isEqualTo(5_000);
        assertThat(ramped.rateAt(20)).isEqualTo(200);
        assertThat(ramped.expectedCount(30) - ramped.expectedCount(10)).isEqualTo(spike.expectedCount(30) - spike.expectedCount(10));
    }

    @Test
    void noRampWithoutWarmUp() {
        RateProfile constant = RateProfile.constant(50);

        assertThat(constant.rampedUp(0, 10)).isSameAs(constant);
    }
}
