package org.rookery.core.store;

/**
 * The tables of the durable store. Keys are byte strings ordered lexicographically (ids are written
 * big-endian, so key order is id order); a table maps to a RocksDB column family in the embedded
 * adapter and to a CQL table (partition = the first id of the key, clustering = the rest) in a
 * cluster.
 */
public enum Table {
    /** user id → account record. */
    ACCOUNTS,
    /** lower-cased handle → user id. */
    HANDLES,
    /** lower-cased e-mail → user id. */
    EMAILS,
    /** user id → credential record (e-mail, password hash). */
    CREDENTIALS,
    /** SHA-256 of a bearer token → token record. */
    TOKENS,
    /** client id → OAuth application record. */
    APPS,
    /** SHA-256 of an authorization code → code record. */
    AUTH_CODES,
    /** tweet id → tweet record. */
    TWEETS,
    /** author id + tweet id → entry flags: the user timeline, newest last in key order. */
    USER_TIMELINES,
    /** parent tweet id + reply id → nothing: replies for conversation context. */
    REPLIES,
    /** original tweet id + reposter id → repost tweet id. */
    REPOSTS,
    /** tweet id + user id → favourite time. */
    FAVOURITES,
    /** edge kind + user id + user id → edge value (see {@code GraphKeys}). */
    EDGES,
    /** edge kind + user id + edge id → other user id: edges newest first for paging. */
    EDGE_INDEX,
    /** counter key → 64-bit little-endian count, updated by merge. */
    COUNTERS,
    /** user id + Idempotency-Key → tweet id + time. */
    IDEMPOTENCY,
    /**
     * {@code N} + user id + notification id → notification record: per-user notification timelines,
     * newest last in key order, with their per-actor and per-tweet indexes (see {@code NotificationService}).
     */
    NOTIFICATIONS,
    /**
     * user id + client id → SHA-256 of the token {@code OAuthService.reissueTokens} last issued to
     * that user for that application, which the next reissue revokes.
     */
    REISSUED_TOKENS,
    /** small settings and bookkeeping. */
    META
}
