package org.rookery.server.api;

import java.util.List;
import java.util.Map;
import org.rookery.core.model.Page;
import org.rookery.server.http.Call;
import org.rookery.server.http.Params;
import org.rookery.server.http.Reply;

/** Mastodon pagination: {@code max_id}/{@code since_id}/{@code min_id}/{@code limit} in, a {@code Link} header out. */
final class Paging {
    private Paging() {}

    static Page page(Call call, int def, int max) {
        Params p = call.params();
        return new Page(p.id("max_id"), p.id("since_id"), p.id("min_id"), p.limit(def, max));
    }

    /**
     * A JSON list with a Link header whose {@code next} page continues below the oldest cursor and whose
     * {@code prev} page starts above the newest; no header on an empty page.
     */
    static Reply reply(Call call, List<?> items, long newestCursor, long oldestCursor) {
        Reply r = Reply.json(items);
        if (items.isEmpty()) {
            return r;
        }
        String path = call.baseUrl() + call.ctx().path();
        StringBuilder keep = new StringBuilder();
        for (String name : List.of("limit", "exclude_replies", "exclude_reblogs", "only_media", "pinned")) {
            String v = call.params().string(name);
            if (v != null) {
                keep.append('&').append(name).append('=').append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        r.header("link", "<" + path + "?max_id=" + oldestCursor + keep + ">; rel=\"next\", <"
                + path + "?min_id=" + newestCursor + keep + ">; rel=\"prev\"");
        return r;
    }
}
