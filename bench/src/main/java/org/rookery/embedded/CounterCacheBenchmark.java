package org.rookery.embedded;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
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
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.tweets.TweetService;

/**
 * What the counters of one page of statuses cost in the {@link CounterCache}: {@link #page} looks up
 * the reply, repost and favourite counts of 20 random statuses (60 keys, in the order
 * {@code TweetService.counts} asks for them) in a table of the server's default size
 * ({@code rookery.store.counter.cache.size} = 250,000 accounts and statuses, 12 MB) holding the
 * counts of {@code statuses} statuses with Snowflake ids (38 % full). Nearly every lookup hits (a
 * full set replaces its entries, so a few keys are gone again); most miss the CPU caches, as on a
 * server whose table is larger than them.
 *
 * <pre>{@code
 * java -jar bench/target/rookery-benchmarks.jar CounterCacheBenchmark
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CounterCacheBenchmark {
    private static final int PAGE = 20;
    private static final int PAGES = 1 << 14;
    private static final byte[] KINDS = {TweetService.REPLIES, TweetService.REPOSTS, TweetService.FAVOURITES};

    @Param({"100000"})
    int statuses;

    private CounterCache cache;
    private List<List<byte[]>> pages;
    private byte @Nullable [][] out;
    private int[] missing;
    private int next;

    @Setup
    public void setUp() {
        cache = new CounterCache(RocksStore.Options.DEFAULT_COUNTER_CACHE_ENTRIES);
        SplittableRandom rnd = new SplittableRandom(42);
        long[] ids = new long[statuses];
        long t = 1_760_000_000_000L;
        for (int i = 0; i < statuses; i++) {
            t += 1 + rnd.nextInt(50);
            ids[i] = SnowflakeIdGenerator.minIdAt(t) | rnd.nextInt(1 << 22); // a random worker and sequence
        }
        for (int from = 0; from < statuses; from += 1000) {
            List<byte[]> keys = new ArrayList<>();
            List<byte @Nullable []> values = new ArrayList<>();
            for (int i = from; i < Math.min(statuses, from + 1000); i++) {
                for (byte kind : KINDS) {
                    keys.add(TweetService.counterKey(ids[i], kind));
                    values.add(kind == TweetService.FAVOURITES ? null : new byte[] {(byte) i, 0, 0, 0, 0, 0, 0, 0});
                }
            }
            cache.putLoaded(cache.stamp(), keys, values);
        }
        pages = new ArrayList<>(PAGES);
        for (int p = 0; p < PAGES; p++) {
            List<byte[]> keys = new ArrayList<>(PAGE * KINDS.length);
            for (int i = 0; i < PAGE; i++) {
                long id = ids[rnd.nextInt(statuses)];
                for (byte kind : KINDS) {
                    keys.add(TweetService.counterKey(id, kind));
                }
            }
            pages.add(keys);
        }
        out = new byte[PAGE * KINDS.length][];
        missing = new int[PAGE * KINDS.length];
        int misses = 0;
        for (List<byte[]> page : pages) {
            misses += cache.lookup(page, out, missing);
        }
        if (misses > pages.size() * PAGE * KINDS.length / 20) {
            throw new IllegalStateException(misses + " lookups missed: the table is too small for the statuses");
        }
    }

    @Benchmark
    public int page() {
        List<byte[]> keys = pages.get(next++ & (PAGES - 1));
        return cache.lookup(keys, out, missing);
    }
}
