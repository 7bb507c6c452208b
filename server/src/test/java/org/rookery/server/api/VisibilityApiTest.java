package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.api.AccountsApiTest.ids;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * Who sees what: protected accounts, blocks, private and direct posts. A post hidden from a viewer
 * must be indistinguishable from one that never existed.
 */
class VisibilityApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private static final String NEVER_EXISTED = "1000";

    private final ApiClient api = new ApiClient(server);

    private static String token(User viewer) {
        return viewer == null ? null : viewer.token();
    }

    private ApiClient.Response status(String id, User viewer) {
        return api.get("/api/v1/statuses/" + id, token(viewer));
    }

    private List<String> timeline(User author, User viewer) {
        return ids(api.get("/api/v1/accounts/" + author.id() + "/statuses", token(viewer)).ok());
    }

    /** Asserts that {@code viewer} gets exactly what a never-existing id gets, for the post and its context. */
    private void assertLooksMissing(String id, User viewer) {
        ApiClient.Response hidden = status(id, viewer);
        ApiClient.Response missing = status(NEVER_EXISTED, viewer);
        assertThat(hidden.status()).as("status of a hidden post").isEqualTo(404);
        assertThat(hidden.body()).as("body of a hidden post").isEqualTo(missing.body());
        assertThat(hidden.header("content-type")).isEqualTo(missing.header("content-type"));
        assertValid("Error", hidden.json());
        ApiClient.Response hiddenContext = api.get("/api/v1/statuses/" + id + "/context", token(viewer));
        ApiClient.Response missingContext = api.get("/api/v1/statuses/" + NEVER_EXISTED + "/context", token(viewer));
        assertThat(hiddenContext.status()).isEqualTo(404);
        assertThat(hiddenContext.body()).isEqualTo(missingContext.body());
    }

    private User lockedUser(String prefix) {
        User u = api.newUser(prefix);
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("locked", "true"))).ok();
        return u;
    }

    private void follow(User follower, User followee) {
        api.post("/api/v1/accounts/" + followee.id() + "/follow", follower.token()).ok();
    }

    // ---- protected accounts ----------------------------------------------------------------

    @Test
    void protectedAccountsPostsAreHiddenFromNonFollowersAndShownToApprovedFollowers() {
        User owner = api.newUser("prot");
        String before = api.postStatus(owner, "posted while public").get("id").asText();
        api.patch("/api/v1/accounts/update_credentials", owner.token(), ApiClient.form(Map.of("locked", "true"))).ok();
        JsonNode after = api.postStatus(owner, "posted while protected");
        assertThat(after.get("visibility").asText()).as("protected accounts post privately by default")
                .isEqualTo("private");
        String afterId = after.get("id").asText();

        User stranger = api.newUser("stranger");
        User pending = api.newUser("pending");
        follow(pending, owner); // a request, not a follow
        for (User viewer : new User[] {null, stranger, pending}) {
            assertLooksMissing(before, viewer);
            assertLooksMissing(afterId, viewer);
            assertThat(timeline(owner, viewer)).as("timeline for %s", viewer).isEmpty();
        }
        // The profile itself stays visible, counts included.
        assertThat(api.account(owner.id(), stranger).get("statuses_count").asInt()).isEqualTo(2);

        api.post("/api/v1/follow_requests/" + pending.id() + "/authorize", owner.token()).ok();
        assertValid("Status", status(before, pending).ok());
        assertValid("Status", status(afterId, pending).ok());
        assertThat(timeline(owner, pending)).containsExactly(afterId, before);
        assertThat(timeline(owner, owner)).containsExactly(afterId, before);
        assertLooksMissing(afterId, stranger);
    }

    @Test
    void protectedPostsCannotBeRepostedOrQuotedEvenByFollowers() {
        User owner = lockedUser("noshare");
        User fan = api.newUser("fan");
        follow(fan, owner);
        api.post("/api/v1/follow_requests/" + fan.id() + "/authorize", owner.token()).ok();
        String id = api.postStatus(owner, "followers only").get("id").asText();
        assertValid("Error", api.post("/api/v1/statuses/" + id + "/reblog", fan.token()).expect(403).json());
        api.post("/api/v1/statuses", fan.token(), Map.of("status", "quoting", "quoted_status_id", id)).expect(403);
        // Favourites are fine for those who can see it, and look missing for those who cannot.
        api.post("/api/v1/statuses/" + id + "/favourite", fan.token()).expect(200);
        api.post("/api/v1/statuses/" + id + "/favourite", api.newUser("outsider").token()).expect(404);
    }

    @Test
    void repliesToHiddenPostsLeaveNoTraceInContext() {
        User owner = lockedUser("ctxowner");
        User fan = api.newUser("ctxfan");
        follow(fan, owner);
        api.post("/api/v1/follow_requests/" + fan.id() + "/authorize", owner.token()).ok();
        User stranger = api.newUser("ctxstranger");
        String root = api.postStatus(fan, "public root").get("id").asText();
        String hiddenReply = api.postStatus(owner, Map.of("status", "protected reply", "in_reply_to_id", root))
                .get("id").asText();
        String publicReply = api.postStatus(fan, Map.of("status", "public reply", "in_reply_to_id", hiddenReply))
                .get("id").asText();

        assertThat(ids(api.get("/api/v1/statuses/" + root + "/context", fan.token()).ok().get("descendants")))
                .containsExactly(hiddenReply, publicReply);
        JsonNode asStranger = api.get("/api/v1/statuses/" + root + "/context", stranger.token()).ok();
        assertValid("Context", asStranger);
        assertThat(ids(asStranger.get("descendants"))).doesNotContain(hiddenReply);
        JsonNode upward = api.get("/api/v1/statuses/" + publicReply + "/context", stranger.token()).ok();
        assertThat(ids(upward.get("ancestors"))).containsExactly(root);
    }

    // ---- blocks -----------------------------------------------------------------------------

    @Test
    void blockersPostsLookExactlyLikeMissingPostsToTheBlockedUser() {
        User blocker = api.newUser("blocker");
        User blocked = api.newUser("blockee");
        User bystander = api.newUser("bystander");
        String id = api.postStatus(blocker, "you can't see me").get("id").asText();
        follow(blocked, blocker);
        assertThat(status(id, blocked).status()).isEqualTo(200);

        api.post("/api/v1/accounts/" + blocked.id() + "/block", blocker.token()).ok();
        assertLooksMissing(id, blocked);
        assertThat(timeline(blocker, blocked)).isEmpty();
        for (String action : List.of("favourite", "reblog")) {
            ApiClient.Response r = api.post("/api/v1/statuses/" + id + "/" + action, blocked.token());
            ApiClient.Response missing = api.post("/api/v1/statuses/" + NEVER_EXISTED + "/" + action, blocked.token());
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body()).isEqualTo(missing.body());
        }
        api.post("/api/v1/statuses", blocked.token(), Map.of("status", "reply", "in_reply_to_id", id)).expect(422);

        // Everyone else still sees it.
        assertThat(status(id, bystander).status()).isEqualTo(200);
        assertThat(status(id, null).status()).isEqualTo(200);
        assertThat(timeline(blocker, bystander)).containsExactly(id);

        api.post("/api/v1/accounts/" + blocked.id() + "/unblock", blocker.token()).ok();
        assertThat(status(id, blocked).status()).isEqualTo(200);
    }

    @Test
    void repostsAndQuotesOfABlockersPostAreHiddenFromTheBlockedUser() {
        User blocker = api.newUser("qblocker");
        User blocked = api.newUser("qblocked");
        User middle = api.newUser("middle");
        String original = api.postStatus(blocker, "original words").get("id").asText();
        String repost = api.post("/api/v1/statuses/" + original + "/reblog", middle.token()).ok().get("id").asText();
        String quote = api.postStatus(middle, Map.of("status", "quoting it", "quoted_status_id", original))
                .get("id").asText();
        api.post("/api/v1/accounts/" + blocked.id() + "/block", blocker.token()).ok();

        assertLooksMissing(repost, blocked);
        assertThat(timeline(middle, blocked)).containsExactly(quote);
        JsonNode seenQuote = status(quote, blocked).ok();
        assertValid("Status", seenQuote);
        assertThat(seenQuote.at("/quote/quoted_status").isNull()).as("quoted post withheld").isTrue();
        assertThat(seenQuote.toString()).doesNotContain("original words");

        assertThat(timeline(middle, middle)).containsExactly(quote, repost);
    }

    @Test
    void theBlockedUserCannotOpenTheBlockersThreadButTheBlockerCanStillReadTheirReply() {
        User blocker = api.newUser("bothways");
        User blocked = api.newUser("bothwaysB");
        String root = api.postStatus(blocker, "thread").get("id").asText();
        String reply = api.postStatus(blocked, Map.of("status", "reply", "in_reply_to_id", root)).get("id").asText();
        api.post("/api/v1/accounts/" + blocked.id() + "/block", blocker.token()).ok();
        assertLooksMissing(root, blocked);
        JsonNode upward = api.get("/api/v1/statuses/" + reply + "/context", blocked.token()).ok();
        assertThat(upward.get("ancestors")).as("the blocker's post is not shown above the reply").isEmpty();
        assertThat(status(reply, blocker).status()).isEqualTo(200);
    }

    @Test
    void contextLeavesOutRepliesFromAccountsTheViewerBlocksOrMutes() {
        User viewer = api.newUser("ctxviewer");
        User blocked = api.newUser("ctxblocked");
        User muted = api.newUser("ctxmuted");
        String root = api.postStatus(viewer, "my thread").get("id").asText();
        String blockedReply = api.postStatus(blocked, Map.of("status", "r1", "in_reply_to_id", root)).get("id").asText();
        String mutedReply = api.postStatus(muted, Map.of("status", "r2", "in_reply_to_id", root)).get("id").asText();
        api.post("/api/v1/accounts/" + blocked.id() + "/block", viewer.token()).ok();
        api.post("/api/v1/accounts/" + muted.id() + "/mute", viewer.token()).ok();
        assertThat(ids(api.get("/api/v1/statuses/" + root + "/context", viewer.token()).ok().get("descendants")))
                .doesNotContain(blockedReply, mutedReply);
    }

    // ---- private and direct -----------------------------------------------------------------

    @Test
    void privatePostsAreForFollowersAndMentionedUsers() {
        User author = api.newUser("privauthor");
        User follower = api.newUser("privfollower");
        User mentioned = api.newUser("privmentioned");
        User stranger = api.newUser("privstranger");
        follow(follower, author);
        JsonNode post = api.postStatus(author, Map.of("status", "for friends and @" + mentioned.username(),
                "visibility", "private"));
        assertValid("Status", post);
        String id = post.get("id").asText();

        assertValid("Status", status(id, follower).ok());
        assertValid("Status", status(id, mentioned).ok());
        assertValid("Status", status(id, author).ok());
        assertLooksMissing(id, stranger);
        assertLooksMissing(id, null);
        assertThat(timeline(author, follower)).containsExactly(id);
        assertThat(timeline(author, stranger)).isEmpty();
        assertThat(timeline(author, null)).isEmpty();

        assertValid("Error", api.post("/api/v1/statuses/" + id + "/reblog", follower.token()).expect(403).json());
        api.post("/api/v1/accounts/" + author.id() + "/unfollow", follower.token()).ok();
        assertLooksMissing(id, follower);
    }

    @Test
    void directPostsAreOnlyForMentionedUsers() {
        User author = api.newUser("dmauthor");
        User follower = api.newUser("dmfollower");
        User recipient = api.newUser("dmrecipient");
        follow(follower, author);
        String id = api.postStatus(author, Map.of("status", "@" + recipient.username() + " just between us",
                "visibility", "direct")).get("id").asText();

        JsonNode seen = status(id, recipient).ok();
        assertValid("Status", seen);
        assertThat(seen.get("visibility").asText()).isEqualTo("direct");
        assertThat(status(id, author).status()).isEqualTo(200);
        assertLooksMissing(id, follower);
        assertLooksMissing(id, null);
        assertThat(timeline(author, follower)).isEmpty();
        assertThat(timeline(author, recipient)).containsExactly(id);
        api.post("/api/v1/statuses/" + id + "/reblog", recipient.token()).expect(403);
    }

    @Test
    void unlistedPostsAreVisibleToEveryone() {
        User author = api.newUser("unlisted");
        String id = api.postStatus(author, Map.of("status", "quietly public", "visibility", "unlisted"))
                .get("id").asText();
        assertValid("Status", status(id, null).ok());
        assertThat(timeline(author, null)).containsExactly(id);
        api.post("/api/v1/statuses/" + id + "/reblog", api.newUser("booster").token()).expect(200);
    }

    @Test
    void hiddenPostsAreSkippedWithoutShorteningTheTimelinePage() {
        User author = api.newUser("mixed");
        User stranger = api.newUser("mixedviewer");
        for (int i = 0; i < 6; i++) {
            api.postStatus(author, Map.of("status", "public " + i));
            api.postStatus(author, Map.of("status", "private " + i, "visibility", "private"));
        }
        JsonNode page = api.get("/api/v1/accounts/" + author.id() + "/statuses?limit=4", stranger.token()).ok();
        assertThat(page).hasSize(4);
        page.forEach(s -> assertThat(s.get("visibility").asText()).isEqualTo("public"));
    }
}
