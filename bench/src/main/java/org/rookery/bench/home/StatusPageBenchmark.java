package org.rookery.bench.home;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.rookery.core.model.Page;
import org.rookery.core.model.Tweet;
import org.rookery.core.timeline.FanoutPolicy;
import org.rookery.server.api.Renderer;
import org.rookery.server.http.JsonTrees;
import org.rookery.server.http.Router;

/**
 * What a home read costs in process, page choice and then the response body: {@link #page} is
 * {@code HomeTimelineService.home(viewer, 20)}; {@link #pageJson} is the same plus what the HTTP
 * handler does after it, {@code Renderer.statuses} (hydration) and the server's {@code ObjectMapper}
 * writing the bytes. The difference is the rendering a home read pays per page; run with
 * {@code -prof gc} for the bytes allocated per page ({@code gc.alloc.rate.norm}).
 * {@link #pageJsonViaHeapArray} and {@link #pageJsonIntoPooledBuffer} add the hand-off of the body
 * to Netty, the way the server did it before and the way it does it now.
 *
 * <p>Data, through the real services on a real RocksStore ({@link HomeWorld}): {@code users}
 * accounts, each following 60 others drawn by Zipf popularity (exponent 0.8), seed 1;
 * {@code users × 40} posts by random authors, 15 % reposts and 10 % replies of a followed account's
 * latest tweet, fanned out into every timeline (all resident). Viewers are drawn in a fixed
 * pseudo-random order, so the tweets and accounts a page needs are spread over the whole data set,
 * as the server's are.
 *
 * <pre>{@code
 * java -jar bench/target/rookery-benchmarks.jar StatusPageBenchmark -prof gc
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 4, time = 3)
@Measurement(iterations = 5, time = 3)
public class StatusPageBenchmark {
    private static final String BASE = "https://rookery.example";
    /** Netty's default allocator, as Armeria's event loops use. */
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Param({"5000"})
    int users;

    private HomeWorld world;
    private Renderer renderer;
    private ObjectMapper mapper;
    private long[] viewers;
    private int next;

    @Setup(Level.Trial)
    public void load() {
        world = new HomeWorld(FanoutPolicy.threshold(Integer.MAX_VALUE), 800, users);
        SplittableRandom rnd = new SplittableRandom(1);
        long[] ids = world.registerUsers(users, 2);
        HomeWorld.Alias popular = new HomeWorld.Alias(HomeWorld.zipfWeights(users, 0.8, rnd));
        int[][] follows = new int[users][];
        for (int u = 0; u < users; u++) {
            java.util.Set<Integer> f = new java.util.HashSet<>();
            while (f.size() < Math.min(60, users - 1)) {
                int v = popular.draw(rnd);
                if (v != u) {
                    f.add(v);
                }
            }
            follows[u] = f.stream().mapToInt(Integer::intValue).toArray();
        }
        world.follow(ids, follows, 2);
        world.makeResident(ids);
        long[] lastTweet = new long[users];
        java.util.Map<Long, Integer> indexOf = new java.util.HashMap<>();
        for (int u = 0; u < users; u++) {
            indexOf.put(ids[u], u);
        }
        world.postAndFanOut(users * 40, i -> {
            SplittableRandom r = new SplittableRandom(31L * i + 7);
            int a = r.nextInt(users);
            double kind = r.nextDouble();
            int[] fs = follows[a];
            long target = kind < 0.25 ? lastTweet[fs[r.nextInt(fs.length)]] : 0;
            return new HomeWorld.Post(ids[a], kind >= 0.15 ? target : 0, kind < 0.15 ? target : 0);
        }, 2, 2_000, true, t -> {
            if (!t.isRepost()) {
                lastTweet[indexOf.get(t.authorId())] = t.id();
            }
        });
        world.reopen();
        renderer = new Renderer(world.users, world.tweets);
        mapper = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).registerModule(JsonTrees.module());
        viewers = ids.clone();
        int[] order = HomeWorld.permutation(users, new SplittableRandom(2));
        for (int i = 0; i < users; i++) {
            viewers[i] = ids[order[i]];
        }
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sizes.add(world.home.home(viewers[i], Page.newest(20)).size());
        }
        System.out.println("page sizes of the first 50 viewers: " + sizes);
    }

    @TearDown(Level.Trial)
    public void close() {
        world.close();
    }

    private long nextViewer() {
        long v = viewers[next];
        next = next + 1 == viewers.length ? 0 : next + 1;
        return v;
    }

    @Benchmark
    public List<Tweet> page() {
        return world.home.home(nextViewer(), Page.newest(20));
    }

    @Benchmark
    public byte[] pageJson() throws JsonProcessingException {
        long viewer = nextViewer();
        List<Tweet> page = world.home.home(viewer, Page.newest(20));
        return mapper.writeValueAsBytes(renderer.statuses(BASE, viewer, page));
    }

    /**
     * The body as the server handed it to Netty before 2026-12-06: a heap array of the whole body,
     * which Netty then copies into a direct buffer for the socket.
     */
    @Benchmark
    public int pageJsonViaHeapArray() throws JsonProcessingException {
        long viewer = nextViewer();
        List<Tweet> page = world.home.home(viewer, Page.newest(20));
        byte[] body = mapper.writeValueAsBytes(renderer.statuses(BASE, viewer, page));
        ByteBuf direct = ALLOC.directBuffer(body.length);
        try {
            return direct.writeBytes(body).readableBytes();
        } finally {
            direct.release();
        }
    }

    /** The body as the server writes it now ({@code Router.render}): straight into a pooled buffer. */
    @Benchmark
    public int pageJsonIntoPooledBuffer() throws IOException {
        long viewer = nextViewer();
        List<Tweet> page = world.home.home(viewer, Page.newest(20));
        ByteBuf body = Router.jsonBody(mapper, ALLOC, renderer.statuses(BASE, viewer, page));
        try {
            return body.readableBytes();
        } finally {
            body.release();
        }
    }
}
