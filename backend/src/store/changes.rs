//! Changes to what a cached session check depends on (a session's row, its user's row or allow-list, its
//! tenant's row), told to whoever keeps such a cache.
//!
//! The database's own triggers record every change, whoever makes it (another instance, the CLI, an operator's
//! SQL): PostgreSQL sends them as `NOTIFY gatehouse_cache` when the transaction commits, and a thread of each
//! instance listens on a connection of its own; on SQLite they go into `cache_changes`, which the same thread
//! reads in order. No store function has to remember to tell anyone: a write that reaches those rows is heard.
//!
//! The instance that made a change hears of it before it answers: on PostgreSQL a unit of work whose
//! transaction touched those rows (the triggers mark it) sends one notification more, `sync INSTANCE N`, in the
//! same transaction, and waits after the commit until its listener has read it, and with it every notification
//! of that transaction (they arrive in commit order); on SQLite the unit reads `cache_changes` itself after its
//! commit.
//!
//! A watcher is told when its feed is up (everything before may have been missed) and when it is lost (changes
//! may be missed from now on): a cache must then be emptied and read through until the feed is back.

use super::{AnyConnection, Manager, TenantPk};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// The channel the PostgreSQL triggers notify.
pub const CHANNEL: &str = "gatehouse_cache";

/// One change, as precise as the writer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// A session's row was updated or deleted (its app sessions hang on it and go with it).
    Session { tenant: TenantPk, id: i64 },
    /// A user's row or allow-list was written, or the user deleted.
    User { tenant: TenantPk, pk: i64 },
    /// The tenant's row (status, settings version) was written, or the tenant deleted.
    Tenant(TenantPk),
    /// Too many to name, or some may have been missed: everything.
    Everything,
}

impl Change {
    /// A change as the triggers record it: its kind, tenant and key.
    pub fn parse(kind: &str, tenant: TenantPk, key: i64) -> Option<Change> {
        match kind {
            "session" => Some(Change::Session { tenant, id: key }),
            "user" => Some(Change::User { tenant, pk: key }),
            "tenant" => Some(Change::Tenant(tenant)),
            "everything" => Some(Change::Everything),
            _ => None,
        }
    }

    /// A NOTIFY payload: `session T ID`, `user T PK`, `tenant T` or `everything` (a table truncated). Anything
    /// else is ignored by the caller.
    pub fn from_payload(payload: &str) -> Option<Change> {
        if payload == "everything" {
            return Some(Change::Everything);
        }
        let mut words = payload.split(' ');
        let kind = words.next()?;
        let tenant: TenantPk = words.next()?.parse().ok()?;
        let key: i64 = match words.next() {
            Some(key) => key.parse().ok()?,
            None => tenant,
        };
        if words.next().is_some() {
            return None;
        }
        Change::parse(kind, tenant, key)
    }
}

/// Who is told of changes (a cache of verified sessions).
pub trait Watcher: Send + Sync {
    fn changed(&self, change: Change);
    /// The feed is up (`true`: nothing is missed from now on) or lost (`false`: changes may be missed).
    fn feed(&self, up: bool);
    /// The feed's heartbeat came back through it: every change recorded before it has been told.
    fn beat(&self);
}

/// The watcher of a store, once one is set (held weakly, so a dropped service stops its feed), and what a
/// unit of work needs to hear its own changes.
#[derive(Clone)]
pub(super) struct Hub {
    shared: Arc<Shared>,
}

struct Shared {
    watcher: OnceLock<Weak<dyn Watcher>>,
    /// Names this process's `sync` notifications among every instance's.
    instance: u64,
    syncs: Mutex<Syncs>,
    /// A sync arrived, or the feed went down.
    arrived: Condvar,
    /// A unit of work waits: the feed reads at once, and keeps reading quickly until it has what is waited for.
    wake: Condvar,
    /// SQLite: the last row of `cache_changes` told.
    told_through: Mutex<i64>,
}

#[derive(Default)]
struct Syncs {
    up: bool,
    /// Units of work waiting for their sync.
    waiters: usize,
    /// Syncs read back, not yet collected by their unit (one whose unit gave up waiting stays until the set is
    /// emptied, at [`ARRIVED_AT_MOST`] or when the feed goes down).
    arrived: HashSet<u64>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            shared: Arc::new(Shared {
                watcher: OnceLock::new(),
                instance: crate::crypto::random_u128() as u64,
                syncs: Mutex::default(),
                arrived: Condvar::new(),
                wake: Condvar::new(),
                told_through: Mutex::new(0),
            }),
        }
    }
}

/// What a committed unit of work still has to do so that its instance has heard of its changes.
#[must_use]
pub(super) enum Heard {
    /// Nothing watched was touched, or nobody watches.
    Already,
    /// Wait for this sync notification (PostgreSQL).
    Sync(u64),
    /// Read `cache_changes` (SQLite).
    Table,
}

/// More syncs read back and not collected than this empties the set (a unit still waiting gives up in time).
const ARRIVED_AT_MOST: usize = 4096;

/// How long a unit of work waits for its own sync before it has the whole cache forgotten instead.
const SYNC_WAIT: Duration = Duration::from_secs(2);

impl Hub {
    fn watcher(&self) -> Option<Arc<dyn Watcher>> {
        self.shared.watcher.get().and_then(Weak::upgrade)
    }

    fn syncs(&self) -> std::sync::MutexGuard<'_, Syncs> {
        self.shared.syncs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_up(&self) -> bool {
        self.syncs().up
    }

    /// The last statement of a unit of work's transaction: on PostgreSQL, when a trigger marked it, the sync
    /// notification this instance will wait for.
    pub(super) fn before_commit(&self, conn: &mut AnyConnection) -> super::StoreResult<Heard> {
        // Whenever a feed is followed, up or not: one coming up while this unit commits must not be missed
        // (a feed that is down is not waited for).
        if self.shared.watcher.get().is_none() {
            return Ok(Heard::Already);
        }
        let AnyConnection::Postgresql(pg) = conn else {
            return Ok(Heard::Table);
        };
        // Random, so that no other role that can LISTEN can answer a unit's wait for it.
        let n = crate::crypto::random_u128() as u64;
        let payload = format!("sync {} {n}", self.shared.instance);
        let touched: bool = diesel::select(super::pg_calls::gatehouse_commit_sync(payload)).get_result(pg)?;
        Ok(if touched { Heard::Sync(n) } else { Heard::Already })
    }

    /// After the commit, on the unit's connection: on SQLite, tells what the unit recorded.
    pub(super) fn after_commit(&self, conn: &mut AnyConnection, heard: &Heard) {
        let (Heard::Table, AnyConnection::Sqlite(lite)) = (heard, conn) else {
            return;
        };
        let Some(w) = self.watcher() else { return };
        if !self.is_up() {
            return;
        }
        // Everything recorded up to this commit, however many rows.
        loop {
            match self.tell_recorded(lite, &*w) {
                Ok(told) if told < TABLE_BATCH => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("the session cache could not read its own changes, so it forgets everything: {e}");
                    w.changed(Change::Everything);
                    return;
                }
            }
        }
    }

    /// After the connection went back to the pool: on PostgreSQL, waits until the sync has been read back, so
    /// every notification of the unit has been told. A feed that does not answer in time has everything
    /// forgotten.
    pub(super) fn wait(&self, heard: Heard) {
        let Heard::Sync(n) = heard else { return };
        let deadline = Instant::now() + SYNC_WAIT;
        let mut syncs = self.syncs();
        syncs.waiters += 1;
        self.shared.wake.notify_one();
        let heard = loop {
            if syncs.arrived.remove(&n) {
                break true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if !syncs.up || left.is_zero() {
                break false;
            }
            syncs = self
                .shared
                .arrived
                .wait_timeout(syncs, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        syncs.waiters -= 1;
        drop(syncs);
        if !heard && let Some(w) = self.watcher() {
            w.changed(Change::Everything);
        }
    }

    /// A sync notification read back by the feed.
    fn sync_arrived(&self, payload: &str) {
        let mut words = payload.split(' ').skip(1);
        let (Some(instance), Some(n)) = (words.next(), words.next()) else {
            return;
        };
        if instance.parse() != Ok(self.shared.instance) {
            return;
        }
        let Ok(n) = n.parse::<u64>() else { return };
        let mut syncs = self.syncs();
        if syncs.arrived.len() >= ARRIVED_AT_MOST {
            syncs.arrived.clear();
        }
        syncs.arrived.insert(n);
        self.shared.arrived.notify_all();
    }

    fn set_up(&self, w: &dyn Watcher, up: bool) {
        let mut syncs = self.syncs();
        syncs.up = up;
        syncs.arrived.clear();
        self.shared.arrived.notify_all();
        drop(syncs);
        w.feed(up);
    }

    /// Waits up to `poll` for a unit of work to wait on the feed; returns at once while some unit does.
    fn pause(&self, poll: Duration) {
        let syncs = self.syncs();
        if syncs.waiters == 0 {
            drop(
                self.shared
                    .wake
                    .wait_timeout(syncs, poll)
                    .unwrap_or_else(|e| e.into_inner()),
            );
        } else {
            drop(syncs);
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Tells the rows of `cache_changes` recorded since the last told (SQLite), in order; a gap in their
    /// numbers (rows pruned before they were read) forgets everything.
    fn tell_recorded(&self, lite: &mut diesel::SqliteConnection, w: &dyn Watcher) -> Result<usize, String> {
        let mut told = self.shared.told_through.lock().unwrap_or_else(|e| e.into_inner());
        let rows: Vec<Recorded> = diesel::sql_query(
            "SELECT seq, kind, tenant_id, key FROM cache_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind::<diesel::sql_types::BigInt, _>(*told)
        .bind::<diesel::sql_types::BigInt, _>(TABLE_BATCH as i64)
        .load(lite)
        .map_err(|e| e.to_string())?;
        for row in &rows {
            // Rows are numbered as they commit, one writer at a time.
            if row.seq != *told + 1 {
                w.changed(Change::Everything);
            }
            *told = row.seq;
            if let Some(change) = Change::parse(&row.kind, row.tenant_id, row.key) {
                w.changed(change);
            }
        }
        Ok(rows.len())
    }
}

/// How often the feed looks for changes that arrived. libpq reads notifications without blocking but Diesel
/// offers no way to wait on its socket, so the thread looks this often: a few microseconds of work each time,
/// and at most this long added to the time another instance takes to forget.
const POLL: Duration = Duration::from_millis(5);
/// How often the PostgreSQL feed sends itself a heartbeat through the channel: its return proves that the
/// connection works and that notifications arrive, and how far behind they are.
const BEAT_EVERY: Duration = Duration::from_millis(500);
/// Rows of `cache_changes` read at a time.
const TABLE_BATCH: usize = 512;
/// How long the SQLite feed keeps rows of `cache_changes`: a reader further behind than this (a process
/// stopped in a debugger) sees the gap and forgets everything.
const KEEP_SQLITE_ROWS_SECONDS: i64 = 60;

impl super::Store {
    /// Makes `watcher` the one told of this store's changes, from a thread of its own that follows what the
    /// database records (and before a unit of work of this process that made a change ends). The thread ends when the watcher is
    /// dropped. A store has one watcher: later calls change nothing.
    pub fn watch(&self, watcher: Weak<dyn Watcher>) -> std::io::Result<()> {
        if self.hub.shared.watcher.set(watcher.clone()).is_err() {
            return Ok(());
        }
        let manager = self.manager.clone();
        let hub = self.hub.clone();
        std::thread::Builder::new()
            .name("gatehouse-changes".to_owned())
            .spawn(move || run_feed(&manager, &hub, &watcher))?;
        Ok(())
    }
}

/// Connects, follows the changes until the connection is lost, and connects again, until the watcher is gone.
fn run_feed(manager: &Manager, hub: &Hub, watcher: &Weak<dyn Watcher>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut reached = false;
        let outcome = manager
            .connect_any()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| follow(&mut conn, hub, watcher, &mut reached));
        let Some(w) = watcher.upgrade() else { return };
        hub.set_up(&*w, false);
        drop(w);
        let Err(why) = outcome else { return };
        if reached {
            tracing::warn!("the session cache's change feed was lost, sessions are read from the database: {why}");
            backoff = Duration::from_millis(100);
        } else {
            tracing::debug!("the session cache's change feed cannot connect: {why}");
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
        std::thread::sleep(backoff);
    }
}

/// Follows one connection's changes; `Ok` once the watcher is gone, `Err` when the connection fails.
/// `reached` is set once the feed was up.
fn follow(conn: &mut AnyConnection, hub: &Hub, watcher: &Weak<dyn Watcher>, reached: &mut bool) -> Result<(), String> {
    match conn {
        AnyConnection::Postgresql(pg) => follow_notifications(pg, hub, watcher, reached),
        AnyConnection::Sqlite(lite) => follow_table(lite, hub, watcher, reached),
    }
}

fn follow_notifications(
    pg: &mut diesel::PgConnection,
    hub: &Hub,
    watcher: &Weak<dyn Watcher>,
    reached: &mut bool,
) -> Result<(), String> {
    // Named for whoever reads pg_stat_activity.
    pg.batch_execute(&format!("SET application_name = 'gatehouse-changes'; LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    let Some(w) = watcher.upgrade() else { return Ok(()) };
    hub.set_up(&*w, true);
    drop(w);
    *reached = true;
    let beat = format!("beat {}", hub.shared.instance);
    let mut beaten = Instant::now() - BEAT_EVERY;
    loop {
        let Some(w) = watcher.upgrade() else { return Ok(()) };
        for notification in pg.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            let payload = notification.payload.as_str();
            if payload.starts_with("sync ") {
                hub.sync_arrived(payload);
            } else if payload == beat {
                w.beat();
            } else if let Some(change) = Change::from_payload(payload) {
                w.changed(change);
            }
        }
        drop(w);
        if beaten.elapsed() >= BEAT_EVERY {
            pg.batch_execute(&format!("SELECT pg_notify('{CHANNEL}', '{beat}')"))
                .map_err(|e| e.to_string())?;
            beaten = Instant::now();
        }
        hub.pause(POLL);
    }
}

#[derive(diesel::QueryableByName)]
struct Recorded {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    tenant_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    key: i64,
}

#[derive(diesel::QueryableByName)]
struct Last {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
}

fn follow_table(
    lite: &mut diesel::SqliteConnection,
    hub: &Hub,
    watcher: &Weak<dyn Watcher>,
    reached: &mut bool,
) -> Result<(), String> {
    let text = |e: diesel::result::Error| e.to_string();
    let Some(w) = watcher.upgrade() else { return Ok(()) };
    {
        // From the newest row on: the cache starts empty.
        let mut told = hub.shared.told_through.lock().unwrap_or_else(|e| e.into_inner());
        *told = diesel::sql_query("SELECT COALESCE(MAX(seq), 0) AS seq FROM cache_changes")
            .get_result::<Last>(lite)
            .map_err(text)?
            .seq;
        hub.set_up(&*w, true);
    }
    drop(w);
    *reached = true;
    let mut pruned = Instant::now();
    loop {
        let Some(w) = watcher.upgrade() else { return Ok(()) };
        let told = hub.tell_recorded(lite, &*w)?;
        drop(w);
        if pruned.elapsed() >= Duration::from_secs(10) {
            // A write: it waits briefly for another writer and, busy, is left for the next round, so pruning
            // never holds up the reading.
            let cutoff = chrono::Utc::now().timestamp() - KEEP_SQLITE_ROWS_SECONDS;
            let pruning = lite.batch_execute("PRAGMA busy_timeout = 50").and_then(|()| {
                diesel::sql_query("DELETE FROM cache_changes WHERE at < $1")
                    .bind::<diesel::sql_types::BigInt, _>(cutoff)
                    .execute(lite)
            });
            if let Err(e) = pruning {
                tracing::debug!("cache_changes not pruned this time: {e}");
            }
            lite.batch_execute("PRAGMA busy_timeout = 5000").map_err(text)?;
            pruned = Instant::now();
        }
        if told < TABLE_BATCH {
            // Read in full and in time: the feed vouches for itself.
            if let Some(w) = watcher.upgrade() {
                w.beat();
            }
            std::thread::sleep(POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_their_rows_and_nothing_else_is_read() {
        assert_eq!(
            Change::from_payload("session 3 41"),
            Some(Change::Session { tenant: 3, id: 41 })
        );
        assert_eq!(
            Change::from_payload("user 3 7"),
            Some(Change::User { tenant: 3, pk: 7 })
        );
        assert_eq!(Change::from_payload("tenant 9"), Some(Change::Tenant(9)));
        assert_eq!(Change::from_payload("everything"), Some(Change::Everything));
        for wrong in ["", "session", "session x 1", "user 1 2 3", "grant 1 2", "tenant 9 9 9"] {
            assert_eq!(Change::from_payload(wrong), None, "{wrong:?}");
        }
    }
}
