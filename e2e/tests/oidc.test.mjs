// Gatehouse as an OpenID Provider, in a real browser: a relying party written with openid-client (a plain
// node:http app on 127.0.0.1) signs a user in through a tenant's issuer on http://localhost, a different site,
// so the session cookie's SameSite rule is really exercised. Real server on PostgreSQL, real Chromium, real RP
// library; nothing is mocked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { startWorld, totp, shot } from '../harness.mjs';

let world;
before(async () => { world = await startWorld({ publicHost: 'localhost' }); });
after(async () => { await world?.stop(); });

/** A native API call; fails the test on anything but a 2xx. */
async function api(slug, method, path, { ust, body, app = 'CRM' } = {}) {
  const headers = { 'content-type': 'application/json', 'x-current-app': app };
  if (ust) headers.authorization = `Bearer ${ust}`;
  const res = await fetch(`${world.base}/api/v1/t/${slug}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function base32(bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
  return bits.match(/.{1,5}/g).map((b) => alphabet[parseInt(b.padEnd(5, '0'), 2)]).join('');
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cookie(req, name) {
  for (const part of (req.headers.cookie || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * The relying party: one web server on 127.0.0.1 hosting several applications, each under `/{app}/` with its
 * own client: `/{app}/login` starts the code flow (PKCE S256, state and nonce kept server-side behind the
 * app's own cookie), `/{app}/cb` exchanges the code, has openid-client check the ID token (signature against
 * the JWKS, issuer, audience, nonce), fetches UserInfo and shows who signed in.
 */
async function startRelyingParty() {
  const apps = new Map();
  const pending = new Map();
  const results = new Map();
  const logoutTokens = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, rp.base);
    const [, name, action] = url.pathname.split('/');
    const app = apps.get(name);
    try {
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
      } else if (!app) {
        res.writeHead(404).end('no such app');
      } else if (action === 'login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const flow = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
        const sid = randomBytes(16).toString('hex');
        pending.set(sid, flow);
        const to = oidc.buildAuthorizationUrl(app.config, {
          redirect_uri: app.redirectUri,
          scope: 'openid profile email',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: flow.state,
          nonce: flow.nonce,
        });
        res.writeHead(302, { location: to.href, 'set-cookie': `rp_${name}=${sid}; Path=/${name}; HttpOnly; SameSite=Lax` }).end();
      } else if (action === 'backchannel' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        logoutTokens.push({ app: name, token: new URLSearchParams(body).get('logout_token') });
        res.writeHead(200).end();
      } else if (action === 'bye') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>${escape(app.title)}</title>
<h1>Logged out of ${escape(app.title)}</h1><p id="state">${escape(url.searchParams.get('state') ?? '')}</p>`);
      } else if (action === 'cb') {
        const sid = cookie(req, `rp_${name}`);
        const flow = pending.get(sid);
        pending.delete(sid);
        if (!flow) throw new Error(`the callback came without this app's cookie (cookie header: ${req.headers.cookie ?? 'none'})`);
        const tokens = await oidc.authorizationCodeGrant(app.config, url, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        const userinfo = await oidc.fetchUserInfo(app.config, tokens.access_token, claims.sub);
        results.set(name, { tokens, claims, userinfo });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>${escape(app.title)}</title>
<h1>${escape(app.title)}</h1>
<p>Signed in as <strong id="who">${escape(userinfo.preferred_username)}</strong></p>
<dl><dt>E-mail</dt><dd id="email">${escape(userinfo.email ?? '')}</dd></dl>`);
      } else {
        res.writeHead(404).end('not here');
      }
    } catch (e) {
      results.set(name, { error: e });
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`relying party error: ${e.message} ${e.error ?? ''} ${e.error_description ?? ''}`);
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const rp = {
    base: `http://127.0.0.1:${server.address().port}`,
    results,
    logoutTokens,
    config: (name) => apps.get(name).config,
    /** Mounts an application at `/{name}/` with its client, found by discovery of `issuer`. */
    async mount(name, title, issuer, clientId, clientSecret) {
      const auth = clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None();
      const config = await oidc.discovery(new URL(issuer), clientId, undefined, auth, {
        execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
      });
      apps.set(name, { config, title, redirectUri: `${rp.base}/${name}/cb` });
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
  return rp;
}

test('applications sign in through OpenID Connect: a login with 2FA, single sign-on into a second one, consent', async () => {
  const slug = world.newTenant();
  const secret = base32(randomBytes(20));
  world.cli(['user', 'create', '--tenant', slug, '--username', 'olga', '--email', 'olga@example.com', '--totp-key', secret, '--password-stdin'], 'olga passphrase 1\n');
  const rp = await startRelyingParty();
  try {
    const issuer = `${world.base}/t/${slug}`;
    const discovered = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    assert.equal(discovered.issuer, issuer, 'the issuer is on the public URL');

    // Two applications of the tenant become clients: a confidential one, and a public one that asks consent.
    const boss = await api(slug, 'POST', '/login', { body: { username: 'boss', password: 'boss passphrase 1' } });
    await api(slug, 'POST', '/apps', { ust: boss.ust, body: { name: 'shop' } });
    const shop = await api(slug, 'PUT', '/apps/shop/client', {
      ust: boss.ust,
      body: { client_name: 'The Shop', redirect_uris: [`${rp.base}/shop/cb`], confidential: true, consent_required: false },
    });
    assert.equal(shop.client_id, 'shop');
    assert.ok(shop.client_secret, 'a confidential client gets its secret once');
    await api(slug, 'POST', '/apps', { ust: boss.ust, body: { name: 'wiki' } });
    const wiki = await api(slug, 'PUT', '/apps/wiki/client', {
      ust: boss.ust,
      body: { client_name: 'The Wiki', redirect_uris: [`${rp.base}/wiki/cb`], confidential: false, consent_required: true },
    });
    assert.equal(wiki.client_secret, undefined, 'a public client has no secret');
    await rp.mount('shop', 'The Shop', issuer, shop.client_id, shop.client_secret);
    await rp.mount('wiki', 'The Wiki', issuer, wiki.client_id);

    const context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const visited = [];
    const loginPages = () => visited.filter((u) => u.startsWith(`${world.base}/t/${slug}/login`));
    page.on('request', (r) => { if (r.isNavigationRequest() && r.frame() === page.mainFrame()) visited.push(r.url()); });
    // A Content-Security-Policy block (a form-action that stops the way back, say) shows here.
    const complaints = [];
    page.on('console', (m) => {
      const where = m.location().url;
      if ((m.type() === 'error' || m.type() === 'warning')) complaints.push(`${m.type()}: ${m.text()} (${where})`);
    });
    page.on('pageerror', (e) => complaints.push(`pageerror: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) complaints.push(`${r.status()} ${r.url()}`); });

    // The first application: Gatehouse's login page, naming the application, then the code, then back.
    await page.goto(`${rp.base}/shop/login`);
    await page.waitForURL(`${world.base}/t/${slug}/login?**`);
    await page.getByText('to continue to The Shop').waitFor();
    await shot(page, 'oidc-login');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'oidc-login-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByLabel('Username').fill('olga');
    await page.getByLabel('Password').fill('olga passphrase 1');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`**/t/${slug}/login/code**`);
    await shot(page, 'oidc-login-code');
    await page.getByLabel('Code').fill(totp(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${rp.base}/shop/cb?**`);
    assert.equal(await page.locator('#who').textContent(), 'olga', await page.content());
    await page.getByRole('heading', { name: 'The Shop' }).waitFor();
    const signedIn = rp.results.get('shop');
    assert.equal(signedIn.claims.iss, issuer);
    assert.equal(signedIn.claims.aud, 'shop');
    assert.equal(signedIn.userinfo.email, 'olga@example.com');
    assert.ok(new URL(page.url()).searchParams.get('iss') === issuer, 'the authorization response names its issuer');
    await shot(page, 'oidc-rp-signed-in');
    assert.ok(loginPages().length > 0, 'the first sign-in went by the login page');

    // The access token is a UST: the native API takes it.
    const me = await api(slug, 'GET', '/users/me', { ust: signedIn.tokens.access_token, app: 'shop' });
    assert.equal(me.username, 'olga');

    // The second application: no password (the gh_session cookie went along with the cross-site redirect),
    // only its consent page.
    visited.length = 0;
    await page.goto(`${rp.base}/wiki/login`);
    await page.getByRole('heading', { name: 'Allow The Wiki to use your account?' }).waitFor();
    assert.equal(await page.getByLabel('Password').count(), 0, 'no password is asked on the consent page');
    assert.deepEqual(loginPages(), [], `no login page on the way: ${visited.join(' ')}`);
    await page.getByText('See your e-mail address').waitFor();
    await shot(page, 'oidc-consent');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'oidc-consent-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${rp.base}/wiki/cb?**`);
    assert.equal(await page.locator('#who').textContent(), 'olga', await page.content());
    assert.equal(rp.results.get('wiki').claims.aud, 'wiki');
    assert.notEqual(rp.results.get('wiki').tokens.access_token, signedIn.tokens.access_token);

    // Consent is asked once: the next sign-in to the wiki goes straight through, as does the shop's.
    for (const name of ['wiki', 'shop']) {
      visited.length = 0;
      await page.goto(`${rp.base}/${name}/login`);
      await page.waitForURL(`${rp.base}/${name}/cb?**`);
      assert.equal(await page.locator('#who').textContent(), 'olga');
      assert.deepEqual(loginPages(), [], `no login page on the way: ${visited.join(' ')}`);
      assert.ok(visited.some((u) => u.startsWith(`${world.base}/t/${slug}/oidc/authorize`)), 'it went by the authorization endpoint');
    }

    assert.deepEqual(complaints, [], 'the browser reported nothing on the way');

    // Logging out of Gatehouse ends the applications' sessions: their access tokens are refused.
    await page.goto(`${world.base}/t/${slug}/account`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`**/t/${slug}/login?why=logout`);
    for (const name of ['shop', 'wiki']) {
      const after = await fetch(`${world.base}/api/v1/t/${slug}/users/me`, {
        headers: { 'x-current-app': name, authorization: `Bearer ${rp.results.get(name).tokens.access_token}` },
      });
      assert.equal(after.status, 401, `${name}'s access token after the logout`);
    }

    // A refused consent goes back to the application with access_denied and no code.
    const other = await world.browser.newContext();
    const second = await other.newPage();
    await second.goto(`${rp.base}/wiki/login`);
    await second.getByLabel('Username').fill('boss');
    await second.getByLabel('Password').fill('boss passphrase 1');
    await second.getByRole('button', { name: 'Log in', exact: true }).click();
    await second.getByRole('button', { name: 'Deny' }).click();
    await second.waitForURL(`${rp.base}/wiki/cb?**`);
    const denied = new URL(second.url()).searchParams;
    assert.equal(denied.get('error'), 'access_denied');
    assert.equal(denied.get('code'), null);
    assert.match(await second.textContent('body'), /relying party error: .*access_denied/);
    await other.close();
    await context.close();
  } finally {
    await rp.close();
  }
});

/** The claims of a JWT, read (their signature is the integration tests' to check). */
function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('an application refreshes its tokens, is listed on the account page, and logs out through Gatehouse with a back-channel notice', async () => {
  const slug = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'nina', '--email', 'nina@example.com', '--password-stdin'], 'nina passphrase 1\n');
  const rp = await startRelyingParty();
  try {
    const issuer = `${world.base}/t/${slug}`;
    const boss = await api(slug, 'POST', '/login', { body: { username: 'boss', password: 'boss passphrase 1' } });
    await api(slug, 'POST', '/apps', { ust: boss.ust, body: { name: 'notes' } });
    const notes = await api(slug, 'PUT', '/apps/notes/client', {
      ust: boss.ust,
      body: {
        client_name: 'The Notes',
        redirect_uris: [`${rp.base}/notes/cb`],
        post_logout_redirect_uris: [`${rp.base}/notes/bye`],
        backchannel_logout_uri: `${rp.base}/notes/backchannel`,
        confidential: true,
      },
    });
    assert.equal(notes.backchannel_logout_uri, `${rp.base}/notes/backchannel`);
    await rp.mount('notes', 'The Notes', issuer, notes.client_id, notes.client_secret);
    const config = rp.config('notes');
    assert.ok(config.serverMetadata().end_session_endpoint, 'discovery names the logout endpoint');

    const context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const complaints = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') complaints.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => complaints.push(`pageerror: ${e.message}`));

    await page.goto(`${rp.base}/notes/login`);
    await page.getByLabel('Username').fill('nina');
    await page.getByLabel('Password').fill('nina passphrase 1');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${rp.base}/notes/cb?**`);
    const first = rp.results.get('notes');
    assert.ok(first.tokens.refresh_token, 'a confidential client gets a refresh token');

    // The refresh: new tokens, the old access token ends, the new one works; the refresh token rotates.
    const refreshed = await oidc.refreshTokenGrant(config, first.tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, first.tokens.refresh_token);
    assert.equal(refreshed.claims().sub, first.claims.sub);
    const me = (token) => fetch(`${issuer}/oidc/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me(first.tokens.access_token)).status, 401);
    assert.equal((await me(refreshed.access_token)).status, 200);
    await assert.rejects(oidc.refreshTokenGrant(config, first.tokens.refresh_token), (e) => e.error === 'invalid_grant', 'a used refresh token is refused');
    assert.equal((await me(refreshed.access_token)).status, 401, 'and its reuse ended the family');

    // Signed in again; the account page lists the application.
    await page.goto(`${rp.base}/notes/login`);
    await page.waitForURL(`${rp.base}/notes/cb?**`);
    const second = rp.results.get('notes');
    await page.goto(`${world.base}/t/${slug}/account`);
    const apps = page.getByRole('region', { name: 'Applications you signed in to' });
    await apps.getByRole('cell', { name: 'The Notes', exact: true }).waitFor();
    await apps.getByRole('button', { name: 'End access of The Notes' }).waitFor();
    await apps.scrollIntoViewIfNeeded();
    await shot(page, 'account-applications');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'account-applications-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // The administrator sees who is signed in to the app.
    const adminContext = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const admin = await adminContext.newPage();
    await admin.goto(`${world.base}/t/${slug}/login`);
    await admin.getByLabel('Username').fill('boss');
    await admin.getByLabel('Password').fill('boss passphrase 1');
    await admin.getByRole('button', { name: 'Log in', exact: true }).click();
    await admin.waitForURL(`**/t/${slug}/**`);
    await admin.goto(`${world.base}/t/${slug}/admin/settings`);
    const section = admin.getByRole('region', { name: 'notes: OpenID Connect' });
    await section.getByRole('button', { name: 'End the grant of nina' }).waitFor();
    await section.scrollIntoViewIfNeeded();
    await shot(admin, 'admin-app-grants');
    await admin.setViewportSize({ width: 390, height: 844 });
    await section.scrollIntoViewIfNeeded();
    await shot(admin, 'admin-app-grants-phone');
    await adminContext.close();

    // RP-initiated logout with the ID token as hint: straight back to the application, with the state.
    const bye = oidc.buildEndSessionUrl(config, {
      id_token_hint: second.tokens.id_token,
      post_logout_redirect_uri: `${rp.base}/notes/bye`,
      state: 'see-you',
    });
    await page.goto(bye.href);
    await page.waitForURL(`${rp.base}/notes/bye?**`);
    assert.equal(await page.locator('#state').textContent(), 'see-you');
    await page.goto(`${world.base}/t/${slug}/account`);
    await page.waitForURL(`**/t/${slug}/login**`);
    // The back channel hears of it: a logout token naming the session the application was given.
    const sid = second.claims.sid;
    const deadline = Date.now() + 20000;
    while (!rp.logoutTokens.some((t) => claimsOf(t.token).sid === sid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const notice = rp.logoutTokens.find((t) => claimsOf(t.token).sid === sid);
    assert.ok(notice, `a logout token for sid ${sid}: ${JSON.stringify(rp.logoutTokens.map((t) => claimsOf(t.token)))}`);
    const lt = claimsOf(notice.token);
    assert.equal(lt.sub, second.claims.sub);
    assert.equal(lt.aud, 'notes');
    assert.ok(lt.events['http://schemas.openid.net/event/backchannel-logout']);

    // Without a hint, the person is asked; the answer leads back to the application (CSP form-action allows
    // its origin).
    await page.goto(`${rp.base}/notes/login`);
    await page.getByLabel('Username').fill('nina');
    await page.getByLabel('Password').fill('nina passphrase 1');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${rp.base}/notes/cb?**`);
    const ask = new URL(`${issuer}/oidc/logout`);
    ask.searchParams.set('client_id', 'notes');
    ask.searchParams.set('post_logout_redirect_uri', `${rp.base}/notes/bye`);
    ask.searchParams.set('state', 'asked');
    await page.goto(ask.href);
    await page.getByRole('heading', { name: 'Log out?' }).waitFor();
    await page.getByText('The Notes asks to end your session.').waitFor();
    await shot(page, 'oidc-logout-confirm');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'oidc-logout-confirm-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${rp.base}/notes/bye?**`);
    assert.equal(await page.locator('#state').textContent(), 'asked');
    assert.deepEqual(complaints, [], 'the browser reported nothing on the way');
    await context.close();
  } finally {
    await rp.close();
  }
});
