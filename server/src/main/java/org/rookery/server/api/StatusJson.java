package org.rookery.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.rookery.server.http.RawJson;

/**
 * A Mastodon Status as one viewer sees it: id, the members cached per status ({@link Renderer}: text,
 * links, mentions, tags, reply ids, ...), then what changes between reads or viewers: the author's
 * account, the counts, the reposted and quoted statuses, and the viewer's flags.
 */
public final class StatusJson extends RenderedJson {
    private final long id;
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

    static final int NOT_A_QUOTE = 0;
    static final int QUOTE_ACCEPTED = 1;
    static final int QUOTE_DELETED = 2;

    @SuppressWarnings("checkstyle:ParameterNumber")
    StatusJson(long id, RawJson fixed, @Nullable AccountJson account, long reposts, long favourites, long replies,
               @Nullable StatusJson reblog, int quote, @Nullable StatusJson quoted, boolean signedIn, boolean favourited,
               boolean reblogged) {
        this.id = id;
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
        g.writeStringField("id", Long.toString(id));
        g.writeRaw(fixed);
        g.writeFieldName("account");
        writeOrNull(account, g, p);
        g.writeNumberField("reblogs_count", reposts);
        g.writeNumberField("favourites_count", favourites);
        g.writeNumberField("replies_count", replies);
        g.writeFieldName("reblog");
        writeOrNull(reblog, g, p);
        g.writeFieldName("quote");
        if (quote == NOT_A_QUOTE) {
            g.writeNull();
        } else {
            g.writeStartObject();
            g.writeStringField("state", quote == QUOTE_DELETED ? "deleted" : "accepted");
            g.writeFieldName("quoted_status");
            writeOrNull(quoted, g, p);
            g.writeEndObject();
        }
        if (signedIn) {
            g.writeBooleanField("favourited", favourited);
            g.writeBooleanField("reblogged", reblogged);
            g.writeBooleanField("muted", false);
            g.writeBooleanField("bookmarked", false);
            g.writeBooleanField("pinned", false);
        }
    }
}
