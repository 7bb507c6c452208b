package org.rookery.core.tweets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TweetTextTest {
    private final TweetText text = new TweetText(500);

    private int length(String s) {
        return text.parse(s).weightedLength();
    }

    @Test
    void plainTextCountsOnePerCharacter() {
        assertThat(length("")).isZero();
        assertThat(length("hello")).isEqualTo(5);
        assertThat(length("hello world, how are you?")).isEqualTo(25);
        assertThat(length("line one\nline two")).isEqualTo(17);
    }

    @Test
    void aLinkCountsTwentyThreeWhateverItsLength() {
        String longUrl = "https://example.com/" + "a".repeat(80);
        assertThat(longUrl).hasSize(100);

        assertThat(length(longUrl)).isEqualTo(TweetText.LINK_LENGTH);
        assertThat(length("see " + longUrl)).isEqualTo(4 + 23);
        assertThat(length("http://x.co")).isEqualTo(23);
        assertThat(length(longUrl + " and " + longUrl)).isEqualTo(23 + 5 + 23);
    }

    @Test
    void emojiAndCjkCountOnePerCodePoint() {
        assertThat(length("😀")).isEqualTo(1);
        assertThat(length("🎉🎉🎉")).isEqualTo(3);
        assertThat(length("日本語")).isEqualTo(3);
        assertThat(length("한국어")).isEqualTo(3);
        assertThat(length("中文 😀 ok")).isEqualTo(7);
    }

    @Test
    void fiveHundredFitsAndFiveHundredAndOneIsTooLong() {
        assertThat(length("a".repeat(500))).isEqualTo(500).isLessThanOrEqualTo(text.maxLength());
        assertThat(length("a".repeat(501))).isEqualTo(501).isGreaterThan(text.maxLength());
        assertThat(length("😀".repeat(500))).isEqualTo(500);
        assertThat(length("😀".repeat(501))).isEqualTo(501);
        assertThat(length("語".repeat(500))).isEqualTo(500);
        assertThat(length("語".repeat(501))).isEqualTo(501);
        // A long link fits where its own length would not.
        String longUrl = "https://example.com/" + "a".repeat(200);
        assertThat(length("a".repeat(476) + " " + longUrl)).isEqualTo(500);
        assertThat(length("a".repeat(477) + " " + longUrl)).isEqualTo(501);
    }

    @Test
    void textThatOnlyLooksLikeADomainCountsItsOwnLength() {
        // As Mastodon counts: only links with a scheme count 23, so "readme.md" near the limit still fits.
        assertThat(length("a.co")).isEqualTo(4);
        assertThat(length("see example.com")).isEqualTo(15);
        assertThat(length("open readme.md and script.py")).isEqualTo(28);
        assertThat(length("x".repeat(490) + " readme.md")).isEqualTo(500);
    }

    @Test
    void extractsMentionsOfHandlesUpToThirtyCharacters() {
        String thirty = "a".repeat(30);
        String thirtyOne = "b".repeat(31);

        TweetText.Parsed parsed = text.parse("hi @alice, @Bob_2 and @" + thirty + " but not @" + thirtyOne);

        assertThat(parsed.mentions()).containsExactly("alice", "Bob_2", thirty);
    }

    @Test
    void mentionsAreUniqueAndKeepTheirOrder() {
        assertThat(text.parse("@carol @alice @carol").mentions()).containsExactly("carol", "alice");
    }

    @Test
    void mentionOfARemoteAccountIsNotAMentionOfTheLocalNamesake() {
        assertThat(text.parse("hello @alice@example.org!").mentions()).isEmpty();
        assertThat(text.parse("@bob and @alice@example.org").mentions()).containsExactly("bob");
    }

    @Test
    void emailAddressesAreNotMentions() {
        TweetText.Parsed parsed = text.parse("mail bob@example.com or carol@example.org, cc @dave");

        assertThat(parsed.mentions()).containsExactly("dave");
    }

    @Test
    void extractsHashtags() {
        TweetText.Parsed parsed = text.parse("#rookery is up! #Java_21 #日本 #rookery #123 x#notatag");

        assertThat(parsed.hashtags()).containsExactly("rookery", "Java_21", "日本");
    }

    @Test
    void extractsOnlyLinksWithAScheme() {
        TweetText.Parsed parsed = text.parse("see https://example.com/a?b=c, http://x.org/p and example.net/q or www.example.com");

        assertThat(parsed.urls()).containsExactly("https://example.com/a?b=c", "http://x.org/p");
    }

    @Test
    void repeatedLinksAreListedOnceButCountedEachTime() {
        TweetText.Parsed parsed = text.parse("https://example.com/x https://example.com/x");

        assertThat(parsed.urls()).containsExactly("https://example.com/x");
        assertThat(parsed.weightedLength()).isEqualTo(23 + 1 + 23);
    }

    @Test
    void plainTextHasNoEntities() {
        TweetText.Parsed parsed = text.parse("just words here.");

        assertThat(parsed.mentions()).isEmpty();
        assertThat(parsed.hashtags()).isEmpty();
        assertThat(parsed.urls()).isEmpty();
    }

    @Test
    void refusesANonPositiveMaximum() {
        assertThatThrownBy(() -> new TweetText(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLength: 0 (expected: > 0)");
        assertThat(new TweetText(280).maxLength()).isEqualTo(280);
    }
}
