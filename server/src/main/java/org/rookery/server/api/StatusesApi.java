package org.rookery.server.api;

import java.util.Map;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Tweet;
import org.rookery.core.model.Visibility;
import org.rookery.core.tweets.Context;
import org.rookery.core.tweets.NewTweet;
import org.rookery.server.http.Call;
import org.rookery.server.http.Params;
import org.rookery.server.http.Router;

/** Statuses: post, read, delete, favourite, repost, conversation context. */
public final class StatusesApi {
    private final Services s;

    public StatusesApi(Services s) {
        this.s = s;
    }

    public void register(Router r) {
        r.post("/api/v1/statuses", this::post);
        // Memory-first: the status, its author, the viewer's follow and block edges (containsEach)
        // and the rendered members are usually in memory, and nothing here changes state.
        r.getMemoryFirst("/api/v1/statuses/{id}", c -> render(c, s.tweets().visible(c.viewerId(), c.pathId("id"))
                .orElseThrow(RookeryException::notFound)));
        r.delete("/api/v1/statuses/{id}", this::delete);
        r.getMemoryFirst("/api/v1/statuses/{id}/context", this::context);
        r.post("/api/v1/statuses/{id}/favourite", c -> {
            long me = c.requireUser("write:favourites");
            return render(c, s.tweets().favourite(me, c.pathId("id")));
        });
        r.post("/api/v1/statuses/{id}/unfavourite", c -> {
            long me = c.requireUser("write:favourites");
            return render(c, s.tweets().unfavourite(me, c.pathId("id")));
        });
        r.post("/api/v1/statuses/{id}/reblog", c -> {
            long me = c.requireUser("write:statuses");
            Visibility v = visibility(c.params(), "visibility");
            return render(c, s.tweets().repost(me, c.pathId("id"), v));
        });
        r.post("/api/v1/statuses/{id}/unreblog", c -> {
            long me = c.requireUser("write:statuses");
            return render(c, s.tweets().unrepost(me, c.pathId("id")));
        });
    }

    private StatusJson render(Call c, Tweet t) {
        return s.renderer().status(c.baseUrl(), c.viewerId(), t);
    }

    private static Visibility visibility(Params p, String name) {
        String v = p.string(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        Visibility parsed = Visibility.parse(v);
        if (parsed == null) {
            throw RookeryException.invalid(name, "must be public, unlisted, private or direct");
        }
        return parsed;
    }

    private Object post(Call c) {
        long me = c.requireUser("write:statuses");
        Params p = c.params();
        if (p.has("media_ids") || p.has("poll[options]")) {
            throw RookeryException.invalid(p.has("media_ids") ? "media_ids" : "poll", "is not supported by this server");
        }
        String language = p.string("language");
        if (language != null && !language.matches("[a-z]{2,3}")) {
            throw RookeryException.invalid("language", "must be an ISO 639 language code");
        }
        NewTweet req = new NewTweet(p.string("status", ""), p.id("in_reply_to_id"),
                p.has("quoted_status_id") ? p.id("quoted_status_id") : p.id("quote_id"), visibility(p, "visibility"),
                p.string("spoiler_text", ""), p.bool("sensitive", false), language, c.header("idempotency-key"));
        if (p.has("scheduled_at")) {
            throw RookeryException.invalid("scheduled_at", "scheduled posts are not supported by this server");
        }
        return render(c, s.tweets().post(me, req));
    }

    private Object delete(Call c) {
        long me = c.requireUser("write:statuses");
        Tweet gone = s.tweets().delete(me, c.pathId("id"));
        return s.renderer().status(c.baseUrl(), me, gone).with("text", gone.text());
    }

    private Object context(Call c) {
        Context ctx = s.tweets().context(c.viewerId(), c.pathId("id"));
        return Map.of(
                "ancestors", s.renderer().statuses(c.baseUrl(), c.viewerId(), ctx.ancestors()),
                "descendants", s.renderer().statuses(c.baseUrl(), c.viewerId(), ctx.descendants()));
    }
}
