package org.rookery.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.Await.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.Response;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/** POST /admin/bulk/accounts and /admin/bulk/follows over HTTP, checked through the public API. */
class BulkImportApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    // ---- helpers ----------------------------------------------------------------------------

    static List<String> usernames(String prefix, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(String.format("%s%07d", prefix, i));
        }
        return out;
    }

    static Response bulkAccounts(ApiClient api, RookeryServerExtension server, Object body) {
        return api.send("POST", server.adminUri("/admin/bulk/accounts").toString(), null, ApiClient.json(body), Map.of());
    }

    /** Creates the accounts; fails the test unless they all come back, in order. */
    static List<User> createAccounts(ApiClient api, RookeryServerExtension server, List<String> names) {
        JsonNode accounts = bulkAccounts(api, server, Map.of("usernames", names)).ok().get("accounts");
        assertThat(accounts).hasSize(names.size());
        List<User> out = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            JsonNode a = accounts.get(i);
            assertThat(a.get("username").asText()).isEqualTo(names.get(i));
            assertThat(a.get("id").asText()).matches("[1-9][0-9]*");
            out.add(new User(a.get("id").asText(), a.get("username").asText(), a.get("access_token").asText()));
        }
        return out;
    }

    static Response bulkFollows(ApiClient api, RookeryServerExtension server, ApiClient.Body body) {
        return api.send("POST", server.adminUri("/admin/bulk/follows").toString(), null, body, Map.of());
    }

    static ApiClient.Body lines(String text) {
        return ApiClient.raw("text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    static List<String> homeTexts(ApiClient api, User u) {
        List<String> texts = new ArrayList<>();
        for (JsonNode s : api.get("/api/v1/timelines/home", u.token()).ok()) {
            texts.add(s.get("content").asText().replaceAll("<[^>]+>", ""));
        }
        return texts;
    }

    private static void assertError(Response r, int status, String field) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.json().get("error").asText()).as(r.toString()).isNotBlank();
        assertThat(r.json().path("field").asText()).as(r.toString()).isEqualTo(field);
    }

    // ---- accounts ---------------------------------------------------------------------------

    @Test
    void twoThousandAccountsInOneCallGetWorkingTokensAndARerunKeepsTheirIdsAndReplacesTheirTokens() {
        List<String> names = usernames("bulk", 2_000);
        List<User> first = createAccounts(api, server, names);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<Integer> sample = new ArrayList<>(List.of(0, 1_999));
        for (int i = 0; i < 20; i++) {
            sample.add(random.nextInt(names.size()));
        }
        for (int i : sample) {
            User u = first.get(i);
            JsonNode me = api.get("/api/v1/accounts/verify_credentials", u.token()).ok();
            assertThat(me.get("id").asText()).as("seed %s, account %s", seed, i).isEqualTo(u.id());
            assertThat(me.get("username").asText()).isEqualTo(names.get(i));
        }
        // The token can write and follow too.
        api.postStatus(first.get(0), "hello from an imported account");
        api.post("/api/v1/accounts/" + first.get(1).id() + "/follow", first.get(0).token()).ok();

        List<User> again = createAccounts(api, server, names);
        for (int i = 0; i < names.size(); i++) {
            assertThat(again.get(i).id()).as("rerun, account %s", i).isEqualTo(first.get(i).id());
        }
        JsonNode me = api.get("/api/v1/accounts/verify_credentials", again.get(1_234).token()).ok();
        assertThat(me.get("id").asText()).isEqualTo(first.get(1_234).id());
        assertThat(api.get("/api/v1/accounts/verify_credentials", first.get(1_234).token()).status())
                .as("the rerun revoked the first call's token").isEqualTo(401);
        assertThat(api.get("/api/v1/accounts/verify_credentials", first.get(0).token()).status())
                .as("the rerun revoked the first call's token").isEqualTo(401);
    }

    @Test
    void importedAccountsCannotSignInWithAPassword() {
        User u = createAccounts(api, server, List.of("nopassword")).get(0);
        ApiClient.App app = api.app();
        assertThat(api.passwordGrant(app, u.username(), "", null).status()).isEqualTo(400);
        assertThat(api.passwordGrant(app, u.username(), ApiClient.PASSWORD, null).status()).isEqualTo(400);
    }

    @Test
    void anInvalidUsernameIsRejectedNamingItsIndexAndNothingIsCreated() {
        Response r = bulkAccounts(api, server, Map.of("usernames", List.of("valid_one", "not valid!", "x")));
        assertError(r, 422, "usernames[1]");
        assertThat(r.json().get("error").asText()).contains("letters, numbers and underscores");
        assertThat(api.get("/api/v1/accounts/lookup?acct=valid_one").status()).isEqualTo(404);

        assertError(bulkAccounts(api, server, Map.of("usernames", List.of("ok_name", 42))), 422, "usernames[1]");
        assertError(bulkAccounts(api, server, Map.of("usernames", List.of("ab"))), 422, "usernames[0]");
    }

    @Test
    void tooManyOrNoUsernamesAreRejected() {
        assertError(bulkAccounts(api, server, Map.of("usernames", usernames("many", 10_001))), 422, "usernames");
        assertThat(api.get("/api/v1/accounts/lookup?acct=many0000000").status()).isEqualTo(404);
        assertError(bulkAccounts(api, server, Map.of("usernames", List.of())), 422, "usernames");
        assertError(bulkAccounts(api, server, Map.of("names", List.of("a_b_c"))), 422, "usernames");
        assertError(bulkAccounts(api, server, "{not json"), 400, "body");
    }

    // ---- follows ----------------------------------------------------------------------------

    private static JsonNode account(ApiClient api, User u) {
        return api.get("/api/v1/accounts/" + u.id()).ok();
    }

    @Test
    void followsFromLinesUpdateCountsReachHomeTimelinesAndReportRejectedLines() {
        List<User> u = createAccounts(api, server, usernames("lines", 6));
        User star = u.get(0);
        api.postStatus(star, "posted before the import");
        String body = "# follower followee\n"
                + u.get(1).id() + " " + star.id() + "\n"
                + "\n"
                + u.get(2).id() + "\t" + star.id() + "\n"
                + "  " + u.get(3).id() + "   " + star.id() + "  \n"
                + star.id() + " " + u.get(1).id() + "\n"
                + u.get(1).id() + " " + star.id() + "\n"        // line 7: a repeat
                + u.get(4).id() + " " + u.get(4).id() + "\n"    // line 8: self
                + u.get(4).id() + " 123456789\n"                // line 9: unknown account
                + "twelve " + star.id() + "\n"                  // line 10: malformed
                + u.get(4).id() + " " + star.id() + " extra\n"; // line 11: malformed
        JsonNode r = bulkFollows(api, server, lines(body)).ok();
        assertThat(r.get("followed").asLong()).isEqualTo(4);
        assertThat(r.get("already").asLong()).isEqualTo(1);
        assertThat(r.get("rejected")).extracting(j -> j.get("line").asInt()).containsExactly(8, 9, 10, 11);
        assertThat(r.get("rejected").get(0).get("error").asText()).contains("yourself");
        assertThat(r.get("rejected").get(1).get("error").asText()).contains("123456789");
        assertThat(r.get("rejected").get(2).get("error").asText()).contains("malformed");

        assertThat(account(api, star).get("followers_count").asInt()).isEqualTo(3);
        assertThat(account(api, star).get("following_count").asInt()).isEqualTo(1);
        assertThat(account(api, u.get(1)).get("following_count").asInt()).isEqualTo(1);
        assertThat(account(api, u.get(1)).get("followers_count").asInt()).isEqualTo(1);
        JsonNode rel = api.get("/api/v1/accounts/relationships?id[]=" + star.id(), u.get(2).token()).ok();
        assertThat(rel.get(0).get("following").asBoolean()).isTrue();

        // The fanout consumer saw the follows: the earlier post was merged in, a new one is delivered.
        api.postStatus(star, "posted after the import");
        for (User follower : u.subList(1, 4)) {
            assertThat(eventually(() -> homeTexts(api, follower), t -> t.size() == 2))
                    .containsExactly("posted after the import", "posted before the import");
        }
        assertThat(homeTexts(api, u.get(5))).as("not a follower").isEmpty();

        // A second import of the same lines only finds them done.
        JsonNode again = bulkFollows(api, server, lines(body)).ok();
        assertThat(again.get("followed").asLong()).isZero();
        assertThat(again.get("already").asLong()).isEqualTo(5);
        assertThat(account(api, star).get("followers_count").asInt()).isEqualTo(3);
    }

    @Test
    void followsFromJsonReportRejectedEdgesByIndexAndFollowProtectedAccountsDirectly() {
        List<User> u = createAccounts(api, server, usernames("json", 4));
        api.patch("/api/v1/accounts/update_credentials", u.get(0).token(), ApiClient.form(Map.of("locked", "true"))).ok();
        Map<String, Object> body = Map.of("edges", List.of(
                List.of(u.get(1).id(), u.get(0).id()),
                List.of(Long.parseLong(u.get(2).id()), Long.parseLong(u.get(0).id())), // numbers work too
                List.of(u.get(3).id()),                                                // 3: malformed
                List.of(u.get(3).id(), u.get(3).id()),                                 // 4: self
                List.of(u.get(3).id(), u.get(1).id())));
        JsonNode r = bulkFollows(api, server, ApiClient.json(body)).ok();
        assertThat(r.get("followed").asLong()).isEqualTo(3);
        assertThat(r.get("already").asLong()).isZero();
        assertThat(r.get("rejected")).extracting(j -> j.get("line").asInt()).containsExactly(3, 4);
        assertThat(account(api, u.get(0)).get("followers_count").asInt()).as("the protected account").isEqualTo(2);
        JsonNode rel = api.get("/api/v1/accounts/relationships?id[]=" + u.get(0).id(), u.get(1).token()).ok();
        assertThat(rel.get(0).get("following").asBoolean()).isTrue();
        assertThat(rel.get(0).get("requested").asBoolean()).isFalse();
    }

    @Test
    void tooManyEdgesAreRejectedWholeAndBadBodiesNameTheProblem() {
        List<User> u = createAccounts(api, server, usernames("limit", 2));
        StringBuilder many = new StringBuilder(u.get(0).id() + " " + u.get(1).id() + "\n");
        for (int i = 0; i < 100_000; i++) {
            many.append("1 2\n");
        }
        assertError(bulkFollows(api, server, lines(many.toString())), 422, "edges");
        assertThat(account(api, u.get(1)).get("followers_count").asInt()).as("nothing applied").isZero();

        assertError(bulkFollows(api, server, ApiClient.json(Map.of("edges", "1 2"))), 422, "edges");
        assertError(bulkFollows(api, server, ApiClient.raw("application/octet-stream", new byte[] {1})), 415, "body");
        assertError(bulkFollows(api, server, ApiClient.json("[1, 2]")), 400, "body");
    }
}
