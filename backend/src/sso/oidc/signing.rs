//! The tenant's signing keys: one algorithm each (RS256, ES256, EdDSA), generated on first use, stored as
//! PKCS#8 sealed with the keyring (so key rotation re-seals them), published at `/oidc/jwks` by `kid`.
//!
//! Rotation (`gatehouse oidc rotate-keys`) adds a next key per algorithm that is published at once and signs
//! only from `oidc.key_publication_minutes` later, so relying parties that cache the JWKS know it before they
//! meet it; the keys it replaces stay published until every token they can have signed has expired (the
//! tenant's `session.expiry` after the new key signs, plus a margin), then leave the JWKS and the database.

use super::super::{Admin, SsoError, SsoResult, Tenant};
use super::Sso;
use crate::crypto::jws::{Alg, SigningKey};
use crate::store::TenantPk;
use crate::store::oidc::{self, NewSigningKey, SigningKeyRow};
use chrono::{NaiveDateTime, TimeDelta};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Past a replaced key's last possible token, how long it stays published (clock skew, caches).
const UNPUBLISH_MARGIN_MINUTES: i64 = 5;

/// How long a parsed signing key is used before the tenant's keys are read again. Far below
/// `oidc.key_publication_minutes`, the least time between a rotation and the new key's first signature, so a
/// rotation made by another process is picked up long before it matters.
const CACHE_SECONDS: i64 = 30;

/// The signing keys in use, parsed, by tenant and algorithm, with when they were read (a token's signing then
/// needs no query, no unsealing and no PKCS#8 parsing).
#[derive(Clone, Default)]
pub struct KeyCache(Arc<Mutex<HashMap<(TenantPk, Alg), CachedKey>>>);

/// A parsed key, with when it was read.
type CachedKey = (NaiveDateTime, Arc<SigningKey>);

impl KeyCache {
    fn get(&self, tenant: TenantPk, alg: Alg, now: NaiveDateTime) -> Option<Arc<SigningKey>> {
        let cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .get(&(tenant, alg))
            .filter(|(read, _)| *read <= now && now - *read < TimeDelta::seconds(CACHE_SECONDS))
            .map(|(_, key)| Arc::clone(key))
    }

    fn put(&self, tenant: TenantPk, alg: Alg, now: NaiveDateTime, key: Arc<SigningKey>) {
        let mut cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.insert((tenant, alg), (now, key));
    }

    fn forget(&self, tenant: TenantPk) {
        let mut cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.retain(|(t, _), _| *t != tenant);
    }
}

fn open(sso: &Sso, row: &SigningKeyRow) -> SsoResult<SigningKey> {
    let der = sso
        .keyring
        .open(&row.private_sealed)
        .ok_or_else(|| SsoError::Internal(format!("signing key {} opens with no configured key", row.kid)))?;
    let alg =
        Alg::parse(&row.alg).ok_or_else(|| SsoError::Internal(format!("signing key {}: no algorithm", row.kid)))?;
    SigningKey::from_pkcs8(&row.kid, alg, &der).map_err(|e| SsoError::Internal(e.to_string()))
}

async fn generate(alg: Alg) -> SsoResult<(SigningKey, Vec<u8>)> {
    // Off the request threads: RSA generation takes tens of milliseconds.
    tokio::task::spawn_blocking(move || SigningKey::generate(alg))
        .await
        .map_err(|e| SsoError::Internal(e.to_string()))?
        .map_err(|e| SsoError::Internal(e.to_string()))
}

/// What a rotation did, per algorithm: the new key's id and when it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub alg: &'static str,
    pub kid: String,
    pub signs_from: NaiveDateTime,
}

impl Sso {
    async fn published_rows(&self, tenant: &Tenant) -> SsoResult<Vec<SigningKeyRow>> {
        let (pk, now) = (tenant.pk, self.clock.now());
        Ok(self
            .store
            .tenant_read(pk, move |conn| oidc::signing_keys(conn, pk, now))
            .await?)
    }

    async fn insert_key(&self, tenant: &Tenant, alg: Alg, activation: Option<NaiveDateTime>) -> SsoResult<SigningKey> {
        let (key, der) = generate(alg).await?;
        let (pk, sealed, kid, now) = (tenant.pk, self.keyring.seal(&der), key.kid.clone(), self.clock.now());
        let inserted = self
            .store
            .tenant(pk, move |conn| {
                oidc::insert_signing_key(
                    conn,
                    &NewSigningKey {
                        tenant: pk,
                        kid: &kid,
                        alg: alg.as_str(),
                        sealed: &sealed,
                        creation_time: now,
                        activation_time: activation,
                    },
                )
            })
            .await;
        match inserted {
            Ok(()) => Ok(key),
            // Another first use made this algorithm's key meanwhile (one per tenant and algorithm): use it.
            Err(e) if activation.is_none() && e.is_unique_violation() => {
                let rows = self.published_rows(tenant).await?;
                let row = rows
                    .iter()
                    .find(|r| r.alg == alg.as_str() && r.activation_time.is_none())
                    .ok_or_else(|| SsoError::Internal("the first signing key vanished".into()))?;
                open(self, row)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The key that signs the tenant's tokens of `alg` now: the newest one whose time to sign has come (made on
    /// first use; of two first uses at once, the second finds the first's key).
    pub(crate) async fn signing_key_for(&self, tenant: &Tenant, alg: Alg) -> SsoResult<Arc<SigningKey>> {
        let now = self.clock.now();
        if let Some(key) = self.signing_keys.get(tenant.pk, alg, now) {
            return Ok(key);
        }
        let rows = self.published_rows(tenant).await?;
        let key = Arc::new(
            match rows.iter().find(|r| r.alg == alg.as_str() && r.signs_from() <= now) {
                Some(row) => open(self, row)?,
                None => self.insert_key(tenant, alg, None).await?,
            },
        );
        self.signing_keys.put(tenant.pk, alg, now, Arc::clone(&key));
        Ok(key)
    }

    /// Every key that verifies the tenant's tokens now (for an `id_token_hint`).
    pub(crate) async fn verifying_keys(&self, tenant: &Tenant) -> SsoResult<Vec<SigningKey>> {
        self.published_rows(tenant)
            .await?
            .iter()
            .map(|row| open(self, row))
            .collect()
    }

    /// The tenant's public keys as a JWK Set: every published key, the next ones included. A key of every
    /// algorithm is made before the set is first published, so a relying party that cached it knows the key of
    /// whatever algorithm its client later asks for.
    pub async fn jwks(&self, tenant: &Tenant) -> SsoResult<Value> {
        let rows = self.published_rows(tenant).await?;
        for alg in Alg::ALL {
            if !rows.iter().any(|r| r.alg == alg.as_str()) {
                self.signing_key_for(tenant, alg).await?;
            }
        }
        let keys: Vec<Value> = self.verifying_keys(tenant).await?.iter().map(SigningKey::jwk).collect();
        Ok(json!({ "keys": keys }))
    }

    /// Rotates the tenant's signing keys: a next key for every algorithm the tenant signs with (RS256 at
    /// least), published now and signing from `oidc.key_publication_minutes` later; the keys it replaces are
    /// unpublished once every token they may sign until then has expired.
    pub async fn rotate_signing_keys(&self, admin: &Admin) -> SsoResult<Vec<Rotated>> {
        let ctx = admin.ctx();
        let tenant = &ctx.tenant;
        let policy = self.policy(tenant).await?;
        let now = self.clock.now();
        let lead = i64::try_from(self.config.oidc.key_publication_minutes).unwrap_or(i64::MAX / 120_000);
        let signs_from = now + TimeDelta::minutes(lead);
        let unpublish = signs_from + TimeDelta::minutes(i64::from(policy.session.expiry) + UNPUBLISH_MARGIN_MINUTES);
        let mut algs: Vec<Alg> = self
            .published_rows(tenant)
            .await?
            .iter()
            .filter_map(|r| Alg::parse(&r.alg))
            .collect();
        algs.push(Alg::Rs256);
        algs.sort();
        algs.dedup();
        let mut done = Vec::new();
        for alg in algs {
            let key = self.insert_key(tenant, alg, Some(signs_from)).await?;
            let (pk, kid, c) = (tenant.pk, key.kid.clone(), ctx.clone());
            self.store
                .tenant(pk, move |conn| {
                    oidc::retire_signing_keys(conn, pk, alg.as_str(), &kid, unpublish)?;
                    let extra = json!({"alg": alg.as_str(), "kid": kid, "signs_from": signs_from.to_string()});
                    super::super::audit::append_ctx_extra(
                        conn,
                        &c,
                        "oidc.keys_rotate",
                        None,
                        Ok(()),
                        Some(extra.to_string()),
                    )
                })
                .await?;
            done.push(Rotated {
                alg: alg.as_str(),
                kid: key.kid,
                signs_from,
            });
        }
        self.signing_keys.forget(tenant.pk);
        Ok(done)
    }
}
