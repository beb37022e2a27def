//! Two-factor enrolment: a new secret, its confirmation with recovery codes, and turning it off. Every type here
//! carries a secret or a code, so none of them has a `Debug`.

use serde::{Deserialize, Serialize};

/// A new TOTP secret, before its confirmation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    /// Base32, 160 bits.
    pub secret: String,
    pub otpauth_uri: String,
    /// The otpauth URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Confirms an enrolment.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confirm {
    /// A code of the new secret.
    pub code: String,
    /// Required when 2FA is already on (the enrolment replaces the active factor): the password.
    #[serde(default)]
    pub password: Option<String>,
    /// Required when 2FA is already on: a current code of the active factor, or a recovery code.
    #[serde(default)]
    pub current_code: Option<String>,
}

/// Ten one-time recovery codes, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// Turns 2FA off.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disable {
    /// A current code, or a recovery code.
    pub code: String,
    /// The password.
    pub password: String,
}
