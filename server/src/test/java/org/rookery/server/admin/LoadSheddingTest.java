package org.rookery.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.Response;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * The in-flight limit on the public API: beyond it requests are answered at once with 503, a JSON
 * error and {@code Retry-After}, never queued; within it they are served.
 *
 * <p>The limit is 1 and a request is held in flight deterministically by sending its headers and
 * only half of its body over a raw socket: the server counts it from its headers until its response,
 * so every other request meanwhile must be shed.
 */
class LoadSheddingTest {
    @RegisterExtension
    static final RookeryServerExtension server =
            new RookeryServerExtension(Config.builder().set(Settings.MAX_INFLIGHT_REQUESTS, 1));

    private final ApiClient api = new ApiClient(server);

    private static double inflight() {
        Gauge g = server.server().registry().find("rookery.http.inflight.requests").gauge();
        assertThat(g).as("the in-flight gauge").isNotNull();
        return g.value();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    private static void assertShed(Response r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(r.header("Retry-After")).as(r.toString()).contains("1");
        assertThat(r.header("Content-Type").orElse("")).startsWith("application/json");
        assertThat(r.json().get("error").asText()).isEqualTo("Server is overloaded, retry later");
    }

    @Test
    void whileTheLimitIsTakenEveryOtherRequestIsShedAndAfterwardsServed() throws Exception {
        await("warm-up requests to finish", () -> inflight() == 0);
        byte[] body = "{\"client_name\":\"held\",\"redirect_uris\":\"urn:ietf:wg:oauth:2.0:oob\"}"
                .getBytes(StandardCharsets.UTF_8);
        try (Socket held = new Socket("127.0.0.1", server.port())) {
            held.setSoTimeout(10_000);
            OutputStream out = held.getOutputStream();
            out.write(("POST /api/v1/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 10);
            out.flush();
            await("the held request to take the only permit", () -> inflight() == 1);

            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Response>> burst = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    String path = i % 2 == 0 ? "/api/v1/instance" : "/api/v1/timelines/public";
                    burst.add(pool.submit(() -> api.get(path)));
                }
                for (Future<Response> f : burst) {
                    assertShed(f.get(10, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            assertShed(api.post("/api/v1/statuses", null, Map.of("status", "shed before authentication")));

            out.write(body, 10, body.length - 10);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(held.getInputStream(), StandardCharsets.ISO_8859_1));
            assertThat(in.readLine()).as("the held request is served").startsWith("HTTP/1.1 200");
        }
        await("the permit to come back", () -> inflight() == 0);
        assertThat(api.get("/api/v1/instance").status()).isEqualTo(200);

        String metrics = api.admin("GET", "/admin/metrics").body();
        assertThat(metrics).containsPattern("(?m)^rookery_http_shed_requests_total(\\{[^}]*\\})? (3[3-9]|[4-9][0-9]|[0-9]{3,})\\.0$");
        assertThat(metrics).as("shed requests appear in the route metrics as 503s")
                .containsPattern("rookery_http_requests_total\\{[^}]*status=\"503\"");
    }

    @Test
    void underConcurrentLoadEveryAnswerIsServedOrExplicitlyShed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        int served = 0;
        int shed = 0;
        try {
            List<Future<Response>> calls = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                calls.add(pool.submit(() -> api.get("/api/v1/instance")));
            }
            for (Future<Response> f : calls) {
                Response r = f.get(30, TimeUnit.SECONDS);
                if (r.status() == 200) {
                    served++;
                } else {
                    assertShed(r);
                    shed++;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(served + shed).isEqualTo(400);
        assertThat(served).as("some requests get through a limit of 1").isPositive();
        // How many are shed depends on timing; the deterministic case is the test above.
        System.out.printf("400 concurrent requests against a limit of 1: %d served, %d shed%n", served, shed);
        await("every permit to come back", () -> inflight() == 0);
    }
}
