//! Storage: one Diesel code path for PostgreSQL and SQLite through a `MultiConnection`, an r2d2 pool, embedded
//! migrations per backend, and units of work that run in one transaction knowing their tenant.
//!
//! Each table has its own module of plain query functions taking a connection.

pub mod address_lists;
pub mod app_keys;
pub mod attrs;
pub mod audit;
pub mod changes;
pub mod email_tokens;
pub mod keyring_meta;
pub mod login_continuations;
pub mod oidc;
pub mod oidc_grants;
pub mod outbox;
pub mod passkeys;
pub mod password_resets;
pub mod pending_work;
pub mod pg_calls;
pub mod preferences;
pub mod request_counters;
pub mod reset_requests;
pub mod schema;
pub mod sealed;
pub mod sessions;
pub mod settings;
pub mod tenants;
pub mod totp;
pub mod user_search;
pub mod users;
pub mod zato_odb;

use crate::config::DatabaseKind;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The database key of a tenant (`tenants.id`).
pub type TenantPk = i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool timed out).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    /// The blocking task running a unit of work failed (it panicked): a bug, not an outage.
    #[error("a database task failed: {0}")]
    Task(String),
    /// A foreign database (a Zato ODB to import from) cannot be opened.
    #[error("{0}")]
    Source(String),
    /// A stored value the domain cannot read (a status no version of Gatehouse writes): a bug or a hand edit.
    #[error("a stored value cannot be read: {0}")]
    Corrupt(String),
}

impl From<diesel::result::Error> for StoreError {
    /// A connection that broke under a query (the server restarted or went away) makes the database
    /// unavailable, like a refused connection; anything else is an error of the query.
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost = match &e {
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                true
            }
            Error::DatabaseError(_, info) => {
                let message = info.message();
                [
                    "terminating connection",
                    "server closed the connection",
                    "connection to server",
                    "the database system is shutting down",
                    "the database system is starting up",
                    "no connection to the server",
                ]
                .iter()
                .any(|sign| message.contains(sign))
            }
            Error::BrokenTransactionManager => true,
            _ => false,
        };
        if lost {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Query(e)
        }
    }
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The error of a transaction around a unit of work with its own error type: the work's, or the transaction's
/// own (classified as [`StoreError`] classifies it), so the work's type needs no conversion from Diesel's.
enum WorkError<E> {
    Store(StoreError),
    Work(E),
}

impl<E> From<diesel::result::Error> for WorkError<E> {
    fn from(e: diesel::result::Error) -> Self {
        WorkError::Store(StoreError::from(e))
    }
}

/// A pooled connection and the tenant its PostgreSQL session names (`gatehouse.tenant_id` at session level), so
/// a unit of work for the same tenant as the connection's last one needs no round trip to name it.
pub struct Conn {
    any: AnyConnection,
    named: Named,
    /// When the connection last proved that it works (opened, a unit of work succeeded, a check answered);
    /// `None` after a unit of work failed, which may have been the connection failing.
    proved: Option<Instant>,
}

/// How long a connection that proved it works is handed out without asking the server first: a pool under load
/// hands its connections out again within microseconds, and a round trip of `SELECT 1` before each unit of work
/// would double a one-statement read. One idle for longer, or whose last work failed, is asked first (so a
/// database restart during a quiet moment costs no request).
const PROVED_FOR: Duration = Duration::from_secs(1);

/// What the session's `gatehouse.tenant_id` is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// Not known (a statement setting it failed): set it before the next use.
    Unknown,
    Nobody,
    Tenant(TenantPk),
}

impl Conn {
    /// Records how a unit of work on this connection ended: a success proves the connection works; a failure
    /// (perhaps the connection's) has it asked before its next use.
    fn outcome<T, E>(&mut self, result: Result<T, E>) -> Result<T, E> {
        self.proved = result.is_ok().then(Instant::now);
        result
    }

    /// Whether a transaction is still open on this connection, or its state is unknown.
    fn in_transaction_or_broken(&mut self) -> bool {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let depth = match &mut self.any {
            AnyConnection::Postgresql(pg) => {
                AnsiTransactionManager::transaction_manager_status_mut(pg).transaction_depth()
            }
            AnyConnection::Sqlite(lite) => {
                AnsiTransactionManager::transaction_manager_status_mut(lite).transaction_depth()
            }
        };
        !matches!(depth, Ok(None))
    }

    /// Makes the session name `tenant` (or nobody) unless it already does. Set at session level, outside any
    /// transaction, so it holds until the next unit of work names another; units of work always name theirs, so
    /// a connection never carries one tenant's name into another's work. A no-op on SQLite.
    fn name(&mut self, tenant: Option<TenantPk>) -> StoreResult<()> {
        let wanted = tenant.map_or(Named::Nobody, Named::Tenant);
        let AnyConnection::Postgresql(pg) = &mut self.any else {
            return Ok(());
        };
        if self.named == wanted {
            return Ok(());
        }
        self.named = Named::Unknown;
        let value = tenant.map(|t| t.to_string()).unwrap_or_default();
        diesel::select(pg_calls::set_config(pg_calls::TENANT_SETTING, value, false))
            .execute(pg)
            .inspect_err(|_| self.proved = None)?;
        self.named = wanted;
        Ok(())
    }
}

/// Opens connections of the configured kind. Written out rather than `ConnectionManager<AnyConnection>`, whose
/// `establish` tries each backend in turn with the same URL: here the URL's scheme decides, and every SQLite
/// connection gets the pragmas concurrent requests need.
#[derive(Debug, Clone)]
struct Manager {
    url: String,
    kind: DatabaseKind,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Conn, r2d2::Error> {
        let any = self.connect_any()?;
        Ok(Conn {
            any,
            named: Named::Nobody,
            proved: Some(Instant::now()),
        })
    }

    /// Asked at every check-out: a connection that proved it works within [`PROVED_FOR`] is trusted, any other
    /// answers `SELECT 1` first.
    fn is_valid(&self, conn: &mut Conn) -> Result<(), r2d2::Error> {
        if conn.proved.is_some_and(|t| t.elapsed() < PROVED_FOR) {
            return Ok(());
        }
        conn.any.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)?;
        conn.proved = Some(Instant::now());
        Ok(())
    }

    /// A connection that comes back inside a transaction (its unit of work panicked, or a rollback failed) or
    /// whose transaction manager is broken cannot be trusted with another unit of work: every later write on it
    /// would be a savepoint of a transaction that never commits. r2d2 then drops it, which ends the
    /// transaction on the server, and opens a fresh one when needed.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.in_transaction_or_broken()
    }
}

impl Manager {
    fn connect_any(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.kind {
            DatabaseKind::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseKind::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

/// The pool and what kind of store it reaches.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    /// For a connection outside the pool (readiness under load).
    manager: Manager,
    kind: DatabaseKind,
    /// SQLite has one writer at a time, and a deferred transaction that reads and then writes can fail at once
    /// with "database is locked" whatever `busy_timeout` says. Units of work on SQLite therefore take turns
    /// within the process; PostgreSQL needs no such thing.
    sqlite_turn: Arc<Mutex<()>>,
    /// How long callers waited for a pooled connection (registered with the metrics).
    pool_wait: prometheus::Histogram,
    /// Who is told of the changes the database records, and how a unit of work waits to have heard its own
    /// ([`changes`]).
    hub: changes::Hub,
}

/// What the pool holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: only the kind is shown.
        f.debug_struct("Store").field("kind", &self.kind).finish()
    }
}

impl Store {
    /// Opens a pool whose callers wait up to 5 s for a connection; see [`Store::open_with_wait`].
    pub fn open(url: &str, kind: DatabaseKind, pool_size: u32) -> StoreResult<Store> {
        Store::open_with_wait(url, kind, pool_size, Duration::from_secs(5))
    }

    /// Opens a pool whose callers wait up to `wait` for a connection (and, with the database down, are then
    /// answered unavailable); for SQLite the file's directory is created. Fails fast when the database cannot be
    /// reached.
    pub fn open_with_wait(url: &str, kind: DatabaseKind, pool_size: u32, wait: Duration) -> StoreResult<Store> {
        if let DatabaseKind::Sqlite(path) = &kind
            && let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let manager = Manager {
            url: url.to_owned(),
            kind: kind.clone(),
        };
        let pool = Pool::builder()
            .max_size(pool_size)
            // No idle minimum: r2d2 refills one in the background, and a process (the CLI) that exits while a
            // background thread is inside libpq's connect can crash in OpenSSL's exit handlers.
            .min_idle(Some(0))
            .connection_timeout(wait)
            .build(manager.clone())
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let pool_wait = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "gatehouse_db_pool_wait_seconds",
                "Time spent waiting for a database connection from the pool.",
            )
            .buckets(vec![0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0]),
        )
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Store {
            pool,
            manager,
            kind,
            sqlite_turn: Arc::default(),
            pool_wait,
            hub: changes::Hub::default(),
        })
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }

    pub fn is_postgres(&self) -> bool {
        self.kind == DatabaseKind::Postgres
    }

    /// Waits for this process's turn to use an SQLite store; a no-op on PostgreSQL.
    fn turn(&self) -> Option<MutexGuard<'_, ()>> {
        match self.kind {
            DatabaseKind::Sqlite(_) => Some(self.sqlite_turn.lock().unwrap_or_else(|e| e.into_inner())),
            DatabaseKind::Postgres => None,
        }
    }

    fn conn(&self) -> StoreResult<PooledConnection<Manager>> {
        let timer = self.pool_wait.start_timer();
        let conn = self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()));
        timer.observe_duration();
        conn
    }

    /// The histogram of pool waits, for the metrics registry.
    pub fn pool_wait(&self) -> &prometheus::Histogram {
        &self.pool_wait
    }

    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            open: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Applies pending migrations; returns how many ran. Concurrent instances on PostgreSQL take turns.
    pub fn migrate(&self) -> StoreResult<usize> {
        let mut conn = self.conn()?;
        let migrated = match &mut conn.any {
            AnyConnection::Postgresql(pg) => {
                pg.batch_execute("SELECT pg_advisory_lock(7243117)")?;
                let result = pg
                    .run_pending_migrations(PG_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(|e| StoreError::Migration(e.to_string()));
                pg.batch_execute("SELECT pg_advisory_unlock(7243117)")?;
                result?
            }
            AnyConnection::Sqlite(lite) => lite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| StoreError::Migration(e.to_string()))?,
        };
        Ok(migrated)
    }

    /// Whether the database role can see past row-level security (a superuser or a `BYPASSRLS` role), which
    /// would leave tenant isolation to the application's filters alone. Always false on SQLite.
    pub fn bypasses_row_security(&self) -> StoreResult<bool> {
        #[derive(diesel::QueryableByName)]
        struct Bypass {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            bypass: bool,
        }
        let mut conn = self.conn()?;
        match &mut conn.any {
            AnyConnection::Postgresql(pg) => {
                let row: Bypass = diesel::sql_query(
                    "SELECT (rolsuper OR rolbypassrls) AS bypass FROM pg_roles WHERE rolname = current_user",
                )
                .get_result(pg)?;
                Ok(row.bypass)
            }
            AnyConnection::Sqlite(_) => Ok(false),
        }
    }

    /// Whether the database answers, and then whether every migration has been applied. An idle pooled
    /// connection is used if there is one; when every one is busy (load, not an outage) the question goes on a
    /// connection of its own, so a saturated pool does not make every instance look unready at once.
    pub fn readiness(&self) -> StoreResult<bool> {
        if let Some(mut pooled) = self.pool.try_get() {
            return no_pending_migration(&mut pooled.any).map_err(|e| StoreError::Unavailable(e.to_string()));
        }
        let mut own = self
            .manager
            .connect_any()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        no_pending_migration(&mut own).map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Whether every migration has been applied.
    pub fn migrations_current(&self) -> StoreResult<bool> {
        no_pending_migration(&mut self.conn()?.any)
    }

    /// Runs a unit of work that is not tenant-scoped (tenant lookup and lifecycle) in one transaction, on a
    /// blocking thread. On PostgreSQL it names no tenant, so row-level security shows it no tenant-owned row:
    /// work over every tenant (cleanup, mail delivery) goes tenant by tenant through [`Store::tenant`].
    pub async fn global<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> StoreResult<T> + Send + 'static,
    {
        let store = self.clone();
        blocking(move || store.global_sync(work)).await
    }

    /// Runs a unit of work for one tenant in one transaction, on a blocking thread. The connection names its
    /// tenant (`gatehouse.tenant_id` on PostgreSQL), so row-level security can enforce it underneath.
    pub async fn tenant<T, F>(&self, tenant: TenantPk, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> StoreResult<T> + Send + 'static,
    {
        let store = self.clone();
        blocking(move || store.tenant_sync(tenant, work)).await
    }

    /// Like [`Store::tenant`], for work whose own errors (a refusal found inside the transaction) must roll it
    /// back: any error type that storage errors convert into. A failure of the transaction itself (BEGIN,
    /// COMMIT or ROLLBACK) arrives as the [`StoreError`] it is classified as.
    pub async fn tenant_with<T, E, F>(&self, tenant: TenantPk, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        self.work_with(Some(tenant), work).await
    }

    /// Like [`Store::global`], for work whose own errors must roll it back (see [`Store::tenant_with`]).
    pub async fn global_with<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        self.work_with(None, work).await
    }

    /// One transaction on a blocking thread, naming `tenant` (or none), whose work's own errors roll it back.
    async fn work_with<T, E, F>(&self, tenant: Option<TenantPk>, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        let task = tokio::task::spawn_blocking(move || store.unit(tenant, work));
        task.await.map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// One transaction naming `tenant` (or none), whose work's own errors roll it back; once it has committed,
    /// this instance has heard of the changes it made to what the session cache keeps ([`changes`]).
    fn unit<T, E>(
        &self,
        tenant: Option<TenantPk>,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let turn = self.turn();
        let mut conn = self.conn()?;
        conn.name(tenant)?;
        let hub = &self.hub;
        let result = conn
            .any
            .transaction(|c| {
                let value = work(c).map_err(WorkError::Work)?;
                let heard = hub.before_commit(c).map_err(WorkError::Store)?;
                Ok((value, heard))
            })
            .map_err(|e| match e {
                WorkError::Store(e) => E::from(e),
                WorkError::Work(e) => e,
            });
        let (value, heard) = conn.outcome(result)?;
        hub.after_commit(&mut conn.any, &heard);
        drop(conn);
        drop(turn);
        hub.wait(heard);
        Ok(value)
    }

    /// The synchronous form of [`Store::tenant`], for code already on a blocking thread.
    pub fn tenant_sync<T>(
        &self,
        tenant: TenantPk,
        work: impl FnOnce(&mut AnyConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.unit(Some(tenant), work)
    }

    /// Runs a read for one tenant that is a single statement, without a transaction around it: on PostgreSQL one
    /// round trip when the connection already names the tenant, two when it must name it first (rather than the
    /// four of BEGIN, naming, reading and COMMIT). Row-level security applies as in [`Store::tenant`].
    pub async fn tenant_read<T, F>(&self, tenant: TenantPk, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> StoreResult<T> + Send + 'static,
    {
        let store = self.clone();
        blocking(move || {
            let _turn = store.turn();
            let mut conn = store.conn()?;
            conn.name(Some(tenant))?;
            let result = read(&mut conn.any);
            conn.outcome(result)
        })
        .await
    }

    /// The synchronous form of [`Store::global`].
    pub fn global_sync<T>(&self, work: impl FnOnce(&mut AnyConnection) -> StoreResult<T>) -> StoreResult<T> {
        self.unit(None, work)
    }
}

/// Whether every embedded migration of the connection's backend has been applied.
fn no_pending_migration(any: &mut AnyConnection) -> StoreResult<bool> {
    let pending = match any {
        AnyConnection::Postgresql(pg) => pg.has_pending_migration(PG_MIGRATIONS),
        AnyConnection::Sqlite(lite) => lite.has_pending_migration(SQLITE_MIGRATIONS),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(!pending)
}

/// Names the tenant of the current transaction (PostgreSQL's `gatehouse.tenant_id`, local to the
/// transaction), which the row-level security policies compare every tenant-owned row with. Tenant-scoped
/// units of work have theirs named by the store; a global unit calls this once it has created the tenant it
/// works for.
pub fn enter_tenant(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::select(pg_calls::set_config(pg_calls::TENANT_SETTING, tenant.to_string(), true)).execute(pg)?;
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

/// Truncates to whole microseconds: PostgreSQL keeps microseconds, SQLite nanoseconds, and a time must read
/// back the same from both.
pub fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1000).unwrap_or(t)
}
