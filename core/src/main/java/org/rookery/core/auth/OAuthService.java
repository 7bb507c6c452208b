package org.rookery.core.auth;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.rookery.core.error.RookeryException;
import org.rookery.core.ids.IdGenerator;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.internal.RecordCodec;
import org.rookery.core.internal.Secrets;
import org.rookery.core.internal.StripedLocks;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

/**
 * OAuth 2 as Mastodon clients use it: registered applications, authorization codes with PKCE,
 * bearer tokens. Secrets are 256-bit random and stored only as SHA-256 hashes. Thread-safe;
 * blocking.
 */
public final class OAuthService {
    public static final String OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob";
    public static final Set<String> KNOWN_SCOPES = Set.of("read", "write", "follow", "push", "profile",
            "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
            "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
            "write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
            "write:filters", "write:follows", "write:lists", "write:media", "write:mutes", "write:notifications",
            "write:reports", "write:statuses", "admin:read", "admin:write");
    private static final Duration CODE_LIFETIME = Duration.ofMinutes(10);

    /** A registered client application; the secret is stored hashed. */
    public record App(long id, String clientId, String secretHash, String name, List<String> redirectUris,
                      String scopes, @Nullable String website, long createdAtMillis) {}

    /** A bearer token; {@code userId} is 0 for an application-only (client_credentials) token. */
    public record Token(long id, long userId, String clientId, String scopes, long createdAtMillis) {
        public boolean hasScope(String wanted) {
            for (String s : scopes.split(" ")) {
                if (s.equals(wanted) || wanted.startsWith(s + ":")) {
                    return true;
                }
            }
            return false;
        }
    }

    /** An issued authorization code awaiting exchange. */
    public record AuthCode(String clientId, long userId, String redirectUri, String scopes,
                           @Nullable String codeChallenge, @Nullable String challengeMethod, long expiresAtMillis) {}

    /** A freshly created app with its secret in clear, shown once. */
    public record NewApp(App app, String clientSecret) {}

    /** A freshly issued token in clear, shown once. */
    public record NewToken(String accessToken, Token token) {}

    private final KeyValueStore store;
    private final IdGenerator ids;
    private final InstantSource clock;
    private final StripedLocks codeLocks = new StripedLocks(64);
    /**
     * Live tokens by the SHA-256 of their secret (the secret itself is never kept), so that an
     * authenticated request costs a hash, not a store read and a decode as well. Only {@link #revoke}
     * ends a token, and it drops the entry before it returns. Unknown tokens are not kept.
     */
    private final Cache<ByteBuffer, Token> liveTokens;
    /** Held here: a metric keeps only a weak reference to what it reads ({@link CacheCounts#of}). */
    private final CacheCounts liveTokenCounts;

    /**
     * @param liveTokens tokens kept in memory, about 200 bytes each ({@code rookery.oauth.token.cache.size};
     *                   0: every request reads its token from the store)
     */
    public OAuthService(KeyValueStore store, IdGenerator ids, InstantSource clock, int liveTokens) {
        if (liveTokens < 0) {
            throw new IllegalArgumentException("liveTokens: " + liveTokens + " (expected: >= 0)");
        }
        this.store = requireNonNull(store, "store");
        this.ids = requireNonNull(ids, "ids");
        this.clock = requireNonNull(clock, "clock");
        // Evictions run on the caller (rare: only a miss adds an entry), so a size of 0 keeps nothing
        // even between two lookups, not just once the common pool has got round to it.
        this.liveTokens = Caffeine.newBuilder().maximumSize(liveTokens).executor(Runnable::run).recordStats().build();
        this.liveTokenCounts = CacheCounts.of(this.liveTokens);
    }

    /** Authentications answered from the live tokens in memory, and those that read the store. */
    public CacheCounts tokenCache() {
        return liveTokenCounts;
    }

    public NewApp createApp(String name, List<String> redirectUris, String scopes, @Nullable String website) {
        if (name.isBlank()) {
            throw RookeryException.invalid("client_name", "can't be blank");
        }
        if (name.length() > 200) {
            throw RookeryException.invalid("client_name", "is too long (maximum is 200 characters)");
        }
        if (redirectUris.isEmpty()) {
            throw RookeryException.invalid("redirect_uris", "can't be blank");
        }
        for (String uri : redirectUris) {
            if (!uri.equals(OOB_REDIRECT) && !isAbsoluteUri(uri)) {
                throw RookeryException.invalid("redirect_uris", "must be an absolute URI: " + uri);
            }
        }
        String normalizedScopes = normalizeScopes(scopes.isBlank() ? "read" : scopes, "scopes");
        String clientId = Secrets.random(32);
        String secret = Secrets.random(32);
        App app = new App(ids.nextId(), clientId, hex(Secrets.sha256(secret)), name, List.copyOf(redirectUris),
                normalizedScopes, website == null || website.isBlank() ? null : website, clock.millis());
        store.commit(new WriteBatch().put(Table.APPS, Bytes.utf8(clientId), RecordCodec.encode(app)));
        return new NewApp(app, secret);
    }

    private static boolean isAbsoluteUri(String uri) {
        try {
            return new URI(uri).isAbsolute();
        } catch (Exception e) {
            return false;
        }
    }

    /** Space-separated known scopes, duplicates removed; fails naming {@code field} on an unknown one. */
    public static String normalizeScopes(String scopes, String field) {
        Set<String> out = new LinkedHashSet<>();
        for (String s : scopes.trim().split("[\\s+]+")) {
            if (s.isEmpty()) {
                continue;
            }
            if (!KNOWN_SCOPES.contains(s)) {
                throw RookeryException.invalid(field, "unknown scope " + s);
            }
            out.add(s);
        }
        if (out.isEmpty()) {
            out.add("read");
        }
        return String.join(" ", out);
    }

    public Optional<App> app(String clientId) {
        byte[] v = store.get(Table.APPS, Bytes.utf8(clientId));
        return v == null ? Optional.empty() : Optional.of(RecordCodec.decode(v, App.class));
    }

    /** The app if {@code clientSecret} is its secret; otherwise 401 invalid_client. */
    public App authenticateClient(@Nullable String clientId, @Nullable String clientSecret) {
        if (clientId == null || clientSecret == null) {
            throw new RookeryException(401, "invalid_client: client_id and client_secret are required", "client_id");
        }
        App app = app(clientId).orElse(null);
        if (app == null || !MessageDigest.isEqual(Bytes.utf8(app.secretHash()), Bytes.utf8(hex(Secrets.sha256(clientSecret))))) {
            throw new RookeryException(401, "invalid_client: Client authentication failed", "client_id");
        }
        return app;
    }

    /** Scopes requested within what the app registered; fails naming {@code scope}. */
    public static String grantedScopes(App app, @Nullable String requested) {
        if (requested == null || requested.isBlank()) {
            return app.scopes();
        }
        String wanted = normalizeScopes(requested, "scope");
        Set<String> allowed = Set.of(app.scopes().split(" "));
        for (String s : wanted.split(" ")) {
            boolean ok = allowed.contains(s) || (s.contains(":") && allowed.contains(s.substring(0, s.indexOf(':'))));
            if (!ok) {
                throw new RookeryException(400, "invalid_scope: the app was not registered for " + s, "scope");
            }
        }
        return wanted;
    }

    public NewToken issueToken(App app, long userId, String scopes) {
        String secret = Secrets.random(32);
        Token token = new Token(ids.nextId(), userId, app.clientId(), scopes, clock.millis());
        byte[] hash = Secrets.sha256(secret);
        store.commit(new WriteBatch().put(Table.TOKENS, hash, RecordCodec.encode(token)));
        keepLive(hash, token);
        return new NewToken(secret, token);
    }

    /**
     * Caches a token just issued and committed: its first use usually follows at once (a client signs
     * in, then reads), and without it that use reads the store, which on a memory-first route sends the
     * whole request from the event loop to the blocking-task executor. No revocation can race this:
     * revoking takes the secret, which its holder has only once the issuing call has returned.
     */
    private void keepLive(byte[] hash, Token token) {
        liveTokens.put(ByteBuffer.wrap(hash), token);
    }

    /**
     * Issues one token per user in {@code userIds} (same order) in one durable commit: for operators
     * importing accounts in bulk, where a commit per token would cost a disk sync each.
     */
    public List<NewToken> issueTokens(App app, long[] userIds, String scopes) {
        return issue(app, userIds, scopes, false);
    }

    /**
     * As {@link #issueTokens}, and in the same commit revokes the token this method issued to each
     * user for {@code app} the time before: for an import that is run again and again (a benchmark
     * re-importing its accounts before each run), whose earlier tokens nobody holds any more. Without
     * this, every run would leave a token per account in the store and in the live-token cache, whose
     * admission policy favours the old, often-used entries over the new ones, so that after a few
     * runs most requests would read their token from the store. Calls run one at a time.
     */
    public synchronized List<NewToken> reissueTokens(App app, long[] userIds, String scopes) {
        return issue(app, userIds, scopes, true);
    }

    private List<NewToken> issue(App app, long[] userIds, String scopes, boolean replace) {
        requireNonNull(app, "app");
        requireNonNull(userIds, "userIds");
        requireNonNull(scopes, "scopes");
        List<byte[]> slots = new ArrayList<>(replace ? userIds.length : 0);
        if (replace) {
            for (long userId : userIds) {
                slots.add(Bytes.key(userId, app.clientId()));
            }
        }
        List<byte @Nullable []> revoked = replace ? store.multiGet(Table.REISSUED_TOKENS, slots) : List.of();
        WriteBatch batch = new WriteBatch();
        List<NewToken> out = new ArrayList<>(userIds.length);
        long now = clock.millis();
        byte[][] hashes = new byte[userIds.length][];
        for (int i = 0; i < userIds.length; i++) {
            String secret = Secrets.random(32);
            Token token = new Token(ids.nextId(), userIds[i], app.clientId(), scopes, now);
            hashes[i] = Secrets.sha256(secret);
            batch.put(Table.TOKENS, hashes[i], RecordCodec.encode(token));
            if (replace) {
                byte[] old = revoked.get(i);
                if (old != null) {
                    batch.delete(Table.TOKENS, old);
                }
                batch.put(Table.REISSUED_TOKENS, slots.get(i), hashes[i]);
            }
            out.add(new NewToken(secret, token));
        }
        store.commit(batch);
        // After the commit: a lookup loading a revoked token holds its key's lock in the cache, so
        // dropping the key waits for it; a lookup after the drop finds nothing in the store.
        for (byte[] old : revoked) {
            if (old != null) {
                liveTokens.invalidate(ByteBuffer.wrap(old));
            }
        }
        for (int i = 0; i < hashes.length; i++) {
            keepLive(hashes[i], out.get(i).token());
        }
        return out;
    }

    /** The token record for a bearer token, if it is live. */
    public Optional<Token> authenticate(String bearer) {
        if (!plausible(bearer)) {
            return Optional.empty();
        }
        // A cached token is returned without locking; a missing one is loaded under the key's lock,
        // which revoke holds while it deletes: a token being revoked is either loaded before and
        // dropped by revoke, or looked up after and not found.
        return Optional.ofNullable(MemoryOnly.get(liveTokens, ByteBuffer.wrap(Secrets.sha256(bearer)), this::load));
    }

    /** Whether {@code bearer} could be a token at all (ours are 43 characters), before hashing it. */
    private static boolean plausible(String bearer) {
        return !bearer.isEmpty() && bearer.length() <= 200;
    }

    private @Nullable Token load(ByteBuffer hash) {
        byte[] v = store.get(Table.TOKENS, hash.array());
        return v == null ? null : RecordCodec.decode(v, Token.class);
    }

    /** Revokes {@code bearer} if it belongs to {@code app}; revoking an unknown token succeeds (RFC 7009). */
    public void revoke(App app, String bearer) {
        if (!plausible(bearer)) {
            return;
        }
        ByteBuffer hash = ByteBuffer.wrap(Secrets.sha256(bearer));
        liveTokens.asMap().compute(hash, (key, cached) -> {
            Token t = cached != null ? cached : load(key);
            if (t != null && t.clientId().equals(app.clientId())) {
                store.commit(new WriteBatch().delete(Table.TOKENS, key.array()));
                return null; // dropped before the revocation is acknowledged
            }
            return cached;
        });
    }

    public String createCode(App app, long userId, String redirectUri, String scopes,
                             @Nullable String codeChallenge, @Nullable String challengeMethod) {
        if (!app.redirectUris().contains(redirectUri)) {
            throw RookeryException.invalid("redirect_uri", "is not one the application registered");
        }
        if (codeChallenge != null) {
            String method = challengeMethod == null ? "plain" : challengeMethod;
            if (!method.equals("S256") && !method.equals("plain")) {
                throw RookeryException.invalid("code_challenge_method", "must be S256 or plain");
            }
            challengeMethod = method;
        }
        String code = Secrets.random(32);
        AuthCode record = new AuthCode(app.clientId(), userId, redirectUri, scopes, codeChallenge, challengeMethod,
                clock.millis() + CODE_LIFETIME.toMillis());
        store.commit(new WriteBatch().put(Table.AUTH_CODES, Secrets.sha256(code), RecordCodec.encode(record)));
        return code;
    }

    /** Exchanges a code (once) for a token; PKCE verified when the code carried a challenge. */
    public NewToken exchangeCode(App app, String code, @Nullable String redirectUri, @Nullable String codeVerifier) {
        byte[] key = Secrets.sha256(code);
        // Read and delete under one lock: two concurrent exchanges of a code must not both find it.
        byte[] v = codeLocks.with(StripedLocks.keyOf(code), () -> {
            byte[] found = store.get(Table.AUTH_CODES, key);
            if (found != null) {
                store.commit(new WriteBatch().delete(Table.AUTH_CODES, key)); // single use, even when the checks below fail
            }
            return found;
        });
        if (v == null) {
            throw new RookeryException(400, "invalid_grant: the authorization code is invalid or was used", "code");
        }
        AuthCode c = RecordCodec.decode(v, AuthCode.class);
        if (!c.clientId().equals(app.clientId()) || c.expiresAtMillis() < clock.millis()) {
            throw new RookeryException(400, "invalid_grant: the authorization code is invalid or expired", "code");
        }
        if (redirectUri != null && !redirectUri.equals(c.redirectUri())) {
            throw new RookeryException(400, "invalid_grant: redirect_uri does not match the authorization request", "redirect_uri");
        }
        if (c.codeChallenge() != null) {
            if (codeVerifier == null || codeVerifier.isEmpty()) {
                throw new RookeryException(400, "invalid_grant: code_verifier is required", "code_verifier");
            }
            String expected = "S256".equals(c.challengeMethod())
                    ? Base64.getUrlEncoder().withoutPadding().encodeToString(sha256Ascii(codeVerifier))
                    : codeVerifier;
            if (!MessageDigest.isEqual(Bytes.utf8(expected), Bytes.utf8(c.codeChallenge()))) {
                throw new RookeryException(400, "invalid_grant: code_verifier does not match code_challenge", "code_verifier");
            }
        }
        return issueToken(app, c.userId(), c.scopes());
    }

    private static byte[] sha256Ascii(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return sb.toString();
    }
}
