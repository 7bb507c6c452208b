package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * A server counted as busy hands memory-first reads straight to the blocking-task executor: with
 * {@code rookery.http.memory.first.max.inflight=1} the read itself is one request in flight, so no
 * read is tried on the event loop, and the answers are the same.
 */
class MemoryFirstBusyApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension(
            Config.builder().set(Settings.HTTP_MEMORY_FIRST_MAX_INFLIGHT, 1));

    private final ApiClient api = new ApiClient(server);

    @Test
    void aBusyServerReadsOnTheBlockingExecutorOnly() {
        User reader = api.newUser("busyreader");
        User writer = api.newUser("busywriter");
        api.post("/api/v1/accounts/" + writer.id() + "/follow", reader.token(), Map.of()).ok();
        api.postStatus(writer, "hello");
        server.awaitFanout();
        double busyBefore = server.memoryFirstRequests("busy");
        for (int i = 0; i < 3; i++) {
            JsonNode page = api.get("/api/v1/timelines/home", reader.token()).ok();
            assertThat(page).hasSize(1);
            assertThat(page.get(0).get("content").asText()).isEqualTo("<p>hello</p>");
        }
        assertThat(api.get("/api/v1/instance", null).ok().get("uri").asText()).isNotEmpty();
        assertThat(server.memoryFirstRequests("served")).isZero();
        assertThat(server.memoryFirstRequests("deferred")).isZero();
        assertThat(server.memoryFirstRequests("busy") - busyBefore).as("3 home reads and an instance read, each handed over as busy")
                .isEqualTo(4);
    }
}
