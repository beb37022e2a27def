//! A tenant's effective settings: the configuration's defaults overlaid with the tenant's stored overrides.
//! The result is cached per tenant and thrown away when the tenant's settings version moves, which every
//! instance sees on its next read of the tenant row.

use super::error::{Kind, SsoError, SsoResult};
use super::tenant::Tenant;
use super::{Admin, Sso, audit};
use crate::config::TenantPolicy;
use crate::store::settings::{self as rows, SettingRow};
use crate::store::{app_keys, oidc, tenants};
use gatehouse_shared::SubStatus;
use serde_json::Value;
use std::sync::Arc;

/// Why an override was refused, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting `{key}`: {message}")]
pub struct SettingError {
    pub key: String,
    pub message: String,
}

impl Sso {
    /// The tenant's effective policy.
    pub async fn policy(&self, tenant: &Tenant) -> SsoResult<Arc<TenantPolicy>> {
        if let Some(policy) = self.cached_policy(tenant) {
            return Ok(policy);
        }
        let pk = tenant.pk;
        let mut overrides = self.store.tenant(pk, move |conn| rows::for_tenant(conn, pk)).await?;
        let defaults = self.config.policy();
        // An override stored before its key had the range it has now must not take the tenant down (its own
        // administrators could not log in to mend it): it is left out, with a warning, until it is changed.
        let policy = loop {
            match overlay(&defaults, &overrides) {
                Ok(policy) => break Arc::new(policy),
                Err(e) => {
                    let before = overrides.len();
                    overrides.retain(|r| format!("{}.{}", r.section, r.name) != e.key);
                    if overrides.len() == before {
                        // A rule across keys (password.min_length against max_length, with one of them the
                        // instance's): the section's overrides go together.
                        let section = e.key.split('.').next().unwrap_or_default().to_owned();
                        overrides.retain(|r| r.section != section);
                    }
                    if overrides.len() == before {
                        return Err(SsoError::Internal(format!("stored override no longer valid: {e}")));
                    }
                    tracing::warn!(tenant = %tenant.slug.as_str(), key = %e.key, "stored setting ignored: {}", e.message);
                }
            }
        };
        if let Ok(mut cache) = self.policies.lock() {
            cache.insert(pk, (tenant.settings_version, Arc::clone(&policy)));
        }
        Ok(policy)
    }

    fn cached_policy(&self, tenant: &Tenant) -> Option<Arc<TenantPolicy>> {
        let cache = self.policies.lock().ok()?;
        match cache.get(&tenant.pk) {
            Some((version, policy)) if *version == tenant.settings_version => Some(Arc::clone(policy)),
            _ => None,
        }
    }

    /// Sets (`Some`) or removes (`None`) one override.
    pub async fn set_setting(&self, admin: &Admin, section: &str, key: &str, value: Option<Value>) -> SsoResult<()> {
        self.set_settings(admin, vec![(section.to_owned(), key.to_owned(), value)])
            .await
    }

    /// Applies several overrides at once, all or none. Each is checked with the same types as the
    /// configuration file; an unknown key, an instance-level key or a bad value is `E008002` naming the key.
    /// Every change is audited with its old and new value.
    pub async fn set_settings(&self, admin: &Admin, changes: Vec<(String, String, Option<Value>)>) -> SsoResult<()> {
        let ctx = admin.ctx();
        if changes.is_empty() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        }
        let defaults = self.config.policy();
        let pk = ctx.tenant.pk;
        let current = self.store.tenant(pk, move |conn| rows::for_tenant(conn, pk)).await?;
        let invalid = |e: SettingError| SsoError::Invalid {
            key: e.key,
            message: e.message,
        };
        let mut proposed = current.clone();
        for (section, key, value) in &changes {
            check_key(&defaults, section, key).map_err(invalid)?;
            proposed.retain(|r| !(&r.section == section && &r.name == key));
            if let Some(value) = value {
                proposed.push(SettingRow {
                    tenant_id: pk,
                    section: section.clone(),
                    name: key.clone(),
                    value: value.to_string(),
                    modified_time: ctx.now,
                });
            }
        }
        let after = overlay(&defaults, &proposed).map_err(invalid)?;
        // The values in force (stored overrides out of their range left out), so a change that mends such an
        // override can be made.
        let in_force = self.policy(&ctx.tenant).await?;
        let before = serde_json::to_value(&*in_force).map_err(|e| SsoError::Internal(e.to_string()))?;
        // An app that leaves `apps.all`, however it is removed, takes its keys, its client settings, consents,
        // waiting codes and granted sessions with it, in the same transaction.
        let gone: Vec<String> = in_force
            .apps
            .all
            .iter()
            .filter(|app| !after.apps.all.contains(app))
            .map(str::to_owned)
            .collect();
        let ctx = ctx.clone();
        self.store
            .tenant(pk, move |conn| {
                for (section, key, value) in changes {
                    let old = before
                        .get(&section)
                        .and_then(|s| s.get(&key))
                        .cloned()
                        .unwrap_or(Value::Null);
                    match &value {
                        Some(value) => rows::put(
                            conn,
                            &SettingRow {
                                tenant_id: pk,
                                section: section.clone(),
                                name: key.clone(),
                                value: value.to_string(),
                                modified_time: ctx.now,
                            },
                        )?,
                        None => {
                            rows::remove(conn, pk, &section, &key)?;
                        }
                    }
                    let extra = serde_json::json!({"key": format!("{section}.{key}"), "old": old, "new": value});
                    audit::append_ctx_extra(conn, &ctx, "settings.update", None, Ok(()), Some(extra.to_string()))?;
                }
                for app in &gone {
                    app_keys::delete(conn, pk, app, None)?;
                    oidc::forget_app(conn, pk, app)?;
                }
                tenants::bump_settings_version(conn, pk)?;
                Ok(())
            })
            .await?;
        self.tenants.forget();
        Ok(())
    }

    /// The effective settings and the tenant's overrides, as `{section: {key: value}}` each.
    pub async fn settings_view(&self, admin: &Admin) -> SsoResult<(Value, Value)> {
        let ctx = admin.ctx();
        let policy = self.policy(&ctx.tenant).await?;
        let pk = ctx.tenant.pk;
        let rows = self.store.tenant(pk, move |conn| rows::for_tenant(conn, pk)).await?;
        let mut overrides = serde_json::Map::new();
        for row in rows {
            let value: Value = serde_json::from_str(&row.value).unwrap_or(Value::Null);
            let section = overrides
                .entry(row.section)
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(fields) = section {
                fields.insert(row.name, value);
            }
        }
        let effective = serde_json::to_value(&*policy).map_err(|e| SsoError::Internal(e.to_string()))?;
        Ok((effective, Value::Object(overrides)))
    }
}

/// Whether `section.key` is a tenant setting.
pub fn check_key(defaults: &TenantPolicy, section: &str, key: &str) -> Result<(), SettingError> {
    let err = |message: &str| SettingError {
        key: format!("{section}.{key}"),
        message: message.to_owned(),
    };
    let tree = serde_json::to_value(defaults).map_err(|e| err(&e.to_string()))?;
    let fields = tree.get(section).ok_or_else(|| err("no such tenant setting"))?;
    if section == "user_address_list" {
        return if key.is_empty() {
            Err(err("a username is required"))
        } else {
            Ok(())
        };
    }
    if section == "mail_templates" {
        return if super::mail_templates::KINDS.contains(&key) {
            Ok(())
        } else {
            Err(err("no such message kind"))
        };
    }
    match fields.get(key) {
        Some(_) => Ok(()),
        None => Err(err("no such tenant setting")),
    }
}

/// Overlays overrides on the defaults and checks the result with the configuration's own types.
pub fn overlay(defaults: &TenantPolicy, overrides: &[SettingRow]) -> Result<TenantPolicy, SettingError> {
    let mut tree = serde_json::to_value(defaults).map_err(|e| SettingError {
        key: String::new(),
        message: e.to_string(),
    })?;
    for row in overrides {
        check_key(defaults, &row.section, &row.name)?;
        let value: Value = serde_json::from_str(&row.value).map_err(|e| SettingError {
            key: format!("{}.{}", row.section, row.name),
            message: e.to_string(),
        })?;
        if let Some(Value::Object(fields)) = tree.get_mut(&row.section) {
            fields.insert(row.name.clone(), value);
        }
    }
    let policy: TenantPolicy = serde_path_to_error::deserialize(tree).map_err(|e| SettingError {
        key: e.path().to_string(),
        message: e.into_inner().to_string(),
    })?;
    policy.check().map_err(|e| SettingError {
        key: e.key.to_owned(),
        message: e.message,
    })?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StringList;

    fn row(section: &str, name: &str, value: &str) -> SettingRow {
        SettingRow {
            tenant_id: 1,
            section: section.to_owned(),
            name: name.to_owned(),
            value: value.to_owned(),
            modified_time: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn overrides_replace_defaults_and_are_type_checked() {
        let defaults = TenantPolicy::default();
        let p = overlay(
            &defaults,
            &[row("session", "expiry", "5"), row("apps", "all", "\"CRM,ERP\"")],
        )
        .unwrap();
        assert_eq!(p.session.expiry, 5);
        assert_eq!(p.apps.all, StringList::of(&["CRM", "ERP"]));
        assert_eq!(p.password, defaults.password);

        let err = overlay(&defaults, &[row("session", "expiry", "\"soon\"")]).unwrap_err();
        assert_eq!(err.key, "session.expiry");
        let err = overlay(&defaults, &[row("session", "nope", "1")]).unwrap_err();
        assert_eq!(err.key, "session.nope");
        assert!(
            check_key(&defaults, "server", "bind").is_err(),
            "instance keys are not tenant settings"
        );
        assert!(check_key(&defaults, "user_address_list", "alice").is_ok());
        assert!(check_key(&defaults, "mail_templates", "welcome").is_ok());
        assert!(check_key(&defaults, "mail_templates", "spam").is_err());
    }
}
