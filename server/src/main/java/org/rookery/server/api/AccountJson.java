package org.rookery.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.rookery.server.http.RawJson;

/**
 * A Mastodon Account: the members that change with every post and follow (counts and last status
 * day) around the members cached per account ({@link Renderer}: id and profile).
 */
public final class AccountJson extends RenderedJson {
    // Member names written on every read, encoded once (see StatusJson).
    private static final SerializableString LAST_STATUS_AT = new SerializedString("last_status_at");
    private static final SerializableString STATUSES_COUNT = new SerializedString("statuses_count");
    private static final SerializableString FOLLOWERS_COUNT = new SerializedString("followers_count");
    private static final SerializableString FOLLOWING_COUNT = new SerializedString("following_count");

    private final RawJson profile;
    private final @Nullable SerializableString lastStatusAt;
    private final long statuses;
    private final long followers;
    private final long following;

    AccountJson(RawJson profile, @Nullable SerializableString lastStatusAt, long statuses, long followers, long following) {
        this.profile = profile;
        this.lastStatusAt = lastStatusAt;
        this.statuses = statuses;
        this.followers = followers;
        this.following = following;
    }

    @Override
    void writeMembers(JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeFieldName(STATUSES_COUNT);
        g.writeNumber(statuses);
        g.writeRaw(profile); // after a member written through the generator: it starts with a comma
        g.writeFieldName(LAST_STATUS_AT);
        if (lastStatusAt == null) {
            g.writeNull();
        } else {
            g.writeString(lastStatusAt);
        }
        g.writeFieldName(FOLLOWERS_COUNT);
        g.writeNumber(followers);
        g.writeFieldName(FOLLOWING_COUNT);
        g.writeNumber(following);
    }
}
