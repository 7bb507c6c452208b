package org.rookery.server.api;

import com.linecorp.armeria.common.HttpStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.rookery.core.auth.OAuthService;
import org.rookery.core.error.RookeryException;
import org.rookery.core.model.Account;
import org.rookery.core.model.Page;
import org.rookery.core.model.PagedIds;
import org.rookery.core.model.Tweet;
import org.rookery.server.http.Call;
import org.rookery.server.http.Params;
import org.rookery.server.http.Reply;
import org.rookery.server.http.Router;

/** Accounts: sign-up, credentials, profiles, the user timeline, follows, blocks, mutes, requests. */
public final class AccountsApi {
    private final Services s;

    public AccountsApi(Services s) {
        this.s = s;
    }

    public void register(Router r) {
        r.post("/api/v1/accounts", this::signUp);
        r.getMemoryFirst("/api/v1/accounts/verify_credentials", this::verifyCredentials);
        r.patch("/api/v1/accounts/update_credentials", this::updateCredentials);
        r.getMemoryFirst("/api/v1/accounts/lookup", this::lookup);
        r.getMemoryFirst("/api/v1/accounts/relationships", this::relationships);
        r.getMemoryFirst("/api/v1/accounts/{id}", c -> s.renderer().account(c.baseUrl(), s.users().require(c.pathId("id"))));
        r.getMemoryFirst("/api/v1/accounts/{id}/statuses", this::statuses);
        r.getMemoryFirst("/api/v1/accounts/{id}/followers", c -> edgePage(c, s.graph().followers(target(c), Paging.page(c, 40, 80))));
        r.getMemoryFirst("/api/v1/accounts/{id}/following", c -> edgePage(c, s.graph().following(target(c), Paging.page(c, 40, 80))));
        r.post("/api/v1/accounts/{id}/follow", c -> Renderer.relationship(s.graph().follow(c.requireUser("write:follows"),
                target(c), c.params().bool("reblogs", true), c.params().bool("notify", false))));
        r.post("/api/v1/accounts/{id}/unfollow", c -> Renderer.relationship(
                s.graph().unfollow(c.requireUser("write:follows"), target(c))));
        r.post("/api/v1/accounts/{id}/block", c -> Renderer.relationship(
                s.graph().block(c.requireUser("write:blocks"), target(c))));
        r.post("/api/v1/accounts/{id}/unblock", c -> Renderer.relationship(
                s.graph().unblock(c.requireUser("write:blocks"), target(c))));
        r.post("/api/v1/accounts/{id}/mute", c -> Renderer.relationship(
                s.graph().mute(c.requireUser("write:mutes"), target(c), c.params().bool("notifications", true))));
        r.post("/api/v1/accounts/{id}/unmute", c -> Renderer.relationship(
                s.graph().unmute(c.requireUser("write:mutes"), target(c))));
        r.get("/api/v1/follow_requests", c -> edgePage(c,
                s.graph().pendingRequests(c.requireUser("read:follows"), Paging.page(c, 40, 80))));
        r.post("/api/v1/follow_requests/{id}/authorize", c -> Renderer.relationship(
                s.graph().authorizeRequest(c.requireUser("write:follows"), c.pathId("id"))));
        r.post("/api/v1/follow_requests/{id}/reject", c -> Renderer.relationship(
                s.graph().rejectRequest(c.requireUser("write:follows"), c.pathId("id"))));
        r.get("/api/v1/blocks", c -> edgePage(c, s.graph().blocks(c.requireUser("read:blocks"), Paging.page(c, 40, 80))));
        r.get("/api/v1/mutes", c -> edgePage(c, s.graph().mutes(c.requireUser("read:mutes"), Paging.page(c, 40, 80))));
    }

    /** The account named in the path; 404 if there is none. */
    private long target(Call c) {
        return s.users().require(c.pathId("id")).id();
    }

    private Object signUp(Call c) {
        OAuthService.Token appToken = c.requireToken("write:accounts");
        Params p = c.params();
        String username = p.required("username");
        String email = p.required("email");
        String password = p.required("password");
        if (!p.bool("agreement", false)) {
            throw RookeryException.invalid("agreement", "must be accepted");
        }
        Account a = s.users().register(username, email, password, s.registrations());
        OAuthService.App app = s.oauth().app(appToken.clientId()).orElseThrow(() ->
                RookeryException.unauthorized("The access token is invalid"));
        OAuthService.NewToken token = s.oauth().issueToken(app, a.id(), app.scopes());
        return OAuthApi.tokenEntity(token);
    }

    private Object verifyCredentials(Call c) {
        long me = c.requireUser("read:accounts");
        Account a = s.users().require(me);
        return s.renderer().credentialAccount(c.baseUrl(), a, s.graph().pendingRequests(me, Page.newest(80)).size());
    }

    private Object updateCredentials(Call c) {
        long me = c.requireUser("write:accounts");
        Params p = c.params();
        Account a = s.users().updateProfile(me, p.string("display_name"), p.string("note"), p.bool("locked"), p.bool("bot"));
        return s.renderer().credentialAccount(c.baseUrl(), a, s.graph().pendingRequests(me, Page.newest(80)).size());
    }

    private Object lookup(Call c) {
        String acct = c.params().required("acct");
        int at = acct.indexOf('@', 1);
        if (at >= 0) { // user@domain: only this server's own domain names a local account
            java.net.URI base = java.net.URI.create(c.baseUrl());
            String domain = acct.substring(at + 1);
            if (!domain.equalsIgnoreCase(base.getAuthority()) && !domain.equalsIgnoreCase(base.getHost())) {
                throw RookeryException.notFound();
            }
        }
        return s.renderer().account(c.baseUrl(), s.users().byHandle(acct).orElseThrow(RookeryException::notFound));
    }

    private Object relationships(Call c) {
        long me = c.requireUser("read:follows");
        List<Map<String, Object>> out = new ArrayList<>();
        for (String raw : c.params().list("id")) {
            long id = Params.parseId("id", raw);
            if (s.users().get(id).isPresent()) {
                out.add(Renderer.relationship(s.graph().relationship(me, id)));
            }
        }
        return out;
    }

    private Object statuses(Call c) {
        long author = target(c);
        Params p = c.params();
        if (p.bool("pinned", false) || p.bool("only_media", false)) {
            return Reply.json(List.of()); // no pinned posts or media yet: both lists are empty
        }
        List<Tweet> page = s.tweets().userTimeline(c.viewerId(), author, Paging.page(c, 20, 40),
                p.bool("exclude_replies", false), p.bool("exclude_reblogs", false));
        List<StatusJson> items = s.renderer().statuses(c.baseUrl(), c.viewerId(), page);
        return page.isEmpty() ? Reply.json(items)
                : Paging.reply(c, items, page.get(0).id(), page.get(page.size() - 1).id());
    }

    private Reply edgePage(Call c, PagedIds page) {
        List<AccountJson> items = s.renderer().accounts(c.baseUrl(), page.ids());
        if (page.isEmpty()) {
            return Reply.json(items);
        }
        return Paging.reply(c, items, page.cursors()[0], page.cursors()[page.size() - 1]);
    }

    static Reply created(Object body) {
        return Reply.json(HttpStatus.OK, body);
    }
}
