package org.rookery.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rookery.server.testing.MastodonSchema.assertValid;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rookery.server.testing.ApiClient;
import org.rookery.server.testing.ApiClient.App;
import org.rookery.server.testing.RookeryServerExtension;

/** Applications and OAuth 2: the sign-in page, every grant, PKCE, revocation, scopes. */
class OAuthApiTest {
    @RegisterExtension
    static final RookeryServerExtension server = new RookeryServerExtension();

    private static final String CALLBACK = "https://client.example/callback";

    private final ApiClient api = new ApiClient(server);

    // ---- apps -----------------------------------------------------------------------------

    @Test
    void createdAppIsACredentialApplicationWithItsRedirectsAndScopes() {
        JsonNode app = api.post("/api/v1/apps", null, Map.of("client_name", "Tusky",
                "redirect_uris", CALLBACK + "\n" + ApiClient.OOB, "scopes", "read write:statuses",
                "website", "https://tusky.example")).ok();
        assertValid("CredentialApplication", app);
        assertThat(app.get("name").asText()).isEqualTo("Tusky");
        assertThat(app.get("redirect_uris")).extracting(JsonNode::asText).containsExactly(CALLBACK, ApiClient.OOB);
        assertThat(app.get("scopes")).extracting(JsonNode::asText).containsExactly("read", "write:statuses");
        assertThat(app.get("client_id").asText()).isNotBlank();
        assertThat(app.get("client_secret").asText()).isNotBlank().isNotEqualTo(app.get("client_id").asText());
    }

    @Test
    void appAcceptsJsonBodyWithRedirectUriArray() {
        JsonNode app = api.post("/api/v1/apps", null, ApiClient.json(Map.of("client_name", "JSON app",
                "redirect_uris", List.of(CALLBACK, "https://client.example/other"), "scopes", "read"))).ok();
        assertValid("CredentialApplication", app);
        assertThat(app.get("redirect_uris")).hasSize(2);
    }

    @Test
    void appWithoutNameOrWithRelativeRedirectOrUnknownScopeIs422NamingTheField() {
        ApiClient.Response noName = api.post("/api/v1/apps", null, Map.of("redirect_uris", CALLBACK)).expect(422);
        assertValid("Error", noName.json());
        assertThat(noName.json().get("error").asText()).contains("client_name");

        ApiClient.Response relative = api.post("/api/v1/apps", null, Map.of("client_name", "x",
                "redirect_uris", "/callback")).expect(422);
        assertThat(relative.json().get("error").asText()).contains("redirect_uris");

        ApiClient.Response scope = api.post("/api/v1/apps", null, Map.of("client_name", "x",
                "redirect_uris", CALLBACK, "scopes", "read launch:missiles")).expect(422);
        assertThat(scope.json().get("error").asText()).contains("scopes").contains("launch:missiles");
    }

    @Test
    void appTokenVerifiesTheAppButIsNotAUser() {
        App app = api.createApp("read write");
        String token = api.appToken(app);
        JsonNode verified = api.get("/api/v1/apps/verify_credentials", token).ok();
        assertValid("Application", verified);
        assertThat(verified.get("name").asText()).isEqualTo(app.json().get("name").asText());
        assertThat(verified.has("client_secret")).isFalse();

        api.get("/api/v1/accounts/verify_credentials", token).expect(401);
        api.post("/api/v1/statuses", token, Map.of("status", "from an app")).expect(401);
    }

    // ---- the sign-in page -----------------------------------------------------------------

    @Test
    void authorizePageIsAnHtmlSignInFormCarryingTheRequest() {
        App app = api.createApp("read write", CALLBACK);
        ApiClient.Response page = api.get(authorizeQuery(app, CALLBACK, "xyz-state", null)).expect(200);
        assertThat(page.header("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.body())
                .contains("<form method=\"post\" action=\"/oauth/authorize\">")
                .contains("name=\"username\"")
                .contains("name=\"password\" type=\"password\"")
                .contains("name=\"client_id\" value=\"" + app.clientId() + "\"")
                .contains("name=\"state\" value=\"xyz-state\"")
                .contains("name=\"redirect_uri\" value=\"" + CALLBACK + "\"")
                .contains(app.json().get("name").asText());
    }

    @Test
    void authorizePageRejectsUnknownClientAndUnregisteredRedirect() {
        ApiClient.Response unknown = api.get("/oauth/authorize?response_type=code&client_id=nope").expect(400);
        assertThat(unknown.body()).contains("client_id");
        App app = api.createApp("read", CALLBACK);
        ApiClient.Response bad = api.get(authorizeQuery(app, "https://evil.example/steal", null, null)).expect(400);
        assertThat(bad.body()).contains("redirect_uri").doesNotContain("<form");
    }

    @Test
    void authorizePageEscapesWhatItEchoes() {
        App app = api.createApp("read", CALLBACK);
        ApiClient.Response page = api.get(authorizeQuery(app, CALLBACK, "\"><script>alert(1)</script>", null))
                .expect(200);
        assertThat(page.body()).doesNotContain("<script>").contains("&lt;script&gt;");
    }

    @Test
    void signingInRedirectsToTheClientWithCodeAndState() {
        ApiClient.User user = api.newUser("signin");
        App app = api.createApp("read write", CALLBACK);
        ApiClient.Response r = submitSignIn(app, CALLBACK, user.username(), ApiClient.PASSWORD, "s-123", null);
        assertThat(r.status()).isEqualTo(302);
        URI location = URI.create(r.header("location").orElseThrow());
        assertThat(location.getScheme() + "://" + location.getAuthority() + location.getPath()).isEqualTo(CALLBACK);
        Map<String, String> query = query(location);
        assertThat(query).containsEntry("state", "s-123").containsKey("code");

        JsonNode token = exchange(app, query.get("code"), CALLBACK, null).ok();
        assertValid("Token", token);
        JsonNode me = api.get("/api/v1/accounts/verify_credentials", token.get("access_token").asText()).ok();
        assertThat(me.get("id").asText()).isEqualTo(user.id());
    }

    @Test
    void signingInWithTheEmailAlsoWorks() {
        ApiClient.User user = api.newUser("byemail");
        App app = api.createApp("read", CALLBACK);
        ApiClient.Response r = submitSignIn(app, CALLBACK, user.username() + "@example.com", ApiClient.PASSWORD,
                null, null);
        assertThat(r.status()).isEqualTo(302);
        assertThat(query(URI.create(r.header("location").orElseThrow()))).containsKey("code").doesNotContainKey("state");
    }

    @Test
    void outOfBandRedirectShowsTheCodeOnThePage() {
        ApiClient.User user = api.newUser("oob");
        App app = api.createApp("read");
        ApiClient.Response r = submitSignIn(app, ApiClient.OOB, user.username(), ApiClient.PASSWORD, null, null)
                .expect(200);
        Matcher m = Pattern.compile("<code id=\"code\">([^<]+)</code>").matcher(r.body());
        assertThat(m.find()).as("code on the page: %s", r.body()).isTrue();
        JsonNode token = exchange(app, m.group(1), ApiClient.OOB, null).ok();
        assertValid("Token", token);
    }

    @Test
    void wrongPasswordReshowsTheFormWith401AndNoCode() {
        ApiClient.User user = api.newUser("wrongpw");
        App app = api.createApp("read", CALLBACK);
        ApiClient.Response r = submitSignIn(app, CALLBACK, user.username(), "not the password", "st", null)
                .expect(401);
        assertThat(r.header("location")).isEmpty();
        assertThat(r.body()).contains("Invalid").contains("<form").contains("name=\"state\" value=\"st\"");
        ApiClient.Response unknownUser = submitSignIn(app, CALLBACK, "nobody_here", "whatever1", null, null)
                .expect(401);
        assertThat(unknownUser.body()).contains("Invalid");
    }

    // ---- PKCE -----------------------------------------------------------------------------

    @Test
    void authorizationCodeWithPkceS256IssuesATokenForTheRightVerifierOnce() throws Exception {
        ApiClient.User user = api.newUser("pkce");
        App app = api.createApp("read write", CALLBACK);
        String verifier = "a-verifier-of-at-least-43-characters-0123456789abcdef";
        String code = signInForCode(app, user, challenge(verifier));

        JsonNode token = exchangePublic(app, code, verifier).ok();
        assertValid("Token", token);
        assertThat(token.get("scope").asText()).isEqualTo("read write");

        ApiClient.Response again = exchangePublic(app, code, verifier).expect(400);
        assertValid("Error", again.json());
        assertThat(again.json().get("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void wrongPkceVerifierIsInvalidGrantAndBurnsTheCode() throws Exception {
        ApiClient.User user = api.newUser("pkcebad");
        App app = api.createApp("read", CALLBACK);
        String verifier = "the-right-verifier-of-at-least-43-characters-xxxxxxxx";
        String code = signInForCode(app, user, challenge(verifier));

        ApiClient.Response wrong = exchangePublic(app, code, "the-wrong-verifier-of-at-least-43-characters-yyyyyy")
                .expect(400);
        assertThat(wrong.json().get("error").asText()).isEqualTo("invalid_grant");
        ApiClient.Response missing = exchange(app, signInForCode(app, user, challenge(verifier)), CALLBACK, null)
                .expect(400);
        assertThat(missing.json().get("error").asText()).isEqualTo("invalid_grant");
        // A code is single use even when its first exchange failed.
        assertThat(exchangePublic(app, code, verifier).expect(400).json().get("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void codeIsBoundToItsClientAndRedirect() {
        ApiClient.User user = api.newUser("bound");
        App app = api.createApp("read", CALLBACK, "https://client.example/second");
        App other = api.createApp("read", CALLBACK);
        String code = signInForCode(app, user, null);
        assertThat(exchange(other, code, CALLBACK, null).expect(400).json().get("error").asText())
                .isEqualTo("invalid_grant");

        String code2 = signInForCode(app, user, null);
        assertThat(exchange(app, code2, "https://client.example/second", null).expect(400).json().get("error").asText())
                .isEqualTo("invalid_grant");
    }

    // ---- token grants ---------------------------------------------------------------------

    @Test
    void passwordGrantIssuesAValidTokenWithRequestedScopes() {
        ApiClient.User user = api.newUser("pwgrant");
        App app = api.createApp("read write follow");
        JsonNode token = api.passwordGrant(app, user.username(), ApiClient.PASSWORD, "read").ok();
        assertValid("Token", token);
        assertThat(token.get("token_type").asText()).isEqualTo("Bearer");
        assertThat(token.get("scope").asText()).isEqualTo("read");
        assertThat(token.get("created_at").asLong()).isPositive();

        String readOnly = token.get("access_token").asText();
        api.get("/api/v1/accounts/verify_credentials", readOnly).expect(200);
        ApiClient.Response write = api.post("/api/v1/statuses", readOnly, Map.of("status", "not allowed")).expect(403);
        assertValid("Error", write.json());
    }

    @Test
    void passwordGrantWithBadPasswordOrClientSecretFails() {
        ApiClient.User user = api.newUser("pwbad");
        App app = api.createApp("read");
        ApiClient.Response badPassword = api.passwordGrant(app, user.username(), "nope nope nope", null).expect(400);
        assertValid("Error", badPassword.json());
        assertThat(badPassword.json().get("error").asText()).isEqualTo("invalid_grant");

        App wrongSecret = new App(app.clientId(), "not-the-secret", app.json());
        ApiClient.Response badClient = api.passwordGrant(wrongSecret, user.username(), ApiClient.PASSWORD, null)
                .expect(401);
        assertThat(badClient.json().get("error").asText()).isEqualTo("invalid_client");
    }

    @Test
    void scopeBeyondTheAppsRegistrationIsInvalidScope() {
        ApiClient.User user = api.newUser("scopes");
        App app = api.createApp("read");
        ApiClient.Response r = api.passwordGrant(app, user.username(), ApiClient.PASSWORD, "write").expect(400);
        assertThat(r.json().get("error").asText()).isEqualTo("invalid_scope");
    }

    @Test
    void clientCredentialsAcceptsHttpBasicClientAuthentication() {
        App app = api.createApp("read");
        String basic = Base64.getEncoder().encodeToString((app.clientId() + ":" + app.clientSecret())
                .getBytes(StandardCharsets.UTF_8));
        JsonNode token = api.send("POST", "/oauth/token", null,
                ApiClient.form(Map.of("grant_type", "client_credentials")), Map.of("Authorization", "Basic " + basic)).ok();
        assertValid("Token", token);
        api.get("/api/v1/apps/verify_credentials", token.get("access_token").asText()).expect(200);
    }

    @Test
    void unknownOrMissingGrantTypeIsAnOAuthError() {
        App app = api.createApp("read");
        ApiClient.Response unknown = api.post("/oauth/token", null, Map.of("grant_type", "implicit",
                "client_id", app.clientId(), "client_secret", app.clientSecret())).expect(400);
        assertThat(unknown.json().get("error").asText()).isEqualTo("unsupported_grant_type");
        ApiClient.Response missing = api.post("/oauth/token", null, Map.of("client_id", app.clientId())).expect(400);
        assertThat(missing.json().get("error").asText()).isEqualTo("invalid_request");
    }

    @Test
    void revokedTokenIsRejectedWith401() {
        ApiClient.User user = api.newUser("revoke");
        App app = api.createApp("read write");
        String token = api.passwordGrant(app, user.username(), ApiClient.PASSWORD, null).ok().get("access_token").asText();
        api.get("/api/v1/accounts/verify_credentials", token).expect(200);

        api.post("/oauth/revoke", null, Map.of("client_id", app.clientId(), "client_secret", app.clientSecret(),
                "token", token)).expect(200);

        ApiClient.Response after = api.get("/api/v1/accounts/verify_credentials", token).expect(401);
        assertValid("Error", after.json());
        // The user's other tokens still work.
        api.get("/api/v1/accounts/verify_credentials", user.token()).expect(200);
    }

    @Test
    void anotherAppCannotRevokeAToken() {
        ApiClient.User user = api.newUser("notyours");
        App app = api.createApp("read");
        App thief = api.createApp("read");
        String token = api.passwordGrant(app, user.username(), ApiClient.PASSWORD, null).ok().get("access_token").asText();
        api.post("/oauth/revoke", null, Map.of("client_id", thief.clientId(), "client_secret", thief.clientSecret(),
                "token", token)).expect(200);
        api.get("/api/v1/accounts/verify_credentials", token).expect(200);
    }

    // ---- helpers --------------------------------------------------------------------------

    private static String authorizeQuery(App app, String redirect, String state, String challenge) {
        StringBuilder sb = new StringBuilder("/oauth/authorize?response_type=code&client_id=")
                .append(enc(app.clientId())).append("&redirect_uri=").append(enc(redirect)).append("&scope=read");
        if (state != null) {
            sb.append("&state=").append(enc(state));
        }
        if (challenge != null) {
            sb.append("&code_challenge=").append(enc(challenge)).append("&code_challenge_method=S256");
        }
        return sb.toString();
    }

    private ApiClient.Response submitSignIn(App app, String redirect, String login, String password, String state,
                                            String challenge) {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("response_type", "code");
        form.put("client_id", app.clientId());
        form.put("redirect_uri", redirect);
        List<String> scopes = new ArrayList<>();
        app.json().get("scopes").forEach(sc -> scopes.add(sc.asText()));
        form.put("scope", String.join(" ", scopes));
        if (state != null) {
            form.put("state", state);
        }
        if (challenge != null) {
            form.put("code_challenge", challenge);
            form.put("code_challenge_method", "S256");
        }
        form.put("username", login);
        form.put("password", password);
        return api.post("/oauth/authorize", null, form);
    }

    private String signInForCode(App app, ApiClient.User user, String challenge) {
        ApiClient.Response r = submitSignIn(app, CALLBACK, user.username(), ApiClient.PASSWORD, null, challenge);
        assertThat(r.status()).as("sign-in: %s", r).isEqualTo(302);
        return query(URI.create(r.header("location").orElseThrow())).get("code");
    }

    private ApiClient.Response exchange(App app, String code, String redirect, String verifier) {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("client_id", app.clientId());
        form.put("client_secret", app.clientSecret());
        form.put("code", code);
        form.put("redirect_uri", redirect);
        if (verifier != null) {
            form.put("code_verifier", verifier);
        }
        return api.post("/oauth/token", null, form);
    }

    /** A public client's exchange: no secret, the PKCE verifier instead. */
    private ApiClient.Response exchangePublic(App app, String code, String verifier) {
        return api.post("/oauth/token", null, Map.of("grant_type", "authorization_code", "client_id", app.clientId(),
                "code", code, "redirect_uri", CALLBACK, "code_verifier", verifier));
    }

    private static String challenge(String verifier) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new LinkedHashMap<>();
        String q = uri.getRawQuery();
        if (q != null) {
            for (String pair : q.split("&")) {
                int eq = pair.indexOf('=');
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
