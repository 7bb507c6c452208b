package org.rookery.loadgen;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code rookery bench <workload> [options]}: drives a Rookery (or any Mastodon-API) server with an
 * open-loop workload and reports latency, throughput, delivery lag, acknowledged-post loss and the
 * server's own figures. Without {@code --url} it starts an embedded server for a one-command run.
 *
 * <pre>{@code
 * ./rookery bench timeline-mix --users 10000 --rate 2000 --duration 30s
 * }</pre>
 */
@Command(name = "rookery bench", mixinStandardHelpOptions = true, version = "rookery bench 0.1.0",
        description = {"Open-loop load generator for Rookery's public API (latency from the scheduled send time, HdrHistogram).",
                "Every run writes result.json, report.md, timeseries.csv and PNG charts to --out and prints RESULT <json> last."},
        subcommands = {Main.TimelineMix.class, Main.SocialMix.class, Main.Spike.class, Main.Celebrity.class, Main.Ceiling.class})
public final class Main implements Runnable {
    /** Exit code of a run that completed but lost acknowledged posts. */
    public static final int LOST_POSTS = 3;

    private final PrintStream out;
    private final List<String> argv;

    private Main(PrintStream out, List<String> argv) {
        this.out = out;
        this.argv = argv;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // Flush every line, so the progress line is live through a pipe (| tee) too.
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                java.nio.charset.StandardCharsets.UTF_8);
        System.exit(execute(out, args));
    }

    /**
     * Runs the command line, printing to {@code out}; returns the exit code: 0 when the run
     * completed (its figures say how it went), {@link #LOST_POSTS} when it completed but an
     * acknowledged post could not be read back, 1 or 2 for a failure or a usage error (picocli's).
     */
    public static int execute(PrintStream out, String... args) {
        return new CommandLine(new Main(out, List.of(args))).execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(out);
    }

    abstract static class WorkloadCommand implements Callable<Integer> {
        @ParentCommand
        @Nullable Main parent;

        @Mixin
        Options options = new Options();

        abstract Bench.Workload workload();

        Bench.Params params() {
            return new Bench.Params();
        }

        @Override
        public Integer call() throws Exception {
            Main main = java.util.Objects.requireNonNull(parent, "parent");
            java.util.Map<String, Object> result = new Bench(workload(), options, params(), main.out,
                    "./rookery bench " + String.join(" ", main.argv)).run();
            // A lost acknowledged post is a correctness failure, whatever the rest of the figures say.
            return result.get("lost_acknowledged") instanceof Number lost && lost.longValue() > 0 ? LOST_POSTS : 0;
        }
    }

    @Command(name = "timeline-mix", mixinStandardHelpOptions = true,
            description = {"Home-timeline reads and posts at Twitter's ratio (~50 reads per post: 300K reads vs 6K writes/s).",
                    "--rate is the total (default 1000/s); --read-rate/--post-rate set each stream directly."})
    static final class TimelineMix extends WorkloadCommand {
        @Option(names = "--reads-per-post", defaultValue = "50", description = "Home reads per post. Default: ${DEFAULT-VALUE}.")
        double readsPerPost = 50;

        @Option(names = "--read-rate", description = "Home reads/s (overrides --rate's share).")
        @Nullable Double readRate;

        @Option(names = "--post-rate", description = "Posts/s (overrides --rate's share).")
        @Nullable Double postRate;

        @Option(names = "--home-ceiling-seconds", defaultValue = "0", description = {
                "Seconds of home-timeline reads as fast as the box answers (--concurrency in flight, as the ceiling is measured),",
                "after the timelines are filled and before the mix: operation home_ceiling, whose of_ceiling compares like with like.",
                "0 skips. Default: ${DEFAULT-VALUE}."})
        double homeCeilingSeconds;

        @Override
        Bench.Workload workload() {
            return Bench.Workload.TIMELINE_MIX;
        }

        @Override
        Bench.Params params() {
            Bench.Params p = new Bench.Params();
            p.readsPerPost = readsPerPost;
            p.readRate = readRate;
            p.postRate = postRate;
            p.homeCeilingSeconds = homeCeilingSeconds;
            return p;
        }
    }

    @Command(name = "social-mix", mixinStandardHelpOptions = true,
            description = {"DeathStarBench socialNetwork's mix: 60%% home-timeline reads, 30%% user-timeline reads,",
                    "10%% posts with 1-6 mentions and a link. --rate is the total (default 500/s)."})
    static final class SocialMix extends WorkloadCommand {
        @Override
        Bench.Workload workload() {
            return Bench.Workload.SOCIAL_MIX;
        }
    }

    @Command(name = "spike", mixinStandardHelpOptions = true,
            description = {"Posts at a steady --rate (default 200/s), then --spike-factor times that (Twitter's 143,199 vs 5,700",
                    "tweets/s: 25x) for --spike-duration, then steady again. Reports errors, shed (429/503), acknowledged-post",
                    "loss and the time until delivery lag is back to its pre-spike value."})
    static final class Spike extends WorkloadCommand {
        @Option(names = "--spike-factor", defaultValue = "25", description = "Peak rate / steady rate. Default: ${DEFAULT-VALUE}.")
        double factor = 25;

        @Option(names = "--spike-at", converter = Options.DurationConverter.class,
                description = "When the spike starts, after measuring began. Default: a third of --duration.")
        @Nullable Duration at;

        @Option(names = "--spike-duration", converter = Options.DurationConverter.class, defaultValue = "5s",
                description = "How long the spike lasts. Default: ${DEFAULT-VALUE}.")
        Duration length = Duration.ofSeconds(5);

        @Option(names = "--read-rate", description = "Home reads/s running alongside (default 0).")
        @Nullable Double readRate;

        @Override
        Bench.Workload workload() {
            return Bench.Workload.SPIKE;
        }

        @Override
        Bench.Params params() {
            Bench.Params p = new Bench.Params();
            p.spikeFactor = factor;
            p.spikeAt = at;
            p.spikeDuration = length;
            p.readRate = readRate;
            return p;
        }
    }

    @Command(name = "celebrity", mixinStandardHelpOptions = true,
            description = {"An account with --followers followers posts --posts times; reports the time until each post is in the",
                    "home timeline of every checked active follower (polled), beside the server's fanout lag. --rate is the",
                    "home reads/s from active followers running meanwhile (default 200)."})
    static final class Celebrity extends WorkloadCommand {
        @Option(names = "--followers", defaultValue = "100000", description = "The celebrity's followers. Default: ${DEFAULT-VALUE}.")
        int followers = 100_000;

        @Option(names = "--posts", defaultValue = "5", description = "Posts by the celebrity, evenly spaced. Default: ${DEFAULT-VALUE}.")
        int posts = 5;

        @Option(names = "--active", defaultValue = "1000", description = "Followers made active (home timeline read) first. Default: ${DEFAULT-VALUE}.")
        int active = 1_000;

        @Option(names = "--sample", defaultValue = "50", description = "Active followers whose timelines are polled per post. Default: ${DEFAULT-VALUE}.")
        int sample = 50;

        @Override
        Bench.Workload workload() {
            return Bench.Workload.CELEBRITY;
        }

        @Override
        Bench.Params params() {
            if (followers < 1 || posts < 1 || active < 1 || sample < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--followers, --posts, --active, --sample: expected > 0");
            }
            Bench.Params p = new Bench.Params();
            p.followers = followers;
            p.posts = posts;
            p.active = active;
            p.sample = sample;
            return p;
        }
    }

    @Command(name = "ceiling", mixinStandardHelpOptions = true,
            description = {"GET /api/v1/instance as fast as the server answers (--concurrency in flight; or open loop at --rate):",
                    "the HTTP ceiling of this box, which every other figure is stated against."})
    static final class Ceiling extends WorkloadCommand {
        @Override
        Bench.Workload workload() {
            return Bench.Workload.CEILING;
        }
    }
}
