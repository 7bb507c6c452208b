package org.rookery.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.rookery.server.http.RawJson;

/**
 * A Mastodon Account: id, the profile members cached per account ({@link Renderer}), and the
 * members that change with every post and follow (last status day and counts).
 */
public final class AccountJson extends RenderedJson {
    private final long id;
    private final RawJson profile;
    private final @Nullable String lastStatusAt;
    private final long statuses;
    private final long followers;
    private final long following;

    AccountJson(long id, RawJson profile, @Nullable String lastStatusAt, long statuses, long followers, long following) {
        this.id = id;
        this.profile = profile;
        this.lastStatusAt = lastStatusAt;
        this.statuses = statuses;
        this.followers = followers;
        this.following = following;
    }

    @Override
    void writeMembers(JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeStringField("id", Long.toString(id));
        g.writeRaw(profile);
        g.writeStringField("last_status_at", lastStatusAt);
        g.writeNumberField("statuses_count", statuses);
        g.writeNumberField("followers_count", followers);
        g.writeNumberField("following_count", following);
    }
}
