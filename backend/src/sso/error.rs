//! The domain's errors. A refusal carries its sub-status code, the class of failure the surfaces turn into an
//! HTTP status, and whether the caller may be told the specific code (the reference's `return_status`): when not,
//! every surface answers the generic `E005001` instead.

use crate::crypto::password::HashError;
use crate::store::StoreError;
use gatehouse_shared::SubStatus;

/// The class of a refusal; each surface maps it to its status codes in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Malformed or missing input.
    BadInput,
    /// A failed login, or a missing, invalid, expired or foreign UST.
    Unauthenticated,
    /// A valid caller who may not do this.
    Forbidden,
    NotFound,
    Conflict,
    /// A policy rejected a value (password policy, username rules).
    Policy,
    Throttled {
        retry_after_secs: u64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("refused: {code} ({kind:?})")]
    Refused { kind: Kind, code: SubStatus, inform: bool },
    /// A login that needs one more step (a TOTP code, a new password). The surfaces answer it as a refusal
    /// with its code; `continuation` lets the same person finish the login without sending the password (or a
    /// used TOTP code) again, which the web pages need.
    #[error("login needs another step: {code}")]
    NeedsMore {
        step: LoginStep,
        code: SubStatus,
        inform: bool,
        continuation: Sealed,
    },
    /// A value a typed setting or a request field cannot take: 422 `E008002`, naming the key.
    #[error("`{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Hash(#[from] HashError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl SsoError {
    /// A refusal whose code may be shown.
    pub fn refused(kind: Kind, code: SubStatus) -> SsoError {
        SsoError::Refused {
            kind,
            code,
            inform: true,
        }
    }

    /// A refusal shown as its code when `inform`, else as `E005001`.
    pub fn refused_if(kind: Kind, code: SubStatus, inform: bool) -> SsoError {
        SsoError::Refused { kind, code, inform }
    }

    /// The code a caller of a public surface sees.
    pub fn visible_code(&self) -> Option<SubStatus> {
        match self {
            SsoError::Refused { code, inform, .. } => Some(if *inform { *code } else { SubStatus::AuthNotAllowed }),
            SsoError::Hash(HashError::Busy) => Some(SubStatus::ThrottleHashQueue),
            SsoError::Invalid { .. } => Some(SubStatus::CommonInvalidInput),
            SsoError::NeedsMore { code, inform, .. } => Some(if *inform { *code } else { SubStatus::AuthNotAllowed }),
            SsoError::Store(crate::store::StoreError::Unavailable(_)) => Some(SubStatus::CommonUnavailable),
            _ => None,
        }
    }

    /// The real code, for trusted callers (the CLI) and the audit log.
    /// The database cannot be reached (503 `E008005` on every surface).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, SsoError::Store(crate::store::StoreError::Unavailable(_)))
    }

    pub fn code(&self) -> Option<SubStatus> {
        match self {
            SsoError::Refused { code, .. } => Some(*code),
            SsoError::Hash(HashError::Busy) => Some(SubStatus::ThrottleHashQueue),
            SsoError::Invalid { .. } => Some(SubStatus::CommonInvalidInput),
            SsoError::NeedsMore { code, .. } => Some(*code),
            SsoError::Store(crate::store::StoreError::Unavailable(_)) => Some(SubStatus::CommonUnavailable),
            _ => None,
        }
    }
}

/// The step a login still needs: one word for the REST answer, the pages and the frontend.
pub use gatehouse_shared::LoginStep;

/// A value sealed with the keyring (a login continuation). `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(pub String);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed([redacted])")
    }
}

pub type SsoResult<T> = Result<T, SsoError>;
