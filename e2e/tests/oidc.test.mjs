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
    await page.getByRole('button', { name: 'Log in' }).click();
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
    await page.waitForURL(`**/t/${slug}/login`);
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
    await second.getByRole('button', { name: 'Log in' }).click();
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
