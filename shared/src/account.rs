//! The words of an account's life that every side speaks: where a sign-up stands, what the administrators
//! decided, the step a login still needs, and a username that can only be made by parsing.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An administrator's decision on an account (reference §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApprovalStatus {
    Approved,
    Rejected,
    BeforeDecision,
}

impl ApprovalStatus {
    pub const ALL: [ApprovalStatus; 3] = [Self::Approved, Self::Rejected, Self::BeforeDecision];

    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::BeforeDecision => "before_decision",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a sign-up stands: waiting for its e-mail confirmation, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SignupStatus {
    BeforeConfirmation,
    Final,
}

impl SignupStatus {
    pub const ALL: [SignupStatus; 2] = [Self::BeforeConfirmation, Self::Final];

    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BeforeConfirmation => "before_confirmation",
            Self::Final => "final",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(ApprovalStatus, SignupStatus);

/// The words compare with their spelling, so code and tests can say `status == "approved"`.
macro_rules! eq_spelling {
    ($($t:ty),*) => {$(
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    )*};
}
eq_spelling!(ApprovalStatus, SignupStatus);

/// The step a login still needs after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStep {
    /// A TOTP code (or a recovery code), or a passkey when the user also has one.
    Totp,
    /// A passkey: the user has passkeys and no TOTP.
    Passkey,
    /// A new password, because the current one has expired or must change.
    NewPassword,
}

/// A username as stored: case-sensitive (like Zato's), non-empty, at most 191 characters, no control characters,
/// no surrounding whitespace. A tenant's sign-up rules (length, reserved names) come on top of these.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

/// A username that breaks the rules every username follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a username is 1 to 191 characters, without control characters or surrounding spaces")]
pub struct UsernameError;

impl Username {
    pub const MAX_CHARS: usize = 191;

    pub fn parse(s: &str) -> Result<Self, UsernameError> {
        let ok =
            !s.is_empty() && s.chars().count() <= Self::MAX_CHARS && s.trim() == s && !s.chars().any(char::is_control);
        if ok {
            Ok(Username(s.to_owned()))
        } else {
            Err(UsernameError)
        }
    }

    /// A username read back from a store, which parsed it on the way in (one imported from Zato may predate
    /// these rules: it is kept as it is, so its owner can still log in).
    pub fn stored(s: String) -> Self {
        Username(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({:?})", self.0)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Username {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Username {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Username {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Username::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_their_spelling() {
        for s in ApprovalStatus::ALL {
            assert_eq!(ApprovalStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        for s in SignupStatus::ALL {
            assert_eq!(SignupStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert_eq!(ApprovalStatus::parse("Approved"), None);
        assert_eq!(SignupStatus::parse(""), None);
    }

    #[test]
    fn username_rules() {
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("Alice Smith").is_ok());
        assert!(Username::parse(&"é".repeat(191)).is_ok());
        for bad in ["", " alice", "alice ", "a\nb", "a\u{7f}b"] {
            assert_eq!(Username::parse(bad), Err(UsernameError), "{bad:?}");
        }
        assert_eq!(Username::parse(&"a".repeat(192)), Err(UsernameError));
        let parsed: Result<Username, _> = serde_json::from_str("\" bob\"");
        assert!(parsed.is_err());
    }
}
