package org.rookery.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.multipart.AggregatedBodyPart;
import com.linecorp.armeria.common.multipart.Multipart;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.error.RookeryException;
import org.rookery.core.ids.ClockMovedBackwardsException;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.store.WouldBlockException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds API handlers to Armeria routes. Each request is aggregated on the event loop, its
 * parameters parsed from query and body (JSON, form or multipart), then the handler runs on the
 * blocking-task executor (handlers touch the store and wait for group commit, which must never
 * happen on an event loop). A route bound with {@link #getMemoryFirst} is tried on the event loop
 * first, inside a {@link MemoryOnly} scope: when everything it reads is in memory (a home timeline
 * page whose statuses, authors and counters are cached) it is answered there, without the two
 * thread hand-offs; the first read that memory cannot answer throws {@link WouldBlockException}
 * and the request runs again from the start on the blocking-task executor. Failures become Mastodon's JSON error body:
 * {@code {"error": "...", "error_description": "..."}}. Thread-safe once built.
 */
public final class Router {
    private static final Pattern OAUTH_ERROR = Pattern.compile(
            "(invalid_request|invalid_client|invalid_grant|invalid_scope|unauthorized_client|unsupported_grant_type"
                    + "|unsupported_response_type|access_denied): (.*)", Pattern.DOTALL);
    private static final ObjectMapper ERROR_MAPPER = new ObjectMapper();
    /** A JSON body's first buffer; it grows as written. */
    private static final int INITIAL_BODY_BYTES = 4096;
    /**
     * More room per item of a list body, about a status with its author (a home page of 20 is
     * ~32 KB): grown from 4 KB, its buffer was copied four times on every read.
     */
    private static final int BODY_BYTES_PER_ITEM = 2048;
    private static final int MAX_INITIAL_BODY_BYTES = 256 * 1024;
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    /** Handles one call; returns a {@link Reply} or any object to render as a 200 JSON body. */
    @FunctionalInterface
    public interface Handler {
        Object handle(Call call) throws Exception;
    }

    private final ServerBuilder sb;
    private final ObjectMapper mapper;
    private final Function<String, Optional<OAuthService.Token>> tokens;
    private final String publicUrl;
    private final boolean memoryFirst;
    /** Requests in flight now, and the count below which memory-first reads are tried on the event loop. */
    private final IntSupplier inflight;
    private final int memoryFirstMaxInflight;
    private final LongAdder servedFromMemory = new LongAdder();
    private final LongAdder deferredFromMemory = new LongAdder();
    private final LongAdder busyForMemory = new LongAdder();
    /**
     * The base URL made for the last Host seen: one string for all requests to the same host, so the
     * renderer's caches, which check each status's and account's members against the base URL they
     * were made for, compare one reference instead of the URL's characters (40 times a home page).
     */
    private volatile BaseUrl lastBase = new BaseUrl("", "");

    private record BaseUrl(String host, String url) {}

    /**
     * @param memoryFirst whether {@link #getMemoryFirst} routes are tried on the event loop ({@code rookery.http.memory.first})
     * @param inflight requests in flight now
     * @param memoryFirstMaxInflight memory-first reads are tried on the event loop only while {@code inflight} is below this
     *                               ({@code rookery.http.memory.first.max.inflight})
     */
    public Router(ServerBuilder sb, ObjectMapper mapper, Function<String, Optional<OAuthService.Token>> tokens,
                  String publicUrl, boolean memoryFirst, IntSupplier inflight, int memoryFirstMaxInflight) {
        if (memoryFirstMaxInflight < 1) {
            throw new IllegalArgumentException("memoryFirstMaxInflight: " + memoryFirstMaxInflight + " (expected: > 0)");
        }
        this.memoryFirst = memoryFirst;
        this.inflight = inflight;
        this.memoryFirstMaxInflight = memoryFirstMaxInflight;
        this.sb = sb;
        this.mapper = mapper;
        this.tokens = tokens;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    public Router get(String path, Handler h) {
        return add(HttpMethod.GET, path, h);
    }

    /**
     * A GET route whose answer usually comes from memory: tried on the event loop first, and run on the
     * blocking-task executor only if it needs what memory does not hold (see the class comment). The
     * handler must change nothing before its first read that could throw {@link WouldBlockException}.
     */
    public Router getMemoryFirst(String path, Handler h) {
        if (!memoryFirst) {
            return get(path, h);
        }
        sb.route().methods(HttpMethod.GET).path(path).build((ctx, req) -> serveMemoryFirst(ctx, req, h));
        return this;
    }

    /** Requests of {@link #getMemoryFirst} routes answered on the event loop. */
    public long servedFromMemory() {
        return servedFromMemory.sum();
    }

    /** Requests of {@link #getMemoryFirst} routes that needed more than memory and ran again on the blocking-task executor. */
    public long deferredFromMemory() {
        return deferredFromMemory.sum();
    }

    /** Requests of {@link #getMemoryFirst} routes handed straight to the blocking-task executor: the server was busy. */
    public long busyForMemory() {
        return busyForMemory.sum();
    }

    public Router post(String path, Handler h) {
        return add(HttpMethod.POST, path, h);
    }

    public Router delete(String path, Handler h) {
        return add(HttpMethod.DELETE, path, h);
    }

    public Router patch(String path, Handler h) {
        return add(HttpMethod.PATCH, path, h);
    }

    public Router put(String path, Handler h) {
        return add(HttpMethod.PUT, path, h);
    }

    private Router add(HttpMethod method, String path, Handler h) {
        sb.route().methods(method).path(path).build((ctx, req) -> serve(ctx, req, h));
        return this;
    }

    private HttpResponse serve(ServiceRequestContext ctx, HttpRequest req, Handler h) {
        MediaType type = req.contentType();
        CompletableFuture<HttpResponse> done;
        if (type != null && type.is(MediaType.MULTIPART_FORM_DATA)) {
            RequestHeaders headers = req.headers();
            // Parsed from the whole body in one piece: Armeria's streaming multipart parser has been
            // seen to fail ("No closing MIME boundary") on a valid body depending on how it arrived.
            done = req.aggregate().thenCompose(agg -> Multipart.from(agg.toHttpRequest()).aggregate())
                    .thenApplyAsync(multipart -> {
                Params params = new Params();
                addQuery(ctx, params);
                for (AggregatedBodyPart part : multipart.bodyParts()) {
                    String name = part.name();
                    if (name != null && part.filename() == null) {
                        params.add(name, part.contentUtf8());
                    }
                }
                return run(ctx, AggregatedHttpRequest.of(headers), params, h);
            }, ctx.blockingTaskExecutor());
        } else {
            done = req.aggregate().thenApplyAsync(agg -> {
                Params params;
                try {
                    params = params(ctx, agg);
                } catch (RookeryException e) {
                    return error(e.status(), e.getMessage(), e.field());
                }
                return run(ctx, agg, params, h);
            }, ctx.blockingTaskExecutor());
        }
        return HttpResponse.of(done.exceptionally(t -> failure(ctx, t)));
    }

    private HttpResponse serveMemoryFirst(ServiceRequestContext ctx, HttpRequest req, Handler h) {
        CompletableFuture<HttpResponse> done = req.aggregate().thenCompose(agg -> {
            Params params;
            try {
                params = params(ctx, agg);
            } catch (RookeryException e) {
                return CompletableFuture.completedFuture(error(e.status(), e.getMessage(), e.field()));
            }
            // Busy, the hand-off to the executor is worth it: there it overlaps with the event loops'
            // reading and writing, and reads held more throughput at saturation that way.
            if (ctx.eventLoop().inEventLoop()) {
                if (inflight.getAsInt() >= memoryFirstMaxInflight) {
                    busyForMemory.increment();
                } else {
                    try (MemoryOnly.Scope ignored = MemoryOnly.enter()) {
                        HttpResponse response = run(ctx, agg, params, h);
                        servedFromMemory.increment();
                        return CompletableFuture.completedFuture(response);
                    } catch (WouldBlockException e) {
                        deferredFromMemory.increment();
                    }
                }
            }
            return CompletableFuture.supplyAsync(() -> run(ctx, agg, params, h), ctx.blockingTaskExecutor());
        });
        return HttpResponse.of(done.exceptionally(t -> failure(ctx, t)));
    }

    /** The request's parameters, from its query and its (JSON or form) body. */
    private Params params(ServiceRequestContext ctx, AggregatedHttpRequest agg) {
        Params params = new Params();
        addQuery(ctx, params);
        addBody(agg, params);
        return params;
    }

    private static void addQuery(ServiceRequestContext ctx, Params params) {
        String q = ctx.query();
        if (q != null) {
            QueryParams.fromQueryString(q).forEach(params::add);
        }
    }

    private void addBody(AggregatedHttpRequest agg, Params params) {
        HttpData content = agg.content();
        if (content.isEmpty()) {
            return;
        }
        MediaType type = agg.contentType();
        if (type == null || type.is(MediaType.JSON) || type.subtype().endsWith("+json")) {
            JsonNode node;
            try {
                node = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(content.array());
            } catch (JsonProcessingException e) {
                throw RookeryException.badRequest("body", "is not valid JSON (" + e.getOriginalMessage() + ")");
            } catch (java.io.IOException e) {
                throw RookeryException.badRequest("body", "could not be read");
            }
            if (node == null || !node.isObject()) {
                throw RookeryException.badRequest("body", "must be a JSON object");
            }
            params.addJson(node, "");
        } else if (type.is(MediaType.FORM_DATA)) {
            addForm(content.toStringUtf8(), params);
        } else if (!type.is(MediaType.PLAIN_TEXT)) {
            throw new RookeryException(415, "body: unsupported content type " + type, "body");
        }
    }

    /** Decodes an application/x-www-form-urlencoded body ('#' is data here, not a fragment). */
    private static void addForm(String body, Params params) {
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
                params.add(name, value);
            } catch (IllegalArgumentException e) {
                throw RookeryException.badRequest("body", "is not valid form data");
            }
        }
    }

    private HttpResponse run(ServiceRequestContext ctx, AggregatedHttpRequest req, Params params, Handler h) {
        Call call = new Call(ctx, req, params, baseUrl(req), tokens);
        try {
            Object result = h.handle(call);
            Reply reply = result instanceof Reply r ? r : Reply.json(result);
            return render(ctx, reply);
        } catch (WouldBlockException e) {
            throw e; // a memory-first attempt: run again where blocking is allowed
        } catch (RookeryException e) {
            return error(e.status(), e.getMessage(), e.field());
        } catch (org.rookery.core.store.StoreOverloadedException e) {
            return overloaded();
        } catch (org.rookery.core.store.StoreException e) {
            log.error("store failure in {} {}", ctx.method(), ctx.path(), e);
            return error(503, "The store is temporarily unavailable; nothing was written, retry shortly", null);
        } catch (ClockMovedBackwardsException e) {
            log.warn("clock moved backwards: {}", e.getMessage());
            return error(503, "The server's clock moved backwards; retry shortly", null);
        } catch (Exception e) {
            return failure(ctx, e);
        }
    }

    private String baseUrl(AggregatedHttpRequest req) {
        if (!publicUrl.isEmpty()) {
            return publicUrl;
        }
        String host = req.headers().get(HttpHeaderNames.HOST);
        if (host == null) {
            host = req.headers().authority();
        }
        if (host == null) {
            host = "localhost";
        }
        BaseUrl last = lastBase;
        if (!last.host().equals(host)) {
            last = new BaseUrl(host, "http://" + host);
            lastBase = last;
        }
        return last.url();
    }

    /**
     * The reply as a response. A JSON body is written straight into a pooled buffer of the event
     * loop's allocator, which goes to the socket as it is: {@code writeValueAsBytes} made a heap
     * array of the whole body (a home page is ~40 KB) that was then copied again into a direct
     * buffer, two copies and the array's garbage per response.
     */
    private HttpResponse render(ServiceRequestContext ctx, Reply reply) throws IOException {
        ResponseHeadersBuilder headers = ResponseHeaders.builder(reply.status);
        reply.headers.forEach(headers::add);
        if (reply.html != null) {
            if (reply.status == HttpStatus.FOUND) {
                return HttpResponse.of(headers.build());
            }
            headers.contentType(MediaType.HTML_UTF_8);
            return HttpResponse.of(headers.build(), HttpData.ofUtf8(reply.html));
        }
        headers.contentType(MediaType.JSON_UTF_8);
        return HttpResponse.of(headers.build(), HttpData.wrap(jsonBody(mapper, ctx.alloc(), reply.json)));
    }

    /**
     * {@code value} as JSON in a buffer of {@code alloc}, which the caller owns (released here only
     * if writing fails). Public for {@code StatusPageBenchmark}, which measures exactly this.
     */
    public static ByteBuf jsonBody(ObjectMapper mapper, ByteBufAllocator alloc, Object value) throws IOException {
        ByteBuf body = alloc.buffer(initialBodyBytes(value));
        boolean written = false;
        try {
            mapper.writeValue((OutputStream) new ByteBufOutputStream(body), value);
            written = true;
        } finally {
            if (!written) {
                body.release();
            }
        }
        return body;
    }

    static int initialBodyBytes(Object value) {
        if (value instanceof Collection<?> items) {
            return (int) Math.min(MAX_INITIAL_BODY_BYTES, INITIAL_BODY_BYTES + (long) items.size() * BODY_BYTES_PER_ITEM);
        }
        return INITIAL_BODY_BYTES;
    }

    private HttpResponse failure(ServiceRequestContext ctx, Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof RookeryException e) {
            return error(e.status(), e.getMessage(), e.field());
        }
        if (cause instanceof org.rookery.core.store.StoreOverloadedException) {
            return overloaded();
        }
        if (cause instanceof com.linecorp.armeria.common.ContentTooLargeException) {
            return error(413, "body: the request body is too large", "body");
        }
        if (cause instanceof com.linecorp.armeria.common.multipart.MimeParsingException) {
            return error(400, "body: is not valid multipart/form-data", "body");
        }
        log.error("unexpected failure in {} {}", ctx.method(), ctx.path(), cause);
        return error(500, "Internal server error", null);
    }

    /** What an overloaded server answers (a request shed, a write refused): 503, Retry-After: 1, JSON. */
    public static final String OVERLOADED = "Server is overloaded, retry later";

    /** The answer to a request shed under overload: nothing was done, retry after a second. */
    public static HttpResponse overloaded() {
        AggregatedHttpResponse r = errorResponse(503, OVERLOADED, null);
        return HttpResponse.of(r.headers().toBuilder().add(HttpHeaderNames.RETRY_AFTER, "1").build(), r.content());
    }

    /** Mastodon's error body, with the field named. */
    public static HttpResponse error(int status, String message, @Nullable String field) {
        return errorResponse(status, message, field).toHttpResponse();
    }

    public static AggregatedHttpResponse errorResponse(int status, String message, @Nullable String field) {
        HttpStatus s = HttpStatus.valueOf(status);
        Map<String, Object> body = new LinkedHashMap<>();
        Matcher oauth = OAUTH_ERROR.matcher(message);
        if (oauth.matches()) { // RFC 6749 shape: a code in "error", the sentence in "error_description"
            body.put("error", oauth.group(1));
            body.put("error_description", oauth.group(2));
        } else {
            body.put("error", message);
            body.put("error_description", message);
        }
        if (field != null) {
            body.put("field", field);
        }
        try {
            return AggregatedHttpResponse.of(s, MediaType.JSON_UTF_8, ERROR_MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
