package org.rookery.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.core.timeline.TimelineSnapshot;
import org.rookery.server.testing.ServerProcess;

/**
 * The timeline snapshot through the real process: {@code rookery serve} stopped with SIGTERM writes
 * it from its shutdown hook, the next start loads and deletes it, and a SIGKILL leaves none for the
 * start after.
 */
class TimelineSnapshotProcessTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sigtermWritesTheSnapshotTheNextStartLoadsAndSigkillLeavesNone() throws Exception {
        Path dataDir = tmp.resolve("data");
        Path snapshot = dataDir.resolve(TimelineSnapshot.FILE_NAME);
        String classPath = ServerProcess.snapshotClassPath(tmp.resolve("classes"));

        try (ServerProcess first = ServerProcess.start(classPath, dataDir, tmp.resolve("server-1.log"))) {
            assertThat(first.stop()).as(first.logTail(20)).isEqualTo(143); // 128 + SIGTERM, after the hook ran
            assertThat(snapshot).as(first.logTail(20)).exists();
        }
        try (ServerProcess second = ServerProcess.start(classPath, dataDir, tmp.resolve("server-2.log"))) {
            assertThat(Files.readString(second.logFile())).contains("Loaded the timeline snapshot");
            assertThat(snapshot).as("used once").doesNotExist();
            second.kill();
            assertThat(snapshot).as("no hook ran").doesNotExist();
        }
        try (ServerProcess third = ServerProcess.start(classPath, dataDir, tmp.resolve("server-3.log"))) {
            assertThat(Files.readString(third.logFile())).doesNotContain("Loaded the timeline snapshot");
        }
    }
}
