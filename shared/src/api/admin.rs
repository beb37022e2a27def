//! A tenant's administration (super-users of the tenant): its settings, its apps and their keys, and its audit
//! log.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The tenant's settings. `PATCH /settings` takes `{section: {key: value or null}}` (`null` removes an
/// override), read as a JSON object so that a section that is not an object is answered with the key it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// `{section: {key: value}}`: the configuration's defaults overlaid with the overrides.
    pub effective: Value,
    /// `{section: {key: value}}`: the tenant's own values.
    pub overrides: Value,
}

/// One of the tenant's apps (the `X-Current-App` names it) and the lists it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    pub name: String,
    pub login_allowed: bool,
    pub signup_allowed: bool,
    pub login_metadata_allowed: bool,
    pub keys: Vec<AppKeyInfo>,
}

/// An app key, without the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppKeyInfo {
    pub key_id: String,
    pub creation_time: String,
}

/// `POST /apps`: adds an app or changes its lists. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppBody {
    pub name: String,
    /// Absent: `true`.
    #[serde(default = "yes")]
    pub login_allowed: bool,
    /// Absent: `true`.
    #[serde(default = "yes")]
    pub signup_allowed: bool,
    /// Absent: `false`.
    #[serde(default)]
    pub login_metadata_allowed: bool,
}

fn yes() -> bool {
    true
}

/// A new app key.
// A credential: no `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAppKey {
    pub key_id: String,
    /// Shown once; send it as `X-App-Key`.
    pub key: String,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub time: String,
    pub cid: String,
    pub op: String,
    pub current_user: Option<String>,
    pub target_user: Option<String>,
    /// `ok` or `error`.
    pub result: String,
    pub sub_status: Option<String>,
    pub remote_addr: Option<String>,
    pub current_app: Option<String>,
    /// What else the entry records, per operation.
    pub extra: Option<Value>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub total: i64,
    pub cur_page: i64,
    pub page_size: i64,
    pub result: Vec<AuditEntry>,
}

/// `GET /audit`: the filter and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Entries where this user acted or was acted on.
    pub user_id: Option<String>,
    /// e.g. `user.login`.
    pub op: Option<String>,
    /// `ok` or `error`.
    pub result: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    /// RFC 3339.
    pub until: Option<String>,
    /// From 1.
    pub cur_page: Option<i64>,
    /// Up to search.max_page_size.
    pub page_size: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn app_body_defaults_and_strictness() {
        let body: AppBody = serde_json::from_value(json!({"name": "CRM"})).unwrap();
        assert_eq!(
            (body.login_allowed, body.signup_allowed, body.login_metadata_allowed),
            (true, true, false)
        );
        assert!(serde_json::from_value::<AppBody>(json!({"name": "CRM", "keys": []})).is_err());
    }
}

/// An app's OpenID Connect client settings, as an administrator sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientBody {
    /// A display name, free text, not unique; absent or empty: the app's name.
    #[serde(default)]
    pub client_name: String,
    /// Where the authorization may send the browser back, matched exactly: `https`, `http` to a loopback host,
    /// or a private-use scheme (`com.example.app:/cb`).
    pub redirect_uris: Vec<String>,
    /// Absent: none.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// A confidential client authenticates with a secret (made when it becomes confidential, shown once); a
    /// public one (a browser or native app) cannot keep one and must use PKCE.
    pub confidential: bool,
    /// Whether users are asked, once per scope set, to allow the app. Absent: `false`.
    #[serde(default)]
    pub consent_required: bool,
    /// Where back-channel logout tokens are POSTed when a session of the app's users ends (`https`, or
    /// `http` to a loopback host). Absent: none.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// `RS256` (absent), `ES256` or `EdDSA`: the algorithm of the client's ID tokens.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
}

/// An app's client settings; `client_secret` only in the answer that made it.
// Carries a credential once: no `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Client {
    /// The app's name.
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub confidential: bool,
    pub consent_required: bool,
    pub backchannel_logout_uri: Option<String>,
    pub id_token_signed_response_alg: String,
    /// Whether a secret is set (a confidential client's).
    pub has_secret: bool,
    pub creation_time: String,
    pub modified_time: String,
    /// A new secret, shown this once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A confidential client's new secret, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientSecret {
    pub client_id: String,
    pub client_secret: String,
}
