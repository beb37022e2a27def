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
    entries: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    by_slug: HashMap<String, (Tenant, NaiveDateTime)>,
    /// Moves at every [`TenantCache::forget`]: a read that began before one does not put back what it read.
    generation: u64,
}

/// Where a read that may be [`put`](TenantCache::put) began.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

impl TenantCache {
    /// The cached tenant if it was read less than `ttl` ago.
    pub fn get(&self, slug: &str, now: NaiveDateTime, ttl: TimeDelta) -> Option<Tenant> {
        let entries = self.entries.lock().ok()?;
        let (tenant, read_at) = entries.by_slug.get(slug)?;
        // A clock moved backwards counts as stale too.
        (*read_at <= now && now - *read_at < ttl).then(|| tenant.clone())
    }

    /// Where a read from the database begins.
    pub fn generation(&self) -> Generation {
        Generation(self.entries.lock().map_or(0, |e| e.generation))
    }

    /// Keeps a tenant read since `since`, unless the cache was told to forget meanwhile.
    pub fn put(&self, tenant: &Tenant, now: NaiveDateTime, since: Generation) {
        if let Ok(mut entries) = self.entries.lock()
            && entries.generation == since.0
        {
            // Bounded by the number of tenants that exist; a slug that does not resolve is never stored.
            entries
                .by_slug
                .insert(tenant.slug.as_str().to_owned(), (tenant.clone(), now));
        }
    }

    /// Forgets every tenant, after a change to any of them through this instance.
    pub fn forget(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.by_slug.clear();
            entries.generation += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sso::tenant::TenantStatus;
    use chrono::NaiveDate;

    fn acme(status: TenantStatus) -> Tenant {
        Tenant {
            pk: 7,
            slug: gatehouse_shared::TenantSlug::parse("acme").unwrap(),
            display_name: "Acme".to_owned(),
            status,
            settings_version: 1,
        }
    }

    #[test]
    fn a_read_that_began_before_a_forget_is_not_kept() {
        let now = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let ttl = TimeDelta::seconds(1);
        let cache = TenantCache::default();
        let before = cache.generation();
        // The tenant is suspended elsewhere, and the feed says so, while this read was on its way.
        cache.forget();
        cache.put(&acme(TenantStatus::Active), now, before);
        assert!(cache.get("acme", now, ttl).is_none(), "the old row is not put back");
        cache.put(&acme(TenantStatus::Suspended), now, cache.generation());
        assert_eq!(
            cache.get("acme", now, ttl).map(|t| t.status),
            Some(TenantStatus::Suspended)
        );
        assert!(cache.get("acme", now + ttl, ttl).is_none(), "stale after the setting");
    }
}
