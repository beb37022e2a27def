//! The context every domain call takes: who is calling, from where, for which tenant, and when.

use super::login::WEB_APP;
use super::tenant::Tenant;
use crate::config::StringList;
use chrono::NaiveDateTime;

#[derive(Debug, Clone)]
pub struct Ctx {
    /// The correlation id, written to the audit log and echoed to HTTP callers.
    pub cid: String,
    pub tenant: Tenant,
    /// The calling application (the reference's `current_app`).
    pub current_app: String,
    /// The client's address, as the transport (or a trusted proxy) gave it.
    pub remote_addr: Option<String>,
    pub user_agent: Option<String>,
    pub now: NaiveDateTime,
    /// Who acts: a user id, `auto`, or the CLI's `user@host`.
    pub actor: Actor,
    /// The key the calling app presented (`X-App-Key`), if any.
    pub app_key: Option<AppKey>,
    /// Set only by the web pages' adapter: the call is the web UI's own and may act as its app
    /// (`login::WEB_APP`). Any other caller naming that app is treated as naming an unknown one.
    pub web_ui: bool,
}

impl Ctx {
    /// Whether the call is the web UI acting as its own app.
    pub fn is_web_ui(&self) -> bool {
        self.web_ui && self.current_app == WEB_APP
    }

    /// Whether the calling app is in `list`: the web UI's app always is, for the web UI alone; its name,
    /// sent by anyone else, never is.
    pub fn app_in(&self, list: &StringList) -> bool {
        self.is_web_ui() || super::login::app_listed(list, &self.current_app)
    }
}

/// An app's API key as presented by a caller. `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AppKey(pub String);

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey([redacted])")
    }
}

/// Who performs an operation, for `locked_by`, `approval_status_mod_by` and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in user (by user id).
    User(String),
    /// The CLI, as `user@host`.
    Cli(String),
    /// The system itself (configuration, first start, automatic locks).
    Auto,
    /// Nobody is logged in yet (login, sign-up).
    Anonymous,
}

impl Actor {
    /// The CLI actor for the process's user and host.
    pub fn cli() -> Actor {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".to_owned());
        Actor::Cli(format!("{user}@{host}"))
    }

    /// What `locked_by` records.
    pub fn as_locker(&self) -> String {
        match self {
            Actor::User(id) => id.clone(),
            Actor::Cli(who) => who.clone(),
            Actor::Auto | Actor::Anonymous => "auto".to_owned(),
        }
    }

    /// What `approval_status_mod_by` records: the approver's user id, or `auto` for configuration and the CLI.
    pub fn as_approver(&self) -> String {
        match self {
            Actor::User(id) => id.clone(),
            Actor::Cli(_) | Actor::Auto | Actor::Anonymous => "auto".to_owned(),
        }
    }

    /// The acting user's id, for the audit log's `current_user`.
    pub fn user_id(&self) -> Option<String> {
        match self {
            Actor::User(id) => Some(id.clone()),
            Actor::Cli(who) => Some(format!("cli:{who}")),
            Actor::Auto => Some("auto".to_owned()),
            Actor::Anonymous => None,
        }
    }
}
