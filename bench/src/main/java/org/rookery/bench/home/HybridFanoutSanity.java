package org.rookery.bench.home;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.Table;
import org.rookery.core.timeline.FanoutPolicy;
import org.rookery.core.tweets.NewTweet;

/**
 * The real-run sanity check of {@link HybridFanoutModel}: a small instance ({@code --users}, 2,000) of
 * the same seeded workload ({@link FanoutWorkload}) on a real RocksStore, with the real FanoutService,
 * RateTracker, FanoutPolicy and HomeTimelineService, driven by a simulated clock: every user posts and
 * reads as Poisson processes at the workload's rates sped up {@code --speed} times (24: a day per
 * hour, which keeps every posts-to-reads ratio and so every adaptive decision), for
 * {@code --warmup-hours} (1, rates settle, JIT) then {@code --hours} (2) measured, once per policy, each
 * on a fresh store with the same users, graph and events. Follower thresholds are scaled to the
 * instance: {@code --threshold} (200, a tenth of the users, as 100,000 is of the model's million) and
 * the adaptive minimum (a hundredth of the users, as 10,000 is of a million).
 *
 * <p>Per policy: deliveries and pulled lists merged (counted for real), fanout and read CPU time on this
 * thread, read latency; then the model's prediction for the same instance and time, and the unit
 * costs the model's CPU column needs: nanoseconds per delivery (all-push fanout time / deliveries) and
 * per pulled list per read (the read path's pull-list scan, timed on its own).
 *
 * <pre>{@code
 * ./rookery build    # or: mvn -B -ntp -q -DskipTests package -pl bench -am
 * java -Xmx4g -cp bench/target/rookery-benchmarks.jar org.rookery.bench.home.HybridFanoutSanity
 * }</pre>
 */
public final class HybridFanoutSanity {
    private HybridFanoutSanity() {}

    private record Ev(long atMillis, boolean post, int user) {}

    public static void main(String[] args) {
        Map<String, String> o = HomeWorld.parse(args);
        int users = HomeWorld.intOpt(o, "users", 2_000);
        double speed = HomeWorld.doubleOpt(o, "speed", 24);
        double warmupHours = HomeWorld.doubleOpt(o, "warmup-hours", 1);
        double hours = HomeWorld.doubleOpt(o, "hours", 2);
        int threshold = HomeWorld.intOpt(o, "threshold", Math.max(2, users / 10));
        int minForPull = Math.max(1, users / 100);
        long seed = HomeWorld.longOpt(o, "seed", 20261125L);
        double pullCost = HomeWorld.doubleOpt(o, "pull-cost", 60);
        HomeWorld.printMachine("hybrid fanout sanity run", args);
        FanoutWorkload.Params p = FanoutWorkload.Params.from(o, users, seed);
        FanoutWorkload w = new FanoutWorkload(p);
        System.out.println("workload: " + p);
        System.out.printf(Locale.ROOT, "  %,d follows, max followers %,d, authors above the threshold %d: %d; speed x%.0f,"
                + " warm-up %.1f h, measured %.1f h (simulated)%n", w.edges(), w.maxFollowers(), threshold,
                w.authorsAbove(threshold), speed, warmupHours, hours);

        // The events, the same for every policy.
        SplittableRandom rnd = new SplittableRandom(seed + 7);
        long warmupMs = (long) (warmupHours * 3_600_000);
        long endMs = warmupMs + (long) (hours * 3_600_000);
        List<Ev> events = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            addPoisson(events, rnd, true, u, w.postsPerDay[u] * speed, endMs);
            if (w.active[u]) {
                addPoisson(events, rnd, false, u, w.readsPerDay[u] * speed, endMs);
            }
        }
        events.sort((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
        System.out.printf(Locale.ROOT, "  %,d events (%,d posts)%n", events.size(), events.stream().filter(Ev::post).count());

        record Named(String name, FanoutPolicy policy) {}
        List<Named> policies = List.of(
                new Named("all-push", FanoutPolicy.threshold(Integer.MAX_VALUE)),
                new Named(String.format(Locale.ROOT, "threshold %,d", threshold), FanoutPolicy.threshold(threshold)),
                new Named(String.format(Locale.ROOT, "adaptive(%,d), costs 1:4 (shipped)", threshold),
                        new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, threshold, minForPull, 1, 4)),
                new Named(String.format(Locale.ROOT, "adaptive(%,d), costs 1:%.0f", threshold, pullCost),
                        new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, threshold, minForPull, 1, pullCost)),
                new Named(String.format(Locale.ROOT, "adaptive, no cap, costs 1:%.0f", pullCost),
                        new FanoutPolicy(FanoutPolicy.Mode.ADAPTIVE, Integer.MAX_VALUE, minForPull, 1, pullCost)));
        double measuredDays = hours * speed / 24;
        run(w, events, FanoutPolicy.threshold(threshold), warmupMs, seed); // JIT warm-up, not reported
        System.out.printf(Locale.ROOT, "%-36s %7s %11s %11s %11s %9s %9s %9s %10s %10s %11s %11s%n", "policy", "pulled",
                "deliveries", "(model)", "pull lists", "(model)", "fanout s", "reads s", "total s", "read p50",
                "read p99", "lists/read");
        double deliveryNs = 0;
        long sink = 0;
        double ownPerDay = 0; // fanout also inserts each tweet into its author's own timeline, if resident
        for (int a = 0; a < users; a++) {
            ownPerDay += w.active[a] ? w.postsPerDay[a] : 0;
        }
        for (Named pol : policies) {
            Run r = run(w, events, pol.policy(), warmupMs, seed);
            sink += r.sink;
            boolean[] pulled = new boolean[users];
            for (int a = 0; a < users; a++) {
                pulled[a] = r.pulledAuthors[a];
            }
            FanoutWorkload.Work model = w.work(pulled);
            System.out.printf(Locale.ROOT, "%-36s %7d %11d %11.0f %11d %9.0f %9.2f %9.2f %9.2f %10s %10s %11s%n",
                    pol.name(), r.pulledCount, r.deliveries, (model.deliveries() + ownPerDay) * measuredDays, r.pullLists,
                    model.pullLists() * measuredDays, r.fanoutNanos / 1e9, r.readNanos / 1e9,
                    (r.fanoutNanos + r.readNanos) / 1e9, HomeWorld.fmt(r.reads.getValueAtPercentile(50)),
                    HomeWorld.fmt(r.reads.getValueAtPercentile(99)),
                    String.format(Locale.ROOT, "%d/%d", r.lists.getValueAtPercentile(50), r.lists.getValueAtPercentile(99)));
            if (pol.name().equals("all-push")) {
                deliveryNs = r.fanoutNanos / (double) Math.max(1, r.deliveries);
                System.out.printf(Locale.ROOT, "    all-push fanout: %.0f ns per delivery, %.1f µs per tweet (%,d tweets),"
                        + " reads mean %s%n", deliveryNs, r.fanoutNanos / 1e3 / Math.max(1, r.posts), r.posts,
                        HomeWorld.fmt((long) r.reads.getMean()));
            } else {
                System.out.printf(Locale.ROOT, "    reads mean %s; pull-list scan on its own: %s per list (these lists hold"
                        + " only the tweets since the switch, up to 60)%n", HomeWorld.fmt((long) r.reads.getMean()),
                        r.scanNanos.getTotalCount() == 0 ? "-" : HomeWorld.fmt((long) r.scanNanos.getMean()));
            }
        }
        System.out.printf(Locale.ROOT, "unit cost for HybridFanoutModel: --delivery-ns=%.0f (a full 60-id pull list: see"
                + " HomeReadBench's id level, 5 lists a round)%n", deliveryNs);
        System.out.println("(sink " + sink + ")");
    }

    private static void addPoisson(List<Ev> out, SplittableRandom rnd, boolean post, int user, double perDay, long endMs) {
        if (perDay <= 0) {
            return;
        }
        double meanGapMs = 86_400_000.0 / perDay;
        double t = -Math.log(1 - rnd.nextDouble()) * meanGapMs;
        while (t < endMs) {
            out.add(new Ev((long) t, post, user));
            t += -Math.log(1 - rnd.nextDouble()) * meanGapMs;
        }
    }

    private static final class Run {
        long deliveries;
        long posts;
        long pullLists;
        long fanoutNanos;
        long readNanos;
        long sink;
        int pulledCount;
        boolean[] pulledAuthors;
        final Histogram reads = HomeWorld.histogram();
        final Histogram lists = new Histogram(1_000_000, 3);
        final Histogram scanNanos = HomeWorld.histogram();
    }

    private static Run run(FanoutWorkload w, List<Ev> events, FanoutPolicy policy, long warmupMs, long seed) {
        Run r = new Run();
        try (HomeWorld world = new HomeWorld(policy, 800, w.n)) {
            long[] ids = world.registerUsers(w.n, 4);
            int[][] follows = new int[w.n][];
            for (int u = 0; u < w.n; u++) {
                follows[u] = Arrays.copyOfRange(w.followees, w.offsets[u], w.offsets[u + 1]);
            }
            world.follow(ids, follows, 4);
            world.reopen();
            int active = 0;
            for (int u = 0; u < w.n; u++) {
                if (w.active[u]) {
                    world.timelines.makeResident(ids[u], world.clock.millis());
                    active++;
                }
            }
            world.rates.setActiveReaders(active);
            long start = world.clock.millis();
            long deliveriesStart = 0;
            boolean measuring = false;
            int n = 0;
            for (Ev e : events) {
                long target = start + e.atMillis();
                long now = world.clock.millis();
                if (target > now) {
                    world.clock.advance(target - now);
                }
                if (!measuring && e.atMillis() >= warmupMs) {
                    measuring = true;
                    deliveriesStart = world.fanout.deliveries();
                }
                long author = ids[e.user()];
                if (e.post()) {
                    Tweet t = world.tweets.post(author, NewTweet.of("post " + (n++) + " of the sanity run #rookery"));
                    long t0 = System.nanoTime();
                    world.fanOut(t);
                    if (measuring) {
                        r.fanoutNanos += System.nanoTime() - t0;
                        r.posts++;
                    }
                } else {
                    long t0 = System.nanoTime();
                    List<Tweet> page = world.home.home(author, Page.newest(20));
                    long took = System.nanoTime() - t0;
                    if (measuring) {
                        r.readNanos += took;
                        r.reads.recordValue(took);
                        int lists = 0;
                        for (int i = w.offsets[e.user()]; i < w.offsets[e.user() + 1]; i++) {
                            if (policy.hasPullRanges(ids[w.followees[i]])) {
                                lists++;
                            }
                        }
                        r.pullLists += lists;
                        r.lists.recordValue(lists);
                    }
                    r.sink += page.size();
                }
            }
            r.deliveries = world.fanout.deliveries() - deliveriesStart;
            r.pulledAuthors = new boolean[w.n];
            for (int a = 0; a < w.n; a++) {
                r.pulledAuthors[a] = policy.isPulling(ids[a]);
                if (r.pulledAuthors[a]) {
                    r.pulledCount++;
                }
            }
            // The read path's per-list work on its own: the pull-list scan of HomeTimelineService.pulledTweets.
            SplittableRandom rnd = new SplittableRandom(seed);
            long[] pulledIds = Arrays.stream(policy.pullAuthors()).toArray();
            for (int i = 0; pulledIds.length > 0 && i < 20_000; i++) {
                long a = pulledIds[rnd.nextInt(pulledIds.length)];
                long t0 = System.nanoTime();
                int got = scan(world, a);
                long took = System.nanoTime() - t0;
                if (i >= 5_000) {
                    r.scanNanos.recordValue(took);
                }
                r.sink += got;
            }
        }
        return r;
    }

    /** HomeTimelineService.pulledTweets for a newest page (want = 60), verbatim but for its private fields. */
    private static int scan(HomeWorld world, long author) {
        long[] out = new long[FanoutWorkload.WANT];
        int[] n = {0};
        long floor = world.policy.oldestPulled(author) - 1;
        world.store.scan(Table.USER_TIMELINES, Bytes.key(author), null, true, (k, v) -> {
            long id = Bytes.getLong(k, 8);
            if (id <= floor) {
                return false;
            }
            if (world.policy.isPulled(author, id)) {
                out[n[0]++] = id;
            }
            return n[0] < FanoutWorkload.WANT;
        });
        return n[0];
    }
}
