//! Response shapes for the OpenAPI document. Handlers build their JSON from the domain's types; these structs
//! describe it (the route-coverage and shape tests keep the two in step).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An error: RFC 9457 problem details with the sub-status codes and the correlation id.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// `urn:gatehouse:sub-status:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// One code, e.g. `["E005001"]`.
    pub sub_status: Vec<String>,
    pub cid: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub username: String,
    pub user_id: String,
    /// The user session token (a Fernet token), for `Authorization: Bearer`.
    pub ust: String,
    pub session_id: String,
    pub creation_time: String,
    pub expiration_time: String,
    /// `W003005` when the password is about to expire.
    pub warnings: Vec<String>,
}

/// A session, without any secret.
#[derive(Serialize, ToSchema)]
pub struct Session {
    pub session_id: String,
    pub creation_time: String,
    pub expiration_time: String,
    pub remote_addr: String,
    pub user_agent: String,
    /// In lists: whether this is the caller's session.
    pub current: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Expiration {
    pub expiration_time: String,
}

#[derive(Serialize, ToSchema)]
pub struct Validity {
    pub is_valid: bool,
}

/// A user. Regular callers see `user_id`, `username`, `email`, the names, `is_totp_enabled` and `totp_label`;
/// super-users see every field.
#[derive(Serialize, ToSchema)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub is_totp_enabled: bool,
    pub totp_label: String,
    pub is_active: Option<bool>,
    pub is_internal: Option<bool>,
    pub is_super_user: Option<bool>,
    pub is_approval_needed: Option<bool>,
    pub approval_status: Option<String>,
    pub approval_status_mod_by: Option<String>,
    pub approval_status_mod_time: Option<String>,
    pub is_locked: Option<bool>,
    pub locked_time: Option<String>,
    pub locked_by: Option<String>,
    pub password_is_set: Option<bool>,
    pub password_must_change: Option<bool>,
    pub password_last_set: Option<String>,
    pub password_expiry: Option<String>,
    pub sign_up_status: Option<String>,
    pub sign_up_time: Option<String>,
    pub email_confirmed: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    pub total: i64,
    pub num_pages: i64,
    pub page_size: i64,
    pub cur_page: i64,
    pub has_next_page: bool,
    pub has_prev_page: bool,
    pub next_page: Option<i64>,
    pub prev_page: Option<i64>,
    pub result: Vec<User>,
}

#[derive(Serialize, ToSchema)]
pub struct AddressList {
    /// `null`: the user is not listed in the database (the tenant's setting applies).
    pub addresses: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct Enrolment {
    /// Base32, 160 bits.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Attr {
    /// Any JSON value.
    pub value: Value,
    pub creation_time: String,
    /// Equals `creation_time` until the attribute is first updated.
    pub last_modified: String,
    pub expiration_time: String,
    pub is_encrypted: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Attrs {
    pub attrs: std::collections::BTreeMap<String, Attr>,
}

/// The fields a user update may carry (a regular caller's own: the first seven; a super-user's: all).
#[derive(Serialize, ToSchema)]
pub struct UserUpdate {
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub totp_label: Option<String>,
    pub is_locked: Option<bool>,
    /// RFC 3339.
    pub password_expiry: Option<String>,
    pub password_must_change: Option<bool>,
    /// `final` or `before_confirmation`.
    pub sign_up_status: Option<String>,
    /// `approved`, `rejected` or `before_decision`.
    pub approval_status: Option<String>,
}

/// One attribute to write; with `attrs`, several at once (all or none).
#[derive(Serialize, ToSchema)]
pub struct AttrWrite {
    pub name: Option<String>,
    /// Any JSON value.
    pub value: Option<Value>,
    /// Seconds from now; absent means never.
    pub expiration: Option<i64>,
    /// Seal the value with the keyring.
    pub encrypt: Option<bool>,
    pub attrs: Option<Vec<AttrItem>>,
}

#[derive(Serialize, ToSchema)]
pub struct AttrItem {
    pub name: String,
    pub value: Value,
    pub expiration: Option<i64>,
    pub encrypt: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Settings {
    /// `{section: {key: value}}`: the configuration's defaults overlaid with the overrides.
    pub effective: Value,
    /// `{section: {key: value}}`: the tenant's own values.
    pub overrides: Value,
}

#[derive(Serialize, ToSchema)]
pub struct AppKeyInfo {
    pub key_id: String,
    pub creation_time: String,
}

#[derive(Serialize, ToSchema)]
pub struct App {
    pub name: String,
    pub login_allowed: bool,
    pub signup_allowed: bool,
    pub login_metadata_allowed: bool,
    pub keys: Vec<AppKeyInfo>,
}

#[derive(Serialize, ToSchema)]
pub struct NewAppKey {
    pub key_id: String,
    /// Shown once; send it as `X-App-Key`.
    pub key: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub time: String,
    pub cid: String,
    pub op: String,
    pub current_user: Option<String>,
    pub target_user: Option<String>,
    pub result: String,
    pub sub_status: Option<String>,
    pub remote_addr: Option<String>,
    pub current_app: Option<String>,
    pub extra: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub cur_page: i64,
    pub page_size: i64,
    pub result: Vec<AuditEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct Tenant {
    pub slug: String,
    pub display_name: String,
    /// `active` or `suspended`.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignupAccepted {
    /// `awaiting_confirmation`.
    pub status: String,
    pub confirm_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignupConfirmed {
    /// `approved` or `pending`.
    pub approval: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResetKey {
    pub reset_key: String,
}
