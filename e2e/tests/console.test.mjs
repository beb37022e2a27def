// The administration console as an administrator uses it, by labels and button names: an operator creates a
// tenant with its first administrator, who is invited by e-mail and runs the tenant from the pages alone (users
// created, found, edited; settings in words; the audit log as a story in their own time zone; approvals), with
// and without JavaScript. Every page is screenshot at desktop and phone width into e2e/artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, shot, linkIn } from '../harness.mjs';

let world;
before(async () => { world = await startWorld(); });
after(async () => { await world?.stop(); });

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

async function newPage(options = {}) {
  const context = await world.browser.newContext({ viewport: DESKTOP, ...options });
  return context.newPage();
}

/** Screenshots the page as it is at desktop width, then at phone width, and goes back to desktop. */
async function shots(page, name) {
  await page.setViewportSize(DESKTOP);
  await shot(page, name);
  await page.setViewportSize(PHONE);
  await shot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

async function login(page, slug, username, password) {
  await page.goto(`${world.base}/t/${slug}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

test('an operator creates a tenant whose invited administrator runs it from the pages', async () => {
  const slug = `acme${Date.now().toString(36)}`;
  const op = await newPage();
  await login(op, 'system', 'admin', 'operator passphrase 1');
  await op.getByRole('link', { name: 'Administration' }).click();
  await op.goto(`${world.base}/t/system/admin/tenants`);
  const form = op.getByRole('region', { name: 'New tenant' });
  await form.getByLabel('Slug').fill(slug);
  await form.getByLabel('Name (optional)').fill('Acme Corporation');
  await form.getByLabel('Username').fill('ada');
  await form.getByRole('textbox', { name: /^E-mail/ }).fill(`ada@${slug}.example`);
  await shots(op, 'console-tenant-new');
  await form.getByRole('button', { name: 'Create tenant' }).click();
  await op.getByText(`Done: created and invited ${slug}.`).waitFor();
  await shots(op, 'console-tenants');

  // The invitation: its link chooses the password, once.
  const mail = await world.mail(`ada@${slug}.example`, 'password-reset/complete');
  const ada = await newPage();
  await ada.goto(linkIn(mail, `/t/${slug}/password-reset/complete`));
  await ada.getByLabel('New password', { exact: true }).fill('ada passphrase 1');
  await ada.getByLabel('New password, again').fill('ada passphrase 1');
  await ada.getByRole('button', { name: 'Set the new password' }).click();
  await ada.getByText('Your password is changed.').waitFor();
  await login(ada, slug, 'ada', 'ada passphrase 1');
  await ada.getByRole('link', { name: 'Administration' }).click();
  await ada.getByText('No sign-up is waiting for approval.').waitFor();
  await shots(ada, 'console-approvals-empty');

  // Users: created, found by a part of the name, edited.
  await ada.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users' }).click();
  const create = ada.getByRole('region', { name: 'Create a user' });
  await create.getByLabel('Username').fill('grace');
  await create.getByLabel(/^Password/).fill('grace passphrase 1');
  await create.getByLabel('Display name (optional)').fill('Grace Hopper');
  await create.getByRole('button', { name: 'Create user' }).click();
  await ada.getByRole('heading', { name: 'User grace' }).waitFor();
  const names = ada.getByRole('region', { name: 'Names and e-mail' });
  await names.getByLabel('First name').fill('Grace');
  await names.getByLabel('Last name').fill('Hopper');
  await names.getByRole('button', { name: 'Save names and e-mail' }).click();
  await ada.getByText('The names and e-mail address are saved.').waitFor();
  assert.equal(await ada.getByRole('button', { name: 'Lock' }).count(), 1, 'another account can be locked');
  await shots(ada, 'console-user');
  await ada.goto(`${world.base}/t/${slug}/admin/users`);
  await ada.getByLabel('Username or name contains').fill('HOPP');
  await ada.getByLabel('Show').selectOption('10');
  await ada.getByRole('button', { name: 'Search' }).click();
  await ada.getByRole('link', { name: 'grace' }).waitFor();
  assert.equal(await ada.locator('table').getByRole('link', { name: 'ada', exact: true }).count(), 0, 'only the match is listed');
  await shots(ada, 'console-users');
  // The keyboard's first stop is the skip link; it leads to the content.
  await ada.keyboard.press('Tab');
  assert.equal(await ada.evaluate(() => document.activeElement.textContent), 'Skip to the content');
  await shot(ada, 'console-skip-link');
  await ada.keyboard.press('Enter');
  assert.equal(await ada.evaluate(() => document.activeElement.id), 'content');
  assert.equal(await ada.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');

  // Approvals: two sign-ups waiting, all selected at once, the rejection asked first, naming each.
  for (const name of ['pat', 'quin']) {
    world.cli(['user', 'create', '--tenant', slug, '--username', name, '--pending', '--email', `${name}@${slug}.example`, '--password-stdin'], `${name} passphrase 1\n`);
  }
  await ada.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Approvals' }).click();
  await ada.getByLabel('Select all 2 waiting').check();
  await shots(ada, 'console-approvals');
  await ada.getByRole('button', { name: 'Reject selected' }).click();
  await ada.getByRole('heading', { name: 'Reject 2 sign-ups?' }).waitFor();
  await ada.getByText('pat, quin cannot log in').waitFor();
  await shots(ada, 'console-approvals-confirm');
  await ada.getByRole('button', { name: 'Reject', exact: true }).click();
  await ada.getByText('Done: 2 rejected.').waitFor();
  await ada.getByText('No sign-up is waiting for approval.').waitFor();

  // One's own account: nothing the rules refuse is offered.
  await ada.goto(`${world.base}/t/${slug}/admin/users?q=ada`);
  await ada.getByRole('table').getByRole('link', { name: 'ada', exact: true }).click();
  await ada.getByText('This is your own account').waitFor();
  assert.equal(await ada.getByRole('button', { name: 'Lock' }).count(), 0);
  assert.equal(await ada.getByRole('button', { name: 'Delete user' }).count(), 0);

  // Settings in words: a switch, a number with its unit, a refused value shown back, reset to default.
  await ada.goto(`${world.base}/t/${slug}/admin/settings`);
  const sessions = ada.getByRole('region', { name: 'Sessions' });
  await sessions.getByLabel('Sessions last', { exact: true }).fill('0');
  await sessions.getByRole('button', { name: 'Save Sessions' }).click();
  await ada.getByText('It must be 1 to 525600 minutes, not 0.').first().waitFor();
  const field = ada.getByRole('region', { name: 'Sessions' }).getByLabel('Sessions last', { exact: true });
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.equal(await field.inputValue(), '0', 'what was typed stays');
  await shots(ada, 'console-settings-refused');
  await ada.goto(`${world.base}/t/${slug}/admin/settings`);
  const signup = ada.getByRole('region', { name: 'Sign-up' });
  await signup.getByLabel('Sign-ups need approval', { exact: true }).uncheck();
  await signup.getByRole('button', { name: 'Save Sign-up' }).click();
  await ada.getByText('Done: settings saved.').waitFor();
  await ada.getByRole('button', { name: 'Reset Sign-ups need approval to the default' }).waitFor();
  await shots(ada, 'console-settings');
  await ada.getByRole('button', { name: 'Reset Sign-ups need approval to the default' }).click();
  await ada.getByText('Done: reset to default.').waitFor();
  assert.equal(await ada.getByRole('region', { name: 'Sign-up' }).getByLabel('Sign-ups need approval', { exact: true }).isChecked(), true);

  // The audit log in words, in the administrator's own time zone.
  await ada.goto(`${world.base}/t/${slug}/account`);
  await ada.getByLabel('Show times in').selectOption('Asia/Tokyo');
  await ada.getByRole('button', { name: 'Save time zone' }).click();
  await ada.getByText('Your time zone is saved').waitFor();
  await ada.goto(`${world.base}/t/${slug}/admin/audit`);
  await ada.getByText('times in Asia/Tokyo').waitFor();
  await ada.getByLabel(/^Username/).fill('grace');
  await ada.getByLabel('Operation').selectOption({ label: 'Created a user' });
  await ada.getByRole('button', { name: 'Filter' }).click();
  await ada.getByRole('cell', { name: 'Created a user' }).first().waitFor();
  assert.match(await ada.locator('td[data-label="Time"]').first().innerText(), / JST$/);
  await shots(ada, 'console-audit');
  const bad = await ada.goto(`${world.base}/t/${slug}/admin/audit?from=yesterday`);
  assert.equal(bad.status(), 400);
  await ada.getByText('is not a date for “From”').waitFor();
});

test('the console works without JavaScript: a tenant created, a user locked after its question, settings saved', async () => {
  const slug = `bravo${Date.now().toString(36)}`;
  const op = await newPage({ javaScriptEnabled: false });
  await login(op, 'system', 'admin', 'operator passphrase 1');
  await op.goto(`${world.base}/t/system/admin/tenants`);
  const form = op.getByRole('region', { name: 'New tenant' });
  await form.getByLabel('Slug').fill(slug);
  await form.getByLabel('Username').fill('bo');
  await form.getByLabel('Password (optional)').fill('bo first passphrase');
  await form.getByRole('button', { name: 'Create tenant' }).click();
  await op.getByText(`Done: created ${slug}.`).waitFor();
  const refused = op.getByRole('region', { name: 'New tenant' });
  await refused.getByLabel('Slug').fill(slug);
  await refused.getByLabel('Username').fill('bo');
  await refused.getByLabel('Password (optional)').fill('bo first passphrase');
  await refused.getByRole('button', { name: 'Create tenant' }).click();
  await op.getByText('The tenant was not created').waitFor();
  assert.equal(await op.getByRole('region', { name: 'New tenant' }).getByLabel('Slug').inputValue(), slug, 'what was typed stays');
  await shots(op, 'console-tenant-refused-no-js');

  const bo = await newPage({ javaScriptEnabled: false });
  await login(bo, slug, 'bo', 'bo first passphrase');
  await bo.waitForURL('**/login/new-password**', { timeout: 5000 }).catch(async (e) => {
    throw new Error(`${e.message}: at ${bo.url()}: ${(await bo.content()).slice(0, 3000)}`);
  });
  await bo.getByLabel('New password', { exact: true }).fill('bo own passphrase 1');
  await bo.getByLabel('New password, again').fill('bo own passphrase 1');
  await bo.getByRole('button', { name: 'Change password and log in' }).click();
  await bo.goto(`${world.base}/t/${slug}/admin/users`);
  const create = bo.getByRole('region', { name: 'Create a user' });
  await create.getByLabel('Username').fill('cy');
  await create.getByLabel(/^Password/).fill('cy passphrase 1');
  await create.getByRole('button', { name: 'Create user' }).click();
  await bo.getByRole('heading', { name: 'User cy' }).waitFor();
  await bo.getByRole('button', { name: 'Lock' }).click();
  await bo.getByRole('heading', { name: 'Lock cy?' }).waitFor();
  await shots(bo, 'console-confirm-no-js');
  await bo.getByRole('button', { name: 'Lock cy' }).click();
  await bo.getByText('Done: lock.').waitFor();
  await bo.goto(`${world.base}/t/${slug}/admin/settings`);
  const login_ = bo.getByRole('region', { name: 'Login' });
  await login_.getByLabel('Failed logins before a lock', { exact: true }).fill('3');
  await login_.getByRole('button', { name: 'Save Login' }).click();
  await bo.getByText('Done: settings saved.').waitFor();
  assert.equal(await bo.getByRole('region', { name: 'Login' }).getByLabel('Failed logins before a lock', { exact: true }).inputValue(), '3');
  await shots(bo, 'console-settings-no-js');
  await bo.goto(`${world.base}/t/${slug}/admin/audit`);
  await bo.getByRole('cell', { name: 'Locked an account' }).waitFor();
  await shots(bo, 'console-audit-no-js');
});
