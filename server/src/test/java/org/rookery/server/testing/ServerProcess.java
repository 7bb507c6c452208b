package org.rookery.server.testing;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Rookery server in a separate JVM ({@code org.rookery.server.Main serve}), for tests that must
 * kill it the hard way and start it again on the same data directory. The child runs with this JVM's
 * {@code java} binary and class path, free loopback ports (it binds port 0 and announces what it got,
 * so no other process can take the port between choosing and binding) and cheap password hashing.
 * Its stdout and stderr go to {@code logFile}; {@link #logTail} returns the end for failure messages.
 *
 * <p>A JVM loads classes lazily, so a child started from {@code target/classes} breaks if a build
 * rewrites that directory while it runs, and a restart would run another build than the first start.
 * {@link #snapshotClassPath} copies the class directories once, for all the starts of a test.
 *
 * <p>{@link #start} returns once {@code GET /api/v1/instance} answers 200. This class is not
 * thread-safe; {@link #baseUrl} may be read from any thread once {@code start} returned.
 *
 * <pre>{@code
 * String classPath = ServerProcess.snapshotClassPath(tmp.resolve("classes"));
 * try (ServerProcess server = ServerProcess.start(classPath, dataDir, tmp.resolve("server-1.log"))) {
 *     ... post to server.uri("/api/v1/statuses") ...
 *     server.kill(); // SIGKILL: no shutdown hook, no flush, no graceful close
 * }
 * try (ServerProcess again = ServerProcess.start(classPath, dataDir, tmp.resolve("server-2.log"))) { ... }
 * }</pre>
 */
public final class ServerProcess implements AutoCloseable {
    /** How long a start may take: JVM start, RocksDB recovery, both servers bound. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern ANNOUNCED = Pattern.compile(
            "Rookery is serving on http://\\S+:(\\d+) \\(admin on port (\\d+)");
    private static final int TAIL_LINES = 60;

    private final Process process;
    private final Path logFile;
    private final int port;
    private final int adminPort;

    private ServerProcess(Process process, Path logFile, int port, int adminPort) {
        this.process = process;
        this.logFile = logFile;
        this.port = port;
        this.adminPort = adminPort;
    }

    /**
     * This JVM's class path with every directory on it copied under {@code dir}, so that the servers a
     * test starts all run the classes as they were now (jars are left where they are).
     */
    public static String snapshotClassPath(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        String[] entries = System.getProperty("java.class.path").split(File.pathSeparator);
        for (int i = 0; i < entries.length; i++) {
            Path from = Path.of(entries[i]);
            if (!Files.isDirectory(from)) {
                out.add(entries[i]);
                continue;
            }
            Path to = dir.resolve(i + "-" + from.getFileName());
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path target = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            out.add(to.toString());
        }
        return String.join(File.pathSeparator, out);
    }

    /**
     * Starts {@code rookery serve} with {@code classPath} on {@code dataDir}, with {@code extraSettings}
     * ({@code key=value}) after the test defaults, and waits until it serves the API.
     *
     * @throws IllegalStateException if it exits or is not ready within {@link #START_TIMEOUT}; the
     *     message carries the tail of its log
     */
    public static ServerProcess start(String classPath, Path dataDir, Path logFile, String... extraSettings)
            throws IOException {
        requireNonNull(classPath, "classPath");
        requireNonNull(dataDir, "dataDir");
        requireNonNull(logFile, "logFile");
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(() ->
                        new IllegalStateException("cannot tell which java binary runs this JVM")),
                "-Xmx512m",
                // A short-lived server on a shared test machine: a fast start matters more than peak speed.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath,
                "org.rookery.server.Main", "serve",
                "--port", "0",
                "--admin-port", "0",
                "--data-dir", dataDir.toString(),
                "--set", "rookery.bind.address=127.0.0.1",
                "--set", "rookery.password.hash.memory.kb=64",
                "--set", "rookery.password.hash.iterations=1"));
        for (String kv : extraSettings) {
            command.add("--set");
            command.add(kv);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<int[]> announced = new CompletableFuture<>();
        Thread pump = Thread.ofPlatform().daemon(true).name("server-process-log-" + process.pid())
                .start(() -> pump(process, logFile, announced));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try {
            int[] ports = announced.get(START_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
            ServerProcess server = new ServerProcess(process, logFile, ports[0], ports[1]);
            server.awaitApi(deadline);
            return server;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failedStart(process, pump, logFile, "interrupted", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw failedStart(process, pump, logFile, e.toString(), e);
        }
    }

    /** Copies the child's output to the log file and completes {@code announced} with its ports. */
    private static void pump(Process process, Path logFile, CompletableFuture<int[]> announced) {
        try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.write(line);
                out.write('\n');
                out.flush();
                Matcher m = ANNOUNCED.matcher(line);
                if (!announced.isDone() && m.find()) {
                    announced.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
        } catch (IOException e) {
            announced.completeExceptionally(e);
        } finally {
            if (!announced.isDone()) {
                announced.completeExceptionally(new IllegalStateException(
                        "the server exited before it was serving (exit code " + exitCode(process) + ")"));
            }
        }
    }

    private static String exitCode(Process process) {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "none yet";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static IllegalStateException failedStart(Process process, Thread pump, Path logFile, String why,
                                                     Exception cause) {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            pump.join(Duration.ofSeconds(5)); // the pipe closes when the process is gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new IllegalStateException("rookery serve did not start (" + why + "); the end of "
                + logFile + ":\n" + tail(logFile, TAIL_LINES), cause);
    }

    /** Polls the instance endpoint until it answers 200; the server announced itself, so this is brief. */
    private void awaitApi(long deadlineNanos) throws InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpRequest get = HttpRequest.newBuilder(uri("/api/v1/instance")).timeout(Duration.ofSeconds(5)).build();
            String last = "no answer";
            while (System.nanoTime() < deadlineNanos) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the server exited (exit code " + process.exitValue() + ")");
                }
                try {
                    HttpResponse<Void> r = http.send(get, HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) {
                        return;
                    }
                    last = "HTTP " + r.statusCode();
                } catch (IOException e) {
                    last = e.toString();
                }
                Thread.onSpinWait();
            }
            throw new IllegalStateException("GET /api/v1/instance never answered 200 (last: " + last + ")");
        }
    }

    /**
     * Kills the server with SIGKILL (what {@link Process#destroyForcibly()} sends on Linux): no shutdown
     * hook runs, nothing is flushed or closed. Returns once the process is gone, with its exit code
     * (137, 128 + SIGKILL, on Linux).
     *
     * @throws IllegalStateException if it is still alive 10 seconds later
     */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pid " + process.pid() + " survived SIGKILL for 10 seconds");
        }
        return process.exitValue();
    }

    /**
     * Stops the server with SIGTERM (what {@link Process#destroy()} sends on Linux), as an operator's
     * {@code kill} or Ctrl-C does: its shutdown hook closes it cleanly. Returns its exit code once gone.
     *
     * @throws IllegalStateException if it is still alive 60 seconds later
     */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pid " + process.pid() + " still running 60 s after SIGTERM");
        }
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return adminPort;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public URI uri(String path) {
        return URI.create(baseUrl() + path);
    }

    public Path logFile() {
        return logFile;
    }

    /** The last {@code lines} lines the server wrote. */
    public String logTail(int lines) {
        return tail(logFile, lines);
    }

    private static String tail(Path file, int lines) {
        if (!Files.exists(file)) {
            return "(no output)";
        }
        ArrayDeque<String> last = new ArrayDeque<>(lines);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (last.size() == lines) {
                    last.removeFirst();
                }
                last.addLast(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return last.isEmpty() ? "(no output)" : String.join("\n", last);
    }

    /** Kills the server if it still runs (a test that failed half-way must not leave it behind). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
