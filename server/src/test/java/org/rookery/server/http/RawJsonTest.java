package org.rookery.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cached members copied in with {@code writeRaw} make the same object as writing every member. */
class RawJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final RawJson MEMBERS = RawJson.members(g -> {
        g.writeStringField("note", "<p>caf\u00e9 \"quoted\" \ud83d\udc4d</p>");
        g.writeBooleanField("locked", false);
        g.writeNullField("card");
    });

    private static void write(JsonGenerator g) throws Exception {
        g.writeStartObject();
        g.writeStringField("id", "1");
        g.writeRaw(MEMBERS);
        g.writeNumberField("count", 3);
        g.writeEndObject();
    }

    @Test
    void membersWrittenRawBetweenOthersMakeTheSameObject() throws Exception {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("id", "1");
        expected.put("note", "<p>caf\u00e9 \"quoted\" \ud83d\udc4d</p>");
        expected.put("locked", false);
        expected.put("card", null);
        expected.put("count", 3);
        // The server writes UTF-8 (writeValueAsBytes), as the cached members are made.
        String json = new String(MAPPER.writeValueAsBytes(expected), java.nio.charset.StandardCharsets.UTF_8);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(bytes)) { // UTF-8: copies the bytes
            write(g);
        }
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(json);

        StringWriter chars = new StringWriter();
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(chars)) { // characters: decodes them
            write(g);
        }
        assertThat(MAPPER.readTree(chars.toString())).isEqualTo(MAPPER.readTree(json));
        assertThat(MEMBERS.getValue()).startsWith(",\"note\":");
    }

    @Test
    void anEmptyMemberListIsRefused() {
        assertThatThrownBy(() -> RawJson.members(g -> { })).isInstanceOf(IllegalArgumentException.class);
    }
}
