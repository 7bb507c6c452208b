package org.rookery.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link JsonTrees} writes exactly what Jackson's own serializers write for the same tree. */
class JsonTreesTest {
    record Point(int x, String label) {}

    @Test
    void writesWhatJacksonWritesForEveryKindOfValue() throws Exception {
        Map<String, Object> account = new LinkedHashMap<>();
        account.put("id", "382725938728665088");
        account.put("locked", false);
        account.put("followers_count", 12L);
        account.put("statuses_count", 3);
        account.put("note", "<p>caf\u00e9 \"quoted\" \\ \u2028 \ud83d\udc4d</p>");
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("account", account);
        status.put("reblog", null);
        status.put("media_attachments", List.of());
        status.put("tags", new ArrayList<>(List.of(Map.of("name", "rookery"))));
        status.put("mentions", List.of(new TreeMap<>(Map.of("b", 2, "a", 1))));
        status.put("ids", Set.of(7L));
        status.put("score", 0.5);
        status.put("point", new Point(3, "p"));
        status.put("nested", List.of(List.of(true, "x"), List.of()));

        ObjectMapper plain = new ObjectMapper();
        ObjectMapper trees = new ObjectMapper().registerModule(JsonTrees.module());
        assertThat(trees.writeValueAsString(status)).isEqualTo(plain.writeValueAsString(status));
        assertThat(trees.writeValueAsString(List.of(status, status))).isEqualTo(plain.writeValueAsString(List.of(status, status)));
    }
}
