//! A user as the domain sees it: the account's state in typed words, the e-mail address and 2FA label in the
//! clear, and nothing secret (no password hash, no TOTP key).

use super::{ApprovalStatus, Email, SignupStatus, Username};
use chrono::NaiveDateTime;

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The store's key of the user, for the services' own use (sessions and attributes hang on it).
    pub(crate) pk: i64,
    pub user_id: String,
    pub username: Username,
    pub email: Option<Email>,
    pub email_confirmed: bool,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub is_super_user: bool,
    pub lock: Lock,
    pub approval_status: ApprovalStatus,
    pub approval_status_mod_time: NaiveDateTime,
    pub approval_status_mod_by: String,
    pub password_must_change: bool,
    pub password_last_set: NaiveDateTime,
    pub password_expiry: NaiveDateTime,
    pub sign_up_status: SignupStatus,
    pub sign_up_time: NaiveDateTime,
    pub sign_up_confirm_time: Option<NaiveDateTime>,
    pub is_totp_enabled: bool,
    /// How many passkeys the user has (each one is a second factor, and a first one as well).
    pub passkeys: u32,
    /// The label the user's authenticator shows, if one was set.
    pub totp_label: Option<String>,
}

/// Whether and how an account is locked. `time` stays after an unlock (when it was unlocked), as in the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub is_locked: bool,
    pub time: Option<NaiveDateTime>,
    pub by: Option<String>,
    /// An automatic lock (after failed logins) ends by itself at this time.
    pub until: Option<NaiveDateTime>,
}

impl Lock {
    /// Locked by hand, or automatically until a time not yet reached.
    pub fn holds_at(&self, now: NaiveDateTime) -> bool {
        self.is_locked && self.until.is_none_or(|until| now < until)
    }
}

impl User {
    pub fn pk(&self) -> i64 {
        self.pk
    }

    /// Whether a password alone no longer finishes a login: TOTP is on, or the user has a passkey.
    pub fn has_second_factor(&self) -> bool {
        self.is_totp_enabled || self.passkeys > 0
    }

    pub fn is_approved(&self) -> bool {
        self.approval_status == ApprovalStatus::Approved
    }

    pub fn is_locked_at(&self, now: NaiveDateTime) -> bool {
        self.lock.holds_at(now)
    }

    pub fn password_expired_at(&self, now: NaiveDateTime) -> bool {
        now > self.password_expiry
    }
}

// Personal data (the address, the names) stays out of debug output.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("approval_status", &self.approval_status)
            .field("sign_up_status", &self.sign_up_status)
            .field("lock", &self.lock)
            .field("is_super_user", &self.is_super_user)
            .finish_non_exhaustive()
    }
}

/// How a call names its user: by username (the CLI, a login) or by public id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Username(String),
    Id(String),
}
