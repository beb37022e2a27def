// The browser tests' world: a fresh PostgreSQL database (owned by the tests' ordinary role), a real SMTP server
// (aiosmtpd) writing a maildir, and the gatehouse binary serving on a free port. Each test gets its own
// tenant. Nothing here is mocked.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac, randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const binary = process.env.GATEHOUSE_BIN || join(root, 'target', 'debug', 'gatehouse');
const pgAdmin = process.env.GATEHOUSE_TEST_PG_ADMIN || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
export const artifacts = join(here, 'artifacts');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function psql(sql) {
  execFileSync('psql', [pgAdmin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function python() {
  if (process.env.GATEHOUSE_TEST_PYTHON) return process.env.GATEHOUSE_TEST_PYTHON;
  const venv = join(root, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

async function waitFor(check, what, ms = 15000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function portOpen(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

/**
 * Starts everything; returns the world the tests use. `publicHost` is the host name of `server.public_url` and
 * of `world.base` (the server listens on 127.0.0.1 either way): `localhost` makes Gatehouse a different site from
 * a relying party served on 127.0.0.1.
 */
export async function startWorld({ publicHost = '127.0.0.1' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const db = `gh_e2e_${randomBytes(6).toString('hex')}`;
  psql(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_test') THEN CREATE ROLE gatehouse_test LOGIN NOSUPERUSER; END IF; END $$;`);
  psql(`CREATE DATABASE ${db} OWNER gatehouse_test`);
  const smtpPort = await freePort();
  const maildir = join(dir, 'maildir');
  const smtp = spawn(python(), ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  await waitFor(() => portOpen(smtpPort), 'the SMTP server');
  const port = await freePort();
  const key = execFileSync(binary, ['keys', 'generate']).toString().trim();
  const env = {
    ...process.env,
    GATEHOUSE__DATABASE__URL: `postgres://gatehouse_test@127.0.0.1:5432/${db}?sslmode=disable`,
    GATEHOUSE__CRYPTO__FERNET_KEYS: key,
    GATEHOUSE__SERVER__BIND: `127.0.0.1:${port}`,
    GATEHOUSE__SERVER__METRICS_BIND: '127.0.0.1:0',
    GATEHOUSE__SERVER__PUBLIC_URL: `http://${publicHost}:${port}`,
    GATEHOUSE__HASHING__ARGON2_MEMORY_KIB: '256',
    GATEHOUSE__HASHING__ARGON2_ITERATIONS: '1',
    GATEHOUSE__MAIL__TRANSPORT: 'smtp',
    GATEHOUSE__MAIL__SMTP_HOST: '127.0.0.1',
    GATEHOUSE__MAIL__SMTP_PORT: String(smtpPort),
    GATEHOUSE__MAIL__SMTP_SECURITY: 'none',
    GATEHOUSE__MAIL__POLL_INTERVAL_SECONDS: '1',
    GATEHOUSE__LOG__LEVEL: 'warn',
    // The relying parties' back channels listen on 127.0.0.1.
    GATEHOUSE__OIDC__ALLOW_PRIVATE_NETWORK_REQUESTS: 'true',
    GATEHOUSE_BOOTSTRAP_PASSWORD: 'operator passphrase 1',
  };
  const server = spawn(binary, ['serve'], { env, cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://${publicHost}:${port}`;
  await waitFor(async () => { try { return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok; } catch { return false; } }, 'the server');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(artifacts, { recursive: true });
  let tenants = 0;
  const world = {
    base,
    browser,
    /** Runs the CLI against the test's store. */
    cli(args, input) {
      return execFileSync(binary, args, { env, cwd: dir, input: input ?? '' }).toString();
    },
    /** A fresh tenant with a super-user `boss` (password "boss passphrase 1"). */
    newTenant() {
      tenants += 1;
      const slug = `t${tenants}-${randomBytes(3).toString('hex')}`;
      this.cli(['tenant', 'create', slug, '--name', `Tenant ${tenants}`]);
      this.cli(['user', 'create', '--tenant', slug, '--username', 'boss', '--super-user', '--email', `boss@${slug}.example`, '--password-stdin'], 'boss passphrase 1\n');
      return slug;
    },
    /** Waits for a message to `to` whose text contains `needle`; returns its decoded text. */
    async mail(to, needle) {
      return waitFor(() => {
        for (const sub of ['new', 'cur']) {
          const d = join(maildir, sub);
          if (!existsSync(d)) continue;
          for (const f of readdirSync(d)) {
            const raw = readFileSync(join(d, f), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
            if (raw.includes(`To: ${to}`) && raw.includes(needle)) return raw;
          }
        }
        return null;
      }, `a message to ${to} with ${needle}`);
    },
    async stop() {
      await browser.close();
      server.kill();
      smtp.kill();
      await new Promise((r) => setTimeout(r, 200));
      try { psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`); } catch { /* best effort */ }
    },
  };
  return world;
}

/** The link with `path` in a message. */
export function linkIn(text, path) {
  const m = text.match(new RegExp(`http://[^\\s"<>]*${path.replace(/[/?]/g, (c) => `\\${c}`)}\\?token=[A-Za-z0-9_-]+`));
  if (!m) throw new Error(`no ${path} link in ${text}`);
  return m[0];
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret. */
export function totp(secret, when = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(when / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}
