// Passkeys in a real browser: Chromium's virtual authenticator (DevTools protocol: ctap2, internal transport,
// resident keys, user verification) stands in for the laptop's platform authenticator. On http://localhost,
// a secure context and a domain, so WebAuthn runs as it would in production. The journey: enrol on the
// account page, log out, log in with the passkey and nothing typed, log in with the password then the
// passkey, remove it; and the pages without JavaScript, which show no passkey button at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, shot } from '../harness.mjs';

let world;
before(async () => { world = await startWorld({ publicHost: 'localhost' }); });
after(async () => { await world?.stop(); });

async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function passwordLogin(page, slug, username, password) {
  await page.goto(`${world.base}/t/${slug}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

test('a passkey: enrolled on the account page, then a login with nothing typed, a login with the password and the passkey, and its removal', async () => {
  const slug = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'erin', '--password-stdin'], 'erin passphrase 1\n');
  const context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);

  // The login page offers a passkey, under a CSP that lets only the page's own script run and fetch.
  const res = await page.goto(`${world.base}/t/${slug}/login`);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'; connect-src 'self';/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await page.getByRole('button', { name: 'Log in with a passkey' }).waitFor();
  await shot(page, 'passkey-login-desktop');

  // Enrolment on the account page.
  await passwordLogin(page, slug, 'erin', 'erin passphrase 1');
  await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
  assert.ok(await page.getByText('You have no passkeys.').isVisible());
  await page.getByLabel('Name of the new passkey').fill('This laptop');
  await page.getByLabel('Your password').fill('wrong passphrase');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('The password, the code or the passkey is not right.').waitFor();
  await page.getByLabel('Your password').fill('erin passphrase 1');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Your passkey is added.').waitFor();
  await page.getByRole('cell', { name: 'This laptop' }).waitFor();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');
  await shot(page, 'passkey-account-desktop');
  // A second passkey from the same authenticator: the first one proves the account (no TOTP here), and the
  // authenticator, which holds a credential the options exclude, declines; the page says why.
  await page.getByLabel('Name of the new passkey').fill('Second key');
  await page.getByLabel('Your password').fill('erin passphrase 1');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('This passkey is already registered for this account.').waitFor();
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(after.credentials.length, 1);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'passkey-account-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Log out; log in with the passkey, nothing typed.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in with a passkey' }).click();
  await page.waitForURL(/\/account$/);
  assert.equal(await page.locator('#username').textContent(), 'erin');
  const rows = await page.locator('#passkeys-h ~ table tbody tr').allTextContents();
  assert.equal(rows.length, 1);
  assert.ok(rows.some((r) => !/Never/.test(r)), `the last use is shown: ${rows}`);

  // The password alone no longer finishes a login: the passkey step follows.
  await page.getByRole('button', { name: 'Log out' }).click();
  await passwordLogin(page, slug, 'erin', 'erin passphrase 1');
  await page.waitForURL(/\/login\/passkey/);
  await page.getByRole('heading', { name: 'Use your passkey' }).waitFor();
  await shot(page, 'passkey-step-desktop');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'passkey-step-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.waitForURL(/\/account$/);

  // An administrator sees the passkey on erin's page; resetting 2FA offers to remove it, ticked.
  const adminContext = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await adminContext.newPage();
  await passwordLogin(admin, slug, 'boss', 'boss passphrase 1');
  await admin.waitForURL(/\/account$/);
  await admin.goto(`${world.base}/t/${slug}/admin/users?username=erin`);
  await admin.getByRole('link', { name: 'erin', exact: true }).click();
  await admin.getByRole('heading', { name: 'Passkeys' }).waitFor();
  await admin.getByRole('cell', { name: 'This laptop', exact: true }).waitFor();
  assert.ok(await admin.getByLabel("Remove the user's passkeys too").isChecked());
  await shot(admin, 'passkey-admin-user-desktop');
  await admin.setViewportSize({ width: 390, height: 844 });
  await shot(admin, 'passkey-admin-user-phone');
  await adminContext.close();

  // Removal: the password and a fresh assertion of the passkey itself.
  const remove = async (name, password) => {
    await page.locator(`summary[aria-label="Remove ${name}"]`).click();
    const form = page.locator('details[open] form');
    await form.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
    await form.getByRole('button', { name: 'Remove passkey' }).click();
  };
  await remove('This laptop', 'wrong passphrase');
  await page.getByText('The password, the code or the passkey is not right.').waitFor();
  await page.locator('details[open] summary').click().catch(() => {});
  await remove('This laptop', 'erin passphrase 1');
  await page.getByText('The passkey is removed.').waitFor();
  assert.ok(await page.getByText('You have no passkeys.').isVisible());
  await shot(page, 'passkey-removed-desktop');

  // Without it, the password logs in alone again; the authenticator's leftover passkey is refused.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in with a passkey' }).click();
  await page.getByText('No such passkey. It may have been removed from this account.').waitFor();
  await passwordLogin(page, slug, 'erin', 'erin passphrase 1');
  await page.waitForURL(/\/account$/);
  assert.deepEqual(problems.filter((p) => !/401|404|Failed to load resource/.test(p)), [], 'no script errors');
  await context.close();
});

test('without JavaScript the pages show no passkey button and work as before', async () => {
  const slug = world.newTenant();
  const context = await world.browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${world.base}/t/${slug}/login`);
  assert.equal(await page.getByRole('button', { name: 'Log in with a passkey' }).count(), 0);
  await passwordLogin(page, slug, 'boss', 'boss passphrase 1');
  await page.waitForURL(/\/account$/);
  assert.equal(await page.getByRole('button', { name: 'Add a passkey' }).count(), 0);
  // The note in <noscript> is rendered (Playwright's text queries skip noscript, so it is read directly).
  assert.match(await page.locator('#passkeys-h ~ noscript').textContent(), /Adding or using a passkey needs JavaScript/);
  await shot(page, 'passkey-account-nojs-phone');
  await context.close();
});
