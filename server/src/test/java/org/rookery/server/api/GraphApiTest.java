package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.MastodonSchema.assertEachValid;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/** The social graph over HTTP: follows, blocks, mutes, follow requests, relationship and edge lists. */
class GraphApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    private JsonNode act(User actor, User target, String action) {
        JsonNode rel = api.post("/api/v1/accounts/" + target.id() + "/" + action, actor.token()).ok();
        assertValid("Relationship", rel);
        assertThat(rel.get("id").asText()).isEqualTo(target.id());
        return rel;
    }

    private JsonNode relationship(User viewer, User other) {
        JsonNode list = api.get("/api/v1/accounts/relationships?id[]=" + other.id(), viewer.token()).ok();
        assertThat(list).hasSize(1);
        assertValid("Relationship", list.get(0));
        return list.get(0);
    }

    @Test
    void followAndUnfollowUpdateRelationshipAndCounts() {
        User ann = api.newUser("ann");
        User bob = api.newUser("bob");
        JsonNode followed = act(ann, bob, "follow");
        assertThat(followed.get("following").asBoolean()).isTrue();
        assertThat(followed.get("showing_reblogs").asBoolean()).isTrue();
        assertThat(followed.get("requested").asBoolean()).isFalse();
        assertThat(relationship(bob, ann).get("followed_by").asBoolean()).isTrue();
        assertThat(api.account(ann.id(), null).get("following_count").asInt()).isEqualTo(1);
        assertThat(api.account(bob.id(), null).get("followers_count").asInt()).isEqualTo(1);

        act(ann, bob, "follow"); // again: no change
        assertThat(api.account(bob.id(), null).get("followers_count").asInt()).isEqualTo(1);

        JsonNode unfollowed = act(ann, bob, "unfollow");
        assertThat(unfollowed.get("following").asBoolean()).isFalse();
        assertThat(api.account(ann.id(), null).get("following_count").asInt()).isZero();
        assertThat(api.account(bob.id(), null).get("followers_count").asInt()).isZero();
    }

    @Test
    void followOptionsAreReflectedInTheRelationship() {
        User ann = api.newUser("opts");
        User bob = api.newUser("optb");
        JsonNode rel = api.post("/api/v1/accounts/" + bob.id() + "/follow", ann.token(),
                Map.of("reblogs", "false", "notify", "true")).ok();
        assertValid("Relationship", rel);
        assertThat(rel.get("showing_reblogs").asBoolean()).isFalse();
        assertThat(rel.get("notifying").asBoolean()).isTrue();
    }

    @Test
    void relationshipsAnswerForEachKnownIdInOrder() {
        User me = api.newUser("me");
        User a = api.newUser("ra");
        User b = api.newUser("rb");
        act(me, b, "follow");
        JsonNode list = api.get("/api/v1/accounts/relationships?id[]=" + a.id() + "&id[]=999999&id[]=" + b.id(),
                me.token()).ok();
        assertEachValid("Relationship", list);
        assertThat(list).extracting(r -> r.get("id").asText()).containsExactly(a.id(), b.id());
        assertThat(list.get(0).get("following").asBoolean()).isFalse();
        assertThat(list.get(1).get("following").asBoolean()).isTrue();
        api.get("/api/v1/accounts/relationships?id[]=" + a.id()).expect(401);
    }

    @Test
    void cannotFollowOrBlockYourself() {
        User me = api.newUser("self");
        assertValid("Error", api.post("/api/v1/accounts/" + me.id() + "/follow", me.token()).expect(403).json());
        assertValid("Error", api.post("/api/v1/accounts/" + me.id() + "/block", me.token()).expect(403).json());
    }

    @Test
    void blockRemovesFollowsBothWaysAndPreventsFollowingBack() {
        User ann = api.newUser("blocker");
        User bob = api.newUser("blocked");
        act(ann, bob, "follow");
        act(bob, ann, "follow");
        JsonNode blocked = act(ann, bob, "block");
        assertThat(blocked.get("blocking").asBoolean()).isTrue();
        assertThat(blocked.get("following").asBoolean()).isFalse();
        assertThat(blocked.get("followed_by").asBoolean()).isFalse();
        assertThat(relationship(bob, ann).get("blocked_by").asBoolean()).isTrue();
        assertThat(api.account(ann.id(), null).get("followers_count").asInt()).isZero();
        assertThat(api.account(bob.id(), null).get("following_count").asInt()).isZero();

        ApiClient.Response refused = api.post("/api/v1/accounts/" + ann.id() + "/follow", bob.token()).expect(403);
        assertValid("Error", refused.json());
        assertThat(relationship(bob, ann).get("following").asBoolean()).isFalse();

        JsonNode blocks = api.get("/api/v1/blocks", ann.token()).ok();
        assertEachValid("Account", blocks);
        assertThat(blocks).extracting(a -> a.get("id").asText()).containsExactly(bob.id());

        JsonNode unblocked = act(ann, bob, "unblock");
        assertThat(unblocked.get("blocking").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/blocks", ann.token()).ok()).isEmpty();
        act(bob, ann, "follow");
        assertThat(relationship(bob, ann).get("following").asBoolean()).isTrue();
    }

    @Test
    void muteAndUnmuteWithNotificationsFlag() {
        User ann = api.newUser("muter");
        User bob = api.newUser("muted");
        JsonNode muted = api.post("/api/v1/accounts/" + bob.id() + "/mute", ann.token(),
                Map.of("notifications", "false")).ok();
        assertValid("Relationship", muted);
        assertThat(muted.get("muting").asBoolean()).isTrue();
        assertThat(muted.get("muting_notifications").asBoolean()).isFalse();
        assertThat(act(ann, bob, "mute").get("muting_notifications").asBoolean()).isTrue();

        JsonNode mutes = api.get("/api/v1/mutes", ann.token()).ok();
        assertEachValid("Account", mutes);
        assertThat(mutes).extracting(a -> a.get("id").asText()).containsExactly(bob.id());
        assertThat(relationship(bob, ann).get("muting").asBoolean()).as("a mute is private to the muter").isFalse();

        assertThat(act(ann, bob, "unmute").get("muting").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/mutes", ann.token()).ok()).isEmpty();
    }

    @Test
    void followingALockedAccountIsARequestItsOwnerCanAuthorize() {
        User owner = lockedUser("owner");
        User fan = api.newUser("fan");
        JsonNode requested = act(fan, owner, "follow");
        assertThat(requested.get("requested").asBoolean()).isTrue();
        assertThat(requested.get("following").asBoolean()).isFalse();
        assertThat(relationship(owner, fan).get("requested_by").asBoolean()).isTrue();
        assertThat(api.account(owner.id(), null).get("followers_count").asInt()).isZero();

        JsonNode pending = api.get("/api/v1/follow_requests", owner.token()).ok();
        assertEachValid("Account", pending);
        assertThat(pending).extracting(a -> a.get("id").asText()).containsExactly(fan.id());
        assertThat(api.get("/api/v1/accounts/verify_credentials", owner.token()).ok()
                .at("/source/follow_requests_count").asInt()).isEqualTo(1);

        JsonNode authorized = api.post("/api/v1/follow_requests/" + fan.id() + "/authorize", owner.token()).ok();
        assertValid("Relationship", authorized);
        assertThat(authorized.get("id").asText()).isEqualTo(fan.id());
        assertThat(authorized.get("followed_by").asBoolean()).isTrue();
        assertThat(relationship(fan, owner).get("following").asBoolean()).isTrue();
        assertThat(relationship(fan, owner).get("requested").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/follow_requests", owner.token()).ok()).isEmpty();
        assertThat(api.account(owner.id(), null).get("followers_count").asInt()).isEqualTo(1);
    }

    @Test
    void rejectedFollowRequestLeavesNoFollow() {
        User owner = lockedUser("picky");
        User fan = api.newUser("hopeful");
        act(fan, owner, "follow");
        JsonNode rejected = api.post("/api/v1/follow_requests/" + fan.id() + "/reject", owner.token()).ok();
        assertValid("Relationship", rejected);
        assertThat(rejected.get("requested_by").asBoolean()).isFalse();
        assertThat(rejected.get("followed_by").asBoolean()).isFalse();
        JsonNode fanView = relationship(fan, owner);
        assertThat(fanView.get("following").asBoolean()).isFalse();
        assertThat(fanView.get("requested").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/follow_requests", owner.token()).ok()).isEmpty();
        // No request left to act on.
        assertValid("Error", api.post("/api/v1/follow_requests/" + fan.id() + "/authorize", owner.token())
                .expect(404).json());
    }

    @Test
    void withdrawingARequestByUnfollowingRemovesIt() {
        User owner = lockedUser("withdrawn");
        User fan = api.newUser("shy");
        act(fan, owner, "follow");
        JsonNode rel = act(fan, owner, "unfollow");
        assertThat(rel.get("requested").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/follow_requests", owner.token()).ok()).isEmpty();
    }

    /** Follower and following lists are memory-first: read again they are answered on the event loop, as of now. */
    @Test
    void followerListsReadFromMemoryAreTheListsOfNow() {
        User star = api.newUser("memstar");
        User fan = api.newUser("memfan");
        act(fan, star, "follow");
        for (String list : new String[] {"/api/v1/accounts/" + star.id() + "/followers", "/api/v1/accounts/" + fan.id() + "/following"}) {
            JsonNode[] reads = api.getTwiceFromMemory(list, null);
            assertThat(reads[1]).isEqualTo(reads[0]);
            assertThat(reads[1]).extracting(a -> a.get("id").asText()).containsExactly(list.endsWith("followers") ? fan.id() : star.id());
        }
        User second = api.newUser("memfan2");
        act(second, star, "follow");
        String followers = "/api/v1/accounts/" + star.id() + "/followers";
        assertThat(api.getFromMemory(followers, null)).extracting(a -> a.get("id").asText()).containsExactly(second.id(), fan.id());
    }

    @Test
    void relationshipsReadFromMemoryAreTheRelationshipsOfNow() {
        User viewer = api.newUser("memviewer");
        User other = api.newUser("memother");
        String path = "/api/v1/accounts/relationships?id[]=" + other.id() + "&id[]=999999";
        JsonNode[] reads = api.getTwiceFromMemory(path, viewer.token());
        assertThat(reads[1]).isEqualTo(reads[0]);
        assertThat(reads[1]).hasSize(1);
        assertThat(reads[1].get(0).get("following").asBoolean()).isFalse();

        api.post("/api/v1/accounts/" + other.id() + "/follow", viewer.token(), Map.of("notify", true)).ok();
        api.post("/api/v1/accounts/" + other.id() + "/mute", viewer.token(), Map.of("notifications", false)).ok();
        act(other, viewer, "block");
        JsonNode now = api.getFromMemory(path, viewer.token()).get(0);
        assertValid("Relationship", now);
        assertThat(now.get("following").asBoolean()).as("a block by the other ends the follow").isFalse();
        assertThat(now.get("blocked_by").asBoolean()).isTrue();
        assertThat(now.get("muting").asBoolean()).isTrue();
        assertThat(now.get("muting_notifications").asBoolean()).isFalse();
        assertThat(now).isEqualTo(relationship(viewer, other));
    }

    @Test
    void followersAndFollowingPageNewestFirstWithLinkHeaders() {
        User star = api.newUser("star");
        List<String> fans = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            User fan = api.newUser("follower");
            act(fan, star, "follow");
            fans.add(0, fan.id()); // newest follow first
            act(fan, api.newUser("elsewhere"), "follow");
        }
        assertThat(walk("/api/v1/accounts/" + star.id() + "/followers?limit=2")).containsExactlyElementsOf(fans);

        User reader = api.newUser("reader");
        List<String> followed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            User u = api.newUser("followed");
            act(reader, u, "follow");
            followed.add(0, u.id());
        }
        assertThat(walk("/api/v1/accounts/" + reader.id() + "/following?limit=2")).containsExactlyElementsOf(followed);

        ApiClient.Response none = api.get("/api/v1/accounts/" + api.newUser("lonely").id() + "/followers").expect(200);
        assertThat(none.json()).isEmpty();
        assertThat(none.header("link")).isEmpty();
    }

    @Test
    void followersPrevLinkReturnsNewerFollowers() {
        User star = api.newUser("prevstar");
        List<String> fans = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            User fan = api.newUser("pf");
            act(fan, star, "follow");
            fans.add(0, fan.id());
        }
        ApiClient.Response second = api.get(api.get("/api/v1/accounts/" + star.id() + "/followers?limit=2")
                .link("next").orElseThrow());
        assertThat(AccountsApiTest.ids(second.ok())).containsExactlyElementsOf(fans.subList(2, 4));
        ApiClient.Response back = api.get(second.link("prev").orElseThrow());
        assertThat(AccountsApiTest.ids(back.ok())).containsExactlyElementsOf(fans.subList(0, 2));
    }

    @Test
    void graphActionsOnUnknownAccountsAre404() {
        User me = api.newUser("ghosts");
        for (String action : List.of("follow", "unfollow", "block", "unblock", "mute", "unmute")) {
            ApiClient.Response r = api.post("/api/v1/accounts/12345/" + action, me.token()).expect(404);
            assertValid("Error", r.json());
        }
        api.get("/api/v1/accounts/12345/followers").expect(404);
        api.get("/api/v1/accounts/12345/following").expect(404);
    }

    @Test
    void graphWritesNeedAUserToken() {
        User bob = api.newUser("target");
        api.post("/api/v1/accounts/" + bob.id() + "/follow", null).expect(401);
        api.post("/api/v1/accounts/" + bob.id() + "/follow", api.appToken(api.app())).expect(401);
        api.get("/api/v1/follow_requests").expect(401);
        api.get("/api/v1/blocks").expect(401);
        api.get("/api/v1/mutes").expect(401);
    }

    private User lockedUser(String prefix) {
        User u = api.newUser(prefix);
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("locked", "true"))).ok();
        return u;
    }

    /** Every account id on all pages from {@code first}, following {@code next} links. */
    private List<String> walk(String first) {
        List<String> out = new ArrayList<>();
        ApiClient.Response page = api.get(first).expect(200);
        for (int i = 0; i < 100; i++) {
            JsonNode items = page.json();
            if (items.isEmpty()) {
                assertThat(page.header("link")).isEmpty();
                return out;
            }
            assertEachValid("Account", items);
            out.addAll(AccountsApiTest.ids(items));
            String next = page.link("next").orElse(null);
            assertThat(next).as("next link").isNotNull().startsWith(server.baseUrl() + "/api/v1/accounts/");
            page = api.get(next).expect(200);
        }
        throw new AssertionError("more than 100 pages from " + first);
    }
}
