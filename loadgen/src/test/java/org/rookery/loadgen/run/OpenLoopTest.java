package org.rookery.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The open loop against a server that stalls: one thread answers every request, and request number
 * {@code STALL_AT} holds that thread for {@code STALL_MS}, so every request that arrives meanwhile
 * waits. A generator with coordinated omission would record one slow request; an open loop records
 * the stall in every request that was due during it.
 */
@Timeout(60)
class OpenLoopTest {
    private static final int STALL_AT = 100;
    private static final long STALL_MS = 500;
    private static final double RATE = 200;

    private HttpServer server;
    private HttpTarget target;
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch never = new CountDownLatch(1);

    @BeforeEach
    void startStallingServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1000);
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.createContext("/", exchange -> {
            if (requests.incrementAndGet() == STALL_AT) {
                try {
                    never.await(STALL_MS, TimeUnit.MILLISECONDS); // the stall: nothing ever counts this down
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = "ok".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        target = HttpTarget.create(uri, uri, Duration.ofSeconds(10), 1);
    }

    @AfterEach
    void stop() {
        target.close();
        server.stop(0);
    }

    private OpenLoop.Operation ping() {
        return () -> target.get("/ping", null).thenApply(r -> Outcome.of(r.status().code()));
    }

    /** Runs {@code stats}'s operation at {@code profile} for {@code length}, waits for every answer, closes the stats. */
    private static void runOpenLoop(OpStats stats, OpenLoop.Operation operation, RateProfile profile, int maxOutstanding, Duration length) {
        OpenLoop loop = new OpenLoop(List.of(new OpenLoop.Stream(stats, operation, profile)), maxOutstanding);
        long start = System.nanoTime();
        stats.measureFrom(start);
        loop.run(start, length.toNanos());
        assertThat(loop.awaitQuiet(Duration.ofSeconds(10))).as("every request answered").isTrue();
        stats.tick(length.toNanos() / 1e9);
    }

    @Test
    void requestsDueDuringAStallRecordTheStallInTheirLatency() {
        OpStats stats = new OpStats("ping", RATE);
        runOpenLoop(stats, ping(), RateProfile.constant(RATE), 10_000, Duration.ofMillis(1500));
        Histogram h = stats.histogram();

        assertThat(h.getTotalCount()).as("every scheduled request answered").isEqualTo(300);
        assertThat(h.getMaxValue() / 1000.0).as("the longest latency holds the whole stall (ms)").isGreaterThanOrEqualTo(STALL_MS);
        // Requests were due every 5 ms during the 500 ms stall: the ~60 due in its first 300 ms waited
        // at least 200 ms each. Coordinated omission would leave just one slow request here.
        long waitedOver200ms = h.getCountBetweenValues(200_000, Long.MAX_VALUE);
        assertThat(waitedOver200ms).as("requests that waited >= 200 ms").isGreaterThanOrEqualTo(50);
        assertThat(stats.errors() + stats.shed() + stats.overflow()).isZero();
    }

    @Test
    void aGeneratorThatStallsItselfRecordsHowLateItSentApartFromTheLatency() {
        // The stall is in the generator this time: request STALL_AT holds the sending thread. The
        // server answers at once, so the requests due meanwhile are late because they were sent late.
        requests.set(-1_000_000); // no stall in the server
        AtomicInteger issued = new AtomicInteger();
        OpenLoop.Operation stallsOnce = () -> {
            if (issued.incrementAndGet() == STALL_AT) {
                try {
                    never.await(STALL_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ping().issue();
        };
        OpStats stats = new OpStats("ping", RATE);
        runOpenLoop(stats, stallsOnce, RateProfile.constant(RATE), 10_000, Duration.ofMillis(1500));
        Histogram late = stats.sendLag();

        assertThat(late.getTotalCount()).as("every request sent").isEqualTo(300);
        // The request after the stalled one was due 5 ms into the 500 ms stall and sent at its end.
        assertThat(late.getMaxValue() / 1000.0).as("the longest send lag (ms)").isGreaterThanOrEqualTo(STALL_MS - 10);
        assertThat(late.getCountBetweenValues(200_000, Long.MAX_VALUE)).as("requests sent >= 200 ms late").isGreaterThanOrEqualTo(50);
        assertThat(stats.histogram().getMaxValue()).as("and their latency, from when they were due, holds it too")
                .isGreaterThanOrEqualTo(late.getMaxValue());
    }

    @Test
    void requestsDueWhileTooManyAreOutstandingAreCountedAsOverflowNotDropped() {
        OpStats stats = new OpStats("ping", RATE);
        runOpenLoop(stats, ping(), RateProfile.constant(RATE), 10, Duration.ofMillis(1500));

        assertThat(stats.overflow()).as("due during the stall beyond the 10 outstanding").isGreaterThan(50);
        assertThat(stats.histogram().getTotalCount() + stats.overflow()).as("answered + overflow = scheduled").isEqualTo(300);
    }

    @Test
    void aRateProfileChangesTheRateAtEachPhase() {
        OpStats stats = new OpStats("ping", 0);
        RateProfile spike = RateProfile.phases(new double[] {0, 0.5, 0.7}, new double[] {100, 1000, 100});
        requests.set(-1_000_000); // no stall in this test
        runOpenLoop(stats, ping(), spike, 10_000, Duration.ofSeconds(1));

        // 0.5 s at 100/s + 0.2 s at 1000/s + 0.3 s at 100/s
        assertThat(spike.expectedCount(1)).isEqualTo(280.0, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(stats.histogram().getTotalCount()).isEqualTo(280);
    }
}
