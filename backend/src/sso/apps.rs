//! A tenant's applications: per-app flags over the `apps.*` settings (`all`, `login_allowed`,
//! `signup_allowed`, `login_metadata_allowed`), and app keys: random secrets shown once, stored as SHA-256,
//! listed by id and creation time, revocable. With `apps.require_key`, every call naming an app must present
//! one of its keys (`E004003` otherwise); an app sending login metadata must present one whatever the setting.

use super::error::{Kind, SsoError, SsoResult};
use super::login::WEB_APP;
use super::{Admin, Ctx, Sso, audit};
use crate::config::{StringList, TenantPolicy};
use crate::crypto::{random_u128, random_urlsafe};
use crate::store::app_keys;
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;
use gatehouse_shared::ids::crockford_u128;
use serde_json::json;

/// An app as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppView {
    pub name: String,
    pub login_allowed: bool,
    pub signup_allowed: bool,
    pub login_metadata_allowed: bool,
    /// `(key_id, creation_time)` of each key.
    pub keys: Vec<(String, NaiveDateTime)>,
}

/// A new key: its id, and the key itself, shown once.
pub struct NewAppKey {
    pub key_id: String,
    pub key: String,
}

impl std::fmt::Debug for NewAppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAppKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn key_hash(key: &str) -> String {
    crate::crypto::sha256_hex(key)
}

fn check_app_name(name: &str) -> SsoResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name != WEB_APP
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput))
    }
}

fn no_such_app() -> SsoError {
    SsoError::refused(Kind::NotFound, SubStatus::AppListInvalid)
}

fn with(list: &StringList, name: &str, on: bool) -> Vec<String> {
    let mut items: Vec<String> = list.iter().filter(|a| *a != name).map(str::to_owned).collect();
    if on {
        items.push(name.to_owned());
    }
    items
}

impl Sso {
    /// The tenant's apps with their flags and keys.
    pub async fn apps(&self, admin: &Admin) -> SsoResult<Vec<AppView>> {
        let ctx = admin.ctx();
        let policy = self.policy(&ctx.tenant).await?;
        let pk = ctx.tenant.pk;
        let keys = self
            .store
            .tenant(pk, move |conn| app_keys::for_tenant(conn, pk))
            .await?;
        Ok(policy
            .apps
            .all
            .iter()
            .map(|name| AppView {
                name: name.to_owned(),
                login_allowed: policy.apps.login_allowed.contains(name),
                signup_allowed: policy.apps.signup_allowed.is_empty() || policy.apps.signup_allowed.contains(name),
                login_metadata_allowed: policy.apps.login_metadata_allowed.contains(name),
                keys: keys
                    .iter()
                    .filter(|k| k.app == name)
                    .map(|k| (k.key_id.clone(), k.creation_time))
                    .collect(),
            })
            .collect())
    }

    /// Adds an app or changes its flags.
    pub async fn put_app(
        &self,
        admin: &Admin,
        name: &str,
        login_allowed: bool,
        signup_allowed: bool,
        login_metadata_allowed: bool,
    ) -> SsoResult<AppView> {
        let ctx = admin.ctx();
        check_app_name(name)?;
        let policy = self.policy(&ctx.tenant).await?;
        let apps = &policy.apps;
        let all = with(&apps.all, name, true);
        // An empty signup list means every app: turning one off lists the others explicitly.
        let signup_base = if apps.signup_allowed.is_empty() {
            StringList(apps.all.0.clone())
        } else {
            apps.signup_allowed.clone()
        };
        let mut signup = with(&signup_base, name, signup_allowed);
        if signup_allowed && all.iter().all(|a| signup.contains(a)) {
            signup.clear();
        }
        self.set_settings(
            admin,
            vec![
                ("apps".into(), "all".into(), Some(json!(all))),
                (
                    "apps".into(),
                    "login_allowed".into(),
                    Some(json!(with(&apps.login_allowed, name, login_allowed))),
                ),
                ("apps".into(), "signup_allowed".into(), Some(json!(signup))),
                (
                    "apps".into(),
                    "login_metadata_allowed".into(),
                    Some(json!(with(&apps.login_metadata_allowed, name, login_metadata_allowed))),
                ),
            ],
        )
        .await?;
        let tenant = self.resolve_tenant(ctx.tenant.slug.as_str()).await?;
        self.apps(&admin.refreshed(tenant)?)
            .await?
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(no_such_app)
    }

    /// Removes an app from every list and revokes its keys.
    pub async fn delete_app(&self, admin: &Admin, name: &str) -> SsoResult<()> {
        let ctx = admin.ctx();
        let policy = self.policy(&ctx.tenant).await?;
        if !policy.apps.all.contains(name) {
            return Err(no_such_app());
        }
        let apps = &policy.apps;
        let mut signup = with(&apps.signup_allowed, name, false);
        if apps.signup_allowed.is_empty() {
            signup.clear();
        }
        self.set_settings(
            admin,
            vec![
                ("apps".into(), "all".into(), Some(json!(with(&apps.all, name, false)))),
                (
                    "apps".into(),
                    "login_allowed".into(),
                    Some(json!(with(&apps.login_allowed, name, false))),
                ),
                ("apps".into(), "signup_allowed".into(), Some(json!(signup))),
                (
                    "apps".into(),
                    "login_metadata_allowed".into(),
                    Some(json!(with(&apps.login_metadata_allowed, name, false))),
                ),
            ],
        )
        .await?;
        // Its keys and client data went with it (`set_settings`, in the same transaction).
        Ok(())
    }

    /// Makes a key for an app; the key is returned once and only its hash is kept.
    pub async fn create_app_key(&self, admin: &Admin, app: &str) -> SsoResult<NewAppKey> {
        let ctx = admin.ctx();
        let policy = self.policy(&ctx.tenant).await?;
        if !policy.apps.all.contains(app) {
            return Err(no_such_app());
        }
        let new = NewAppKey {
            key_id: format!("zkey{}", crockford_u128(random_u128())),
            key: format!("ghk_{}", random_urlsafe(32)),
        };
        let (pk, app, key_id, hash, c) = (
            ctx.tenant.pk,
            app.to_owned(),
            new.key_id.clone(),
            key_hash(&new.key),
            ctx.clone(),
        );
        self.store
            .tenant(pk, move |conn| {
                app_keys::insert(conn, pk, &app, &key_id, &hash, c.now)?;
                let extra = json!({"app": app, "key_id": key_id}).to_string();
                audit::append_ctx_extra(conn, &c, "app.key_create", None, Ok(()), Some(extra))
            })
            .await?;
        Ok(new)
    }

    /// Revokes a key.
    pub async fn revoke_app_key(&self, admin: &Admin, app: &str, key_id: &str) -> SsoResult<()> {
        let ctx = admin.ctx();
        let (pk, app, key_id, c) = (ctx.tenant.pk, app.to_owned(), key_id.to_owned(), ctx.clone());
        let n = self
            .store
            .tenant(pk, move |conn| {
                let n = app_keys::delete(conn, pk, &app, Some(&key_id))?;
                if n > 0 {
                    let extra = json!({"app": app, "key_id": key_id}).to_string();
                    audit::append_ctx_extra(conn, &c, "app.key_revoke", None, Ok(()), Some(extra))?;
                }
                Ok(n)
            })
            .await?;
        if n == 0 {
            Err(SsoError::refused(Kind::NotFound, SubStatus::AppKeyInvalid))
        } else {
            Ok(())
        }
    }

    /// Whether the caller presented a valid key of its app.
    pub async fn app_key_valid(&self, ctx: &Ctx) -> SsoResult<bool> {
        let Some(key) = &ctx.app_key else { return Ok(false) };
        let (pk, app, hash) = (ctx.tenant.pk, ctx.current_app.clone(), key_hash(&key.0));
        // One statement, on the hot path of every check that presents a key: no transaction around it.
        Ok(self
            .store
            .tenant_read(pk, move |conn| app_keys::matches(conn, pk, &app, &hash))
            .await?)
    }

    /// With `apps.require_key`, refuses a caller without a valid key of its app (`E004003`). Returns whether
    /// the key is valid. The web UI's own app needs none (and nobody else can claim to be it).
    pub async fn check_app_key(&self, ctx: &Ctx, policy: &TenantPolicy) -> SsoResult<bool> {
        if ctx.is_web_ui() {
            return Ok(false);
        }
        let valid = if ctx.app_key.is_some() {
            self.app_key_valid(ctx).await?
        } else {
            false
        };
        if policy.apps.require_key && !valid {
            return Err(SsoError::refused(Kind::Unauthenticated, SubStatus::AppKeyInvalid));
        }
        Ok(valid)
    }
}
