package org.rookery.bench.tweets;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.rookery.core.tweets.TweetText;

/**
 * The cost of parsing a post's text (length, mentions, hashtags, links) on the write path:
 * {@link TweetText#parse}, which runs twitter-text's patterns only where they can match, against
 * {@link TweetText#parseWithEveryPattern}, every pattern over the whole text (what {@code parse} did
 * before). The texts are the load generator's: a short post with a hashtag, a longer one with
 * mentions and a link, and one with an emoji (whose word takes twitter-text's emoji-aware count).
 *
 * <pre>{@code
 * ./rookery jmh TweetTextBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TweetTextBenchmark {

    @Param({
        "post 1234567 from lg1user00042 #rookery",
        "post 1234567 from lg1user00042 @lg1user00011 @lg1user00999 https://example.com/abc123xyz #rookery",
        "post 1234567 from lg1user00042 👍🏽 #rookery"
    })
    public String text;

    private final TweetText parser = new TweetText(500);

    @Benchmark
    public TweetText.Parsed parse() {
        return parser.parse(text);
    }

    @Benchmark
    public TweetText.Parsed everyPattern() {
        return parser.parseWithEveryPattern(text);
    }
}
