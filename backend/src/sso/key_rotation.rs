//! Fernet key rotation. The keyring's first key seals, every key opens: an operator puts a new key first in
//! `crypto.fernet_keys` on every instance, keeping the old ones after it, then runs `gatehouse keys rotate`,
//! which checks that every stored sealed value opens and re-seals each under the first key. Nobody is logged
//! out: a UST sealed with an old key still opens while that key is configured, and the report says until when
//! one may still be in use. The e-mail lookup key lives in the database sealed like the rest, so lookup
//! hashes outlive the keys.

use super::{Sso, SsoError, SsoResult, StartupError};
use crate::crypto::keyring::Keyring;
use crate::crypto::keys::{self, KeyError};
use crate::store::keyring_meta::{self, LOOKUP_KEY};
use crate::store::sealed::{self, Column};
use crate::store::{Store, StoreError, sessions};
use chrono::NaiveDateTime;
use std::collections::BTreeMap;

/// A Fernet token begins with its version byte (0x80) and a timestamp whose first bytes are zero.
fn looks_sealed(value: &str) -> bool {
    value.starts_with("gAAAAA")
}

/// What a rotation found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    pub keys: usize,
    pub tenants: usize,
    /// Values re-sealed under the first key, by column.
    pub resealed: BTreeMap<&'static str, usize>,
    /// Values that were sealed with the first key already.
    pub current: usize,
    /// Values no configured key opens: `tenant column row`. A rotation that finds any writes nothing.
    pub unreadable: Vec<String>,
    /// Live sessions, whose USTs may be sealed with an older key.
    pub live_sessions: i64,
    /// The latest time such a session can still be in use (its absolute lifetime).
    pub older_keys_needed_until: Option<NaiveDateTime>,
}

impl RotationReport {
    pub fn resealed_total(&self) -> usize {
        self.resealed.values().sum()
    }
}

impl Sso {
    /// Re-seals every stored sealed value under the first key, after checking that every one opens. With
    /// `check_only`, or when some value opens with no key, nothing is written.
    pub async fn rotate_keys(&self, check_only: bool) -> SsoResult<RotationReport> {
        let loaded = keys::load(&self.config).map_err(|e| SsoError::Internal(e.to_string()))?;
        let first = Keyring::first_only(&loaded.keys).ok_or_else(|| SsoError::Internal("no Fernet key".into()))?;
        let mut report = RotationReport {
            keys: loaded.keys.len(),
            ..RotationReport::default()
        };
        let now = self.clock.now();
        let tenants = self.list_tenants().await?;
        report.tenants = tenants.len();
        // Two passes: the first only reads, so a value nobody can open stops the rotation before any write.
        for write in [false, true] {
            if write && (check_only || !report.unreadable.is_empty()) {
                break;
            }
            for tenant in &tenants {
                let (pk, slug) = (tenant.pk, tenant.slug.to_string());
                let (ring, first) = (self.keyring.clone(), first.clone());
                let found = self
                    .store
                    .tenant(pk, move |conn| {
                        let mut found = TenantPass::default();
                        for cell in sealed::cells(conn, pk)? {
                            let optional = matches!(cell.column, Column::UserEmail | Column::PendingEmail);
                            // Stored in clear (main.encrypt_email off): an address, even one that begins like a
                            // token, has an `@`, which URL-safe base64 never does.
                            if optional && (!looks_sealed(&cell.value) || cell.value.contains('@')) {
                                continue;
                            }
                            if first.open(&cell.value).is_some() {
                                found.current += 1;
                                continue;
                            }
                            match ring.open(&cell.value) {
                                Some(plain) => {
                                    // A cell changed since it was read already holds a value sealed
                                    // with the current key: it is left as it is.
                                    if write {
                                        sealed::rewrite(conn, pk, &cell, &ring.seal(&plain))?;
                                    }
                                    *found.resealed.entry(cell.column.name()).or_default() += 1;
                                }
                                None => {
                                    found
                                        .unreadable
                                        .push(format!("{slug} {} row {}", cell.column.name(), cell.row))
                                }
                            }
                        }
                        found.live = sessions::count_live(conn, pk, now)?;
                        found.newest = sessions::newest_live_creation(conn, pk, now)?;
                        Ok(found)
                    })
                    .await?;
                if write {
                    continue; // the counts are the read pass's
                }
                report.current += found.current;
                for (column, n) in found.resealed {
                    *report.resealed.entry(column).or_default() += n;
                }
                report.unreadable.extend(found.unreadable);
                report.live_sessions += found.live;
                if let Some(newest) = found.newest {
                    let policy = self.policy(tenant).await?;
                    let until = super::clock::minutes_after(newest, policy.session.max_lifetime_minutes);
                    report.older_keys_needed_until = report.older_keys_needed_until.max(Some(until));
                }
            }
        }
        if !check_only && report.unreadable.is_empty() {
            let ring = self.keyring.clone();
            self.store
                .global(move |conn| {
                    if let Some(sealed) = keyring_meta::get(conn, LOOKUP_KEY)?
                        && let Some(plain) = ring.open(&sealed)
                    {
                        keyring_meta::replace(conn, LOOKUP_KEY, &ring.seal(&plain), now)?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(report)
    }
}

#[derive(Default)]
struct TenantPass {
    current: usize,
    resealed: BTreeMap<&'static str, usize>,
    unreadable: Vec<String>,
    live: i64,
    newest: Option<NaiveDateTime>,
}

/// The e-mail lookup key: read from the database and opened with the ring; on a store that has none yet, the
/// one it has been using (derived from the oldest key) is stored, sealed, so that it survives the keys.
pub(super) async fn lookup_key(store: &Store, ring: &Keyring, now: NaiveDateTime) -> Result<[u8; 32], StartupError> {
    let read = |store: Store| async move { store.global(|conn| keyring_meta::get(conn, LOOKUP_KEY)).await };
    let sealed = match read(store.clone()).await? {
        Some(sealed) => sealed,
        None => {
            let key = ring.lookup_key();
            let sealed = ring.seal(hex::encode(key).as_bytes());
            match store
                .global(move |conn| keyring_meta::insert(conn, LOOKUP_KEY, &sealed, now))
                .await
            {
                Ok(()) => return Ok(key),
                // Another instance stored it first: use theirs.
                Err(e) if e.is_unique_violation() => read(store.clone())
                    .await?
                    .ok_or_else(|| StoreError::Unavailable("the lookup key vanished".into()))?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let opened = ring.open_text(&sealed).ok_or(KeyError::LookupKeyUnreadable)?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(opened.trim(), &mut key).map_err(|_| KeyError::LookupKeyUnreadable)?;
    Ok(key)
}
