//! The native API's wire types, `/api/v1`: what each call reads and what it answers. The server's handlers
//! parse these and return these, and its OpenAPI document is derived from them (`utoipa::ToSchema` behind the
//! `openapi` feature), so the document cannot drift from what is sent.
//!
//! Request types keep the server's exact strictness (which fields are required, which have defaults, which
//! bodies refuse unknown fields): a change here is a change of the API. Datetimes are RFC 3339 strings in UTC
//! (`2026-12-01T10:00:00Z`, fractions only when there are some), written by the server.
//!
//! Types that carry a credential (a password, a token, a TOTP secret or code, an app key) have no `Debug`, so
//! they cannot end up in a log by accident.

pub mod admin;
pub mod attrs;
pub mod passkeys;
pub mod problem;
pub mod session;
pub mod signup;
pub mod tenants;
pub mod totp;
pub mod user;

pub use admin::{
    App, AppBody, AppKeyInfo, AuditEntry, AuditPage, AuditQuery, Client, ClientBody, ClientSecret, NewAppKey, Settings,
};
pub use attrs::{Attr, AttrWrite, Attrs};
pub use passkeys::{
    FactorProof, Passkey, PasskeyCeremony, PasskeyLogin, PasskeyLoginStart, PasskeyRegistration, PasskeyRename,
};
pub use problem::Problem;
pub use session::{Expiration, LoginBody, Session, SessionInfo, SessionsQuery, Validity, VerifyBody};
pub use signup::{
    Approval, CompleteBody, ConfirmBody, ResetKey, ResetRequest, SignupAccepted, SignupBody, SignupConfirmed,
    SignupState, TokenBody,
};
pub use tenants::{Confirmation, NewAdministrator, NewTenant, Tenant, TenantChange, TenantStatus};
pub use totp::{Confirm, Disable, Enrolment, RecoveryCodes};
pub use user::{
    AddressList, AddressListBody, ChangePassword, CreateUser, SearchPage, SearchQuery, SetPassword, User, UserDetails,
    UserUpdate,
};

use serde::{Deserialize, Deserializer};

/// A field that must be present but may be `null`: missing is a malformed request (`E008003`), `null` is `None`.
/// (Serde's default for an `Option` field would take a missing field as `None`.)
pub fn required_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// A value that is present, `null` included: `None` only when the field is absent (with `#[serde(default)]`), so
/// an attribute can be set to `null`.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}
