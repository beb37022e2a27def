//! The test harness: a fresh database per test (a PostgreSQL database owned by an ordinary role, or an SQLite
//! file in a temporary directory), light Argon2 parameters, and the real application on a random port.

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gatehouse::config::{Config, SecretList};
use gatehouse::http::Application;
use gatehouse::sso::{Clock, Ctx, Sso};
use std::sync::OnceLock;
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[actix_rt::test]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
            #[actix_rt::test]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
        }
    };
}

/// The role tests connect as: it owns its databases and is not a superuser, so row-level security applies.
pub const TEST_ROLE: &str = "gatehouse_test";

pub fn pg_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_PG_ADMIN")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn pg_host_port() -> String {
    let admin = pg_admin_url();
    let after_at = admin.split('@').nth(1).unwrap_or("127.0.0.1:5432/postgres");
    let after_at = after_at.split('?').next().unwrap_or(after_at);
    after_at.split('/').next().unwrap_or("127.0.0.1:5432").to_owned()
}

fn ensure_role() {
    static ROLE: OnceLock<()> = OnceLock::new();
    ROLE.get_or_init(|| {
        let mut admin = PgConnection::establish(&pg_admin_url()).expect("PostgreSQL must be reachable for the tests");
        admin
            .batch_execute(&format!(
                "DO $$ BEGIN
                   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TEST_ROLE}') THEN
                     CREATE ROLE {TEST_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
                   END IF;
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                 END $$;"
            ))
            .expect("create the test role");
    });
}

/// A fresh, empty database.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: TempDir,
    /// The Fernet key every configuration of this database uses on PostgreSQL (the store remembers its keys).
    pub key: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                backend,
                url: format!("sqlite://{}", dir.path().join("gatehouse.db").display()),
                dir,
                key: gatehouse::crypto::keys::generate(),
                pg_name: None,
            },
            Backend::Postgres => {
                ensure_role();
                let name = format!(
                    "gh_test_{}",
                    gatehouse::crypto::random_urlsafe(9)
                        .to_lowercase()
                        .replace(['-', '_'], "x")
                );
                let mut admin = PgConnection::establish(&pg_admin_url()).expect("PostgreSQL must be reachable");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name} OWNER {TEST_ROLE}"))
                    .expect("create the test database");
                TestDb {
                    backend,
                    url: format!("postgres://{TEST_ROLE}@{}/{name}?sslmode=disable", pg_host_port()),
                    dir,
                    key: gatehouse::crypto::keys::generate(),
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut admin) = PgConnection::establish(&pg_admin_url())
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A configuration for tests: the database, light hashing, a random port, keys in the temp dir.
pub fn test_config(db: &TestDb) -> Config {
    let mut config = Config::default();
    config.database.url = gatehouse::config::Secret::new(db.url.clone());
    config.database.pool_size = 4;
    config.server.bind = "127.0.0.1:0".to_owned();
    // Metrics beside everything else, so tests scrape them where they call the API.
    config.server.metrics_bind = String::new();
    config.hashing.argon2_memory_kib = 256;
    config.hashing.argon2_iterations = 1;
    config.hashing.workers = 2;
    config.crypto.key_file = db.dir.path().join("fernet.key").display().to_string();
    config.mail.file_dir = db.dir.path().join("mail").display().to_string();
    if db.backend == Backend::Postgres {
        config.crypto.fernet_keys = SecretList::new(vec![db.key.clone()]);
    }
    config
}

pub fn start_time() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("a valid date")
}

/// The services on a fresh database, with a manual clock.
pub struct TestSso {
    pub sso: Sso,
    /// Held so the database lives as long as the services.
    db: TestDb,
}

impl TestSso {
    pub async fn open(backend: Backend) -> TestSso {
        Self::open_with(backend, |_| {}).await
    }

    pub async fn open_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestSso {
        capture_logs();
        let db = TestDb::new(backend);
        let mut config = test_config(&db);
        adjust(&mut config);
        let startup = Sso::open(config, Clock::manual(start_time()), None)
            .await
            .expect("open the services");
        TestSso { sso: startup.sso, db }
    }

    /// The database the services use.
    pub fn db(&self) -> &TestDb {
        &self.db
    }

    /// A context in `tenant` acting as the CLI would.
    pub async fn ctx(&self, tenant: &str) -> Ctx {
        let tenant = self.sso.resolve_tenant(tenant).await.expect("tenant exists");
        self.sso.cli_ctx(tenant)
    }
}

/// The application running on a random port.
pub struct TestApp {
    pub base: String,
    pub services: TestSso,
    pub client: awc::Client,
    /// Where `/metrics` is served when `server.metrics_bind` puts it on its own listener.
    pub metrics_base: Option<String>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let services = TestSso::open_with(backend, adjust).await;
        let app = Application::build(services.sso.clone()).expect("bind");
        let base = format!("http://127.0.0.1:{}", app.port());
        let metrics_base = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
        actix_rt::spawn(app.into_server());
        TestApp {
            base,
            services,
            client: test_client(),
            metrics_base,
        }
    }

    /// A second application instance on the same database, with its own caches and clock at the same time.
    pub async fn second_instance(&self) -> (String, Sso) {
        let config = (*self.services.sso.config).clone();
        let clock = Clock::manual(self.services.sso.clock.now());
        let startup = Sso::open(config, clock, None).await.expect("open a second instance");
        let app = Application::build(startup.sso.clone()).expect("bind");
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_rt::spawn(app.into_server());
        (base, startup.sso)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// Reads a response's JSON body.
pub async fn json_body<S>(res: &mut awc::ClientResponse<S>) -> serde_json::Value
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let bytes = res.body().await.expect("read body");
    serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
}

/// The Python the tests use (Fernet interoperability, the SMTP server): `GATEHOUSE_TEST_PYTHON`, the project's
/// `.venv` (made by `just setup` when the system Python lacks a package), or `python3`.
pub fn python() -> String {
    if let Ok(p) = std::env::var("GATEHOUSE_TEST_PYTHON") {
        return p;
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    if std::path::Path::new(venv).exists() {
        venv.to_owned()
    } else {
        "python3".to_owned()
    }
}

/// A real SMTP server on loopback (Python's aiosmtpd), storing what it receives in a maildir.
pub struct SmtpServer {
    child: std::process::Child,
    dir: TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl SmtpServer {
    pub fn start(port: u16) -> SmtpServer {
        let dir = tempfile::tempdir().expect("maildir");
        let child = std::process::Command::new(python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("maildir"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd (just setup installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer { child, dir };
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.path().join("maildir").join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Undoes quoted-printable soft breaks and `=3D`, enough to read links out of a received message.
pub fn readable(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// The token of a link in a message: what follows `marker` up to the end of the URL.
/// The token after `marker` in a mail or a page; being a secret (a one-time token, a TOTP key, a form
/// token), it is also remembered for the log scan.
pub fn token_in(text: &str, marker: &str) -> String {
    let start = text.find(marker).unwrap_or_else(|| panic!("no {marker} in {text}")) + marker.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    remember_secret(&token);
    token
}

/// Every message in the outbox, tenant by tenant (row-level security shows a transaction only its tenant's).
pub async fn outbox_rows(sso: &gatehouse::sso::Sso) -> Vec<gatehouse::store::outbox::OutboxRow> {
    // What the outbox worker sees on its next pass: password-reset requests are resolved into messages first.
    sso.resolve_reset_requests().await.unwrap();
    sso.all_mail().await.unwrap()
}

/// Everything the services log during the whole test run, at trace level: every test's logs are scanned for
/// secrets when its services are dropped (see [`assert_no_secrets_logged`]).
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
/// Exact secrets a test used and registered, looked for in the logs besides the patterns.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log event of the process, at trace level, into the shared buffer (once).
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| LogSink)
            .try_init();
    });
}

pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
}

/// Registers a secret a test used, so the scan looks for it.
pub fn remember_secret(secret: &str) {
    if secret.len() >= 6 {
        SECRETS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(secret.to_owned());
    }
}

/// Fails if the logs hold a secret: a Fernet token (every UST, sealed value and continuation starts with
/// `gAAAAA`), a raw session secret (`zust`) or session id (`zses`), the tests' passwords (most say
/// `passphrase`), or any secret a test registered.
pub fn assert_no_secrets_logged() {
    // Incremental, so the whole suite's scans stay linear: new log text is searched for every secret, and
    // newly registered secrets are searched for in the text already scanned.
    static SCANNED: std::sync::Mutex<(usize, usize)> = std::sync::Mutex::new((0, 0));
    let mut scanned = SCANNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Scanned in place, under the buffer's lock, rather than copied at every test's end.
    let buffer = LOGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let logs = String::from_utf8_lossy(&buffer);
    let registered = SECRETS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let (old_logs, old_secrets) = *scanned;
    let old_logs = old_logs.min(logs.len());
    let end = logs.rfind('\n').map_or(0, |i| i + 1).max(old_logs);
    let new_secrets = &registered[old_secrets.min(registered.len())..];
    let leak = first_leak(&logs[old_logs..end], &registered).or_else(|| {
        (!new_secrets.is_empty())
            .then(|| find_any(&logs[..old_logs], new_secrets))
            .flatten()
    });
    if let Some((secret, line)) = leak {
        panic!("a secret ({secret:.4}...) reached the logs: {line}");
    }
    *scanned = (end, registered.len());
}

/// How every Fernet token, raw session secret and session id begins. They count as found only where a token
/// begins (not after a letter or digit): a random correlation id such as `zcid...hzses...` holds them by chance.
const TOKEN_PREFIXES: [&str; 3] = ["gAAAAA", "zust", "zses"];

/// The first secret found in `logs` (the fixed patterns, then `registered`), with its line.
pub fn first_leak(logs: &str, registered: &[String]) -> Option<(String, String)> {
    let patterns: Vec<String> = TOKEN_PREFIXES
        .into_iter()
        .chain(["passphrase", "Passphrase"])
        .map(str::to_owned)
        .chain(registered.iter().cloned())
        .collect();
    find_any(logs, &patterns)
}

/// The first of `patterns` found in `logs`, with its line.
fn find_any(logs: &str, patterns: &[String]) -> Option<(String, String)> {
    let searcher = aho_corasick::AhoCorasick::new(patterns).ok()?;
    let found = searcher.find_iter(logs).find(|m| {
        let inside_a_word = logs[..m.start()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        !(inside_a_word && TOKEN_PREFIXES.contains(&patterns[m.pattern().as_usize()].as_str()))
    })?;
    let start = logs[..found.start()].rfind('\n').map_or(0, |i| i + 1);
    let end = logs[found.end()..].find('\n').map_or(logs.len(), |i| found.end() + i);
    Some((
        patterns[found.pattern().as_usize()].to_owned(),
        logs[start..end].to_owned(),
    ))
}

impl Drop for TestSso {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_no_secrets_logged();
        }
    }
}

/// A user's stored row, for tests that look at columns no surface shows (hashes, sealed keys, lock columns).
pub async fn stored_user(
    sso: &Sso,
    ctx: &Ctx,
    who: &gatehouse::sso::UserRef,
) -> Result<gatehouse::store::users::UserRow, gatehouse::sso::SsoError> {
    let pk = ctx.tenant.pk;
    let who = who.clone();
    sso.store
        .tenant(pk, move |conn| match &who {
            gatehouse::sso::UserRef::Username(n) => gatehouse::store::users::by_username(conn, pk, n),
            gatehouse::sso::UserRef::Id(id) => gatehouse::store::users::by_user_id(conn, pk, id),
        })
        .await?
        .ok_or_else(gatehouse::sso::user::not_found)
}

/// The domain's view of a stored row.
pub fn as_user(sso: &Sso, row: &gatehouse::store::users::UserRow) -> gatehouse::domain::User {
    row.to_user(&sso.keyring).unwrap()
}

/// The tests' HTTP client. awc gives up after 5 s by default; on these 2 cores, with many tests hashing at once,
/// a login can wait longer than that in the queue, so the tests wait as long as a patient client would.
pub fn test_client() -> awc::Client {
    awc::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .finish()
}
