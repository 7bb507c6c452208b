package org.rookery.loadgen.run;

/**
 * The server's accounts for graph users {@code 0..n-1}: ids, usernames and bearer headers, by
 * index. Effectively immutable once loaded; thread-safe to read.
 */
public final class Accounts {
    private final String prefix;
    private final long[] ids;
    private final String[] authorizations;

    public Accounts(String prefix, long[] ids, String[] authorizations) {
        if (ids.length != authorizations.length) {
            throw new IllegalArgumentException("authorizations: " + authorizations.length + " (expected: " + ids.length + ")");
        }
        this.prefix = prefix;
        this.ids = ids;
        this.authorizations = authorizations;
    }

    public int size() {
        return ids.length;
    }

    public long id(int user) {
        return ids[user];
    }

    public String username(int user) {
        return username(prefix, user);
    }

    public static String username(String prefix, int user) {
        return prefix + user;
    }

    /** {@code "Bearer <token>"} for user {@code user}. */
    public String authorization(int user) {
        return authorizations[user];
    }
}
