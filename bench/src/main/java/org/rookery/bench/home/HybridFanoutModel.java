package org.rookery.bench.home;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.rookery.core.timeline.FanoutPolicy;

/**
 * Hybrid fanout, total work per day (issue 3): all-push, fixed follower thresholds, and the adaptive
 * "Feeding Frenzy" policy, each deciding per author with the real {@link FanoutPolicy#shouldPull}, on
 * a seeded workload of {@code --users} users ({@link FanoutWorkload}: Zipf follower counts,
 * heavy-tailed posting and reading rates). A model-level computation, no server: work is counted,
 * not timed; {@link HybridFanoutSanity} checks it against a real run on a small instance and
 * measures the unit costs ({@code --delivery-ns}, {@code --pull-list-ns}) that turn it into CPU time.
 *
 * <p>Read latency is held equal through its proxy, the number of pulled authors merged per read
 * (each one a RocksDB scan on the read path): for each policy the read-weighted p50 / p99 / p99.9 and
 * the maximum are printed, and a policy "keeps read latency" when its p99 is at most the p99 of the
 * fixed threshold of 100,000 followers.
 *
 * <pre>{@code
 * ./rookery build    # or: mvn -B -ntp -q -DskipTests package -pl bench -am
 * java -Xmx6g -cp bench/target/rookery-benchmarks.jar org.rookery.bench.home.HybridFanoutModel --delivery-ns=1700 --pull-list-ns=23000
 * # other workloads: --read-median=20 (polling clients), --post-sigma=2.5 --read-median=1 (prolific posters);
 * # every FanoutWorkload.Params field is an option (--follows, --zipf, --active-share, --post-median, ...)
 * }</pre>
 */
public final class HybridFanoutModel {
    private HybridFanoutModel() {}

    record Policy(String name, FanoutPolicy policy, boolean measured) {}

    public static void main(String[] args) {
        Map<String, String> o = HomeWorld.parse(args);
        int users = HomeWorld.intOpt(o, "users", 1_000_000);
        long seed = HomeWorld.longOpt(o, "seed", 20261125L);
        // Measured 2026-11-22 (docs/benchmarks.md): HybridFanoutSanity's all-push fanout, HomeReadBench's id level / 5.
        double deliveryNs = HomeWorld.doubleOpt(o, "delivery-ns", 1_700);
        double pullListNs = HomeWorld.doubleOpt(o, "pull-list-ns", 23_000);
        HomeWorld.printMachine("hybrid fanout model", args);
        FanoutWorkload.Params p = FanoutWorkload.Params.from(o, users, seed);
        long t0 = System.nanoTime();
        FanoutWorkload w = new FanoutWorkload(p);
        double posts = 0;
        double reads = 0;
        for (int u = 0; u < w.n; u++) {
            posts += w.postsPerDay[u];
            reads += w.readsPerDay[u];
        }
        System.out.println("workload: " + p);
        System.out.printf(Locale.ROOT, "  built in %d s: %,d follows, max followers %,d, authors with > 10,000 followers %,d,"
                + " > 100,000 %,d; %,d active readers, %.3g reads/day (%.1f per active reader), %.3g posts/day%n",
                HomeWorld.seconds(t0), w.edges(), w.maxFollowers(), w.authorsAbove(10_000), w.authorsAbove(100_000),
                w.activeUsers, reads, w.meanReadsPerActive, posts);
        System.out.printf(Locale.ROOT, "  unit costs for CPU time: %.0f ns per delivery, %.0f ns per pulled list per read%n",
                deliveryNs, pullListNs);
        double cachedNs = HomeWorld.doubleOpt(o, "cached-delivery-ns", deliveryNs);
        System.out.printf(Locale.ROOT, "  deliveries of authors with >= %,d followers (the follower cache) at %.0f ns%n",
                FanoutWorkload.FOLLOWER_CACHE_MIN, cachedNs);
        double timeRatio = pullListNs / deliveryNs;
        FanoutPolicy.Costs costs = new FanoutPolicy.Costs(deliveryNs, cachedNs, FanoutWorkload.FOLLOWER_CACHE_MIN, pullListNs);

        List<Policy> policies = new ArrayList<>();
        policies.add(new Policy("all-push", FanoutPolicy.threshold(Integer.MAX_VALUE), false));
        for (int t : new int[] {1_000, 10_000, 30_000, 100_000, 300_000}) {
            policies.add(new Policy(String.format(Locale.ROOT, "threshold %,d", t), FanoutPolicy.threshold(t), false));
        }
        policies.add(new Policy("adaptive(100,000), min 10,000 (server default)",
                new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, 100_000, 10_000, costs), false));
        policies.add(new Policy("  same, rates as RateTracker measures them",
                new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, 100_000, 10_000, costs), true));
        for (int min : new int[] {10_000, 1_000, 100}) {
            policies.add(new Policy(String.format(Locale.ROOT, "adaptive(100,000), min %,d", min),
                    new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, 100_000, min, costs), false));
            policies.add(new Policy(String.format(Locale.ROOT, "adaptive, no cap, min %,d", min),
                    new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, Integer.MAX_VALUE, min, costs), false));
        }
        policies.add(new Policy(String.format(Locale.ROOT, "adaptive, no cap, one cost 1:%.2f (no cache)", timeRatio),
                new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, Integer.MAX_VALUE, 10_000, 1, timeRatio), false));

        double[] measured = w.measuredRates(seed + 1);
        System.out.println();
        System.out.println("Per day. scanned = entries the read path reads from pull lists today (60 per followed pulled"
                + " author per read); merged = entries that reach the merged top 60 (+1 per list).");
        System.out.printf(Locale.ROOT, "%-44s %8s %12s %12s %12s %12s %12s %16s %11s %10s%n", "policy", "pulled",
                "deliveries", "pull lists", "push+scan", "push+merged", "CPU s/day", "lists/read", "max lists", "max fanout");
        FanoutWorkload.Work base = null;
        for (Policy pol : policies) {
            boolean[] pulled = w.pulled(pol.policy(), pol.measured() ? measured : w.postsPerDay);
            FanoutWorkload.Work work = w.work(pulled);
            if (pol.name().equals("threshold 100,000")) {
                base = work;
            }
            print(pol.name(), work, deliveryNs, cachedNs, pullListNs);
        }
        // Per-author optimum with the true per-author sums and the measured unit costs: a lower bound.
        print("oracle, CPU time (true sums)", w.work(oracle(w, costs)), deliveryNs, cachedNs, pullListNs);
        if (base != null) {
            System.out.printf(Locale.ROOT, "equal read latency: a policy keeps it when its p99 of pulled lists per read"
                    + " is <= %.0f (threshold 100,000)%n", base.listsPerReadPercentiles()[1]);
        }
    }

    private static void print(String name, FanoutWorkload.Work w, double deliveryNs, double cachedNs, double pullListNs) {
        double[] pc = w.listsPerReadPercentiles();
        System.out.printf(Locale.ROOT, "%-44s %8d %12.4g %12.4g %12.4g %12.4g %12.4g %16s %11d %10d%n", name,
                w.pulledAuthors(), w.deliveries(), w.pullLists(), w.totalScanned(), w.totalMerged(),
                w.cpuSeconds(deliveryNs, cachedNs, pullListNs), String.format(Locale.ROOT, "%.0f/%.0f/%.0f", pc[0], pc[1], pc[2]),
                w.maxListsPerRead(), w.maxFanout());
    }

    /** The best per-author choice with the true figures: pull when pushing costs more CPU than pulling. */
    static boolean[] oracle(FanoutWorkload w, FanoutPolicy.Costs costs) {
        double[] pullNs = new double[w.n];
        for (int u = 0; u < w.n; u++) {
            if (!w.active[u]) {
                continue;
            }
            for (int i = w.offsets[u]; i < w.offsets[u + 1]; i++) {
                pullNs[w.followees[i]] += w.readsPerDay[u] * costs.pullNs();
            }
        }
        boolean[] out = new boolean[w.n];
        for (int a = 0; a < w.n; a++) {
            double perDelivery = w.followers[a] >= costs.cacheMinFollowers() ? costs.cachedDeliveryNs() : costs.deliveryNs();
            out[a] = w.postsPerDay[a] * w.residentFollowers[a] * perDelivery > pullNs[a];
        }
        return out;
    }
}
