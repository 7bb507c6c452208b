// Drives a running Rookery server with masto.js, the Mastodon client library that Elk, Phanpy and
// many bots are built on: if this flow passes, an existing Mastodon app can use Rookery unchanged.
//
//   ROOKERY_URL=http://127.0.0.1:8080 node_modules/.bin/node masto-flow.mjs
//   (MASTO_LOG=info also prints every request masto.js makes)
//
// Prints one line per step; exits 1 with the failing step, what went wrong and the server's answer
// (for an HTTP error) on the first failure.
import assert from "node:assert/strict";
import { createOAuthAPIClient, createRestAPIClient, MastoHttpError } from "masto";

const url = process.env.ROOKERY_URL;
if (!url) {
  console.error("masto-flow: set ROOKERY_URL to the server's base URL, e.g. http://127.0.0.1:8080");
  process.exit(2);
}
const TIMEOUT_MS = 30_000; // per request: a hung server fails the step instead of the whole run
const log = process.env.MASTO_LOG ?? "warn"; // MASTO_LOG=info prints every request masto.js makes
const rest = (accessToken) => createRestAPIClient({ url, accessToken, timeout: TIMEOUT_MS, log });

let current = "start";
async function step(name, body) {
  current = name;
  const started = Date.now();
  const detail = await body();
  console.log(`ok   ${name}${detail ? ` — ${detail}` : ""} (${Date.now() - started} ms)`);
}

/** Every page of a masto paginator, in order (masto follows the Link header's rel="next"). */
async function allPages(paginator) {
  const pages = [];
  for await (const page of paginator) {
    pages.push(page);
    assert.ok(pages.length <= 50, "the paginator is still going after 50 pages: the Link header never ends");
  }
  return pages;
}

// A per-run suffix so the flow can run again against the same server and data.
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const password = "correct horse battery staple";

try {
  const anonymous = rest();
  const oauth = createOAuthAPIClient({ url, timeout: TIMEOUT_MS, log });
  let app;
  let appClient;
  const alice = { username: `alice_${run}`, email: `alice_${run}@example.test` };
  const bob = { username: `bob_${run}`, email: `bob_${run}@example.test` };

  await step("read the instance (v2.instance.fetch, as apps do before sign-in)", async () => {
    const instance = await anonymous.v2.instance.fetch();
    assert.ok(instance.domain, "the instance has no domain");
    assert.ok(instance.configuration?.statuses?.maxCharacters > 0, "configuration.statuses.max_characters is missing");
    return `${instance.title} at ${instance.domain}`;
  });

  await step("create an app (v1.apps.create)", async () => {
    app = await anonymous.v1.apps.create({
      clientName: "masto.js flow",
      redirectUris: "urn:ietf:wg:oauth:2.0:oob",
      scopes: "read write follow",
      website: "https://example.test/masto-flow",
    });
    assert.equal(app.name, "masto.js flow");
    assert.ok(app.clientId, "the app has no client_id");
    assert.ok(app.clientSecret, "the app has no client_secret");
    return `client_id ${app.clientId}`;
  });

  await step("get an app token (client_credentials)", async () => {
    const token = await oauth.token.create({
      grantType: "client_credentials",
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: "urn:ietf:wg:oauth:2.0:oob",
      scope: "read write follow",
    });
    assert.ok(token.accessToken, "no access_token in the token response");
    assert.equal(token.tokenType, "Bearer");
    appClient = rest(token.accessToken);
    const verified = await appClient.v1.apps.verifyCredentials();
    assert.equal(verified.name, "masto.js flow");
  });

  for (const user of [alice, bob]) {
    await step(`sign up @${user.username} (v1.accounts.create)`, async () => {
      const token = await appClient.v1.accounts.create({
        username: user.username,
        email: user.email,
        password,
        agreement: true,
        locale: "en",
      });
      assert.ok(token.accessToken, "sign-up returned no access_token");
    });
  }

  for (const [user, login] of [[alice, alice.email], [bob, bob.username]]) {
    await step(`log in @${user.username} with the password grant (as ${login === user.email ? "e-mail" : "username"})`, async () => {
      const token = await oauth.token.create({
        grantType: "password",
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        redirectUri: "urn:ietf:wg:oauth:2.0:oob",
        scope: "read write follow",
        username: login,
        password,
      });
      assert.ok(token.accessToken, "no access_token in the token response");
      user.client = rest(token.accessToken);
    });
  }

  for (const user of [alice, bob]) {
    await step(`verify_credentials for @${user.username}`, async () => {
      const me = await user.client.v1.accounts.verifyCredentials();
      assert.equal(me.username, user.username);
      assert.equal(me.acct, user.username);
      assert.ok(me.source, "a credential account carries source");
      user.id = me.id;
      return `id ${me.id}`;
    });
  }

  let post;
  await step("alice posts", async () => {
    post = await alice.client.v1.statuses.create({ status: "Hello from masto.js", visibility: "public" });
    assert.match(post.content, /Hello from masto\.js/);
    assert.equal(post.account.id, alice.id);
    assert.equal(post.visibility, "public");
    const fetched = await bob.client.v1.statuses.$select(post.id).fetch();
    assert.equal(fetched.id, post.id);
    return `status ${post.id}`;
  });

  let reply;
  await step("bob replies (in_reply_to_id)", async () => {
    reply = await bob.client.v1.statuses.create({ status: `@${alice.username} hi back`, inReplyToId: post.id });
    assert.equal(reply.inReplyToId, post.id);
    assert.equal(reply.inReplyToAccountId, alice.id);
    return `status ${reply.id}`;
  });

  await step("bob reposts alice's post (reblog)", async () => {
    const reblog = await bob.client.v1.statuses.$select(post.id).reblog();
    assert.ok(reblog.reblog, "the reblog carries the original status");
    assert.equal(reblog.reblog.id, post.id);
    assert.equal(reblog.account.id, bob.id);
    assert.equal(reblog.reblog.reblogged, true);
    const seen = await alice.client.v1.statuses.$select(post.id).fetch();
    assert.equal(seen.reblogsCount, 1);
  });

  await step("alice favourites bob's reply", async () => {
    const faved = await alice.client.v1.statuses.$select(reply.id).favourite();
    assert.equal(faved.id, reply.id);
    assert.equal(faved.favourited, true);
    assert.equal(faved.favouritesCount, 1);
  });

  await step("alice follows bob", async () => {
    const rel = await alice.client.v1.accounts.$select(bob.id).follow();
    assert.equal(rel.id, bob.id);
    assert.equal(rel.following, true);
  });

  const posted = [];
  await step("bob posts 7 more statuses", async () => {
    for (let i = 1; i <= 7; i++) {
      posted.push((await bob.client.v1.statuses.create({ status: `numbered post ${i}` })).id);
    }
  });

  await step("page bob's timeline 3 at a time through the Link header", async () => {
    const pages = await allPages(alice.client.v1.accounts.$select(bob.id).statuses.list({ limit: 3 }));
    const ids = pages.flat().map((s) => s.id);
    assert.ok(pages.every((p) => p.length <= 3), `a page is longer than limit=3: ${pages.map((p) => p.length)}`);
    // bob's timeline: 7 numbered posts, the reblog, the reply: 9 statuses, newest first.
    assert.equal(new Set(ids).size, ids.length, `a status arrived twice: ${ids}`);
    assert.equal(ids.length, 9, `expected 9 statuses, got ${ids.length}: ${ids}`);
    const sorted = [...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0));
    assert.deepEqual(ids, sorted, "the timeline is not newest first");
    assert.deepEqual(ids.slice(0, 7), [...posted].reverse(), "the 7 newest are not the numbered posts, newest first");
    assert.equal(ids[8], reply.id, "the oldest is not bob's reply");

    // The same walk one page at a time with the iterator's next().
    const it = alice.client.v1.accounts.$select(bob.id).statuses.list({ limit: 3 }).values();
    const first = await it.next();
    const second = await it.next();
    assert.deepEqual([...first.value, ...second.value].map((s) => s.id), ids.slice(0, 6));
    await it.return?.();
    return `${pages.length} pages of ${pages.map((p) => p.length).join("+")}`;
  });

  await step("context of the reply", async () => {
    const ctx = await alice.client.v1.statuses.$select(reply.id).context.fetch();
    assert.deepEqual(ctx.ancestors.map((s) => s.id), [post.id]);
    assert.deepEqual(ctx.descendants, []);
    const top = await alice.client.v1.statuses.$select(post.id).context.fetch();
    assert.deepEqual(top.descendants.map((s) => s.id), [reply.id]);
  });

  await step("relationships", async () => {
    const rels = await alice.client.v1.accounts.relationships.fetch({ id: [bob.id] });
    assert.equal(rels.length, 1);
    assert.equal(rels[0].id, bob.id);
    assert.equal(rels[0].following, true);
    const back = await bob.client.v1.accounts.relationships.fetch({ id: [alice.id] });
    assert.equal(back[0].followedBy, true);
    assert.equal(back[0].following, false);
  });

  await step("alice unfollows bob", async () => {
    const rel = await alice.client.v1.accounts.$select(bob.id).unfollow();
    assert.equal(rel.following, false);
    const [again] = await alice.client.v1.accounts.relationships.fetch({ id: [bob.id] });
    assert.equal(again.following, false);
  });

  await step("bob deletes his reply, and fetching it is then a 404", async () => {
    const deleted = await bob.client.v1.statuses.$select(reply.id).remove();
    assert.equal(deleted.id, reply.id);
    await assert.rejects(alice.client.v1.statuses.$select(reply.id).fetch(), (e) => {
      assert.ok(e instanceof MastoHttpError, `expected a MastoHttpError, got ${e}`);
      assert.equal(e.statusCode, 404);
      return true;
    });
  });

  console.log("masto-flow: all steps passed");
} catch (e) {
  console.error(`FAIL ${current}`);
  if (e instanceof MastoHttpError) {
    console.error(`  HTTP ${e.statusCode}: ${e.message}${e.description && e.description !== e.message ? ` (${e.description})` : ""}`);
    if (e.additionalProperties && Object.keys(e.additionalProperties).length > 0) {
      console.error(`  more: ${JSON.stringify(e.additionalProperties)}`);
    }
  }
  console.error(e?.stack ?? e);
  if (e?.cause && !(e instanceof MastoHttpError)) {
    console.error(`  caused by: ${e.cause?.stack ?? e.cause}`);
  }
  process.exit(1);
}
