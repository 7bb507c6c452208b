package org.rookery.loadgen.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.jspecify.annotations.Nullable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.rookery.loadgen.run.OpStats;

/**
 * Writes what a run measured: {@code result.json} (the result as given), {@code report.md} (the
 * same for people, with the charts), {@code timeseries.csv} (one row per operation and second),
 * and PNG charts drawn with XChart: latency over time per operation, the latency percentile
 * distribution, and delivery lag over time. {@link #table()} is the console table. Not
 * thread-safe; build one per run after it ends.
 *
 * <pre>{@code
 * Report r = new Report(result, stats, serverLag, lagSamples);
 * r.writeAll(Path.of("bench-results/run1"), true);
 * System.out.print(r.table());
 * }</pre>
 */
public final class Report {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, Object> result;
    private final Map<String, OpStats> stats;
    private final List<double[]> serverLag;
    private final List<double[]> lagSamples;

    /**
     * @param serverLag  {t seconds, fanout lag seconds} from the server's metrics, once a second
     * @param lagSamples {post acknowledged at t seconds, its delivery lag in ms}
     */
    public Report(Map<String, Object> result, Map<String, OpStats> stats, List<double[]> serverLag, List<double[]> lagSamples) {
        this.result = result;
        this.stats = stats;
        this.serverLag = serverLag;
        this.lagSamples = lagSamples;
    }

    /** The result as one line of JSON (the {@code RESULT} line). */
    public static String compactJson(Map<String, Object> result) {
        try {
            return MAPPER.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void writeAll(Path dir, boolean charts) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("result.json"),
                MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result) + "\n");
        Files.writeString(dir.resolve("timeseries.csv"), timeseries());
        List<String> pngs = new ArrayList<>();
        if (charts) {
            System.setProperty("java.awt.headless", "true");
            write(latencyOverTime(), dir.resolve("latency-over-time.png"), pngs);
            write(percentiles(), dir.resolve("latency-percentiles.png"), pngs);
            if (!lagSamples.isEmpty() || serverLag.stream().anyMatch(x -> x[1] > 0)) {
                write(deliveryLag(), dir.resolve("delivery-lag.png"), pngs);
            }
        }
        Files.writeString(dir.resolve("report.md"), markdown(pngs), StandardCharsets.UTF_8);
    }

    private static void write(XYChart chart, Path file, List<String> written) {
        try {
            BitmapEncoder.saveBitmap(chart, Files.newOutputStream(file), BitmapEncoder.BitmapFormat.PNG);
            written.add(file.getFileName().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- text

    /** The end-of-run table: one row per operation, then delivery lag and the server's figures. */
    @SuppressWarnings("unchecked")
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-9s %10s %10s %10s %8s %8s %8s %9s %9s %9s %9s %9s%n", "operation", "count",
                "rate/s", "target/s", "errors", "shed", "overflow", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"));
        Map<String, Object> ops = (Map<String, Object>) result.getOrDefault("operations", Map.of());
        for (Map.Entry<String, Object> e : ops.entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            b.append(String.format(Locale.ROOT, "%-9s %10s %10s %10s %8s %8s %8s %9s %9s %9s %9s %9s%n", e.getKey(),
                    m.get("count"), num(m.get("rate")), num(m.get("target_rate")), m.get("errors"), m.get("shed"),
                    m.get("overflow"), num(m.get("p50_ms")), num(m.get("p90_ms")), num(m.get("p99_ms")),
                    num(m.get("p999_ms")), num(m.get("max_ms"))));
        }
        if (result.get("ceiling_rate") != null) {
            b.append("same-run HTTP ceiling: ").append(result.get("ceiling_rate")).append(" requests/s\n");
        }
        for (Map.Entry<String, Object> e : ops.entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            if (m.get("server_p99_ms") == null && m.get("send_lag_p99_ms") == null) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "%-9s", e.getKey()));
            if (m.get("server_p99_ms") != null) {
                b.append(String.format(Locale.ROOT, " server's own answer time p50 <= %s, p99 <= %s, p99.9 <= %s ms;",
                        num(m.get("server_p50_ms")), num(m.get("server_p99_ms")), num(m.get("server_p999_ms"))));
            }
            if (m.get("send_lag_p99_ms") != null) {
                b.append(String.format(Locale.ROOT, " generator sent late by p99 %s ms, max %s ms",
                        num(m.get("send_lag_p99_ms")), num(m.get("send_lag_max_ms"))));
            }
            b.append('\n');
        }
        for (String op : List.of("home", "user")) {
            if (result.get(op + "_page") instanceof Map<?, ?> pg) {
                b.append(String.format(Locale.ROOT, "%s reads returned %s statuses on average (%s answers counted, 1 in %s; "
                                + "full pages of 20: %s, empty: %s)%n", op, num(pg.get("mean_statuses")), pg.get("sampled"),
                        pg.get("sample_every"), pg.get("full_pages"), pg.get("empty_pages")));
            }
        }
        Object lag = result.get("delivery_lag_ms");
        if (lag instanceof Map<?, ?> l) {
            b.append(String.format(Locale.ROOT, "delivery lag ms: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%s posts followed, %s undelivered)%n",
                    num(l.get("p50")), num(l.get("p90")), num(l.get("p99")), num(l.get("p999")), num(l.get("max")),
                    num(l.get("count")), num(l.get("undelivered"))));
        }
        if (result.containsKey("lost_acknowledged")) {
            b.append("acknowledged posts: ").append(result.get("acknowledged_posts")).append(", lost: ")
                    .append(result.get("lost_acknowledged") == null ? "not checked" : result.get("lost_acknowledged")).append('\n');
        }
        if (result.get("spike") instanceof Map<?, ?> s) {
            b.append("spike: lag back to normal ").append(s.get("lag_recovery_s") == null ? "not within the run"
                    : s.get("lag_recovery_s") + " s").append(" after the spike (probes; baseline p99 ")
                    .append(num(s.get("baseline_lag_p99_ms"))).append(" ms), server fanout lag back after ")
                    .append(s.get("server_lag_recovery_s") == null ? "-" : s.get("server_lag_recovery_s") + " s").append('\n');
        }
        if (result.get("celebrity") instanceof Map<?, ?> c && c.get("visible_in_all_ms") instanceof Map<?, ?> v) {
            b.append(String.format(Locale.ROOT, "celebrity (%s followers, %s active): visible in every checked timeline after p50 %s ms, max %s ms%n",
                    c.get("followers"), c.get("active_followers"), num(v.get("p50")), num(v.get("max"))));
        }
        if (result.get("server") instanceof Map<?, ?> s && !Boolean.FALSE.equals(s.get("available"))) {
            b.append(String.format(Locale.ROOT, "server: heap %s MB (max %s MB), GC %s pauses / %s ms (longest %s ms), "
                            + "fanout lag max %s s, %s deliveries, %s timeline bytes/entry%n",
                    s.get("heap_used_mb_end"), s.get("heap_used_mb_max"), s.get("gc_pauses"), s.get("gc_pause_total_ms"),
                    s.get("gc_pause_max_ms"), s.get("fanout_lag_max_s"), s.get("fanout_deliveries"),
                    s.get("timeline_bytes_per_entry")));
            if (s.get("cache_hit_rate") instanceof Map<?, ?> rates && !rates.isEmpty()) {
                StringJoiner line = new StringJoiner(", ", "cache hit rates over the run: ", System.lineSeparator());
                rates.forEach((cache, rate) -> line.add(String.format(Locale.ROOT, "%s %.1f %%", cache,
                        ((Number) rate).doubleValue() * 100)));
                b.append(line);
            }
        }
        return b.toString();
    }

    private static String num(@Nullable Object o) {
        if (o == null) {
            return "-";
        }
        if (o instanceof Double d) {
            return d >= 100 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.2f", d);
        }
        return o.toString();
    }

    @SuppressWarnings("unchecked")
    private String markdown(List<String> pngs) {
        StringBuilder b = new StringBuilder();
        b.append("# rookery bench: ").append(result.get("workload")).append("\n\n");
        b.append("Command: `").append(result.get("command")).append("`  \n");
        b.append("Started: ").append(result.get("started_at")).append(", measured ").append(result.get("duration_s"))
                .append(" s after ").append(result.get("warmup_s")).append(" s of warm-up, seed ").append(result.get("seed")).append("  \n");
        if (result.get("target") instanceof Map<?, ?> t) {
            b.append("Target: ").append(t.get("url")).append(Boolean.TRUE.equals(t.get("embedded"))
                    ? " (embedded in the generator's JVM: generator and server share the machine's cores)" : "").append("  \n");
        }
        if (result.get("machine") instanceof Map<?, ?> m) {
            b.append("Machine: ").append(m.get("cores")).append(" cores, ").append(m.get("cpu")).append(", ")
                    .append(m.get("memory_gb")).append(" GB, ").append(m.get("java")).append(", ").append(m.get("os")).append("\n\n");
        }
        if (result.get("graph") instanceof Map<?, ?> g) {
            b.append("Graph: ").append(g.get("users")).append(" users, ").append(g.get("edges")).append(" follows (mean ")
                    .append(g.get("mean_followers")).append(", max ").append(g.get("max_followers")).append(" followers; ")
                    .append(g.get("source")).append(")");
            if (result.get("load") instanceof Map<?, ?> l) {
                b.append(", loaded in ").append(l.get("accounts_s")).append(" s (accounts) + ").append(l.get("follows_s"))
                        .append(" s (follows, ").append(l.get("follows_per_s")).append("/s)");
            }
            b.append("\n\n");
        }
        b.append("Latency is measured from each request's scheduled send time (open loop, no coordinated omission), ")
                .append("for successful requests; errors, shed (429/503) and overflow (not sent: too many outstanding) are counted apart. ")
                .append("The `ceiling` row is GET /api/v1/instance as fast as the server answers, measured in the same run; ")
                .append("its latencies are those of a saturated closed loop. ")
                .append("Below the table, for each operation with a known route: the server's own answer times over the same phase ")
                .append("(its histogram of total answer time, read at the start and end of measuring; each figure is a bucket's upper bound), ")
                .append("and how late the generator itself sent requests (send lag, scheduled to sent): ")
                .append("latency the server's figures lack is the generator's and the network's.\n\n");
        b.append("```\n").append(table()).append("```\n\n");
        b.append("| operation | count | rate/s | target/s | errors | shed | overflow | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        Map<String, Object> ops = (Map<String, Object>) result.getOrDefault("operations", Map.of());
        for (Map.Entry<String, Object> e : ops.entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            b.append("| ").append(e.getKey());
            for (String k : List.of("count", "rate", "target_rate", "errors", "shed", "overflow", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")) {
                b.append(" | ").append(num(m.get(k)));
            }
            b.append(" |\n");
        }
        b.append('\n');
        for (String png : pngs) {
            b.append("![").append(png.replace(".png", "")).append("](").append(png).append(")\n\n");
        }
        b.append("Full figures: `result.json`; per-second series: `timeseries.csv`.\n");
        return b.toString();
    }

    private String timeseries() {
        StringBuilder b = new StringBuilder("operation,t_s,count,p50_ms,p99_ms,max_ms,errors,shed,overflow\n");
        for (OpStats s : stats.values()) {
            for (OpStats.Second sec : s.seconds()) {
                b.append(String.format(Locale.ROOT, "%s,%.1f,%d,%.3f,%.3f,%.3f,%d,%d,%d%n", s.name(), sec.t(), sec.count(),
                        sec.p50(), sec.p99(), sec.max(), sec.errors(), sec.shed(), sec.overflow()));
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- charts

    private XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(1000).height(560).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        c.getStyler().setMarkerSize(4);
        return c;
    }

    /** p50 and p99 of each operation, second by second. */
    XYChart latencyOverTime() {
        XYChart c = chart("Latency over time (" + result.get("workload") + "; from scheduled send time)", "seconds since measuring began", "ms (log)");
        c.getStyler().setYAxisLogarithmic(true);
        boolean any = false;
        boolean onlyCeiling = stats.keySet().stream().allMatch("ceiling"::equals);
        for (OpStats s : stats.values()) {
            if (s.name().startsWith("ceiling") && !onlyCeiling) {
                continue; // measured in its own phases around the workload: its seconds are not these seconds
            }
            List<OpStats.Second> secs = s.seconds().stream().filter(x -> x.count() > 0 && x.t() >= 0).toList();
            if (secs.isEmpty()) {
                continue;
            }
            double[] t = secs.stream().mapToDouble(OpStats.Second::t).toArray();
            c.addSeries(s.name() + " p99", t, secs.stream().mapToDouble(x -> Math.max(0.001, x.p99())).toArray())
                    .setMarker(SeriesMarkers.CIRCLE);
            c.addSeries(s.name() + " p50", t, secs.stream().mapToDouble(x -> Math.max(0.001, x.p50())).toArray())
                    .setMarker(SeriesMarkers.NONE);
            any = true;
        }
        if (!any) {
            c.addSeries("no successful requests", new double[] {0}, new double[] {1});
        }
        return c;
    }

    /** The latency distribution of each operation, HdrHistogram style: x = log10(1 / (1 - percentile)). */
    XYChart percentiles() {
        // x in "nines" (log10 of 1 / (1 - p)) keeps the tail readable; plain numbers, since XChart's custom
        // tick formatting can loop forever when two ticks format alike.
        XYChart c = chart("Latency by percentile (" + result.get("workload") + ")",
                "percentile in nines: 0 = p0, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99", "ms (log)");
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setXAxisMin(0.0);
        c.getStyler().setXAxisDecimalPattern("0.#");
        boolean any = false;
        for (OpStats s : stats.values()) {
            Histogram h = s.histogram();
            if (h.getTotalCount() == 0) {
                continue;
            }
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (HistogramIterationValue v : h.percentiles(5)) {
                double pct = v.getPercentileLevelIteratedTo();
                if (pct >= 100) {
                    break;
                }
                xs.add(Math.log10(1 / (1 - pct / 100)));
                ys.add(Math.max(0.001, v.getValueIteratedTo() / 1000.0));
            }
            if (xs.isEmpty()) {
                continue;
            }
            XYSeries series = c.addSeries(s.name(), xs.stream().mapToDouble(Double::doubleValue).toArray(),
                    ys.stream().mapToDouble(Double::doubleValue).toArray());
            series.setMarker(SeriesMarkers.NONE);
            any = true;
        }
        if (!any) {
            c.addSeries("no successful requests", new double[] {0, 1}, new double[] {1, 1});
        }
        return c;
    }

    /** Delivery lag of each followed post by when it was acknowledged, with the server's fanout lag. */
    XYChart deliveryLag() {
        XYChart c = chart("Delivery lag (" + result.get("workload") + ")", "seconds since measuring began", "ms");
        if (!lagSamples.isEmpty()) {
            XYSeries s = c.addSeries("post to follower's home timeline (probe)", lagSamples.stream().mapToDouble(x -> x[0]).toArray(),
                    lagSamples.stream().mapToDouble(x -> x[1]).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        List<double[]> srv = serverLag.stream().filter(x -> x[0] >= 0 && !Double.isNaN(x[1])).toList();
        if (!srv.isEmpty()) {
            c.addSeries("server fanout consumer lag (metrics)", srv.stream().mapToDouble(x -> x[0]).toArray(),
                    srv.stream().mapToDouble(x -> x[1] * 1000).toArray()).setMarker(SeriesMarkers.NONE);
        }
        return c;
    }
}
