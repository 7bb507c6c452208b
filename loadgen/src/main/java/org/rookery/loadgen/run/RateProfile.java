package org.rookery.loadgen.run;

import java.util.Arrays;
import java.util.TreeSet;

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

    /**
     * This profile with its first {@code seconds} played at a rising fraction of its rate: {@code steps}
     * equal steps from 1/steps to the full rate. A server started cold (interpreted code, empty
     * caches) serves a fraction of its warm rate for its first seconds, and work offered at the full
     * rate meanwhile queues up and is still being served, late, after measuring starts; a warm-up
     * that climbs lets it compile and fill its caches without building that backlog (wrk2 calibrates
     * for 10 s the same way). Phases of this profile that start inside the ramp are scaled too.
     */
    public RateProfile rampedUp(double seconds, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps: " + steps + " (expected: > 0)");
        }
        if (!(seconds > 0) || steps == 1) {
            return this;
        }
        double[] stepStarts = new double[steps];
        TreeSet<Double> breaks = new TreeSet<>();
        for (int k = 0; k < steps; k++) {
            stepStarts[k] = seconds * k / steps;
            breaks.add(stepStarts[k]);
        }
        breaks.add(seconds);
        for (double s : starts) {
            breaks.add(s);
        }
        double[] newStarts = new double[breaks.size()];
        double[] newRates = new double[breaks.size()];
        int i = 0;
        int step = 0;
        for (double t : breaks) {
            // Compared with the same doubles that are the breaks, so no rounding can put t in the wrong step.
            while (step + 1 < steps && stepStarts[step + 1] <= t) {
                step++;
            }
            newStarts[i] = t;
            newRates[i] = t >= seconds ? rateAt(t) : rateAt(t) * (step + 1) / steps;
            i++;
        }
        return new RateProfile(newStarts, newRates);
    }

    /** The rate scheduled at {@code seconds} into the run. */
    public double rateAt(double seconds) {
        int phase = 0;
        while (phase + 1 < starts.length && starts[phase + 1] <= seconds) {
            phase++;
        }
        return rates[phase];
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
