//! Users: what a caller sees of a user (reference §7.6), the search page, and the bodies that create a user,
//! change a password and set an IP allow-list.

use crate::{ApprovalStatus, SignupStatus};
use serde::{Deserialize, Serialize};

/// A user. Every caller sees the regular fields (`null` included); a super-user also sees the account's state.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub is_totp_enabled: bool,
    /// Empty when the user has not named their authenticator entry.
    pub totp_label: String,
    /// The account's state, for super-users only: absent from a regular caller's view.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = UserDetails::in_user))]
    pub details: Option<UserDetails>,
}

/// What only a super-user sees of a user. Never the TOTP key or the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDetails {
    /// Always `true` (the reference's field; Gatehouse deletes rather than deactivates).
    pub is_active: bool,
    /// Always `false` (the reference's field).
    pub is_internal: bool,
    pub is_super_user: bool,
    /// Whether the account still waits for an administrator's approval: `approval_status` is not `approved`.
    pub is_approval_needed: bool,
    pub approval_status: ApprovalStatus,
    pub approval_status_mod_by: String,
    pub approval_status_mod_time: String,
    pub is_locked: bool,
    pub locked_time: Option<String>,
    pub locked_by: Option<String>,
    /// Always `true`: every account has a password.
    pub password_is_set: bool,
    pub password_must_change: bool,
    pub password_last_set: String,
    pub password_expiry: String,
    pub sign_up_status: SignupStatus,
    pub sign_up_time: String,
    pub email_confirmed: bool,
}

#[cfg(feature = "openapi")]
impl UserDetails {
    /// The details as a `User` carries them: all of them or none, so none is required there (a regular caller's
    /// view must match the schema too).
    fn in_user() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{RefOr, schema::Schema};
        let mut schema = <UserDetails as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required.clear();
        }
        schema
    }
}

// The e-mail address is personal data: it stays out of debug output, as the server's row types keep it out.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

/// One page of a user search (super-users).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub total: i64,
    pub num_pages: i64,
    pub page_size: i64,
    pub cur_page: i64,
    pub has_next_page: bool,
    pub has_prev_page: bool,
    pub next_page: Option<i64>,
    pub prev_page: Option<i64>,
    /// Every user with the super-user's view.
    pub result: Vec<User>,
}

/// `GET /users`: the search criteria. `user_id` wins over every other criterion, then `username`, then the
/// name criteria (combined by `name_op`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct SearchQuery {
    /// Wins over every other criterion.
    pub user_id: Option<String>,
    /// Wins over the name criteria.
    pub username: Option<String>,
    /// Exact, case-insensitive.
    pub email: Option<String>,
    /// Name criterion.
    pub display_name: Option<String>,
    /// Name criterion.
    pub first_name: Option<String>,
    /// Name criterion.
    pub middle_name: Option<String>,
    /// Name criterion.
    pub last_name: Option<String>,
    /// Exact. A string, not a `SignupStatus`: an unknown value finds nobody rather than being refused.
    pub sign_up_status: Option<String>,
    /// Exact, as `sign_up_status`.
    pub approval_status: Option<String>,
    /// `and` (default) or `or`.
    pub name_op: Option<String>,
    /// Equality (default) or substring.
    pub is_name_exact: Option<bool>,
    /// From 1.
    pub cur_page: Option<i64>,
    /// Up to search.max_page_size.
    pub page_size: Option<i64>,
    /// A part of the username or of any name, whatever the case; AND-ed with the other criteria.
    pub text: Option<String>,
}

/// `POST /users` (super-users): a new regular user. Unknown fields are refused.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUser {
    pub username: String,
    /// Absent: the user cannot log in with a password until one is set.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub password_must_change: bool,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub is_locked: bool,
    /// Absent: `final`.
    #[serde(default)]
    pub sign_up_status: Option<SignupStatus>,
    #[serde(default)]
    pub is_totp_enabled: Option<bool>,
    #[serde(default)]
    pub totp_label: Option<String>,
    /// A base32 TOTP secret to enrol the user with.
    #[serde(default)]
    pub totp_key: Option<String>,
    /// Approve the account at once, whatever the tenant's approval setting.
    #[serde(default)]
    pub auto_approve: bool,
}

/// `PATCH /users/me/password`: the caller's new password, proved with the old one.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePassword {
    /// Required: absent or empty is answered with E008003 (once the caller's session is checked).
    #[serde(default)]
    pub old_password: Option<String>,
    pub new_password: String,
}

/// `PATCH /users/{user_id}/password` (super-users).
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetPassword {
    pub new_password: String,
    #[serde(default)]
    pub must_change: bool,
    /// Days the new password stays valid (1 to 36 500; absent: `password.expiry`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 36500))]
    pub password_expiry: Option<u32>,
}

/// The fields a user update may carry (a regular caller's own: the first seven; a super-user's: all). Only the
/// keys present change; `null` clears a field that may be empty.
// The server reads this body as a map of the keys present, so this type documents it; a client can send it
// (a `None` is left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_expiry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_must_change: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_up_status: Option<SignupStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_status: Option<ApprovalStatus>,
}

/// A user's IP allow-list as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressList {
    /// `null`: the user is not listed in the database (the tenant's setting applies).
    pub addresses: Option<Vec<String>>,
}

/// `PUT /users/{user_id}/address-list`: the new allow-list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressListBody {
    /// `*`, IP addresses and CIDR ranges.
    pub addresses: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn regular() -> User {
        User {
            user_id: "zusr1".into(),
            username: "alice".into(),
            email: None,
            display_name: Some("Alice".into()),
            first_name: None,
            middle_name: None,
            last_name: None,
            is_totp_enabled: false,
            totp_label: String::new(),
            details: None,
        }
    }

    #[test]
    fn a_regular_view_has_the_regular_fields_nulls_included() {
        assert_eq!(
            serde_json::to_value(regular()).unwrap(),
            json!({
                "user_id": "zusr1", "username": "alice", "email": null, "display_name": "Alice",
                "first_name": null, "middle_name": null, "last_name": null,
                "is_totp_enabled": false, "totp_label": "",
            })
        );
    }

    #[test]
    fn a_full_view_adds_the_details_flat() {
        let user = User {
            details: Some(UserDetails {
                is_active: true,
                is_internal: false,
                is_super_user: false,
                is_approval_needed: true,
                approval_status: ApprovalStatus::BeforeDecision,
                approval_status_mod_by: "zusr0".into(),
                approval_status_mod_time: "2026-01-01T00:00:00Z".into(),
                is_locked: false,
                locked_time: None,
                locked_by: None,
                password_is_set: true,
                password_must_change: false,
                password_last_set: "2026-01-01T00:00:00Z".into(),
                password_expiry: "2027-01-01T00:00:00Z".into(),
                sign_up_status: SignupStatus::Final,
                sign_up_time: "2026-01-01T00:00:00Z".into(),
                email_confirmed: false,
            }),
            ..regular()
        };
        let value = serde_json::to_value(&user).unwrap();
        assert_eq!(value.as_object().unwrap().len(), 9 + 17);
        assert_eq!(value["approval_status"], "before_decision");
        assert_eq!(value["locked_time"], json!(null));
        assert_eq!(value["sign_up_status"], "final");
        assert_eq!(serde_json::from_value::<User>(value).unwrap(), user);
        assert_eq!(
            serde_json::from_value::<User>(serde_json::to_value(regular()).unwrap()).unwrap(),
            regular()
        );
    }

    #[test]
    fn create_user_refuses_unknown_fields_and_statuses() {
        assert!(serde_json::from_value::<CreateUser>(json!({"username": "a", "is_super_user": true})).is_err());
        assert!(serde_json::from_value::<CreateUser>(json!({"username": "a", "sign_up_status": "maybe"})).is_err());
        let create: CreateUser =
            serde_json::from_value(json!({"username": "a", "sign_up_status": "before_confirmation"})).unwrap();
        assert_eq!(create.sign_up_status, Some(SignupStatus::BeforeConfirmation));
    }
}
