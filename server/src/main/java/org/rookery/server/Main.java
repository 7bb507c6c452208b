package org.rookery.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.rookery.core.config.Config;
import org.rookery.core.config.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code rookery serve}, {@code rookery config-doc}. */
@Command(name = "rookery", mixinStandardHelpOptions = true, version = "rookery 0.1.0",
        description = "A microblogging platform on the architecture Twitter and Tumblr published.",
        subcommands = {Main.Serve.class, Main.ConfigDoc.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Runs the platform with embedded storage until interrupted. */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Run the whole platform in this process with embedded storage.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--port", description = "API port (default 8080; env ROOKERY_PORT).")
        @Nullable Integer port;

        @Option(names = "--admin-port", description = "Admin port (default 9990; env ROOKERY_ADMIN_PORT).")
        @Nullable Integer adminPort;

        @Option(names = "--data-dir", description = "Data directory (default ./data; env ROOKERY_DATA_DIR).")
        @Nullable String dataDir;

        @Option(names = "--set", description = "Any setting as key=value (see docs/configuration.md); repeatable.")
        List<String> settings = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Config.Builder b = Config.builder().env(System.getenv());
            for (String kv : settings) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new CommandLine.ParameterException(new CommandLine(this),
                            "--set: " + kv + " (expected: key=value)");
                }
                b.set(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (port != null) {
                b.set(Settings.PORT, port);
            }
            if (adminPort != null) {
                b.set(Settings.ADMIN_PORT, adminPort);
            }
            if (dataDir != null) {
                b.set(Settings.DATA_DIR, dataDir);
            }
            Config config = b.build();
            // The hook is in place before the start: a SIGTERM while the server warms up (it answers HTTP
            // by then) waits for the start to finish and then closes it cleanly, timeline snapshot included,
            // instead of ending the JVM with nothing closed.
            CompletableFuture<RookeryServer> started = new CompletableFuture<>();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.join().close();
                } catch (CompletionException e) {
                    // the start failed: nothing to close
                } finally {
                    stopped.countDown();
                }
            }, "rookery-shutdown"));
            RookeryServer server;
            try {
                server = RookeryServer.start(config);
            } catch (Throwable t) {
                started.completeExceptionally(t);
                throw t;
            }
            started.complete(server);
            System.out.println("Rookery is serving on http://" + config.get(Settings.BIND_ADDRESS) + ":" + server.port()
                    + " (admin on port " + server.adminPort() + ", data in " + config.get(Settings.DATA_DIR) + ")");
            stopped.await();
            return 0;
        }
    }

    /** Prints the configuration reference (docs/configuration.md). */
    @Command(name = "config-doc", description = "Print the configuration reference in Markdown.")
    static final class ConfigDoc implements Runnable {
        @Override
        public void run() {
            System.out.print(Settings.markdown());
        }
    }
}
