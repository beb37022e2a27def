//! A session as the domain sees it: who, from where, until when. Its secret never leaves the store layer (only
//! its hash is kept there, and the UST exists only in the caller's hands).

use chrono::NaiveDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The store's key of the session, for the services' own use.
    pub(crate) pk: i64,
    /// The store's key of the session's user.
    pub(crate) user_pk: i64,
    /// The public id, which lists and ends sessions without their token.
    pub session_id: String,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub remote_addr: String,
    pub user_agent: String,
    pub current_app: String,
}

impl Session {
    pub fn pk(&self) -> i64 {
        self.pk
    }

    pub fn user_pk(&self) -> i64 {
        self.user_pk
    }
}
