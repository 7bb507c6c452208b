package org.rookery.server.http;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.throttling.ThrottlingService;
import com.linecorp.armeria.server.throttling.ThrottlingStrategy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Load shedding by concurrency: at most {@code limit} requests are in flight (from their headers
 * arriving to their response being sent); a request beyond that is answered at once with
 * {@link Router#overloaded()} (503, {@code Retry-After: 1}) instead of queueing behind the others
 * without bound. A {@link ThrottlingStrategy} for Armeria's {@link ThrottlingService}: a permit is
 * taken when the strategy accepts and given back when the request's log completes, whatever the
 * outcome. Thread-safe.
 *
 * <pre>{@code
 * InflightLimit limit = new InflightLimit(1024);
 * serverBuilder.decorator(limit.decorator());
 * }</pre>
 */
public final class InflightLimit extends ThrottlingStrategy<HttpRequest> {
    private static final CompletableFuture<Boolean> ACCEPT = CompletableFuture.completedFuture(true);
    private static final CompletableFuture<Boolean> REJECT = CompletableFuture.completedFuture(false);

    private final int limit;
    private final AtomicInteger inflight = new AtomicInteger();
    private final LongAdder shed = new LongAdder();

    /** @param limit the most requests in flight at once (> 0) */
    public InflightLimit(int limit) {
        super("inflight-limit");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        this.limit = limit;
    }

    @Override
    public CompletionStage<Boolean> accept(ServiceRequestContext ctx, HttpRequest request) {
        int n;
        do {
            n = inflight.get();
            if (n >= limit) {
                shed.increment();
                return REJECT;
            }
        } while (!inflight.compareAndSet(n, n + 1));
        ctx.log().whenComplete().thenRun(inflight::decrementAndGet);
        return ACCEPT;
    }

    /** The decorator that applies this limit, answering shed requests with {@link Router#overloaded()}. */
    public Function<? super HttpService, ThrottlingService> decorator() {
        return ThrottlingService.builder(this)
                .onRejectedRequest((delegate, ctx, req, cause) -> Router.overloaded())
                .newDecorator();
    }

    public int limit() {
        return limit;
    }

    /** Requests in flight now. */
    public int inflight() {
        return inflight.get();
    }

    /** Requests shed since start. */
    public long shed() {
        return shed.sum();
    }
}
