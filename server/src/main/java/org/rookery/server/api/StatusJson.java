package org.rookery.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.rookery.server.http.RawJson;

/**
 * A Mastodon Status as one viewer sees it: the counts, then the members cached per status
 * ({@link Renderer}: id, text, links, mentions, tags, reply ids, ...), then the rest of what changes
 * between reads or viewers: the author's account, the reposted and quoted statuses, and the
 * viewer's flags. (The id is cached with the members, so no read formats it; members of a JSON
 * object have no order.)
 */
public final class StatusJson extends RenderedJson {
    private final RawJson fixed;
    private final @Nullable AccountJson account;
    private final long reposts;
    private final long favourites;
    private final long replies;
    private final @Nullable StatusJson reblog;
    /** 0: not a quote; 1: quote of a status shown as {@link #quoted} (null if the viewer may not see it); 2: quote of a deleted status. */
    private final int quote;
    private final @Nullable StatusJson quoted;
    private final boolean signedIn;
    private final boolean favourited;
    private final boolean reblogged;

    // Member names written on every read, encoded once: a String name is escaped char by char.
    private static final SerializableString ACCOUNT = new SerializedString("account");
    private static final SerializableString REBLOGS_COUNT = new SerializedString("reblogs_count");
    private static final SerializableString FAVOURITES_COUNT = new SerializedString("favourites_count");
    private static final SerializableString REPLIES_COUNT = new SerializedString("replies_count");
    private static final SerializableString REBLOG = new SerializedString("reblog");
    private static final SerializableString QUOTE = new SerializedString("quote");
    private static final SerializableString STATE = new SerializedString("state");
    private static final SerializableString QUOTED_STATUS = new SerializedString("quoted_status");
    private static final SerializableString FAVOURITED = new SerializedString("favourited");
    private static final SerializableString REBLOGGED = new SerializedString("reblogged");
    /** The viewer's flags that Rookery does not keep (no mutes of conversations, bookmarks or pins yet). */
    private static final RawJson NOT_MUTED_BOOKMARKED_OR_PINNED = RawJson.members(g -> {
        g.writeBooleanField("muted", false);
        g.writeBooleanField("bookmarked", false);
        g.writeBooleanField("pinned", false);
    });

    static final int NOT_A_QUOTE = 0;
    static final int QUOTE_ACCEPTED = 1;
    static final int QUOTE_DELETED = 2;

    @SuppressWarnings("checkstyle:ParameterNumber")
    StatusJson(RawJson fixed, @Nullable AccountJson account, long reposts, long favourites, long replies,
               @Nullable StatusJson reblog, int quote, @Nullable StatusJson quoted, boolean signedIn, boolean favourited,
               boolean reblogged) {
        this.fixed = fixed;
        this.account = account;
        this.reposts = reposts;
        this.favourites = favourites;
        this.replies = replies;
        this.reblog = reblog;
        this.quote = quote;
        this.quoted = quoted;
        this.signedIn = signedIn;
        this.favourited = favourited;
        this.reblogged = reblogged;
    }

    @Override
    void writeMembers(JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeFieldName(REBLOGS_COUNT);
        g.writeNumber(reposts);
        g.writeRaw(fixed); // after a member written through the generator: it starts with a comma
        g.writeFieldName(FAVOURITES_COUNT);
        g.writeNumber(favourites);
        g.writeFieldName(REPLIES_COUNT);
        g.writeNumber(replies);
        g.writeFieldName(ACCOUNT);
        writeOrNull(account, g, p);
        g.writeFieldName(REBLOG);
        writeOrNull(reblog, g, p);
        g.writeFieldName(QUOTE);
        if (quote == NOT_A_QUOTE) {
            g.writeNull();
        } else {
            g.writeStartObject();
            g.writeFieldName(STATE);
            g.writeString(quote == QUOTE_DELETED ? "deleted" : "accepted");
            g.writeFieldName(QUOTED_STATUS);
            writeOrNull(quoted, g, p);
            g.writeEndObject();
        }
        if (signedIn) {
            g.writeFieldName(FAVOURITED);
            g.writeBoolean(favourited);
            g.writeFieldName(REBLOGGED);
            g.writeBoolean(reblogged);
            g.writeRaw(NOT_MUTED_BOOKMARKED_OR_PINNED);
        }
    }
}
