//! The anonymous flows: sign-up and its confirmation, password reset, and confirming a changed e-mail address.
//! Every body here carries a password or a token, so none of them has a `Debug`.

use serde::{Deserialize, Serialize};

/// `POST /signup`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupBody {
    pub username: String,
    pub password: String,
    /// Required when the tenant's sign-up requires one (E002005).
    #[serde(default)]
    pub email: Option<String>,
    /// The apps to sign up for; each must allow sign-up (E004001, E004002).
    #[serde(default)]
    pub app_list: Vec<String>,
}

/// A sign-up is accepted: the account waits for the confirmation sent by e-mail.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupAccepted {
    pub status: SignupState,
    /// Only with signup.always_return_confirm_token (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_token: Option<String>,
}

/// Where an accepted sign-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SignupState {
    AwaitingConfirmation,
}

/// `POST /signup/confirm`: the token of the confirmation e-mail.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmBody {
    pub confirm_token: String,
}

/// A sign-up is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupConfirmed {
    pub approval: Approval,
}

/// Whether a confirmed account can log in or still needs an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Approval {
    Approved,
    Pending,
}

/// `POST /password-reset`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetRequest {
    /// A username or an e-mail address, per password_reset.user_search_by.
    pub credential: String,
}

/// A token sent by e-mail: `POST /password-reset/access` and `POST /email/confirm`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenBody {
    pub token: String,
}

/// The reset key, answered once for a reset token; `POST /password-reset/complete` needs both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetKey {
    pub reset_key: String,
}

/// `POST /password-reset/complete`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteBody {
    pub token: String,
    pub reset_key: String,
    /// The new password.
    pub password: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_words() {
        let accepted = SignupAccepted {
            status: SignupState::AwaitingConfirmation,
            confirm_token: None,
        };
        assert_eq!(
            serde_json::to_value(&accepted).unwrap(),
            json!({"status": "awaiting_confirmation"})
        );
        let pending = SignupConfirmed {
            approval: Approval::Pending,
        };
        assert_eq!(serde_json::to_value(pending).unwrap(), json!({"approval": "pending"}));
    }
}
