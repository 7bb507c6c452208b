package org.rookery.bench.http;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.server.Server;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the HTTP transport alone allows a response of a given size on this box, against a trivial
 * one: a bare Armeria server answers {@code /tiny} (the size of {@code /api/v1/instance}'s answer)
 * and {@code /bytes/N} (N bytes of fixed JSON, built once) from memory on its event loop, and a
 * closed loop of Armeria clients set up like {@code rookery bench}'s ({@code --client-threads 1},
 * {@code --connections 8}, 64 requests in flight) measures each path's rate, alternating. The
 * ratio {@code /bytes/31600} : {@code /tiny} is the most that home reads of 20 hydrated statuses
 * (about 31.6 KB each) could reach as a share of a bare trivial endpoint if hydrating and writing
 * them cost nothing (docs/benchmarks.md, "What the transport alone allows").
 *
 * <pre>
 * java -cp bench/target/rookery-benchmarks.jar org.rookery.bench.http.BodySizeFloor serve 18181 &amp;
 * java -cp bench/target/rookery-benchmarks.jar org.rookery.bench.http.BodySizeFloor drive http://127.0.0.1:18181 10 /tiny /bytes/31600 /tiny /bytes/31600
 * </pre>
 */
public final class BodySizeFloor {
    private static final int IN_FLIGHT = 64;
    private static final int POOLS = 8;

    private BodySizeFloor() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("serve")) {
            serve(Integer.parseInt(args[1]));
        } else if (args.length >= 4 && args[0].equals("drive")) {
            URI base = URI.create(args[1]);
            double seconds = Double.parseDouble(args[2]);
            drive(base, seconds, Arrays.copyOfRange(args, 3, args.length));
        } else {
            System.err.println("usage: BodySizeFloor serve PORT | drive URL SECONDS PATH...");
            System.exit(2);
        }
    }

    private static void serve(int port) throws InterruptedException {
        byte[] tiny = json(600);
        Server server = Server.builder().http(port)
                .service("/tiny", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, HttpData.wrap(tiny)))
                .serviceUnder("/bytes/", (ctx, req) -> {
                    int n = Integer.parseInt(ctx.mappedPath().substring(1));
                    return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, HttpData.wrap(Bodies.of(n)));
                })
                .build();
        server.start().join();
        System.out.println("serving on " + port);
        Thread.currentThread().join();
    }

    /** Bodies by size, built once each. */
    private static final class Bodies {
        private static final ConcurrentHashMap<Integer, byte[]> BY_SIZE = new ConcurrentHashMap<>();

        static byte[] of(int size) {
            return BY_SIZE.computeIfAbsent(size, BodySizeFloor::json);
        }
    }

    /** A JSON array of {@code size} bytes (a string member padded to length). */
    static byte[] json(int size) {
        StringBuilder b = new StringBuilder(size).append("[{\"content\":\"");
        while (b.length() < size - 4) {
            b.append('x');
        }
        return b.append("\"}]").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void drive(URI base, double seconds, String[] paths) throws InterruptedException {
        EventLoopGroup loops = EventLoopGroups.newEventLoopGroup(1, "floor-io", true);
        WebClient[] clients = new WebClient[POOLS];
        for (int i = 0; i < POOLS; i++) {
            ClientFactory f = ClientFactory.builder().workerGroup(loops, false).build();
            clients[i] = WebClient.builder(base).factory(f).maxResponseLength(64L << 20).build();
        }
        for (String path : paths) {
            run(clients, path, 3); // warm
            long n = run(clients, path, seconds);
            System.out.printf(Locale.ROOT, "%-16s %,10.0f requests/s%n", path, n / seconds);
        }
        loops.shutdownGracefully();
    }

    private static long run(WebClient[] clients, String path, double seconds) throws InterruptedException {
        LongAdder done = new LongAdder();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        CountDownLatch slots = new CountDownLatch(IN_FLIGHT);
        for (int i = 0; i < IN_FLIGHT; i++) {
            next(clients[i % POOLS], path, end, done, slots);
        }
        slots.await((long) seconds + 30, TimeUnit.SECONDS);
        return done.sum();
    }

    private static void next(WebClient client, String path, long end, LongAdder done, CountDownLatch slots) {
        if (System.nanoTime() - end >= 0) {
            slots.countDown();
            return;
        }
        client.get(path).aggregate().whenComplete((r, e) -> {
            if (e == null && r.status().code() == 200 && System.nanoTime() - end < 0) {
                done.increment();
            }
            next(client, path, end, done, slots);
        });
    }
}
