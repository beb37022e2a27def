//! Sessions: logging in, the session a UST names, renewing it, a super-user's check of another UST, and the
//! list of a user's sessions.

use super::required_nullable;
use crate::{SubStatus, Ust};
use serde::{Deserialize, Serialize};

/// `POST /login`. `username` and `password` must be present; `null` counts as empty, refused as a wrong
/// password is.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginBody {
    #[serde(deserialize_with = "required_nullable")]
    pub username: Option<String>,
    #[serde(deserialize_with = "required_nullable")]
    pub password: Option<String>,
    /// A TOTP code (or a recovery code), when the user has 2FA.
    #[serde(default)]
    pub totp_code: Option<String>,
    /// The new password, when the current one has expired or must change.
    #[serde(default)]
    pub new_password: Option<String>,
    /// Login metadata: honoured only for apps in `apps.login_metadata_allowed` that present a valid app key.
    #[serde(default)]
    pub remote_addr: Option<String>,
    /// Login metadata, as `remote_addr`.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// A new session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub username: String,
    pub user_id: String,
    /// The user session token (a Fernet token), for `Authorization: Bearer`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub ust: Ust,
    pub session_id: String,
    pub creation_time: String,
    pub expiration_time: String,
    /// `W003005` when the password is about to expire.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub warnings: Vec<SubStatus>,
}

/// A session, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub session_id: String,
    pub creation_time: String,
    pub expiration_time: String,
    pub remote_addr: String,
    pub user_agent: String,
    /// In lists: whether this is the caller's session (absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<bool>,
}

/// The session's new expiration time, after `PATCH /session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expiration {
    pub expiration_time: String,
}

/// `POST /sessions/verify`: the UST to check.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyBody {
    pub target_ust: String,
}

/// Whether a UST may be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Validity {
    pub is_valid: bool,
}

/// `GET /sessions?user_id=...`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct SessionsQuery {
    /// Another user's sessions (super-users only).
    pub user_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn login_body_needs_username_and_password_present() {
        assert!(serde_json::from_value::<LoginBody>(json!({"username": "a"})).is_err());
        let body: LoginBody = serde_json::from_value(json!({"username": null, "password": "p"})).unwrap();
        assert_eq!((body.username, body.password.as_deref()), (None, Some("p")));
        let body: LoginBody = serde_json::from_value(json!({"username": "a", "password": "p", "extra": 1})).unwrap();
        assert!(body.totp_code.is_none());
    }

    #[test]
    fn current_is_omitted_outside_lists() {
        let mut session = Session {
            session_id: "zses1".into(),
            creation_time: "2026-01-01T00:00:00Z".into(),
            expiration_time: "2026-01-01T01:00:00Z".into(),
            remote_addr: "127.0.0.1".into(),
            user_agent: "curl".into(),
            current: None,
        };
        assert!(serde_json::to_value(&session).unwrap().get("current").is_none());
        session.current = Some(false);
        assert_eq!(serde_json::to_value(&session).unwrap()["current"], false);
    }

    #[test]
    fn session_info_debug_hides_the_ust() {
        let info = SessionInfo {
            username: "a".into(),
            user_id: "zusr1".into(),
            ust: Ust::new("gAAAAABsecret"),
            session_id: "zses1".into(),
            creation_time: String::new(),
            expiration_time: String::new(),
            warnings: vec![SubStatus::PasswordAboutToExpireWarning],
        };
        assert!(!format!("{info:?}").contains("gAAAAABsecret"));
        let value = serde_json::to_value(&info).unwrap();
        assert_eq!(
            (value["ust"].as_str(), &value["warnings"]),
            (Some("gAAAAABsecret"), &json!(["W003005"]))
        );
    }
}
