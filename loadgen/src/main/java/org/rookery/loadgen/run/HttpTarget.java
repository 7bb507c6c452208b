package org.rookery.loadgen.run;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.stream.SubscriptionOption;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.common.HttpHeaderNames;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The server under test, over HTTP: the public API and the admin port, through Armeria's
 * non-blocking {@link WebClient} (HTTP/2 over cleartext when the server speaks it, HTTP/1.1
 * otherwise) on its own event loops. Every call returns at once with a future, so one scheduler
 * thread can keep tens of thousands of requests a second in flight. Thread-safe.
 *
 * <pre>{@code
 * try (HttpTarget t = HttpTarget.create(URI.create("http://127.0.0.1:8080"), URI.create("http://127.0.0.1:9990"), Duration.ofSeconds(10), 1)) {
 *     t.get("/api/v1/instance", null).join();
 * }
 * }</pre>
 */
public final class HttpTarget implements AutoCloseable {
    private final EventLoopGroup loops;
    private final ClientFactory[] factories;
    private final WebClient[] api;
    private final WebClient admin;
    private final URI apiUri;
    private final URI adminUri;
    private final AtomicInteger next = new AtomicInteger();

    private HttpTarget(EventLoopGroup loops, ClientFactory[] factories, WebClient[] api, WebClient admin, URI apiUri, URI adminUri) {
        this.loops = loops;
        this.factories = factories;
        this.api = api;
        this.admin = admin;
        this.apiUri = apiUri;
        this.adminUri = adminUri;
    }

    public static HttpTarget create(URI api, URI admin, Duration timeout, int eventLoops) {
        return create(api, admin, timeout, eventLoops, 1);
    }

    /**
     * @param timeout  how long one request may take before it counts as an error
     * @param eventLoops client I/O threads (1 leaves more of a small box to a server on it)
     * @param pools      independent connection pools the API requests are spread over, round robin
     *                   (like many users, not one: with HTTP/2 each pool multiplexes its requests
     *                   on one connection, and a server may close a connection on which many
     *                   requests were cancelled — Netty's rapid-reset guard — failing every request
     *                   in flight on it)
     */
    public static HttpTarget create(URI api, URI admin, Duration timeout, int eventLoops, int pools) {
        if (eventLoops < 1) {
            throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: > 0)");
        }
        if (pools < 1) {
            throw new IllegalArgumentException("pools: " + pools + " (expected: > 0)");
        }
        EventLoopGroup loops = EventLoopGroups.newEventLoopGroup(eventLoops, "loadgen-io", true);
        ClientFactory[] factories = new ClientFactory[pools];
        WebClient[] clients = new WebClient[pools];
        for (int i = 0; i < pools; i++) {
            factories[i] = ClientFactory.builder()
                    .workerGroup(loops, false)
                    .maxNumEventLoopsPerEndpoint(eventLoops)
                    .idleTimeout(Duration.ofMinutes(5))
                    .build();
            clients[i] = WebClient.builder(api).factory(factories[i]).responseTimeout(timeout)
                    .maxResponseLength(64L << 20).build();
        }
        WebClient adminClient = WebClient.builder(admin).factory(factories[0]).responseTimeout(Duration.ofMinutes(10))
                .maxResponseLength(256L << 20).build();
        return new HttpTarget(loops, factories, clients, adminClient, api, admin);
    }

    private WebClient api() {
        return api.length == 1 ? api[0] : api[Math.floorMod(next.getAndIncrement(), api.length)];
    }

    public URI apiUri() {
        return apiUri;
    }

    public URI adminUri() {
        return adminUri;
    }

    /** {@code "Bearer " + token}, to build once per user. */
    public static String bearer(String token) {
        return "Bearer " + token;
    }

    public CompletableFuture<AggregatedHttpResponse> get(String pathAndQuery, @Nullable String authorization) {
        return api().execute(getHeaders(pathAndQuery, authorization)).aggregate();
    }

    /**
     * A GET whose body is read off the connection as it arrives and dropped there, never copied or
     * kept: the future completes with the status when the whole response has arrived (as
     * {@link #get}'s does), or fails as {@link #get}'s would. For the answers a workload does not look
     * into: aggregating a 30 KB page of statuses copies it into the generator's heap, which at
     * thousands of reads a second takes from the cores the server under test shares.
     */
    public CompletableFuture<Integer> getDiscardingBody(String pathAndQuery, @Nullable String authorization) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        api().execute(getHeaders(pathAndQuery, authorization))
                .subscribe(new StatusOnly(done), SubscriptionOption.WITH_POOLED_OBJECTS);
        return done;
    }

    private static RequestHeaders getHeaders(String pathAndQuery, @Nullable String authorization) {
        RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, pathAndQuery);
        if (authorization != null) {
            h.add(HttpHeaderNames.AUTHORIZATION, authorization);
        }
        return h.build();
    }

    /** Keeps a response's final status and releases its body's buffers as they come. */
    private static final class StatusOnly implements Subscriber<HttpObject> {
        private final CompletableFuture<Integer> done;
        private int status = -1;

        StatusOnly(CompletableFuture<Integer> done) {
            this.done = done;
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(HttpObject o) {
            if (o instanceof HttpData data) {
                data.close();
            } else if (o instanceof ResponseHeaders headers && !headers.status().isInformational()) {
                status = headers.status().code();
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            if (status < 0) {
                done.completeExceptionally(new IllegalStateException("response ended without headers"));
            } else {
                done.complete(status);
            }
        }
    }

    public CompletableFuture<AggregatedHttpResponse> postForm(String path, String authorization, String form) {
        RequestHeaders h = RequestHeaders.builder(HttpMethod.POST, path)
                .add(HttpHeaderNames.AUTHORIZATION, authorization)
                .contentType(MediaType.FORM_DATA).build();
        return api().execute(h, form).aggregate();
    }

    public CompletableFuture<AggregatedHttpResponse> adminGet(String path) {
        return admin.get(path).aggregate();
    }

    public CompletableFuture<AggregatedHttpResponse> adminPost(String path, MediaType type, String body) {
        return admin.execute(RequestHeaders.builder(HttpMethod.POST, path).contentType(type).build(), body).aggregate();
    }

    @Override
    public void close() {
        for (ClientFactory f : factories) {
            f.close();
        }
        loops.shutdownGracefully();
    }
}
