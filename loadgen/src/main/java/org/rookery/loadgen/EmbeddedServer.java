package org.rookery.loadgen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import org.rookery.server.RookeryServer;

/**
 * A Rookery server in this process for one-command runs: a fresh data directory under the system
 * temp dir (deleted on close), API and admin on free loopback ports, durable writes as in
 * production, and a cheap password hash (the generator's accounts never sign in with one). Extra
 * settings ({@code --set key=value}) override these defaults. Thread-safe; close once.
 */
public final class EmbeddedServer implements AutoCloseable {
    private final Path dataDir;
    private final RookeryServer server;

    private EmbeddedServer(Path dataDir, RookeryServer server) {
        this.dataDir = dataDir;
        this.server = server;
    }

    public static EmbeddedServer start(Map<String, String> settings) {
        Path dir;
        try {
            dir = Files.createTempDirectory("rookery-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Config.Builder b = Config.builder()
                .set(Settings.PORT, 0)
                .set(Settings.ADMIN_PORT, 0)
                .set(Settings.BIND_ADDRESS, "127.0.0.1")
                .set(Settings.DATA_DIR, dir.toString())
                .set(Settings.PASSWORD_HASH_MEMORY_KB, 64)
                .set(Settings.PASSWORD_HASH_ITERATIONS, 1);
        settings.forEach(b::set);
        try {
            return new EmbeddedServer(dir, RookeryServer.start(b.build()));
        } catch (RuntimeException e) {
            delete(dir);
            throw e;
        }
    }

    public URI apiUri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public URI adminUri() {
        return URI.create("http://127.0.0.1:" + server.adminPort());
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            delete(dataDir);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temp directory is not worth failing a finished run for.
        }
    }
}
