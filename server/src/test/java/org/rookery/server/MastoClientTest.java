package org.rookery.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * Proof that existing Mastodon apps work: {@code clients/masto-test/masto-flow.mjs} drives a real
 * server with masto.js (the npm client library behind Elk, Phanpy and many bots) through apps,
 * OAuth, sign-up, posting, replies, reposts, favourites, follows, Link-header paging, context,
 * relationships and deletion. The script asserts each step itself and exits non-zero on the first
 * failure; this test runs it and shows its output when it fails.
 *
 * <p>masto.js needs Node 22, which the npm package {@code node@22} installs as
 * {@code node_modules/.bin/node}; {@code ./rookery test} runs {@code npm ci} before Maven, and this
 * test runs it itself when the install is missing, so {@code mvn test} alone works too.
 */
class MastoClientTest {
    /** Maven runs a module's tests with the module directory as the working directory. */
    private static final Path CLIENT_DIR = Path.of("..", "clients", "masto-test").toAbsolutePath().normalize();
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration FLOW_TIMEOUT = Duration.ofMinutes(3);

    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void installMastoJsAndNode22() throws Exception {
        assertThat(CLIENT_DIR.resolve("masto-flow.mjs"))
                .as("the masto.js client test (run from %s)", Path.of("").toAbsolutePath())
                .isRegularFile();
        if (installed()) {
            return;
        }
        Path npm = onPath("npm").orElseGet(() -> fail(
                "npm is not on PATH: the masto.js client test needs Node.js and npm to install masto and Node 22 into "
                        + CLIENT_DIR + " (e.g. apt-get install nodejs npm, or run ./rookery test once)"));
        Result install = run(List.of(npm.toString(), "ci", "--no-audit", "--no-fund", "--loglevel=error"),
                tmp.resolve("npm-ci.log"), INSTALL_TIMEOUT);
        assertThat(install.exitCode())
                .as("npm ci in %s failed; its output:%n%s", CLIENT_DIR, install.output())
                .isZero();
        assertThat(installed())
                .as("npm ci in %s succeeded but left no node_modules/.bin/node or masto; its output:%n%s",
                        CLIENT_DIR, install.output())
                .isTrue();
    }

    @Test
    void mastoJsRunsTheWholeMastodonAppFlowAgainstTheServer() throws Exception {
        Result flow = run(List.of(CLIENT_DIR.resolve("node_modules/.bin/node").toString(), "masto-flow.mjs"),
                tmp.resolve("masto-flow.log"), FLOW_TIMEOUT);

        assertThat(flow.exitCode())
                .as("masto-flow.mjs against %s exited non-zero; its output:%n%s", server.baseUrl(), flow.output())
                .isZero();
        assertThat(flow.output()).contains("masto-flow: all steps passed");
        System.out.print(flow.output()); // the steps it passed, for the test log
    }

    private static boolean installed() {
        return Files.isExecutable(CLIENT_DIR.resolve("node_modules/.bin/node"))
                && Files.isRegularFile(CLIENT_DIR.resolve("node_modules/masto/package.json"));
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private record Result(int exitCode, String output) {}

    /** Runs a command in the client directory, stdout and stderr to {@code log}; fails if it outlives the timeout. */
    private static Result run(List<String> command, Path log, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(CLIENT_DIR.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("ROOKERY_URL", server.baseUrl());
        Process process = pb.start();
        boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // npm runs its scripts in children
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " in " + CLIENT_DIR + " did not finish within " + timeout
                    + "; its output so far:\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
