//! Tenants by slug, kept in memory for `server.tenant_cache_ms`, so the hot paths (a UST check above all) do not
//! read the tenant row on every request. A change made through this instance forgets the cache at once; a change
//! made by another instance (or the CLI) is seen here once the entry is older than the setting. The age is
//! measured on the service's clock, so tests can move past it without sleeping.

use super::tenant::Tenant;
use chrono::{NaiveDateTime, TimeDelta};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct TenantCache {
    entries: Arc<Mutex<HashMap<String, (Tenant, NaiveDateTime)>>>,
}

impl TenantCache {
    /// The cached tenant if it was read less than `ttl` ago.
    pub fn get(&self, slug: &str, now: NaiveDateTime, ttl: TimeDelta) -> Option<Tenant> {
        let entries = self.entries.lock().ok()?;
        let (tenant, read_at) = entries.get(slug)?;
        // A clock moved backwards counts as stale too.
        (*read_at <= now && now - *read_at < ttl).then(|| tenant.clone())
    }

    pub fn put(&self, tenant: &Tenant, now: NaiveDateTime) {
        if let Ok(mut entries) = self.entries.lock() {
            // Bounded by the number of tenants that exist; a slug that does not resolve is never stored.
            entries.insert(tenant.slug.as_str().to_owned(), (tenant.clone(), now));
        }
    }

    /// Forgets every tenant, after a change to any of them through this instance.
    pub fn forget(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}
