package org.rookery.loadgen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.rookery.loadgen.run.DeliveryProbes;

/**
 * How long delivery lag took to return to its pre-spike value after a spike. Immutable.
 *
 * <p>From the probes: the baseline is the p99 lag of posts acknowledged before the spike; the
 * threshold is {@code max(1.5 × baseline, baseline + 10 ms)}; lag is back once every later
 * one-second bucket of posts (by acknowledgement time) has its p99 at or under the threshold (a post
 * never seen counts as infinitely late). The recovery time is measured from the end of the spike
 * (0 if the lag never left the threshold after it); {@code null} if it had not come back by the end
 * of the run. From the server: the same with the fanout consumer's lag gauge sampled each second
 * (baseline: its largest value before the spike, at least 50 ms).
 */
record Recovery(@Nullable Double baseline, @Nullable Double threshold, @Nullable Double recoverySeconds) {

    static Recovery fromProbes(List<DeliveryProbes.Sample> samples, double measureStartSeconds, double spikeStart,
                               double spikeEnd, double duration) {
        List<double[]> pre = new ArrayList<>();
        List<double[]> post = new ArrayList<>();
        for (DeliveryProbes.Sample s : samples) {
            double t = s.ackSeconds() - measureStartSeconds;
            double lag = s.lagMs() < 0 ? Double.POSITIVE_INFINITY : s.lagMs();
            if (t >= 0 && t < spikeStart) {
                pre.add(new double[] {t, lag});
            } else if (t >= spikeStart) {
                post.add(new double[] {t, lag});
            }
        }
        if (pre.isEmpty()) {
            return new Recovery(null, null, null);
        }
        double baseline = p99(pre.stream().mapToDouble(x -> x[1]).toArray());
        double threshold = Math.max(1.5 * baseline, baseline + 10);
        int buckets = (int) Math.ceil(duration - spikeStart);
        double[][] byBucket = new double[Math.max(1, buckets)][];
        List<List<Double>> lists = new ArrayList<>();
        for (int i = 0; i < byBucket.length; i++) {
            lists.add(new ArrayList<>());
        }
        for (double[] x : post) {
            int b = (int) Math.min(byBucket.length - 1, Math.floor(x[0] - spikeStart));
            lists.get(b).add(x[1]);
        }
        // The last bucket over the threshold; recovery is the end of it.
        double lastBad = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < lists.size(); b++) {
            if (lists.get(b).isEmpty()) {
                continue;
            }
            double[] v = lists.get(b).stream().mapToDouble(Double::doubleValue).toArray();
            if (p99(v) > threshold) {
                lastBad = spikeStart + b + 1;
            }
        }
        Double recovery;
        if (lastBad == Double.NEGATIVE_INFINITY) {
            recovery = 0.0;
        } else if (lastBad >= spikeStart + lists.size()) {
            recovery = null;
        } else {
            recovery = Math.max(0, lastBad - spikeEnd);
        }
        return new Recovery(Bench.round(baseline, 3), Bench.round(threshold, 3), recovery);
    }

    /** {@code series}: {t seconds since measuring started, fanout lag seconds}. */
    static Recovery fromServerLag(List<double[]> series, double spikeStart, double spikeEnd) {
        double baseline = 0;
        boolean anyPre = false;
        double lastBad = Double.NEGATIVE_INFINITY;
        double lastT = Double.NEGATIVE_INFINITY;
        for (double[] x : series) {
            if (x[0] >= 0 && x[0] < spikeStart && !Double.isNaN(x[1])) {
                baseline = Math.max(baseline, x[1]);
                anyPre = true;
            }
        }
        if (!anyPre) {
            return new Recovery(null, null, null);
        }
        double threshold = Math.max(baseline, 0.05);
        for (double[] x : series) {
            if (x[0] >= spikeStart) {
                lastT = Math.max(lastT, x[0]);
                if (!Double.isNaN(x[1]) && x[1] > threshold) {
                    lastBad = Math.max(lastBad, x[0]);
                }
            }
        }
        Double recovery;
        if (lastBad == Double.NEGATIVE_INFINITY) {
            recovery = 0.0;
        } else if (lastBad >= lastT) {
            recovery = null;
        } else {
            recovery = Math.max(0, Bench.round(lastBad + 1 - spikeEnd, 1));
        }
        return new Recovery(Bench.round(baseline, 3), Bench.round(threshold, 3), recovery);
    }

    private static double p99(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(0.99 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}
