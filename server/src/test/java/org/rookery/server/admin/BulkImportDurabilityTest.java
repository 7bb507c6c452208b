package org.rookery.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.server.testing.ServerProcess;

/**
 * Acknowledged bulk imports are durable: a server in its own JVM imports accounts and follows, is
 * killed with SIGKILL as soon as the calls are answered, and after a restart on the same data every
 * imported account, token and follow is there (and importing again finds them all done).
 */
class BulkImportDurabilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ACCOUNTS = 500;
    private static final int STARS = 5;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private JsonNode send(URI uri, String method, String token, String contentType, String body, int expected)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, uri, r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    private static URI admin(ServerProcess s, String path) {
        return URI.create("http://127.0.0.1:" + s.adminPort() + path);
    }

    private static List<String> names() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            out.add(String.format("durable%05d", i));
        }
        return out;
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void importedAccountsTokensAndFollowsSurviveAKill() throws Exception {
        String classPath = ServerProcess.snapshotClassPath(tmp.resolve("classes"));
        Path data = tmp.resolve("data");
        String accountsBody = JSON.writeValueAsString(Map.of("usernames", names()));
        List<String> ids = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        StringBuilder edges = new StringBuilder();
        try (ServerProcess server = ServerProcess.start(classPath, data, tmp.resolve("first.log"))) {
            JsonNode accounts = send(admin(server, "/admin/bulk/accounts"), "POST", null, "application/json",
                    accountsBody, 200).get("accounts");
            for (JsonNode a : accounts) {
                ids.add(a.get("id").asText());
                tokens.add(a.get("access_token").asText());
            }
            for (int f = 0; f < ACCOUNTS; f++) {
                for (int s = 0; s < STARS; s++) {
                    edges.append(ids.get(f)).append(' ').append(ids.get(s)).append('\n');
                }
            }
            JsonNode r = send(admin(server, "/admin/bulk/follows"), "POST", null, "text/plain", edges.toString(), 200);
            assertThat(r.get("followed").asLong()).isEqualTo((long) ACCOUNTS * STARS - STARS);
            assertThat(r.get("rejected")).as("the stars' self-follows").hasSize(STARS);
            server.kill(); // at once: nothing but the acknowledgement stands between the import and the kill
        }
        try (ServerProcess server = ServerProcess.start(classPath, data, tmp.resolve("second.log"))) {
            for (int i : new int[] {0, 1, 250, ACCOUNTS - 1}) {
                JsonNode me = send(server.uri("/api/v1/accounts/verify_credentials"), "GET", tokens.get(i), null, null, 200);
                assertThat(me.get("id").asText()).isEqualTo(ids.get(i));
                assertThat(me.get("username").asText()).isEqualTo(names().get(i));
            }
            for (int s = 0; s < STARS; s++) {
                JsonNode star = send(server.uri("/api/v1/accounts/" + ids.get(s)), "GET", null, null, null, 200);
                assertThat(star.get("followers_count").asInt()).as("star %s", s).isEqualTo(ACCOUNTS - 1);
            }
            JsonNode fan = send(server.uri("/api/v1/accounts/" + ids.get(ACCOUNTS - 1)), "GET", null, null, null, 200);
            assertThat(fan.get("following_count").asInt()).isEqualTo(STARS);

            JsonNode again = send(admin(server, "/admin/bulk/accounts"), "POST", null, "application/json",
                    accountsBody, 200).get("accounts");
            for (int i = 0; i < ACCOUNTS; i++) {
                assertThat(again.get(i).get("id").asText()).isEqualTo(ids.get(i));
                tokens.set(i, again.get(i).get("access_token").asText()); // the rerun revoked the first ones
            }
            JsonNode r = send(admin(server, "/admin/bulk/follows"), "POST", null, "text/plain", edges.toString(), 200);
            assertThat(r.get("followed").asLong()).isZero();
            assertThat(r.get("already").asLong()).isEqualTo((long) ACCOUNTS * STARS - STARS);

            // The restored graph drives fanout: a star's new post reaches a follower's home timeline.
            send(server.uri("/api/v1/statuses"), "POST", tokens.get(0), "application/json",
                    "{\"status\":\"after the restart\"}", 200);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                JsonNode home = send(server.uri("/api/v1/timelines/home"), "GET", tokens.get(ACCOUNTS - 1), null, null, 200);
                if (home.size() == 1 && home.get(0).get("content").asText().contains("after the restart")) {
                    break;
                }
                assertThat(System.nanoTime()).as("home timeline after 20 s: %s", home).isLessThan(deadline);
                Thread.onSpinWait();
            }
        }
    }
}
