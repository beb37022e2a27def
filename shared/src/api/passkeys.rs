//! Passkeys (WebAuthn) on the native API: a ceremony's options, the authenticator's answer, and the passkeys
//! of an account. The options and the credential are WebAuthn's own JSON (binary fields base64url, as
//! `PublicKeyCredential.toJSON()` writes them). A ceremony's handle is a credential of the caller until it is
//! used, so the types that carry one have no `Debug`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Starts a login ceremony: without a username, any passkey of the tenant may answer (a first factor); with
/// the username and password, the answer is the login's second step for that user.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginStart {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// A ceremony in progress: its handle, to send back with the answer within five minutes, and the options for
/// `navigator.credentials.create()` (`{"publicKey": …}`) or `.get()`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyCeremony {
    pub ceremony: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: Value,
}

/// The answer to a login ceremony.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyLogin {
    pub ceremony: String,
    /// The `PublicKeyCredential` of the assertion, as JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: Value,
    /// The new password, when the password has expired or must change (as `new_password` of `/login`).
    #[serde(default)]
    pub new_password: Option<String>,
}

/// The answer to a registration ceremony.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegistration {
    pub ceremony: String,
    /// The `PublicKeyCredential` of the attestation, as JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: Value,
    /// A name to tell it apart (1 to 64 characters); absent or empty: "Passkey added <date>".
    #[serde(default)]
    pub name: Option<String>,
}

/// One of an account's passkeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Passkey {
    pub passkey_id: String,
    pub name: String,
    pub creation_time: String,
    pub last_used_time: Option<String>,
    /// The credential may be synchronised between devices (`amr` `swk`); else it is bound to one (`hwk`).
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// Renames a passkey.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeyRename {
    pub name: String,
}

/// Proves the account to add or remove a passkey: the password, and, when the account has a second factor, a
/// TOTP or recovery code or the answer to a proof ceremony (`POST /users/me/passkeys/proof`) by any of the
/// caller's passkeys.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FactorProof {
    pub password: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub ceremony: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub credential: Option<Value>,
}
