//! The domain's values as the native API writes them (`shared::api`): datetimes in RFC 3339, a regular caller's
//! view of a user without the super-user fields.

use crate::domain::{Session, User};
use crate::http::call::rfc3339;
use gatehouse_shared::api;

/// A user as a caller sees them: every field for a super-user, the regular ones for anyone else (never a
/// secret); `is_approval_needed` tells the truth (quirk Q13).
pub fn user(user: &User, full: bool) -> api::User {
    api::User {
        user_id: user.user_id.clone(),
        username: user.username.to_string(),
        email: user.email.as_ref().map(|e| e.to_string()),
        display_name: user.display_name.clone(),
        first_name: user.first_name.clone(),
        middle_name: user.middle_name.clone(),
        last_name: user.last_name.clone(),
        is_totp_enabled: user.is_totp_enabled,
        totp_label: user.totp_label.clone().unwrap_or_default(),
        details: full.then(|| api::UserDetails {
            is_active: true,
            is_internal: false,
            is_super_user: user.is_super_user,
            is_approval_needed: !user.is_approved(),
            approval_status: user.approval_status,
            approval_status_mod_by: user.approval_status_mod_by.clone(),
            approval_status_mod_time: rfc3339(user.approval_status_mod_time),
            is_locked: user.lock.is_locked,
            locked_time: user.lock.time.map(rfc3339),
            locked_by: user.lock.by.clone(),
            password_is_set: true,
            password_must_change: user.password_must_change,
            password_last_set: rfc3339(user.password_last_set),
            password_expiry: rfc3339(user.password_expiry),
            sign_up_status: user.sign_up_status,
            sign_up_time: rfc3339(user.sign_up_time),
            email_confirmed: user.email_confirmed,
        }),
    }
}

/// A session without any secret; in a list, `current` says whether it is the caller's.
pub fn session(s: &Session, current: Option<&Session>) -> api::Session {
    api::Session {
        session_id: s.session_id.clone(),
        creation_time: rfc3339(s.creation_time),
        expiration_time: rfc3339(s.expiration_time),
        remote_addr: s.remote_addr.clone(),
        user_agent: s.user_agent.clone(),
        current: current.map(|c| c.pk() == s.pk()),
    }
}
