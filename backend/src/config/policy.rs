//! The tenant policy: the sections of the reference's `sso.conf` (plus Gatehouse's per-tenant keys) whose values
//! the configuration file gives as defaults and each tenant may override. Defaults are Zato's template values
//! except where Gatehouse's spec changes them (noted on the field).

use super::values::{StringList, TimeZone};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything a tenant may override. Serialised as `{section: {key: value}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantPolicy {
    pub main: MainSection,
    pub apps: AppsSection,
    pub login: LoginSection,
    pub password: PasswordSection,
    pub session: SessionSection,
    pub signup: SignupSection,
    pub user_validation: UserValidationSection,
    pub search: SearchSection,
    pub password_reset: PasswordResetSection,
    /// `username = "*" | "" | "ip, cidr, ..."`: see reference §10.4.
    pub user_address_list: BTreeMap<String, StringList>,
    pub totp: TotpSection,
    pub zato_compat: ZatoCompatPolicy,
    pub oidc: OidcPolicy,
    /// Per kind of message (`signup_confirm`, `welcome`, `rejected`, `approval_needed`, `password_reset`,
    /// `email_change`, `email_change_notice`, `signup_attempt`, `invitation` and the security notices of
    /// `sso::security_notices`): a subject, text or HTML replacing the built-in one.
    pub mail_templates: BTreeMap<String, MailTemplate>,
}

/// The name the web UI acts under: reserved, so no tenant can list it and no caller but the web pages can use it.
pub const WEB_APP: &str = "gatehouse";

/// A minute, an hour, a day and a year in the units settings are given in.
const MINUTES_PER_YEAR: u32 = 525_600;
const DAYS_PER_CENTURY: u32 = 36_500;

/// A value out of its range: the dotted key and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError {
    pub key: &'static str,
    pub message: String,
}

impl TenantPolicy {
    /// Checks what the types alone cannot: every value that becomes a duration or a date lies in a range that
    /// date arithmetic can carry (and that makes sense), and the password rules agree with each other. The
    /// configuration file and every tenant override pass through here.
    pub fn check(&self) -> Result<(), RangeError> {
        let ranges: [(&'static str, u32, u32, &str); 14] = [
            ("password.expiry", self.password.expiry, DAYS_PER_CENTURY, "days"),
            (
                "password.about_to_expire_threshold",
                self.password.about_to_expire_threshold,
                DAYS_PER_CENTURY,
                "days",
            ),
            ("session.expiry", self.session.expiry, MINUTES_PER_YEAR, "minutes"),
            (
                "session.max_lifetime_minutes",
                self.session.max_lifetime_minutes,
                10 * MINUTES_PER_YEAR,
                "minutes",
            ),
            (
                "login.failure_window_minutes",
                self.login.failure_window_minutes,
                MINUTES_PER_YEAR,
                "minutes",
            ),
            (
                "login.lockout_minutes",
                self.login.lockout_minutes,
                MINUTES_PER_YEAR,
                "minutes",
            ),
            (
                "signup.confirm_valid_for_minutes",
                self.signup.confirm_valid_for_minutes,
                MINUTES_PER_YEAR,
                "minutes",
            ),
            (
                "signup.request_window_minutes",
                self.signup.request_window_minutes,
                MINUTES_PER_YEAR,
                "minutes",
            ),
            (
                "password_reset.valid_for",
                self.password_reset.valid_for,
                MINUTES_PER_YEAR,
                "minutes",
            ),
            (
                "password_reset.password_change_session_duration",
                self.password_reset.password_change_session_duration,
                86_400,
                "seconds",
            ),
            (
                "password_reset.request_window_minutes",
                self.password_reset.request_window_minutes,
                MINUTES_PER_YEAR,
                "minutes",
            ),
            ("password.max_length", self.password.max_length, 4096, "characters"),
            (
                "signup.max_length_username",
                self.signup.max_length_username,
                191,
                "characters",
            ),
            ("search.max_page_size", self.search.max_page_size, 10_000, "rows"),
        ];
        for (key, value, max, unit) in ranges {
            if value == 0 || value > max {
                return Err(RangeError {
                    key,
                    message: format!("must be 1 to {max} {unit}, not {value}"),
                });
            }
        }
        if self.password.min_complexity > 4 {
            return Err(RangeError {
                key: "password.min_complexity",
                message: "must be 0 to 4".to_owned(),
            });
        }
        if self.password.min_length > self.password.max_length {
            return Err(RangeError {
                key: "password.min_length",
                message: "must not exceed password.max_length".to_owned(),
            });
        }
        for (key, list) in [
            ("apps.all", &self.apps.all),
            ("apps.signup_allowed", &self.apps.signup_allowed),
            ("apps.login_allowed", &self.apps.login_allowed),
            ("apps.login_metadata_allowed", &self.apps.login_metadata_allowed),
        ] {
            if list.iter().any(|app| app == WEB_APP) {
                return Err(RangeError {
                    key,
                    message: format!("`{WEB_APP}` is reserved for the web UI, which needs no listing"),
                });
            }
        }
        if self.oidc.offline_lifetime_days == 0 || self.oidc.offline_lifetime_days > 3650 {
            return Err(RangeError {
                key: "oidc.offline_lifetime_days",
                message: format!("must be 1 to 3650 days, not {}", self.oidc.offline_lifetime_days),
            });
        }
        if self.totp.valid_window > 10 {
            return Err(RangeError {
                key: "totp.valid_window",
                message: format!("must be 0 to 10 steps, not {}", self.totp.valid_window),
            });
        }
        Ok(())
    }

    /// Checks a password validity in days given with a request (a user's creation, a password set): the same
    /// range as `password.expiry`.
    pub fn check_expiry_days(days: u32) -> Result<u32, RangeError> {
        if days == 0 || days > DAYS_PER_CENTURY {
            return Err(RangeError {
                key: "password_expiry",
                message: format!("must be 1 to {DAYS_PER_CENTURY} days, not {days}"),
            });
        }
        Ok(days)
    }
}

/// A tenant's version of a message. Placeholders: `{tenant}`, `{username}`, `{link}`, `{valid_for}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailTemplate {
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MainSection {
    /// Seal e-mail addresses at rest with the keyring.
    pub encrypt_email: bool,
    /// The site's name in e-mails.
    pub site_name: String,
    /// The time zone the pages show times in, unless a user chooses their own on the account page.
    pub time_zone: TimeZone,
}

impl Default for MainSection {
    fn default() -> Self {
        MainSection {
            encrypt_email: true,
            site_name: String::new(),
            time_zone: TimeZone::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppsSection {
    /// Every known `current_app`.
    pub all: StringList,
    /// Apps that may sign users up; empty means every app of `all`.
    pub signup_allowed: StringList,
    /// Apps that may log users in.
    pub login_allowed: StringList,
    /// Apps that may send `remote_addr` / `user_agent` in the login body (with a valid app key).
    pub login_metadata_allowed: StringList,
    /// E004001 rather than E005001 for an app that is not allowed.
    pub inform_if_app_invalid: bool,
    /// Gatehouse: a request naming an app must present a valid `X-App-Key`.
    pub require_key: bool,
}

impl Default for AppsSection {
    fn default() -> Self {
        AppsSection {
            all: StringList::of(&["CRM"]),
            signup_allowed: StringList::default(),
            login_allowed: StringList::of(&["CRM"]),
            login_metadata_allowed: StringList::default(),
            inform_if_app_invalid: true,
            require_key: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginSection {
    pub reject_if_not_listed: bool,
    pub inform_if_locked: bool,
    pub inform_if_not_confirmed: bool,
    pub inform_if_not_approved: bool,
    pub inform_if_totp_missing: bool,
    /// Gatehouse: failed logins within the window that lock the account.
    pub max_failures: u32,
    pub failure_window_minutes: u32,
    pub lockout_minutes: u32,
    /// Gatehouse: failed logins from one address within the window before it is throttled.
    pub max_failures_per_address: u32,
    /// Gatehouse: passkey logins one address may start in a minute (each keeps a ceremony for 5 minutes).
    pub max_passkey_starts_per_address: u32,
    /// Gatehouse: a super-user without 2FA cannot log in (E005009), except through the web UI, which lets
    /// them reach only their account page to enrol.
    pub require_totp_for_super_users: bool,
    /// Gatehouse: as `require_totp_for_super_users`, but only a passkey will do (E005010).
    pub require_passkey_for_super_users: bool,
}

impl Default for LoginSection {
    fn default() -> Self {
        LoginSection {
            reject_if_not_listed: false,
            inform_if_locked: true,
            inform_if_not_confirmed: true,
            inform_if_not_approved: true,
            inform_if_totp_missing: true,
            max_failures: 5,
            failure_window_minutes: 15,
            lockout_minutes: 15,
            max_failures_per_address: 50,
            max_passkey_starts_per_address: 300,
            require_totp_for_super_users: false,
            require_passkey_for_super_users: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordSection {
    /// Days a password stays valid.
    pub expiry: u32,
    pub inform_if_expired: bool,
    pub inform_if_about_to_expire: bool,
    pub inform_if_must_be_changed: bool,
    pub inform_if_invalid: bool,
    /// Days before expiry when the W003005 warning (or E003006) starts.
    pub about_to_expire_threshold: u32,
    /// Counted in characters.
    pub min_length: u32,
    pub max_length: u32,
    /// zxcvbn score 0 to 4; 0 switches the check off.
    pub min_complexity: u8,
    /// A password containing any entry (case-insensitively) is rejected.
    pub reject_list: StringList,
    /// Gatehouse: `new_password` is honoured at login, and self-service change works, when the password expired.
    pub allow_change_if_expired: bool,
    /// Gatehouse: a login whose (correct) password is on the common-password list must change it, as with
    /// must-change. New passwords are always checked against the list (E003009).
    pub check_breached_at_login: bool,
}

impl Default for PasswordSection {
    fn default() -> Self {
        PasswordSection {
            expiry: 730,
            inform_if_expired: false,
            inform_if_about_to_expire: true,
            inform_if_must_be_changed: true,
            inform_if_invalid: true,
            about_to_expire_threshold: 30,
            min_length: 8,
            max_length: 256,
            min_complexity: 0,
            reject_list: StringList::of(&[
                "111111",
                "123123",
                "123321",
                "123456",
                "123qwe",
                "1q2w3e",
                "1q2w3e4r",
                "1q2w3e4r5t",
                "222222",
                "333333",
                "444444",
                "555555",
                "654321",
                "666666",
                "777777",
                "888888",
                "999999",
                "987654321",
                "google",
                "letmein",
                "mynoob",
                "password",
                "qwerty",
                "zxcvbnm",
            ]),
            allow_change_if_expired: true,
            check_breached_at_login: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSection {
    /// Minutes a session lasts from login or the last renew.
    pub expiry: u32,
    /// Gatehouse: absolute lifetime; renew never extends past it.
    pub max_lifetime_minutes: u32,
    /// Gatehouse: sessions per user (0 = no cap); the oldest ends when the cap is reached.
    pub max_per_user: u32,
}

impl Default for SessionSection {
    fn default() -> Self {
        SessionSection {
            expiry: 60,
            max_lifetime_minutes: 720,
            max_per_user: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupSection {
    pub inform_if_user_exists: bool,
    pub inform_if_user_invalid: bool,
    pub inform_if_email_exists: bool,
    pub inform_if_email_invalid: bool,
    pub max_length_username: u32,
    pub max_length_email: u32,
    /// Gatehouse's default is false: sign-up is anonymous, and the token would let anyone skip the e-mail check.
    pub always_return_confirm_token: bool,
    pub is_email_required: bool,
    pub is_approval_needed: bool,
    /// Gatehouse: how long a confirmation link works.
    pub confirm_valid_for_minutes: u32,
    /// Gatehouse: who is told that a sign-up waits for approval; empty means the tenant's super-users.
    pub notify_approvers: StringList,
    /// Gatehouse: sign-ups from one address, and to one e-mail address, within the window.
    pub max_requests_per_address: u32,
    pub max_requests_per_recipient: u32,
    pub request_window_minutes: u32,
}

impl Default for SignupSection {
    fn default() -> Self {
        SignupSection {
            inform_if_user_exists: false,
            inform_if_user_invalid: false,
            inform_if_email_exists: false,
            inform_if_email_invalid: false,
            max_length_username: 128,
            max_length_email: 128,
            always_return_confirm_token: false,
            is_email_required: true,
            is_approval_needed: true,
            confirm_valid_for_minutes: 4320,
            notify_approvers: StringList::default(),
            max_requests_per_address: 20,
            max_requests_per_recipient: 5,
            request_window_minutes: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserValidationSection {
    /// Sign-up usernames containing any entry are rejected (E001001).
    pub reject_username: StringList,
    /// Sign-up e-mails containing any entry are rejected (E002001).
    pub reject_email: StringList,
}

impl Default for UserValidationSection {
    fn default() -> Self {
        let reserved = StringList::of(&["zato", "admin", "root", "system", "sso"]);
        UserValidationSection {
            reject_username: reserved.clone(),
            reject_email: reserved,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchSection {
    pub default_page_size: u32,
    pub max_page_size: u32,
}

impl Default for SearchSection {
    fn default() -> Self {
        SearchSection {
            default_page_size: 50,
            max_page_size: 100,
        }
    }
}

/// How a password-reset request finds its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSearchBy {
    Username,
    Email,
    UsernameOrEmail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordResetSection {
    /// Minutes a reset link works.
    pub valid_for: u32,
    /// Seconds the reset key, once issued, may be used to set the password (Zato read but ignored it).
    pub password_change_session_duration: u32,
    pub user_search_by: UserSearchBy,
    #[serde(rename = "email_title_en_GB")]
    pub email_title_en_gb: String,
    #[serde(rename = "email_title_en_US")]
    pub email_title_en_us: String,
    pub email_from: String,
    /// Gatehouse: reset requests from one address, and for one credential, within the window.
    pub max_requests_per_address: u32,
    pub max_requests_per_recipient: u32,
    pub request_window_minutes: u32,
}

impl Default for PasswordResetSection {
    fn default() -> Self {
        PasswordResetSection {
            valid_for: 1440,
            password_change_session_duration: 1800,
            user_search_by: UserSearchBy::Username,
            email_title_en_gb: "Password reset".to_owned(),
            email_title_en_us: "Password reset".to_owned(),
            email_from: "hello@example.com".to_owned(),
            max_requests_per_address: 20,
            max_requests_per_recipient: 5,
            request_window_minutes: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TotpSection {
    /// Time steps accepted before and after the current one.
    pub valid_window: u8,
}

impl Default for TotpSection {
    fn default() -> Self {
        TotpSection { valid_window: 1 }
    }
}

/// The per-tenant part of the Zato-compatible surface.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ZatoCompatPolicy {
    /// `PATCH /zato/sso/user` may switch the caller's own `is_totp_enabled`, and `PATCH /zato/sso/user/totp`
    /// re-key the caller's own active factor, with a session alone, as Zato allowed. Off by default: a stolen
    /// UST would otherwise remove or replace the second factor; a tenant migrated from Zato whose clients
    /// depend on it turns it on.
    pub allow_totp_toggle: bool,
}

/// The tenant's OpenID Provider settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcPolicy {
    /// Confidential clients get a refresh token with every code exchange, living as long as the browser's
    /// session may (`session.max_lifetime_minutes`); without it, only a grant of `offline_access` has one.
    pub refresh_for_confidential_clients: bool,
    /// Days a grant of `offline_access` lives (its refresh tokens, past the browser's session).
    pub offline_lifetime_days: u32,
}

impl Default for OidcPolicy {
    fn default() -> Self {
        OidcPolicy {
            refresh_for_confidential_clients: true,
            offline_lifetime_days: 30,
        }
    }
}
