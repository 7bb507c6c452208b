package org.rookery.core.tweets;

import com.twitter.twittertext.Extractor;
import com.twitter.twittertext.TwitterTextConfiguration;
import com.twitter.twittertext.TwitterTextParser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures and parses tweet text with Twitter's own twitter-text library: weighted length (every
 * code point counts 1, every link counts 23, as Mastodon counts), hashtags and links. Mentions use
 * Mastodon's rule (handles of up to 30 characters) since twitter-text stops at Twitter's 15.
 * Thread-safe.
 */
public final class TweetText {
    /** Length a link counts for, whatever its real length. */
    public static final int LINK_LENGTH = 23;
    private static final String LINK_PLACEHOLDER = "_".repeat(LINK_LENGTH);

    /** The result of parsing one text. */
    public record Parsed(int weightedLength, List<String> mentions, List<String> hashtags, List<String> urls) {}

    private static final Pattern MENTION = Pattern.compile("(?<![\\p{L}\\p{N}_@/])@([A-Za-z0-9_]{1,30})(@[A-Za-z0-9.-]+[A-Za-z0-9])?(?![A-Za-z0-9_])");

    private final TwitterTextConfiguration config;
    private final int maxLength;

    public TweetText(int maxLength) {
        if (maxLength <= 0) {
            throw new IllegalArgumentException("maxLength: " + maxLength + " (expected: > 0)");
        }
        this.maxLength = maxLength;
        this.config = new TwitterTextConfiguration.Builder()
                .setVersion(3)
                .setMaxWeightedTweetLength(maxLength)
                .setScale(100)
                .setDefaultWeight(100)
                .setEmojiParsingEnabled(true)
                .setTransformedURLLength(LINK_LENGTH)
                .setRanges(List.of())
                .build();
    }

    public int maxLength() {
        return maxLength;
    }

    public Parsed parse(String text) {
        Extractor extractor = new Extractor(); // not documented as thread-safe: one per call
        extractor.setExtractURLWithoutProtocol(false);
        // twitter-text's regexes are the cost of a post (hundreds of microseconds each), so each runs
        // only when the text holds what it looks for: a link needs "://" (links without a scheme are
        // not extracted), a hashtag a '#' or its full-width form.
        List<Extractor.Entity> links = text.contains("://") ? extractor.extractURLsWithIndices(text) : List.of();
        int weighted = weightedLength(text, links);
        Set<String> mentions = new LinkedHashSet<>();
        if (text.indexOf('@') >= 0) {
            Matcher m = MENTION.matcher(text);
            while (m.find()) {
                if (m.group(2) == null) { // @user@other.domain is a remote account, never the local namesake
                    mentions.add(m.group(1));
                }
            }
        }
        List<String> tags = hashtags(extractor, text);
        Set<String> urls = new LinkedHashSet<>();
        for (Extractor.Entity link : links) {
            urls.add(link.getValue());
        }
        return new Parsed(weighted, List.copyOf(mentions), tags, List.copyOf(urls));
    }

    /**
     * What {@link #parse} returns, computed the slow way: every pattern over the whole text. Kept as
     * the reference that {@code TweetTextProperties} holds {@code parse} to and that
     * {@code TweetTextBenchmark} measures it against.
     */
    public Parsed parseWithEveryPattern(String text) {
        Extractor extractor = new Extractor();
        extractor.setExtractURLWithoutProtocol(false);
        int weighted = text.isEmpty() ? 0
                : TwitterTextParser.parseTweet(countable(text, extractor.extractURLsWithIndices(text)), config).weightedLength;
        Set<String> mentions = new LinkedHashSet<>();
        Matcher m = MENTION.matcher(text);
        while (m.find()) {
            if (m.group(2) == null) {
                mentions.add(m.group(1));
            }
        }
        List<String> tags = new ArrayList<>(new LinkedHashSet<>(extractor.extractHashtags(text)));
        List<String> urls = new ArrayList<>(new LinkedHashSet<>(extractor.extractURLs(text)));
        return new Parsed(weighted, List.copyOf(mentions), tags, urls);
    }

    /**
     * twitter-text's hashtags, found by running its pattern only over the words that hold a '#' (or
     * its full-width form) rather than at every position of the text, where it costs about a
     * microsecond a character. Neither a hashtag nor a link (whose hashtag-like fragments do not
     * count) spans whitespace, and the pattern looks one character back and one ahead, so each
     * word is examined with the whitespace on either side of it.
     */
    private static List<String> hashtags(Extractor extractor, String text) {
        Set<String> tags = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c != '#' && c != '\uFF03') {
                continue;
            }
            int from = i;
            while (from > 0 && !Character.isWhitespace(text.charAt(from - 1))) {
                from--;
            }
            int to = i;
            while (to < n && !Character.isWhitespace(text.charAt(to))) {
                to++;
            }
            List<String> found = extractor.extractHashtags(text.substring(Math.max(0, from - 1), Math.min(n, to + 1)));
            if (!found.isEmpty()) {
                if (tags == null) {
                    tags = new LinkedHashSet<>();
                }
                tags.addAll(found);
            }
            i = to;
        }
        return tags == null ? List.of() : new ArrayList<>(tags);
    }

    /**
     * Every code point counts one, a link {@link #LINK_LENGTH}, an emoji sequence one. Plain ASCII has
     * no emoji sequences and nothing to normalise, so it is counted directly; only the words holding
     * anything else go through twitter-text's parser with emoji parsing (the slowest of its regexes,
     * and its cost grows with the text it runs over). Counting word by word gives the same sum: no
     * emoji sequence, link or canonical composition spans ASCII whitespace, and each character's
     * weight is whole.
     */
    private int weightedLength(String text, List<Extractor.Entity> links) {
        if (text.isEmpty()) {
            return 0;
        }
        String countable = countable(text, links);
        // twitter-text counts a text of nothing but whitespace (and control characters) as empty.
        if (countable.trim().isEmpty()) {
            return 0;
        }
        int weighted = 0;
        int n = countable.length();
        int i = 0;
        while (i < n) {
            if (isAsciiSpace(countable.charAt(i))) {
                weighted++;
                i++;
                continue;
            }
            int end = i;
            boolean ascii = true;
            while (end < n && !isAsciiSpace(countable.charAt(end))) {
                ascii &= countable.charAt(end) < 0x80;
                end++;
            }
            weighted += ascii ? end - i : TwitterTextParser.parseTweet(countable.substring(i, end), config).weightedLength;
            i = end;
        }
        return weighted;
    }

    private static boolean isAsciiSpace(char c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }

    /**
     * The text as Mastodon measures it: each link with a scheme as {@link #LINK_LENGTH} characters,
     * and nothing else as a link (twitter-text alone would also count bare domains such as
     * "readme.md" as 23).
     */
    private static String countable(String text, List<Extractor.Entity> links) {
        StringBuilder sb = new StringBuilder(text.length());
        int at = 0;
        for (Extractor.Entity link : links) {
            sb.append(text, at, link.getStart()).append(LINK_PLACEHOLDER);
            at = link.getEnd();
        }
        sb.append(text, at, text.length());
        // Without a dot nothing reads as a domain; '_' weighs what '.' does.
        return sb.toString().replace('.', '_');
    }
}
