package org.rookery.core.tweets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link TweetText#parse} skips twitter-text's regexes when the text cannot match them (no "://", no
 * '#', plain ASCII). Random texts mixing the things those regexes look for (links, hashtags in both
 * forms, mentions, e-mail addresses, emoji sequences, accents, CJK) must parse exactly as running
 * every regex on every text does.
 */
class TweetTextProperties {
    private final TweetText text = new TweetText(500);

    @Property(tries = 3_000)
    void parsesAsEveryRegexOnEveryTextWould(@ForAll("texts") String s) {
        assertThat(text.parse(s)).isEqualTo(text.parseWithEveryPattern(s));
    }

    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> token = Arbitraries.of(
                "post", "42", "hello", "@alice", "@bob_99", "@carol@remote.example", "me@mail.example", "#rookery",
                "#Java21", "\uFF03fullwidth", "a#b", "https://example.com/a?b=c&d=e", "HTTP://EXAMPLE.COM", "http://x.io.",
                "example.com", "readme.md", "://", ".", ",", "!", "\n", "😀", "👍🏽", "👨‍👩‍👧", "1️⃣", "é", "e\u0301",
                "日本語", "©", "<b>", "&amp;", "\"q\"");
        Arbitrary<String> separator = Arbitraries.of(" ", " ", "", "\n", "\u00A0", "\u3000", "\t", "#", "/");
        return token.list().ofMinSize(0).ofMaxSize(12).flatMap(ts -> separator.list().ofSize(ts.size()).map(seps -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < ts.size(); i++) {
                sb.append(ts.get(i)).append(seps.get(i));
            }
            return sb.toString();
        }));
    }
}
