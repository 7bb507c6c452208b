package org.rookery.server.api;

import java.util.List;
import java.util.Map;
import org.rookery.core.model.Tweet;
import org.rookery.server.http.Call;
import org.rookery.server.http.Reply;
import org.rookery.server.http.Router;

/** Timelines: {@code GET /api/v1/timelines/home}. */
public final class TimelinesApi {
    private final Services s;

    public TimelinesApi(Services s) {
        this.s = s;
    }

    public void register(Router r) {
        r.getMemoryFirst("/api/v1/timelines/home", this::home);
    }

    private Object home(Call c) {
        long me = c.requireUser("read:statuses");
        List<Tweet> page = s.homeTimelines().home(me, Paging.page(c, 20, 40));
        List<StatusJson> items = s.renderer().statuses(c.baseUrl(), me, page);
        return page.isEmpty() ? Reply.json(items)
                : Paging.reply(c, items, page.get(0).id(), page.get(page.size() - 1).id());
    }
}
