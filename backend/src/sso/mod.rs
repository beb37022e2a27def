//! The domain services, independent of HTTP. Both REST surfaces, the web UI and the CLI are thin adapters over
//! these calls. Each takes a [`Ctx`] rather than reading globals or the clock.

pub mod account_state;
pub mod address;
pub mod admin;
pub mod administrators;
pub mod apps;
pub mod attr;
pub mod audit;
pub mod audit_log;
pub mod audit_words;
pub mod bootstrap;
pub mod brute_force;
pub mod cleanup;
pub mod clock;
pub mod common_passwords;
pub mod context;
pub mod error;
pub mod gauges;
pub mod key_rotation;
pub mod limits;
pub mod login;
pub mod mail_templates;
pub mod oidc;
pub mod outbox_delivery;
pub mod pacing;
pub mod passkeys;
pub mod password_policy;
pub mod password_reset;
pub mod search;
pub mod security_notices;
pub mod session;
pub mod session_cache;
pub mod session_end;
pub mod settings;
pub mod signup;
pub mod tenant;
pub mod tenant_cache;
pub mod tenant_setup;
pub mod time_zone;
pub mod totp;
pub mod totp_enrolment;
pub mod user;
pub mod user_admin;
pub mod user_agent;
pub mod user_write;
pub mod zato_import;

pub use admin::{Admin, Operator};
pub use clock::Clock;
pub use context::{Actor, Ctx};
pub use error::{Kind, SsoError, SsoResult};
pub use tenant::{Tenant, TenantStatus};
pub use user::{NewUser, UserRef};

use crate::config::{Config, TenantPolicy};
use crate::crypto::keyring::Keyring;
use crate::crypto::keys::{self, KeyError};
use crate::crypto::password::{HashError, Hasher, Password};
use crate::store::{Store, StoreError, TenantPk};
use bootstrap::BootstrapReport;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The services and what they share. Cloning is cheap.
#[derive(Clone)]
pub struct Sso {
    pub config: Arc<Config>,
    pub store: Store,
    pub hasher: Hasher,
    pub keyring: Keyring,
    pub clock: Clock,
    pub mailer: Arc<crate::mail::Mailer>,
    pub metrics: Arc<crate::metrics::Metrics>,
    policies: PolicyCache,
    tenants: tenant_cache::TenantCache,
    /// Verified sessions in memory, and what keeps them (and the tenant cache) current.
    sessions: session_cache::SessionCache,
    watcher: Arc<session_cache::CacheWatcher>,
    signing_keys: oidc::signing::KeyCache,
    /// The passkeys' relying party (off when the public address is not a domain).
    pub relying_party: passkeys::RelyingParty,
}

/// Effective policies by tenant, with the settings version they were read at.
type PolicyCache = Arc<Mutex<HashMap<TenantPk, (i64, Arc<TenantPolicy>)>>>;

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Keys(#[from] KeyError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Hash(#[from] HashError),
    #[error("first start: {0}")]
    Bootstrap(String),
    #[error("{0}")]
    Mail(#[from] crate::mail::MailError),
}

/// What opening the services did.
#[derive(Debug)]
pub struct Startup {
    pub sso: Sso,
    pub migrations_applied: usize,
    pub generated_key_file: Option<String>,
    pub bootstrap: Option<BootstrapReport>,
    /// The database role sees past row-level security (PostgreSQL superuser or `BYPASSRLS`).
    pub bypasses_row_security: bool,
}

impl Sso {
    /// Loads the keys (generating one on the embedded store), opens and migrates the store, starts the hashing
    /// pool and runs first start.
    pub async fn open(
        config: Config,
        clock: Clock,
        bootstrap_password: Option<Password>,
    ) -> Result<Startup, StartupError> {
        let loaded = keys::load(&config)?;
        let keyring = Keyring::new(&loaded.keys).ok_or(KeyError::Invalid(1))?;
        let store = Store::open_with_wait(
            config.database.url.expose(),
            config.database_kind(),
            config.database.pool_size,
            std::time::Duration::from_millis(config.database.pool_wait_ms),
        )?;
        let migrate_store = store.clone();
        let (migrations_applied, bypasses_row_security) = tokio::task::spawn_blocking(move || {
            Ok::<_, StoreError>((migrate_store.migrate()?, migrate_store.bypasses_row_security()?))
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))??;
        let lookup = key_rotation::lookup_key(&store, &keyring, clock.now()).await?;
        let keyring = keyring.with_lookup_key(lookup);
        let hasher = Hasher::start(&config.hashing)?;
        let mailer = Arc::new(crate::mail::Mailer::from_config(&config.mail)?);
        let metrics = Arc::new(crate::metrics::Metrics::new(store.pool_wait()));
        let relying_party = passkeys::RelyingParty::from_config(&config);
        if let Some(why) = relying_party.off_reason() {
            tracing::warn!("passkeys are off: {why}");
        }
        let tenants = tenant_cache::TenantCache::default();
        let sessions = session_cache::SessionCache::new(config.server.session_cache_entries);
        let watcher = Arc::new(session_cache::CacheWatcher {
            sessions: sessions.clone(),
            tenants: tenants.clone(),
        });
        let sso = Sso {
            relying_party,
            config: Arc::new(config),
            metrics,
            store,
            hasher,
            keyring,
            clock,
            mailer,
            policies: Arc::default(),
            tenants,
            sessions,
            watcher,
            signing_keys: oidc::signing::KeyCache::default(),
        };
        let bootstrap = sso.bootstrap(bootstrap_password).await.map_err(|e| match e.code() {
            Some(code) => StartupError::Bootstrap(format!(
                "GATEHOUSE_BOOTSTRAP_PASSWORD was refused: {} ({})",
                code.meaning(),
                code.code()
            )),
            None => StartupError::Bootstrap(e.to_string()),
        })?;
        Ok(Startup {
            sso,
            migrations_applied,
            generated_key_file: loaded.generated_into,
            bootstrap,
            bypasses_row_security,
        })
    }

    /// Starts following the store's changes, which puts the session cache to use (a server does; the CLI,
    /// short-lived, reads every session from the database). Once per service.
    pub fn follow_changes(&self) -> std::io::Result<()> {
        let watcher: Arc<dyn crate::store::changes::Watcher> = self.watcher.clone();
        self.store.watch(Arc::downgrade(&watcher))
    }

    /// The cache of verified sessions (for tests and the metrics).
    pub fn session_cache(&self) -> &session_cache::SessionCache {
        &self.sessions
    }

    /// A context for a call of a trusted local caller (the CLI) in `tenant`.
    pub fn cli_ctx(&self, tenant: Tenant) -> Ctx {
        Ctx {
            cid: "cli".to_owned(),
            tenant,
            current_app: "gatehouse-cli".to_owned(),
            remote_addr: None,
            user_agent: None,
            now: self.clock.now(),
            actor: Actor::cli(),
            app_key: None,
            web_ui: false,
        }
    }
}
