package org.rookery.server.api;

import com.linecorp.armeria.common.HttpStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.auth.OAuthService.App;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.server.http.Call;
import org.rookery.server.http.Params;
import org.rookery.server.http.Reply;
import org.rookery.server.http.Router;

/**
 * Applications and OAuth 2: {@code POST /api/v1/apps}, the sign-in page at {@code /oauth/authorize},
 * {@code /oauth/token} (password, authorization_code with PKCE, client_credentials) and
 * {@code /oauth/revoke}.
 */
public final class OAuthApi {
    private final Services s;

    public OAuthApi(Services s) {
        this.s = s;
    }

    public void register(Router r) {
        r.post("/api/v1/apps", this::createApp);
        r.get("/api/v1/apps/verify_credentials", this::verifyApp);
        r.get("/oauth/authorize", c -> authorizePage(c, null, HttpStatus.OK));
        r.post("/oauth/authorize", this::authorize);
        r.post("/oauth/token", this::token);
        r.post("/oauth/revoke", this::revoke);
    }

    private Object createApp(Call c) {
        Params p = c.params();
        String name = p.required("client_name");
        List<String> uris = p.list("redirect_uris");
        if (uris.size() == 1 && uris.get(0).contains("\n")) {
            uris = Arrays.stream(uris.get(0).split("\n")).map(String::trim).filter(u -> !u.isEmpty()).toList();
        }
        if (uris.isEmpty() && p.has("redirect_uri")) {
            uris = List.of(p.required("redirect_uri"));
        }
        OAuthService.NewApp created = s.oauth().createApp(name, uris, p.string("scopes", "read"), p.string("website"));
        Map<String, Object> m = app(created.app());
        m.put("client_id", created.app().clientId());
        m.put("client_secret", created.clientSecret());
        m.put("client_secret_expires_at", 0);
        return m;
    }

    private static Map<String, Object> app(App a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", Renderer.id(a.id()));
        m.put("name", a.name());
        m.put("website", a.website());
        m.put("scopes", List.of(a.scopes().split(" ")));
        m.put("redirect_uri", String.join("\n", a.redirectUris()));
        m.put("redirect_uris", a.redirectUris());
        m.put("vapid_key", "");
        return m;
    }

    private Object verifyApp(Call c) {
        OAuthService.Token t = c.requireToken("read");
        App a = s.oauth().app(t.clientId()).orElseThrow(() -> RookeryException.unauthorized("The access token is invalid"));
        return app(a);
    }

    private Reply authorizePage(Call c, @Nullable String error, HttpStatus status) {
        Params p = c.params();
        String clientId = p.string("client_id", "");
        App app = s.oauth().app(clientId).orElse(null);
        if (app == null) {
            return Reply.html(HttpStatus.BAD_REQUEST, page("Unknown application",
                    "<p class=\"error\">client_id does not name an application registered here.</p>"));
        }
        String redirect = p.string("redirect_uri", app.redirectUris().get(0));
        if (!app.redirectUris().contains(redirect)) {
            return Reply.html(HttpStatus.BAD_REQUEST, page("Bad redirect",
                    "<p class=\"error\">redirect_uri is not one the application registered.</p>"));
        }
        StringBuilder hidden = new StringBuilder();
        for (String name : List.of("client_id", "redirect_uri", "scope", "state", "code_challenge",
                "code_challenge_method", "response_type")) {
            String v = name.equals("redirect_uri") ? redirect : p.string(name);
            if (v != null) {
                hidden.append("<input type=\"hidden\" name=\"").append(name).append("\" value=\"")
                        .append(Renderer.escapeHtml(v)).append("\">");
            }
        }
        String body = "<p><strong>" + Renderer.escapeHtml(app.name()) + "</strong> would like to use your account ("
                + Renderer.escapeHtml(p.string("scope", app.scopes())) + ").</p>"
                + (error == null ? "" : "<p class=\"error\">" + Renderer.escapeHtml(error) + "</p>")
                + "<form method=\"post\" action=\"/oauth/authorize\">" + hidden
                + "<label>E-mail or username <input name=\"username\" autocomplete=\"username\" required autofocus></label>"
                + "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>"
                + "<button type=\"submit\">Sign in and authorize</button></form>";
        return Reply.html(status, page("Sign in", body));
    }

    static String page(String title, String body) {
        return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>"
                + Renderer.escapeHtml(title) + " · Rookery</title><style>"
                + "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}"
                + "label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.5rem;box-sizing:border-box}"
                + "button{padding:.6rem 1rem;margin-top:.5rem}.error{color:#b00020}code{font-size:1.1rem;word-break:break-all}"
                + "</style></head><body><h1>" + Renderer.escapeHtml(title) + "</h1>" + body + "</body></html>";
    }

    private Reply authorize(Call c) {
        Params p = c.params();
        App app = s.oauth().app(p.string("client_id", "")).orElse(null);
        if (app == null) {
            return authorizePage(c, null, HttpStatus.BAD_REQUEST);
        }
        String login = p.string("username", "");
        String password = p.string("password", "");
        Account account = s.users().authenticate(login, password).orElse(null);
        if (account == null) {
            return authorizePage(c, "Invalid e-mail, username or password.", HttpStatus.UNAUTHORIZED);
        }
        if (!account.approved()) {
            return authorizePage(c, "Your account is awaiting approval.", HttpStatus.FORBIDDEN);
        }
        String redirect = p.string("redirect_uri", app.redirectUris().get(0));
        String scopes = OAuthService.grantedScopes(app, p.string("scope"));
        String code = s.oauth().createCode(app, account.id(), redirect, scopes, p.string("code_challenge"),
                p.string("code_challenge_method"));
        if (redirect.equals(OAuthService.OOB_REDIRECT)) {
            return Reply.html(HttpStatus.OK, page("Authorization code",
                    "<p>Copy this code into the application:</p><p><code id=\"code\">" + code + "</code></p>"));
        }
        String state = p.string("state");
        String location = redirect + (redirect.contains("?") ? "&" : "?") + "code=" + enc(code)
                + (state == null ? "" : "&state=" + enc(state));
        return Reply.redirect(location);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private Object token(Call c) {
        Params p = c.params();
        String grant = p.string("grant_type");
        if (grant == null) {
            throw new RookeryException(400, "invalid_request: grant_type is required", "grant_type");
        }
        String clientId = p.string("client_id");
        String clientSecret = p.string("client_secret");
        String basic = c.header("authorization");
        if (clientId == null && basic != null && basic.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] pair = new String(java.util.Base64.getDecoder().decode(basic.substring(6).trim()),
                    StandardCharsets.UTF_8).split(":", 2);
            clientId = java.net.URLDecoder.decode(pair[0], StandardCharsets.UTF_8);
            clientSecret = pair.length > 1 ? java.net.URLDecoder.decode(pair[1], StandardCharsets.UTF_8) : null;
        }
        App app;
        OAuthService.NewToken token;
        switch (grant) {
            case "client_credentials" -> {
                app = s.oauth().authenticateClient(clientId, clientSecret);
                token = s.oauth().issueToken(app, 0, OAuthService.grantedScopes(app, p.string("scope")));
            }
            case "password" -> {
                app = s.oauth().authenticateClient(clientId, clientSecret);
                String login = p.string("username");
                String password = p.string("password");
                if (login == null || password == null) {
                    throw new RookeryException(400, "invalid_request: username and password are required", "username");
                }
                Account a = s.users().authenticate(login, password).orElseThrow(() ->
                        new RookeryException(400, "invalid_grant: Invalid e-mail, username or password", "password"));
                if (!a.approved()) {
                    throw new RookeryException(403, "Your login is currently pending approval", null);
                }
                token = s.oauth().issueToken(app, a.id(), OAuthService.grantedScopes(app, p.string("scope")));
            }
            case "authorization_code" -> {
                String code = p.string("code");
                if (code == null) {
                    throw new RookeryException(400, "invalid_request: code is required", "code");
                }
                // A public client using PKCE may omit its secret.
                if (clientSecret == null && p.has("code_verifier") && clientId != null) {
                    app = s.oauth().app(clientId).orElseThrow(() ->
                            new RookeryException(401, "invalid_client: Client authentication failed", "client_id"));
                } else {
                    app = s.oauth().authenticateClient(clientId, clientSecret);
                }
                token = s.oauth().exchangeCode(app, code, p.string("redirect_uri"), p.string("code_verifier"));
            }
            default -> throw new RookeryException(400, "unsupported_grant_type: " + grant
                    + " (expected: password, authorization_code or client_credentials)", "grant_type");
        }
        if (token.token().userId() != 0) {
            s.homeTimelines().recordActivity(token.token().userId(), token.token().createdAtMillis());
        }
        return tokenEntity(token);
    }

    /** Mastodon's Token entity for a freshly issued token. */
    static Map<String, Object> tokenEntity(OAuthService.NewToken token) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("access_token", token.accessToken());
        m.put("token_type", "Bearer");
        m.put("scope", token.token().scopes());
        m.put("created_at", token.token().createdAtMillis() / 1000);
        return m;
    }

    private Object revoke(Call c) {
        Params p = c.params();
        App app = s.oauth().authenticateClient(p.string("client_id"), p.string("client_secret"));
        s.oauth().revoke(app, p.required("token"));
        return Map.of();
    }
}
