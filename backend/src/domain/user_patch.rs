//! What an update of a user asks to change, typed. Each surface parses its own wire form into a patch (the Zato
//! surface ignoring keys it does not know and reading naive datetimes, the native one strict, the pages from
//! their forms); the services decide who may change which field and apply it.

use super::{ApprovalStatus, Email, SignupStatus};
use chrono::NaiveDateTime;

/// A field that can be left alone (`None`), cleared (`Some(None)`) or set (`Some(Some(v))`).
pub type Clearable<T> = Option<Option<T>>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// As given, untrimmed: a rename follows the tenant's sign-up rules, which the services apply.
    pub username: Option<String>,
    pub email: Clearable<Email>,
    pub display_name: Clearable<String>,
    pub first_name: Clearable<String>,
    pub middle_name: Clearable<String>,
    pub last_name: Clearable<String>,
    pub totp_label: Clearable<String>,
    pub is_totp_enabled: Option<bool>,
    pub is_locked: Option<bool>,
    pub password_expiry: Option<NaiveDateTime>,
    pub password_must_change: Option<bool>,
    pub sign_up_status: Option<SignupStatus>,
    pub approval_status: Option<ApprovalStatus>,
}

impl UserPatch {
    /// Fields anyone may change on their own account.
    pub const REGULAR_FIELDS: &'static [&'static str] = &[
        "username",
        "email",
        "display_name",
        "first_name",
        "middle_name",
        "last_name",
        "totp_label",
    ];
    /// Fields only a super-user may change.
    pub const SUPER_FIELDS: &'static [&'static str] = &[
        "is_locked",
        "password_expiry",
        "password_must_change",
        "sign_up_status",
        "approval_status",
    ];
    /// One's own 2FA switched without a code: only where a surface keeps Zato's toggle.
    pub const TOTP_TOGGLE: &'static str = "is_totp_enabled";

    /// Whether `key` names a field some caller may change.
    pub fn is_field(key: &str) -> bool {
        Self::REGULAR_FIELDS.contains(&key) || Self::SUPER_FIELDS.contains(&key) || key == Self::TOTP_TOGGLE
    }

    /// The names of the fields this patch sets, in a fixed order.
    pub fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("username", self.username.is_some()),
            ("email", self.email.is_some()),
            ("display_name", self.display_name.is_some()),
            ("first_name", self.first_name.is_some()),
            ("middle_name", self.middle_name.is_some()),
            ("last_name", self.last_name.is_some()),
            ("totp_label", self.totp_label.is_some()),
            ("is_totp_enabled", self.is_totp_enabled.is_some()),
            ("is_locked", self.is_locked.is_some()),
            ("password_expiry", self.password_expiry.is_some()),
            ("password_must_change", self.password_must_change.is_some()),
            ("sign_up_status", self.sign_up_status.is_some()),
            ("approval_status", self.approval_status.is_some()),
        ];
        set.into_iter().filter(|(_, on)| *on).map(|(name, _)| name).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_do_not_overlap_and_cover_the_patch() {
        for f in UserPatch::REGULAR_FIELDS {
            assert!(!UserPatch::SUPER_FIELDS.contains(f));
        }
        let all = UserPatch {
            username: Some("a".into()),
            email: Some(None),
            display_name: Some(None),
            first_name: Some(None),
            middle_name: Some(None),
            last_name: Some(None),
            totp_label: Some(None),
            is_totp_enabled: Some(true),
            is_locked: Some(true),
            password_expiry: Some(NaiveDateTime::default()),
            password_must_change: Some(true),
            sign_up_status: Some(SignupStatus::Final),
            approval_status: Some(ApprovalStatus::Approved),
        };
        let names = all.fields();
        assert_eq!(
            names.len(),
            UserPatch::REGULAR_FIELDS.len() + UserPatch::SUPER_FIELDS.len() + 1
        );
        assert!(names.iter().all(|n| UserPatch::is_field(n)));
        assert!(UserPatch::default().is_empty());
    }
}
