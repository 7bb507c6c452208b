package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.MastodonSchema.assertEachValid;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/**
 * Notifications over HTTP: the {@code notifications} consumer fills them in the background, so each
 * test reads the API until what it expects shows up (with a deadline). That nothing shows up is
 * checked after a later event of the same actor has: one actor's events are applied in order.
 */
class NotificationsApiTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    /** The caller's notifications for {@code query}, each validated against Mastodon's schema. */
    private JsonNode notifications(User u, String query) {
        JsonNode list = api.get("/api/v1/notifications" + query, u.token()).ok();
        assertEachValid("Notification", list);
        return list;
    }

    /** Reads {@code u}'s notifications until {@code done} holds; fails after {@link #PATIENCE}. */
    private JsonNode await(User u, String query, Predicate<JsonNode> done) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            JsonNode list = notifications(u, query);
            if (done.test(list)) {
                return list;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("notifications of " + u.username() + query + " never matched; last: " + list);
            }
            Thread.onSpinWait();
        }
    }

    private JsonNode awaitCount(User u, int count) {
        return await(u, "", list -> list.size() == count);
    }

    /**
     * Returns once every event {@code actor} caused so far has been applied: the actor mentions a new
     * witness, whose notification comes after them in the actor's partition.
     */
    private void settle(User actor) {
        User witness = api.newUser("witness");
        api.postStatus(actor, "@" + witness.username() + " noted");
        awaitCount(witness, 1);
    }

    private static List<String> field(JsonNode list, String pointer) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.at(pointer).asText()));
        return out;
    }

    private String post(User author, String text) {
        return api.postStatus(author, text).get("id").asText();
    }

    private User lockedUser(String prefix) {
        User u = api.newUser(prefix);
        api.patch("/api/v1/accounts/update_credentials", u.token(), ApiClient.form(Map.of("locked", "true"))).ok();
        return u;
    }

    // ---- what is notified ---------------------------------------------------------------------

    @Test
    void eachKindOfActivityIsAValidNotificationWithItsAccountAndStatus() {
        User alice = api.newUser("alice");
        User bob = api.newUser("bob");
        User carol = api.newUser("carol");
        User dave = lockedUser("dave");
        String status = post(alice, "hello world");
        String mention = post(bob, "@" + alice.username() + " hi there");
        api.post("/api/v1/statuses/" + status + "/favourite", bob.token()).ok();
        api.post("/api/v1/statuses/" + status + "/reblog", carol.token()).ok();
        api.post("/api/v1/accounts/" + alice.id() + "/follow", carol.token()).ok();
        api.post("/api/v1/accounts/" + dave.id() + "/follow", bob.token()).ok();

        JsonNode list = awaitCount(alice, 4);
        assertThat(field(list, "/type")).containsExactly("follow", "reblog", "favourite", "mention");
        assertThat(field(list, "/account/id")).containsExactly(carol.id(), carol.id(), bob.id(), bob.id());
        assertThat(list.get(0).has("status")).as("a follow has no status").isFalse();
        assertThat(list.get(1).at("/status/id").asText()).as("a reblog shows the original").isEqualTo(status);
        assertThat(list.get(1).at("/status/reblogs_count").asInt()).isEqualTo(1);
        assertThat(list.get(2).at("/status/id").asText()).isEqualTo(status);
        assertThat(list.get(2).at("/status/favourites_count").asInt()).isEqualTo(1);
        assertThat(list.get(3).at("/status/id").asText()).isEqualTo(mention);
        assertThat(list.get(3).at("/status/content").asText()).contains("hi there");
        for (JsonNode n : list) {
            assertThat(n.get("group_key").asText()).isEqualTo("ungrouped-" + n.get("id").asText());
        }
        assertThat(field(list, "/id")).as("newest first").isSortedAccordingTo(
                (a, b) -> Long.compare(Long.parseLong(b), Long.parseLong(a)));

        JsonNode requests = awaitCount(dave, 1);
        assertThat(requests.get(0).get("type").asText()).isEqualTo("follow_request");
        assertThat(requests.get(0).at("/account/id").asText()).isEqualTo(bob.id());
        assertThat(requests.get(0).has("status")).isFalse();
    }

    @Test
    void aReplyIsAMentionOfTheRepliedToAuthor() {
        User alice = api.newUser("asker");
        User bob = api.newUser("answerer");
        String question = post(alice, "anyone?");
        String reply = api.postStatus(bob, Map.of("status", "me!", "in_reply_to_id", question)).get("id").asText();

        JsonNode list = awaitCount(alice, 1);
        assertThat(list.get(0).get("type").asText()).isEqualTo("mention");
        assertThat(list.get(0).at("/status/id").asText()).isEqualTo(reply);
        assertThat(list.get(0).at("/status/in_reply_to_id").asText()).isEqualTo(question);
    }

    @Test
    void aFollowRequestNotificationGoesAwayOnceHandled() {
        User owner = lockedUser("owner");
        User accepted = api.newUser("accepted");
        User rejected = api.newUser("rejected");
        api.post("/api/v1/accounts/" + owner.id() + "/follow", accepted.token()).ok();
        api.post("/api/v1/accounts/" + owner.id() + "/follow", rejected.token()).ok();
        assertThat(field(awaitCount(owner, 2), "/type")).containsOnly("follow_request");

        api.post("/api/v1/follow_requests/" + accepted.id() + "/authorize", owner.token()).ok();
        api.post("/api/v1/follow_requests/" + rejected.id() + "/reject", owner.token()).ok();

        awaitCount(owner, 0);
        settle(accepted);
        assertThat(notifications(owner, "")).as("an accepted request is not announced again as a follow").isEmpty();
    }

    // ---- what is not notified -------------------------------------------------------------------

    @Test
    void nobodyIsNotifiedOfTheirOwnActions() {
        User me = api.newUser("selfish");
        String status = post(me, "@" + me.username() + " note to self");
        api.postStatus(me, Map.of("status", "and a reply", "in_reply_to_id", status));
        api.post("/api/v1/statuses/" + status + "/favourite", me.token()).ok();
        api.post("/api/v1/statuses/" + status + "/reblog", me.token()).ok();

        settle(me);
        assertThat(notifications(me, "")).isEmpty();
    }

    @Test
    void blockedBlockingAndMutedAccountsNotifyNobody() {
        User me = api.newUser("private");
        User blocked = api.newUser("blocked");
        User blocker = api.newUser("blocker");
        User muted = api.newUser("muted");
        User quiet = api.newUser("quiet");
        User friend = api.newUser("friend");
        api.post("/api/v1/accounts/" + blocked.id() + "/block", me.token()).ok();
        api.post("/api/v1/accounts/" + me.id() + "/block", blocker.token()).ok();
        api.post("/api/v1/accounts/" + muted.id() + "/mute", me.token()).ok(); // notifications muted too
        api.post("/api/v1/accounts/" + quiet.id() + "/mute", me.token(), Map.of("notifications", "false")).ok();
        for (User u : List.of(blocked, blocker, muted, quiet, friend)) {
            post(u, "@" + me.username() + " hello from " + u.username());
        }

        await(me, "", l -> l.size() >= 2);
        for (User u : List.of(blocked, blocker, muted)) {
            settle(u);
        }
        assertThat(field(notifications(me, ""), "/account/id")).containsExactlyInAnyOrder(quiet.id(), friend.id());
    }

    // ---- what is taken back ----------------------------------------------------------------------

    @Test
    void undoneActionsAndDeletedStatusesTakeTheirNotificationsAway() {
        User alice = api.newUser("undone");
        User bob = api.newUser("fickle");
        String status = post(alice, "like me, then don't");
        String other = post(alice, "this one stays liked");
        api.post("/api/v1/statuses/" + status + "/favourite", bob.token()).ok();
        api.post("/api/v1/statuses/" + other + "/favourite", bob.token()).ok();
        api.post("/api/v1/statuses/" + status + "/reblog", bob.token()).ok();
        api.post("/api/v1/accounts/" + alice.id() + "/follow", bob.token()).ok();
        String mention = post(bob, "@" + alice.username() + " hey");
        awaitCount(alice, 5);

        api.post("/api/v1/statuses/" + status + "/unreblog", bob.token()).ok();
        api.post("/api/v1/accounts/" + alice.id() + "/unfollow", bob.token()).ok();
        api.delete("/api/v1/statuses/" + mention, bob.token()).ok();
        assertThat(field(awaitCount(alice, 2), "/type")).containsOnly("favourite");

        api.delete("/api/v1/statuses/" + status, alice.token()).ok();
        JsonNode left = awaitCount(alice, 1);
        assertThat(left.get(0).at("/status/id").asText()).isEqualTo(other);
        api.post("/api/v1/statuses/" + other + "/unfavourite", bob.token()).ok();
        awaitCount(alice, 0);
    }

    @Test
    void aBlockClearsTheBlockedAccountsNotifications() {
        User me = api.newUser("fedup");
        User pest = api.newUser("pest");
        User friend = api.newUser("pal");
        post(pest, "@" + me.username() + " one");
        api.post("/api/v1/accounts/" + me.id() + "/follow", pest.token()).ok();
        post(friend, "@" + me.username() + " two");
        awaitCount(me, 3);

        api.post("/api/v1/accounts/" + pest.id() + "/block", me.token()).ok();

        JsonNode left = awaitCount(me, 1);
        assertThat(left.get(0).at("/account/id").asText()).isEqualTo(friend.id());
    }

    // ---- reading -----------------------------------------------------------------------------------

    @Test
    void typesExcludeTypesAndAccountIdFilterTheList() {
        User me = api.newUser("popular");
        User bob = api.newUser("fan1");
        User carol = api.newUser("fan2");
        String status = post(me, "hello");
        post(bob, "@" + me.username() + " hi");
        api.post("/api/v1/statuses/" + status + "/favourite", bob.token()).ok();
        api.post("/api/v1/accounts/" + me.id() + "/follow", carol.token()).ok();
        api.post("/api/v1/statuses/" + status + "/favourite", carol.token()).ok();
        awaitCount(me, 4);

        assertThat(field(notifications(me, "?types[]=favourite"), "/account/id")).containsExactly(carol.id(), bob.id());
        assertThat(field(notifications(me, "?types[]=follow&types[]=mention"), "/type")).containsExactly("follow", "mention");
        assertThat(field(notifications(me, "?exclude_types[]=favourite&exclude_types[]=follow"), "/type"))
                .containsExactly("mention");
        assertThat(field(notifications(me, "?types[]=favourite&exclude_types[]=favourite"), "/type")).isEmpty();
        assertThat(notifications(me, "?types[]=poll")).as("a type this server never sends").isEmpty();
        assertThat(field(notifications(me, "?exclude_types[]=poll"), "/type")).hasSize(4);
        assertThat(field(notifications(me, "?account_id=" + bob.id()), "/type")).containsExactly("favourite", "mention");
        assertThat(field(notifications(me, "?account_id=" + carol.id() + "&types[]=follow"), "/type"))
                .containsExactly("follow");
        JsonNode json = api.send("GET", "/api/v1/notifications?account_id=" + bob.id(), me.token(),
                ApiClient.json(Map.of("types", List.of("mention"))), Map.of()).ok();
        assertThat(field(json, "/type")).as("filters in a JSON body").containsExactly("mention");
        assertValid("Error", api.get("/api/v1/notifications?account_id=bob", me.token()).expect(400).json());
    }

    @Test
    void pagesFollowLinkHeadersThatKeepTheFilters() {
        User me = api.newUser("paged");
        User bob = api.newUser("talker");
        List<String> mentions = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mentions.add(0, post(bob, "@" + me.username() + " number " + i));
        }
        api.post("/api/v1/accounts/" + me.id() + "/follow", bob.token()).ok();
        awaitCount(me, 6);

        List<String> seen = new ArrayList<>();
        String url = "/api/v1/notifications?types[]=mention&limit=2";
        ApiClient.Response last = null;
        for (int pages = 0; pages < 10; pages++) {
            ApiClient.Response r = api.get(url, me.token()).expect(200);
            JsonNode page = r.json();
            assertEachValid("Notification", page);
            if (page.isEmpty()) {
                assertThat(r.header("link")).as("an empty page ends the list").isEmpty();
                break;
            }
            assertThat(page.size()).isLessThanOrEqualTo(2);
            seen.addAll(field(page, "/status/id"));
            assertThat(r.link("next").orElseThrow()).contains("types%5B%5D=mention").contains("limit=2");
            url = r.link("next").orElseThrow();
            last = r;
        }
        assertThat(seen).containsExactlyElementsOf(mentions);

        // prev from the last page: the page just above it.
        JsonNode above = api.get(last.link("prev").orElseThrow(), me.token()).ok();
        assertThat(field(above, "/status/id")).containsExactlyElementsOf(mentions.subList(2, 4));
        JsonNode all = notifications(me, "?limit=100");
        assertThat(all).hasSize(6);
        assertThat(notifications(me, "?limit=1")).hasSize(1);
        String newest = all.get(0).get("id").asText();
        assertThat(field(notifications(me, "?since_id=" + all.get(2).get("id").asText()), "/id"))
                .containsExactly(newest, all.get(1).get("id").asText());
        assertThat(field(notifications(me, "?max_id=" + newest + "&limit=1"), "/id"))
                .containsExactly(all.get(1).get("id").asText());
    }

    @Test
    void oneNotificationCanBeReadAndDismissedAndAllCanBeCleared() {
        User me = api.newUser("tidy");
        User other = api.newUser("nosy");
        User bob = api.newUser("chatty");
        post(bob, "@" + me.username() + " one");
        post(bob, "@" + me.username() + " two");
        post(bob, "@" + other.username() + " three");
        JsonNode list = awaitCount(me, 2);
        awaitCount(other, 1);
        String id = list.get(0).get("id").asText();

        JsonNode one = api.get("/api/v1/notifications/" + id, me.token()).ok();
        assertValid("Notification", one);
        assertThat(one).isEqualTo(list.get(0));
        assertValid("Error", api.get("/api/v1/notifications/" + id, other.token()).expect(404).json());
        api.post("/api/v1/notifications/" + id + "/dismiss", other.token()).expect(404);
        api.get("/api/v1/notifications/123abc", me.token()).expect(404);

        assertThat(api.post("/api/v1/notifications/" + id + "/dismiss", me.token()).ok().isEmpty()).isTrue();
        api.get("/api/v1/notifications/" + id, me.token()).expect(404);
        api.post("/api/v1/notifications/" + id + "/dismiss", me.token()).expect(404);
        assertThat(field(notifications(me, ""), "/id")).containsExactly(list.get(1).get("id").asText());

        assertThat(api.post("/api/v1/notifications/clear", me.token()).ok().isEmpty()).isTrue();
        assertThat(notifications(me, "")).isEmpty();
        assertThat(notifications(other, "")).as("clearing is one's own").hasSize(1);
    }

    @Test
    void aNotificationWhoseStatusIsHiddenLooksMissing() {
        User me = api.newUser("hidden");
        User bob = api.newUser("shy");
        User carol = api.newUser("open");
        post(carol, "@" + me.username() + " first");
        post(bob, "@" + me.username() + " second");
        String id = awaitCount(me, 2).get(0).get("id").asText();

        // bob's block hides his post from me at once; the block's own event then clears the notification.
        api.post("/api/v1/accounts/" + me.id() + "/block", bob.token()).ok();
        await(me, "", l -> l.size() == 1);
        assertThat(field(notifications(me, ""), "/account/id")).containsExactly(carol.id());
        api.get("/api/v1/notifications/" + id, me.token()).expect(404);
    }

    /**
     * The list and a single notification are read on the event loop from memory first (the memtables
     * and the block cache): what they answer there is what is true now, new notifications, dismissals
     * and filters included.
     */
    @Test
    void notificationsReadFromMemoryAreTheNotificationsOfNow() {
        User me = api.newUser("remembered");
        User bob = api.newUser("rememberer");
        String status = post(me, "remember me");
        api.post("/api/v1/statuses/" + status + "/favourite", bob.token()).ok();
        awaitCount(me, 1);
        JsonNode[] reads = api.getTwiceFromMemory("/api/v1/notifications", me.token());
        assertThat(reads[1]).isEqualTo(reads[0]);

        String mention = post(bob, "@" + me.username() + " and now");
        awaitCount(me, 2);
        JsonNode now = api.getFromMemory("/api/v1/notifications", me.token());
        assertEachValid("Notification", now);
        assertThat(field(now, "/type")).containsExactly("mention", "favourite");
        assertThat(now.get(0).at("/status/id").asText()).isEqualTo(mention);
        assertThat(now.get(1).at("/status/favourites_count").asInt()).isEqualTo(1);

        String one = "/api/v1/notifications/" + now.get(0).get("id").asText();
        assertThat(api.getFromMemory(one, me.token())).isEqualTo(now.get(0));
        api.post(one + "/dismiss", me.token()).ok();
        api.get(one, me.token()).expect(404);
        assertThat(field(api.getFromMemory("/api/v1/notifications", me.token()), "/type")).containsExactly("favourite");
        assertThat(api.getFromMemory("/api/v1/notifications?types[]=mention", me.token())).isEmpty();
    }

    @Test
    void notificationsNeedAUserTokenWithTheNotificationsScopes() {
        User me = api.newUser("scoped");
        ApiClient.App app = api.createApp("read:statuses write:statuses read:notifications");
        String readOnly = api.passwordGrant(app, me.username(), ApiClient.PASSWORD, "read:notifications").ok()
                .get("access_token").asText();
        String noNotifications = api.passwordGrant(app, me.username(), ApiClient.PASSWORD, "read:statuses write:statuses")
                .ok().get("access_token").asText();

        assertValid("Error", api.get("/api/v1/notifications").expect(401).json());
        assertValid("Error", api.get("/api/v1/notifications", api.appToken(api.app())).expect(401).json());
        assertValid("Error", api.get("/api/v1/notifications", noNotifications).expect(403).json());
        api.get("/api/v1/notifications", readOnly).ok();
        api.post("/api/v1/notifications/clear", readOnly).expect(403);
        api.post("/api/v1/notifications/1/dismiss", readOnly).expect(403);
        api.post("/api/v1/notifications/clear", me.token()).ok();
    }

    @Test
    void theConsumerReportsItsLag() {
        String metrics = api.admin("GET", "/admin/metrics").expect(200).body();
        assertThat(metrics).contains("rookery_consumer_lag_events{consumer=\"notifications\"}")
                .contains("rookery_consumer_lag_seconds{consumer=\"notifications\"}");
    }
}
