//! A user update's JSON body parsed into the domain's [`UserPatch`], once, for both REST surfaces. The native
//! API is strict (an unknown key is `E008002`); the Zato surface copies only the keys Zato's service knows and
//! ignores the rest (`totp_key` included, reference §9). Each passes its own datetime format.

use crate::domain::{ApprovalStatus, Clearable, Email, SignupStatus, UserPatch};
use crate::sso::{Kind, SsoError};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;
use serde_json::{Map, Value};

/// What a surface does with a key that names no field of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKeys {
    Refuse,
    Ignore,
}

fn invalid() -> SsoError {
    SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput)
}

fn text(value: &Value) -> Result<Clearable<String>, SsoError> {
    match value {
        Value::Null => Ok(Some(None)),
        Value::String(s) => Ok(Some(Some(s.clone()))),
        _ => Err(invalid()),
    }
}

fn flag(value: &Value) -> Result<Option<bool>, SsoError> {
    value.as_bool().map(Some).ok_or_else(invalid)
}

fn word(value: &Value) -> Result<&str, SsoError> {
    value.as_str().ok_or_else(invalid)
}

/// Parses `data` into a patch: a value of the wrong type is `E008002`, an address that is not one `E002001`.
/// Which fields the caller may change is the services' decision, not this one's.
pub fn parse(
    data: &Map<String, Value>,
    parse_time: fn(&str) -> Option<NaiveDateTime>,
    unknown: UnknownKeys,
) -> Result<UserPatch, SsoError> {
    let mut patch = UserPatch::default();
    for (key, value) in data {
        match key.as_str() {
            "username" => patch.username = Some(word(value)?.to_owned()),
            "email" => {
                patch.email = match text(value)? {
                    Some(Some(s)) if !s.trim().is_empty() => {
                        Some(Some(Email::parse(&s).map_err(|_| {
                            SsoError::refused(Kind::BadInput, SubStatus::EmailInvalid)
                        })?))
                    }
                    _ => Some(None),
                }
            }
            "display_name" => patch.display_name = text(value)?,
            "first_name" => patch.first_name = text(value)?,
            "middle_name" => patch.middle_name = text(value)?,
            "last_name" => patch.last_name = text(value)?,
            "totp_label" => patch.totp_label = text(value)?,
            "is_totp_enabled" => patch.is_totp_enabled = flag(value)?,
            "is_locked" => patch.is_locked = flag(value)?,
            "password_must_change" => patch.password_must_change = flag(value)?,
            "password_expiry" => patch.password_expiry = Some(parse_time(word(value)?).ok_or_else(invalid)?),
            "sign_up_status" => patch.sign_up_status = Some(SignupStatus::parse(word(value)?).ok_or_else(invalid)?),
            "approval_status" => patch.approval_status = Some(ApprovalStatus::parse(word(value)?).ok_or_else(invalid)?),
            _ if unknown == UnknownKeys::Ignore => {}
            _ => return Err(invalid()),
        }
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn no_time(_: &str) -> Option<NaiveDateTime> {
        None
    }

    #[test]
    fn parses_each_field_once() {
        let patch = parse(
            &map(
                json!({"username": " Ann ", "email": " ann@example.org ", "display_name": null,
                        "approval_status": "rejected", "is_locked": true}),
            ),
            no_time,
            UnknownKeys::Refuse,
        )
        .unwrap();
        assert_eq!(patch.username.as_deref(), Some(" Ann "));
        assert_eq!(
            patch.email.clone().flatten().map(|e| e.into_string()).as_deref(),
            Some("ann@example.org")
        );
        assert_eq!(patch.display_name, Some(None));
        assert_eq!(patch.approval_status, Some(ApprovalStatus::Rejected));
        assert_eq!(patch.is_locked, Some(true));
        assert_eq!(patch.fields().len(), 5);
        // An empty address removes it.
        let cleared = parse(&map(json!({"email": "  "})), no_time, UnknownKeys::Refuse).unwrap();
        assert_eq!(cleared.email, Some(None));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let code = |v: Value, unknown| parse(&map(v), no_time, unknown).unwrap_err().code();
        let invalid = Some(SubStatus::CommonInvalidInput);
        assert_eq!(code(json!({"nope": 1}), UnknownKeys::Refuse), invalid);
        assert_eq!(code(json!({"is_locked": "yes"}), UnknownKeys::Refuse), invalid);
        assert_eq!(code(json!({"display_name": 3}), UnknownKeys::Refuse), invalid);
        assert_eq!(code(json!({"sign_up_status": "done"}), UnknownKeys::Refuse), invalid);
        assert_eq!(code(json!({"password_expiry": "soon"}), UnknownKeys::Refuse), invalid);
        assert_eq!(
            code(json!({"email": "not-an-address"}), UnknownKeys::Refuse),
            Some(SubStatus::EmailInvalid)
        );
        let ignored = parse(&map(json!({"totp_key": "X", "nope": 1})), no_time, UnknownKeys::Ignore).unwrap();
        assert!(ignored.is_empty());
    }
}
