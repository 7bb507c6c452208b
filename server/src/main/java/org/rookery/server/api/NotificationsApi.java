package org.rookery.server.api;

import static java.util.Objects.requireNonNull;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rookery.core.activity.Notification;
import org.rookery.core.activity.NotificationService;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.core.model.Tweet;
import org.rookery.server.http.Call;
import org.rookery.server.http.Params;
import org.rookery.server.http.Reply;
import org.rookery.server.http.Router;

/**
 * Notifications (Mastodon's v1 notifications API): the caller's notification timeline, filtered by
 * type and account and paged by cursor; one notification; dismissing one; clearing all. Entities are
 * Mastodon's Notification, each with its account and, for mentions, reposts and favourites, its
 * status as the caller sees it. Thread-safe.
 */
public final class NotificationsApi {
    private static final int DEFAULT_LIMIT = 40;
    private static final int MAX_LIMIT = 80;
    private static final List<String> KEPT_IN_LINKS = List.of("limit", "types", "exclude_types", "account_id");

    private final Services s;
    private final NotificationService notifications;

    public NotificationsApi(Services s, NotificationService notifications) {
        this.s = requireNonNull(s, "s");
        this.notifications = requireNonNull(notifications, "notifications");
    }

    public void register(Router r) {
        r.getMemoryFirst("/api/v1/notifications", this::list);
        r.getMemoryFirst("/api/v1/notifications/{id}", this::show);
        r.post("/api/v1/notifications/clear", c -> {
            notifications.clear(c.requireUser("write:notifications"));
            return Map.of();
        });
        r.post("/api/v1/notifications/{id}/dismiss", c -> {
            long me = c.requireUser("write:notifications");
            if (!notifications.dismiss(me, c.pathId("id"))) {
                throw RookeryException.notFound();
            }
            return Map.of();
        });
    }

    private Reply list(Call c) {
        long me = c.requireUser("read:notifications");
        Params p = c.params();
        long fromAccount = p.id("account_id");
        List<Notification> page = notifications.page(me, Paging.page(c, DEFAULT_LIMIT, MAX_LIMIT), types(p), fromAccount);
        List<Map<String, Object>> items = render(c, me, page);
        Reply reply = Reply.json(items);
        if (!page.isEmpty()) {
            reply.header("link", links(c, page.get(0).id(), page.get(page.size() - 1).id()));
        }
        return reply;
    }

    private Map<String, Object> show(Call c) {
        long me = c.requireUser("read:notifications");
        Notification n = notifications.get(me, c.pathId("id")).orElseThrow(RookeryException::notFound);
        List<Map<String, Object>> rendered = render(c, me, List.of(n));
        if (rendered.isEmpty()) {
            throw RookeryException.notFound();
        }
        return rendered.get(0);
    }

    /**
     * The requested types, as Mastodon reads them: {@code types[]} (all if absent) less
     * {@code exclude_types[]}; names of types this server does not produce match nothing.
     */
    private static Set<Notification.Type> types(Params p) {
        List<String> included = p.list("types");
        Set<Notification.Type> out = included.isEmpty() ? EnumSet.allOf(Notification.Type.class)
                : EnumSet.noneOf(Notification.Type.class);
        for (String name : included) {
            Notification.Type.ofApiName(name).ifPresent(out::add);
        }
        for (String name : p.list("exclude_types")) {
            Notification.Type.ofApiName(name).ifPresent(out::remove);
        }
        return out;
    }

    /**
     * Notification entities for a page, hydrated together: the actors in one multiget, the statuses
     * in one multiget and one batch render. A notification whose account or status vanished since the
     * page was read is left out.
     */
    private List<Map<String, Object>> render(Call c, long me, List<Notification> page) {
        String base = c.baseUrl();
        Map<Long, Account> actors = s.users().getAll(page.stream().mapToLong(Notification::accountId).distinct().toArray());
        Map<Long, AccountJson> renderedActors = new HashMap<>();
        actors.forEach((id, a) -> renderedActors.put(id, s.renderer().account(base, a)));
        long[] statusIds = page.stream().mapToLong(Notification::statusId).filter(id -> id != 0).distinct().toArray();
        Map<Long, StatusJson> renderedStatuses = new HashMap<>();
        if (statusIds.length > 0) {
            List<Tweet> statuses = new ArrayList<>(s.tweets().getAll(statusIds).values());
            List<StatusJson> rendered = s.renderer().statuses(base, me, statuses);
            for (int i = 0; i < statuses.size(); i++) {
                renderedStatuses.put(statuses.get(i).id(), rendered.get(i));
            }
        }
        List<Map<String, Object>> out = new ArrayList<>(page.size());
        for (Notification n : page) {
            AccountJson account = renderedActors.get(n.accountId());
            StatusJson status = renderedStatuses.get(n.statusId());
            if (account == null || (n.type().hasStatus() && status == null)) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Renderer.id(n.id()));
            m.put("type", n.type().apiName());
            m.put("created_at", Renderer.iso(n.createdAtMillis()));
            m.put("group_key", "ungrouped-" + n.id());
            m.put("account", account);
            if (n.type().hasStatus()) {
                m.put("status", status);
            }
            out.add(m);
        }
        return out;
    }

    /** Mastodon's Link header: {@code next} below the oldest, {@code prev} above the newest, filters kept. */
    private static String links(Call c, long newest, long oldest) {
        String path = c.baseUrl() + c.ctx().path();
        StringBuilder keep = new StringBuilder();
        for (String name : KEPT_IN_LINKS) {
            List<String> values = c.params().list(name);
            String key = name.endsWith("types") ? name + "[]" : name;
            for (String v : values) {
                keep.append('&').append(URLEncoder.encode(key, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        }
        return "<" + path + "?max_id=" + oldest + keep + ">; rel=\"next\", <" + path + "?min_id=" + newest + keep
                + ">; rel=\"prev\"";
    }
}
