package org.rookery.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.internal.IdTable;
import org.rookery.core.internal.LongIntHashMap;
import org.rookery.core.model.Account;
import org.rookery.core.model.AccountCounts;
import org.rookery.core.model.Relationship;
import org.rookery.core.model.Tweet;
import org.rookery.core.tweets.TweetCounts;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.users.UserService;
import org.rookery.server.http.RawJson;

/**
 * Renders Mastodon entities (Account, Status, Relationship, ...). Ids are strings; every field the
 * Mastodon docs mark required is present. Batch methods hydrate a whole page with one multiget per
 * kind of data. Thread-safe.
 *
 * <p>Accounts and statuses are {@link RenderedJson}: the members that are the same on every read
 * (a status's id, text as HTML, links, mentions, tags; an account's id and profile) are serialized once and
 * kept as bytes, by id, and copied into each response; counts, the author's account, reposted and
 * quoted statuses and the viewer's flags are written in at read time. A status's cached members
 * depend only on the status (immutable), the base URL and the handles of its author and mentioned
 * accounts (handles never change), so they never go stale; an account's are kept with the account
 * record they were made from and remade when the profile differs.
 */
public final class Renderer {
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final Pattern LINKABLE = Pattern.compile(
            "(https?://[^\\s<>\"]+[^\\s<>\".,;:!?)\\]'])|(?<![\\p{L}\\p{N}_@/])@([A-Za-z0-9_]{1,30})(?![A-Za-z0-9_@])|(?<![\\p{L}\\p{N}_&/])#([\\p{L}\\p{N}_]+)");
    /** Bytes a cache entry costs beyond its serialized members (record, array header, slot). */
    private static final int ENTRY_OVERHEAD = 64;
    /** Bytes of cache budget per slot: room for entries as light as this (a status with little text is ~450). */
    private static final int LIGHTEST_ENTRY = 256;
    /** Formatted days, by epoch day modulo the length (a power of two). */
    private static final Day[] DAYS = new Day[64];

    private final UserService users;
    private final TweetService tweets;
    /** By status id; looked up for every status of a page, so a table of primitives ({@link IdTable}). */
    private final IdTable<StatusMembers> statusMembers;
    /** By account id. */
    private final IdTable<ProfileMembers> profileMembers;

    private record StatusMembers(String base, RawJson json) {}

    private record ProfileMembers(String base, Account account, RawJson json) {}

    public Renderer(UserService users, TweetService tweets) {
        this(users, tweets, 64L << 20);
    }

    /**
     * @param cacheBytes bytes of serialized members kept (three quarters for statuses, a quarter for
     *                   accounts); 0 renders everything on every read
     */
    public Renderer(UserService users, TweetService tweets, long cacheBytes) {
        this.users = users;
        this.tweets = tweets;
        this.statusMembers = weighedTable(cacheBytes / 4 * 3, (StatusMembers m) -> m.json().size() + ENTRY_OVERHEAD);
        this.profileMembers = weighedTable(cacheBytes / 4, (ProfileMembers m) -> m.json().size() + ENTRY_OVERHEAD);
    }

    private static <V> IdTable<V> weighedTable(long bytes, ToIntFunction<V> weigher) {
        return new IdTable<>((int) Math.min(1 << 30, bytes / LIGHTEST_ENTRY), weigher, bytes);
    }

    /** Statuses whose serialized members were found in memory, and those that had to be rendered. */
    public CacheCounts statusMemberCache() {
        return statusMembers;
    }

    /**
     * Accounts whose serialized profile was found in memory, and those that had to be rendered (a
     * profile found but made from a record that has changed since is rendered again, and counts as
     * found).
     */
    public CacheCounts profileMemberCache() {
        return profileMembers;
    }

    public static String iso(long millis) {
        return ISO.format(Instant.ofEpochMilli(millis));
    }

    public static String id(long id) {
        return Long.toString(id);
    }

    // ---- accounts -------------------------------------------------------------------------

    public AccountJson account(String base, Account a) {
        return account(base, a, users.counts(a.id()), tweets.lastTweetAt(a.id()));
    }

    public AccountJson account(String base, Account a, AccountCounts c, long lastTweetId) {
        SerializableString lastStatusAt = lastTweetId == 0 ? null
                : day(Math.floorDiv(SnowflakeIdGenerator.timestampMillis(lastTweetId), 86_400_000L));
        return new AccountJson(profile(base, a), lastStatusAt, c.statuses(), c.followers(), c.following());
    }

    /**
     * The date of an epoch day ({@code 2026-12-06}), encoded for the generator: nearly every author
     * read posted on one of a few recent days, so those are formatted once (a {@code LocalDate}
     * formatted per author was 3 % of a home read's CPU).
     */
    static SerializableString day(long epochDay) {
        int i = (int) (epochDay & (DAYS.length - 1));
        Day d = DAYS[i]; // a race only formats a day twice: a Day is immutable, safe to publish so
        if (d == null || d.epochDay() != epochDay) {
            d = new Day(epochDay, new SerializedString(LocalDate.ofEpochDay(epochDay).toString()));
            DAYS[i] = d;
        }
        return d.text();
    }

    private record Day(long epochDay, SerializableString text) {}

    /** An account's members other than last status day and counts: cached while the record is the same. */
    private RawJson profile(String base, Account a) {
        ProfileMembers cached = profileMembers.get(a.id());
        if (cached != null && cached.base().equals(base) && cached.account().equals(a)) {
            return cached.json();
        }
        RawJson json = RawJson.members(g -> {
            g.writeStringField("id", id(a.id()));
            g.writeStringField("username", a.handle());
            g.writeStringField("acct", a.handle());
            g.writeStringField("url", base + "/@" + a.handle());
            g.writeStringField("uri", base + "/users/" + a.handle());
            g.writeStringField("display_name", a.displayName());
            g.writeStringField("note", a.note().isEmpty() ? "" : "<p>" + linkify(base, a.note(), Map.of()) + "</p>");
            g.writeStringField("avatar", base + "/avatars/original/missing.png");
            g.writeStringField("avatar_static", base + "/avatars/original/missing.png");
            g.writeStringField("header", base + "/headers/original/missing.png");
            g.writeStringField("header_static", base + "/headers/original/missing.png");
            g.writeBooleanField("locked", a.locked());
            emptyArray(g, "fields");
            emptyArray(g, "emojis");
            g.writeBooleanField("bot", a.bot());
            g.writeBooleanField("group", false);
            g.writeBooleanField("discoverable", true);
            g.writeBooleanField("indexable", !a.locked());
            g.writeBooleanField("noindex", false);
            g.writeStringField("created_at", iso(a.createdAtMillis()));
            emptyArray(g, "roles");
        });
        profileMembers.put(a.id(), new ProfileMembers(base, a, json));
        return json;
    }

    private static void emptyArray(JsonGenerator g, String name) throws IOException {
        g.writeArrayFieldStart(name);
        g.writeEndArray();
    }

    /** Accounts in the given order; ids that no longer exist are left out. */
    public List<AccountJson> accounts(String base, long[] ids) {
        Map<Long, Account> found = users.getAll(ids);
        AccountCounts[] counts = users.countsEach(ids);
        long[] lastTweets = tweets.lastTweetAtEach(ids);
        List<AccountJson> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            Account a = found.get(ids[i]);
            if (a != null) {
                out.add(account(base, a, counts[i], lastTweets[i]));
            }
        }
        return out;
    }

    /** The signed-in user's own account, with {@code source} and {@code role}. */
    public AccountJson credentialAccount(String base, Account a, long pendingRequests) {
        AccountJson m = account(base, a);
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
        m.with("source", source);
        Map<String, Object> role = new LinkedHashMap<>();
        role.put("id", "-99");
        role.put("name", "");
        role.put("permissions", "0");
        role.put("color", "");
        role.put("highlighted", false);
        m.with("role", role);
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
    public StatusJson status(String base, long viewerId, Tweet t) {
        return statuses(base, viewerId, List.of(t)).get(0);
    }

    /**
     * Statuses for a page, hydrated together: one multiget each for reposted and quoted originals,
     * authors, their counts, tweet counts and the viewer's favourites and reposts; the accounts a
     * status mentions only for statuses whose members are not cached yet.
     */
    public List<StatusJson> statuses(String base, long viewerId, List<Tweet> page) {
        if (page.isEmpty()) {
            return List.of();
        }
        // The page's tweets, then the originals they repost or quote, each once; index: id to position.
        Tweet[] all = new Tweet[3 * page.size()];
        LongIntHashMap index = new LongIntHashMap(all.length);
        int n = 0;
        for (Tweet t : page) {
            if (index.get(t.id(), -1) < 0) {
                index.put(t.id(), n);
                all[n++] = t;
            }
        }
        long[] refs = new long[2 * page.size()];
        int refCount = 0;
        for (Tweet t : page) {
            if (t.repostOfId() != 0 && index.get(t.repostOfId(), -1) < 0) {
                refs[refCount++] = t.repostOfId();
            }
            if (t.quoteOfId() != 0 && index.get(t.quoteOfId(), -1) < 0) {
                refs[refCount++] = t.quoteOfId();
            }
        }
        if (refCount > 0) {
            // A reposted or quoted tweet is shown only if the viewer may see it.
            Map<Long, Tweet> referenced = tweets.getAll(distinct(refs, refCount));
            for (Tweet t : tweets.filterVisible(viewerId, new ArrayList<>(referenced.values()))) {
                if (index.get(t.id(), -1) < 0) {
                    index.put(t.id(), n);
                    all[n++] = t;
                }
            }
        }
        long[] tweetIds = new long[n];
        RawJson[] members = new RawJson[n];
        long[] authorIds = new long[n];
        int uncached = 0;
        int mentions = 0;
        for (int i = 0; i < n; i++) {
            Tweet t = all[i];
            tweetIds[i] = t.id();
            authorIds[i] = t.authorId();
            StatusMembers cached = statusMembers.get(t.id());
            if (cached != null && cached.base().equals(base)) {
                members[i] = cached.json();
            } else {
                uncached++;
                mentions += t.mentionIds().size();
            }
        }
        authorIds = distinct(authorIds, n);
        @Nullable Account[] authorAccounts = users.getEach(authorIds);
        AccountCounts[] authorCounts = users.countsEach(authorIds);
        long[] lastTweets = tweets.lastTweetAtEach(authorIds);
        LongIntHashMap authorIndex = new LongIntHashMap(authorIds.length);
        AccountJson[] authors = new AccountJson[authorIds.length];
        for (int i = 0; i < authorIds.length; i++) {
            authorIndex.put(authorIds[i], i);
            Account a = authorAccounts[i];
            if (a != null) {
                authors[i] = account(base, a, authorCounts[i], lastTweets[i]);
            }
        }
        if (uncached > 0) {
            // Members not cached yet need the handles of the status's author and mentioned accounts.
            long[] wanted = Arrays.copyOf(authorIds, authorIds.length + mentions);
            int w = authorIds.length;
            for (int i = 0; i < n; i++) {
                if (members[i] == null) {
                    for (long mid : all[i].mentionIds()) {
                        wanted[w++] = mid;
                    }
                }
            }
            Map<Long, Account> accounts = users.getAll(distinct(wanted, w));
            for (int i = 0; i < n; i++) {
                if (members[i] == null) {
                    members[i] = statusMembers(base, all[i], accounts);
                }
            }
        }
        TweetCounts[] counts = tweets.counts(tweetIds);
        boolean[] faved = tweets.favouritedEach(viewerId, tweetIds, counts);
        boolean[] reposted = tweets.repostedEach(viewerId, tweetIds, counts);
        Hydrated h = new Hydrated(viewerId, all, index, members, authorIndex, authors, counts, faved, reposted);
        List<StatusJson> out = new ArrayList<>(page.size());
        for (Tweet t : page) {
            out.add(h.render(index.get(t.id(), -1), true));
        }
        return out;
    }

    /** The distinct values among the first {@code length} of {@code ids}, sorted. */
    private static long[] distinct(long[] ids, int length) {
        long[] sorted = Arrays.copyOf(ids, length);
        Arrays.sort(sorted);
        int unique = 0;
        for (int i = 0; i < length; i++) {
            if (unique == 0 || sorted[i] != sorted[unique - 1]) {
                sorted[unique++] = sorted[i];
            }
        }
        return unique == length ? sorted : Arrays.copyOf(sorted, unique);
    }

    /**
     * A status's members other than author account, counts, reblog, quote and viewer flags;
     * cached when the author and every mentioned account are known (their handles are part of it).
     */
    private RawJson statusMembers(String base, Tweet t, Map<Long, Account> accounts) {
        Account author = accounts.get(t.authorId());
        String handle = author == null ? "unknown" : author.handle();
        Map<String, String> mentionHandles = new HashMap<>();
        List<Account> mentioned = new ArrayList<>();
        boolean allKnown = author != null;
        for (long mid : t.mentionIds()) {
            Account ma = accounts.get(mid);
            if (ma != null) {
                mentionHandles.put(ma.handle().toLowerCase(Locale.ROOT), ma.handle());
                mentioned.add(ma);
            } else {
                allKnown = false;
            }
        }
        RawJson json = RawJson.members(g -> {
            g.writeStringField("id", id(t.id()));
            g.writeStringField("uri", base + "/users/" + handle + "/statuses/" + t.id());
            g.writeStringField("url", base + "/@" + handle + "/" + t.id());
            g.writeStringField("created_at", iso(t.createdAtMillis()));
            g.writeStringField("content", t.isRepost() ? "" : "<p>" + linkify(base, t.text(), mentionHandles) + "</p>");
            g.writeStringField("visibility", t.visibility().apiName());
            g.writeBooleanField("sensitive", t.sensitive());
            g.writeStringField("spoiler_text", t.spoilerText());
            emptyArray(g, "media_attachments");
            g.writeNullField("application");
            g.writeArrayFieldStart("mentions");
            for (Account ma : mentioned) {
                g.writeStartObject();
                g.writeStringField("id", id(ma.id()));
                g.writeStringField("username", ma.handle());
                g.writeStringField("url", base + "/@" + ma.handle());
                g.writeStringField("acct", ma.handle());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("tags");
            for (String tag : t.hashtags()) {
                String name = tag.toLowerCase(Locale.ROOT);
                g.writeStartObject();
                g.writeStringField("name", name);
                g.writeStringField("url", base + "/tags/" + name);
                g.writeEndObject();
            }
            g.writeEndArray();
            emptyArray(g, "emojis");
            g.writeNumberField("quotes_count", 0);
            g.writeStringField("in_reply_to_id", t.inReplyToId() == 0 ? null : id(t.inReplyToId()));
            g.writeStringField("in_reply_to_account_id", t.inReplyToAccountId() == 0 ? null : id(t.inReplyToAccountId()));
            g.writeNullField("poll");
            g.writeNullField("card");
            g.writeStringField("language", t.language());
            g.writeNullField("edited_at");
        });
        if (allKnown) {
            statusMembers.put(t.id(), new StatusMembers(base, json));
        }
        return json;
    }

    private record Hydrated(long viewerId, Tweet[] tweets, LongIntHashMap index, RawJson[] members,
                            LongIntHashMap authorIndex, AccountJson[] authors, TweetCounts[] counts, boolean[] faved,
                            boolean[] reposted) {

        StatusJson render(int i, boolean nest) {
            Tweet t = tweets[i];
            StatusJson reblog = null;
            if (t.isRepost() && nest) {
                int original = index.get(t.repostOfId(), -1);
                reblog = original < 0 ? null : render(original, false);
            }
            int quote = StatusJson.NOT_A_QUOTE;
            StatusJson quoted = null;
            if (t.quoteOfId() != 0) {
                int q = index.get(t.quoteOfId(), -1);
                quote = q < 0 ? StatusJson.QUOTE_DELETED : StatusJson.QUOTE_ACCEPTED;
                quoted = q >= 0 && nest ? render(q, false) : null;
            }
            return new StatusJson(members[i], authors[authorIndex.get(t.authorId(), -1)], counts[i].reposts(),
                    counts[i].favourites(), counts[i].replies(), reblog, quote, quoted, viewerId != 0, faved[i],
                    reposted[i]);
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
