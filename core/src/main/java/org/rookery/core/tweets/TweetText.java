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
        int weighted = text.isEmpty() ? 0
                : TwitterTextParser.parseTweet(countable(text, extractor.extractURLsWithIndices(text)), config).weightedLength;
        Set<String> mentions = new LinkedHashSet<>();
        Matcher m = MENTION.matcher(text);
        while (m.find()) {
            if (m.group(2) == null) { // @user@other.domain is a remote account, never the local namesake
                mentions.add(m.group(1));
            }
        }
        List<String> tags = new ArrayList<>(new LinkedHashSet<>(extractor.extractHashtags(text)));
        List<String> urls = new ArrayList<>(new LinkedHashSet<>(extractor.extractURLs(text)));
        return new Parsed(weighted, List.copyOf(mentions), tags, urls);
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
