package org.rookery.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {

    @Test
    void commandLineBeatsEnvironmentBeatsDefault() {
        Config config = Config.builder()
                .env(Map.of("ROOKERY_PORT", "9000", "ROOKERY_DATA_DIR", "/srv/rookery"))
                .set("rookery.port", "9100")
                .build();
        assertThat(config.get(Settings.PORT)).isEqualTo(9100);
        assertThat(config.get(Settings.DATA_DIR)).isEqualTo("/srv/rookery");
        assertThat(config.get(Settings.MAX_TWEET_LENGTH)).isEqualTo(500);
        assertThat(config.get(Settings.LOG_RETENTION)).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void rejectsUnknownKeysAndBadValuesNamingTheKey() {
        assertThatThrownBy(() -> Config.builder().set("rookery.prot", "1"))
                .hasMessageContaining("unknown setting: rookery.prot");
        assertThatThrownBy(() -> Config.builder().set("rookery.port", "eighty"))
                .hasMessageContaining("rookery.port: eighty");
        assertThatThrownBy(() -> Config.builder().env(Map.of("ROOKERY_STORE_SYNC_WRITES", "maybe")))
                .hasMessageContaining("rookery.store.sync.writes");
    }

    @Test
    void everyKeyHasADocAndAnEnvironmentName() {
        for (ConfigKey<?> k : Settings.all()) {
            assertThat(k.doc()).as(k.name()).isNotBlank();
            assertThat(k.envName()).startsWith("ROOKERY_");
        }
    }

    @Test
    void operatorsReferencePageIsGeneratedFromTheCode() throws Exception {
        Path doc = Path.of("..", "docs", "configuration.md");
        assertThat(Files.readString(doc))
                .as("docs/configuration.md is stale: regenerate it with ./rookery config-doc > docs/configuration.md")
                .isEqualTo(Settings.markdown());
    }
}
