//! Status values and sub-status codes. The codes and their names are the reference's (Zato SSO 3.2, §6.2) with
//! Gatehouse's additions in the same style (E011xxx throttling, E012xxx tenants). Clients match on the code
//! string, so these strings never change.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The outcome class of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Error,
    Warning,
}

macro_rules! sub_statuses {
    ($($variant:ident => ($code:literal, $name:literal, $meaning:literal),)+) => {
        /// A sub-status code: why a call failed, or what a successful call warns about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SubStatus {
            $(#[doc = $meaning] $variant,)+
        }

        impl SubStatus {
            /// Every code, in numeric order.
            pub const ALL: &'static [SubStatus] = &[$(SubStatus::$variant,)+];

            /// The wire form, e.g. `E005001`.
            pub const fn code(self) -> &'static str {
                match self { $(SubStatus::$variant => $code,)+ }
            }

            /// The reference's dotted name, e.g. `auth.not_allowed`.
            pub const fn name(self) -> &'static str {
                match self { $(SubStatus::$variant => $name,)+ }
            }

            /// A sentence for people (problem+json `detail`, logs); never includes user data.
            pub const fn meaning(self) -> &'static str {
                match self { $(SubStatus::$variant => $meaning,)+ }
            }

            /// Parses the wire form.
            pub fn from_code(code: &str) -> Option<SubStatus> {
                match code { $($code => Some(SubStatus::$variant),)+ _ => None }
            }
        }
    };
}

sub_statuses! {
    UsernameInvalid => ("E001001", "username.invalid", "The username is missing or not allowed."),
    UsernameExists => ("E001002", "username.exists", "The username is already taken."),
    UsernameTooLong => ("E001003", "username.too_long", "The username is too long."),
    UsernameHasWhitespace => ("E001004", "username.has_whitespace", "The username contains whitespace."),
    UserIdInvalid => ("E001100", "user_id.invalid", "The user id is not valid."),
    EmailInvalid => ("E002001", "email.invalid", "The e-mail address is not allowed."),
    EmailExists => ("E002002", "email.exists", "The e-mail address is already in use."),
    EmailTooLong => ("E002003", "email.too_long", "The e-mail address is too long."),
    EmailHasWhitespace => ("E002004", "email.has_whitespace", "The e-mail address contains whitespace."),
    EmailMissing => ("E002005", "email.missing", "An e-mail address is required."),
    PasswordInvalid => ("E003001", "password.invalid", "The password contains a word that is not allowed."),
    PasswordTooShort => ("E003002", "password.too_short", "The password is too short."),
    PasswordTooLong => ("E003003", "password.too_long", "The password is too long."),
    PasswordExpired => ("E003004", "password.expired", "The password has expired."),
    PasswordAboutToExpireWarning => ("W003005", "password.w_about_to_exp", "The password is about to expire."),
    PasswordAboutToExpireError => ("E003006", "password.e_about_to_exp", "The password is about to expire and must be changed."),
    PasswordMustSendNew => ("E003007", "password.must_send_new", "The password must be changed: send a new one."),
    PasswordNotComplexEnough => ("E003008", "password.not_complex_enough", "The password is too easy to guess."),
    PasswordTooCommon => ("E003009", "password.too_common", "The password is too common: it is on lists of breached passwords."),
    PasswordNotChanged => ("E003010", "password.not_changed", "The new password must differ from the current one."),
    AppListInvalid => ("E004001", "app_list.invalid", "The application is not allowed."),
    AppListNoSignup => ("E004002", "app_list.no_signup", "Sign-up is not allowed for this application."),
    AppKeyInvalid => ("E004003", "app_list.key_invalid", "The application's key is missing or not valid."),
    AuthNotAllowed => ("E005001", "auth.not_allowed", "Not allowed."),
    AuthLocked => ("E005002", "auth.locked", "The account is locked."),
    AuthInvalidSignupStatus => ("E005003", "auth.invalid_signup_status", "The sign-up has not been confirmed."),
    AuthNotApproved => ("E005004", "auth.not_approved", "The account has not been approved."),
    AuthSuperUserRequired => ("E005005", "auth.super_user_required", "A super-user is required."),
    AuthNoSuchSignUpToken => ("E005006", "auth.no_such_sign_up_token", "No such sign-up confirmation token."),
    AuthSignUpConfirmed => ("E005007", "auth.sign_up_confirmed", "The sign-up has already been confirmed."),
    AuthTotpMissing => ("E005008", "auth.totp_missing", "A second factor is required: a TOTP code, a recovery code or a passkey."),
    AuthTotpRequired => ("E005009", "auth.totp_required", "This super-user must enable two-factor authentication first."),
    AuthPasskeyRequired => ("E005010", "auth.passkey_required", "This super-user must add a passkey first."),
    MetadataNotAllowed => ("E006001", "metadata.not_allowed", "This application may not send login metadata."),
    SessionNoSuchSession => ("E007001", "session.no_such_session", "No such session."),
    SessionExpired => ("E007002", "session.expired", "The session has expired."),
    CommonInvalidOperation => ("E008001", "common.invalid_operation", "The operation is not allowed."),
    CommonInvalidInput => ("E008002", "common.invalid_input", "The input is not valid."),
    CommonMissingInput => ("E008003", "common.missing_input", "Required input is missing."),
    CommonInternalError => ("E008004", "common.internal_error", "An internal error occurred."),
    CommonUnavailable => ("E008005", "common.unavailable", "The service is briefly unavailable (its database cannot be reached); try again shortly."),
    AttrAlreadyExists => ("E009001", "attr.already_exists", "The attribute already exists."),
    AttrNoSuchAttr => ("E009002", "attr.no_such_attr", "No such attribute."),
    PasswordResetCouldNotAccess => ("E010001", "password_reset.could_not_access", "The password reset token or key is not valid."),
    ThrottleAddress => ("E011001", "throttle.address", "Too many failed attempts from this address; try again later."),
    ThrottleHashQueue => ("E011002", "throttle.hash_queue", "The server is busy; try again later."),
    TenantNoSuchTenant => ("E012001", "tenant.no_such_tenant", "No such tenant."),
    TenantSuspended => ("E012002", "tenant.suspended", "The tenant is suspended."),
    PasskeysOff => ("E013001", "passkey.off", "Passkeys are off on this server: its public address is not a domain."),
    PasskeyNoSuchCeremony => ("E013002", "passkey.no_such_ceremony", "The passkey request is unknown, used or expired; start again."),
    PasskeyInvalid => ("E013003", "passkey.invalid", "The passkey's answer is not valid for this request."),
    PasskeyNoSuchPasskey => ("E013004", "passkey.no_such_passkey", "No such passkey."),
    PasskeyCounterRegressed => ("E013005", "passkey.counter_regressed", "The passkey's signature counter went backwards: it may have been copied."),
    PasskeyAlreadyRegistered => ("E013006", "passkey.already_registered", "This passkey is already registered."),
    PasskeyLimit => ("E013007", "passkey.limit", "No more passkeys can be added to this account."),
    PasskeyNone => ("E013008", "passkey.none", "This account has no passkey."),
}

impl SubStatus {
    /// Whether this code reports a warning on a successful call rather than an error.
    pub const fn is_warning(self) -> bool {
        matches!(self, SubStatus::PasswordAboutToExpireWarning)
    }
}

impl fmt::Display for SubStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for SubStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for SubStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        SubStatus::from_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown sub-status code {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_round_trip() {
        let codes: Vec<&str> = SubStatus::ALL.iter().map(|s| s.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_by_key(|c| &c[1..]);
        sorted.dedup();
        assert_eq!(codes, sorted, "codes must be unique and listed in numeric order");
        for s in SubStatus::ALL {
            assert_eq!(SubStatus::from_code(s.code()), Some(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.code()));
            assert_eq!(serde_json::from_str::<SubStatus>(&json).unwrap(), *s);
        }
    }

    #[test]
    fn reference_strings_are_exact() {
        assert_eq!(SubStatus::AuthNotAllowed.code(), "E005001");
        assert_eq!(SubStatus::AuthNotApproved.name(), "auth.not_approved");
        assert_eq!(SubStatus::PasswordAboutToExpireWarning.code(), "W003005");
        assert!(SubStatus::PasswordAboutToExpireWarning.is_warning());
        assert!(!SubStatus::PasswordAboutToExpireError.is_warning());
        // 47, then the passkeys' E005010 and E013001 to E013008.
        assert_eq!(SubStatus::ALL.len(), 56);
        assert_eq!(SubStatus::AuthPasskeyRequired.code(), "E005010");
        assert_eq!(SubStatus::PasskeyNone.code(), "E013008");
        assert_eq!(SubStatus::PasswordNotChanged.code(), "E003010");
        assert_eq!(SubStatus::CommonUnavailable.code(), "E008005");
        assert!(serde_json::from_str::<SubStatus>("\"E999999\"").is_err());
    }

    #[test]
    fn status_serialises_lower_case() {
        assert_eq!(serde_json::to_string(&Status::Warning).unwrap(), "\"warning\"");
    }
}
