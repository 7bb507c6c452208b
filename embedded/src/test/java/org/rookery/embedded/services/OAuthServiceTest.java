package org.rookery.embedded.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.auth.OAuthService.App;
import org.rookery.core.auth.OAuthService.NewApp;
import org.rookery.core.auth.OAuthService.NewToken;
import org.rookery.core.auth.OAuthService.Token;
import org.rookery.core.config.Settings;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.core.store.MemoryOnly;

class OAuthServiceTest {
    private static final String CALLBACK = "https://app.example/callback";

    @TempDir
    Path dir;

    private ServiceFixture f;
    private Account alice;

    @BeforeEach
    void open() {
        f = ServiceFixture.open(dir);
        alice = f.signUp("alice");
    }

    @AfterEach
    void close() {
        f.close();
    }

    private App app(String scopes) {
        return f.oauth.createApp("Test client", List.of(CALLBACK, OAuthService.OOB_REDIRECT), scopes, null).app();
    }

    private static void assertRefused(Runnable call, int status, String field) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RookeryException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.field()).isEqualTo(field);
        });
    }

    private static String s256(String verifier) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    private String code(App app, @Nullable String challenge, @Nullable String method) {
        return f.oauth.createCode(app, alice.id(), CALLBACK, app.scopes(), challenge, method);
    }

    // ---- applications -------------------------------------------------------------------------

    @Test
    void createsAnAppWhoseSecretIsShownOnceAndStoredHashed() {
        NewApp created = f.oauth.createApp("My client", List.of(CALLBACK), "read write", "https://app.example");

        App app = created.app();
        assertThat(app.name()).isEqualTo("My client");
        assertThat(app.redirectUris()).containsExactly(CALLBACK);
        assertThat(app.scopes()).isEqualTo("read write");
        assertThat(app.website()).isEqualTo("https://app.example");
        assertThat(app.clientId()).hasSize(43);
        assertThat(created.clientSecret()).hasSize(43).isNotEqualTo(app.clientId());
        assertThat(app.secretHash()).doesNotContain(created.clientSecret());
        assertThat(f.oauth.app(app.clientId())).contains(app);
        assertThat(f.oauth.authenticateClient(app.clientId(), created.clientSecret())).isEqualTo(app);
    }

    @Test
    void refusesClientsWithoutTheRightSecret() {
        NewApp created = f.oauth.createApp("My client", List.of(CALLBACK), "read", null);
        String clientId = created.app().clientId();
        NewApp other = f.oauth.createApp("Other", List.of(CALLBACK), "read", null);

        assertRefused(() -> f.oauth.authenticateClient(clientId, "wrong"), 401, "client_id");
        assertRefused(() -> f.oauth.authenticateClient(clientId, other.clientSecret()), 401, "client_id");
        assertRefused(() -> f.oauth.authenticateClient("no-such-client", created.clientSecret()), 401, "client_id");
        assertRefused(() -> f.oauth.authenticateClient(clientId, null), 401, "client_id");
        assertRefused(() -> f.oauth.authenticateClient(null, created.clientSecret()), 401, "client_id");
    }

    @Test
    void acceptsAbsoluteRedirectUrisAndOob() {
        App app = f.oauth.createApp("My client",
                List.of(CALLBACK, "myapp://oauth", OAuthService.OOB_REDIRECT, "http://localhost:8080/cb"), "read", null).app();

        assertThat(app.redirectUris()).hasSize(4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/callback", "callback", "app.example/callback", "", "https://bad host/"})
    void refusesRedirectUrisThatAreNotAbsolute(String uri) {
        assertRefused(() -> f.oauth.createApp("My client", List.of(CALLBACK, uri), "read", null), 422, "redirect_uris");
    }

    @Test
    void refusesAppsWithoutANameOrRedirectUris() {
        assertRefused(() -> f.oauth.createApp(" ", List.of(CALLBACK), "read", null), 422, "client_name");
        assertRefused(() -> f.oauth.createApp("x".repeat(201), List.of(CALLBACK), "read", null), 422, "client_name");
        assertRefused(() -> f.oauth.createApp("My client", List.of(), "read", null), 422, "redirect_uris");
    }

    @Test
    void normalizesScopesAndRefusesUnknownOnes() {
        assertThat(app("").scopes()).isEqualTo("read");
        assertThat(app("read  write read").scopes()).isEqualTo("read write");
        assertThat(app("read+write:statuses+follow").scopes()).isEqualTo("read write:statuses follow");

        assertRefused(() -> app("read delete:everything"), 422, "scopes");
        assertRefused(() -> app("READ"), 422, "scopes");
    }

    // ---- tokens -----------------------------------------------------------------------------

    @Test
    void anIssuedTokenAuthenticatesUntilRevoked() {
        App app = app("read write");

        NewToken issued = f.oauth.issueToken(app, alice.id(), "read");

        Token token = f.oauth.authenticate(issued.accessToken()).orElseThrow();
        assertThat(token).isEqualTo(issued.token());
        assertThat(token.userId()).isEqualTo(alice.id());
        assertThat(token.clientId()).isEqualTo(app.clientId());
        assertThat(token.scopes()).isEqualTo("read");

        f.oauth.revoke(app, issued.accessToken());

        assertThat(f.oauth.authenticate(issued.accessToken())).isEmpty();
        f.oauth.revoke(app, issued.accessToken()); // revoking again, or an unknown token, is fine
        f.oauth.revoke(app, "never-issued");
    }

    @Test
    void aRevocationIsInTheStoreNotOnlyInTheServiceThatMadeIt() {
        App app = app("read");
        NewToken issued = f.oauth.issueToken(app, alice.id(), "read");
        OAuthService other = new OAuthService(f.store, f.ids, f.clock, Settings.TOKEN_CACHE_SIZE.defaultValue()); // say, after a restart

        assertThat(f.oauth.authenticate(issued.accessToken())).isPresent();
        f.oauth.revoke(app, issued.accessToken());

        assertThat(other.authenticate(issued.accessToken())).isEmpty();
        assertThat(f.oauth.authenticate(issued.accessToken())).isEmpty();
    }

    @Test
    void aTokenJustIssuedIsAuthenticatedFromMemoryAndStillRevocable() {
        App app = app("read");
        NewToken one = f.oauth.issueToken(app, alice.id(), "read");
        long bob = f.signUp("bob").id();
        long carol = f.signUp("carol").id();
        List<NewToken> bulk = f.oauth.issueTokens(app, new long[] {bob, carol}, "read");

        // Its first use, on an event loop, needs no store read (a miss would throw WouldBlockException).
        try (MemoryOnly.Scope ignored = MemoryOnly.enter()) {
            assertThat(f.oauth.authenticate(one.accessToken())).map(Token::userId).contains(alice.id());
            assertThat(f.oauth.authenticate(bulk.get(0).accessToken())).map(Token::userId).contains(bob);
            assertThat(f.oauth.authenticate(bulk.get(1).accessToken())).map(Token::userId).contains(carol);
        }
        assertThat(f.oauth.tokenCache().misses()).isZero();

        f.oauth.revoke(app, bulk.get(0).accessToken());
        assertThat(f.oauth.authenticate(bulk.get(0).accessToken())).isEmpty();
        assertThat(new OAuthService(f.store, f.ids, f.clock, 10).authenticate(bulk.get(1).accessToken()))
                .map(Token::userId).contains(carol); // and in the store, as a restarted server reads it
    }

    @Test
    void aReissueRevokesTheTokenTheLastReissueGaveThatUserForThatAppAndNoOther() {
        App app = app("read");
        App otherApp = app("read");
        long bob = f.signUp("bob").id();
        NewToken signedIn = f.oauth.issueToken(app, bob, "read");
        NewToken otherAppsReissue = f.oauth.reissueTokens(otherApp, new long[] {bob}, "read").getFirst();
        List<NewToken> first = f.oauth.reissueTokens(app, new long[] {alice.id(), bob}, "read");
        assertThat(f.oauth.authenticate(first.get(1).accessToken())).map(Token::userId).contains(bob);

        List<NewToken> second = f.oauth.reissueTokens(app, new long[] {bob}, "read");

        assertThat(f.oauth.authenticate(first.get(1).accessToken())).isEmpty();
        assertThat(new OAuthService(f.store, f.ids, f.clock, 10).authenticate(first.get(1).accessToken()))
                .isEmpty(); // gone from the store too, as a restarted server reads it
        assertThat(f.oauth.authenticate(second.getFirst().accessToken())).map(Token::userId).contains(bob);
        assertThat(f.oauth.authenticate(first.get(0).accessToken())).map(Token::userId).contains(alice.id());
        assertThat(f.oauth.authenticate(signedIn.accessToken())).map(Token::userId).contains(bob);
        assertThat(f.oauth.authenticate(otherAppsReissue.accessToken())).map(Token::userId).contains(bob);
    }

    @Test
    void eachLookupIsCountedOnceAsAHitOrAMiss() {
        App app = app("read");
        NewToken issued = f.oauth.issueToken(app, alice.id(), "read");
        long hits = f.oauth.tokenCache().hits();
        long misses = f.oauth.tokenCache().misses();

        f.oauth.authenticate(issued.accessToken());
        f.oauth.authenticate("not-a-token-we-issued");

        assertThat(f.oauth.tokenCache().hits() - hits).isOne();
        assertThat(f.oauth.tokenCache().misses() - misses).isOne();
    }

    /**
     * A benchmark re-imports its accounts before every run and uses only the new tokens. Issued
     * without revoking the old ones, the new tokens lose the cache's admission contest to the old,
     * often-used ones once the cache is full, and nearly every request reads its token from the store.
     */
    @Test
    void tokensReissuedToAFullCacheAreAuthenticatedFromMemory() {
        App app = app("read");
        int users = 200;
        long[] ids = new long[users];
        for (int i = 0; i < users; i++) {
            ids[i] = 1_000 + i; // a token only names its user
        }
        OAuthService oauth = new OAuthService(f.store, f.ids, f.clock, users);
        for (int run = 0; run < 3; run++) {
            List<NewToken> tokens = oauth.reissueTokens(app, ids, "read");
            long missesBefore = oauth.tokenCache().misses();
            for (int use = 0; use < 3; use++) {
                for (NewToken t : tokens) {
                    assertThat(oauth.authenticate(t.accessToken())).isPresent();
                }
            }
            assertThat(oauth.tokenCache().misses() - missesBefore).as("misses in run %d", run).isZero();
        }
    }

    @Test
    void withoutATokenCacheEveryAuthenticationReadsTheStoreAndRevocationStillHolds() {
        App app = app("read");
        NewToken issued = f.oauth.issueToken(app, alice.id(), "read");
        OAuthService uncached = new OAuthService(f.store, f.ids, f.clock, 0);

        assertThat(uncached.authenticate(issued.accessToken())).isPresent();
        assertThat(uncached.authenticate(issued.accessToken())).isPresent();
        assertThat(uncached.tokenCache().hits()).isZero();
        uncached.revoke(app, issued.accessToken());
        assertThat(uncached.authenticate(issued.accessToken())).isEmpty();
        assertThatThrownBy(() -> new OAuthService(f.store, f.ids, f.clock, -1)).hasMessageContaining("liveTokens");
    }

    @Test
    void noAuthenticationThatStartsAfterARevocationReturnsSucceeds() throws Exception {
        App app = app("read");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                NewToken issued = f.oauth.issueToken(app, alice.id(), "read");
                java.util.concurrent.atomic.AtomicBoolean revoked = new java.util.concurrent.atomic.AtomicBoolean();
                CyclicBarrier start = new CyclicBarrier(5);
                List<Future<Integer>> readers = new ArrayList<>();
                for (int r = 0; r < 4; r++) {
                    readers.add(pool.submit(() -> {
                        start.await();
                        int lateSuccesses = 0;
                        for (int i = 0; i < 2_000; i++) {
                            boolean after = revoked.get(); // read before the lookup starts
                            if (f.oauth.authenticate(issued.accessToken()).isPresent() && after) {
                                lateSuccesses++;
                            }
                        }
                        return lateSuccesses;
                    }));
                }
                start.await();
                f.oauth.revoke(app, issued.accessToken());
                revoked.set(true);
                for (Future<Integer> reader : readers) {
                    assertThat(reader.get(30, TimeUnit.SECONDS)).as("round %d: lookups that began after the revocation and still found the token", round).isZero();
                }
                assertThat(f.oauth.authenticate(issued.accessToken())).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void onlyTheIssuingAppRevokesAToken() {
        App app = app("read");
        App other = app("read");
        NewToken issued = f.oauth.issueToken(app, alice.id(), "read");

        f.oauth.revoke(other, issued.accessToken());

        assertThat(f.oauth.authenticate(issued.accessToken())).isPresent();
    }

    @Test
    void unknownOrMalformedBearerTokensDoNotAuthenticate() {
        App app = app("read");
        NewToken issued = f.oauth.issueToken(app, alice.id(), "read");

        assertThat(f.oauth.authenticate("")).isEmpty();
        assertThat(f.oauth.authenticate("x".repeat(201))).isEmpty();
        assertThat(f.oauth.authenticate(issued.accessToken() + "x")).isEmpty();
        assertThat(f.oauth.issueToken(app, alice.id(), "read").accessToken()).isNotEqualTo(issued.accessToken());
    }

    @Test
    void tokenScopesCoverTheirNarrowerScopesOnly() {
        Token broad = new Token(1, alice.id(), "c", "read write:statuses", 0);

        assertThat(broad.hasScope("read")).isTrue();
        assertThat(broad.hasScope("read:statuses")).isTrue();
        assertThat(broad.hasScope("write:statuses")).isTrue();
        assertThat(broad.hasScope("write")).isFalse();
        assertThat(broad.hasScope("write:follows")).isFalse();
        assertThat(broad.hasScope("follow")).isFalse();
        assertThat(broad.hasScope("readx")).isFalse();
    }

    @Test
    void grantedScopesNarrowWithinWhatTheAppRegistered() {
        App app = app("read write");

        assertThat(OAuthService.grantedScopes(app, null)).isEqualTo("read write");
        assertThat(OAuthService.grantedScopes(app, " ")).isEqualTo("read write");
        assertThat(OAuthService.grantedScopes(app, "read")).isEqualTo("read");
        assertThat(OAuthService.grantedScopes(app, "read:statuses write:favourites")).isEqualTo("read:statuses write:favourites");

        assertRefused(() -> OAuthService.grantedScopes(app, "follow"), 400, "scope");
        assertRefused(() -> OAuthService.grantedScopes(app, "read admin:read"), 400, "scope");
        assertRefused(() -> OAuthService.grantedScopes(app, "read bogus"), 422, "scope");
        assertRefused(() -> OAuthService.grantedScopes(app("read:statuses"), "read"), 400, "scope");
    }

    // ---- authorization codes ---------------------------------------------------------------------

    @Test
    void aCodeIsExchangedOnceForATokenWithItsUserAndScopes() {
        App app = app("read write");
        String code = f.oauth.createCode(app, alice.id(), CALLBACK, "read", null, null);

        NewToken token = f.oauth.exchangeCode(app, code, CALLBACK, null);

        assertThat(token.token().userId()).isEqualTo(alice.id());
        assertThat(token.token().scopes()).isEqualTo("read");
        assertThat(f.oauth.authenticate(token.accessToken())).contains(token.token());
        assertRefused(() -> f.oauth.exchangeCode(app, code, CALLBACK, null), 400, "code");
    }

    @Test
    void concurrentExchangesOfOneCodeIssueOneToken() throws Exception {
        App app = app("read");
        int threads = 8;
        for (int round = 0; round < 10; round++) {
            String code = code(app, null, null);
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            int issued = 0;
            try {
                List<Future<Boolean>> done = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    done.add(pool.submit(() -> {
                        start.await();
                        try {
                            f.oauth.exchangeCode(app, code, CALLBACK, null);
                            return true;
                        } catch (RookeryException e) {
                            return false;
                        }
                    }));
                }
                for (Future<Boolean> d : done) {
                    issued += d.get(30, TimeUnit.SECONDS) ? 1 : 0;
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(issued).as("tokens issued for one code in round %d", round).isEqualTo(1);
        }
    }

    @Test
    void aCodeIsOnlyForItsAppAndRedirectUri() {
        App app = app("read");
        App other = app("read");

        assertRefused(() -> f.oauth.exchangeCode(other, code(app, null, null), CALLBACK, null), 400, "code");
        assertRefused(() -> f.oauth.exchangeCode(app, code(app, null, null), "https://evil.example/cb", null),
                400, "redirect_uri");
        assertRefused(() -> f.oauth.exchangeCode(app, "made-up-code", CALLBACK, null), 400, "code");
        assertRefused(() -> f.oauth.createCode(app, alice.id(), "https://evil.example/cb", "read", null, null),
                422, "redirect_uri");
        // Leaving redirect_uri out of the exchange is allowed.
        assertThat(f.oauth.exchangeCode(app, code(app, null, null), null, null).token().userId()).isEqualTo(alice.id());
    }

    @Test
    void aFailedExchangeStillUsesUpTheCode() {
        App app = app("read");
        String code = code(app, null, null);

        assertRefused(() -> f.oauth.exchangeCode(app, code, "https://evil.example/cb", null), 400, "redirect_uri");

        assertRefused(() -> f.oauth.exchangeCode(app, code, CALLBACK, null), 400, "code");
    }

    @Test
    void pkceWithS256NeedsTheMatchingVerifier() throws Exception {
        App app = app("read");
        String verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        String challenge = s256(verifier);
        // RFC 7636's own example.
        assertThat(challenge).isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");

        assertThat(f.oauth.exchangeCode(app, code(app, challenge, "S256"), CALLBACK, verifier).token().userId())
                .isEqualTo(alice.id());
        assertRefused(() -> f.oauth.exchangeCode(app, code(app, challenge, "S256"), CALLBACK, verifier + "x"),
                400, "code_verifier");
        assertRefused(() -> f.oauth.exchangeCode(app, code(app, challenge, "S256"), CALLBACK, challenge),
                400, "code_verifier");
        assertRefused(() -> f.oauth.exchangeCode(app, code(app, challenge, "S256"), CALLBACK, null), 400, "code_verifier");
        assertRefused(() -> f.oauth.exchangeCode(app, code(app, challenge, "S256"), CALLBACK, ""), 400, "code_verifier");
    }

    @Test
    void pkcePlainComparesTheVerifierAsIs() {
        App app = app("read");
        String verifier = "plain-verifier-of-enough-length-0123456789";

        assertThat(f.oauth.exchangeCode(app, code(app, verifier, "plain"), CALLBACK, verifier)).isNotNull();
        // Without a method, plain is meant.
        assertThat(f.oauth.exchangeCode(app, code(app, verifier, null), CALLBACK, verifier)).isNotNull();
        assertRefused(() -> f.oauth.exchangeCode(app, code(app, verifier, "plain"), CALLBACK, verifier + "x"),
                400, "code_verifier");
        assertRefused(() -> code(app, verifier, "S512"), 422, "code_challenge_method");
    }

    @Test
    void aCodeExpiresAfterTenMinutes() {
        App app = app("read");
        String fresh = code(app, null, null);
        String stale = code(app, null, null);

        f.clock.advance(Duration.ofMinutes(9));
        assertThat(f.oauth.exchangeCode(app, fresh, CALLBACK, null).token().userId()).isEqualTo(alice.id());

        f.clock.advance(Duration.ofMinutes(2));
        assertRefused(() -> f.oauth.exchangeCode(app, stale, CALLBACK, null), 400, "code");
    }
}
