package org.rookery.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.healthcheck.HealthCheckService;
import com.linecorp.armeria.server.healthcheck.SettableHealthChecker;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.core.users.UserService;
import org.rookery.server.http.Router;

/**
 * TwitterServer-style admin endpoints on their own port: {@code /admin/ping},
 * {@code /admin/server_info}, {@code /admin/metrics} (Prometheus text), {@code /health} (ready only
 * after warm-up), and account approval for approval-mode sign-ups.
 */
public final class AdminApi {
    private final PrometheusMeterRegistry registry;
    private final SettableHealthChecker ready;
    private final UserService users;
    private final Instant startedAt;
    private final ObjectMapper mapper = new ObjectMapper();

    public AdminApi(PrometheusMeterRegistry registry, SettableHealthChecker ready, UserService users, Instant startedAt) {
        this.registry = registry;
        this.ready = ready;
        this.users = users;
        this.startedAt = startedAt;
    }

    public void register(ServerBuilder sb) {
        sb.service("/admin/ping", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "pong"));
        sb.service("/admin/server_info", (ctx, req) -> json(serverInfo()));
        sb.service("/admin/metrics", (ctx, req) -> HttpResponse.of(HttpStatus.OK,
                MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), registry.scrape()));
        sb.service("/health", HealthCheckService.builder().checkers(ready).build());
        sb.route().post("/admin/accounts/{id}/approve").build((ctx, req) -> HttpResponse.of(
                req.aggregate().thenApplyAsync(agg -> {
                    try {
                        long id = Long.parseLong(ctx.pathParam("id"));
                        Account a = users.approve(id);
                        return json(Map.of("id", Long.toString(a.id()), "username", a.handle(), "approved", a.approved()));
                    } catch (NumberFormatException e) {
                        return Router.error(404, "Record not found", null);
                    } catch (RookeryException e) {
                        return Router.error(e.status(), e.getMessage(), e.field());
                    }
                }, ctx.blockingTaskExecutor())));
    }

    private Map<String, Object> serverInfo() {
        Runtime rt = Runtime.getRuntime();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "rookery");
        m.put("version", "0.1.0");
        m.put("start_time", startedAt.toString());
        m.put("uptime_ms", ManagementFactory.getRuntimeMXBean().getUptime());
        m.put("ready", ready.isHealthy());
        m.put("java_version", Runtime.version().toString());
        m.put("pid", ProcessHandle.current().pid());
        m.put("processors", rt.availableProcessors());
        m.put("heap_used_bytes", rt.totalMemory() - rt.freeMemory());
        m.put("heap_max_bytes", rt.maxMemory());
        return m;
    }

    private HttpResponse json(Object body) {
        try {
            return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, mapper.writeValueAsBytes(body));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
