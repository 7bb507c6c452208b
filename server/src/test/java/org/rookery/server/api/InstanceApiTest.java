package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.MastodonSchema;
import org.rookery.server.testing.RookeryServerExtension;

/** Server discovery (NodeInfo, instance v1/v2) and the admin port. */
class InstanceApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    @Test
    void nodeinfoDiscoveryPointsAtNodeinfo20() {
        JsonNode discovery = api.get("/.well-known/nodeinfo").ok();
        JsonNode link = discovery.get("links").get(0);
        assertThat(link.get("rel").asText()).isEqualTo("http://nodeinfo.diaspora.software/ns/schema/2.0");
        assertThat(link.get("href").asText()).isEqualTo(server.baseUrl() + "/nodeinfo/2.0");

        JsonNode nodeinfo = api.get(link.get("href").asText()).ok();
        assertThat(nodeinfo.get("version").asText()).isEqualTo("2.0");
        assertThat(nodeinfo.at("/software/name").asText()).isEqualTo("rookery");
        assertThat(nodeinfo.get("openRegistrations").asBoolean()).isTrue();
        assertThat(nodeinfo.at("/usage/users/total").isIntegralNumber()).isTrue();
        assertThat(nodeinfo.at("/usage/localPosts").isIntegralNumber()).isTrue();
    }

    @Test
    void nodeinfoCountsUsersAndPosts() {
        long users = api.get("/nodeinfo/2.0").ok().at("/usage/users/total").asLong();
        long posts = api.get("/nodeinfo/2.0").ok().at("/usage/localPosts").asLong();
        ApiClient.User u = api.newUser("counted");
        api.postStatus(u, "one more post");

        JsonNode after = api.get("/nodeinfo/2.0").ok();
        assertThat(after.at("/usage/users/total").asLong()).isEqualTo(users + 1);
        assertThat(after.at("/usage/localPosts").asLong()).isEqualTo(posts + 1);
    }

    @Test
    void v1InstanceIsAValidMastodonV1Instance() {
        JsonNode v1 = api.get("/api/v1/instance").ok();
        assertValid("V1Instance", v1);
        assertThat(v1.get("uri").asText()).isEqualTo("127.0.0.1:" + server.port());
        assertThat(v1.at("/urls/streaming_api").asText()).startsWith("ws://127.0.0.1:" + server.port());
        assertThat(v1.at("/configuration/statuses/max_characters").asInt()).isEqualTo(500);
        assertThat(v1.at("/configuration/statuses/characters_reserved_per_url").asInt()).isEqualTo(23);
        assertThat(v1.get("registrations").asBoolean()).isTrue();
        assertThat(v1.get("approval_required").asBoolean()).isFalse();
    }

    @Test
    void v2InstanceIsAValidMastodonInstanceWithAStreamingUrl() {
        JsonNode v2 = api.get("/api/v2/instance").ok();
        assertValid("Instance", v2);
        assertThat(v2.get("domain").asText()).isEqualTo("127.0.0.1:" + server.port());
        assertThat(v2.at("/configuration/urls/streaming").asText()).isEqualTo("ws://127.0.0.1:" + server.port());
        assertThat(v2.at("/registrations/enabled").asBoolean()).isTrue();
        assertThat(v2.at("/configuration/statuses/max_characters").asInt()).isEqualTo(500);
    }

    @Test
    void rulesAndCustomEmojisAreEmptyLists() {
        assertThat(api.get("/api/v1/instance/rules").ok().isArray()).isTrue();
        assertThat(api.get("/api/v1/custom_emojis").ok().isArray()).isTrue();
    }

    @Test
    void webPageAndDefaultAvatarAreServed() {
        ApiClient.Response page = api.get("/").expect(200);
        assertThat(page.header("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        ApiClient.Response avatar = api.get("/avatars/original/missing.png").expect(200);
        assertThat(avatar.header("content-type")).contains("image/png");
    }

    @Test
    void adminPingAnswersPong() {
        ApiClient.Response r = api.admin("GET", "/admin/ping").expect(200);
        assertThat(r.body()).isEqualTo("pong");
    }

    @Test
    void healthIsOkOnceStarted() {
        api.admin("GET", "/health").expect(200);
    }

    @Test
    void serverInfoReportsVersionUptimeAndReadiness() {
        JsonNode info = api.admin("GET", "/admin/server_info").ok();
        assertThat(info.get("name").asText()).isEqualTo("rookery");
        assertThat(info.get("version").asText()).isNotBlank();
        assertThat(info.get("ready").asBoolean()).isTrue();
        assertThat(Instant.parse(info.get("start_time").asText())).isBefore(Instant.now().plus(Duration.ofSeconds(1)));
        assertThat(info.get("uptime_ms").asLong()).isPositive();
    }

    @Test
    void metricsCountRequestsPerRouteWithLatencyHistogram() {
        api.get("/api/v1/instance").expect(200);
        ApiClient.User u = api.newUser("metered");
        api.postStatus(u, "measured");
        api.get("/api/v1/statuses/1", null).expect(404);

        String metrics = api.admin("GET", "/admin/metrics").expect(200).body();
        assertThat(metrics).containsPattern("rookery_http_requests_total\\{[^}]*route=\"/api/v1/instance\"[^}]*} [1-9]");
        assertThat(metrics).containsPattern("rookery_http_requests_total\\{[^}]*route=\"/api/v1/statuses\"[^}]*}");
        assertThat(metrics).containsPattern(
                "rookery_http_[a-z_]*duration_seconds_bucket\\{[^}]*route=\"/api/v1/instance\"");
        assertThat(metrics).containsPattern(
                "rookery_http_requests_total\\{[^}]*route=\"/api/v1/statuses/:id\"[^}]*status=\"404\"");
    }

    @Test
    void adminApprovalOfUnknownAccountIs404Json() {
        ApiClient.Response r = api.admin("POST", "/admin/accounts/123/approve").expect(404);
        assertValid("Error", r.json());
        api.admin("POST", "/admin/accounts/nope/approve").expect(404);
    }

    @Test
    void schemaCheckRejectsMissingFieldsWrongTypesAndBadFormats() {
        // The validator must bite, or every assertValid above proves nothing.
        org.junit.jupiter.api.Assumptions.assumeTrue(MastodonSchema.available(), "the Mastodon schema is not beside this checkout");
        ObjectNode v2 = (ObjectNode) api.get("/api/v2/instance").ok();
        v2.remove("domain");
        assertThat(MastodonSchema.validate("Instance", v2)).anyMatch(m -> m.contains("domain"));

        ApiClient.User u = api.newUser("schema");
        ObjectNode account = (ObjectNode) api.account(u.id(), null);
        assertValid("Account", account);
        account.put("created_at", "yesterday");
        account.put("followers_count", "many");
        account.put("avatar", "not a uri");
        assertThat(MastodonSchema.validate("Account", account))
                .anyMatch(m -> m.contains("created_at"))
                .anyMatch(m -> m.contains("followers_count"))
                .anyMatch(m -> m.contains("avatar"));
    }

    @Test
    void instanceStatsAreJsonNumbers() {
        JsonNode stats = api.get("/api/v1/instance").ok().get("stats");
        assertThat(stats.get("user_count").isIntegralNumber()).isTrue();
        assertThat(stats.get("status_count").isIntegralNumber()).isTrue();
        assertThat(stats.get("domain_count").isIntegralNumber()).isTrue();
    }
}
