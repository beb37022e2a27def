//! Importing users from a Zato installation's ODB into one tenant. Zato's Fernet-sealed values (the password
//! hash when `main.encrypt_password`, e-mails when `main.encrypt_email`, TOTP keys and labels, encrypted
//! attributes) are opened with Zato's key and sealed again with Gatehouse's keyring; `$pbkdf2-sha512$` hashes
//! are kept as they are and become Argon2id at each user's next successful login. Ids, approval and sign-up
//! state, locks, expiry, must-change and TOTP come across unchanged. A user already imported (same `user_id`
//! in the tenant) is skipped, so a second run never duplicates anything; each user goes in one transaction
//! with its attributes and an audit entry.

use super::attr::check_name;
use super::user::{
    APPROVED, BEFORE_DECISION, REJECTED, SIGNUP_BEFORE_CONFIRMATION, SIGNUP_FINAL, check_totp_key, check_username,
};
use super::{Ctx, Sso, SsoError, SsoResult, audit};
use crate::store::attrs::AttrRow;
use crate::store::users::{self, UserRow};
use crate::store::zato_odb::{self, ZatoAttr, ZatoUser};
use crate::store::{StoreError, attrs};
use chrono::NaiveDateTime;
use std::collections::HashMap;

/// The most PBKDF2 rounds an imported hash may ask for (Zato's template uses 120 000): more would let one
/// row hold a hashing worker for minutes at every login attempt.
pub const MAX_PBKDF2_ROUNDS: u32 = crate::crypto::password::MAX_PBKDF2_ROUNDS;

/// Zato's internal name for "no TOTP label", shown to users as empty.
const ZATO_DEFAULT_LABEL: &str = "<default-label>";

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: Vec<String>,
    /// Users found in the tenant already, by `user_id`.
    pub skipped: Vec<String>,
    /// `user_id username: reason`, never a secret.
    pub failed: Vec<String>,
    pub attrs: usize,
}

/// Zato's key, which opens what Zato sealed. `Debug` shows nothing of it.
pub struct ZatoKey(fernet::Fernet);

impl std::fmt::Debug for ZatoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZatoKey([redacted])")
    }
}

impl ZatoKey {
    /// `None` unless `key` is a Fernet key (Zato's `secrets.conf [secret_keys] key1`).
    pub fn new(key: &str) -> Option<ZatoKey> {
        fernet::Fernet::new(key.trim()).map(ZatoKey)
    }

    /// Opens a value the way Zato's `decrypt_func` does: a Fernet token (optionally prefixed `zato.secf.`) is
    /// decrypted, anything else was stored in clear. `Err` for a token this key does not open.
    fn open(&self, value: &str) -> Result<String, &'static str> {
        let prefixed = value.strip_prefix("zato.secf.");
        let token = prefixed.unwrap_or(value);
        if !token.starts_with("gAAA") {
            // Zato would try to decrypt a prefixed value, and fail.
            return match prefixed {
                Some(_) => Err("a value marked as sealed is not a Fernet token"),
                None => Ok(value.to_owned()),
            };
        }
        let plain = self
            .0
            .decrypt(token)
            .map_err(|_| "Zato's key does not open a sealed value")?;
        String::from_utf8(plain).map_err(|_| "a sealed value is not text")
    }
}

/// Zato's naive UTC times, as SQLAlchemy writes them (`2026-11-01 10:00:00.000000`) or PostgreSQL prints them.
fn time(value: &str) -> Result<NaiveDateTime, String> {
    let value = value.trim();
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        // Years a time can be moved from by any policy without overflowing.
        .filter(|t| (1900..=9999).contains(&chrono::Datelike::year(t)))
        .ok_or_else(|| format!("not a time between the years 1900 and 9999: {value:?}"))
}

fn optional_time(value: Option<&String>) -> Result<Option<NaiveDateTime>, String> {
    value.filter(|v| !v.trim().is_empty()).map(|v| time(v)).transpose()
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Sso {
    /// Imports every user (and user attribute) of the Zato ODB at `url` into `ctx`'s tenant.
    pub async fn import_zato(&self, ctx: &Ctx, url: &str, key: &ZatoKey) -> SsoResult<ImportReport> {
        let url = url.to_owned();
        let (zato_users, zato_attrs) = tokio::task::spawn_blocking(move || {
            let mut conn = zato_odb::open(&url)?;
            Ok::<_, StoreError>((zato_odb::users(&mut conn)?, zato_odb::user_attrs(&mut conn)?))
        })
        .await
        .map_err(|e| SsoError::Internal(e.to_string()))??;
        let mut attrs_by_user: HashMap<String, Vec<ZatoAttr>> = HashMap::new();
        for attr in zato_attrs {
            attrs_by_user.entry(attr.user_id.clone()).or_default().push(attr);
        }
        let mut report = ImportReport::default();
        for zato in zato_users {
            let attrs = attrs_by_user.remove(&zato.user_id).unwrap_or_default();
            let label = format!("{} {}", zato.user_id, zato.username);
            let prepared = match self.prepare(ctx, zato, key).await {
                Ok(row) => row,
                Err(reason) => {
                    report.failed.push(format!("{label}: {reason}"));
                    continue;
                }
            };
            let attr_rows = match prepare_attrs(ctx, &attrs, key, &self.keyring) {
                Ok(rows) => rows,
                Err(reason) => {
                    report.failed.push(format!("{label}: {reason}"));
                    continue;
                }
            };
            let (pk, audit_ctx, count) = (ctx.tenant.pk, ctx.clone(), attr_rows.len());
            let outcome = self
                .store
                .tenant_with(pk, move |conn| {
                    if users::by_user_id(conn, pk, &prepared.user_id)?.is_some() {
                        return Ok(Outcome::Skipped);
                    }
                    if users::by_username(conn, pk, &prepared.username)?.is_some() {
                        return Ok(Outcome::Failed("the username is taken by another user of the tenant"));
                    }
                    let row = users::insert(conn, &prepared)?;
                    for mut attr in attr_rows {
                        attr.user_pk = row.id;
                        attrs::insert(conn, &attr)?;
                    }
                    audit::append_ctx(conn, &audit_ctx, "user.import_zato", Some(&row.user_id), Ok(()))?;
                    Ok::<_, SsoError>(Outcome::Imported)
                })
                .await;
            match outcome {
                Ok(Outcome::Imported) => {
                    report.imported.push(label);
                    report.attrs += count;
                }
                Ok(Outcome::Skipped) => report.skipped.push(label),
                Ok(Outcome::Failed(reason)) => report.failed.push(format!("{label}: {reason}")),
                Err(SsoError::Store(e)) if e.is_unique_violation() => report
                    .failed
                    .push(format!("{label}: the user_id belongs to a user of another tenant")),
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// The Gatehouse row for a Zato user, or why it cannot be imported.
    async fn prepare(&self, ctx: &Ctx, zato: ZatoUser, key: &ZatoKey) -> Result<UserRow, String> {
        check_username(&zato.username).map_err(|code| format!("the username is not allowed here ({code})"))?;
        if !zato.user_id.starts_with("zusr") || zato.user_id.len() > 191 {
            return Err("the user_id is not a Zato user id".to_owned());
        }
        let password_hash = key.open(&zato.password)?;
        let rounds = password_hash
            .strip_prefix("$pbkdf2-sha512$")
            .and_then(|rest| rest.split('$').next())
            .and_then(|r| r.parse::<u32>().ok())
            .ok_or("the password hash is of a kind Gatehouse does not verify")?;
        if !(1..=MAX_PBKDF2_ROUNDS).contains(&rounds) {
            return Err(format!(
                "the password hash asks for {rounds} PBKDF2 rounds (at most {MAX_PBKDF2_ROUNDS})"
            ));
        }
        for (value, allowed) in [
            (&zato.approval_status, &[APPROVED, REJECTED, BEFORE_DECISION][..]),
            (&zato.sign_up_status, &[SIGNUP_FINAL, SIGNUP_BEFORE_CONFIRMATION][..]),
        ] {
            if !allowed.contains(&value.as_str()) {
                return Err(format!("unknown state {value:?}"));
            }
        }
        let email = clean(zato.email.as_deref().map(|e| key.open(e)).transpose()?);
        let totp_key = clean(zato.totp_key.as_deref().map(|k| key.open(k)).transpose()?);
        let totp_label =
            clean(zato.totp_label.as_deref().map(|l| key.open(l)).transpose()?).filter(|l| l != ZATO_DEFAULT_LABEL);
        let is_totp_enabled = zato.is_totp_enabled != 0;
        // Zato makes a key for every user, 2FA on or not; one Gatehouse could not use is dropped unless needed.
        let totp_key = match totp_key {
            Some(k) if check_totp_key(&k).is_ok() => Some(k),
            Some(_) if is_totp_enabled => return Err("the TOTP key is not a base32 key of 80 bits or more".into()),
            _ if is_totp_enabled => return Err("2FA is on but there is no TOTP key".into()),
            _ => None,
        };
        let policy = self.policy(&ctx.tenant).await.map_err(|e| e.to_string())?;
        let (email, email_hash) = self.store_email(&policy, email);
        Ok(UserRow {
            id: 0,
            tenant_id: ctx.tenant.pk,
            user_id: zato.user_id,
            username: zato.username,
            is_super_user: zato.is_super_user != 0,
            is_locked: zato.is_locked != 0,
            locked_time: optional_time(zato.locked_time.as_ref())?,
            locked_by: clean(zato.locked_by),
            locked_until: None,
            approval_status: zato.approval_status,
            approval_status_mod_time: time(&zato.approval_status_mod_time)?,
            approval_status_mod_by: zato.approval_status_mod_by,
            password_hash,
            password_must_change: zato.password_must_change != 0,
            password_last_set: time(&zato.password_last_set)?,
            password_expiry: time(&zato.password_expiry)?,
            sign_up_time: time(&zato.sign_up_time)?,
            sign_up_confirm_time: optional_time(zato.sign_up_confirm_time.as_ref())?,
            email,
            email_hash,
            display_name: clean(zato.display_name),
            first_name: clean(zato.first_name),
            middle_name: clean(zato.middle_name),
            last_name: clean(zato.last_name),
            is_totp_enabled,
            totp_key: totp_key.map(|k| self.keyring.seal(k.as_bytes())),
            totp_label: totp_label.map(|l| self.keyring.seal(l.as_bytes())),
            totp_last_step: None,
            passkey_count: 0,
            email_confirmed: zato.sign_up_status == SIGNUP_FINAL,
            sign_up_status: zato.sign_up_status,
        })
    }
}

enum Outcome {
    Imported,
    Skipped,
    Failed(&'static str),
}

/// A user's attributes as Gatehouse rows (the user's key filled in on insert). Zato stored each value as
/// JSON; an encrypted one as the JSON string of a Fernet token of the JSON.
fn prepare_attrs(
    ctx: &Ctx,
    zato: &[ZatoAttr],
    key: &ZatoKey,
    keyring: &crate::crypto::keyring::Keyring,
) -> Result<Vec<AttrRow>, String> {
    let never = time("9999-12-31 00:00:00")?;
    zato.iter()
        .map(|attr| {
            check_name(&attr.name).map_err(|_| format!("attribute name {:?} is not allowed", attr.name))?;
            let stored = attr.value.clone().unwrap_or_else(|| "null".to_owned());
            let json = if attr.is_encrypted != 0 {
                let token: String = serde_json::from_str(&stored).unwrap_or(stored);
                key.open(&token)?
            } else {
                stored
            };
            serde_json::from_str::<serde_json::Value>(&json)
                .map_err(|_| format!("attribute {:?} does not hold JSON", attr.name))?;
            let encrypted = attr.is_encrypted != 0;
            Ok(AttrRow {
                id: 0,
                tenant_id: ctx.tenant.pk,
                user_pk: 0,
                session_pk: None,
                scope: String::new(),
                name: attr.name.clone(),
                value: if encrypted { keyring.seal(json.as_bytes()) } else { json },
                is_encrypted: encrypted,
                creation_time: time(&attr.creation_time)?,
                last_modified: optional_time(attr.last_modified.as_ref())?,
                expiration_time: optional_time(attr.expiration_time.as_ref())?.unwrap_or(never),
            })
        })
        .collect()
}
