package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.MastodonSchema.assertEachValid;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.core.config.Config;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/** Sign-up and its rules, credentials, profiles, lookup and the user timeline with paging. */
class AccountsApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    // ---- sign-up --------------------------------------------------------------------------

    @Test
    void signUpWithAFormBodyReturnsAWorkingToken() {
        String name = ApiClient.uniqueName("form");
        JsonNode token = api.signUpRequest(ApiClient.form(ApiClient.signUpForm(name))).ok();
        assertValid("Token", token);
        JsonNode me = api.get("/api/v1/accounts/verify_credentials", token.get("access_token").asText()).ok();
        assertValid("CredentialAccount", me);
        assertThat(me.get("username").asText()).isEqualTo(name);
        assertThat(me.get("acct").asText()).isEqualTo(name);
        assertThat(me.get("statuses_count").asInt()).isZero();
    }

    @Test
    void signUpWithAJsonBodyWorks() {
        String name = ApiClient.uniqueName("json");
        Map<String, Object> body = new LinkedHashMap<>(ApiClient.signUpForm(name));
        body.put("agreement", true);
        JsonNode token = api.signUpRequest(ApiClient.json(body)).ok();
        assertValid("Token", token);
        assertThat(api.get("/api/v1/accounts/lookup?acct=" + name).ok().get("username").asText()).isEqualTo(name);
    }

    @Test
    void signUpWithAMultipartBodyWorks() {
        String name = ApiClient.uniqueName("multi");
        JsonNode token = api.signUpRequest(ApiClient.multipart(ApiClient.signUpForm(name))).ok();
        assertValid("Token", token);
        assertThat(api.get("/api/v1/accounts/lookup?acct=" + name).ok().get("username").asText()).isEqualTo(name);
    }

    @Test
    void signedUpUserCanAlsoGetAPasswordGrantToken() {
        User u = api.newUser("pw");
        JsonNode token = api.passwordGrant(api.app(), u.username(), ApiClient.PASSWORD, null).ok();
        assertValid("Token", token);
        JsonNode me = api.get("/api/v1/accounts/verify_credentials", token.get("access_token").asText()).ok();
        assertThat(me.get("id").asText()).isEqualTo(u.id());
    }

    @Test
    void handlesOfWrongLengthOrWithBadCharactersAreRejectedNamingUsername() {
        for (String bad : List.of("ab", "a".repeat(31), "has-dash", "has space", "dot.ted", "émile", "")) {
            ApiClient.Response r = api.signUpRequest(ApiClient.form(ApiClient.signUpForm(bad))).expect(422);
            assertValid("Error", r.json());
            assertThat(r.json().get("error").asText()).as("handle %s", bad).contains("username");
            assertThat(r.json().path("field").asText()).as("handle %s", bad).isEqualTo("username");
        }
        // The limits themselves are fine.
        api.signUpRequest(ApiClient.form(ApiClient.signUpForm("abc"))).expect(200);
        api.signUpRequest(ApiClient.form(ApiClient.signUpForm("b".repeat(30)))).expect(200);
    }

    @Test
    void handlesAreUniqueIgnoringCase() {
        String name = ApiClient.uniqueName("Dup");
        api.signUp(name);
        Map<String, Object> again = ApiClient.signUpForm(name.toLowerCase(Locale.ROOT));
        again.put("email", "other-" + name + "@example.com");
        ApiClient.Response r = api.signUpRequest(ApiClient.form(again)).expect(422);
        assertValid("Error", r.json());
        assertThat(r.json().get("error").asText()).contains("username").contains("taken");
    }

    @Test
    void concurrentSignUpsForOneHandleCreateOneAccount() throws Exception {
        String name = ApiClient.uniqueName("Race");
        List<Integer> statuses = StatusesApiTest.concurrently(6, i -> {
            Map<String, Object> form = ApiClient.signUpForm(i % 2 == 0 ? name : name.toUpperCase(Locale.ROOT));
            form.put("email", "racer" + i + "-" + name + "@example.com");
            return api.signUpRequest(ApiClient.form(form)).status();
        });
        assertThat(statuses).containsOnly(200, 422).filteredOn(st -> st == 200).hasSize(1);
        api.get("/api/v1/accounts/lookup?acct=" + name).expect(200);
    }

    @Test
    void badEmailShortPasswordAndMissingAgreementAreRejectedNamingTheField() {
        Map<String, Object> badEmail = ApiClient.signUpForm(ApiClient.uniqueName("mail"));
        badEmail.put("email", "not-an-email");
        assertThat(api.signUpRequest(ApiClient.form(badEmail)).expect(422).json().get("field").asText())
                .isEqualTo("email");

        Map<String, Object> shortPassword = ApiClient.signUpForm(ApiClient.uniqueName("short"));
        shortPassword.put("password", "1234567");
        assertThat(api.signUpRequest(ApiClient.form(shortPassword)).expect(422).json().get("field").asText())
                .isEqualTo("password");

        Map<String, Object> noAgreement = ApiClient.signUpForm(ApiClient.uniqueName("agree"));
        noAgreement.remove("agreement");
        assertThat(api.signUpRequest(ApiClient.form(noAgreement)).expect(422).json().get("field").asText())
                .isEqualTo("agreement");

        Map<String, Object> takenEmail = ApiClient.signUpForm(ApiClient.uniqueName("taken"));
        User first = api.newUser("first");
        takenEmail.put("email", first.username().toUpperCase(Locale.ROOT) + "@EXAMPLE.com");
        assertThat(api.signUpRequest(ApiClient.form(takenEmail)).expect(422).json().get("field").asText())
                .isEqualTo("email");
    }

    @Test
    void rejectedSignUpCreatesNoAccount() {
        String name = ApiClient.uniqueName("ghost");
        Map<String, Object> form = ApiClient.signUpForm(name);
        form.put("password", "short");
        api.signUpRequest(ApiClient.form(form)).expect(422);
        api.get("/api/v1/accounts/lookup?acct=" + name).expect(404);
        // The name is still free.
        api.signUp(name);
    }

    @Test
    void signUpNeedsAnAppToken() {
        ApiClient.Response r = api.post("/api/v1/accounts", null,
                ApiClient.form(ApiClient.signUpForm(ApiClient.uniqueName("anon")))).expect(401);
        assertValid("Error", r.json());
    }

    // ---- credentials and profiles -----------------------------------------------------------

    @Test
    void verifyCredentialsIsACredentialAccountWithSource() {
        User u = api.newUser("cred");
        JsonNode me = api.get("/api/v1/accounts/verify_credentials", u.token()).ok();
        assertValid("CredentialAccount", me);
        assertThat(me.at("/source/privacy").asText()).isEqualTo("public");
        assertThat(me.at("/source/note").asText()).isEmpty();
        assertThat(me.at("/source/follow_requests_count").asInt()).isZero();
        api.get("/api/v1/accounts/verify_credentials").expect(401);
    }

    @Test
    void updateCredentialsWithMultipartChangesTheProfileEveryoneSees() {
        User u = api.newUser("profile");
        JsonNode updated = api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.multipart(Map.of(
                "display_name", "Ada L.", "note", "Counting engines & <notes>", "bot", "true"))).ok();
        assertValid("CredentialAccount", updated);
        assertThat(updated.get("display_name").asText()).isEqualTo("Ada L.");
        assertThat(updated.get("bot").asBoolean()).isTrue();
        assertThat(updated.at("/source/note").asText()).isEqualTo("Counting engines & <notes>");
        assertThat(updated.get("note").asText()).isEqualTo("<p>Counting engines &amp; &lt;notes&gt;</p>");

        JsonNode seen = api.account(u.id(), null);
        assertValid("Account", seen);
        assertThat(seen.get("display_name").asText()).isEqualTo("Ada L.");
        assertThat(seen.get("bot").asBoolean()).isTrue();
    }

    /** {@code GET /api/v1/accounts/:id} is memory-first: once loaded it is answered on the event loop, with what a read from the store shows. */
    @Test
    void profileReadFromMemoryIsTheProfileAndCountsOfNow() {
        User u = api.newUser("memprofile");
        User fan = api.newUser("memprofilefan");
        String path = "/api/v1/accounts/" + u.id();
        for (String viewer : new String[] {fan.token(), null}) {
            JsonNode[] reads = api.getTwiceFromMemory(path, viewer);
            assertValid("Account", reads[1]);
            assertThat(reads[1]).isEqualTo(reads[0]);
        }

        api.postStatus(u, "a first post");
        api.post(path + "/follow", fan.token()).ok();
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("display_name", "Now Named"))).ok();
        JsonNode after = api.getFromMemory(path, fan.token());
        assertThat(after.get("statuses_count").asLong()).isEqualTo(1);
        assertThat(after.get("followers_count").asLong()).isEqualTo(1);
        assertThat(after.get("display_name").asText()).isEqualTo("Now Named");
        assertThat(after.get("last_status_at").isNull()).isFalse();
        api.get("/api/v1/accounts/99999999999", fan.token()).expect(404);
    }

    /** A status's text and links are kept serialized after its first read; the author's profile and the counts are not. */
    @Test
    void aStatusReadBeforeShowsTheAuthorsNewProfileAndCurrentCounts() {
        User u = api.newUser("rerender");
        User fan = api.newUser("rerenderfan");
        String id = api.postStatus(u, "first post with #tag").get("id").asText();
        JsonNode before = api.get("/api/v1/statuses/" + id, fan.token()).ok();
        assertThat(before.at("/account/display_name").asText()).isEqualTo(u.username());
        assertThat(before.at("/account/statuses_count").asLong()).isEqualTo(1);
        assertThat(before.get("favourited").asBoolean()).isFalse();

        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("display_name", "Renamed"))).ok();
        api.postStatus(u, "second post");
        api.post("/api/v1/statuses/" + id + "/favourite", fan.token()).ok();
        api.post("/api/v1/accounts/" + u.id() + "/follow", fan.token()).ok();

        JsonNode after = api.get("/api/v1/statuses/" + id, fan.token()).ok();
        assertValid("Status", after);
        assertThat(after.get("content").asText()).isEqualTo(before.get("content").asText()).contains("/tags/tag");
        assertThat(after.at("/account/display_name").asText()).isEqualTo("Renamed");
        assertThat(after.at("/account/statuses_count").asLong()).isEqualTo(2);
        assertThat(after.at("/account/followers_count").asLong()).isEqualTo(1);
        assertThat(after.get("favourites_count").asLong()).isEqualTo(1);
        assertThat(after.get("favourited").asBoolean()).isTrue();
        assertThat(api.get("/api/v1/statuses/" + id, u.token()).ok().get("favourited").asBoolean())
                .as("another viewer's flags").isFalse();
    }

    @Test
    void updateCredentialsCanLockTheAccount() {
        User u = api.newUser("locking");
        JsonNode updated = api.patch("/api/v1/accounts/update_credentials", u.token(),
                ApiClient.form(Map.of("locked", "true"))).ok();
        assertThat(updated.get("locked").asBoolean()).isTrue();
        assertThat(updated.at("/source/privacy").asText()).isEqualTo("private");
        assertThat(api.account(u.id(), null).get("locked").asBoolean()).isTrue();
    }

    @Test
    void tooLongDisplayNameIs422AndChangesNothing() {
        User u = api.newUser("longname");
        ApiClient.Response r = api.patch("/api/v1/accounts/update_credentials", u.token(),
                ApiClient.multipart(Map.of("display_name", "x".repeat(31), "note", "should not stick"))).expect(422);
        assertValid("Error", r.json());
        assertThat(r.json().get("field").asText()).isEqualTo("display_name");
        JsonNode me = api.get("/api/v1/accounts/verify_credentials", u.token()).ok();
        assertThat(me.get("display_name").asText()).isEqualTo(u.username());
        assertThat(me.at("/source/note").asText()).isEmpty();
    }

    @Test
    void accountByIdIsAValidAccountForAnyone() {
        User u = api.newUser("byid");
        User viewer = api.newUser("viewer");
        JsonNode anon = api.account(u.id(), null);
        assertValid("Account", anon);
        assertThat(anon.get("id").asText()).isEqualTo(u.id());
        assertThat(anon.get("url").asText()).isEqualTo(server.baseUrl() + "/@" + u.username());
        assertThat(anon.has("source")).isFalse();
        assertThat(api.account(u.id(), viewer)).isEqualTo(anon);
    }

    @Test
    void lookupReadFromMemoryIsTheProfileOfNow() {
        User u = api.newUser("memlookup");
        String path = "/api/v1/accounts/lookup?acct=" + u.username().toUpperCase(Locale.ROOT);
        JsonNode[] reads = api.getTwiceFromMemory(path, null);
        assertThat(reads[1]).isEqualTo(reads[0]);
        assertThat(reads[1].get("id").asText()).isEqualTo(u.id());
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("display_name", "Renamed"))).ok();
        JsonNode now = api.getFromMemory(path, null);
        assertValid("Account", now);
        assertThat(now.get("display_name").asText()).isEqualTo("Renamed");
    }

    @Test
    void lookupFindsByHandleIgnoringCaseAndLocalDomain() {
        User u = api.newUser("Looked");
        for (String acct : List.of(u.username(), u.username().toUpperCase(Locale.ROOT), "@" + u.username(),
                u.username() + "@127.0.0.1")) {
            JsonNode found = api.get("/api/v1/accounts/lookup?acct=" + acct).ok();
            assertValid("Account", found);
            assertThat(found.get("id").asText()).as("acct %s", acct).isEqualTo(u.id());
        }
        assertValid("Error", api.get("/api/v1/accounts/lookup?acct=nobody_at_all").expect(404).json());
        // The same name on another server is another account, and this server knows no remote ones.
        assertValid("Error", api.get("/api/v1/accounts/lookup?acct=" + u.username() + "@elsewhere.example")
                .expect(404).json());
        assertThat(api.get("/api/v1/accounts/lookup").expect(422).json().get("field").asText()).isEqualTo("acct");
    }

    // ---- the user timeline ------------------------------------------------------------------

    /** {@code verify_credentials} is memory-first too, its count of pending follow requests that of now. */
    @Test
    void verifyCredentialsFromMemoryCountsPendingRequestsOfNow() {
        User u = api.newUser("memverify");
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("locked", "true"))).ok();
        String path = "/api/v1/accounts/verify_credentials";
        JsonNode[] reads = api.getTwiceFromMemory(path, u.token());
        assertValid("CredentialAccount", reads[1]);
        assertThat(reads[1]).isEqualTo(reads[0]);
        assertThat(reads[1].at("/source/follow_requests_count").asInt()).isZero();

        User asker = api.newUser("memverifyasker");
        api.post("/api/v1/accounts/" + u.id() + "/follow", asker.token()).ok();
        JsonNode after = api.getFromMemory(path, u.token());
        assertThat(after.at("/source/follow_requests_count").asInt()).isEqualTo(1);
        api.get(path).expect(401);
    }

    /**
     * {@code GET /api/v1/accounts/:id/statuses} is memory-first: once its blocks and records are in
     * memory it is answered on the event loop, with the posts, counts and visibility of now.
     */
    @Test
    void userTimelineReadFromMemoryIsTheTimelineOfNow() {
        User u = api.newUser("memtimeline");
        User fan = api.newUser("memtimelinefan");
        for (int i = 0; i < 3; i++) {
            api.postStatus(u, "memory post " + i);
        }
        String path = "/api/v1/accounts/" + u.id() + "/statuses";
        JsonNode[] reads = api.getTwiceFromMemory(path, fan.token());
        JsonNode first = reads[0];
        assertEachValid("Status", reads[1]);
        assertThat(reads[1]).isEqualTo(first).hasSize(3);

        String newest = api.postStatus(u, "memory post 3").get("id").asText();
        String oldest = first.get(2).get("id").asText();
        api.post("/api/v1/statuses/" + oldest + "/favourite", fan.token()).ok();
        JsonNode after = api.getFromMemory(path, fan.token());
        assertThat(ids(after)).hasSize(4).startsWith(newest).endsWith(oldest);
        assertThat(after.get(3).get("favourites_count").asLong()).isEqualTo(1);
        assertThat(after.get(3).get("favourited").asBoolean()).isTrue();

        // Locked: a viewer who does not follow sees an empty timeline, from memory as from the store.
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("locked", "true"))).ok();
        User stranger = api.newUser("memtimelinestranger");
        JsonNode[] hidden = api.getTwiceFromMemory(path, stranger.token());
        assertThat(hidden[0]).isEmpty();
        assertThat(hidden[1]).isEmpty();
    }

    @Test
    void userTimelinePagesNewestFirstWithAbsoluteLinkHeaders() {
        User u = api.newUser("pager");
        List<String> posted = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            posted.add(0, api.postStatus(u, "post number " + i).get("id").asText()); // newest first
        }
        String first = "/api/v1/accounts/" + u.id() + "/statuses?limit=3";
        List<String> seen = new ArrayList<>();
        ApiClient.Response page = api.get(first).expect(200);
        int pages = 0;
        while (true) {
            JsonNode items = page.json();
            if (items.isEmpty()) {
                assertThat(page.header("link")).as("no Link header on an empty page").isEmpty();
                break;
            }
            assertEachValid("Status", items);
            items.forEach(s -> seen.add(s.get("id").asText()));
            String next = page.link("next").orElse(null);
            assertThat(next).as("next link in %s", page.header("link")).isNotNull();
            String prev = page.link("prev").orElseThrow();
            assertThat(next).startsWith(server.baseUrl() + "/api/v1/accounts/" + u.id() + "/statuses?")
                    .contains("max_id=" + items.get(items.size() - 1).get("id").asText()).contains("limit=3");
            assertThat(prev).startsWith(server.baseUrl()).contains("min_id=" + items.get(0).get("id").asText());
            assertThat(++pages).as("pages").isLessThanOrEqualTo(4);
            page = api.get(next).expect(200);
        }
        assertThat(seen).containsExactlyElementsOf(posted);
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void userTimelineSinceIdMinIdAndMaxIdSelectTheRightWindow() {
        User u = api.newUser("window");
        List<String> ids = new ArrayList<>(); // oldest first
        for (int i = 0; i < 6; i++) {
            ids.add(api.postStatus(u, "window " + i).get("id").asText());
        }
        String base = "/api/v1/accounts/" + u.id() + "/statuses";
        // since_id: the newest entries above it; min_id: the entries just above it. Both newest first.
        assertThat(ids(api.get(base + "?since_id=" + ids.get(1) + "&limit=2").ok()))
                .containsExactly(ids.get(5), ids.get(4));
        assertThat(ids(api.get(base + "?min_id=" + ids.get(1) + "&limit=2").ok()))
                .containsExactly(ids.get(3), ids.get(2));
        assertThat(ids(api.get(base + "?max_id=" + ids.get(4) + "&limit=2").ok()))
                .containsExactly(ids.get(3), ids.get(2));
        assertThat(ids(api.get(base + "?max_id=" + ids.get(4) + "&since_id=" + ids.get(1)).ok()))
                .containsExactly(ids.get(3), ids.get(2));
        ApiClient.Response empty = api.get(base + "?since_id=" + ids.get(5)).expect(200);
        assertThat(empty.json()).isEmpty();
        assertThat(empty.header("link")).isEmpty();
    }

    @Test
    void userTimelineLimitIsClampedToForty() {
        User u = api.newUser("clamp");
        for (int i = 0; i < 3; i++) {
            api.postStatus(u, "clamp " + i);
        }
        assertThat(api.get("/api/v1/accounts/" + u.id() + "/statuses?limit=0").ok()).hasSize(1);
        assertThat(api.get("/api/v1/accounts/" + u.id() + "/statuses?limit=1000").ok()).hasSize(3);
    }

    @Test
    void excludeRepliesKeepsSelfRepliesAndExcludeReblogsDropsReposts() {
        User u = api.newUser("filters");
        User other = api.newUser("other");
        String theirs = api.postStatus(other, "someone else's post").get("id").asText();
        String mine = api.postStatus(u, "my thread starts").get("id").asText();
        String selfReply = api.postStatus(u, Map.of("status", "and continues", "in_reply_to_id", mine)).get("id").asText();
        String reply = api.postStatus(u, Map.of("status", "@" + other.username() + " agreed",
                "in_reply_to_id", theirs)).get("id").asText();
        String repost = api.post("/api/v1/statuses/" + theirs + "/reblog", u.token()).ok().get("id").asText();

        String base = "/api/v1/accounts/" + u.id() + "/statuses";
        assertThat(ids(api.get(base).ok())).containsExactly(repost, reply, selfReply, mine);
        assertThat(ids(api.get(base + "?exclude_replies=true").ok())).containsExactly(repost, selfReply, mine);
        assertThat(ids(api.get(base + "?exclude_reblogs=true").ok())).containsExactly(reply, selfReply, mine);
        assertThat(ids(api.get(base + "?exclude_replies=1&exclude_reblogs=1").ok())).containsExactly(selfReply, mine);

        ApiClient.Response paged = api.get(base + "?exclude_replies=true&limit=1").expect(200);
        assertThat(paged.link("next")).hasValueSatisfying(l -> assertThat(l).contains("exclude_replies=true"));
    }

    @Test
    void pinnedAndMediaOnlyTimelinesAreEmpty() {
        User u = api.newUser("pins");
        api.postStatus(u, "not pinned");
        assertThat(api.get("/api/v1/accounts/" + u.id() + "/statuses?pinned=true").ok()).isEmpty();
        assertThat(api.get("/api/v1/accounts/" + u.id() + "/statuses?only_media=true").ok()).isEmpty();
    }

    @Test
    void lastStatusAtIsSetOncePosted() {
        User u = api.newUser("last");
        assertThat(api.account(u.id(), null).get("last_status_at").isNull()).isTrue();
        api.postStatus(u, "now I have posted");
        JsonNode a = api.account(u.id(), null);
        assertValid("Account", a);
        assertThat(a.get("last_status_at").asText()).matches("\\d{4}-\\d{2}-\\d{2}");
    }

    static List<String> ids(JsonNode statuses) {
        List<String> out = new ArrayList<>();
        statuses.forEach(s -> out.add(s.get("id").asText()));
        return out;
    }

    // ---- registration modes -----------------------------------------------------------------

    @Test
    void whenRegistrationsAreClosedSignUpIsForbiddenAndTheInstanceSaysSo() throws Exception {
        withServer(Config.builder().set("rookery.registrations", "closed"), closed -> {
            ApiClient.Response r = closed.signUpRequest(
                    ApiClient.form(ApiClient.signUpForm(ApiClient.uniqueName("late")))).expect(403);
            assertValid("Error", r.json());
            assertThat(closed.get("/api/v2/instance").ok().at("/registrations/enabled").asBoolean()).isFalse();
            assertThat(closed.get("/api/v1/instance").ok().get("registrations").asBoolean()).isFalse();
            assertThat(closed.get("/nodeinfo/2.0").ok().get("openRegistrations").asBoolean()).isFalse();
        });
    }

    @Test
    void whenRegistrationsNeedApprovalAPendingAccountIsLockedOutUntilAnAdminApprovesIt() throws Exception {
        withServer(Config.builder().set("rookery.registrations", "approval"), a -> {
            assertThat(a.get("/api/v2/instance").ok().at("/registrations/approval_required").asBoolean()).isTrue();
            String name = ApiClient.uniqueName("pending");
            String token = a.signUpRequest(ApiClient.form(ApiClient.signUpForm(name))).ok()
                    .get("access_token").asText();

            ApiClient.Response pending = a.get("/api/v1/accounts/verify_credentials", token).expect(403);
            assertValid("Error", pending.json());
            a.post("/api/v1/statuses", token, Map.of("status", "let me in")).expect(403);
            assertThat(a.passwordGrant(a.app(), name, ApiClient.PASSWORD, null).status()).isEqualTo(403);

            String id = a.get("/api/v1/accounts/lookup?acct=" + name).ok().get("id").asText();
            JsonNode approved = a.admin("POST", "/admin/accounts/" + id + "/approve").ok();
            assertThat(approved.get("approved").asBoolean()).isTrue();

            JsonNode me = a.get("/api/v1/accounts/verify_credentials", token).ok();
            assertValid("CredentialAccount", me);
            assertThat(me.get("username").asText()).isEqualTo(name);
            a.passwordGrant(a.app(), name, ApiClient.PASSWORD, null).expect(200);
        });
    }

    /**
     * Runs {@code body} against a second server with other settings. (Not a {@code @Nested} class:
     * JUnit would re-run the outer class's server extension for it.)
     */
    private static void withServer(Config.Builder config, Consumer<ApiClient> body) throws Exception {
        RookeryServerExtension other = new RookeryServerExtension(config);
        other.beforeAll(null);
        try {
            body.accept(new ApiClient(other));
        } finally {
            other.afterAll(null);
        }
    }
}
