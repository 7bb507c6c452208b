package org.rookery.embedded.services;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.config.Settings;
import org.rookery.core.graph.GraphService;
import org.rookery.core.ids.SnowflakeIdGenerator;
import org.rookery.core.model.Account;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.tweets.TweetText;
import org.rookery.core.users.Registrations;
import org.rookery.core.users.UserService;
import org.rookery.embedded.RocksStore;

/**
 * The core services wired over a real {@link RocksStore} in a test's temporary directory, with the
 * cheapest password hashing and a clock the test can move forward. Close it after each test.
 *
 * <pre>{@code
 * try (ServiceFixture f = ServiceFixture.open(dir)) {
 *     Account alice = f.signUp("alice");
 *     f.tweets.post(alice.id(), NewTweet.of("hello"));
 * }
 * }</pre>
 */
final class ServiceFixture implements AutoCloseable {
    static final int MAX_TWEET_LENGTH = 500;
    static final Duration IDEMPOTENCY_TTL = Duration.ofHours(24);

    /**
     * Real time plus an offset the test can only increase, so ids keep growing (a frozen clock would
     * stall the Snowflake generator after 4,096 ids) while expiries can still be reached at once.
     */
    static final class TestClock implements InstantSource {
        private final AtomicLong offsetMillis = new AtomicLong();

        void advance(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("d: " + d + " (expected: >= 0)");
            }
            offsetMillis.addAndGet(d.toMillis());
        }

        @Override
        public long millis() {
            return System.currentTimeMillis() + offsetMillis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }

    final TestClock clock = new TestClock();
    final RocksStore store;
    final SnowflakeIdGenerator ids;
    final PasswordHasher hasher = new PasswordHasher(64, 1);
    final UserService users;
    final GraphService graph;
    final TweetService tweets;
    final OAuthService oauth;

    private ServiceFixture(Path dir, boolean syncWrites) {
        store = RocksStore.open(RocksStore.Options.builder(dir).syncWrites(syncWrites).build());
        ids = new SnowflakeIdGenerator(0, clock, Duration.ofSeconds(1));
        users = new UserService(store, ids, clock, hasher);
        graph = new GraphService(store, users, ids, clock);
        tweets = new TweetService(store, users, graph, ids, clock, new TweetText(MAX_TWEET_LENGTH), IDEMPOTENCY_TTL);
        oauth = new OAuthService(store, ids, clock, Settings.TOKEN_CACHE_SIZE.defaultValue());
    }

    static ServiceFixture open(Path dir) {
        return new ServiceFixture(dir, true);
    }

    /**
     * Without syncing the WAL on each commit: for tests that set up thousands of writes which must
     * go one at a time (follows of one account serialize on its lock) and do not test durability.
     */
    static ServiceFixture openUnsynced(Path dir) {
        return new ServiceFixture(dir, false);
    }

    /** The password {@link #signUp} gives {@code handle}. */
    static String passwordOf(String handle) {
        return "pw-of-" + handle.toLowerCase(Locale.ROOT);
    }

    /** The e-mail {@link #signUp} gives {@code handle}. */
    static String emailOf(String handle) {
        return handle.toLowerCase(Locale.ROOT) + "@example.com";
    }

    /** Registers an approved account under open registrations. */
    Account signUp(String handle) {
        return users.register(handle, emailOf(handle), passwordOf(handle), Registrations.OPEN);
    }

    /** Registers an account and makes it protected (follows need approval). */
    Account signUpLocked(String handle) {
        Account a = signUp(handle);
        return users.updateProfile(a.id(), null, null, true, null);
    }

    @Override
    public void close() {
        store.close();
    }
}
