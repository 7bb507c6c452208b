package org.rookery.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.error.RookeryException;
import org.rookery.core.graph.GraphService;
import org.rookery.core.graph.GraphService.ImportOutcome;
import org.rookery.core.model.Account;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.StoreException;
import org.rookery.core.store.StoreOverloadedException;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;
import org.rookery.core.timeline.HomeTimelineService;
import org.rookery.core.users.UserService;
import org.rookery.server.http.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bulk import on the admin port, for operators and the {@code rookery bench} load generator:
 * {@code POST /admin/bulk/accounts} creates accounts (without passwords) and issues each a token,
 * revoking the one the previous import gave it;
 * {@code POST /admin/bulk/follows} makes follow edges. Both go through the services' own durable
 * write path (records, counters and events in one commit per chunk), so consumers see imported data
 * exactly as they see the API's writes; only the commits are shared by many items. Each item is
 * either fully applied or reported as rejected. Thread-safe.
 *
 * <pre>{@code
 * curl -XPOST localhost:9990/admin/bulk/accounts -d '{"usernames":["u0000001","u0000002"]}'
 * printf '1 2\n2 1\n' | curl -XPOST localhost:9990/admin/bulk/follows -H 'Content-Type: text/plain' --data-binary @-
 * }</pre>
 */
public final class BulkApi {
    public static final int MAX_ACCOUNTS = 10_000;
    public static final int MAX_EDGES = 100_000;
    /** The application the tokens of imported accounts belong to. */
    public static final String APP_NAME = "rookery-bench";
    public static final String TOKEN_SCOPES = "read write follow";

    private static final Logger log = LoggerFactory.getLogger(BulkApi.class);
    private static final byte[] APP_KEY = Bytes.utf8("bulk:app:" + APP_NAME);
    private static final int TOKEN_CHUNK = 1000;
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final UserService users;
    private final OAuthService oauth;
    private final GraphService graph;
    private final HomeTimelineService home;
    private final KeyValueStore store;
    private final InstantSource clock;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Object appLock = new Object();

    public BulkApi(UserService users, OAuthService oauth, GraphService graph, HomeTimelineService home,
                   KeyValueStore store, InstantSource clock) {
        this.users = requireNonNull(users, "users");
        this.oauth = requireNonNull(oauth, "oauth");
        this.graph = requireNonNull(graph, "graph");
        this.home = requireNonNull(home, "home");
        this.store = requireNonNull(store, "store");
        this.clock = requireNonNull(clock, "clock");
    }

    public void register(ServerBuilder sb) {
        sb.route().post("/admin/bulk/accounts").requestTimeout(TIMEOUT).build((ctx, req) -> serve(ctx, req, this::accounts));
        sb.route().post("/admin/bulk/follows").requestTimeout(TIMEOUT).build((ctx, req) -> serve(ctx, req, this::follows));
    }

    private HttpResponse serve(ServiceRequestContext ctx, com.linecorp.armeria.common.HttpRequest req,
                               Function<AggregatedHttpRequest, Object> handler) {
        return HttpResponse.of(req.aggregate().thenApplyAsync(agg -> {
            try {
                return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, mapper.writeValueAsBytes(handler.apply(agg)));
            } catch (RookeryException e) {
                return Router.error(e.status(), e.getMessage(), e.field());
            } catch (StoreOverloadedException e) {
                return Router.overloaded();
            } catch (StoreException e) {
                log.error("store failure in {}", ctx.path(), e);
                return Router.error(503, "The store is temporarily unavailable; retry (applied items are reported as already done)", null);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, ctx.blockingTaskExecutor()).exceptionally(t -> {
            Throwable cause = t.getCause() != null ? t.getCause() : t;
            if (cause instanceof com.linecorp.armeria.common.ContentTooLargeException) {
                return Router.error(413, "body: the request body is too large", "body");
            }
            log.error("unexpected failure in {}", ctx.path(), cause);
            return Router.error(500, "Internal server error", null);
        }));
    }

    // ---- accounts -------------------------------------------------------------------------------

    private Object accounts(AggregatedHttpRequest req) {
        JsonNode body = jsonObject(req);
        JsonNode names = body.get("usernames");
        if (names == null || !names.isArray()) {
            throw RookeryException.invalid("usernames", "must be an array of usernames");
        }
        if (names.isEmpty() || names.size() > MAX_ACCOUNTS) {
            throw RookeryException.invalid("usernames", "must hold 1 to " + MAX_ACCOUNTS + " usernames (was " + names.size() + ")");
        }
        List<String> handles = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            String field = "usernames[" + i + "]";
            JsonNode n = names.get(i);
            if (!n.isTextual()) {
                throw RookeryException.invalid(field, "must be a string");
            }
            try {
                UserService.validateHandle(n.asText());
            } catch (RookeryException e) {
                String why = e.getMessage().startsWith("username: ") ? e.getMessage().substring(10) : e.getMessage();
                throw RookeryException.invalid(field, why);
            }
            handles.add(n.asText());
        }
        List<Account> accounts = users.importAccounts(handles);
        long[] ids = accounts.stream().mapToLong(Account::id).toArray();
        OAuthService.App app = benchApp();
        List<OAuthService.NewToken> tokens = new ArrayList<>(ids.length);
        for (int from = 0; from < ids.length; from += TOKEN_CHUNK) {
            tokens.addAll(oauth.reissueTokens(app, java.util.Arrays.copyOfRange(ids, from, Math.min(ids.length, from + TOKEN_CHUNK)),
                    TOKEN_SCOPES));
        }
        markActive(ids);
        List<Map<String, Object>> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Long.toString(ids[i]));
            m.put("username", accounts.get(i).handle());
            m.put("access_token", tokens.get(i).accessToken());
            out.add(m);
        }
        return Map.of("accounts", out);
    }

    /** The application imported accounts' tokens belong to: created on first use, then reused. */
    private OAuthService.App benchApp() {
        synchronized (appLock) {
            byte[] clientId = store.get(Table.META, APP_KEY);
            if (clientId != null) {
                var app = oauth.app(new String(clientId, java.nio.charset.StandardCharsets.UTF_8));
                if (app.isPresent()) {
                    return app.get();
                }
            }
            OAuthService.App app = oauth.createApp(APP_NAME, List.of(OAuthService.OOB_REDIRECT), TOKEN_SCOPES, null).app();
            store.commit(new WriteBatch().put(Table.META, APP_KEY, Bytes.utf8(app.clientId())));
            return app;
        }
    }

    /**
     * Marks accounts active now, as a sign-in does ({@link HomeTimelineService#recordActivity}): a
     * restart rebuilds recently active users' timelines first. The records are written before the
     * import answers, a few thousand to a commit. Fanout delivers to users whose home timeline is in
     * memory, which a first home read (or a restart's warm-up) puts there.
     */
    private void markActive(long[] ids) {
        long now = clock.millis();
        for (long id : ids) {
            home.recordActivity(id, now);
        }
        home.flushActivity();
    }

    // ---- follows --------------------------------------------------------------------------------

    private Object follows(AggregatedHttpRequest req) {
        MediaType type = req.contentType();
        Edges edges = type != null && (type.is(MediaType.JSON) || type.subtype().endsWith("+json"))
                ? jsonEdges(jsonObject(req))
                : type == null || type.is(MediaType.PLAIN_TEXT) ? textEdges(req.contentUtf8()) : null;
        if (edges == null) {
            throw new RookeryException(415, "body: unsupported content type " + type
                    + " (expected: text/plain or application/json)", "body");
        }
        ImportOutcome[] outcomes = graph.followAll(java.util.Arrays.copyOf(edges.followers, edges.count),
                java.util.Arrays.copyOf(edges.followees, edges.count));
        long followed = 0;
        long already = 0;
        for (int i = 0; i < outcomes.length; i++) {
            switch (outcomes[i]) {
                case FOLLOWED -> followed++;
                case ALREADY_FOLLOWING -> already++;
                case SELF -> edges.reject(edges.lines[i], "You can't follow yourself");
                case UNKNOWN_ACCOUNT -> edges.reject(edges.lines[i], "Record not found: no account "
                        + (users.get(edges.followers[i]).isEmpty() ? edges.followers[i] : edges.followees[i]));
                case BLOCKED -> edges.reject(edges.lines[i], "This action is not allowed: one account blocks the other");
            }
        }
        List<Map<String, Object>> rejected = edges.rejected;
        rejected.sort(java.util.Comparator.comparingInt(m -> (Integer) m.get("line")));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("followed", followed);
        out.put("already", already);
        out.put("rejected", rejected);
        return out;
    }

    /** Parsed edges with the 1-based line (or index) each came from, and the lines that did not parse. */
    private static final class Edges {
        long[] followers = new long[1024];
        long[] followees = new long[1024];
        int[] lines = new int[1024];
        int count;
        int malformed;
        final List<Map<String, Object>> rejected = new ArrayList<>();

        void add(int line, long follower, long followee) {
            if (count == followers.length) {
                followers = java.util.Arrays.copyOf(followers, count * 2);
                followees = java.util.Arrays.copyOf(followees, count * 2);
                lines = java.util.Arrays.copyOf(lines, count * 2);
            }
            followers[count] = follower;
            followees[count] = followee;
            lines[count] = line;
            count++;
            checkSize();
        }

        void malformed(int line, String why) {
            malformed++;
            reject(line, why);
            checkSize();
        }

        void reject(int line, String why) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("line", line);
            m.put("error", why);
            rejected.add(m);
        }

        private void checkSize() {
            if (count + malformed > MAX_EDGES) {
                throw RookeryException.invalid("edges", "at most " + MAX_EDGES + " edges per call");
            }
        }
    }

    private static Edges textEdges(String body) {
        Edges edges = new Edges();
        int line = 0;
        int at = 0;
        int n = body.length();
        while (at < n) {
            int end = body.indexOf('\n', at);
            if (end < 0) {
                end = n;
            }
            line++;
            long[] ab = parseLine(body, at, end);
            at = end + 1;
            if (ab == BLANK) {
                continue;
            }
            if (ab == null) {
                edges.malformed(line, "malformed line: expected \"<followerId> <followeeId>\" (two decimal account ids)");
            } else {
                edges.add(line, ab[0], ab[1]);
            }
        }
        return edges;
    }

    private static final long[] BLANK = new long[0];

    /**
     * The two ids of {@code s[from, to)}, {@link #BLANK} for a blank or {@code #} comment line, or
     * null if it is not two positive decimal ids separated by whitespace.
     */
    private static long @Nullable [] parseLine(String s, int from, int to) {
        long[] ids = new long[2];
        int n = 0;
        int i = from;
        while (true) {
            while (i < to && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i == to) {
                break;
            }
            if (n == 0 && s.charAt(i) == '#') {
                return BLANK;
            }
            int start = i;
            while (i < to && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (n == 2) {
                return null;
            }
            long id = parseId(s.substring(start, i));
            if (id <= 0) {
                return null;
            }
            ids[n++] = id;
        }
        return n == 0 ? BLANK : n == 2 ? ids : null;
    }

    private static Edges jsonEdges(JsonNode body) {
        JsonNode list = body.get("edges");
        if (list == null || !list.isArray()) {
            throw RookeryException.invalid("edges", "must be an array of [followerId, followeeId] pairs");
        }
        if (list.size() > MAX_EDGES) {
            throw RookeryException.invalid("edges", "at most " + MAX_EDGES + " edges per call");
        }
        Edges edges = new Edges();
        for (int i = 0; i < list.size(); i++) {
            JsonNode e = list.get(i);
            long a = e.isArray() && e.size() == 2 ? jsonId(e.get(0)) : -1;
            long b = e.isArray() && e.size() == 2 ? jsonId(e.get(1)) : -1;
            if (a <= 0 || b <= 0) {
                edges.malformed(i + 1, "malformed edge: expected [\"<followerId>\", \"<followeeId>\"] (two decimal account ids)");
            } else {
                edges.add(i + 1, a, b);
            }
        }
        return edges;
    }

    /** A positive decimal id, or -1. */
    private static long parseId(String s) {
        if (s.isEmpty() || s.length() > 19) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long jsonId(@Nullable JsonNode n) {
        if (n == null) {
            return -1;
        }
        if (n.isTextual()) {
            return parseId(n.asText());
        }
        return n.isIntegralNumber() && n.canConvertToLong() ? n.asLong() : -1;
    }

    private JsonNode jsonObject(AggregatedHttpRequest req) {
        JsonNode node;
        try {
            node = mapper.readTree(req.content().array());
        } catch (IOException e) {
            throw RookeryException.badRequest("body", "is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw RookeryException.badRequest("body", "must be a JSON object");
        }
        return node;
    }
}
