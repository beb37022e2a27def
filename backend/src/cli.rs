//! The `gatehouse` command line: `serve` (the default), `migrate`, `tenant ...`, `user ...`, `keys ...`,
//! `mail list`, `audit verify`, `config check`.
//! Passwords come only from standard input. Each failure prints one line on stderr and exits non-zero:
//! 1 for a general failure, 3 for an unknown tenant or user, 4 for something that already exists, 5 for a value
//! a policy rejects, 6 for an audit log found altered (2 is clap's usage error).

use crate::config::{Config, ConfigError, Sources};
use crate::crypto::password::Password;
use crate::http::Application;
use crate::sso::{Clock, NewUser, Sso, SsoError, TenantStatus, UserRef};
use clap::{Args, Parser, Subcommand};
use gatehouse_shared::SubStatus;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Gatehouse: a multi-tenant single sign-on service"
)]
pub struct Cli {
    /// Configuration file (default: gatehouse.toml in the working directory, if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Fernet keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The mail outbox.
    #[command(subcommand)]
    Mail(MailCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Bring users over from another system.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The OpenID Provider.
    #[command(subcommand)]
    Oidc(OidcCommand),
}

#[derive(Debug, Subcommand)]
pub enum OidcCommand {
    /// Add the next ID-token signing key of every tenant (or one): published in the JWKS now, signing from
    /// oidc.key_publication_minutes later; the keys it replaces stay published until their tokens have expired.
    RotateKeys {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import the users (with their user attributes) of a Zato ODB into a tenant; a second run skips those
    /// already imported.
    Zato {
        /// The Zato ODB: postgres://... or sqlite://PATH.
        #[arg(long = "from", value_name = "URL")]
        from: String,
        /// Zato's Fernet key (secrets.conf, [secret_keys] key1); `-` reads it from standard input, which keeps
        /// it out of the process list and the shell's history.
        #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
        zato_key: String,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration (the --config file, or gatehouse.toml, plus GATEHOUSE__ variables) without
    /// starting anything; print the first problem with its key.
    Check,
    /// Print the reference configuration: every key with its description, set to its built-in default (what
    /// gatehouse.example.toml holds).
    Example,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of every tenant's audit log (or one tenant's) and report the first broken link.
    Verify {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List queued, sent and failed messages (never their bodies).
    List {
        /// Only the messages given up on.
        #[arg(long)]
        failed: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant, with its first administrator when --admin is given.
    Create {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        /// The first administrator's username: a super-user, approved.
        #[arg(long, value_name = "USERNAME")]
        admin: Option<String>,
        /// The administrator's e-mail address; without --admin-password-stdin an invitation goes there.
        #[arg(long, value_name = "ADDRESS", requires = "admin")]
        admin_email: Option<String>,
        /// Read the administrator's password from standard input (changed at their first login).
        #[arg(long, requires = "admin")]
        admin_password_stdin: bool,
    },
    /// List tenants.
    List,
    /// Suspend a tenant: its logins and sessions stop working.
    Suspend { slug: String },
    /// Resume a suspended tenant.
    Resume { slug: String },
}

#[derive(Debug, Args)]
pub struct UserTarget {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub username: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (approved unless --pending); the password is read from standard input.
    Create {
        #[command(flatten)]
        target: UserTarget,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        super_user: bool,
        /// Leave the user waiting for approval.
        #[arg(long)]
        pending: bool,
        #[arg(long)]
        email: Option<String>,
        /// A base32 TOTP key (80 bits or more); turns 2FA on.
        #[arg(long, value_name = "BASE32")]
        totp_key: Option<String>,
        #[arg(long)]
        must_change: bool,
        #[arg(long, value_name = "N")]
        password_expiry_days: Option<u32>,
        #[arg(long)]
        password_expired: bool,
    },
    Lock(UserTarget),
    Unlock(UserTarget),
    Approve(UserTarget),
    Reject(UserTarget),
    /// Turn 2FA off and forget the TOTP key.
    ResetTotp(UserTarget),
    /// Set a user's password, read from standard input.
    SetPassword {
        #[command(flatten)]
        target: UserTarget,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        must_change: bool,
        #[arg(long, value_name = "N")]
        password_expiry_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new Fernet key.
    Generate,
    /// Re-seal every stored sealed value (TOTP keys, e-mails, encrypted attributes) under the first key of
    /// crypto.fernet_keys, after checking that each opens. Put the new key first on every instance, keeping the
    /// old ones after it, before running this.
    Rotate {
        /// Only check and report; write nothing.
        #[arg(long)]
        check: bool,
    },
}

/// A failure to report: one line, one exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub exit: u8,
}

impl Failure {
    fn new(exit: u8, message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            exit,
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::new(1, e.to_string())
    }
}

/// Describes a domain error for an operator; `subject` names what the command was about.
fn describe(e: SsoError, subject: &str) -> Failure {
    if let SsoError::Invalid { .. } = &e {
        return Failure::new(1, format!("{subject}: {e} (E008002)"));
    }
    match e.code() {
        Some(SubStatus::TenantNoSuchTenant) => Failure::new(3, format!("no such tenant: {subject}")),
        Some(SubStatus::UserIdInvalid) => Failure::new(3, format!("no such user: {subject}")),
        Some(SubStatus::UsernameExists) => Failure::new(4, format!("{subject} already exists (E001002)")),
        Some(SubStatus::CommonInvalidOperation) if subject.starts_with("tenant") => Failure::new(
            4,
            format!("{subject}: not possible (it exists already, or it is the system tenant)"),
        ),
        Some(code) if code.code().starts_with("E003") => Failure::new(
            5,
            format!(
                "the password policy rejected the password: {} ({} {})",
                code.meaning(),
                code.code(),
                code.name()
            ),
        ),
        Some(code) => Failure::new(
            1,
            format!("{subject}: {} ({} {})", code.meaning(), code.code(), code.name()),
        ),
        None => Failure::new(1, format!("{subject}: {e}")),
    }
}

fn read_password() -> Result<Password, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(1, format!("cannot read the password from standard input: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Failure::new(1, "no password on standard input"));
    }
    Ok(Password::new(password))
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = actix_web::rt::System::new().block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("gatehouse: {}", failure.message);
            ExitCode::from(failure.exit)
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Keys(KeysCommand::Generate) = command {
        println!("{}", crate::crypto::keys::generate());
        return Ok(());
    }
    if let Command::Config(ConfigCommand::Check) = command {
        return config_check(cli.config.as_deref());
    }
    if let Command::Config(ConfigCommand::Example) = command {
        print!("{}", crate::config::catalogue::example_file());
        return Ok(());
    }
    let loaded = Config::load(Sources::from_process(cli.config.as_deref()))?;
    crate::telemetry::init(&loaded.config.log);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    if matches!(command, Command::Serve) {
        // Secrets serialize as `[redacted]`: what is printed is what runs, minus what must not be seen.
        match serde_json::to_string(&loaded.config) {
            Ok(effective) => tracing::info!(config = %effective, "effective configuration"),
            Err(e) => tracing::warn!(error = %e, "cannot print the effective configuration"),
        }
    }
    if matches!(command, Command::Serve) {
        first_start_in_child(cli.config.as_deref())?;
    }
    let bootstrap_password = std::env::var("GATEHOUSE_BOOTSTRAP_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(Password::new);
    let startup = Sso::open(loaded.config, Clock::System, bootstrap_password)
        .await
        .map_err(|e| Failure::new(1, e.to_string()))?;
    if let Some(path) = &startup.generated_key_file {
        tracing::info!(path = %path, "no Fernet key configured: generated one for the embedded store");
    }
    if startup.bypasses_row_security {
        tracing::warn!(
            "the database role is a superuser or has BYPASSRLS: row-level security cannot isolate tenants; connect as an ordinary role that owns the tables"
        );
    }
    if startup.migrations_applied > 0 {
        tracing::info!(count = startup.migrations_applied, "applied database migrations");
    }
    if let Some(report) = &startup.bootstrap {
        print!("{}", report.announcement_at(&startup.sso.config.server.public_url));
    }
    let sso = startup.sso;
    match command {
        Command::Serve => serve(sso).await,
        Command::Migrate => {
            if std::env::var_os(FIRST_START_CHILD).is_none() {
                println!("database schema is current");
            }
            Ok(())
        }
        Command::Tenant(cmd) => tenant(&sso, cmd).await,
        Command::User(cmd) => user(&sso, cmd).await,
        Command::Keys(KeysCommand::Generate) | Command::Config(_) => Ok(()),
        Command::Mail(MailCommand::List { failed }) => mail_list(&sso, failed).await,
        Command::Audit(AuditCommand::Verify { tenant }) => audit_verify(&sso, tenant).await,
        Command::Keys(KeysCommand::Rotate { check }) => keys_rotate(&sso, check).await,
        Command::Oidc(OidcCommand::RotateKeys { tenant }) => oidc_rotate_keys(&sso, tenant).await,
        Command::Import(ImportCommand::Zato { from, zato_key, tenant }) => {
            import_zato(&sso, &from, &zato_key, &tenant).await
        }
    }
}

/// Set in the environment of the `migrate` child a server starts with, which then says nothing on success.
const FIRST_START_CHILD: &str = "GATEHOUSE_FIRST_START_CHILD";

/// What a server does once at start (pending migrations; on a new store the first administrator, whose password
/// passes the policy, and a generated key) runs in a `gatehouse migrate` child with the same configuration, so
/// the long-lived process keeps none of that work's memory: the password checker's dictionaries alone are some
/// 5 MB, loaded for good by their first use. The server then opens a store that is ready. Where the binary cannot
/// be found again, the server does the work itself.
fn first_start_in_child(config: Option<&std::path::Path>) -> Result<(), Failure> {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            tracing::warn!(error = %e, "cannot find this binary again: first start runs in the server's process");
            return Ok(());
        }
    };
    let mut child = std::process::Command::new(exe);
    if let Some(path) = config {
        // One argument, so a path that begins with `-` stays a path.
        let mut arg = std::ffi::OsString::from("--config=");
        arg.push(path);
        child.arg(arg);
    }
    child.arg("migrate").env(FIRST_START_CHILD, "1");
    let status = match child.status() {
        Ok(status) => status,
        Err(e) if runs_in_process_instead(e.kind()) => {
            tracing::warn!(error = %e, "cannot run this binary again: first start runs in the server's process");
            return Ok(());
        }
        Err(e) => {
            return Err(Failure::new(
                1,
                format!("cannot run `gatehouse migrate` before serving: {e}"),
            ));
        }
    };
    if status.success() {
        Ok(())
    } else {
        // The child said why on standard error.
        Err(Failure::new(
            1,
            format!("first start (`gatehouse migrate`) failed ({status}): not serving"),
        ))
    }
}

/// Whether a child that could not be spawned for this reason leaves the first start to the server's own
/// process: the binary is gone (replaced on disk) or may not be run again (an exec policy). Any other failure
/// stops the server.
fn runs_in_process_instead(kind: std::io::ErrorKind) -> bool {
    matches!(
        kind,
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
    )
}

async fn import_zato(sso: &Sso, from: &str, zato_key: &str, tenant: &str) -> Result<(), Failure> {
    let key_text = if zato_key == "-" {
        read_password()?.expose().to_owned()
    } else {
        zato_key.to_owned()
    };
    let key = crate::sso::zato_import::ZatoKey::new(&key_text).ok_or_else(|| {
        Failure::new(
            1,
            "--zato-key is not a Fernet key (Zato's secrets.conf [secret_keys] key1)",
        )
    })?;
    let tenant = sso
        .resolve_tenant(tenant)
        .await
        .map_err(|e| describe(e, &format!("tenant `{tenant}`")))?;
    let ctx = sso.cli_ctx(tenant);
    let report = sso
        .import_zato(&ctx, from, &key)
        .await
        .map_err(|e| describe(e, "import zato"))?;
    for user in &report.imported {
        println!("imported\t{user}");
    }
    for user in &report.skipped {
        println!("skipped\t{user}\t(already in the tenant)");
    }
    for line in &report.failed {
        println!("failed\t{line}");
    }
    println!(
        "{} imported ({} attributes), {} skipped, {} failed",
        report.imported.len(),
        report.attrs,
        report.skipped.len(),
        report.failed.len()
    );
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            1,
            format!(
                "import zato: {} users could not be imported (listed above)",
                report.failed.len()
            ),
        ))
    }
}

async fn keys_rotate(sso: &Sso, check: bool) -> Result<(), Failure> {
    let keys = crate::crypto::keys::load(&sso.config).map_or(0, |loaded| loaded.keys.len());
    if keys < 2 {
        return Err(Failure::new(
            1,
            "keys rotate: one Fernet key is configured, so there is nothing to rotate to: make a key with \
             `gatehouse keys generate`, put it first in crypto.fernet_keys on every instance with the old key after \
             it, restart them, then run `gatehouse keys rotate`",
        ));
    }
    let report = sso.rotate_keys(check).await.map_err(|e| describe(e, "keys rotate"))?;
    println!(
        "{} keys configured: the first seals, all open. {} tenants, {} sealed values already under the first key.",
        report.keys, report.tenants, report.current
    );
    if !report.unreadable.is_empty() {
        for cell in &report.unreadable {
            println!("unreadable: {cell}");
        }
        return Err(Failure::new(
            1,
            format!(
                "keys rotate: {} stored values open with none of the configured keys (listed above); nothing was \
                 re-sealed. Add back the key that sealed them (after the first) and run again",
                report.unreadable.len()
            ),
        ));
    }
    let verb = if check { "to re-seal" } else { "re-sealed" };
    let columns: Vec<String> = report.resealed.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!(
        "{verb} under the first key: {} ({})",
        report.resealed_total(),
        if columns.is_empty() {
            "none".to_owned()
        } else {
            columns.join(", ")
        }
    );
    match report.older_keys_needed_until {
        Some(until) if report.live_sessions > 0 => println!(
            "{} live sessions may hold USTs sealed with an older key; keep the older keys configured until {} UTC \
             (their absolute lifetime), check that `gatehouse keys rotate --check` finds nothing left to re-seal, \
             then remove them from crypto.fernet_keys on every instance.",
            report.live_sessions,
            until.format("%Y-%m-%d %H:%M")
        ),
        _ if check => println!("no live sessions: once the values are re-sealed, the older keys may be removed."),
        _ => println!("no live sessions: once every instance has the new key first, the older keys may be removed."),
    }
    if check {
        println!("checked only: nothing was written");
    }
    Ok(())
}

/// `config check`: loads as `serve` would, then checks what loading leaves to start-up (the Fernet keys).
/// Unknown keys, which `serve` only warns about, are problems here: they are usually typos.
fn config_check(file: Option<&std::path::Path>) -> Result<(), Failure> {
    let source = match file {
        Some(path) => path.display().to_string(),
        None if std::path::Path::new("gatehouse.toml").is_file() => "gatehouse.toml".to_owned(),
        None => "the built-in defaults (no gatehouse.toml here)".to_owned(),
    };
    let loaded = Config::load(Sources::from_process(file))?;
    let (unknown, ignored): (Vec<&String>, Vec<&String>) = loaded
        .warnings
        .iter()
        .partition(|w| w.starts_with("unknown configuration"));
    if let Some(first) = unknown.first() {
        return Err(Failure::new(1, format!("configuration: {first}")));
    }
    crate::crypto::keys::check_configured(&loaded.config)
        .map_err(|e| Failure::new(1, format!("configuration: {e}")))?;
    for warning in ignored {
        eprintln!("gatehouse: warning: {warning}");
    }
    println!("configuration OK: {source}");
    Ok(())
}

/// The tenant named, or every tenant.
async fn tenants_of(sso: &Sso, only: Option<&str>) -> Result<Vec<crate::sso::Tenant>, Failure> {
    Ok(match only {
        Some(slug) => vec![
            sso.resolve_tenant(slug)
                .await
                .map_err(|e| describe(e, &format!("tenant `{slug}`")))?,
        ],
        None => sso.list_tenants().await.map_err(|e| describe(e, "tenants"))?,
    })
}

async fn oidc_rotate_keys(sso: &Sso, only: Option<String>) -> Result<(), Failure> {
    for t in tenants_of(sso, only.as_deref()).await? {
        let slug = t.slug.to_string();
        let rotated = sso
            .rotate_signing_keys(&sso.cli_admin(t))
            .await
            .map_err(|e| describe(e, "signing keys"))?;
        for r in rotated {
            println!(
                "tenant `{slug}`: {} key {} published, signing from {} UTC",
                r.alg, r.kid, r.signs_from
            );
        }
    }
    Ok(())
}

async fn audit_verify(sso: &Sso, only: Option<String>) -> Result<(), Failure> {
    let tenants = tenants_of(sso, only.as_deref()).await?;
    let mut broken = None;
    for t in tenants {
        match sso.verify_audit(&t).await.map_err(|e| describe(e, "audit"))? {
            Ok(n) => println!("tenant `{}`: {n} entries, chain intact", t.slug),
            Err(link) => {
                println!(
                    "tenant `{}`: chain broken at entry {}: {}",
                    t.slug, link.id, link.reason
                );
                broken.get_or_insert((t.slug.to_string(), link.id));
            }
        }
    }
    match broken {
        None => Ok(()),
        Some((slug, id)) => Err(Failure::new(
            6,
            format!("the audit log of tenant `{slug}` was altered at entry {id}"),
        )),
    }
}

async fn mail_list(sso: &Sso, failed_only: bool) -> Result<(), Failure> {
    let rows = sso
        .all_mail()
        .await
        .map_err(|e| Failure::new(1, format!("mail list: {e}")))?;
    let tenants: std::collections::HashMap<i64, String> = sso
        .list_tenants()
        .await
        .map_err(|e| describe(e, "tenants"))?
        .into_iter()
        .map(|t| (t.pk, t.slug.to_string()))
        .collect();
    for row in rows.iter().filter(|r| !failed_only || r.failed_time.is_some()) {
        let state = match (row.sent_time, row.failed_time) {
            (Some(t), _) => format!("sent {t}"),
            (None, Some(t)) => format!("failed {t}"),
            (None, None) => format!("queued, next attempt {}", row.next_attempt_time),
        };
        println!(
            "{}\t{}\t{}\t{}\tattempts={}\t{}\t{}",
            row.id,
            tenants.get(&row.tenant_id).map_or("?", String::as_str),
            row.kind,
            row.recipient,
            row.attempts,
            state,
            row.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

async fn serve(sso: Sso) -> Result<(), Failure> {
    let bind = sso.config.server.bind.clone();
    sso.spawn_cleanup();
    sso.spawn_mail_sender();
    sso.spawn_gauges();
    let app = Application::build(sso).map_err(|e| Failure::new(1, format!("cannot listen: {e}")))?;
    match app.metrics_port() {
        Some(metrics_port) => {
            tracing::info!(address = %bind, port = app.port(), metrics_port, "Gatehouse is listening")
        }
        None => tracing::info!(address = %bind, port = app.port(), "Gatehouse is listening"),
    }
    app.run_until_stopped()
        .await
        .map_err(|e| Failure::new(1, format!("server stopped: {e}")))
}

async fn tenant(sso: &Sso, cmd: TenantCommand) -> Result<(), Failure> {
    match cmd {
        TenantCommand::Create {
            slug,
            name,
            admin: Some(username),
            admin_email,
            admin_password_stdin,
        } => {
            let email = admin_email
                .as_deref()
                .map(crate::domain::Email::parse)
                .transpose()
                .map_err(|_| Failure::new(1, format!("--admin-email {admin_email:?} is not an e-mail address")))?;
            if email.is_none() && !admin_password_stdin {
                return Err(Failure::new(
                    1,
                    "the administrator needs --admin-email (for the invitation) or --admin-password-stdin",
                ));
            }
            let password = if admin_password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let invited = password.is_none();
            let first = crate::sso::tenant_setup::FirstAdministrator {
                username,
                email,
                password,
            };
            let op = sso.cli_operator().await.map_err(|e| describe(e, "the system tenant"))?;
            let (t, user) = sso
                .create_tenant_with_administrator(&op, &slug, name.as_deref(), first)
                .await
                .map_err(|e| describe(e, &format!("tenant `{slug}`")))?;
            println!("created tenant `{}` ({})", t.slug, t.display_name);
            if invited {
                println!(
                    "created administrator `{}` ({}); the invitation is in the outbox",
                    user.username, user.user_id
                );
            } else {
                println!(
                    "created administrator `{}` ({}); they choose a new password at their first login",
                    user.username, user.user_id
                );
            }
        }
        TenantCommand::Create { slug, name, .. } => {
            let t = sso
                .create_tenant(&slug, name.as_deref(), crate::sso::Actor::cli(), "cli")
                .await
                .map_err(|e| match e.code() {
                    Some(SubStatus::CommonInvalidInput) => Failure::new(
                        1,
                        format!("invalid tenant slug {slug:?}: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit"),
                    ),
                    _ => describe(e, &format!("tenant `{slug}`")),
                })?;
            println!("created tenant `{}` ({})", t.slug, t.display_name);
        }
        TenantCommand::List => {
            for t in sso.list_tenants().await.map_err(|e| describe(e, "tenants"))? {
                println!("{}\t{}\t{}", t.slug, t.status.as_str(), t.display_name);
            }
        }
        TenantCommand::Suspend { slug } => set_status(sso, &slug, TenantStatus::Suspended).await?,
        TenantCommand::Resume { slug } => set_status(sso, &slug, TenantStatus::Active).await?,
    }
    Ok(())
}

async fn set_status(sso: &Sso, slug: &str, status: TenantStatus) -> Result<(), Failure> {
    let subject = format!("tenant `{slug}`");
    let tenant = sso.resolve_tenant(slug).await.map_err(|e| describe(e, &subject))?;
    let op = sso.cli_operator().await.map_err(|e| describe(e, "tenant `system`"))?;
    let t = sso
        .set_tenant_status(&op, tenant, status)
        .await
        .map_err(|e| match e.code() {
            Some(SubStatus::CommonInvalidOperation) => Failure::new(1, "the system tenant cannot be suspended"),
            _ => describe(e, &subject),
        })?;
    println!("tenant `{}` is {}", t.slug, t.status.as_str());
    Ok(())
}

async fn user(sso: &Sso, cmd: UserCommand) -> Result<(), Failure> {
    let target = match &cmd {
        UserCommand::Create { target, .. }
        | UserCommand::SetPassword { target, .. }
        | UserCommand::Lock(target)
        | UserCommand::Unlock(target)
        | UserCommand::Approve(target)
        | UserCommand::Reject(target)
        | UserCommand::ResetTotp(target) => target,
    };
    let tenant = sso
        .resolve_tenant(&target.tenant)
        .await
        .map_err(|e| describe(e, &format!("tenant `{}`", target.tenant)))?;
    let admin = sso.cli_admin(tenant);
    let subject = format!("user `{}` in tenant `{}`", target.username, target.tenant);
    let who = UserRef::Username(target.username.clone());
    let fail = |e: SsoError| describe(e, &subject);
    match cmd {
        UserCommand::Create {
            target,
            super_user,
            pending,
            email,
            totp_key,
            must_change,
            password_expiry_days,
            password_expired,
            ..
        } => {
            let password = read_password()?;
            let row = sso
                .create_user(
                    &admin,
                    NewUser {
                        username: target.username.clone(),
                        password: Some(password),
                        email,
                        is_super_user: super_user,
                        auto_approve: !pending,
                        must_change,
                        password_expiry_days,
                        password_expired,
                        totp_key,
                        ..NewUser::default()
                    },
                )
                .await
                .map_err(|e| match e.code() {
                    Some(SubStatus::CommonInvalidInput) => {
                        Failure::new(1, "--totp-key is not a base32 key of at least 80 bits")
                    }
                    Some(SubStatus::UsernameInvalid) => {
                        Failure::new(1, format!("invalid username {:?}", target.username))
                    }
                    _ => fail(e),
                })?;
            println!("created {subject}: {} ({})", row.user_id, row.approval_status);
        }
        UserCommand::SetPassword {
            must_change,
            password_expiry_days,
            ..
        } => {
            let password = read_password()?;
            sso.set_password(&admin, &who, password, must_change, password_expiry_days)
                .await
                .map_err(fail)?;
            println!("password set for {subject}");
        }
        UserCommand::Lock(_) => {
            sso.lock_user(&admin, &who).await.map_err(fail)?;
            println!("locked {subject}");
        }
        UserCommand::Unlock(_) => {
            sso.unlock_user(&admin, &who).await.map_err(fail)?;
            println!("unlocked {subject}");
        }
        UserCommand::Approve(_) => {
            sso.approve_user(&admin, &who).await.map_err(fail)?;
            println!("approved {subject}");
        }
        UserCommand::Reject(_) => {
            sso.reject_user(&admin, &who).await.map_err(fail)?;
            println!("rejected {subject}");
        }
        UserCommand::ResetTotp(_) => {
            sso.reset_totp(&admin, &who).await.map_err(fail)?;
            println!("2FA reset for {subject}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::runs_in_process_instead;
    use std::io::ErrorKind;

    #[test]
    fn a_missing_or_forbidden_binary_falls_back_and_other_failures_stop() {
        assert!(runs_in_process_instead(ErrorKind::NotFound));
        assert!(runs_in_process_instead(ErrorKind::PermissionDenied));
        assert!(!runs_in_process_instead(ErrorKind::OutOfMemory));
        assert!(!runs_in_process_instead(ErrorKind::Other));
    }
}
