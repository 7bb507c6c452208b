package org.rookery.loadgen.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * One scrape of a server's {@code /admin/metrics} (Prometheus text format), with the figures the
 * report shows: heap in use, GC pauses, fanout lag, timeline bytes per entry, fanout deliveries,
 * cache lookups.
 * Immutable.
 *
 * <pre>{@code
 * ServerMetrics m = ServerMetrics.parse(text);
 * double lag = m.max("rookery_consumer_lag_seconds", l -> "fanout".equals(l.get("consumer")));
 * }</pre>
 */
public final class ServerMetrics {
    /** One sample line: metric name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    private ServerMetrics(List<Sample> samples) {
        this.samples = List.copyOf(samples);
    }

    public static ServerMetrics parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String s = line.strip();
            if (s.isEmpty() || s.charAt(0) == '#') {
                continue;
            }
            int brace = s.indexOf('{');
            int space;
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < s.indexOf(' ')) {
                name = s.substring(0, brace);
                int close = parseLabels(s, brace + 1, labels);
                space = close + 1;
            } else {
                space = s.indexOf(' ');
                if (space < 0) {
                    continue;
                }
                name = s.substring(0, space);
            }
            String rest = s.substring(space).strip();
            int sp = rest.indexOf(' ');
            String value = sp < 0 ? rest : rest.substring(0, sp);
            double v;
            try {
                v = switch (value) {
                    case "+Inf" -> Double.POSITIVE_INFINITY;
                    case "-Inf" -> Double.NEGATIVE_INFINITY;
                    case "NaN" -> Double.NaN;
                    default -> Double.parseDouble(value);
                };
            } catch (NumberFormatException e) {
                continue;
            }
            out.add(new Sample(name, Map.copyOf(labels), v));
        }
        return new ServerMetrics(out);
    }

    /** Parses {@code a="x",b="y"} from {@code from}; returns the index of the closing brace. */
    private static int parseLabels(String s, int from, Map<String, String> labels) {
        int i = from;
        while (i < s.length() && s.charAt(i) != '}') {
            int eq = s.indexOf('=', i);
            String key = s.substring(i, eq).strip();
            int q = s.indexOf('"', eq) + 1;
            StringBuilder v = new StringBuilder();
            int j = q;
            while (j < s.length() && s.charAt(j) != '"') {
                if (s.charAt(j) == '\\' && j + 1 < s.length()) {
                    j++;
                }
                v.append(s.charAt(j));
                j++;
            }
            labels.put(key, v.toString());
            i = j + 1;
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
            }
        }
        return i;
    }

    public List<Sample> samples() {
        return samples;
    }

    public boolean has(String name) {
        return samples.stream().anyMatch(x -> x.name().equals(name));
    }

    /** Sum of every sample of {@code name} whose labels match; 0 if none. */
    public double sum(String name, Predicate<Map<String, String>> labels) {
        double total = 0;
        for (Sample x : samples) {
            if (x.name().equals(name) && labels.test(x.labels()) && !Double.isNaN(x.value())) {
                total += x.value();
            }
        }
        return total;
    }

    public double sum(String name) {
        return sum(name, l -> true);
    }

    /** Largest sample of {@code name} whose labels match; NaN if none. */
    public double max(String name, Predicate<Map<String, String>> labels) {
        double best = Double.NaN;
        for (Sample x : samples) {
            if (x.name().equals(name) && labels.test(x.labels()) && !Double.isNaN(x.value())) {
                best = Double.isNaN(best) ? x.value() : Math.max(best, x.value());
            }
        }
        return best;
    }

    public double max(String name) {
        return max(name, l -> true);
    }

    // The figures the report shows, by the names the server registers (see docs/api.md).

    public double heapUsedBytes() {
        return sum("jvm_memory_used_bytes", l -> "heap".equals(l.get("area")));
    }

    /**
     * The heap's limit: the largest of its pools' maxima. Under G1 the old generation carries
     * {@code -Xmx} (the young pools say -1); under generational ZGC both generations say
     * {@code -Xmx}, so a sum would double it.
     */
    public double heapMaxBytes() {
        return max("jvm_memory_max_bytes", l -> "heap".equals(l.get("area")));
    }

    public double gcPauseCount() {
        return sum("jvm_gc_pause_seconds_count");
    }

    public double gcPauseSeconds() {
        return sum("jvm_gc_pause_seconds_sum");
    }

    /** The longest GC pause of the last few minutes (Micrometer's decaying max). */
    public double gcPauseMaxSeconds() {
        return max("jvm_gc_pause_seconds_max");
    }

    public double fanoutLagSeconds() {
        return max("rookery_consumer_lag_seconds", l -> "fanout".equals(l.get("consumer")));
    }

    public double fanoutLagEvents() {
        return max("rookery_consumer_lag_events", l -> "fanout".equals(l.get("consumer")));
    }

    /** Events appended but not yet applied, summed over every consumer of the log. */
    public double consumerLagEvents() {
        return sum("rookery_consumer_lag_events");
    }

    /** Users the server's cold-start rebuild has still to go through; NaN if the server does not say. */
    public double warmupPending() {
        return max("rookery_timeline_warmup_pending");
    }

    /** RocksDB's estimate of the bytes compaction still has to rewrite; NaN if the server does not say. */
    public double compactionPendingBytes() {
        return max("rookery_store_compaction_pending_bytes");
    }

    /** RocksDB compactions running; NaN if the server does not say. */
    public double compactionsRunning() {
        return max("rookery_store_compactions_running");
    }

    public double fanoutDeliveries() {
        return sum("rookery_fanout_deliveries_total");
    }

    public double timelineBytesPerEntry() {
        return max("rookery_timeline_bytes_per_entry");
    }

    public double timelineBytes() {
        return max("rookery_timeline_bytes");
    }

    public double timelineEntries() {
        return max("rookery_timeline_entries");
    }

    /**
     * The server's own histogram of how long it took to answer {@code method route} with a 2xx status,
     * from when the request began to arrive to when the answer was written, all of it (Armeria's
     * total duration: reading the request, queueing, handling, writing): each bucket's upper
     * bound in seconds (the last is infinite) to the count of answers that took at most that long,
     * summed over the 2xx statuses. Empty if the server does not keep one for that route.
     */
    public NavigableMap<Double, Double> answerDurations(String method, String route) {
        NavigableMap<Double, Double> buckets = new TreeMap<>();
        for (Sample x : samples) {
            Map<String, String> l = x.labels();
            if (x.name().equals("rookery_http_total_duration_seconds_bucket") && method.equals(l.get("method"))
                    && route.equals(l.get("route")) && l.getOrDefault("status", "").startsWith("2") && l.containsKey("le")) {
                String le = l.get("le");
                double bound;
                try {
                    bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                } catch (NumberFormatException e) {
                    continue;
                }
                buckets.merge(bound, x.value(), Double::sum);
            }
        }
        return buckets;
    }

    /**
     * Of the answers counted between two scrapes' {@link #answerDurations}, the upper bound in
     * seconds of the bucket that holds the {@code percentile}th: the answer took at most that long.
     * NaN if none were counted; infinite if it lies beyond the last finite bucket.
     */
    public static double percentileBetween(NavigableMap<Double, Double> before, NavigableMap<Double, Double> after, double percentile) {
        long total = countBetween(before, after);
        if (total <= 0) {
            return Double.NaN;
        }
        for (Map.Entry<Double, Double> e : after.entrySet()) {
            if (e.getValue() - before.getOrDefault(e.getKey(), 0.0) >= percentile / 100 * total) {
                return e.getKey();
            }
        }
        return after.lastKey();
    }

    /** Answers counted between two scrapes' {@link #answerDurations}. */
    public static long countBetween(NavigableMap<Double, Double> before, NavigableMap<Double, Double> after) {
        return after.isEmpty() ? 0 : Math.round(after.lastEntry().getValue() - before.getOrDefault(after.lastKey(), 0.0));
    }

    /** The caches the server counts lookups of ({@code rookery_cache_gets_total}'s {@code cache} label). */
    public SortedSet<String> caches() {
        SortedSet<String> names = new TreeSet<>();
        for (Sample x : samples) {
            if (x.name().equals("rookery_cache_gets_total") && x.labels().containsKey("cache")) {
                names.add(x.labels().get("cache"));
            }
        }
        return names;
    }

    /** Lookups of {@code cache} with {@code result} ({@code hit} or {@code miss}) since the server started. */
    public double cacheGets(String cache, String result) {
        return sum("rookery_cache_gets_total", l -> cache.equals(l.get("cache")) && result.equals(l.get("result")));
    }
}
