//! A session as the domain sees it: who, from where, until when. Its secret never leaves the store layer (only
//! its hash is kept there, and the UST exists only in the caller's hands).

use chrono::NaiveDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The store's key of the session, for the services' own use.
    pub(crate) pk: i64,
    /// The store's key of the session's user.
    pub(crate) user_pk: i64,
    /// The store's key of the session's tenant.
    pub(crate) tenant_pk: i64,
    /// The public id, which lists and ends sessions without their token.
    pub session_id: String,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub remote_addr: String,
    pub user_agent: String,
    pub current_app: String,
    /// The browser's (SSO) session an app session was granted from by OpenID Connect.
    pub(crate) parent_pk: Option<i64>,
    /// When the user last logged in for this session (for an app session, its SSO session's login).
    pub auth_time: NaiveDateTime,
    /// How they proved it, as ID tokens name it (`pwd`, `otp`, `mfa`).
    pub auth_methods: Vec<String>,
    /// The scope an app session was granted.
    pub scope: Option<String>,
    /// The grant (OpenID Connect family of refreshed sessions) an app session belongs to.
    pub(crate) grant_pk: Option<i64>,
}

impl Session {
    pub fn pk(&self) -> i64 {
        self.pk
    }

    pub fn user_pk(&self) -> i64 {
        self.user_pk
    }

    pub fn tenant_pk(&self) -> i64 {
        self.tenant_pk
    }

    pub fn grant_pk(&self) -> Option<i64> {
        self.grant_pk
    }

    /// A session of the web UI's own, made by a login on its pages: the only kind an OpenID Connect
    /// authorization may be granted from.
    pub fn is_web_login(&self) -> bool {
        self.parent_pk.is_none() && self.current_app == crate::config::policy::WEB_APP
    }
}
