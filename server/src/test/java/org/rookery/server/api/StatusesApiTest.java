package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.api.AccountsApiTest.ids;
import static org.rookery.server.testing.MastodonSchema.assertEachValid;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/** Statuses: post, read, delete, reply and context, repost, quote, favourite, idempotency, text rules. */
class StatusesApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    private int statusesCount(User u) {
        return api.account(u.id(), null).get("statuses_count").asInt();
    }

    private List<String> timeline(User author, User viewer) {
        return ids(api.get("/api/v1/accounts/" + author.id() + "/statuses", viewer == null ? null : viewer.token()).ok());
    }

    @Test
    void statusReadFromMemoryShowsAndHidesExactlyAsAReadFromTheStore() {
        User author = api.newUser("memauthor");
        User follower = api.newUser("memfollower");
        User stranger = api.newUser("memstranger");
        User blocked = api.newUser("memblocked");
        api.post("/api/v1/accounts/" + author.id() + "/follow", follower.token()).ok();
        api.post("/api/v1/accounts/" + blocked.id() + "/block", author.token()).ok();
        String open = api.postStatus(author, "for everyone").get("id").asText();
        String closed = api.postStatus(author, Map.of("status", "for followers", "visibility", "private"))
                .get("id").asText();
        String[] viewers = {follower.token(), stranger.token(), blocked.token(), null};
        // follower, stranger, blocked, signed out: the status codes for the public and the private status
        int[][] expected = {{200, 200}, {200, 404}, {404, 404}, {200, 404}};

        for (int v = 0; v < viewers.length; v++) {
            String[] ids = {open, closed};
            for (int i = 0; i < ids.length; i++) {
                String path = "/api/v1/statuses/" + ids[i];
                ApiClient.Response first = api.get(path, viewers[v]); // loads what memory lacks
                double served = server.memoryFirstRequests("served");
                ApiClient.Response again = api.get(path, viewers[v]);
                assertThat(server.memoryFirstRequests("served")).as("viewer %d, status %d answered from memory", v, i)
                        .isEqualTo(served + 1);
                assertThat(first.status()).as("viewer %d, status %d", v, i).isEqualTo(expected[v][i]);
                assertThat(again.status()).as("viewer %d, status %d from memory", v, i).isEqualTo(expected[v][i]);
                assertThat(again.json()).isEqualTo(first.json());
            }
        }
    }

    @Test
    void postedStatusIsAValidStatusReadableById() {
        User u = api.newUser("poster");
        JsonNode posted = api.post("/api/v1/statuses", u.token(), Map.of("status", "Hello, <world> & friends",
                "spoiler_text", "greeting", "language", "en")).ok();
        assertValid("Status", posted);
        assertThat(posted.get("content").asText()).isEqualTo("<p>Hello, &lt;world&gt; &amp; friends</p>");
        assertThat(posted.get("spoiler_text").asText()).isEqualTo("greeting");
        assertThat(posted.get("sensitive").asBoolean()).as("a content warning marks it sensitive").isTrue();
        assertThat(posted.get("visibility").asText()).isEqualTo("public");
        assertThat(posted.get("language").asText()).isEqualTo("en");
        assertThat(posted.at("/account/id").asText()).isEqualTo(u.id());
        assertThat(posted.get("url").asText()).isEqualTo(server.baseUrl() + "/@" + u.username() + "/"
                + posted.get("id").asText());
        assertThat(posted.get("favourited").asBoolean()).isFalse();

        String id = posted.get("id").asText();
        JsonNode anon = api.get("/api/v1/statuses/" + id).ok();
        assertValid("Status", anon);
        assertThat(anon.get("content")).isEqualTo(posted.get("content"));
        assertThat(anon.has("favourited")).as("no viewer, no viewer flags").isFalse();
        assertThat(timeline(u, null)).containsExactly(id);
        assertThat(statusesCount(u)).isEqualTo(1);
    }

    @Test
    void postAcceptsJsonBodies() {
        User u = api.newUser("jsonpost");
        JsonNode posted = api.post("/api/v1/statuses", u.token(), ApiClient.json(Map.of("status", "via JSON",
                "visibility", "unlisted", "sensitive", true))).ok();
        assertValid("Status", posted);
        assertThat(posted.get("visibility").asText()).isEqualTo("unlisted");
        assertThat(posted.get("sensitive").asBoolean()).isTrue();
    }

    @Test
    void deletedStatusIsGoneForEveryoneAndUncounted() {
        User u = api.newUser("deleter");
        User other = api.newUser("witness");
        String keep = api.postStatus(u, "this one stays").get("id").asText();
        String id = api.postStatus(u, "regrettable").get("id").asText();
        assertThat(statusesCount(u)).isEqualTo(2);

        JsonNode deleted = api.delete("/api/v1/statuses/" + id, u.token()).ok();
        assertValid("Status", deleted);
        assertThat(deleted.get("id").asText()).isEqualTo(id);
        assertThat(deleted.get("text").asText()).as("delete returns the source for redraft").isEqualTo("regrettable");

        for (User viewer : new User[] {u, other, null}) {
            ApiClient.Response r = api.get("/api/v1/statuses/" + id, viewer == null ? null : viewer.token()).expect(404);
            assertValid("Error", r.json());
        }
        assertThat(timeline(u, other)).containsExactly(keep);
        assertThat(statusesCount(u)).isEqualTo(1);
        api.delete("/api/v1/statuses/" + id, u.token()).expect(404);
        assertThat(statusesCount(u)).isEqualTo(1);
    }

    @Test
    void deletingAStatusTakesItsRepostsWithIt() {
        User author = api.newUser("orig");
        User fan = api.newUser("reposter");
        String id = api.postStatus(author, "worth sharing").get("id").asText();
        String repost = api.post("/api/v1/statuses/" + id + "/reblog", fan.token()).ok().get("id").asText();
        assertThat(statusesCount(fan)).isEqualTo(1);

        api.delete("/api/v1/statuses/" + id, author.token()).expect(200);
        api.get("/api/v1/statuses/" + repost, fan.token()).expect(404);
        assertThat(timeline(fan, fan)).isEmpty();
        assertThat(statusesCount(fan)).isZero();
    }

    @Test
    void repliesFormAContextOfAncestorsAndDescendants() {
        User ann = api.newUser("threadA");
        User bob = api.newUser("threadB");
        JsonNode root = api.postStatus(ann, "root of the thread");
        String rootId = root.get("id").asText();
        JsonNode reply = api.postStatus(bob, Map.of("status", "a reply", "in_reply_to_id", rootId));
        assertValid("Status", reply);
        assertThat(reply.get("in_reply_to_id").asText()).isEqualTo(rootId);
        assertThat(reply.get("in_reply_to_account_id").asText()).isEqualTo(ann.id());
        assertThat(reply.get("mentions")).extracting(m -> m.get("id").asText()).contains(ann.id());
        String replyId = reply.get("id").asText();
        String deeper = api.postStatus(ann, Map.of("status", "deeper", "in_reply_to_id", replyId)).get("id").asText();
        String sibling = api.postStatus(bob, Map.of("status", "second reply", "in_reply_to_id", rootId))
                .get("id").asText();

        JsonNode ofRoot = api.get("/api/v1/statuses/" + rootId + "/context").ok();
        assertValid("Context", ofRoot);
        assertThat(ofRoot.get("ancestors")).isEmpty();
        assertThat(ids(ofRoot.get("descendants"))).containsExactly(replyId, deeper, sibling);

        JsonNode ofDeeper = api.get("/api/v1/statuses/" + deeper + "/context", bob.token()).ok();
        assertValid("Context", ofDeeper);
        assertThat(ids(ofDeeper.get("ancestors"))).containsExactly(rootId, replyId);
        assertThat(ofDeeper.get("descendants")).isEmpty();

        assertThat(api.get("/api/v1/statuses/" + rootId).ok().get("replies_count").asInt()).isEqualTo(2);
        api.delete("/api/v1/statuses/" + sibling, bob.token()).expect(200);
        assertThat(api.get("/api/v1/statuses/" + rootId).ok().get("replies_count").asInt()).isEqualTo(1);
    }

    /** A thread's context is memory-first: read again it is answered on the event loop, with the replies and blocks of now. */
    @Test
    void contextReadFromMemoryIsTheThreadOfNow() {
        User ann = api.newUser("memthreadA");
        User bob = api.newUser("memthreadB");
        User cat = api.newUser("memthreadC");
        String rootId = api.postStatus(ann, "root").get("id").asText();
        String replyId = api.postStatus(bob, Map.of("status", "reply", "in_reply_to_id", rootId)).get("id").asText();
        String path = "/api/v1/statuses/" + replyId + "/context";
        JsonNode[] reads = api.getTwiceFromMemory(path, cat.token());
        assertValid("Context", reads[1]);
        assertThat(reads[1]).isEqualTo(reads[0]);
        assertThat(ids(reads[1].get("ancestors"))).containsExactly(rootId);
        assertThat(reads[1].get("descendants")).isEmpty();

        String deeper = api.postStatus(ann, Map.of("status", "deeper", "in_reply_to_id", replyId)).get("id").asText();
        assertThat(ids(api.getFromMemory(path, cat.token()).get("descendants"))).containsExactly(deeper);

        // cat blocks ann: ann's posts leave cat's view of the thread, from memory too.
        api.post("/api/v1/accounts/" + ann.id() + "/block", cat.token()).ok();
        JsonNode blocked = api.getFromMemory(path, cat.token());
        assertThat(blocked.get("ancestors")).isEmpty();
        assertThat(blocked.get("descendants")).isEmpty();
        api.get("/api/v1/statuses/99999999999/context", cat.token()).expect(404);
    }

    @Test
    void replyToAMissingStatusIs422AndPostsNothing() {
        User u = api.newUser("orphan");
        ApiClient.Response r = api.post("/api/v1/statuses", u.token(), Map.of("status", "hello?",
                "in_reply_to_id", "424242")).expect(422);
        assertValid("Error", r.json());
        assertThat(r.json().get("field").asText()).isEqualTo("in_reply_to_id");
        assertThat(statusesCount(u)).isZero();
    }

    @Test
    void repostNestsTheOriginalAndUnrepostRemovesIt() {
        User author = api.newUser("author");
        User fan = api.newUser("booster");
        String id = api.postStatus(author, "boost me").get("id").asText();

        JsonNode repost = api.post("/api/v1/statuses/" + id + "/reblog", fan.token()).ok();
        assertValid("Status", repost);
        assertThat(repost.at("/account/id").asText()).isEqualTo(fan.id());
        assertThat(repost.at("/reblog/id").asText()).isEqualTo(id);
        assertThat(repost.at("/reblog/account/id").asText()).isEqualTo(author.id());
        assertThat(repost.at("/reblog/reblogs_count").asInt()).isEqualTo(1);
        assertThat(repost.at("/reblog/reblogged").asBoolean()).isTrue();
        assertThat(repost.get("content").asText()).isEmpty();

        JsonNode again = api.post("/api/v1/statuses/" + id + "/reblog", fan.token()).ok();
        assertThat(again.get("id")).as("reposting twice gives the same repost").isEqualTo(repost.get("id"));
        assertThat(api.get("/api/v1/statuses/" + id).ok().get("reblogs_count").asInt()).isEqualTo(1);

        List<String> fanTimeline = timeline(fan, null);
        assertThat(fanTimeline).containsExactly(repost.get("id").asText());
        JsonNode inTimeline = api.get("/api/v1/accounts/" + fan.id() + "/statuses").ok().get(0);
        assertThat(inTimeline.at("/reblog/id").asText()).isEqualTo(id);

        JsonNode original = api.post("/api/v1/statuses/" + id + "/unreblog", fan.token()).ok();
        assertValid("Status", original);
        assertThat(original.get("id").asText()).isEqualTo(id);
        assertThat(original.get("reblogged").asBoolean()).isFalse();
        assertThat(original.get("reblogs_count").asInt()).isZero();
        assertThat(timeline(fan, null)).isEmpty();
        api.get("/api/v1/statuses/" + repost.get("id").asText()).expect(404);
    }

    @Test
    void quotePostCarriesTheQuotedStatus() {
        User author = api.newUser("quoted");
        User quoter = api.newUser("quoter");
        String id = api.postStatus(author, "quotable words").get("id").asText();
        JsonNode quote = api.postStatus(quoter, Map.of("status", "look at this", "quoted_status_id", id));
        assertValid("Status", quote);
        assertThat(quote.at("/quote/state").asText()).isEqualTo("accepted");
        assertThat(quote.at("/quote/quoted_status/id").asText()).isEqualTo(id);
        assertThat(quote.at("/quote/quoted_status/content").asText()).isEqualTo("<p>quotable words</p>");

        JsonNode reread = api.get("/api/v1/statuses/" + quote.get("id").asText()).ok();
        assertThat(reread.at("/quote/quoted_status/id").asText()).isEqualTo(id);

        api.delete("/api/v1/statuses/" + id, author.token()).expect(200);
        JsonNode afterDelete = api.get("/api/v1/statuses/" + quote.get("id").asText()).ok();
        assertValid("Status", afterDelete);
        assertThat(afterDelete.at("/quote/state").asText()).isEqualTo("deleted");
        assertThat(afterDelete.at("/quote/quoted_status").isNull()).isTrue();
    }

    @Test
    void favouriteAndUnfavouriteCountOncePerUser() {
        User author = api.newUser("liked");
        User a = api.newUser("likerA");
        User b = api.newUser("likerB");
        String id = api.postStatus(author, "like me").get("id").asText();

        JsonNode fav = api.post("/api/v1/statuses/" + id + "/favourite", a.token()).ok();
        assertValid("Status", fav);
        assertThat(fav.get("favourited").asBoolean()).isTrue();
        assertThat(fav.get("favourites_count").asInt()).isEqualTo(1);
        api.post("/api/v1/statuses/" + id + "/favourite", a.token()).ok();
        assertThat(api.post("/api/v1/statuses/" + id + "/favourite", b.token()).ok().get("favourites_count").asInt())
                .isEqualTo(2);

        JsonNode asAuthor = api.get("/api/v1/statuses/" + id, author.token()).ok();
        assertThat(asAuthor.get("favourites_count").asInt()).isEqualTo(2);
        assertThat(asAuthor.get("favourited").asBoolean()).isFalse();

        JsonNode unfav = api.post("/api/v1/statuses/" + id + "/unfavourite", a.token()).ok();
        assertValid("Status", unfav);
        assertThat(unfav.get("favourited").asBoolean()).isFalse();
        assertThat(unfav.get("favourites_count").asInt()).isEqualTo(1);
        api.post("/api/v1/statuses/" + id + "/unfavourite", a.token()).ok();
        assertThat(api.get("/api/v1/statuses/" + id).ok().get("favourites_count").asInt()).isEqualTo(1);
    }

    @Test
    void sameIdempotencyKeyReturnsTheSameStatusOnce() {
        User u = api.newUser("idem");
        Map<String, String> headers = Map.of("Idempotency-Key", "key-" + u.id());
        JsonNode first = api.send("POST", "/api/v1/statuses", u.token(),
                ApiClient.form(Map.of("status", "exactly once")), headers).ok();
        JsonNode second = api.send("POST", "/api/v1/statuses", u.token(),
                ApiClient.form(Map.of("status", "exactly once")), headers).ok();
        assertValid("Status", second);
        assertThat(second.get("id")).isEqualTo(first.get("id"));
        assertThat(timeline(u, u)).containsExactly(first.get("id").asText());
        assertThat(statusesCount(u)).isEqualTo(1);

        JsonNode other = api.send("POST", "/api/v1/statuses", u.token(),
                ApiClient.form(Map.of("status", "exactly once")), Map.of("Idempotency-Key", "another")).ok();
        assertThat(other.get("id")).isNotEqualTo(first.get("id"));
        // Keys belong to one user: the same key from someone else is a new post.
        User v = api.newUser("idem2");
        JsonNode theirs = api.send("POST", "/api/v1/statuses", v.token(),
                ApiClient.form(Map.of("status", "exactly once")), headers).ok();
        assertThat(theirs.at("/account/id").asText()).isEqualTo(v.id());
    }

    @Test
    void concurrentRetriesWithOneIdempotencyKeyCreateOneStatus() throws Exception {
        User u = api.newUser("racer");
        Map<String, String> headers = Map.of("Idempotency-Key", "race-" + u.id());
        List<JsonNode> results = concurrently(8, i -> api.send("POST", "/api/v1/statuses", u.token(),
                ApiClient.form(Map.of("status", "posted once however often it is sent")), headers).ok());
        assertThat(results).extracting(r -> r.get("id").asText()).containsOnly(results.get(0).get("id").asText());
        assertThat(timeline(u, u)).hasSize(1);
        assertThat(statusesCount(u)).isEqualTo(1);
    }

    @Test
    void concurrentFavouritesAreAllCounted() throws Exception {
        User author = api.newUser("popular");
        String id = api.postStatus(author, "like this all at once").get("id").asText();
        List<User> fans = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            fans.add(api.newUser("fan"));
        }
        concurrently(8, i -> api.post("/api/v1/statuses/" + id + "/favourite", fans.get(i).token()).ok());
        assertThat(api.get("/api/v1/statuses/" + id).ok().get("favourites_count").asInt()).isEqualTo(8);
    }

    /** Runs {@code n} calls at once (released together) and returns their results in call order. */
    static <T> List<T> concurrently(int n, IntFunction<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.apply(k);
                }));
            }
            start.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void mentionsHashtagsAndLinksAreExtractedAndLinkified() {
        User author = api.newUser("writer");
        User bob = api.newUser("Bobby");
        String text = "hi @" + bob.username() + " and @nobody_known, see #Rookery #java and https://example.com/a?b=c&d=e.";
        JsonNode s = api.postStatus(author, text);
        assertValid("Status", s);
        assertThat(s.get("mentions")).hasSize(1);
        JsonNode mention = s.get("mentions").get(0);
        assertThat(mention.get("id").asText()).isEqualTo(bob.id());
        assertThat(mention.get("acct").asText()).isEqualTo(bob.username());
        assertThat(mention.get("url").asText()).isEqualTo(server.baseUrl() + "/@" + bob.username());
        assertThat(s.get("tags")).extracting(t -> t.get("name").asText()).containsExactly("rookery", "java");
        assertThat(s.get("tags").get(0).get("url").asText()).isEqualTo(server.baseUrl() + "/tags/rookery");

        String content = s.get("content").asText();
        assertThat(content)
                .contains("<a href=\"" + server.baseUrl() + "/@" + bob.username() + "\" class=\"u-url mention\">")
                .contains("@nobody_known")
                .doesNotContain("/@nobody_known")
                .contains("<a href=\"" + server.baseUrl() + "/tags/rookery\" class=\"mention hashtag\" rel=\"tag\">#<span>Rookery</span></a>")
                .contains("<a href=\"https://example.com/a?b=c&amp;d=e\" rel=\"nofollow noopener\" target=\"_blank\">")
                .endsWith(".</p>");
        // Rendered content is kept per status: later reads, by anyone, see exactly the same.
        for (User viewer : new User[] {author, bob, null}) {
            JsonNode again = api.get("/api/v1/statuses/" + s.get("id").asText(), viewer == null ? null : viewer.token())
                    .expect(200).json();
            assertThat(again.get("content").asText()).isEqualTo(content);
        }
    }

    @Test
    void fiveHundredCharactersFitAndFiveHundredOneAreRejectedNamingStatus() {
        User u = api.newUser("limit");
        api.postStatus(u, "a".repeat(500));
        ApiClient.Response r = api.post("/api/v1/statuses", u.token(), Map.of("status", "a".repeat(501))).expect(422);
        assertValid("Error", r.json());
        assertThat(r.json().get("field").asText()).isEqualTo("status");
        assertThat(r.json().get("error").asText()).contains("status");
        assertThat(statusesCount(u)).as("a rejected post is not counted").isEqualTo(1);
        assertThat(timeline(u, u)).hasSize(1);
    }

    @Test
    void aLongLinkCountsAsTwentyThreeCharacters() {
        User u = api.newUser("links");
        String url = "https://example.com/" + "p".repeat(200);
        // 476 + 1 + 23 = 500 weighted, although the text is 697 characters long.
        JsonNode s = api.postStatus(u, "b".repeat(476) + " " + url);
        assertThat(s.get("content").asText()).contains(url);
        api.post("/api/v1/statuses", u.token(), Map.of("status", "b".repeat(477) + " " + url)).expect(422);
    }

    @Test
    void emojiCountAsOneCharacterEach() {
        User u = api.newUser("emoji");
        api.postStatus(u, "\uD83D\uDC26".repeat(500));
        assertThat(api.post("/api/v1/statuses", u.token(), Map.of("status", "\uD83D\uDC26".repeat(501))).expect(422)
                .json().get("field").asText()).isEqualTo("status");
    }

    @Test
    void deletingARepostByItsIdUndoesTheRepost() {
        User author = api.newUser("undoA");
        User fan = api.newUser("undoB");
        String id = api.postStatus(author, "boosted then unboosted").get("id").asText();
        String repost = api.post("/api/v1/statuses/" + id + "/reblog", fan.token()).ok().get("id").asText();
        api.delete("/api/v1/statuses/" + repost, fan.token()).expect(200);
        api.get("/api/v1/statuses/" + repost).expect(404);
        JsonNode original = api.get("/api/v1/statuses/" + id, fan.token()).ok();
        assertThat(original.get("reblogs_count").asInt()).isZero();
        assertThat(original.get("reblogged").asBoolean()).isFalse();
        assertThat(statusesCount(fan)).isZero();
        assertThat(statusesCount(author)).isEqualTo(1);
    }

    @Test
    void mentionOfARemoteHandleDoesNotMentionTheLocalNamesake() {
        User author = api.newUser("remote");
        User local = api.newUser("namesake");
        JsonNode s = api.postStatus(author, Map.of("status", "@" + local.username() + "@elsewhere.example secret",
                "visibility", "direct"));
        assertThat(s.get("mentions")).isEmpty();
        api.get("/api/v1/statuses/" + s.get("id").asText(), local.token()).expect(404);
    }

    @Test
    void blankOrUnsupportedPostsAreRejectedNamingTheField() {
        User u = api.newUser("blank");
        Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
        cases.put("status", Map.of("status", "   "));
        cases.put("visibility", Map.of("status", "x", "visibility", "everyone"));
        cases.put("language", Map.of("status", "x", "language", "English!"));
        cases.put("media_ids", Map.of("status", "x", "media_ids[]", "1"));
        cases.put("scheduled_at", Map.of("status", "x", "scheduled_at", "2030-01-01T00:00:00Z"));
        cases.put("spoiler_text", Map.of("status", "x", "spoiler_text", "s".repeat(501)));
        cases.forEach((field, form) -> {
            ApiClient.Response r = api.post("/api/v1/statuses", u.token(), form).expect(422);
            assertValid("Error", r.json());
            assertThat(r.json().get("field").asText()).as("field for %s", form).isEqualTo(field);
        });
        assertThat(statusesCount(u)).isZero();
        assertThat(timeline(u, u)).isEmpty();
    }

    @Test
    void statusesOnAPageAreAllValid() {
        User u = api.newUser("valid");
        User other = api.newUser("validOther");
        String theirs = api.postStatus(other, "#tagged post by @" + u.username()).get("id").asText();
        api.postStatus(u, Map.of("status", "reply", "in_reply_to_id", theirs));
        api.post("/api/v1/statuses/" + theirs + "/reblog", u.token()).ok();
        api.post("/api/v1/statuses/" + theirs + "/favourite", u.token()).ok();
        api.postStatus(u, Map.of("status", "quote", "quoted_status_id", theirs));
        api.postStatus(u, Map.of("status", "private", "visibility", "private"));
        JsonNode page = api.get("/api/v1/accounts/" + u.id() + "/statuses", u.token()).ok();
        assertThat(page).hasSize(4);
        assertEachValid("Status", page);
    }
}
