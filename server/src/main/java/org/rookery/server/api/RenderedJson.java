package org.rookery.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.rookery.server.http.JsonTrees;

/**
 * A rendered entity that writes itself: the members that change between reads written through the
 * generator, the rest copied from a cached {@link org.rookery.server.http.RawJson}; members added with
 * {@link #with} come last. Not thread-safe: one per response.
 */
public abstract sealed class RenderedJson implements JsonSerializable permits AccountJson, StatusJson {
    private @Nullable Map<String, Object> extra;

    /** Adds a member after the entity's own (for example {@code text} on a deleted status). */
    public RenderedJson with(String name, @Nullable Object value) {
        if (extra == null) {
            extra = new LinkedHashMap<>();
        }
        extra.put(name, value);
        return this;
    }

    /** The members between the opening and closing brace, the first written through the generator. */
    abstract void writeMembers(JsonGenerator g, SerializerProvider p) throws IOException;

    @Override
    public final void serialize(JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeStartObject();
        writeMembers(g, p);
        if (extra != null) {
            for (Map.Entry<String, Object> e : extra.entrySet()) {
                g.writeFieldName(e.getKey());
                JsonTrees.write(e.getValue(), g, p);
            }
        }
        g.writeEndObject();
    }

    @Override
    public final void serializeWithType(JsonGenerator g, SerializerProvider p, TypeSerializer typeSer) throws IOException {
        serialize(g, p);
    }

    static void writeOrNull(@Nullable RenderedJson value, JsonGenerator g, SerializerProvider p) throws IOException {
        if (value == null) {
            g.writeNull();
        } else {
            value.serialize(g, p);
        }
    }
}
