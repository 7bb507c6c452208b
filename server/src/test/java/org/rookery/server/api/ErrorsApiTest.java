package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * Failures: every one is a 4xx with Mastodon's JSON error body ({@code error}, and {@code field}
 * where one field is at fault), never a 500, and a rejected write changes nothing.
 */
class ErrorsApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    /** Asserts an error status with a valid JSON error body; returns the body. */
    private static JsonNode error(ApiClient.Response r, int status) {
        r.expect(status);
        assertThat(r.header("content-type")).as("error content type").hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        JsonNode body = r.json();
        assertValid("Error", body);
        assertThat(body.get("error").asText()).isNotBlank();
        return body;
    }

    @AfterAll
    static void noRequestInThisClassFailedWithA5xx() {
        String metrics = new ApiClient(server).admin("GET", "/admin/metrics").expect(200).body();
        Matcher m = Pattern.compile("rookery_http_requests_total\\{[^}]*status=\"5\\d\\d\"[^}]*}").matcher(metrics);
        List<String> failures = new ArrayList<>();
        while (m.find()) {
            failures.add(m.group());
        }
        assertThat(failures).as("requests answered with a server error").isEmpty();
    }

    // ---- not found ------------------------------------------------------------------------

    @Test
    void unknownIdsAre404() {
        User u = api.newUser("seeker");
        error(api.get("/api/v1/statuses/1234567"), 404);
        error(api.get("/api/v1/statuses/1234567/context"), 404);
        error(api.post("/api/v1/statuses/1234567/favourite", u.token()), 404);
        error(api.post("/api/v1/statuses/1234567/unfavourite", u.token()), 404);
        error(api.post("/api/v1/statuses/1234567/reblog", u.token()), 404);
        error(api.post("/api/v1/statuses/1234567/unreblog", u.token()), 404);
        error(api.delete("/api/v1/statuses/1234567", u.token()), 404);
        error(api.get("/api/v1/accounts/1234567"), 404);
        error(api.get("/api/v1/accounts/1234567/statuses"), 404);
        error(api.post("/api/v1/follow_requests/1234567/authorize", u.token()), 404);
        error(api.post("/api/v1/follow_requests/1234567/reject", u.token()), 404);
    }

    @Test
    void malformedPathIdsAreNotFound() {
        for (String id : List.of("abc", "-1", "0", "1.5", "99999999999999999999", "%20", "1e3")) {
            error(api.get("/api/v1/statuses/" + id), 404);
            error(api.get("/api/v1/accounts/" + id), 404);
        }
    }

    @Test
    void malformedIdParametersAre400NamingTheParameter() {
        User u = api.newUser("params");
        String timeline = "/api/v1/accounts/" + u.id() + "/statuses";
        for (String p : List.of("max_id", "since_id", "min_id")) {
            assertThat(error(api.get(timeline + "?" + p + "=abc"), 400).get("field").asText()).isEqualTo(p);
        }
        assertThat(error(api.get(timeline + "?limit=ten"), 400).get("field").asText()).isEqualTo("limit");
        assertThat(error(api.get(timeline + "?exclude_replies=maybe"), 400).get("field").asText())
                .isEqualTo("exclude_replies");
        assertThat(error(api.post("/api/v1/statuses", u.token(), Map.of("status", "x", "in_reply_to_id", "abc")), 400)
                .get("field").asText()).isEqualTo("in_reply_to_id");
        assertThat(error(api.get("/api/v1/accounts/relationships?id[]=abc", u.token()), 400).get("field").asText())
                .isEqualTo("id");
    }

    @Test
    void unknownRoutesAndWrongMethodsAreJsonErrors() {
        error(api.get("/api/v1/nothing_here"), 404);
        error(api.get("/api/v9/instance"), 404);
        error(api.get("/api/v1/statuses"), 405);
        error(api.send("PUT", "/api/v1/statuses/1", null, null, Map.of()), 405);
    }

    // ---- authentication -------------------------------------------------------------------

    @Test
    void badTokensAre401EvenWhereNoneIsNeeded() {
        User u = api.newUser("badtoken");
        String id = api.postStatus(u, "public post").get("id").asText();
        error(api.get("/api/v1/accounts/verify_credentials", "not-a-token"), 401);
        error(api.get("/api/v1/statuses/" + id, "not-a-token"), 401);
        error(api.get("/api/v1/statuses/" + id, "x".repeat(500)), 401);
        error(api.send("GET", "/api/v1/accounts/verify_credentials", null, null,
                Map.of("Authorization", "Basic dXNlcjpwYXNz")), 401);
        error(api.get("/api/v1/accounts/verify_credentials?access_token=wrong"), 401);
        // A good token in the query string works, as in Mastodon.
        api.get("/api/v1/accounts/verify_credentials?access_token=" + u.token()).expect(200);
    }

    @Test
    void writesWithoutATokenAre401AndChangeNothing() {
        User u = api.newUser("notoken");
        String id = api.postStatus(u, "mine").get("id").asText();
        error(api.post("/api/v1/statuses", null, Map.of("status", "anonymous")), 401);
        error(api.delete("/api/v1/statuses/" + id, null), 401);
        error(api.post("/api/v1/statuses/" + id + "/favourite", null), 401);
        error(api.post("/api/v1/statuses/" + id + "/reblog", null), 401);
        error(api.patch("/api/v1/accounts/update_credentials", null, ApiClient.form(Map.of("display_name", "x"))), 401);
        error(api.post("/api/v1/accounts/" + u.id() + "/follow", null), 401);

        JsonNode status = api.get("/api/v1/statuses/" + id).ok();
        assertThat(status.get("favourites_count").asInt()).isZero();
        assertThat(status.get("reblogs_count").asInt()).isZero();
        assertThat(api.account(u.id(), null).get("statuses_count").asInt()).isEqualTo(1);
    }

    @Test
    void deletingSomeoneElsesPostIs403AndKeepsIt() {
        User author = api.newUser("owner");
        User other = api.newUser("vandal");
        String id = api.postStatus(author, "do not touch").get("id").asText();
        error(api.delete("/api/v1/statuses/" + id, other.token()), 403);
        assertThat(api.get("/api/v1/statuses/" + id).ok().get("content").asText()).contains("do not touch");
        assertThat(api.account(author.id(), null).get("statuses_count").asInt()).isEqualTo(1);
    }

    // ---- malformed bodies -----------------------------------------------------------------

    @Test
    void malformedJsonIs400AndPostsNothing() {
        User u = api.newUser("badjson");
        for (String body : List.of("{\"status\": \"unterminated", "{status: 1}", "[1, 2]", "\"just a string\"", "{}{")) {
            JsonNode e = error(api.post("/api/v1/statuses", u.token(), ApiClient.json(body)), 400);
            assertThat(e.get("field").asText()).as("body %s", body).isEqualTo("body");
        }
        assertThat(api.account(u.id(), null).get("statuses_count").asInt()).isZero();
    }

    @Test
    void malformedFormAndUnsupportedContentTypesAreRejected() {
        User u = api.newUser("badform");
        error(api.post("/api/v1/statuses", u.token(), ApiClient.raw("application/x-www-form-urlencoded",
                "status=%zz".getBytes(StandardCharsets.UTF_8))), 400);
        error(api.post("/api/v1/statuses", u.token(), ApiClient.raw("application/xml",
                "<status>hi</status>".getBytes(StandardCharsets.UTF_8))), 415);
        assertThat(api.account(u.id(), null).get("statuses_count").asInt()).isZero();
    }

    @Test
    void oversizedBodiesAre413AndPostNothing() {
        User u = api.newUser("huge");
        int max = 1 << 20; // rookery.http.max.request.bytes default
        String big = "x".repeat(max + 1024);
        error(api.post("/api/v1/statuses", u.token(), Map.of("status", big)), 413);
        error(api.post("/api/v1/statuses", u.token(), ApiClient.json(Map.of("status", big))), 413);
        error(api.post("/api/v1/statuses", u.token(), ApiClient.multipart(Map.of("status", big))), 413);
        error(api.post("/api/v1/apps", null, Map.of("client_name", big, "redirect_uris", ApiClient.OOB)), 413);
        assertThat(api.account(u.id(), null).get("statuses_count").asInt()).isZero();
        // The connection and the server are fine afterwards.
        api.postStatus(u, "small again");
    }

    @Test
    void unknownParametersAreIgnored() {
        User u = api.newUser("extra");
        JsonNode s = api.postStatus(u, Map.of("status", "with extras", "frobnicate", "yes", "poll_later", "1"));
        assertValid("Status", s);
    }

    // ---- never a 500 ----------------------------------------------------------------------

    @Test
    void randomGarbageParametersNeverCauseAServerError() {
        long seed = Long.getLong("rookery.test.seed", System.nanoTime());
        Random random = new Random(seed);
        User u = api.newUser("fuzz");
        String status = api.postStatus(u, "fuzz target").get("id").asText();
        List<String[]> routes = List.of(
                new String[] {"POST", "/api/v1/statuses"},
                new String[] {"GET", "/api/v1/statuses/" + status},
                new String[] {"GET", "/api/v1/statuses/" + status + "/context"},
                new String[] {"POST", "/api/v1/statuses/" + status + "/reblog"},
                new String[] {"POST", "/api/v1/statuses/" + status + "/favourite"},
                new String[] {"GET", "/api/v1/accounts/" + u.id() + "/statuses"},
                new String[] {"GET", "/api/v1/accounts/" + u.id() + "/followers"},
                new String[] {"GET", "/api/v1/accounts/lookup"},
                new String[] {"GET", "/api/v1/accounts/relationships"},
                new String[] {"PATCH", "/api/v1/accounts/update_credentials"},
                new String[] {"POST", "/api/v1/accounts"},
                new String[] {"POST", "/api/v1/apps"},
                new String[] {"POST", "/oauth/token"},
                new String[] {"POST", "/oauth/revoke"},
                new String[] {"POST", "/api/v1/accounts/" + u.id() + "/follow"});
        List<String> names = List.of("status", "in_reply_to_id", "quoted_status_id", "visibility", "spoiler_text",
                "sensitive", "language", "max_id", "since_id", "min_id", "limit", "exclude_replies", "id[]", "acct",
                "display_name", "note", "locked", "bot", "username", "email", "password", "agreement", "client_name",
                "redirect_uris", "scopes", "grant_type", "client_id", "client_secret", "code", "code_verifier",
                "scope", "token", "reblogs", "notify", "media_ids[]", "poll[options][]");
        List<String> values = List.of("", " ", "0", "-1", "1", "9223372036854775807", "9223372036854775808",
                "99999999999999999999", "abc", "true", "false", "null", "[]", "{}", "\u0000", "%", "../../etc",
                "<script>", "é", "\uD83D\uDC26", "x".repeat(5000), "a b c", "read write", "private", "direct",
                "password", "client_credentials", ApiClient.OOB, "https://example.com/cb", u.username(), status);
        String[] tokens = {null, u.token(), "garbage"};
        for (int i = 0; i < 300; i++) {
            String[] route = routes.get(random.nextInt(routes.size()));
            Map<String, Object> form = new LinkedHashMap<>();
            int n = random.nextInt(5);
            for (int j = 0; j < n; j++) {
                form.put(names.get(random.nextInt(names.size())), values.get(random.nextInt(values.size())));
            }
            String token = tokens[random.nextInt(tokens.length)];
            ApiClient.Body body = switch (random.nextInt(3)) {
                case 0 -> ApiClient.form(form);
                case 1 -> ApiClient.json(form);
                default -> ApiClient.multipart(form);
            };
            String path = route[1];
            if (route[0].equals("GET")) {
                path += "?" + ApiClient.formEncode(form);
                body = null;
            }
            ApiClient.Response r = api.send(route[0], path, token, body, Map.of());
            String what = "seed " + seed + " (rerun with -Drookery.test.seed=" + seed + "), request " + i + ": "
                    + route[0] + " " + abbreviate(route[1] + " " + form);
            assertThat(r.status()).as(what + " -> " + r).isLessThan(500);
            if (r.status() >= 400) {
                assertThat(r.header("content-type")).as(what).hasValueSatisfying(
                        t -> assertThat(t).startsWith("application/json"));
                assertThat(r.json().path("error").asText()).as(what).isNotBlank();
            }
        }
    }

    private static String abbreviate(String s) {
        return s.replaceAll("(.)\\1{20,}", "$1…");
    }
}
