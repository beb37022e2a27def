//! Bulk seeding through `psql`, as the administrator (so row-level security does not apply to the seeding itself):
//! tenants, users sharing one Argon2id hash made with the server's parameters, and sessions whose USTs the
//! harness seals with the server's key. A million users take seconds this way, not a million API calls.

use gatehouse::crypto::keyring::Keyring;
use gatehouse::crypto::tokens;
use std::io::Write;
use std::process::{Command, Stdio};

pub struct Db {
    /// The administrator's URL for the bench database.
    pub admin_url: String,
}

impl Db {
    /// Runs SQL through psql, stopping at the first error.
    pub fn sql(&self, sql: &str) -> Result<String, String> {
        let mut child = Command::new("psql")
            .args([self.admin_url.as_str(), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        child
            .stdin
            .take()
            .ok_or("psql has no stdin")?
            .write_all(format!("SET TIME ZONE 'UTC';\n{sql}").as_bytes())
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(format!("psql failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
        }
    }

    /// Creates tenants `{prefix}{n}` for n in 1..=count (or just `prefix` when count is 0).
    pub fn tenants(&self, prefix: &str, count: u32) -> Result<(), String> {
        let slugs = if count == 0 {
            format!("SELECT '{prefix}'")
        } else {
            format!("SELECT '{prefix}' || lpad(g::text, 5, '0') FROM generate_series(1, {count}) g")
        };
        self.sql(&format!(
            "INSERT INTO tenants (slug, display_name, status, settings_version, creation_time) \
             SELECT s, s, 'active', 0, now() FROM ({slugs}) AS t(s);"
        ))
        .map(drop)
    }

    /// `per_tenant` approved users `user{n}` (display name `User {n}`, first and last names from small lists)
    /// in every tenant whose slug matches `slug_like`, all with the password hash `hash`.
    pub fn users(&self, slug_like: &str, per_tenant: u32, hash: &str) -> Result<(), String> {
        self.sql(&format!(
            "INSERT INTO users (tenant_id, user_id, username, approval_status, approval_status_mod_time, \
               approval_status_mod_by, password_hash, password_must_change, password_last_set, password_expiry, \
               sign_up_status, sign_up_time, display_name, first_name, last_name) \
             SELECT t.id, 'zusr' || left(md5(t.id::text || '-' || g::text), 26), 'user' || g, 'approved', now(), \
               'bench', '{hash}', false, now(), now() + interval '3650 days', 'final', now(), 'User ' || g, \
               (ARRAY['Ada','Alan','Barbara','Claude','Donald','Edsger','Frances','Grace','John','Ken'])[1 + g % 10], \
               (ARRAY['Smith','Jones','Brown','Taylor','Wilson','Davies','Evans','Thomas','Roberts','Walker', \
                      'Wright','Green','Hall','Wood','Clarke','Hughes','Lewis','Harris','Scott','King'])[1 + (g / 10) % 20] \
             FROM tenants t, generate_series(0, {last}) g WHERE t.slug LIKE '{slug_like}';",
            last = per_tenant - 1
        ))
        .map(drop)
    }

    /// Makes a user a super-user.
    pub fn make_super(&self, tenant: &str, username: &str) -> Result<(), String> {
        self.sql(&format!(
            "UPDATE users SET is_super_user = true WHERE username = '{username}' \
             AND tenant_id = (SELECT id FROM tenants WHERE slug = '{tenant}');"
        ))
        .map(drop)
    }

    /// One session for each of `usernames` in `tenant`, valid for a day; returns their USTs in the same order.
    pub fn sessions(&self, keyring: &Keyring, tenant: &str, usernames: &[String]) -> Result<Vec<String>, String> {
        let mut rows = String::new();
        let mut usts = Vec::with_capacity(usernames.len());
        for name in usernames {
            let ids = tokens::new_session(keyring);
            rows.push_str(&format!("{name}\t{}\t{}\n", ids.session_id, ids.secret_hash));
            usts.push(ids.ust.expose().to_owned());
        }
        let file = std::env::temp_dir().join(format!("gatehouse-bench-sessions-{}.tsv", std::process::id()));
        std::fs::write(&file, rows).map_err(|e| e.to_string())?;
        let result = self.sql(&format!(
            "CREATE TEMP TABLE seeded (username TEXT, session_id TEXT, secret_hash TEXT);\n\
             \\copy seeded FROM '{}'\n\
             INSERT INTO sessions (tenant_id, user_pk, session_id, secret_hash, creation_time, expiration_time, \
               remote_addr, user_agent, current_app) \
             SELECT u.tenant_id, u.id, s.session_id, s.secret_hash, now(), now() + interval '1 day', \
               '127.0.0.1', 'bench', 'CRM' \
             FROM seeded s JOIN users u ON u.username = s.username \
             WHERE u.tenant_id = (SELECT id FROM tenants WHERE slug = '{tenant}');",
            file.display()
        ));
        let _ = std::fs::remove_file(&file);
        result.map(|_| usts)
    }

    /// `app` of `tenant` a confidential OpenID Connect client with `secret_hash`, and `count` offline grants of
    /// its users (user0 to user999 in turn), each with one refresh token `ghrt_bench{i}` (i from 0).
    pub fn refresh_grants(&self, tenant: &str, app: &str, secret_hash: &str, count: u32) -> Result<(), String> {
        self.sql(&format!(
            "INSERT INTO oidc_clients (tenant_id, app, client_name, redirect_uris, post_logout_redirect_uris, \
               confidential, secret_hash, consent_required, creation_time, modified_time) \
             SELECT id, '{app}', '{app}', '[\"https://bench.example/cb\"]', '[]', true, '{secret_hash}', false, \
               now(), now() FROM tenants WHERE slug = '{tenant}';\n\
             INSERT INTO oidc_grants (tenant_id, user_pk, app, scope, offline, sso_session_pk, sid, auth_time, \
               auth_methods, remote_addr, user_agent, creation_time, last_used_time, expiration_time) \
             SELECT u.tenant_id, u.id, '{app}', 'openid offline_access', true, NULL, 'bench-' || g, now(), 'pwd', \
               '127.0.0.1', 'bench', now(), now(), now() + interval '30 days' \
             FROM generate_series(0, {last}) g \
             JOIN users u ON u.username = 'user' || (g % 1000) \
             WHERE u.tenant_id = (SELECT id FROM tenants WHERE slug = '{tenant}');\n\
             INSERT INTO oidc_refresh_tokens (tenant_id, grant_id, token_hash, creation_time) \
             SELECT tenant_id, id, encode(sha256(('ghrt_bench' || substr(sid, 7))::bytea), 'hex'), now() \
             FROM oidc_grants WHERE sid LIKE 'bench-%';",
            last = count.saturating_sub(1)
        ))
        .map(drop)
    }
}
