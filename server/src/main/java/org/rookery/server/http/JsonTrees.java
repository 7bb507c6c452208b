package org.rookery.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes the API's responses, trees of maps and lists holding strings, numbers and booleans (what
 * {@code api/Renderer} builds), straight to the generator. Jackson's own {@code MapSerializer} looks
 * up a serializer for each value's class and keeps only a handful per map serializer, so a status
 * (a dozen value classes: strings, booleans, longs, nested maps, three kinds of list) went to the
 * provider's synchronized lookup for nearly every field. Anything else falls back to Jackson.
 */
public final class JsonTrees {
    private JsonTrees() {}

    /** A module that makes {@code mapper} write every {@link Map} and {@link Collection} this way. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static SimpleModule module() {
        SimpleModule m = new SimpleModule("rookery-json-trees");
        m.addSerializer((Class) Map.class, new MapWriter());
        m.addSerializer((Class) Collection.class, new CollectionWriter());
        return m;
    }

    /** Writes {@code value} (a tree of maps and lists, a {@link JsonSerializable}, or anything Jackson writes). */
    public static void write(@Nullable Object value, JsonGenerator g, SerializerProvider p) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Long l) {
            g.writeNumber(l);
        } else if (value instanceof Integer i) {
            g.writeNumber(i);
        } else if (value instanceof JsonSerializable js) {
            js.serialize(g, p);
        } else if (value instanceof Map<?, ?> map) {
            writeMap(map, g, p);
        } else if (value instanceof Collection<?> c) {
            writeCollection(c, g, p);
        } else {
            p.defaultSerializeValue(value, g);
        }
    }

    private static void writeMap(Map<?, ?> map, JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeStartObject(map);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            g.writeFieldName(String.valueOf(e.getKey()));
            write(e.getValue(), g, p);
        }
        g.writeEndObject();
    }

    private static void writeCollection(Collection<?> c, JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeStartArray(c, c.size());
        for (Object o : c) {
            write(o, g, p);
        }
        g.writeEndArray();
    }

    private static final class MapWriter extends StdSerializer<Map<?, ?>> {
        @SuppressWarnings({"unchecked", "rawtypes"})
        MapWriter() {
            super((Class) Map.class);
        }

        @Override
        public void serialize(Map<?, ?> value, JsonGenerator g, SerializerProvider p) throws IOException {
            writeMap(value, g, p);
        }
    }

    private static final class CollectionWriter extends StdSerializer<Collection<?>> {
        @SuppressWarnings({"unchecked", "rawtypes"})
        CollectionWriter() {
            super((Class) Collection.class);
        }

        @Override
        public void serialize(Collection<?> value, JsonGenerator g, SerializerProvider p) throws IOException {
            writeCollection(value, g, p);
        }
    }
}
