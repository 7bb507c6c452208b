package org.rookery.core.model;

/**
 * A page of ids, newest first, each with the cursor the page was cut on ({@code cursors[i]} is
 * the position of {@code ids[i]} in the list: the id itself for tweets, the edge id for follower
 * lists).
 */
public record PagedIds(long[] ids, long[] cursors) {
    public static final PagedIds EMPTY = new PagedIds(new long[0], new long[0]);

    public int size() {
        return ids.length;
    }

    public boolean isEmpty() {
        return ids.length == 0;
    }
}
