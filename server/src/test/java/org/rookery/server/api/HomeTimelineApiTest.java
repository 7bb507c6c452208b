package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.Await.eventually;
import static org.rookery.server.testing.MastodonSchema.assertEachValid;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.FunctionCounter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.core.timeline.TimelineSnapshot;
import org.rookery.server.Timelines;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.User;
import org.rookery.server.testing.RookeryServerExtension;

/** GET /api/v1/timelines/home over HTTP: fanout, the insert rules, paging, deletes, restarts. */
class HomeTimelineApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private final ApiClient api = new ApiClient(server);

    private List<String> home(User u, String query) {
        JsonNode page = api.get("/api/v1/timelines/home" + query, u.token()).ok();
        assertEachValid("Status", page);
        List<String> texts = new ArrayList<>();
        for (JsonNode s : page) {
            JsonNode shown = s.get("reblog").isNull() ? s : s.get("reblog");
            String text = shown.get("content").asText().replaceAll("<[^>]+>", "");
            texts.add(s.get("reblog").isNull() ? text : "RT " + text);
        }
        return texts;
    }

    private List<String> home(User u) {
        return home(u, "");
    }

    private static void awaitFanout() {
        server.awaitFanout();
    }

    private void follow(User a, User b, boolean reblogs) {
        api.post("/api/v1/accounts/" + b.id() + "/follow", a.token(), Map.of("reblogs", reblogs)).ok();
    }

    @Test
    void followersSeeNewPostsNewestFirstAndTheirOwn() {
        User reader = api.newUser("reader");
        User writer = api.newUser("writer");
        follow(reader, writer, true);
        assertThat(home(reader)).isEmpty(); // builds the reader's timeline
        api.postStatus(writer, "one");
        api.postStatus(writer, "two");
        api.postStatus(reader, "mine");
        awaitFanout();
        assertThat(home(reader)).containsExactly("mine", "two", "one");
        assertThat(home(writer)).containsExactly("two", "one");
    }

    @Test
    void followingMergesEarlierPostsAndUnfollowingRemovesThem() {
        User reader = api.newUser("merger");
        User writer = api.newUser("earlier");
        api.postStatus(writer, "before");
        assertThat(home(reader)).isEmpty();
        follow(reader, writer, true);
        awaitFanout();
        assertThat(home(reader)).containsExactly("before");
        api.post("/api/v1/accounts/" + writer.id() + "/unfollow", reader.token()).ok();
        awaitFanout();
        assertThat(home(reader)).isEmpty();
    }

    @Test
    void repliesShowOnlyWhenTheReaderFollowsTheRepliedToAccount() {
        User reader = api.newUser("rr");
        User talker = api.newUser("talker");
        User other = api.newUser("other");
        follow(reader, talker, true);
        JsonNode toOther = api.postStatus(other, "hello");
        api.postStatus(talker, Map.of("status", "@" + other.username() + " reply to other",
                "in_reply_to_id", toOther.get("id").asText()));
        JsonNode mine = api.postStatus(reader, "question");
        api.postStatus(talker, Map.of("status", "@" + reader.username() + " reply to reader",
                "in_reply_to_id", mine.get("id").asText()));
        JsonNode own = api.postStatus(talker, "thread start");
        api.postStatus(talker, Map.of("status", "thread continues", "in_reply_to_id", own.get("id").asText()));
        awaitFanout();
        assertThat(home(reader)).containsExactly("thread continues", "thread start", "@" + reader.username()
                + " reply to reader", "question");
        follow(reader, other, true);
        awaitFanout();
        assertThat(home(reader)).contains("@" + other.username() + " reply to other", "hello");
    }

    @Test
    void repostsFollowTheShowRepostsToggleAndRepeatsAreHidden() {
        User reader = api.newUser("rp");
        User reposter = api.newUser("reposter");
        User second = api.newUser("second");
        User author = api.newUser("origin");
        follow(reader, reposter, false);
        follow(reader, second, true);
        JsonNode post = api.postStatus(author, "worth sharing");
        api.post("/api/v1/statuses/" + post.get("id").asText() + "/reblog", reposter.token()).ok();
        api.post("/api/v1/statuses/" + post.get("id").asText() + "/reblog", second.token()).ok();
        awaitFanout();
        assertThat(home(reader)).containsExactly("RT worth sharing");
        follow(reader, reposter, true); // now shows reposter's reposts; the second repost repeats it
        awaitFanout();
        assertThat(home(reader)).containsExactly("RT worth sharing");
        api.post("/api/v1/statuses/" + post.get("id").asText() + "/unreblog", reposter.token()).ok();
        awaitFanout();
        assertThat(home(reader)).containsExactly("RT worth sharing");
    }

    @Test
    void mutesAndBlocksHideAndDeletesVanishOnAcknowledgement() {
        User reader = api.newUser("mb");
        User noisy = api.newUser("noisy");
        User rude = api.newUser("rude");
        follow(reader, noisy, true);
        follow(reader, rude, true);
        api.postStatus(noisy, "noise");
        api.postStatus(rude, "rudeness");
        JsonNode gone = api.postStatus(rude, "regret");
        awaitFanout();
        assertThat(home(reader)).containsExactly("regret", "rudeness", "noise");
        api.delete("/api/v1/statuses/" + gone.get("id").asText(), rude.token()).ok();
        assertThat(home(reader)).containsExactly("rudeness", "noise"); // no waiting: the delete was acknowledged
        api.post("/api/v1/accounts/" + noisy.id() + "/mute", reader.token()).ok();
        api.post("/api/v1/accounts/" + rude.id() + "/block", reader.token()).ok();
        awaitFanout();
        assertThat(home(reader)).isEmpty();
        api.post("/api/v1/accounts/" + noisy.id() + "/unmute", reader.token()).ok();
        awaitFanout();
        assertThat(home(reader)).containsExactly("noise");
    }

    @Test
    void pagesWithMaxIdMinIdAndLinkHeaders() {
        User reader = api.newUser("pager");
        User writer = api.newUser("prolific");
        follow(reader, writer, true);
        home(reader);
        for (int i = 1; i <= 7; i++) {
            api.postStatus(writer, "p" + i);
        }
        awaitFanout();
        ApiClient.Response first = api.get("/api/v1/timelines/home?limit=3", reader.token()).expect(200);
        assertThat(first.json()).hasSize(3);
        String next = first.link("next").orElseThrow();
        String prev = first.link("prev").orElseThrow();
        assertThat(next).startsWith(server.baseUrl()).contains("max_id=");
        List<String> seen = new ArrayList<>();
        first.json().forEach(s -> seen.add(s.get("content").asText()));
        String url = next;
        while (url != null) {
            ApiClient.Response page = api.get(url.substring(server.baseUrl().length()), reader.token()).expect(200);
            if (page.json().isEmpty()) {
                assertThat(page.header("link")).isEmpty();
                break;
            }
            page.json().forEach(s -> seen.add(s.get("content").asText()));
            url = page.link("next").orElse(null);
        }
        assertThat(seen).containsExactly("<p>p7</p>", "<p>p6</p>", "<p>p5</p>", "<p>p4</p>", "<p>p3</p>", "<p>p2</p>",
                "<p>p1</p>");
        assertThat(api.get(prev.substring(server.baseUrl().length()), reader.token()).json()).isEmpty();
        String oldest = api.get("/api/v1/timelines/home?limit=7", reader.token()).json().get(6).get("id").asText();
        assertThat(home(reader, "?min_id=" + oldest + "&limit=2")).containsExactly("p3", "p2");
    }

    @Test
    void requiresAUserToken() {
        api.get("/api/v1/timelines/home", null).expect(401);
    }

    @Test
    void aRestartedServerRebuildsTimelinesFromStorage() {
        User reader = api.newUser("phoenix");
        User writer = api.newUser("ashes");
        follow(reader, writer, true);
        api.postStatus(writer, "survives");
        awaitFanout();
        assertThat(home(reader)).containsExactly("survives");
        server.restart();
        assertThat(eventually(() -> home(reader), l -> !l.isEmpty())).containsExactly("survives");
        api.postStatus(writer, "after restart");
        awaitFanout();
        assertThat(home(reader)).containsExactly("after restart", "survives");
    }

    /**
     * A clean stop writes the home timelines to a snapshot, and the next start loads it before it
     * serves: readers find their timelines in memory without a rebuild. The used snapshot is deleted,
     * so a crash later cannot bring back timelines that fanout has since moved past.
     */
    @Test
    void aCleanRestartLoadsTheTimelinesFromTheSnapshotAndDeletesIt() {
        User reader = api.newUser("snapreader");
        User writer = api.newUser("snapwriter");
        follow(reader, writer, true);
        api.postStatus(writer, "kept one");
        api.postStatus(writer, "kept two");
        awaitFanout();
        assertThat(home(reader)).containsExactly("kept two", "kept one");
        long readerId = Long.parseLong(reader.id());

        server.restart();
        Timelines timelines = server.server().timelines();
        assertThat(timelines.restored().users()).isPositive();
        assertThat(timelines.restored().entries()).isGreaterThanOrEqualTo(2);
        assertThat(gauge("rookery.timeline.snapshot.restored.users")).isEqualTo(timelines.restored().users());
        assertThat(timelines.store().size(readerId)).as("resident with both entries").isEqualTo(2);
        assertThat(server.dataDir().resolve(TimelineSnapshot.FILE_NAME)).doesNotExist();
        assertThat(home(reader)).containsExactly("kept two", "kept one");
        api.postStatus(writer, "after the snapshot");
        awaitFanout();
        assertThat(home(reader)).containsExactly("after the snapshot", "kept two", "kept one");
    }

    /**
     * A home read (or a sign-in) notes the user as active without waiting for a commit; the record is
     * written within seconds. After a restart the recently active are rebuilt before they come back (the cold
     * start, whose progress the server publishes). A returning reader's record is recent, so their
     * first home read writes nothing and, once the status it shows is cached, is answered from memory.
     */
    @Test
    void aReturningReadersTimelineIsRebuiltAtStartAndTheirFirstReadWritesNothing() {
        User reader = api.newUser("returning");
        String post = postToAnActiveReader(reader, "regular", "while you were away");
        long readerId = Long.parseLong(reader.id());

        server.restartWithoutTimelineSnapshot();
        assertThat(server.server().timelines().restored().users()).isZero();
        eventually(() -> gauge("rookery.timeline.warmup.pending"), n -> n == 0);
        assertThat(server.server().timelines().store().slotOf(readerId)).as("rebuilt before any read").isNotNegative();
        api.get("/api/v1/statuses/" + post, reader.token()).ok(); // the status, its author and the token cached
        double committed = gauge("rookery.store.batches.committed");
        double served = server.memoryFirstRequests("served");
        assertThat(home(reader)).containsExactly("while you were away");
        assertThat(server.memoryFirstRequests("served")).as("answered from memory").isEqualTo(served + 1);
        assertThat(gauge("rookery.store.batches.committed")).as("nothing written").isEqualTo(committed);
    }

    /**
     * The cold start also reads and renders the first home page of the most recently active users,
     * without it counting as their read: a returning reader's first read after a restart then finds
     * the statuses, their authors, their counts and their JSON in memory, and is answered from it.
     */
    @Test
    void theColdStartRendersTheFirstPagesOfTheRecentlyActive() {
        User reader = api.newUser("warmreader");
        postToAnActiveReader(reader, "warmwriter", "rendered before you came back");

        server.restart();
        eventually(() -> gauge("rookery.timeline.warmup.pending"), n -> n == 0);
        api.get("/api/v1/accounts/verify_credentials", reader.token()).ok(); // the token cached
        Map<String, Double> misses = cacheMisses();
        double served = server.memoryFirstRequests("served");
        assertThat(home(reader)).containsExactly("rendered before you came back");
        assertThat(server.memoryFirstRequests("served")).as("answered from memory").isEqualTo(served + 1);
        assertThat(cacheMisses()).as("nothing looked up that the warm-up had not").isEqualTo(misses);
    }

    /**
     * A new user {@code writerName} whom {@code reader} follows posts {@code text} after the reader's
     * first read; once the post is fanned out and the reader's activity recorded, returns its id.
     */
    private String postToAnActiveReader(User reader, String writerName, String text) {
        User writer = api.newUser(writerName);
        follow(reader, writer, true);
        assertThat(home(reader)).isEmpty(); // a read: the reader is active
        String post = api.postStatus(writer, text).get("id").asText();
        awaitFanout();
        long readerId = Long.parseLong(reader.id());
        eventually(() -> server.server().timelines().reads().activeSince(0),
                active -> Arrays.stream(active).anyMatch(id -> id == readerId));
        return post;
    }

    /** Lookups that missed so far, by cache. */
    private static Map<String, Double> cacheMisses() {
        Map<String, Double> misses = new TreeMap<>();
        for (FunctionCounter c : server.server().registry().get("rookery.cache.gets").tag("result", "miss")
                .functionCounters()) {
            misses.put(c.getId().getTag("cache"), c.count());
        }
        return misses;
    }

    private static double gauge(String name) {
        return server.server().registry().get(name).gauge().value();
    }

    /**
     * A home read is tried on the event loop from memory first. A reader whose timeline is not in
     * memory yet needs the store: that read is handed to the blocking-task executor and rebuilds the
     * timeline there. Once everything is cached, reads are answered from memory, with the same page,
     * the viewer's favourite included.
     */
    @Test
    void readsAnsweredFromMemoryMatchReadsThatNeededTheStore() {
        User reader = api.newUser("memreader");
        User writer = api.newUser("memwriter");
        follow(reader, writer, true);
        api.postStatus(writer, "kept");
        String liked = api.postStatus(writer, "liked").get("id").asText();
        api.post("/api/v1/statuses/" + liked + "/favourite", reader.token()).ok();
        awaitFanout();

        double deferred = server.memoryFirstRequests("deferred");
        JsonNode cold = api.get("/api/v1/timelines/home", reader.token()).ok();
        assertThat(server.memoryFirstRequests("deferred")).isGreaterThan(deferred); // the timeline had to be rebuilt
        assertEachValid("Status", cold);
        assertThat(cold.get(0).get("id").asText()).isEqualTo(liked);
        assertThat(cold.get(0).get("favourited").asBoolean()).isTrue();
        assertThat(cold.get(1).get("favourited").asBoolean()).isFalse();

        double served = server.memoryFirstRequests("served");
        for (int i = 0; i < 3; i++) {
            assertThat(api.get("/api/v1/timelines/home", reader.token()).ok()).isEqualTo(cold);
        }
        assertThat(server.memoryFirstRequests("served")).isGreaterThan(served);
    }
}
