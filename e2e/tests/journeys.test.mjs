// Every journey of the web UI in a real browser (Debian's Chromium), against the real server on PostgreSQL and
// a real SMTP server. Each test works in its own tenant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, linkIn, totp, shot } from '../harness.mjs';

let world;
before(async () => { world = await startWorld(); });
after(async () => { await world?.stop(); });

async function newPage(options = {}) {
  const context = await world.browser.newContext(options);
  return context.newPage();
}

async function login(page, slug, username, password) {
  await page.goto(`${world.base}/t/${slug}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]:has-text("Log in")');
}

test('sign-up, confirmation from the e-mail, approval in the queue, login', async () => {
  const slug = world.newTenant();
  const page = await newPage();
  await page.goto(`${world.base}/t/${slug}/signup`);
  await page.fill('#username', 'newcomer');
  await page.fill('#email', 'newcomer@example.com');
  await page.fill('#password', 'newcomer passphrase 1');
  await page.fill('#password_again', 'newcomer passphrase 1');
  await page.click('button:has-text("Create account")');
  await page.waitForURL(`**/t/${slug}/signup/waiting`);
  await shot(page, 'signup-waiting');
  const mail = await world.mail('newcomer@example.com', 'signup/confirm');
  await page.goto(linkIn(mail, `/t/${slug}/signup/confirm`));
  await page.click('button:has-text("Confirm")');
  await page.getByText('An administrator will now approve your account').waitFor();
  await shot(page, 'signup-confirmed');
  // Not yet: the account waits for approval.
  await login(page, slug, 'newcomer', 'newcomer passphrase 1');
  await page.getByText('waiting for approval by an administrator').waitFor();

  const admin = await newPage();
  await login(admin, slug, 'boss', 'boss passphrase 1');
  await admin.goto(`${world.base}/t/${slug}/admin`);
  await admin.getByText('newcomer').first().waitFor();
  await shot(admin, 'admin-approvals');
  await admin.check('input[name=user_id]');
  await admin.click('button:has-text("Approve selected")');
  await admin.getByText('Done: 1 approved').waitFor();
  await world.mail('newcomer@example.com', 'has been approved');

  await login(page, slug, 'newcomer', 'newcomer passphrase 1');
  await page.waitForURL(`**/t/${slug}/account`);
  assert.equal(await page.textContent('#username'), 'newcomer');
  await shot(page, 'account');
});

test('two-factor enrolment, login with a code and with recovery codes', async () => {
  const slug = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'tina', '--password-stdin'], 'tina passphrase 1\n');
  const page = await newPage();
  await login(page, slug, 'tina', 'tina passphrase 1');
  await page.waitForURL(`**/t/${slug}/account`);
  await page.click('button:has-text("Set up two-factor authentication")');
  const secret = (await page.textContent('code.secret')).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.ok(await page.locator('.qr svg').count(), 'the QR code is shown');
  await shot(page, 'totp-enrol');
  // A wrong code keeps the key already scanned: the same secret comes back, to try the next code.
  await page.getByLabel('Code', { exact: true }).fill(totp(secret) === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await page.getByText('The key below is the same one you scanned').waitFor();
  assert.equal((await page.textContent('code.secret')).trim(), secret, 'the same key');
  await shot(page, 'totp-enrol-wrong-code');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'totp-enrol-wrong-code-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.fill('#code', totp(secret));
  await page.click('button:has-text("Turn on two-factor authentication")');
  const codes = (await page.locator('#recovery-codes li').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  await shot(page, 'totp-recovery-codes');
  await page.click('button:has-text("Log out")');
  await page.waitForURL(`**/t/${slug}/login**`);

  // The next step's code: wait for a new 30-second step, since the enrolment used the current one.
  await login(page, slug, 'tina', 'tina passphrase 1');
  await page.waitForURL(`**/login/code**`);
  await shot(page, 'login-code');
  const step = Math.floor(Date.now() / 30000);
  await new Promise((r) => setTimeout(r, (step + 1) * 30000 - Date.now() + 200));
  await page.fill('#code', totp(secret));
  await page.click('button:has-text("Continue")');
  await page.waitForURL(`**/t/${slug}/account`);
  await page.click('button:has-text("Log out")');

  for (const [code, works] of [[codes[0], true], [codes[0], false]]) {
    await login(page, slug, 'tina', 'tina passphrase 1');
    await page.waitForURL(`**/login/code**`);
    await page.fill('#code', code);
    await page.click('button:has-text("Continue")');
    if (works) {
      await page.waitForURL(`**/t/${slug}/account`);
      await page.getByText('9 recovery codes are left.').waitFor();
      await shot(page, 'account-recovery-codes-left');
      await page.click('button:has-text("Log out")');
      await page.getByText('You are logged out.').waitFor();
    } else {
      await page.getByText('That code is not right').waitFor();
    }
  }

  // With 2FA on, the account page asks for the password and a code before the factor goes or is replaced.
  await login(page, slug, 'tina', 'tina passphrase 1');
  await page.waitForURL(`**/login/code**`);
  await page.fill('#code', codes[1]);
  await page.click('button:has-text("Continue")');
  await page.waitForURL(`**/t/${slug}/account`);
  await page.getByRole('button', { name: 'Move to a new authenticator' }).waitFor();
  await shot(page, 'account-2fa-on');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'account-2fa-on-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByLabel('Password', { exact: true }).last().fill('not tina passphrase');
  await page.getByLabel('Code or recovery code').fill(codes[2]);
  await page.click('button:has-text("Turn off two-factor authentication")');
  await page.getByText('The password or the code is not right.').waitFor();
  await shot(page, 'account-2fa-off-refused');
  await page.getByLabel('Password', { exact: true }).last().fill('tina passphrase 1');
  await page.getByLabel('Code or recovery code').fill(codes[2]);
  await page.click('button:has-text("Turn off two-factor authentication")');
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).waitFor();
});

test('a forced change and an expired password are changed at login', async () => {
  const slug = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'mia', '--must-change', '--password-stdin'], 'mia passphrase 1\n');
  world.cli(['user', 'create', '--tenant', slug, '--username', 'eve', '--password-expired', '--password-stdin'], 'eve passphrase 1\n');
  for (const name of ['mia', 'eve']) {
    const page = await newPage();
    await login(page, slug, name, `${name} passphrase 1`);
    await page.waitForURL(`**/login/new-password**`);
    await page.getByText('At least 8 characters').waitFor();
    await page.fill('#new_password', 'short');
    await page.fill('#new_password_again', 'short');
    await page.click('button:has-text("Change password and log in")');
    await page.getByText('The new password is too short.').waitFor();
    await shot(page, `new-password-${name}`);
    await page.fill('#new_password', `${name} passphrase 2`);
    await page.fill('#new_password_again', `${name} passphrase 2`);
    await page.click('button:has-text("Change password and log in")');
    await page.waitForURL(`**/t/${slug}/account`);
  }
});

test('password reset from the e-mail link ends the old session', async () => {
  const slug = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'rex', '--email', 'rex@example.com', '--password-stdin'], 'rex passphrase 1\n');
  const old = await newPage();
  await login(old, slug, 'rex', 'rex passphrase 1');
  await old.waitForURL(`**/account`);
  const page = await newPage();
  await page.goto(`${world.base}/t/${slug}/password-reset`);
  await page.fill('#credential', 'rex');
  await page.click('button:has-text("Send the link")');
  await page.getByText('If we know this account').waitFor();
  const mail = await world.mail('rex@example.com', 'password-reset/complete');
  await page.goto(linkIn(mail, `/t/${slug}/password-reset/complete`));
  await page.fill('#password', 'rex passphrase 2');
  await page.fill('#password_again', 'rex passphrase 2');
  await page.click('button:has-text("Set the new password")');
  await page.getByText('Your password is changed.').waitFor();
  await shot(page, 'reset-done');
  // Opened again, the used link says so at once and leads to a new one.
  await page.goto(linkIn(mail, `/t/${slug}/password-reset/complete`));
  await page.getByText('This link was used already, has expired, or is not one we sent.').waitFor();
  await shot(page, 'reset-link-used');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'reset-link-used-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('link', { name: 'Ask for a new link' }).click();
  await page.getByRole('button', { name: 'Send the link' }).waitFor();
  await old.goto(`${world.base}/t/${slug}/account`);
  await old.waitForURL(`**/login**`);
  await login(page, slug, 'rex', 'rex passphrase 2');
  await page.waitForURL(`**/account`);
});

test('an admin locks a user; sentences follow the inform flags; admin pages and other tenants are closed', async () => {
  const slug = world.newTenant();
  const other = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'lou', '--password-stdin'], 'lou passphrase 1\n');
  const user = await newPage();
  await login(user, slug, 'lou', 'wrong password');
  await user.getByText('The username or password is not right.').waitFor();
  await shot(user, 'login-wrong-password');
  await login(user, slug, 'lou', 'lou passphrase 1');
  await user.waitForURL(`**/account`);
  // A regular user cannot open admin pages, nor another tenant's pages with this tenant's cookie.
  const denied = await user.goto(`${world.base}/t/${slug}/admin/users`);
  assert.equal(denied.status(), 403);
  await shot(user, 'admin-denied');
  await user.goto(`${world.base}/t/${other}/account`);
  await user.waitForURL(`**/t/${other}/login**`);

  const admin = await newPage();
  await login(admin, slug, 'boss', 'boss passphrase 1');
  await admin.goto(`${world.base}/t/${slug}/admin/users?q=lou`);
  await admin.getByRole('heading', { name: 'Create a user' }).waitFor();
  await shot(admin, 'admin-users');
  await admin.setViewportSize({ width: 390, height: 844 });
  await shot(admin, 'admin-users-phone');
  await admin.setViewportSize({ width: 1280, height: 900 });
  await admin.click('a:has-text("lou")');
  await shot(admin, 'admin-user');
  await admin.click('button:has-text("Lock")');
  // Locking is confirmed on a page that says what happens; nothing is locked until then.
  await admin.getByRole('heading', { name: 'Lock lou?' }).waitFor();
  await shot(admin, 'admin-confirm-lock');
  await admin.setViewportSize({ width: 390, height: 844 });
  await shot(admin, 'admin-confirm-lock-phone');
  await admin.setViewportSize({ width: 1280, height: 900 });
  await admin.getByRole('button', { name: 'Lock lou' }).click();
  await admin.getByText('Done: lock').waitFor();
  await user.goto(`${world.base}/t/${slug}/account`);
  await user.waitForURL(`**/login**`);
  await login(user, slug, 'lou', 'lou passphrase 1');
  await user.getByText('This account is locked.').waitFor();

  await admin.goto(`${world.base}/t/${slug}/admin/settings`);
  await admin.getByLabel('Say when an account is locked').uncheck();
  await admin.getByRole('button', { name: 'Save Login' }).click();
  await admin.getByText('Done: settings saved').waitFor();
  await shot(admin, 'admin-settings');
  await login(user, slug, 'lou', 'lou passphrase 1');
  await user.getByText('The username or password is not right.').waitFor();
});

test('the login journey works without JavaScript', async () => {
  const slug = world.newTenant();
  const page = await newPage({ javaScriptEnabled: false });
  await login(page, slug, 'boss', 'boss passphrase 1');
  await page.waitForURL(`**/t/${slug}/account`);
  await page.click('button:has-text("Log out")');
  await page.waitForURL(`**/t/${slug}/login**`);
  await shot(page, 'login-no-js');
});

test('headers are strict and a form without its token is refused', async () => {
  const slug = world.newTenant();
  const page = await newPage();
  const response = await page.goto(`${world.base}/t/${slug}/login`);
  const h = response.headers();
  assert.match(h['content-security-policy'], /default-src 'none'/);
  assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(h['x-frame-options'], 'DENY');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['cache-control'], 'no-store');
  const forged = await page.request.post(`${world.base}/t/${slug}/login`, { form: { username: 'boss', password: 'boss passphrase 1' } });
  assert.equal(forged.status(), 403);
  const cookies = await page.context().cookies();
  assert.ok(!cookies.some((c) => c.name === 'gh_session'), 'no session from a forged post');
  // The operators' page on system, for its picture.
  const op = await newPage();
  await login(op, 'system', 'admin', 'operator passphrase 1');
  await op.goto(`${world.base}/t/system/admin/tenants`);
  await op.getByText(slug).first().waitFor();
  await shot(op, 'operators-tenants');
});
