package org.rookery.loadgen.graph;

import java.util.Arrays;

/**
 * A follow graph over users {@code 0..users-1}, held as compressed rows of followers per followee
 * (two primitive arrays: {@code offsets[users+1]} and {@code followers[edges]}), so ten million
 * edges take 40 MB. Immutable and thread-safe once built.
 *
 * <pre>{@code
 * FollowerGraph g = PowerLawGraphGenerator.builder(10_000).meanFollowers(50).exponent(2.2).seed(1).build().generate();
 * for (int i = g.start(author); i < g.end(author); i++) { int follower = g.followerAt(i); ... }
 * }</pre>
 */
public final class FollowerGraph {
    private final int[] offsets;
    private final int[] followers;

    /** Takes ownership of the arrays: row {@code u} is {@code followers[offsets[u] .. offsets[u+1])}. */
    public FollowerGraph(int[] offsets, int[] followers) {
        if (offsets.length == 0) {
            throw new IllegalArgumentException("offsets: empty (expected: users + 1 entries)");
        }
        if (offsets[offsets.length - 1] != followers.length) {
            throw new IllegalArgumentException("offsets: last " + offsets[offsets.length - 1]
                    + " (expected: " + followers.length + ", the number of edges)");
        }
        this.offsets = offsets;
        this.followers = followers;
    }

    public int users() {
        return offsets.length - 1;
    }

    public long edges() {
        return followers.length;
    }

    /** How many accounts follow {@code user}. */
    public int followerCount(int user) {
        return offsets[user + 1] - offsets[user];
    }

    /** First index of {@code user}'s row, for {@link #followerAt}. */
    public int start(int user) {
        return offsets[user];
    }

    /** One past the last index of {@code user}'s row. */
    public int end(int user) {
        return offsets[user + 1];
    }

    public int followerAt(int index) {
        return followers[index];
    }

    /** The follower counts of every user (a copy). */
    public int[] followerCounts() {
        int[] counts = new int[users()];
        for (int u = 0; u < counts.length; u++) {
            counts[u] = followerCount(u);
        }
        return counts;
    }

    /** The user with the most followers (lowest index on ties). */
    public int mostFollowed() {
        int best = 0;
        for (int u = 1; u < users(); u++) {
            if (followerCount(u) > followerCount(best)) {
                best = u;
            }
        }
        return best;
    }

    public int maxFollowers() {
        return users() == 0 ? 0 : followerCount(mostFollowed());
    }

    /** Bytes held by the two arrays. */
    public long ramBytesUsed() {
        return 4L * offsets.length + 4L * followers.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FollowerGraph g && Arrays.equals(offsets, g.offsets) && Arrays.equals(followers, g.followers);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(followers);
    }

    @Override
    public String toString() {
        return "FollowerGraph{users=" + users() + ", edges=" + edges() + ", maxFollowers=" + maxFollowers() + "}";
    }
}
