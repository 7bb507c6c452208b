package org.rookery.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.core.timeline.TimelineSnapshot;
import org.rookery.server.RookeryServer;

/**
 * A real Rookery server for a test class (Armeria's ServerExtension habit): embedded RocksDB in a
 * temporary directory, API and admin on free loopback ports, a cheap password hash so sign-ups are
 * fast. Declare it as a static field with {@code @RegisterExtension}.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RookeryServerExtension server = new RookeryServerExtension();
 * ... HttpClient.send(HttpRequest.newBuilder(server.uri("/api/v1/instance")).build(), ...)
 * }</pre>
 */
public class RookeryServerExtension implements BeforeAllCallback, AfterAllCallback {
    private final Config.Builder config;
    private Path dataDir;
    private RookeryServer server;

    public RookeryServerExtension() {
        this(Config.builder());
    }

    /** A server with extra settings on top of the test defaults. */
    public RookeryServerExtension(Config.Builder config) {
        this.config = config;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dataDir = Files.createTempDirectory("rookery-test");
        start();
    }

    private void start() {
        server = RookeryServer.start(config
                .set(Settings.PORT, 0)
                .set(Settings.ADMIN_PORT, 0)
                .set(Settings.DATA_DIR, dataDir.toString())
                .set(Settings.PASSWORD_HASH_MEMORY_KB, 64)
                .set(Settings.PASSWORD_HASH_ITERATIONS, 1)
                .set(Settings.TIMELINE_MEMORY_BYTES, 64L << 20)
                .set(Settings.TIMELINE_MAX_USERS, 1 << 16)
                .set(Settings.TWEET_INDEX_CAPACITY, 1 << 16)
                .build());
    }

    /** Stops the server and starts it again on the same data (new ports). */
    public void restart() {
        server.close();
        start();
    }

    /**
     * Like {@link #restart}, with the timeline snapshot of the clean stop deleted before the start: as
     * after a crash, the start rebuilds timelines from the store.
     */
    public void restartWithoutTimelineSnapshot() {
        server.close();
        try {
            Files.delete(dataDir.resolve(TimelineSnapshot.FILE_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        start();
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
        }
        if (dataDir != null) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Fanout is asynchronous: waits (with a deadline) until its consumer has applied everything. */
    public void awaitFanout() {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        while (!server().timelines().consumer().caughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fanout did not catch up within 20 s");
            }
            Thread.onSpinWait();
        }
    }

    /** Memory-first reads so far with this outcome ({@code served} or {@code deferred}). */
    public double memoryFirstRequests(String outcome) {
        return server().registry().get("rookery.http.memory.first.requests").tag("outcome", outcome)
                .functionCounter().count();
    }

    public RookeryServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public URI uri(String path) {
        return URI.create(baseUrl() + path);
    }

    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + server.adminPort() + path);
    }
}
