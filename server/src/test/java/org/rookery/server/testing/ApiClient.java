package org.rookery.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A small Mastodon API client for tests, on {@link java.net.http.HttpClient}: apps, tokens,
 * sign-up, and requests with a bearer token and a form, JSON or multipart body, over HTTP/1.1.
 * Redirects are not followed (OAuth tests look at them). Thread-safe.
 *
 * <pre>{@code
 * ApiClient api = new ApiClient(server);
 * ApiClient.User alice = api.newUser("alice");
 * ApiClient.Response r = api.post("/api/v1/statuses", alice.token(), Map.of("status", "hello"));
 * assertThat(r.status()).isEqualTo(200);
 * }</pre>
 */
public final class ApiClient {
    public static final String PASSWORD = "correct horse battery staple";
    public static final String OOB = "urn:ietf:wg:oauth:2.0:oob";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern LINK = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"([^\"]+)\"");
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    // HTTP/1.1 as curl and Mastodon clients speak it to a plain-text port; the JDK client would
    // otherwise upgrade to h2c, where Armeria answers oversized requests at the transport level
    // (431 without a body, or GOAWAY) rather than with the API's JSON errors.
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final RookeryServerExtension server;
    private volatile @Nullable App defaultApp;

    public ApiClient(RookeryServerExtension server) {
        this.server = server;
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    // ---- values -------------------------------------------------------------------------------

    /** A registered application with its credentials. */
    public record App(String clientId, String clientSecret, JsonNode json) {}

    /** A signed-up user: account id, handle and a user token with read, write and follow. */
    public record User(String id, String username, String token) {}

    /** One HTTP response. */
    public record Response(int status, HttpHeaders headers, String body) {
        /** The body parsed as JSON (fails the test if it is not JSON). */
        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (JsonProcessingException e) {
                throw new AssertionError("response " + status + " is not JSON: " + abbreviate(body), e);
            }
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        /** The URL of the Link header's {@code rel}, if any. */
        public Optional<String> link(String rel) {
            Optional<String> link = header("link");
            if (link.isEmpty()) {
                return Optional.empty();
            }
            Matcher m = LINK.matcher(link.get());
            while (m.find()) {
                if (m.group(2).equals(rel)) {
                    return Optional.of(m.group(1));
                }
            }
            return Optional.empty();
        }

        /** Asserts the status, showing the body when it differs; returns this. */
        public Response expect(int expected) {
            assertThat(status).as("HTTP status; body: %s", abbreviate(body)).isEqualTo(expected);
            return this;
        }

        /** Asserts 200 and returns the JSON body. */
        public JsonNode ok() {
            return expect(200).json();
        }

        @Override
        public String toString() {
            return status + " " + abbreviate(body);
        }
    }

    /** A request body. */
    public sealed interface Body permits Form, Json, Multipart, Raw {}

    /** application/x-www-form-urlencoded; a {@link List} value repeats the name. */
    public record Form(Map<String, ?> fields) implements Body {}

    /** application/json of any Jackson-serializable value (a String is sent as is). */
    public record Json(Object value) implements Body {}

    /** multipart/form-data text fields; a {@link List} value repeats the name. */
    public record Multipart(Map<String, ?> fields) implements Body {}

    /** Bytes with an explicit content type. */
    public record Raw(String contentType, byte[] bytes) implements Body {}

    public static Body form(Map<String, ?> fields) {
        return new Form(fields);
    }

    public static Body json(Object value) {
        return new Json(value);
    }

    public static Body multipart(Map<String, ?> fields) {
        return new Multipart(fields);
    }

    public static Body raw(String contentType, byte[] bytes) {
        return new Raw(contentType, bytes);
    }

    // ---- requests -----------------------------------------------------------------------------

    /**
     * GETs a memory-first route twice (each 200): the first read loads what memory lacks, the second
     * must be answered on the event loop ({@code served} + 1). Returns both answers, first then second.
     */
    public JsonNode[] getTwiceFromMemory(String path, @Nullable String token) {
        JsonNode first = get(path, token).ok();
        double served = server.memoryFirstRequests("served");
        JsonNode again = get(path, token).ok();
        assertThat(server.memoryFirstRequests("served")).as("%s answered from memory", path).isEqualTo(served + 1);
        return new JsonNode[] {first, again};
    }

    /** The answer of {@link #getTwiceFromMemory}'s second read. */
    public JsonNode getFromMemory(String path, @Nullable String token) {
        return getTwiceFromMemory(path, token)[1];
    }

    public Response get(String path) {
        return send("GET", path, null, null, Map.of());
    }

    public Response get(String path, @Nullable String token) {
        return send("GET", path, token, null, Map.of());
    }

    /** POST with a form body. */
    public Response post(String path, @Nullable String token, Map<String, ?> form) {
        return send("POST", path, token, form(form), Map.of());
    }

    public Response post(String path, @Nullable String token) {
        return send("POST", path, token, null, Map.of());
    }

    public Response post(String path, @Nullable String token, Body body) {
        return send("POST", path, token, body, Map.of());
    }

    public Response patch(String path, @Nullable String token, Body body) {
        return send("PATCH", path, token, body, Map.of());
    }

    public Response delete(String path, @Nullable String token) {
        return send("DELETE", path, token, null, Map.of());
    }

    /** Any request; {@code path} is relative to the API port unless it is an absolute URL. */
    public Response send(String method, String path, @Nullable String token, @Nullable Body body,
                         Map<String, String> headers) {
        URI uri = path.startsWith("http://") || path.startsWith("https://") ? URI.create(path) : server.uri(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.noBody();
        if (body != null) {
            String type;
            byte[] bytes;
            switch (body) {
                case Form f -> {
                    type = "application/x-www-form-urlencoded";
                    bytes = formEncode(f.fields()).getBytes(StandardCharsets.UTF_8);
                }
                case Json j -> {
                    type = "application/json";
                    bytes = j.value() instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : writeJson(j.value());
                }
                case Multipart m -> {
                    String boundary = "----rookery-test-" + UNIQUE.incrementAndGet();
                    type = "multipart/form-data; boundary=" + boundary;
                    bytes = multipartEncode(m.fields(), boundary);
                }
                case Raw r -> {
                    type = r.contentType();
                    bytes = r.bytes();
                }
            }
            b.header("Content-Type", type);
            publisher = HttpRequest.BodyPublishers.ofByteArray(bytes);
        }
        b.method(method, publisher);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A request to the admin port. */
    public Response admin(String method, String path) {
        HttpRequest req = HttpRequest.newBuilder(server.adminUri(path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- flows --------------------------------------------------------------------------------

    /** Registers an application; fails the test unless it is created. */
    public App createApp(String scopes, String... redirectUris) {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("client_name", "test app " + UNIQUE.incrementAndGet());
        form.put("redirect_uris", redirectUris.length == 0 ? OOB : String.join("\n", redirectUris));
        form.put("scopes", scopes);
        JsonNode json = post("/api/v1/apps", null, form).ok();
        return new App(json.get("client_id").asText(), json.get("client_secret").asText(), json);
    }

    /** One shared app with read, write and follow (and an out-of-band redirect). */
    public App app() {
        App a = defaultApp;
        if (a == null) {
            synchronized (this) {
                a = defaultApp;
                if (a == null) {
                    a = createApp("read write follow");
                    defaultApp = a;
                }
            }
        }
        return a;
    }

    /** A client_credentials token of {@code app}. */
    public String appToken(App app) {
        return post("/oauth/token", null, Map.of("grant_type", "client_credentials", "client_id", app.clientId(),
                "client_secret", app.clientSecret(), "scope", app.json().get("scopes").isArray()
                        ? joinScopes(app.json().get("scopes")) : "read")).ok().get("access_token").asText();
    }

    private static String joinScopes(JsonNode scopes) {
        List<String> out = new ArrayList<>();
        scopes.forEach(s -> out.add(s.asText()));
        return String.join(" ", out);
    }

    /** POST /api/v1/accounts with the given fields (the app token of the shared app). */
    public Response signUpRequest(Body body) {
        return post("/api/v1/accounts", appToken(app()), body);
    }

    /** The usual sign-up form for {@code username}. */
    public static Map<String, Object> signUpForm(String username) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("username", username);
        m.put("email", username.toLowerCase(Locale.ROOT) + "@example.com");
        m.put("password", PASSWORD);
        m.put("agreement", "true");
        m.put("locale", "en");
        return m;
    }

    /** Signs {@code username} up (fails the test if refused) and returns the user with its token. */
    public User signUp(String username) {
        JsonNode token = signUpRequest(form(signUpForm(username))).ok();
        String access = token.get("access_token").asText();
        JsonNode me = get("/api/v1/accounts/verify_credentials", access).ok();
        return new User(me.get("id").asText(), me.get("username").asText(), access);
    }

    /** A user with a fresh handle that starts with {@code prefix}. */
    public User newUser(String prefix) {
        return signUp(uniqueName(prefix));
    }

    public static String uniqueName(String prefix) {
        return prefix + "_" + UNIQUE.incrementAndGet();
    }

    /** A password-grant token for {@code login} through {@code app}. */
    public Response passwordGrant(App app, String login, String password, @Nullable String scope) {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", app.clientId());
        form.put("client_secret", app.clientSecret());
        form.put("username", login);
        form.put("password", password);
        if (scope != null) {
            form.put("scope", scope);
        }
        return post("/oauth/token", null, form);
    }

    /** Posts a status as {@code user}; fails the test unless it is created. */
    public JsonNode postStatus(User user, String text) {
        return post("/api/v1/statuses", user.token(), Map.of("status", text)).ok();
    }

    /** Posts a status with extra fields; fails the test unless it is created. */
    public JsonNode postStatus(User user, Map<String, ?> fields) {
        return post("/api/v1/statuses", user.token(), fields).ok();
    }

    /** The account as {@code viewer} (null: signed out) sees it. */
    public JsonNode account(String id, @Nullable User viewer) {
        return get("/api/v1/accounts/" + id, viewer == null ? null : viewer.token()).ok();
    }

    // ---- encoding -----------------------------------------------------------------------------

    public static String formEncode(Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((name, value) -> {
            for (Object v : values(value)) {
                if (!sb.isEmpty()) {
                    sb.append('&');
                }
                sb.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        });
        return sb.toString();
    }

    private static byte[] multipartEncode(Map<String, ?> fields, String boundary) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((name, value) -> {
            for (Object v : values(value)) {
                sb.append("--").append(boundary).append("\r\n")
                        .append("Content-Disposition: form-data; name=\"").append(name).append("\"\r\n")
                        .append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
                        .append(v).append("\r\n");
            }
        });
        sb.append("--").append(boundary).append("--\r\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<?> values(Object value) {
        return value instanceof List<?> l ? l : List.of(value);
    }

    private static byte[] writeJson(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String abbreviate(String s) {
        return s.length() > 1500 ? s.substring(0, 1500) + "…" : s;
    }
}
