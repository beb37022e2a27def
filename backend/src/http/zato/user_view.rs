//! What a Zato caller sees of a user (reference §7.6): a regular caller sees the regular fields and their own
//! `user_id`; a super-user sees everything (never the TOTP key or the password hash). Datetimes in Zato's naive
//! format, and `null` and empty strings left out, as Zato's replies do; `is_approval_needed` tells the truth
//! (quirk Q13).

use crate::domain::User;
use crate::http::call::zato_time;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSet {
    Regular,
    Full,
}

impl FieldSet {
    /// Every field for a super-user, the regular ones for anyone else.
    pub fn for_caller(is_super_user: bool) -> FieldSet {
        if is_super_user {
            FieldSet::Full
        } else {
            FieldSet::Regular
        }
    }
}

pub fn user_fields(user: &User, fields: FieldSet) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("user_id".into(), json!(user.user_id));
    map.insert("username".into(), json!(user.username));
    map.insert("email".into(), json!(user.email.as_ref().map(|e| e.as_str())));
    map.insert("display_name".into(), json!(user.display_name));
    map.insert("first_name".into(), json!(user.first_name));
    map.insert("middle_name".into(), json!(user.middle_name));
    map.insert("last_name".into(), json!(user.last_name));
    map.insert("is_totp_enabled".into(), json!(user.is_totp_enabled));
    map.insert("totp_label".into(), json!(user.totp_label.clone().unwrap_or_default()));
    if fields == FieldSet::Full {
        map.insert("is_active".into(), json!(true));
        map.insert("is_internal".into(), json!(false));
        map.insert("is_super_user".into(), json!(user.is_super_user));
        map.insert("is_approval_needed".into(), json!(!user.is_approved()));
        map.insert("approval_status".into(), json!(user.approval_status));
        map.insert("approval_status_mod_by".into(), json!(user.approval_status_mod_by));
        map.insert(
            "approval_status_mod_time".into(),
            json!(zato_time(user.approval_status_mod_time)),
        );
        map.insert("is_locked".into(), json!(user.lock.is_locked));
        map.insert("locked_time".into(), json!(user.lock.time.map(zato_time)));
        map.insert("locked_by".into(), json!(user.lock.by));
        map.insert("password_is_set".into(), json!(true));
        map.insert("password_must_change".into(), json!(user.password_must_change));
        map.insert("password_last_set".into(), json!(zato_time(user.password_last_set)));
        map.insert("password_expiry".into(), json!(zato_time(user.password_expiry)));
        map.insert("sign_up_status".into(), json!(user.sign_up_status));
        map.insert("sign_up_time".into(), json!(zato_time(user.sign_up_time)));
        map.insert("email_confirmed".into(), json!(user.email_confirmed));
    }
    map.retain(|_, v| !(v.is_null() || v.as_str() == Some("")));
    map
}
