package org.rookery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rookery.loadgen.run.DeliveryProbes;

class RecoveryTest {

    /** One post every 100 ms from t = 0 to 40 s, lag 20 ms, except {@code bad} ms between the given times. */
    private static List<DeliveryProbes.Sample> lags(double badFrom, double badTo, double bad) {
        List<DeliveryProbes.Sample> s = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            double t = i / 10.0;
            s.add(new DeliveryProbes.Sample(i, 100 + t, t >= badFrom && t < badTo ? bad : 20));
        }
        return s;
    }

    @Test
    void lagThatStaysHighAfterTheSpikeRecoversWhenItComesBackUnderThreshold() {
        // spike 10..15 s; lag high until 22 s: back 7 s after the spike ended
        Recovery r = Recovery.fromProbes(lags(10, 22, 2_000), 100, 10, 15, 40);

        assertThat(r.baseline()).isEqualTo(20.0);
        assertThat(r.threshold()).isEqualTo(30.0);
        assertThat(r.recoverySeconds()).isEqualTo(7.0);
    }

    @Test
    void lagThatNeverLeavesTheThresholdAfterTheSpikeRecoversAtOnce() {
        assertThat(Recovery.fromProbes(lags(10, 15, 2_000), 100, 10, 15, 40).recoverySeconds()).isEqualTo(0.0);
    }

    @Test
    void lagStillHighAtTheEndOfTheRunHasNotRecovered() {
        assertThat(Recovery.fromProbes(lags(10, 40, 2_000), 100, 10, 15, 40).recoverySeconds()).isNull();
    }

    @Test
    void aPostNeverSeenCountsAsLate() {
        List<DeliveryProbes.Sample> s = new ArrayList<>(lags(10, 15, 2_000));
        s.add(new DeliveryProbes.Sample(999, 100 + 25.5, -1)); // acknowledged at 25.5 s, never delivered

        assertThat(Recovery.fromProbes(s, 100, 10, 15, 40).recoverySeconds()).isEqualTo(11.0);
    }

    @Test
    void theServerGaugeRecoversWhenItIsBackUnderItsPreSpikeMaximum() {
        List<double[]> gauge = new ArrayList<>();
        for (int t = 0; t <= 40; t++) {
            gauge.add(new double[] {t, t >= 10 && t < 19 ? 3.0 : 0.01});
        }

        Recovery r = Recovery.fromServerLag(gauge, 10, 15);

        assertThat(r.recoverySeconds()).isEqualTo(4.0); // last high sample at 18 s, back by 19 s
    }
}
