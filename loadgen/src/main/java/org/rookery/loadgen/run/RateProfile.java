package org.rookery.loadgen.run;

import java.util.Arrays;

/**
 * A target rate over time, piecewise constant: phase {@code i} starts at {@code starts[i]} seconds
 * into the run and schedules {@code rates[i]} operations per second until the next phase (or the
 * end). The spike workload is {@code phases({0, 20, 25}, {r, 25 r, r})}. Immutable.
 */
public final class RateProfile {
    private final double[] starts;
    private final double[] rates;

    private RateProfile(double[] starts, double[] rates) {
        if (starts.length == 0 || starts.length != rates.length) {
            throw new IllegalArgumentException("phases: " + starts.length + " starts, " + rates.length
                    + " rates (expected: the same number, at least one)");
        }
        if (starts[0] != 0) {
            throw new IllegalArgumentException("starts[0]: " + starts[0] + " (expected: 0)");
        }
        for (int i = 0; i < starts.length; i++) {
            if (i > 0 && !(starts[i] > starts[i - 1])) {
                throw new IllegalArgumentException("starts: " + Arrays.toString(starts) + " (expected: increasing)");
            }
            if (!(rates[i] >= 0)) {
                throw new IllegalArgumentException("rates[" + i + "]: " + rates[i] + " (expected: >= 0)");
            }
        }
        this.starts = starts.clone();
        this.rates = rates.clone();
    }

    public static RateProfile constant(double rate) {
        return new RateProfile(new double[] {0}, new double[] {rate});
    }

    public static RateProfile phases(double[] startsSeconds, double[] rates) {
        return new RateProfile(startsSeconds, rates);
    }

    public int phaseCount() {
        return starts.length;
    }

    public double startSeconds(int phase) {
        return starts[phase];
    }

    public double rate(int phase) {
        return rates[phase];
    }

    /** Operations this profile schedules in {@code seconds}. */
    public double expectedCount(double seconds) {
        double n = 0;
        for (int i = 0; i < starts.length; i++) {
            double end = i + 1 < starts.length ? Math.min(starts[i + 1], seconds) : seconds;
            if (end > starts[i]) {
                n += (end - starts[i]) * rates[i];
            }
        }
        return n;
    }

    /** The mean rate over {@code seconds}. */
    public double meanRate(double seconds) {
        return seconds <= 0 ? 0 : expectedCount(seconds) / seconds;
    }
}
