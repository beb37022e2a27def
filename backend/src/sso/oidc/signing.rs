//! The tenant's ID-token signing keys: RSA 2048, generated on first use, stored as PKCS#8 sealed with the
//! keyring (so key rotation re-seals them), published at `/oidc/jwks` by `kid`. The newest key signs; older
//! ones stay published so tokens they signed still verify.

use super::super::{SsoError, SsoResult, Tenant};
use super::Sso;
use crate::crypto::jws::SigningKey;
use crate::store::oidc::{self, SigningKeyRow};
use serde_json::{Value, json};

fn open(sso: &Sso, row: &SigningKeyRow) -> SsoResult<SigningKey> {
    let der = sso
        .keyring
        .open(&row.private_sealed)
        .ok_or_else(|| SsoError::Internal(format!("signing key {} opens with no configured key", row.kid)))?;
    SigningKey::from_pkcs8(&row.kid, &der).map_err(|e| SsoError::Internal(e.to_string()))
}

impl Sso {
    async fn signing_rows(&self, tenant: &Tenant) -> SsoResult<Vec<SigningKeyRow>> {
        let pk = tenant.pk;
        let rows = self
            .store
            .tenant_read(pk, move |conn| oidc::signing_keys(conn, pk))
            .await?;
        if !rows.is_empty() {
            return Ok(rows);
        }
        // The first use: a key is made (off the request threads: RSA generation takes tens of milliseconds).
        let (key, der) = tokio::task::spawn_blocking(SigningKey::generate)
            .await
            .map_err(|e| SsoError::Internal(e.to_string()))?
            .map_err(|e| SsoError::Internal(e.to_string()))?;
        let (sealed, kid, now) = (self.keyring.seal(&der), key.kid.clone(), self.clock.now());
        self.store
            .tenant(pk, move |conn| {
                // Two first uses at once each make a key: both are published, the newest signs.
                oidc::insert_signing_key(conn, pk, &kid, &sealed, now)?;
                oidc::signing_keys(conn, pk)
            })
            .await
            .map_err(Into::into)
    }

    /// The key that signs the tenant's ID tokens now.
    pub(crate) async fn signing_key(&self, tenant: &Tenant) -> SsoResult<SigningKey> {
        let rows = self.signing_rows(tenant).await?;
        let newest = rows
            .first()
            .ok_or_else(|| SsoError::Internal("no signing key".into()))?;
        open(self, newest)
    }

    /// The tenant's public keys as a JWK Set.
    pub async fn jwks(&self, tenant: &Tenant) -> SsoResult<Value> {
        let rows = self.signing_rows(tenant).await?;
        let keys = rows
            .iter()
            .map(|row| open(self, row).map(|k| k.jwk()))
            .collect::<SsoResult<Vec<_>>>()?;
        Ok(json!({ "keys": keys }))
    }
}
