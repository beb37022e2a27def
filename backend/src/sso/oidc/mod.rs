//! Every tenant an OpenID Provider (OpenID Connect Core 1.0, authorization code flow with PKCE): the issuer is
//! `{server.public_url}/t/{tenant}`, the clients are the tenant's apps, the login is the web UI's, and the access
//! token is the UST of an app session granted from the browser's (SSO) session, so every UST call accepts it.
//!
//! - [`clients`]: an app's client settings and how a client authenticates;
//! - [`signing`]: the tenant's RSA keys, sealed in the database, and the JWKS;
//! - [`authorize`]: the authorization request, its decision (log in, consent, a code, an error) and the code;
//! - [`token`]: the code's exchange for an app session (the access token) and an ID token;
//! - [`claims`]: what the ID token and UserInfo say of a user, by scope.

pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod clients;
pub mod grants;
pub mod logout;
pub mod refresh;
pub mod registration;
pub mod revocation;
pub mod signing;
pub mod token;

use super::{Sso, Tenant};

/// How long an authorization code may be exchanged (at most 60 s, as the issue asks; 30 is ample for a redirect).
pub const CODE_SECONDS: i64 = 60;
/// How long a started authorization request may wait for its login or consent.
pub const REQUEST_MINUTES: i64 = 10;

/// The scopes Gatehouse knows.
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// An error of the OAuth 2.0 / OpenID Connect protocols, by its registered code, with a description in words
/// (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            error,
            description: description.into(),
        }
    }

    /// The HTTP status of this error at the token endpoint (RFC 6749 §5.2): 401 for a client that failed to
    /// authenticate, 503 while the database cannot be reached, 500 for an internal error, else 400.
    pub fn token_status(&self) -> u16 {
        match self.error {
            "invalid_client" => 401,
            "temporarily_unavailable" => 503,
            "server_error" => 500,
            _ => 400,
        }
    }
}

impl From<super::SsoError> for OAuthError {
    fn from(e: super::SsoError) -> OAuthError {
        if let super::SsoError::Refused { code, .. } = &e {
            OAuthError::new("invalid_request", code.meaning())
        } else if let super::SsoError::Invalid { key, message } = &e {
            OAuthError::new("invalid_request", format!("{key}: {message}"))
        } else if e.is_unavailable() {
            OAuthError::new(
                "temporarily_unavailable",
                "The service is briefly unavailable; try again shortly.",
            )
        } else {
            tracing::error!(error = %e, "OpenID Connect request failed");
            OAuthError::new("server_error", "An internal error occurred.")
        }
    }
}

impl Sso {
    /// The tenant's issuer identifier.
    pub fn issuer(&self, tenant: &Tenant) -> String {
        format!(
            "{}/t/{}",
            self.config.server.public_url.trim_end_matches('/'),
            tenant.slug
        )
    }
}
