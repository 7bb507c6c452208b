package org.rookery.bench.tweets;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.internal.IdTable;
import org.rookery.core.internal.LongKeys;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;

/**
 * What looking up one page's tweets costs: 30 random statuses (what a home read's page choice looks
 * up for 20 shown) among {@code statuses} cached tweets with Snowflake ids, from a table of the
 * server's default size ({@code rookery.tweets.cache.size} = 100,000). {@link #idTable} is
 * {@link IdTable}, which the server uses for tweets, accounts and rendered members; {@link #caffeine}
 * is the {@code Cache<Long, Tweet>} (keyed by {@link LongKeys#spread}) it replaced. Each lookup
 * reads the tweet's author too, as the page choice does, so the cost of reaching the record counts.
 * The tables are larger than the CPU caches, as a server's are, so most lookups wait on memory.
 *
 * <pre>{@code
 * java -jar bench/target/rookery-benchmarks.jar RecordLookupBenchmark
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RecordLookupBenchmark {
    private static final int PAGE = 30;
    private static final int PAGES = 1 << 14;

    @Param({"90000"})
    int statuses;

    private IdTable<Tweet> table;
    private Cache<Long, Tweet> cache;
    private long[][] pages;
    private int next;

    @Setup
    public void setUp() {
        table = new IdTable<>(100_000);
        cache = Caffeine.newBuilder().maximumSize(100_000).recordStats().build();
        SplittableRandom rnd = new SplittableRandom(42);
        long[] ids = new long[statuses];
        long t = 1_760_000_000_000L;
        for (int i = 0; i < statuses; i++) {
            t += 1 + rnd.nextInt(50);
            ids[i] = SnowflakeIdGenerator.minIdAt(t) | rnd.nextInt(1 << 22);
            Tweet tweet = new Tweet(ids[i], 1 + rnd.nextInt(20_000), "status " + i, t, 0, 0, 0, 0, Visibility.PUBLIC, "",
                    false, "en", List.of(), List.of(), List.of());
            table.put(ids[i], tweet);
            cache.put(LongKeys.spread(ids[i]), tweet);
        }
        pages = new long[PAGES][PAGE];
        for (long[] page : pages) {
            for (int i = 0; i < PAGE; i++) {
                page[i] = ids[rnd.nextInt(statuses)];
            }
        }
    }

    @Benchmark
    public void idTable(Blackhole bh) {
        long[] page = pages[next++ & (PAGES - 1)];
        for (long id : page) {
            Tweet t = table.get(id);
            bh.consume(t == null ? 0 : t.authorId());
        }
    }

    @Benchmark
    public void caffeine(Blackhole bh) {
        long[] page = pages[next++ & (PAGES - 1)];
        for (long id : page) {
            Tweet t = cache.getIfPresent(LongKeys.spread(id));
            bh.consume(t == null ? 0 : t.authorId());
        }
    }
}
