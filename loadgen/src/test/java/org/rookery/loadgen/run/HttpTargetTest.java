package org.rookery.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HttpTarget#getDiscardingBody}: the status of a whole response, whatever its size, and failures as failures. */
class HttpTargetTest {
    private static final int BIG = 3 << 20; // many HTTP frames and buffers, each to be released

    private HttpServer server;
    private HttpTarget target;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        server.createContext("/big", ex -> {
            byte[] chunk = new byte[64 << 10];
            Arrays.fill(chunk, (byte) 'x');
            ex.sendResponseHeaders(200, BIG);
            try (OutputStream out = ex.getResponseBody()) {
                for (int sent = 0; sent < BIG; sent += chunk.length) {
                    out.write(chunk);
                }
            }
        });
        server.createContext("/shed", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        server.createContext("/half", ex -> {
            ex.sendResponseHeaders(200, 1000); // promises 1,000 bytes, sends 10, then hangs up
            ex.getResponseBody().write(new byte[10]);
            ex.getResponseBody().flush();
            ex.getHttpContext().getServer().stop(0);
        });
        server.createContext("/stall", ex -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        target = HttpTarget.create(uri, uri, Duration.ofSeconds(2), 1);
    }

    @AfterEach
    void stop() {
        release.countDown();
        target.close();
        server.stop(0);
    }

    @Test
    void aBigBodyIsReadToItsEndAndItsStatusGiven() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(target.getDiscardingBody("/big", "Bearer x").get(30, TimeUnit.SECONDS)).isEqualTo(200);
        }
        // The same response aggregated has every byte: the discarding read waited for all of them too.
        assertThat(target.get("/big", null).get(30, TimeUnit.SECONDS).content().length()).isEqualTo(BIG);
    }

    @Test
    void aSheddingAnswerGivesItsStatus() throws Exception {
        int status = target.getDiscardingBody("/shed", null).get(30, TimeUnit.SECONDS);
        assertThat(status).isEqualTo(503);
        assertThat(Outcome.of(status)).isEqualTo(Outcome.SHED);
    }

    @Test
    void aTimeoutOrABrokenResponseFails() {
        assertThatThrownBy(() -> target.getDiscardingBody("/stall", null).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
        assertThatThrownBy(() -> target.getDiscardingBody("/half", null).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
    }
}
