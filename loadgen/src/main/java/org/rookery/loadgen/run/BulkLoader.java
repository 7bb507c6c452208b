package org.rookery.loadgen.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.MediaType;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.rookery.loadgen.graph.FollowerGraph;

/**
 * Puts a {@link FollowerGraph} on a server through its admin bulk endpoints:
 * {@code POST /admin/bulk/accounts} (up to 10,000 usernames a call; idempotent by username) and
 * {@code POST /admin/bulk/follows} (up to 100,000 {@code "follower followee"} lines a call, through
 * the server's durable write path), several calls in flight at once. Re-running against the same
 * server with the same prefix reuses the accounts and finds the follows already there.
 *
 * <p>Not thread-safe; one load at a time.
 */
public final class BulkLoader {
    public static final int MAX_ACCOUNTS_PER_CALL = 10_000;
    public static final int MAX_FOLLOWS_PER_CALL = 100_000;
    private static final int MAX_ATTEMPTS = 5;

    private final HttpTarget http;
    private final ObjectMapper mapper = new ObjectMapper();
    private final int parallel;
    private final PrintStream log;

    /** What loading the follows did. */
    public record FollowResult(long followed, long already, long rejected, double seconds) {
    }

    public BulkLoader(HttpTarget http, int parallel, PrintStream log) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel: " + parallel + " (expected: > 0)");
        }
        this.http = http;
        this.parallel = parallel;
        this.log = log;
    }

    /** Creates (or finds) accounts {@code prefix0 .. prefix(n-1)}. */
    public Accounts accounts(String prefix, int n) {
        long[] ids = new long[n];
        String[] auth = new String[n];
        Semaphore slots = new Semaphore(parallel);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int from = 0; from < n && failure.get() == null; from += MAX_ACCOUNTS_PER_CALL) {
            int to = Math.min(n, from + MAX_ACCOUNTS_PER_CALL);
            ObjectNode body = mapper.createObjectNode();
            ArrayNode names = body.putArray("usernames");
            for (int u = from; u < to; u++) {
                names.add(Accounts.username(prefix, u));
            }
            slots.acquireUninterruptibly();
            calls.add(postRetrying("/admin/bulk/accounts", MediaType.JSON_UTF_8, body.toString(), 1).thenAccept(r -> {
                JsonNode json = parse(r, "/admin/bulk/accounts");
                for (JsonNode a : json.path("accounts")) {
                    String name = a.path("username").asText();
                    if (!name.startsWith(prefix)) {
                        continue;
                    }
                    int u;
                    try {
                        u = Integer.parseInt(name.substring(prefix.length()));
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    if (u >= 0 && u < n) {
                        ids[u] = Long.parseLong(a.path("id").asText());
                        auth[u] = HttpTarget.bearer(a.path("access_token").asText());
                    }
                }
            }).whenComplete((v, t) -> {
                if (t != null) {
                    failure.compareAndSet(null, t);
                }
                slots.release();
            }));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).exceptionally(t -> null).join();
        if (failure.get() != null) {
            throw new IllegalStateException("creating accounts failed: " + rootMessage(failure.get()), failure.get());
        }
        for (int u = 0; u < n; u++) {
            if (auth[u] == null) {
                throw new IllegalStateException("/admin/bulk/accounts: no account or token came back for "
                        + Accounts.username(prefix, u));
            }
        }
        return new Accounts(prefix, ids, auth);
    }

    /** Makes every edge of {@code graph} a follow on the server. */
    public FollowResult follows(FollowerGraph graph, Accounts accounts) {
        long started = System.nanoTime();
        Semaphore slots = new Semaphore(parallel);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong followed = new AtomicLong();
        AtomicLong already = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        StringBuilder batch = new StringBuilder(MAX_FOLLOWS_PER_CALL * 40);
        int inBatch = 0;
        long sent = 0;
        long nextReport = 1_000_000;
        for (int followee = 0; followee < graph.users() && failure.get() == null; followee++) {
            String target = Long.toString(accounts.id(followee));
            for (int i = graph.start(followee); i < graph.end(followee); i++) {
                batch.append(accounts.id(graph.followerAt(i))).append(' ').append(target).append('\n');
                if (++inBatch == MAX_FOLLOWS_PER_CALL) {
                    calls.add(sendFollows(batch.toString(), slots, failure, followed, already, rejected));
                    sent += inBatch;
                    batch.setLength(0);
                    inBatch = 0;
                    if (sent >= nextReport) {
                        log.printf("  follows sent: %,d of %,d (%.1f s)%n", sent, graph.edges(), (System.nanoTime() - started) / 1e9);
                        nextReport += 1_000_000;
                    }
                }
            }
        }
        if (inBatch > 0 && failure.get() == null) {
            calls.add(sendFollows(batch.toString(), slots, failure, followed, already, rejected));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).exceptionally(t -> null).join();
        if (failure.get() != null) {
            throw new IllegalStateException("loading follows failed: " + rootMessage(failure.get()), failure.get());
        }
        return new FollowResult(followed.get(), already.get(), rejected.get(), (System.nanoTime() - started) / 1e9);
    }

    private CompletableFuture<?> sendFollows(String lines, Semaphore slots, AtomicReference<Throwable> failure,
                                             AtomicLong followed, AtomicLong already, AtomicLong rejected) {
        slots.acquireUninterruptibly();
        return postRetrying("/admin/bulk/follows", MediaType.PLAIN_TEXT_UTF_8, lines, 1).thenAccept(r -> {
            JsonNode json = parse(r, "/admin/bulk/follows");
            followed.addAndGet(json.path("followed").asLong());
            already.addAndGet(json.path("already").asLong());
            JsonNode rej = json.path("rejected");
            if (rej.size() > 0) {
                rejected.addAndGet(rej.size());
                if (rejected.get() == rej.size()) {
                    log.println("  some follows were rejected, e.g. " + rej.get(0));
                }
            }
        }).whenComplete((v, t) -> {
            if (t != null) {
                failure.compareAndSet(null, t);
            }
            slots.release();
        });
    }

    /**
     * Both endpoints are idempotent (items already applied come back as "already"), so a call the
     * server sheds (429/503) is simply sent again, after 1, 2, 4, 8 s.
     */
    private CompletableFuture<AggregatedHttpResponse> postRetrying(String path, MediaType type, String body, int attempt) {
        return http.adminPost(path, type, body).thenCompose(r -> {
            int status = r.status().code();
            if ((status == 429 || status == 503) && attempt < MAX_ATTEMPTS) {
                log.printf("  %s answered %d; retrying in %d s%n", path, status, 1 << (attempt - 1));
                return CompletableFuture.supplyAsync(() -> null,
                                CompletableFuture.delayedExecutor(1L << (attempt - 1), java.util.concurrent.TimeUnit.SECONDS))
                        .thenCompose(x -> postRetrying(path, type, body, attempt + 1));
            }
            return CompletableFuture.completedFuture(r);
        });
    }

    private JsonNode parse(AggregatedHttpResponse r, String what) {
        if (r.status().code() == 404) {
            throw new IllegalStateException(what + " answered 404: this server has no bulk endpoints on its admin port");
        }
        if (!r.status().isSuccess()) {
            throw new IllegalStateException(what + " answered " + r.status() + ": " + abbreviate(r.contentUtf8()));
        }
        try {
            return mapper.readTree(r.content().array());
        } catch (IOException e) {
            throw new IllegalStateException(what + " answered invalid JSON: " + abbreviate(r.contentUtf8()), e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}
