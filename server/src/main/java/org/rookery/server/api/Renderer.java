package org.rookery.server.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.model.Account;
import org.rookery.core.model.AccountCounts;
import org.rookery.core.model.Relationship;
import org.rookery.core.model.Tweet;
import org.rookery.core.tweets.TweetCounts;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.users.UserService;

/**
 * Renders Mastodon entities (Account, Status, Relationship, ...) as ordered maps for Jackson. Ids
 * are strings; every field the Mastodon docs mark required is present. Batch methods hydrate a whole
 * page with one multiget per kind of data. Thread-safe.
 */
public final class Renderer {
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final Pattern LINKABLE = Pattern.compile(
            "(https?://[^\\s<>\"]+[^\\s<>\".,;:!?)\\]'])|(?<![\\p{L}\\p{N}_@/])@([A-Za-z0-9_]{1,30})(?![A-Za-z0-9_@])|(?<![\\p{L}\\p{N}_&/])#([\\p{L}\\p{N}_]+)");

    private final UserService users;
    private final TweetService tweets;
    /**
     * Status content as HTML, by tweet id. Content is a function of the text (immutable), the base
     * URL and the handles of the mentioned accounts (handles never change), so an entry never goes
     * stale; rendering it is the most expensive part of a timeline page (the linkifying regex).
     */
    private final Cache<Long, Content> contents;

    private record Content(String base, String html) {}

    public Renderer(UserService users, TweetService tweets) {
        this(users, tweets, 100_000);
    }

    /** @param contentCacheSize statuses whose rendered content is kept (0: render on every read) */
    public Renderer(UserService users, TweetService tweets, int contentCacheSize) {
        this.users = users;
        this.tweets = tweets;
        this.contents = Caffeine.newBuilder().maximumSize(contentCacheSize).build();
    }

    private String content(String base, Tweet t, Map<Long, Account> accounts) {
        Content c = contents.getIfPresent(t.id());
        if (c != null && c.base().equals(base)) {
            return c.html();
        }
        Map<String, String> mentionHandles = new HashMap<>();
        boolean allKnown = true;
        for (long mid : t.mentionIds()) {
            Account ma = accounts.get(mid);
            if (ma != null) {
                mentionHandles.put(ma.handle().toLowerCase(java.util.Locale.ROOT), ma.handle());
            } else {
                allKnown = false;
            }
        }
        String html = "<p>" + linkify(base, t.text(), mentionHandles) + "</p>";
        if (allKnown) {
            contents.put(t.id(), new Content(base, html));
        }
        return html;
    }

    public static String iso(long millis) {
        return ISO.format(Instant.ofEpochMilli(millis));
    }

    public static String id(long id) {
        return Long.toString(id);
    }

    // ---- accounts -------------------------------------------------------------------------

    public Map<String, Object> account(String base, Account a) {
        return account(base, a, users.counts(a.id()), tweets.lastTweetAt(a.id()));
    }

    public Map<String, Object> account(String base, Account a, AccountCounts c, long lastTweetId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id(a.id()));
        m.put("username", a.handle());
        m.put("acct", a.handle());
        m.put("url", base + "/@" + a.handle());
        m.put("uri", base + "/users/" + a.handle());
        m.put("display_name", a.displayName());
        m.put("note", a.note().isEmpty() ? "" : "<p>" + linkify(base, a.note(), Map.of()) + "</p>");
        m.put("avatar", base + "/avatars/original/missing.png");
        m.put("avatar_static", base + "/avatars/original/missing.png");
        m.put("header", base + "/headers/original/missing.png");
        m.put("header_static", base + "/headers/original/missing.png");
        m.put("locked", a.locked());
        m.put("fields", List.of());
        m.put("emojis", List.of());
        m.put("bot", a.bot());
        m.put("group", false);
        m.put("discoverable", true);
        m.put("indexable", !a.locked());
        m.put("noindex", false);
        m.put("created_at", iso(a.createdAtMillis()));
        m.put("last_status_at", lastTweetId == 0 ? null
                : DAY.format(Instant.ofEpochMilli(SnowflakeIdGenerator.timestampMillis(lastTweetId))));
        m.put("statuses_count", c.statuses());
        m.put("followers_count", c.followers());
        m.put("following_count", c.following());
        m.put("roles", List.of());
        return m;
    }

    /** Accounts in the given order; ids that no longer exist are left out. */
    public List<Map<String, Object>> accounts(String base, long[] ids) {
        Map<Long, Account> found = users.getAll(ids);
        AccountCounts[] counts = users.countsEach(ids);
        long[] lastTweets = tweets.lastTweetAtEach(ids);
        List<Map<String, Object>> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            Account a = found.get(ids[i]);
            if (a != null) {
                out.add(account(base, a, counts[i], lastTweets[i]));
            }
        }
        return out;
    }

    /** The signed-in user's own account, with {@code source} and {@code role}. */
    public Map<String, Object> credentialAccount(String base, Account a, long pendingRequests) {
        Map<String, Object> m = account(base, a);
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("privacy", a.locked() ? "private" : "public");
        source.put("sensitive", false);
        source.put("language", null);
        source.put("note", a.note());
        source.put("fields", List.of());
        source.put("follow_requests_count", pendingRequests);
        source.put("indexable", !a.locked());
        source.put("discoverable", true);
        source.put("hide_collections", false);
        m.put("source", source);
        Map<String, Object> role = new LinkedHashMap<>();
        role.put("id", "-99");
        role.put("name", "");
        role.put("permissions", "0");
        role.put("color", "");
        role.put("highlighted", false);
        m.put("role", role);
        return m;
    }

    public static Map<String, Object> relationship(Relationship r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id(r.id()));
        m.put("following", r.following());
        m.put("showing_reblogs", r.showingReposts());
        m.put("notifying", r.notifying());
        m.put("languages", null);
        m.put("followed_by", r.followedBy());
        m.put("blocking", r.blocking());
        m.put("blocked_by", r.blockedBy());
        m.put("muting", r.muting());
        m.put("muting_notifications", r.mutingNotifications());
        m.put("requested", r.requested());
        m.put("requested_by", r.requestedBy());
        m.put("domain_blocking", false);
        m.put("endorsed", false);
        m.put("note", "");
        return m;
    }

    // ---- statuses -------------------------------------------------------------------------

    /** One status as {@code viewerId} sees it. */
    public Map<String, Object> status(String base, long viewerId, Tweet t) {
        return statuses(base, viewerId, List.of(t)).get(0);
    }

    /**
     * Statuses for a page, hydrated together: one multiget each for reposted and quoted originals,
     * authors, their counts, tweet counts and the viewer's favourites and reposts.
     */
    public List<Map<String, Object>> statuses(String base, long viewerId, List<Tweet> page) {
        Map<Long, Tweet> all = new LinkedHashMap<>();
        for (Tweet t : page) {
            all.put(t.id(), t);
        }
        long[] extra = page.stream().flatMapToLong(t -> java.util.stream.LongStream.of(t.repostOfId(), t.quoteOfId()))
                .filter(id -> id != 0 && !all.containsKey(id)).distinct().toArray();
        Map<Long, Tweet> more = tweets.getAll(extra);
        // A quoted tweet is shown only if the viewer may see it.
        List<Tweet> quotedVisible = tweets.filterVisible(viewerId, new ArrayList<>(more.values()));
        Map<Long, Tweet> referenced = new HashMap<>();
        for (Tweet t : quotedVisible) {
            referenced.put(t.id(), t);
        }
        Map<Long, Tweet> everything = new LinkedHashMap<>(all);
        everything.putAll(referenced);
        long[] tweetIds = everything.keySet().stream().mapToLong(Long::longValue).toArray();
        long[] authorIds = everything.values().stream().mapToLong(Tweet::authorId).distinct().toArray();
        long[] mentionIds = everything.values().stream().flatMap(t -> t.mentionIds().stream()).mapToLong(Long::longValue)
                .distinct().toArray();
        Map<Long, Account> accounts = users.getAll(java.util.stream.LongStream.concat(
                java.util.Arrays.stream(authorIds), java.util.Arrays.stream(mentionIds)).distinct().toArray());
        Map<Long, Map<String, Object>> renderedAccounts = new HashMap<>();
        AccountCounts[] authorCounts = users.countsEach(authorIds);
        long[] lastTweets = tweets.lastTweetAtEach(authorIds);
        for (int i = 0; i < authorIds.length; i++) {
            Account a = accounts.get(authorIds[i]);
            if (a != null) {
                renderedAccounts.put(authorIds[i], account(base, a, authorCounts[i], lastTweets[i]));
            }
        }
        TweetCounts[] counts = tweets.counts(tweetIds);
        boolean[] faved = tweets.favouritedEach(viewerId, tweetIds);
        boolean[] reposted = tweets.repostedEach(viewerId, tweetIds);
        Map<Long, Integer> index = new HashMap<>();
        for (int i = 0; i < tweetIds.length; i++) {
            index.put(tweetIds[i], i);
        }
        Hydrated h = new Hydrated(this, base, viewerId, everything, accounts, renderedAccounts, counts, faved, reposted, index);
        List<Map<String, Object>> out = new ArrayList<>(page.size());
        for (Tweet t : page) {
            out.add(h.render(t, true));
        }
        return out;
    }

    private record Hydrated(Renderer r, String base, long viewerId, Map<Long, Tweet> tweets, Map<Long, Account> accounts,
                            Map<Long, Map<String, Object>> renderedAccounts, TweetCounts[] counts, boolean[] faved,
                            boolean[] reposted, Map<Long, Integer> index) {

        Map<String, Object> render(Tweet t, boolean nest) {
            Account author = accounts.get(t.authorId());
            String handle = author == null ? "unknown" : author.handle();
            int i = index.get(t.id());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id(t.id()));
            m.put("uri", base + "/users/" + handle + "/statuses/" + t.id());
            m.put("url", base + "/@" + handle + "/" + t.id());
            m.put("created_at", iso(t.createdAtMillis()));
            m.put("account", renderedAccounts.get(t.authorId()));
            List<Map<String, Object>> mentions = new ArrayList<>();
            for (long mid : t.mentionIds()) {
                Account ma = accounts.get(mid);
                if (ma != null) {
                    Map<String, Object> mm = new LinkedHashMap<>();
                    mm.put("id", id(ma.id()));
                    mm.put("username", ma.handle());
                    mm.put("url", base + "/@" + ma.handle());
                    mm.put("acct", ma.handle());
                    mentions.add(mm);
                }
            }
            m.put("content", t.isRepost() ? "" : r.content(base, t, accounts));
            m.put("visibility", t.visibility().apiName());
            m.put("sensitive", t.sensitive());
            m.put("spoiler_text", t.spoilerText());
            m.put("media_attachments", List.of());
            m.put("application", null);
            m.put("mentions", mentions);
            List<Map<String, Object>> tags = new ArrayList<>();
            for (String tag : t.hashtags()) {
                Map<String, Object> tm = new LinkedHashMap<>();
                tm.put("name", tag.toLowerCase(java.util.Locale.ROOT));
                tm.put("url", base + "/tags/" + tag.toLowerCase(java.util.Locale.ROOT));
                tags.add(tm);
            }
            m.put("tags", tags);
            m.put("emojis", List.of());
            m.put("reblogs_count", counts[i].reposts());
            m.put("favourites_count", counts[i].favourites());
            m.put("replies_count", counts[i].replies());
            m.put("quotes_count", 0);
            m.put("in_reply_to_id", t.inReplyToId() == 0 ? null : id(t.inReplyToId()));
            m.put("in_reply_to_account_id", t.inReplyToAccountId() == 0 ? null : id(t.inReplyToAccountId()));
            Tweet original = t.isRepost() ? tweets.get(t.repostOfId()) : null;
            m.put("reblog", original != null && nest ? render(original, false) : null);
            if (t.quoteOfId() != 0) {
                Tweet q = tweets.get(t.quoteOfId());
                Map<String, Object> quote = new LinkedHashMap<>();
                quote.put("state", q == null ? "deleted" : "accepted");
                quote.put("quoted_status", q != null && nest ? render(q, false) : null);
                m.put("quote", quote);
            } else {
                m.put("quote", null);
            }
            m.put("poll", null);
            m.put("card", null);
            m.put("language", t.language());
            m.put("edited_at", null);
            if (viewerId != 0) {
                m.put("favourited", faved[i]);
                m.put("reblogged", reposted[i]);
                m.put("muted", false);
                m.put("bookmarked", false);
                m.put("pinned", false);
            }
            return m;
        }
    }

    /** HTML-escapes {@code text} and links URLs, known mentions and hashtags, Mastodon-style. */
    static String linkify(String base, String text, Map<String, String> knownMentions) {
        StringBuilder sb = new StringBuilder(text.length() + 64);
        Matcher m = LINKABLE.matcher(text);
        int last = 0;
        while (m.find()) {
            escape(sb, text, last, m.start());
            if (m.group(1) != null) {
                String url = m.group(1);
                sb.append("<a href=\"");
                escape(sb, url, 0, url.length());
                sb.append("\" rel=\"nofollow noopener\" target=\"_blank\">");
                escape(sb, url, 0, url.length());
                sb.append("</a>");
            } else if (m.group(2) != null) {
                String handle = knownMentions.get(m.group(2).toLowerCase(java.util.Locale.ROOT));
                if (handle == null) {
                    escape(sb, text, m.start(), m.end());
                } else {
                    sb.append("<span class=\"h-card\"><a href=\"").append(base).append("/@").append(handle)
                            .append("\" class=\"u-url mention\">@<span>").append(handle).append("</span></a></span>");
                }
            } else {
                String tag = m.group(3);
                sb.append("<a href=\"").append(base).append("/tags/");
                escape(sb, tag.toLowerCase(java.util.Locale.ROOT), 0, tag.length());
                sb.append("\" class=\"mention hashtag\" rel=\"tag\">#<span>");
                escape(sb, tag, 0, tag.length());
                sb.append("</span></a>");
            }
            last = m.end();
        }
        escape(sb, text, last, text.length());
        return sb.toString();
    }

    private static void escape(StringBuilder sb, String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                case '\n' -> sb.append("<br>");
                case '\r' -> { }
                default -> sb.append(c);
            }
        }
    }

    /** An escaped plain-text string for HTML pages. */
    public static String escapeHtml(@Nullable String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        escape(sb, s, 0, s.length());
        return sb.toString();
    }
}
