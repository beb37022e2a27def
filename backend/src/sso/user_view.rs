//! What a caller sees of a user (reference §7.6): a regular caller sees the regular fields and their own
//! `user_id`; a super-user sees everything (never the TOTP key or the password hash). E-mails are opened, the
//! internal TOTP label placeholder shows as empty, and `is_approval_needed` tells the truth (quirk Q13).

use super::Sso;
use super::user::APPROVED;
use crate::store::users::UserRow;
use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

/// How datetimes are written on a surface.
pub type TimeFormat = fn(NaiveDateTime) -> String;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSet {
    Regular,
    Full,
}

impl Sso {
    /// The user as a JSON object. With `omit_empty` (the Zato surface), `null` and empty strings are left out.
    pub fn user_json(
        &self,
        user: &UserRow,
        fields: FieldSet,
        time: TimeFormat,
        omit_empty: bool,
    ) -> Map<String, Value> {
        let email = user.email.as_deref().map(|e| self.open_email(e));
        let label = user
            .totp_label
            .as_deref()
            .and_then(|l| self.keyring.open_text(l))
            .filter(|l| l != "<default-label>");
        let mut map = Map::new();
        map.insert("user_id".into(), json!(user.user_id));
        map.insert("username".into(), json!(user.username));
        map.insert("email".into(), json!(email));
        map.insert("display_name".into(), json!(user.display_name));
        map.insert("first_name".into(), json!(user.first_name));
        map.insert("middle_name".into(), json!(user.middle_name));
        map.insert("last_name".into(), json!(user.last_name));
        map.insert("is_totp_enabled".into(), json!(user.is_totp_enabled));
        map.insert("totp_label".into(), json!(label.unwrap_or_default()));
        if fields == FieldSet::Full {
            let t = |v: Option<NaiveDateTime>| v.map(time);
            map.insert("is_active".into(), json!(true));
            map.insert("is_internal".into(), json!(false));
            map.insert("is_super_user".into(), json!(user.is_super_user));
            map.insert("is_approval_needed".into(), json!(user.approval_status != APPROVED));
            map.insert("approval_status".into(), json!(user.approval_status));
            map.insert("approval_status_mod_by".into(), json!(user.approval_status_mod_by));
            map.insert(
                "approval_status_mod_time".into(),
                json!(time(user.approval_status_mod_time)),
            );
            map.insert("is_locked".into(), json!(user.is_locked));
            map.insert("locked_time".into(), json!(t(user.locked_time)));
            map.insert("locked_by".into(), json!(user.locked_by));
            map.insert("password_is_set".into(), json!(true));
            map.insert("password_must_change".into(), json!(user.password_must_change));
            map.insert("password_last_set".into(), json!(time(user.password_last_set)));
            map.insert("password_expiry".into(), json!(time(user.password_expiry)));
            map.insert("sign_up_status".into(), json!(user.sign_up_status));
            map.insert("sign_up_time".into(), json!(time(user.sign_up_time)));
            map.insert("email_confirmed".into(), json!(user.email_confirmed));
        }
        if omit_empty {
            map.retain(|_, v| !(v.is_null() || v.as_str() == Some("")));
        }
        map
    }
}
