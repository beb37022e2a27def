//! Typed configuration, loaded with the `config` crate: built-in defaults < `gatehouse.toml` in the working
//! directory (or `--config FILE`) < environment `GATEHOUSE__SECTION__KEY` (lists comma-separated).
//!
//! Unknown keys are warned about, never fatal; a malformed value is an error naming its key. The reference's
//! keys keep Zato's units (`session.expiry` minutes, `password.expiry` days, `password_reset.valid_for`
//! minutes); Gatehouse's own durations name their unit.

pub mod catalogue;
pub mod policy;
pub mod values;

use ipnet::IpNet;
pub use policy::TenantPolicy;
use policy::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
pub use values::{Secret, SecretList, StringList, TimeZone};

/// The whole configuration of one instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub crypto: CryptoConfig,
    pub hashing: HashingConfig,
    pub mail: MailConfig,
    pub cleanup: CleanupConfig,
    pub log: LogConfig,
    pub zato_compat: ZatoCompatConfig,
    pub oidc: OidcConfig,
    pub webauthn: WebauthnConfig,
    // The tenant defaults (sections of the reference's sso.conf): see `TenantPolicy`.
    pub main: MainSection,
    pub apps: AppsSection,
    pub login: LoginSection,
    pub password: PasswordSection,
    pub session: SessionSection,
    pub signup: SignupSection,
    pub user_validation: UserValidationSection,
    pub search: SearchSection,
    pub password_reset: PasswordResetSection,
    pub user_address_list: BTreeMap<String, StringList>,
    pub totp: TotpSection,
    pub mail_templates: BTreeMap<String, MailTemplate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub bind: String,
    /// The public origin: links sent by e-mail, the OpenID issuer, and the passkeys' relying party.
    pub public_url: String,
    /// Peers whose `X-Forwarded-For` is believed (IPs or CIDRs).
    pub trusted_proxies: StringList,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Seconds a client has to send a request's head, and again its body; slower clients get 408.
    pub request_timeout_seconds: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_seconds: u64,
    /// How long a tenant read from the database is used before it is read again: the longest a change made by
    /// another instance (suspension, settings) takes to be seen here. 0 reads it on every request.
    pub tenant_cache_ms: u64,
    /// How many verified sessions a server keeps in memory (least recently used go first), so a UST check
    /// needs no database read; 0 reads every one from the database.
    pub session_cache_entries: usize,
    /// Where `/metrics` is served: an address serves it there alone (by default on loopback, since the
    /// metrics name every tenant); empty serves it on `bind` beside everything else.
    pub metrics_bind: String,
    /// How often the gauges that need the database (live sessions per tenant, the outbox) are recounted.
    pub metrics_refresh_seconds: u64,
    /// How long `/readyz` waits for the database before answering 503.
    pub readiness_timeout_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".to_owned(),
            public_url: "http://localhost:8080".to_owned(),
            trusted_proxies: StringList::default(),
            max_body_bytes: 64 * 1024,
            request_timeout_seconds: 10,
            keep_alive_seconds: 30,
            tenant_cache_ms: 1000,
            session_cache_entries: 10_000,
            metrics_bind: "127.0.0.1:9464".to_owned(),
            metrics_refresh_seconds: 30,
            readiness_timeout_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (the embedded default) or `postgres://...`.
    pub url: Secret,
    pub pool_size: u32,
    /// How long a request waits for a pooled connection; with the database down, how long before it is
    /// answered 503 `E008005`.
    pub pool_wait_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::new("sqlite://data/gatehouse.db"),
            pool_size: 10,
            pool_wait_ms: 5000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CryptoConfig {
    /// Fernet keys, newest first: the first encrypts, all decrypt.
    pub fernet_keys: SecretList,
    /// Where the embedded store keeps a generated key when none is configured.
    pub key_file: String,
}

impl Default for CryptoConfig {
    fn default() -> Self {
        CryptoConfig {
            fernet_keys: SecretList::default(),
            key_file: "data/fernet.key".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HashingConfig {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Threads of the hashing pool; 0 means the number of cores.
    pub workers: usize,
    /// Hash jobs that may wait for a worker before new ones are refused.
    pub max_queue: usize,
    /// Longest a hash job may wait for a worker.
    pub max_wait_ms: u64,
    /// `fair` (one line per tenant, served in turn) or `fifo` (one line, for comparison).
    pub queue_order: Order,
}

/// How waiting hash jobs are ordered (`hashing.queue_order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// One line per tenant, served in turn.
    Fair,
    /// One line for everybody, first come first served.
    Fifo,
}

impl Default for HashingConfig {
    fn default() -> Self {
        HashingConfig {
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            workers: 0,
            max_queue: 256,
            max_wait_ms: 5000,
            queue_order: Order::Fair,
        }
    }
}

impl HashingConfig {
    pub fn effective_workers(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub file_dir: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_password: Secret,
    pub from: String,
    /// How long one SMTP conversation may take.
    pub smtp_timeout_seconds: u64,
    /// Attempts before a message is marked failed for operators to see.
    pub max_attempts: u32,
    /// How often the sender looks for messages due.
    pub poll_interval_seconds: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: MailTransport::File,
            file_dir: "data/mail".to_owned(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            from: "Gatehouse <gatehouse@localhost>".to_owned(),
            smtp_timeout_seconds: 10,
            max_attempts: 10,
            poll_interval_seconds: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanupConfig {
    pub interval_seconds: u64,
}

impl Default for CleanupConfig {
    fn default() -> Self {
        CleanupConfig { interval_seconds: 300 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter: `info`, `debug`, `gatehouse=debug,actix_web=warn` ...
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: "info".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ZatoCompatConfig {
    /// The tenant of `/zato/sso/...` calls without `X-Gatehouse-Tenant`.
    pub default_tenant: String,
    /// Tenant default: see `ZatoCompatPolicy`.
    pub allow_totp_toggle: bool,
}

impl Default for ZatoCompatConfig {
    fn default() -> Self {
        ZatoCompatConfig {
            default_tenant: "default".to_owned(),
            allow_totp_toggle: ZatoCompatPolicy::default().allow_totp_toggle,
        }
    }
}

/// The OpenID Provider's instance settings, and the defaults of its tenant settings (`OidcPolicy`).
/// The passkeys' relying party. Both empty: the host of `server.public_url` and its origin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebauthnConfig {
    /// The relying party's ID: a domain (passkeys are off when it is an IP address).
    pub rp_id: String,
    /// The origins the browser may report (behind a proxy, the address users open).
    pub origins: StringList,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcConfig {
    /// Outbound requests to clients' URIs (back-channel logout) may reach loopback, private and link-local
    /// addresses. Off: such a request is refused on the address actually connected to.
    pub allow_private_network_requests: bool,
    /// How long an outbound request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Attempts at delivering a back-channel logout before it is given up.
    pub backchannel_max_attempts: u32,
    /// Minutes a rotated-in signing key is published before it signs.
    pub key_publication_minutes: u64,
    /// Tenant default: see `OidcPolicy`.
    pub refresh_for_confidential_clients: bool,
    /// Tenant default: see `OidcPolicy`.
    pub offline_lifetime_days: u32,
}

impl Default for OidcConfig {
    fn default() -> Self {
        let policy = OidcPolicy::default();
        OidcConfig {
            allow_private_network_requests: false,
            request_timeout_ms: 5000,
            backchannel_max_attempts: 8,
            key_publication_minutes: 60,
            refresh_for_confidential_clients: policy.refresh_for_confidential_clients,
            offline_lifetime_days: policy.offline_lifetime_days,
        }
    }
}

/// Keys of Zato's `sso.conf` that mean nothing in Gatehouse: accepted, with a warning saying so.
const ZATO_KEYS_WITHOUT_EFFECT: &[&str] = &[
    "main.encrypt_password",
    "main.email_service",
    "main.smtp_conn",
    "backend.default",
    "sql.name",
    "hash_secret.rounds",
    "hash_secret.salt_size",
    "apps.default",
    "apps.http_header",
    "session.expiry_hook",
    "password.log_in_if_about_to_expire",
    "password.min_complexity_algorithm",
    "signup.email_required",
    "signup.password_allow_whitespace",
    "signup.callback_service_list",
    "user_validation.service",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("configuration: key `{key}`: {message}")]
    Value { key: String, message: String },
    #[error("configuration: {0}")]
    Other(String),
}

/// A loaded configuration and what it warns about.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Where the configuration comes from. `env` is the process environment in production; tests pass their own.
pub struct Sources<'a> {
    pub file: Option<&'a Path>,
    pub env: HashMap<String, String>,
}

impl Sources<'_> {
    pub fn from_process(file: Option<&Path>) -> Sources<'_> {
        Sources {
            file,
            env: std::env::vars().collect(),
        }
    }
}

impl Config {
    pub fn load(sources: Sources<'_>) -> Result<Loaded, ConfigError> {
        let mut builder = config::Config::builder();
        match sources.file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::File {
                        path: path.display().to_string(),
                        message: "no such file".to_owned(),
                    });
                }
                builder = builder.add_source(config::File::from(path.to_path_buf()).format(config::FileFormat::Toml));
            }
            None => {
                builder = builder.add_source(
                    config::File::from(PathBuf::from("gatehouse.toml"))
                        .format(config::FileFormat::Toml)
                        .required(false),
                );
            }
        }
        let env: HashMap<String, String> = sources
            .env
            .into_iter()
            .filter(|(k, _)| k.starts_with("GATEHOUSE__"))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("GATEHOUSE")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(env)),
        );
        let raw = builder.build().map_err(|e| match e {
            config::ConfigError::FileParse { uri, cause } => ConfigError::File {
                path: uri.unwrap_or_default(),
                message: one_line(&cause.to_string()),
            },
            other => ConfigError::Other(other.to_string()),
        })?;

        let warnings = unknown_keys(&raw);
        let config: Config = serde_path_to_error::deserialize(raw).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            ConfigError::Value {
                key,
                message: strip_key_suffix(&inner.to_string()),
            }
        })?;
        config.validate()?;
        Ok(Loaded { config, warnings })
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Value {
            key: key.to_owned(),
            message,
        };
        self.server
            .bind
            .parse::<SocketAddr>()
            .map_err(|e| bad("server.bind", format!("not an address:port ({e})")))?;
        for proxy in self.server.trusted_proxies.iter() {
            parse_net(proxy).ok_or_else(|| {
                bad(
                    "server.trusted_proxies",
                    format!("{proxy:?} is not an IP address or CIDR"),
                )
            })?;
        }
        if !self.server.metrics_bind.is_empty() {
            self.server
                .metrics_bind
                .parse::<SocketAddr>()
                .map_err(|e| bad("server.metrics_bind", format!("not an address:port ({e})")))?;
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp_host.is_empty() {
            return Err(bad("mail.smtp_host", "required with mail.transport = smtp".to_owned()));
        }
        if self.server.max_body_bytes == 0 {
            return Err(bad("server.max_body_bytes", "must be above 0".to_owned()));
        }
        if self.server.request_timeout_seconds == 0 {
            return Err(bad("server.request_timeout_seconds", "must be above 0".to_owned()));
        }
        DatabaseKind::parse(self.database.url.expose()).map_err(|m| bad("database.url", m.to_owned()))?;
        if self.server.session_cache_entries > 10_000_000 {
            return Err(bad(
                "server.session_cache_entries",
                "must be at most 10000000 (each entry holds a session and its user)".to_owned(),
            ));
        }
        if self.database.pool_size == 0 {
            return Err(bad("database.pool_size", "must be above 0".to_owned()));
        }
        if self.database.pool_wait_ms == 0 {
            return Err(bad("database.pool_wait_ms", "must be above 0".to_owned()));
        }
        argon2::Params::new(
            self.hashing.argon2_memory_kib,
            self.hashing.argon2_iterations,
            self.hashing.argon2_parallelism,
            None,
        )
        .map_err(|e| bad("hashing.argon2_memory_kib", format!("invalid Argon2 parameters: {e}")))?;
        for (user, list) in &self.user_address_list {
            for entry in list.iter() {
                if entry != "*" && parse_net(entry).is_none() {
                    return Err(bad(
                        &format!("user_address_list.{user}"),
                        format!("{entry:?} is not '*', an IP address or a CIDR"),
                    ));
                }
            }
        }
        self.policy().check().map_err(|e| bad(e.key, e.message))?;
        // Instance durations end up in timers and `Instant` arithmetic, which panic past their range.
        let durations: [(&str, u64, u64, &str); 12] = [
            (
                "server.tenant_cache_ms",
                self.server.tenant_cache_ms,
                3_600_000,
                "milliseconds",
            ),
            (
                "server.request_timeout_seconds",
                self.server.request_timeout_seconds,
                3_600,
                "seconds",
            ),
            (
                "server.keep_alive_seconds",
                self.server.keep_alive_seconds,
                3_600,
                "seconds",
            ),
            (
                "server.metrics_refresh_seconds",
                self.server.metrics_refresh_seconds,
                86_400,
                "seconds",
            ),
            (
                "server.readiness_timeout_ms",
                self.server.readiness_timeout_ms,
                60_000,
                "milliseconds",
            ),
            (
                "database.pool_wait_ms",
                self.database.pool_wait_ms,
                600_000,
                "milliseconds",
            ),
            ("hashing.max_wait_ms", self.hashing.max_wait_ms, 600_000, "milliseconds"),
            (
                "mail.smtp_timeout_seconds",
                self.mail.smtp_timeout_seconds,
                600,
                "seconds",
            ),
            (
                "mail.poll_interval_seconds",
                self.mail.poll_interval_seconds,
                86_400,
                "seconds",
            ),
            (
                "cleanup.interval_seconds",
                self.cleanup.interval_seconds,
                604_800,
                "seconds",
            ),
            (
                "oidc.request_timeout_ms",
                self.oidc.request_timeout_ms,
                600_000,
                "milliseconds",
            ),
            (
                "oidc.key_publication_minutes",
                self.oidc.key_publication_minutes,
                10_080,
                "minutes",
            ),
        ];
        for (key, value, max, unit) in durations {
            if value > max {
                return Err(bad(key, format!("must be at most {max} {unit}, not {value}")));
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|e| bad("log.level", e.to_string()))?;
        Ok(())
    }

    /// The tenant defaults this configuration gives.
    pub fn policy(&self) -> TenantPolicy {
        TenantPolicy {
            main: self.main.clone(),
            apps: self.apps.clone(),
            login: self.login.clone(),
            password: self.password.clone(),
            session: self.session.clone(),
            signup: self.signup.clone(),
            user_validation: self.user_validation.clone(),
            search: self.search.clone(),
            password_reset: self.password_reset.clone(),
            user_address_list: self.user_address_list.clone(),
            totp: self.totp.clone(),
            zato_compat: ZatoCompatPolicy {
                allow_totp_toggle: self.zato_compat.allow_totp_toggle,
            },
            oidc: OidcPolicy {
                refresh_for_confidential_clients: self.oidc.refresh_for_confidential_clients,
                offline_lifetime_days: self.oidc.offline_lifetime_days,
            },
            mail_templates: self.mail_templates.clone(),
        }
    }

    pub fn database_kind(&self) -> DatabaseKind {
        // validate() has accepted the URL, so this cannot fail on a loaded configuration.
        DatabaseKind::parse(self.database.url.expose())
            .unwrap_or(DatabaseKind::Sqlite(PathBuf::from("data/gatehouse.db")))
    }
}

/// The two stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite(PathBuf),
}

impl DatabaseKind {
    pub fn parse(url: &str) -> Result<DatabaseKind, &'static str> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                Err("a sqlite:// URL needs a file path")
            } else {
                Ok(DatabaseKind::Sqlite(PathBuf::from(path)))
            }
        } else {
            Err("must start with postgres://, postgresql:// or sqlite://")
        }
    }
}

/// An IP address (as a host network) or a CIDR.
pub fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// A TOML parse error spans several lines (the position, the source line, a caret, the reason): the first and
/// the last make one.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    match (lines.first(), lines.last()) {
        (Some(first), Some(last)) if lines.len() > 1 => format!("{first}: {last}"),
        _ => message.trim().to_owned(),
    }
}

/// The `config` crate appends " for key `x`" to some messages; the key is reported separately.
fn strip_key_suffix(message: &str) -> String {
    match message.find(" for key `") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Dotted paths of every key the built-in configuration knows.
fn known_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(Config::default()) {
        for (section, value) in sections {
            if let serde_json::Value::Object(fields) = value {
                for key in fields.keys() {
                    keys.insert(format!("{section}.{key}"));
                }
            }
            keys.insert(section);
        }
    }
    // Environment keys arrive lower-cased.
    keys.insert("password_reset.email_title_en_gb".to_owned());
    keys.insert("password_reset.email_title_en_us".to_owned());
    keys
}

fn unknown_keys(raw: &config::Config) -> Vec<String> {
    let known = known_keys();
    let mut warnings = Vec::new();
    let Ok(table) = raw.clone().try_deserialize::<HashMap<String, config::Value>>() else {
        return warnings;
    };
    let mut sections: Vec<_> = table.into_iter().collect();
    sections.sort_by(|a, b| a.0.cmp(&b.0));
    for (section, value) in sections {
        if section == "user_address_list" || section == "mail_templates" {
            continue;
        }
        let fields = match value.clone().into_table() {
            Ok(fields) => fields,
            Err(_) => {
                warnings.push(format!("unknown configuration key `{section}` (ignored)"));
                continue;
            }
        };
        if !known.contains(&section)
            && !ZATO_KEYS_WITHOUT_EFFECT
                .iter()
                .any(|k| k.starts_with(&format!("{section}.")))
        {
            warnings.push(format!("unknown configuration section `{section}` (ignored)"));
            continue;
        }
        let mut names: Vec<_> = fields.keys().cloned().collect();
        names.sort();
        for name in names {
            let path = format!("{section}.{name}");
            if ZATO_KEYS_WITHOUT_EFFECT.contains(&path.as_str()) {
                warnings.push(format!(
                    "configuration key `{path}` is a Zato setting that Gatehouse does not use (ignored)"
                ));
            } else if !known.contains(&path) {
                warnings.push(format!("unknown configuration key `{path}` (ignored)"));
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_matches_zato_template_with_gatehouse_changes() {
        let p = Config::default().policy();
        assert_eq!(p.apps.all, StringList::of(&["CRM"]));
        assert_eq!(p.apps.login_allowed, StringList::of(&["CRM"]));
        assert_eq!(p.password.reject_list.0.len(), 24);
        assert_eq!(p.session.expiry, 60);
        assert_eq!(p.password.expiry, 730);
        assert!(!p.signup.always_return_confirm_token);
        assert_eq!(p.totp.valid_window, 1);
    }

    /// The documented configuration (`gatehouse.example.toml`) is the built-in one, key for key, and it is
    /// exactly what the catalogue of descriptions generates (`gatehouse config example`): the file's comments and
    /// the settings page's words have one source.
    #[test]
    fn the_example_file_is_generated_from_the_catalogue_with_every_default() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../gatehouse.example.toml"));
        let loaded = Config::load(Sources {
            file: Some(path),
            env: HashMap::new(),
        })
        .expect("the example loads");
        assert_eq!(loaded.warnings, Vec::<String>::new());
        assert_eq!(loaded.config, Config::default(), "every value is the default");

        let text = std::fs::read_to_string(path).expect("read the example");
        assert!(
            text == catalogue::example_file(),
            "gatehouse.example.toml differs from what the catalogue generates: run \
             `cargo run -- config example > gatehouse.example.toml`"
        );

        let mut expected = BTreeSet::new();
        let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(Config::default()) else {
            panic!("the defaults serialize to a table");
        };
        for (section, fields) in sections {
            let serde_json::Value::Object(fields) = fields else {
                continue;
            };
            if section == "user_address_list" || section == "mail_templates" {
                assert!(text.contains(&format!("# [{section}")), "{section} is shown by example");
                continue;
            }
            expected.extend(fields.keys().map(|key| format!("{section}.{key}")));
        }
        let described: BTreeSet<String> = catalogue::SETTINGS.iter().map(catalogue::Setting::dotted).collect();
        assert_eq!(described, expected, "every key is described, and only keys that exist");
        assert_eq!(described.len(), catalogue::SETTINGS.len(), "each key once");
        for s in catalogue::SETTINGS {
            assert!(
                !s.label.is_empty() && s.about.ends_with('.') || s.about.ends_with(')'),
                "{}: a label and a sentence",
                s.dotted()
            );
            assert!(
                catalogue::SECTIONS.iter().any(|(name, _)| *name == s.section),
                "{}",
                s.section
            );
        }
    }

    #[test]
    fn database_kinds() {
        assert_eq!(
            DatabaseKind::parse("sqlite://data/x.db"),
            Ok(DatabaseKind::Sqlite(PathBuf::from("data/x.db")))
        );
        assert_eq!(DatabaseKind::parse("postgres://u@h/db"), Ok(DatabaseKind::Postgres));
        assert!(DatabaseKind::parse("mysql://x").is_err());
        assert!(DatabaseKind::parse("sqlite://").is_err());
    }

    #[test]
    fn the_session_cache_size_is_bounded_and_named_when_too_large() {
        let mut config = Config::default();
        for fine in [0, 10_000, 10_000_000] {
            config.server.session_cache_entries = fine;
            assert!(config.validate().is_ok(), "{fine}");
        }
        config.server.session_cache_entries = 10_000_001;
        match config.validate() {
            Err(ConfigError::Value { key, .. }) => assert_eq!(key, "server.session_cache_entries"),
            other => panic!("{other:?}"),
        }
    }
}
