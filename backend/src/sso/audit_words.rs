//! The audit log in words: each operation Gatehouse records, said the way an administrator reads it. Every
//! operation written to the log is listed here (debug builds check it on every write), so the log page and
//! its filter of operations have a sentence for each.

use gatehouse_shared::SubStatus;

/// Every operation of the audit log, with what it says happened (the entry names who did it and to whom).
pub const OPERATIONS: &[(&str, &str)] = &[
    ("user.login", "Logged in"),
    ("user.logout", "Logged out"),
    ("login.throttled", "Login refused: too many attempts"),
    ("session.renew", "Renewed a session"),
    ("session.end", "Ended a session"),
    ("user.signup", "Signed up"),
    ("user.confirm_signup", "Confirmed their e-mail address"),
    ("user.signup_approval_requested", "Asked for approval"),
    ("user.approval_reason", "Gave the reason of a decision"),
    ("user.approve_user", "Approved a sign-up"),
    ("user.reject_user", "Rejected a sign-up"),
    ("user.create_user", "Created a user"),
    ("user.create_super_user", "Created an administrator"),
    ("user.invite", "Invited an administrator by e-mail"),
    ("user.import_zato", "Imported a user from Zato"),
    ("user.update_user_by_id", "Changed a user's account"),
    ("user.update_current_user", "Changed their own account"),
    ("user.delete_user_by_id", "Deleted a user"),
    ("user.lock_user", "Locked an account"),
    ("user.unlock_user", "Unlocked an account"),
    ("user.auto_lock", "Account locked after failed logins"),
    ("user.set_password", "Set a user's password"),
    ("user.change_password", "Changed their password"),
    ("user.confirm_email_change", "Confirmed a new e-mail address"),
    ("user.set_address_list", "Changed a user's allowed addresses"),
    // No longer written (reading is not writing), still in older logs.
    ("user.search", "Searched the users"),
    ("user.set_time_zone", "Chose a time zone"),
    ("user.totp_enable", "Turned on two-factor authentication"),
    ("user.totp_disable", "Turned off two-factor authentication"),
    ("user.reset_totp_key", "Reset two-factor authentication"),
    ("user.passkey_add", "Added a passkey"),
    ("user.passkey_remove", "Removed a passkey"),
    ("user.passkey_remove_all", "Removed every passkey of a user"),
    (
        "user.passkey_counter_regressed",
        "Used a passkey whose counter went back (a copied key?)",
    ),
    ("password_reset.create_token", "Was sent a password reset link"),
    ("password_reset.access_token", "Opened a password reset link"),
    ("password_reset.change_password", "Chose a new password by reset"),
    ("attr.create", "Created an attribute"),
    ("attr.set", "Set an attribute"),
    ("attr.update", "Changed an attribute"),
    ("attr.delete", "Deleted an attribute"),
    ("settings.update", "Changed a setting"),
    ("app.key_create", "Created an application key"),
    ("app.key_revoke", "Revoked an application key"),
    ("app.client_put", "Saved an application's sign-in settings"),
    ("app.client_delete", "Removed an application's sign-in settings"),
    ("app.client_secret", "Made a new client secret"),
    ("tenant.create", "Created the tenant"),
    ("tenant.update", "Changed the tenant"),
    ("tenant.suspend", "Suspended the tenant"),
    ("tenant.resume", "Resumed the tenant"),
    ("oidc.authorize", "Signed in to an application"),
    ("oidc.token", "An application took its tokens"),
    ("oidc.refresh", "An application refreshed its tokens"),
    (
        "oidc.refresh_reuse",
        "A used refresh token came back (the grant was ended)",
    ),
    (
        "oidc.code_replay",
        "A used authorization code came back (the grant was ended)",
    ),
    ("oidc.revoke", "An application revoked a token"),
    ("oidc.introspect", "An application checked a token"),
    ("oidc.register", "Registered an application"),
    ("oidc.logout", "Logged out through an application"),
    ("oidc.access_end", "Ended an application's access"),
    ("oidc.grant_end", "Ended an application's sign-in"),
    ("oidc.keys_rotate", "Rotated the signing keys"),
    ("oidc.backchannel_logout", "Told an application of a logout"),
];

/// What an operation says happened; `None` for one this build does not know (an entry of a newer version).
pub fn operation(op: &str) -> Option<&'static str> {
    OPERATIONS.iter().find(|(code, _)| *code == op).map(|(_, words)| *words)
}

/// An entry's result in words: "Done", or the refusal's meaning (its code is the detail).
pub fn result(result: &str, sub_status: Option<&str>) -> String {
    if result == "ok" {
        return "Done".to_owned();
    }
    match sub_status.and_then(SubStatus::from_code) {
        Some(code) => format!("Refused: {}", code.meaning()),
        None => "Refused".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_is_listed_once_and_said_in_words() {
        for (i, (code, words)) in OPERATIONS.iter().enumerate() {
            assert!(code.contains('.') && !words.is_empty(), "{code}");
            assert!(!OPERATIONS[..i].iter().any(|(c, _)| c == code), "{code} twice");
        }
        assert_eq!(operation("user.lock_user"), Some("Locked an account"));
        assert_eq!(operation("user.unknown"), None);
        assert_eq!(result("ok", None), "Done");
        assert_eq!(
            result("error", Some("E003001")),
            "Refused: The password contains a word that is not allowed."
        );
        assert_eq!(result("error", Some("nonsense")), "Refused");
    }
}
