package org.rookery.core.tweets;

/** Engagement counts of one tweet. */
public record TweetCounts(long replies, long reposts, long favourites) {
    public static final TweetCounts ZERO = new TweetCounts(0, 0, 0);
}
