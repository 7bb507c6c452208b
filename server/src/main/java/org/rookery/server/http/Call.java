package org.rookery.server.http;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.error.RookeryException;

/**
 * One API call being handled: parameters, the caller's token, the server's public base URL. Not
 * thread-safe; lives on one blocking-task thread for one request.
 */
public final class Call {
    private final ServiceRequestContext ctx;
    private final AggregatedHttpRequest request;
    private final Params params;
    private final String baseUrl;
    private final Function<String, Optional<OAuthService.Token>> tokens;
    private @Nullable Optional<OAuthService.Token> token;

    Call(ServiceRequestContext ctx, AggregatedHttpRequest request, Params params, String baseUrl,
         Function<String, Optional<OAuthService.Token>> tokens) {
        this.ctx = ctx;
        this.request = request;
        this.params = params;
        this.baseUrl = baseUrl;
        this.tokens = tokens;
    }

    public ServiceRequestContext ctx() {
        return ctx;
    }

    public AggregatedHttpRequest request() {
        return request;
    }

    public Params params() {
        return params;
    }

    /** Absolute base URL without a trailing slash, e.g. {@code http://localhost:8080}. */
    public String baseUrl() {
        return baseUrl;
    }

    public @Nullable String header(String name) {
        return request.headers().get(name);
    }

    /** A path parameter that must be an id: unknown-format ids are simply not found. */
    public long pathId(String name) {
        String v = ctx.pathParam(name);
        if (v == null) {
            throw RookeryException.notFound();
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw RookeryException.notFound();
        }
    }

    /** The bearer token presented, if any and valid; an invalid one is a 401. */
    public Optional<OAuthService.Token> token() {
        if (token == null) {
            String raw = null;
            String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            if (auth != null) {
                if (!auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                    throw RookeryException.unauthorized("The access token is invalid");
                }
                raw = auth.substring(7).trim();
            } else if (params.string("access_token") != null) {
                raw = params.string("access_token");
            }
            if (raw == null) {
                token = Optional.empty();
            } else {
                token = tokens.apply(raw);
                if (token.isEmpty()) {
                    throw RookeryException.unauthorized("The access token is invalid");
                }
            }
        }
        return token;
    }

    /** The signed-in user's id, 0 when signed out. */
    public long viewerId() {
        return token().map(OAuthService.Token::userId).orElse(0L);
    }

    /** The signed-in user's id with the scope needed; 401 when signed out or app-only, 403 without the scope. */
    public long requireUser(String scope) {
        OAuthService.Token t = token().orElseThrow(() -> RookeryException.unauthorized("The access token is invalid"));
        if (t.userId() == 0) {
            throw RookeryException.unauthorized("This method requires an authenticated user");
        }
        requireScope(t, scope);
        return t.userId();
    }

    /** Any valid token (app or user) with the scope; 401 otherwise. */
    public OAuthService.Token requireToken(String scope) {
        OAuthService.Token t = token().orElseThrow(() -> RookeryException.unauthorized("The access token is invalid"));
        requireScope(t, scope);
        return t;
    }

    private static void requireScope(OAuthService.Token t, String scope) {
        if (!t.hasScope(scope) && !t.hasScope(scope.contains(":") ? scope.substring(0, scope.indexOf(':')) : scope)) {
            throw RookeryException.forbidden("This action is outside the authorized scopes");
        }
    }

    public String method() {
        return request.method().name().toUpperCase(Locale.ROOT);
    }
}
