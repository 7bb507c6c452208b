package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.core.timeline.TimelineSnapshot;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/** With {@code rookery.timeline.snapshot=false} a clean stop writes no snapshot and the start rebuilds from the store. */
class TimelineSnapshotOffTest {
    @RegisterExtension
    static final RookeryServerExtension server =
            new RookeryServerExtension(Config.builder().set(Settings.TIMELINE_SNAPSHOT, false));

    private final ApiClient api = new ApiClient(server);

    @Test
    void aCleanRestartWritesNoSnapshotAndRebuildsTimelines() {
        User reader = api.newUser("offreader");
        User writer = api.newUser("offwriter");
        api.post("/api/v1/accounts/" + writer.id() + "/follow", reader.token()).ok();
        String post = api.postStatus(writer, "rebuilt after the restart").get("id").asText();
        server.awaitFanout();
        assertThat(api.get("/api/v1/timelines/home", reader.token()).ok().get(0).get("id").asText()).isEqualTo(post);

        server.restart();
        assertThat(server.dataDir().resolve(TimelineSnapshot.FILE_NAME)).doesNotExist();
        assertThat(server.server().timelines().restored().users()).isZero();
        JsonNode home = api.get("/api/v1/timelines/home", reader.token()).ok();
        assertThat(home.get(0).get("id").asText()).isEqualTo(post);
    }
}
