// The end user's forms in a real browser: an error keeps what was typed, marks the field it is about
// (aria-invalid, aria-describedby pointing at the message) and puts the focus there; the "Show password"
// button is an enhancement (with JavaScript) and the fields work the same without it; the sessions table names
// the browser and system in words, with readable dates; and a password changed on the account page is told by
// e-mail, naming the browser. At desktop and phone widths, with and without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, shot } from '../harness.mjs';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

let world;
before(async () => { world = await startWorld(); });
after(async () => { await world?.stop(); });

async function newPage(options = {}) {
  const context = await world.browser.newContext({ viewport: DESKTOP, ...options });
  return context.newPage();
}

/** The field labelled `label` (exactly, or a RegExp for a label with a hint). */
function fieldOf(page, label) {
  return typeof label === 'string' ? page.getByLabel(label, { exact: true }) : page.getByLabel(label);
}

/** The field's state as assistive technology reads it, and whether it has the focus. */
async function fieldState(page, label) {
  const field = fieldOf(page, label);
  return field.evaluate((el) => ({
    invalid: el.getAttribute('aria-invalid'),
    describedBy: el.getAttribute('aria-describedby'),
    focused: document.activeElement === el,
    value: el.value,
  }));
}

/** The error the field points at, by its aria-describedby. */
async function describedError(page, label) {
  const { describedBy } = await fieldState(page, label);
  assert.ok(describedBy, `${label} points at its error`);
  return (await page.locator(`#${describedBy}`).textContent()).trim();
}

for (const js of [true, false]) {
  const how = js ? 'with JavaScript' : 'without JavaScript';
  const tag = js ? 'js' : 'nojs';

  test(`errors keep what was typed and point at the field, ${how}`, async () => {
    const slug = world.newTenant();
    const page = await newPage({ javaScriptEnabled: js });

    // Sign-up: two passwords that differ. The username and address stay; the second password is marked.
    await page.goto(`${world.base}/t/${slug}/signup`);
    await page.getByLabel('Username', { exact: true }).fill('newcomer');
    await page.getByLabel(/^E-mail address/).fill('newcomer@example.com');
    await page.getByLabel('Password', { exact: true }).fill('newcomer passphrase 1');
    await page.getByLabel('Password, again').fill('newcomer passphrase 2');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('The two passwords are not the same.').waitFor();
    assert.equal((await fieldState(page, 'Username')).value, 'newcomer');
    assert.equal((await fieldState(page, /^E-mail address/)).value, 'newcomer@example.com');
    const again = await fieldState(page, 'Password, again');
    assert.deepEqual([again.invalid, again.focused], ['true', true], 'the field in error, focused');
    assert.equal(await describedError(page, 'Password, again'), 'The two passwords are not the same.');
    assert.equal((await fieldState(page, 'Username')).invalid, null, 'the others are not marked');
    await shot(page, `forms-signup-mismatch-${tag}`);
    await page.setViewportSize(PHONE);
    await shot(page, `forms-signup-mismatch-${tag}-phone`);
    await page.setViewportSize(DESKTOP);

    // A taken username marks the username, and keeps the address typed.
    await page.getByLabel('Username', { exact: true }).fill('boss');
    await page.getByLabel('Password', { exact: true }).fill('newcomer passphrase 1');
    await page.getByLabel('Password, again').fill('newcomer passphrase 1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').waitFor();
    const username = await fieldState(page, 'Username');
    assert.deepEqual([username.invalid, username.focused, username.value], ['true', true, 'boss']);
    assert.equal((await fieldState(page, /^E-mail address/)).value, 'newcomer@example.com');

    // Login: a wrong password keeps the username and puts the focus in the password field.
    await page.goto(`${world.base}/t/${slug}/login`);
    await page.getByLabel('Username', { exact: true }).fill('boss');
    await page.getByLabel('Password', { exact: true }).fill('not the passphrase');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByText('The username or password is not right.').waitFor();
    const password = await fieldState(page, 'Password');
    assert.deepEqual([password.invalid, password.focused, password.value], ['true', true, '']);
    assert.equal((await fieldState(page, 'Username')).value, 'boss');
    assert.equal(await describedError(page, 'Password'), 'The username or password is not right.');
    await shot(page, `forms-login-wrong-${tag}`);
    await page.setViewportSize(PHONE);
    await shot(page, `forms-login-wrong-${tag}-phone`);
    await page.setViewportSize(DESKTOP);

    // The account page: a wrong current password marks that field; a refused new one marks the new one.
    await page.getByLabel('Password', { exact: true }).fill('boss passphrase 1');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`**/t/${slug}/account`);
    await page.getByLabel('Current password').fill('not the passphrase');
    await page.getByLabel('New password', { exact: true }).fill('boss passphrase 2');
    await page.getByLabel('New password, again').fill('boss passphrase 2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The current password is not right.').waitFor();
    const current = await fieldState(page, 'Current password');
    assert.deepEqual([current.invalid, current.focused], ['true', true]);
    await page.getByLabel('Current password').fill('boss passphrase 1');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('New password, again').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The new password is too short.').waitFor();
    const fresh = await fieldState(page, 'New password');
    assert.deepEqual([fresh.invalid, fresh.focused], ['true', true]);
    await shot(page, `forms-account-password-refused-${tag}`);

    // The profile: a refused address stays as typed, marked; the name typed with it stays too.
    await page.getByLabel('Display name').fill('The Boss');
    // (The browser's own check would stop the form first: turned off, as a browser without it would send it.)
    await page.getByLabel(/^E-mail address/).fill('not an address');
    await fieldOf(page, /^E-mail address/).evaluate((el) => { el.form.noValidate = true; });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('That e-mail address is not valid.').waitFor();
    const email = await fieldState(page, /^E-mail address/);
    assert.deepEqual([email.invalid, email.focused, email.value], ['true', true, 'not an address']);
    assert.equal((await fieldState(page, 'Display name')).value, 'The Boss');
    await page.setViewportSize(PHONE);
    await shot(page, `forms-account-email-refused-${tag}-phone`);
    await page.context().close();
  });

  test(`the show-password button is an enhancement, ${how}`, async () => {
    const slug = world.newTenant();
    const page = await newPage({ javaScriptEnabled: js });
    await page.goto(`${world.base}/t/${slug}/login`);
    const show = page.getByRole('button', { name: 'Show password' });
    if (js) {
      assert.equal(await show.count(), 1, 'one button, by the one password field');
      await page.getByLabel('Password', { exact: true }).fill('boss passphrase 1');
      await show.click();
      assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'text');
      const hide = page.getByRole('button', { name: 'Hide password' });
      assert.equal(await hide.getAttribute('aria-pressed'), 'true');
      await shot(page, 'forms-password-shown');
      await page.setViewportSize(PHONE);
      await shot(page, 'forms-password-shown-phone');
      await page.setViewportSize(DESKTOP);
      await hide.click();
      assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'password');
      // Shown when the form is sent: the field is a password field again by then, and the login works.
      await show.click();
    } else {
      assert.equal(await show.count(), 0, 'no button without JavaScript');
      await page.getByLabel('Password', { exact: true }).fill('boss passphrase 1');
    }
    await page.getByLabel('Username', { exact: true }).fill('boss');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`**/t/${slug}/account`);
    // The account page has one button per password field with JavaScript, none without.
    const fields = await page.locator('input[type=password]').count();
    assert.ok(fields >= 3);
    assert.equal(await page.getByRole('button', { name: 'Show password' }).count(), js ? fields : 0);
    await page.context().close();
  });
}

test('sessions name the browser and system; a password change is told by e-mail, naming them', async () => {
  const slug = world.newTenant();
  world.cli(['user', 'create', '--tenant', slug, '--username', 'sam', '--email', 'sam@example.com', '--password-stdin'], 'sam passphrase 1\n');
  const page = await newPage({ userAgent: FIREFOX });
  await page.goto(`${world.base}/t/${slug}/login`);
  await page.getByLabel('Username', { exact: true }).fill('sam');
  await page.getByLabel('Password', { exact: true }).fill('sam passphrase 1');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL(`**/t/${slug}/account`);
  const sessions = page.getByRole('region', { name: 'Your sessions' });
  const row = sessions.getByRole('row').filter({ hasText: 'This session' });
  assert.equal((await row.getByRole('cell').nth(3).textContent()).trim(), 'Firefox 128 on Linux');
  // Dates in words a person reads: day, time and zone, no "T" or seconds.
  assert.match((await row.getByRole('cell').first().textContent()).trim(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  await shot(page, 'forms-account-sessions');
  await page.setViewportSize(PHONE);
  // On a phone, each cell says what it is.
  assert.equal(await row.getByRole('cell').nth(3).getAttribute('data-label'), 'Browser');
  await shot(page, 'forms-account-sessions-phone');
  await page.setViewportSize(DESKTOP);

  await page.getByLabel('Current password').fill('sam passphrase 1');
  await page.getByLabel('New password', { exact: true }).fill('sam passphrase 2');
  await page.getByLabel('New password, again').fill('sam passphrase 2');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Your password is changed').waitFor();
  const notice = await world.mail('sam@example.com', 'password for');
  assert.match(notice, /Subject: Your password for Tenant \d+ was changed/);
  assert.ok(notice.includes('from your account'), notice);
  assert.ok(notice.includes('(Firefox 128 on Linux)'), notice);
  assert.ok(notice.includes(`/t/${slug}/password-reset`), 'says what to do if it was not them');
  assert.ok(!notice.includes('sam passphrase 2'), 'no password in the notice');

  // The administrator's view of the user names the browser too.
  const admin = await newPage();
  await admin.goto(`${world.base}/t/${slug}/login`);
  await admin.getByLabel('Username', { exact: true }).fill('boss');
  await admin.getByLabel('Password', { exact: true }).fill('boss passphrase 1');
  await admin.getByRole('button', { name: 'Log in', exact: true }).click();
  await admin.waitForURL(`**/t/${slug}/account`);
  await admin.goto(`${world.base}/t/${slug}/admin/users?q=sam`);
  await admin.getByRole('link', { name: 'sam', exact: true }).click();
  await admin.getByRole('cell', { name: 'Firefox 128 on Linux' }).waitFor();
  await shot(admin, 'forms-admin-user-sessions');
  await admin.setViewportSize(PHONE);
  await shot(admin, 'forms-admin-user-sessions-phone');
  await admin.context().close();
  await page.context().close();
});
