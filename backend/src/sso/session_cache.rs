//! Verified sessions kept in memory, so a UST check can be answered without reading the database, while an
//! ended session, a locked user or a suspended tenant is refused as soon as the change is known here.
//!
//! What is kept is what the database said (the session, its user, the user's allow-list), never a verdict:
//! every use runs the same checks against the caller and the clock as a read from the database would (expiry
//! and lifetime, lock, approval, password expiry, allow-list, the tenant's policy), and the tenant itself is
//! resolved as on every request. An entry goes when anything it was read from changes
//! ([`crate::store::changes`]): at once for a change this instance makes, when the notification arrives for one
//! made elsewhere. Without a working change feed nothing is kept or served.
//!
//! A read that began before a change was told must not put what it read back: every change moves the epoch,
//! and a read puts its row only if the epoch is still the one it began in. The map is a least-recently-used one
//! of `server.session_cache_entries` entries (0: off); changes only ever remove from it.

use super::tenant_cache::TenantCache;
use crate::config::StringList;
use crate::domain::{Session, User};
use crate::metrics::CacheReading;
use crate::store::TenantPk;
use crate::store::changes::{Change, Watcher};
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a session check reads from the database: the session, its user, the user's stored allow-list.
#[derive(Debug)]
pub struct Stored {
    pub session: Session,
    pub user: User,
    pub allow_list: Option<StringList>,
    /// The session's methods as stored (space-separated), as the second-factor checks read them.
    pub auth_methods: String,
}

/// A session by its tenant and the hash of its secret.
type Key = (TenantPk, String);

/// What an entry was read from, for forgetting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    Session(i64),
    User(i64),
}

#[derive(Default)]
struct Links {
    by_source: HashMap<(TenantPk, Source), Vec<Key>>,
}

impl Links {
    fn add(&mut self, tenant: TenantPk, sources: &[Source], key: &Key) {
        for &source in sources {
            self.by_source.entry((tenant, source)).or_default().push(key.clone());
        }
    }

    fn remove(&mut self, tenant: TenantPk, sources: &[Source], key: &Key) {
        for &source in sources {
            if let Some(keys) = self.by_source.get_mut(&(tenant, source)) {
                keys.retain(|k| k != key);
                if keys.is_empty() {
                    self.by_source.remove(&(tenant, source));
                }
            }
        }
    }
}

struct Entry {
    stored: Arc<Stored>,
    sources: Vec<Source>,
}

fn sources_of(stored: &Stored) -> Vec<Source> {
    // An app session's parent and grant end it by deleting its row (the triggers fire on cascades too).
    vec![Source::Session(stored.session.pk), Source::User(stored.user.pk)]
}

/// How long the feed's last heartbeat vouches for it: a feed whose connection looks alive but brings nothing
/// (a half-open connection, a pooler that drops `LISTEN`) or that lags behind a storm stops the cache within this.
const LEASE: Duration = Duration::from_secs(2);

struct Inner {
    /// Whether the change feed is up: only then is anything kept or served.
    up: bool,
    /// Until when the feed's last heartbeat vouches for it.
    lease_until: Option<Instant>,
    epoch: u64,
    entries: LruCache<Key, Entry>,
    links: Links,
    /// Checks answered from memory, and checks that had to read (while the cache serves).
    hits: u64,
    misses: u64,
}

impl Inner {
    /// Whether what is kept may be used and added to now.
    fn serving(&self) -> bool {
        self.up && self.lease_until.is_some_and(|until| Instant::now() < until)
    }

    fn forget(&mut self, key: &Key) {
        if let Some(entry) = self.entries.pop(key) {
            self.links.remove(key.0, &entry.sources, key);
        }
    }

    fn forget_source(&mut self, tenant: TenantPk, source: Source) {
        let keys = self.links.by_source.remove(&(tenant, source)).unwrap_or_default();
        for key in keys {
            self.forget(&key);
        }
    }

    fn forget_tenant(&mut self, tenant: TenantPk) {
        let keys: Vec<Key> = self
            .entries
            .iter()
            .filter(|(k, _)| k.0 == tenant)
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            self.forget(&key);
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.links = Links::default();
    }
}

/// The cache; clones share it.
#[derive(Clone)]
pub struct SessionCache {
    inner: Option<Arc<Mutex<Inner>>>,
}

/// Where a read began, for [`SessionCache::put`].
#[derive(Debug, Clone, Copy)]
pub struct Epoch(u64);

impl SessionCache {
    /// A cache of at most `entries` sessions; none at all for 0.
    pub fn new(entries: usize) -> SessionCache {
        SessionCache {
            inner: NonZeroUsize::new(entries).map(|n| {
                Arc::new(Mutex::new(Inner {
                    up: false,
                    lease_until: None,
                    epoch: 0,
                    entries: LruCache::new(n),
                    links: Links::default(),
                    hits: 0,
                    misses: 0,
                }))
            }),
        }
    }

    fn lock(&self) -> Option<std::sync::MutexGuard<'_, Inner>> {
        self.inner.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The session kept for this key, unless it has expired by `now` (then it is forgotten: the database is
    /// asked, and may know of a renewal).
    pub fn get(&self, tenant: TenantPk, hash: &str, now: chrono::NaiveDateTime) -> Option<Arc<Stored>> {
        let mut inner = self.lock()?;
        if !inner.serving() {
            return None;
        }
        let key = (tenant, hash.to_owned());
        let Some(entry) = inner.entries.get(&key) else {
            inner.misses += 1;
            return None;
        };
        let stored = Arc::clone(&entry.stored);
        if stored.session.expiration_time <= now {
            inner.forget(&key);
            inner.misses += 1;
            return None;
        }
        inner.hits += 1;
        Some(stored)
    }

    /// Where a read that may be [`put`](SessionCache::put) begins.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.lock().map_or(0, |inner| inner.epoch))
    }

    /// Keeps what a read that began at `since` found, unless something changed since (or the feed is down).
    pub fn put(&self, tenant: TenantPk, hash: &str, since: Epoch, stored: &Arc<Stored>) {
        let Some(mut inner) = self.lock() else { return };
        if !inner.serving() || inner.epoch != since.0 {
            return;
        }
        let key = (tenant, hash.to_owned());
        inner.forget(&key);
        let sources = sources_of(stored);
        inner.links.add(tenant, &sources, &key);
        let entry = Entry {
            stored: Arc::clone(stored),
            sources,
        };
        if let Some((old, pushed_out)) = inner.entries.push(key, entry) {
            inner.links.remove(old.0, &pushed_out.sources, &old);
        }
    }

    /// How many sessions are kept now.
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |inner| inner.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What it holds and has done (all zero when off).
    pub fn reading(&self) -> CacheReading {
        self.lock().map_or_else(CacheReading::default, |inner| CacheReading {
            entries: inner.entries.len(),
            up: inner.serving(),
            hits: inner.hits,
            misses: inner.misses,
        })
    }

    /// Whether the change feed is up and vouched for (and the cache in use).
    pub fn is_up(&self) -> bool {
        self.lock().is_some_and(|inner| inner.serving())
    }

    fn apply(&self, change: Change) {
        let Some(mut inner) = self.lock() else { return };
        inner.epoch += 1;
        match change {
            Change::Session { tenant, id } => inner.forget_source(tenant, Source::Session(id)),
            Change::User { tenant, pk } => inner.forget_source(tenant, Source::User(pk)),
            Change::Tenant(tenant) => inner.forget_tenant(tenant),
            Change::Everything => inner.clear(),
        }
    }

    fn set_up(&self, up: bool) {
        let Some(mut inner) = self.lock() else { return };
        inner.epoch += 1;
        inner.up = up;
        inner.lease_until = up.then(|| Instant::now() + LEASE);
        inner.clear();
    }

    /// The feed's heartbeat came back: it vouches for the feed a while longer. After a lapse, what is kept
    /// may have missed changes, and goes.
    fn beat(&self) {
        let Some(mut inner) = self.lock() else { return };
        if !inner.up {
            return;
        }
        if !inner.serving() {
            inner.epoch += 1;
            inner.clear();
        }
        inner.lease_until = Some(Instant::now() + LEASE);
    }
}

/// What hears the store's changes: the session cache, and the tenant cache and policies, which a change to a
/// tenant's row (its status, its settings version) makes stale.
pub struct CacheWatcher {
    pub sessions: SessionCache,
    pub tenants: TenantCache,
}

impl Watcher for CacheWatcher {
    fn changed(&self, change: Change) {
        if matches!(change, Change::Tenant(_) | Change::Everything) {
            self.tenants.forget();
        }
        self.sessions.apply(change);
    }

    fn feed(&self, up: bool) {
        self.sessions.set_up(up);
        self.tenants.forget();
    }

    fn beat(&self) {
        self.sessions.beat();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ApprovalStatus, Lock, SignupStatus, Username};
    use chrono::NaiveDate;

    fn at(h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn stored(id: i64, user: i64, parent: Option<i64>, grant: Option<i64>) -> Arc<Stored> {
        Arc::new(Stored {
            session: Session {
                pk: id,
                user_pk: user,
                tenant_pk: 1,
                session_id: format!("zs{id}"),
                creation_time: at(9),
                expiration_time: at(11),
                remote_addr: String::new(),
                user_agent: String::new(),
                current_app: "CRM".to_owned(),
                parent_pk: parent,
                auth_time: at(9),
                auth_methods: vec![],
                scope: None,
                grant_pk: grant,
            },
            user: User {
                pk: user,
                user_id: format!("zu{user}"),
                username: Username::stored(format!("u{user}")),
                email: None,
                email_confirmed: true,
                display_name: None,
                first_name: None,
                middle_name: None,
                last_name: None,
                is_super_user: false,
                lock: Lock {
                    is_locked: false,
                    time: None,
                    by: None,
                    until: None,
                },
                approval_status: ApprovalStatus::Approved,
                approval_status_mod_time: at(9),
                approval_status_mod_by: String::new(),
                password_must_change: false,
                password_last_set: at(9),
                password_expiry: at(23),
                sign_up_status: SignupStatus::Final,
                sign_up_time: at(9),
                sign_up_confirm_time: None,
                is_totp_enabled: false,
                passkeys: 0,
                totp_label: None,
            },
            allow_list: None,
            auth_methods: String::new(),
        })
    }

    fn cache(n: usize) -> SessionCache {
        let c = SessionCache::new(n);
        c.set_up(true);
        c
    }

    #[test]
    fn nothing_is_kept_or_served_without_the_feed() {
        let c = SessionCache::new(10);
        c.put(1, "h", c.epoch(), &stored(1, 1, None, None));
        assert!(c.get(1, "h", at(10)).is_none());
        c.set_up(true);
        c.put(1, "h", c.epoch(), &stored(1, 1, None, None));
        assert!(c.get(1, "h", at(10)).is_some());
        c.set_up(false);
        assert!(c.get(1, "h", at(10)).is_none(), "a lost feed empties it");
        assert!(c.is_empty());
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let c = cache(10);
        let before = c.epoch();
        c.apply(Change::User { tenant: 1, pk: 99 });
        c.put(1, "h", before, &stored(1, 1, None, None));
        assert!(c.get(1, "h", at(10)).is_none());
    }

    #[test]
    fn changes_forget_what_was_read_from_them_and_only_that() {
        let c = cache(10);
        c.put(1, "own", c.epoch(), &stored(1, 7, None, None));
        c.put(1, "sibling", c.epoch(), &stored(2, 7, None, None));
        c.put(1, "other", c.epoch(), &stored(4, 9, None, None));
        c.put(2, "elsewhere", c.epoch(), &stored(1, 7, None, None));
        c.apply(Change::Session { tenant: 1, id: 1 });
        assert!(c.get(1, "own", at(10)).is_none());
        assert!(
            c.get(1, "sibling", at(10)).is_some(),
            "another session of the same user stays"
        );
        assert!(
            c.get(2, "elsewhere", at(10)).is_some(),
            "another tenant's row 1 is another row"
        );
        c.apply(Change::User { tenant: 1, pk: 7 });
        assert!(
            c.get(1, "sibling", at(10)).is_none(),
            "a change to the user forgets all its sessions"
        );
        c.apply(Change::User { tenant: 1, pk: 9 });
        assert!(c.get(1, "other", at(10)).is_none());
        c.apply(Change::Tenant(2));
        assert!(c.is_empty());
    }

    #[test]
    fn it_holds_at_most_its_size_and_expired_sessions_are_not_served() {
        let c = cache(3);
        for i in 0..10 {
            c.put(1, &format!("h{i}"), c.epoch(), &stored(i, i, None, None));
        }
        assert_eq!(c.len(), 3);
        assert!(c.get(1, "h9", at(10)).is_some());
        assert!(c.get(1, "h0", at(10)).is_none());
        assert!(c.get(1, "h9", at(11)).is_none(), "expired at 11:00");
        assert_eq!(c.len(), 2);
        // The links of pushed-out entries went with them.
        let inner = c.lock().unwrap();
        assert!(inner.links.by_source.len() <= 2 * 2);
    }

    #[test]
    fn a_feed_whose_heartbeat_lapsed_serves_nothing_and_forgets_what_it_kept() {
        let c = cache(10);
        c.put(1, "h", c.epoch(), &stored(1, 1, None, None));
        c.lock().unwrap().lease_until = Some(Instant::now() - Duration::from_millis(1));
        assert!(c.get(1, "h", at(10)).is_none(), "not vouched for");
        c.put(1, "new", c.epoch(), &stored(2, 2, None, None));
        c.beat();
        assert!(c.get(1, "h", at(10)).is_none(), "kept through a lapse: forgotten");
        assert!(c.is_empty());
        c.put(1, "h", c.epoch(), &stored(1, 1, None, None));
        c.beat();
        assert!(c.get(1, "h", at(10)).is_some(), "a beat in time keeps what is kept");
    }

    #[test]
    fn a_size_of_zero_keeps_nothing() {
        let c = cache(0);
        c.put(1, "h", c.epoch(), &stored(1, 1, None, None));
        assert!(c.get(1, "h", at(10)).is_none());
        assert!(!c.is_up());
    }
}
