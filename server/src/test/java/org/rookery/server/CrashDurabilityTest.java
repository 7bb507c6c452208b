package org.rookery.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rookery.server.testing.ServerProcess;

/**
 * "Acknowledged means durable", tested the hard way: a Rookery server in its own JVM takes posts from
 * concurrent clients and is killed with SIGKILL mid-load, twice. After each restart on the same data
 * every post the server acknowledged is readable, nothing was posted twice, and retrying a post with
 * its {@code Idempotency-Key} (the posts in flight at the kill, and some acknowledged ones) yields the
 * one post the key names, never a second.
 *
 * <p>Seeded: rerun a failure with {@code -Drookery.test.seed=N} (the thread interleaving still varies).
 */
class CrashDurabilityTest {
    private static final int CLIENTS = 8;
    private static final int ROUNDS = 2;
    /** Acknowledged posts to wait for in a round before the kill: at least this, plus up to as many again. */
    private static final int MIN_ACKNOWLEDGED_PER_ROUND = 200;
    private static final int ACKNOWLEDGED_RETRY_SAMPLE = 30;
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final String[] WORDS = {"heron", "quill", "tide", "ember", "moss", "lantern", "orbit",
        "pebble", "thistle", "harbor", "cinder", "willow", "fjord", "comet", "saffron", "basalt"};
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** One logical post: what a client sends, however often it retries. */
    record Post(String key, String text) {}

    /** What the clients learned, across rounds. Thread-safe. */
    static final class Ledger {
        /** Acknowledged posts and the id the server answered. */
        final Map<Post, String> acknowledged = new ConcurrentHashMap<>();
        /** Posts sent without an answer: in flight at the kill, or sent to a dead server. */
        final Set<Post> unanswered = ConcurrentHashMap.newKeySet();

        int size() {
            return acknowledged.size() + unanswered.size();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void everyAcknowledgedPostSurvivesSigkillAndIdempotentRetriesNeverDuplicateAPost() throws Exception {
        long seed = Long.getLong("rookery.test.seed", System.nanoTime());
        Random random = new Random(seed);
        Path dataDir = tmp.resolve("data");
        String classPath = ServerProcess.snapshotClassPath(tmp.resolve("classes"));
        List<ServerProcess> started = new ArrayList<>();
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            ServerProcess server = start(started, classPath, dataDir);
            String userToken = signUpAndSignIn(http, server, random);
            Api api = new Api(http, server, userToken);
            String me = api.get("/api/v1/accounts/verify_credentials").path("id").asText();
            Ledger ledger = new Ledger();

            for (int round = 1; round <= ROUNDS; round++) {
                int target = MIN_ACKNOWLEDGED_PER_ROUND + random.nextInt(MIN_ACKNOWLEDGED_PER_ROUND);
                int acknowledgedBefore = ledger.acknowledged.size();
                postUntilKilled(api, server, ledger, round, target, seed, random.nextLong());
                int acknowledged = ledger.acknowledged.size() - acknowledgedBefore;
                int unanswered = ledger.unanswered.size();

                server = start(started, classPath, dataDir);
                api = new Api(http, server, userToken);
                int committedUnanswered = verifyAfterRestart(api, me, ledger, random);
                System.out.printf("crash round %d: %d posts acknowledged, %d unanswered at SIGKILL"
                                + " (%d of those had been committed), %d posts in all%n", round,
                        acknowledged, unanswered, committedUnanswered, ledger.size());
            }
            server.close();
        } catch (Throwable t) {
            System.err.println("CrashDurabilityTest failed; rerun with -Drookery.test.seed=" + seed);
            for (ServerProcess s : started) {
                System.err.println("---- end of " + s.logFile() + " (pid " + s.pid() + ")\n" + s.logTail(40));
            }
            throw t;
        } finally {
            for (ServerProcess s : started) {
                s.close();
            }
        }
    }

    private ServerProcess start(List<ServerProcess> started, String classPath, Path dataDir) throws IOException {
        Path log = tmp.resolve("server-" + (started.size() + 1) + ".log");
        ServerProcess server = ServerProcess.start(classPath, dataDir, log);
        started.add(server);
        return server;
    }

    /** Registers an app, signs a user up with an app token and signs in with the password grant. */
    private static String signUpAndSignIn(HttpClient http, ServerProcess server, Random random) throws Exception {
        Api anonymous = new Api(http, server, null);
        JsonNode app = anonymous.postForm("/api/v1/apps", Map.of(), "client_name", "crash test",
                "redirect_uris", "urn:ietf:wg:oauth:2.0:oob", "scopes", "read write");
        String clientId = app.path("client_id").asText();
        String clientSecret = app.path("client_secret").asText();
        String appToken = anonymous.postForm("/oauth/token", Map.of(), "grant_type", "client_credentials",
                "client_id", clientId, "client_secret", clientSecret, "scope", "read write")
                .path("access_token").asText();
        String username = "crash" + Integer.toUnsignedString(random.nextInt(), 36);
        String password = "correct horse " + random.nextInt(1_000_000);
        new Api(http, server, appToken).postForm("/api/v1/accounts", Map.of(), "username", username,
                "email", username + "@example.com", "password", password, "agreement", "true");
        return anonymous.postForm("/oauth/token", Map.of(), "grant_type", "password", "client_id", clientId,
                "client_secret", clientSecret, "username", username + "@example.com", "password", password,
                "scope", "read write").path("access_token").asText();
    }

    /**
     * Runs {@link #CLIENTS} clients that post without pause until {@code target} posts of this round are
     * acknowledged, then kills the server with SIGKILL while they are still posting, and waits for every
     * client to notice.
     */
    private static void postUntilKilled(Api api, ServerProcess server, Ledger ledger, int round, int target,
                                        long seed, long roundSeed) throws Exception {
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicBoolean killing = new AtomicBoolean();
        Queue<AssertionError> failuresWhileUp = new ConcurrentLinkedQueue<>();
        CompletableFuture<Void> enough = new CompletableFuture<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Random words = new Random(roundSeed + client);
            clients.execute(() -> {
                for (int n = 0; ; n++) {
                    String text = "round " + round + " client " + client + " post " + n + " "
                            + WORDS[words.nextInt(WORDS.length)] + " " + WORDS[words.nextInt(WORDS.length)];
                    Post post = new Post("crash-" + Long.toHexString(seed) + "-r" + round + "-c" + client + "-n" + n, text);
                    String id;
                    try {
                        id = api.post(post);
                    } catch (IOException | RuntimeException e) {
                        ledger.unanswered.add(post);
                        if (!killing.get()) {
                            AssertionError failure = new AssertionError(
                                    "a post failed while the server was up: \"" + post.text() + "\"", e);
                            failuresWhileUp.add(failure);
                            enough.completeExceptionally(failure);
                        }
                        return; // the server is gone (or broken): this client is done
                    } catch (InterruptedException e) {
                        ledger.unanswered.add(post);
                        return;
                    }
                    ledger.acknowledged.put(post, id);
                    if (acknowledged.incrementAndGet() == target) {
                        enough.complete(null);
                    }
                }
            });
        }
        clients.shutdown();
        try {
            enough.get(LOAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("only " + acknowledged.get() + " of " + target + " posts were acknowledged in "
                    + LOAD_TIMEOUT, e);
        } catch (ExecutionException e) {
            throw (AssertionError) e.getCause();
        } finally {
            killing.set(true); // from here on, a failed post is one the kill cut off
            int exit = server.kill();
            assertThat(exit).as("exit code of the server killed with SIGKILL (128 + 9)").isEqualTo(137);
        }
        assertThat(clients.awaitTermination(REQUEST_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS))
                .as("every posting client noticed the server was gone").isTrue();
        assertThat(failuresWhileUp).as("posts that failed while the server was up").isEmpty();
    }

    /**
     * Checks what survived the kill, then retries the unanswered posts and a sample of acknowledged ones
     * with their keys. Returns how many unanswered posts had been committed before the kill.
     */
    private static int verifyAfterRestart(Api api, String me, Ledger ledger, Random random) throws Exception {
        List<String> lost = new ArrayList<>();
        for (Map.Entry<Post, String> e : ledger.acknowledged.entrySet()) {
            Answer a = api.send(api.request("/api/v1/statuses/" + e.getValue()).GET().build());
            if (a.status() != 200 || !a.body().path("content").asText().equals(html(e.getKey().text()))) {
                lost.add(e.getKey().text() + " (id " + e.getValue() + "): HTTP " + a.status() + " " + a.raw());
            }
        }
        assertNone("acknowledged posts that are gone or changed after the restart", lost);

        Map<String, String> expected = new HashMap<>();
        ledger.acknowledged.forEach((post, id) -> expected.put(post.text(), id));
        Set<String> unansweredTexts = new HashSet<>();
        ledger.unanswered.forEach(post -> unansweredTexts.add(post.text()));
        Map<String, List<String>> before = timeline(api, me);
        assertNone("what is wrong with the user's timeline after the kill",
                compare(before, expected, unansweredTexts));
        assertThat(statusesCount(api, me)).as("statuses_count after the kill counts the posts on the timeline")
                .isEqualTo(before.size());
        int committedUnanswered = (int) unansweredTexts.stream().filter(before::containsKey).count();

        // Each unanswered post is retried by two clients at once, as an impatient app would.
        try (ExecutorService retriers = Executors.newFixedThreadPool(2)) {
            for (Post post : List.copyOf(ledger.unanswered)) {
                CountDownLatch bothReady = new CountDownLatch(2);
                Callable<String> retry = () -> {
                    bothReady.countDown();
                    bothReady.await();
                    return api.post(post);
                };
                Future<String> first = retriers.submit(retry);
                Future<String> second = retriers.submit(retry);
                String id = first.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertThat(second.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                        .as("two concurrent retries of \"%s\" with one Idempotency-Key", post.text()).isEqualTo(id);
                List<String> committed = before.get(post.text());
                if (committed != null) {
                    assertThat(id).as("a retry of \"%s\", committed before the kill but never answered, returns"
                            + " the committed post", post.text()).isEqualTo(committed.get(0));
                }
                ledger.acknowledged.put(post, id);
                ledger.unanswered.remove(post);
                expected.put(post.text(), id);
            }
        }
        List<Map.Entry<Post, String>> acknowledged = new ArrayList<>(ledger.acknowledged.entrySet());
        acknowledged.sort(Map.Entry.comparingByValue());
        Collections.shuffle(acknowledged, random);
        int sample = Math.min(ACKNOWLEDGED_RETRY_SAMPLE, acknowledged.size());
        for (Map.Entry<Post, String> e : acknowledged.subList(0, sample)) {
            assertThat(api.post(e.getKey())).as("a retry of acknowledged post \"%s\" with its Idempotency-Key",
                    e.getKey().text()).isEqualTo(e.getValue());
        }

        Map<String, List<String>> after = timeline(api, me);
        assertNone("what is wrong with the user's timeline after the retries", compare(after, expected, Set.of()));
        assertThat(statusesCount(api, me)).as("statuses_count after the retries").isEqualTo(expected.size());
        return committedUnanswered;
    }

    /** The user's timeline, paged newest first with {@code max_id}, as text to ids in order of appearance. */
    private static Map<String, List<String>> timeline(Api api, String account) throws Exception {
        Map<String, List<String>> byText = new LinkedHashMap<>();
        String maxId = null;
        for (int pages = 0; ; pages++) {
            assertThat(pages).as("timeline pages (paging must end)").isLessThan(1_000);
            JsonNode page = api.get("/api/v1/accounts/" + account + "/statuses?limit=40"
                    + (maxId == null ? "" : "&max_id=" + maxId));
            if (page.isEmpty()) {
                return byText;
            }
            for (JsonNode status : page) {
                String id = status.path("id").asText();
                if (maxId != null) {
                    assertThat(Long.parseLong(id)).as("ids on a page below max_id").isLessThan(Long.parseLong(maxId));
                }
                byText.computeIfAbsent(text(status.path("content").asText()), k -> new ArrayList<>()).add(id);
            }
            maxId = page.get(page.size() - 1).path("id").asText();
        }
    }

    /**
     * What is wrong with a timeline (text to ids): a post that appears twice, an expected post that is
     * missing or carries another id than the one its client was answered with, a post nobody sent.
     * Posts in {@code mayAppear} may be there once or not at all.
     */
    private static List<String> compare(Map<String, List<String>> timeline, Map<String, String> expected,
                                        Set<String> mayAppear) {
        List<String> problems = new ArrayList<>();
        timeline.forEach((text, ids) -> {
            if (ids.size() > 1) {
                problems.add("\"" + text + "\" appears " + ids.size() + " times, as " + ids);
            } else if (!expected.containsKey(text) && !mayAppear.contains(text)) {
                problems.add("\"" + text + "\" (id " + ids.get(0) + ") is a post nobody sent");
            }
        });
        expected.forEach((text, id) -> {
            List<String> ids = timeline.get(text);
            if (ids == null) {
                problems.add("\"" + text + "\" (id " + id + ") is missing");
            } else if (!ids.contains(id)) {
                problems.add("\"" + text + "\" has id " + ids + " but was answered with " + id);
            }
        });
        return problems;
    }

    /** Fails if there are problems, quoting the first few rather than hundreds. */
    private static void assertNone(String what, List<String> problems) {
        List<String> first = problems.subList(0, Math.min(10, problems.size()));
        assertThat(problems.size()).as("%s; the first of them: %s", what, first).isZero();
    }

    private static long statusesCount(Api api, String account) throws Exception {
        return api.get("/api/v1/accounts/" + account).path("statuses_count").asLong();
    }

    /** Our texts are plain words, so the rendered content is the text in one paragraph. */
    private static String html(String text) {
        return "<p>" + text + "</p>";
    }

    private static String text(String content) {
        boolean paragraph = content.startsWith("<p>") && content.endsWith("</p>");
        return paragraph ? content.substring(3, content.length() - 4) : content;
    }

    record Answer(int status, JsonNode body, String raw) {}

    /** A Mastodon API client for one server process, optionally with a bearer token. Thread-safe. */
    static final class Api {
        private final HttpClient http;
        private final ServerProcess server;
        private final String token;

        Api(HttpClient http, ServerProcess server, String token) {
            this.http = http;
            this.server = server;
            this.token = token;
        }

        HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(REQUEST_TIMEOUT);
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return b;
        }

        Answer send(HttpRequest request) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
            } catch (JsonProcessingException e) {
                body = JSON.nullNode(); // an HTML error page, say: the status and raw body tell the story
            }
            return new Answer(r.statusCode(), body, r.body());
        }

        JsonNode get(String path) throws IOException, InterruptedException {
            Answer a = send(request(path).GET().build());
            assertThat(a.status()).as("GET %s answered %s", path, a.raw()).isEqualTo(200);
            return a.body();
        }

        JsonNode postForm(String path, Map<String, String> headers, String... params)
                throws IOException, InterruptedException {
            StringBuilder form = new StringBuilder();
            for (int i = 0; i < params.length; i += 2) {
                form.append(form.isEmpty() ? "" : "&").append(params[i]).append('=')
                        .append(URLEncoder.encode(params[i + 1], StandardCharsets.UTF_8));
            }
            HttpRequest.Builder b = request(path).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
            headers.forEach(b::header);
            Answer a = send(b.build());
            if (a.status() != 200) {
                throw new IllegalStateException("POST " + path + " answered HTTP " + a.status() + ": " + a.raw());
            }
            return a.body();
        }

        /** Posts {@code post} with its Idempotency-Key; returns the status id the server answered. */
        String post(Post post) throws IOException, InterruptedException {
            String id = postForm("/api/v1/statuses", Map.of("Idempotency-Key", post.key()), "status", post.text())
                    .path("id").asText();
            if (id.isEmpty()) {
                throw new IllegalStateException("a post was answered without an id: " + post);
            }
            return id;
        }
    }
}
