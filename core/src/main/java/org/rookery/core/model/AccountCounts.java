package org.rookery.core.model;

/** An account's follower, following and status counts. */
public record AccountCounts(long followers, long following, long statuses) {
    public static final AccountCounts ZERO = new AccountCounts(0, 0, 0);
}
