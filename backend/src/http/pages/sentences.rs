//! Sub-status codes as sentences people understand, for the web pages. The code chosen by the domain has
//! already been hidden per the tenant's inform flags, so a sentence never says more than the code does.

use gatehouse_shared::SubStatus;

/// What a refused form field holds, as far as the code tells: the page maps it to its own field's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Username,
    Email,
    /// The new password a form proposes.
    NewPassword,
}

/// The field an error is about, where its code names one.
pub fn field_of(code: SubStatus) -> Option<FieldKind> {
    use SubStatus::*;
    match code {
        UsernameInvalid | UsernameExists | UsernameTooLong | UsernameHasWhitespace => Some(FieldKind::Username),
        EmailInvalid | EmailExists | EmailTooLong | EmailHasWhitespace | EmailMissing => Some(FieldKind::Email),
        PasswordInvalid
        | PasswordTooShort
        | PasswordTooLong
        | PasswordNotComplexEnough
        | PasswordTooCommon
        | PasswordNotChanged => Some(FieldKind::NewPassword),
        _ => None,
    }
}

pub fn sentence(code: SubStatus) -> String {
    use SubStatus::*;
    match code {
        AuthNotAllowed => "The username or password is not right.",
        AuthLocked => "This account is locked. Please contact your administrator.",
        AuthInvalidSignupStatus => {
            "Please confirm your e-mail address first: follow the link in the message we sent you."
        }
        AuthNotApproved => "This account is waiting for approval by an administrator.",
        AuthTotpMissing => "Please enter the code from your authenticator app, or use your passkey.",
        AuthTotpRequired => "Administrators must enable two-factor authentication first.",
        AuthPasskeyRequired => "Administrators must add a passkey first.",
        PasskeysOff => "Passkeys cannot be used on this server.",
        PasskeyNoSuchCeremony => "The passkey request is unknown, used or expired. Please try again.",
        PasskeyInvalid => "The passkey's answer was not accepted. Please try again.",
        PasskeyNoSuchPasskey => "No such passkey. It may have been removed from this account.",
        PasskeyCounterRegressed => {
            "This passkey was refused: it may have been copied. Use another way to log in, and tell your administrator."
        }
        PasskeyAlreadyRegistered => "This passkey is already registered.",
        PasskeyLimit => "No more passkeys can be added to this account. Remove one first.",
        PasskeyNone => "This account has no passkey.",
        PasswordExpired => "Your password has expired.",
        PasswordAboutToExpireError => "Your password is about to expire and must be changed.",
        PasswordMustSendNew => "Your password must be changed.",
        PasswordTooShort => "The new password is too short.",
        PasswordTooLong => "The new password is too long.",
        PasswordInvalid => "The new password contains a word that is too easy to guess.",
        PasswordNotComplexEnough => {
            "The new password is too easy to guess. Try a longer one, or a few unrelated words."
        }
        PasswordTooCommon => "The new password is one of the most common passwords. Please choose another.",
        PasswordNotChanged => "The new password must be different from your current one.",
        AppListInvalid | AppListNoSignup => "This application may not be used here.",
        AppKeyInvalid => "This application is not recognised.",
        ThrottleAddress | ThrottleHashQueue => "Too many attempts. Please wait a moment and try again.",
        TenantSuspended => "Sign-in for this organisation is suspended.",
        TenantNoSuchTenant => "There is no such organisation.",
        SessionNoSuchSession => "Your session has ended. Please log in again.",
        UsernameExists => "That username is taken.",
        UsernameTooLong => "That username is too long.",
        UsernameHasWhitespace => "A username cannot contain spaces.",
        UsernameInvalid => "That username is not allowed.",
        EmailExists => "That e-mail address is already in use.",
        EmailInvalid => "That e-mail address is not valid.",
        EmailMissing => "Please enter an e-mail address.",
        EmailTooLong => "That e-mail address is too long.",
        EmailHasWhitespace => "An e-mail address cannot contain spaces.",
        AuthNoSuchSignUpToken => "This link is not valid, or it has expired.",
        AuthSignUpConfirmed => "This link has already been used.",
        PasswordResetCouldNotAccess => "This link is not valid, has expired, or has already been used.",
        CommonInvalidOperation => {
            "That is not allowed here: not on your own account (use your account page), nor on an organisation's last administrator."
        }
        CommonMissingInput | CommonInvalidInput => "Some of the information is missing or not valid.",
        CommonUnavailable => "The service is briefly unavailable. Please try again in a few seconds.",
        _ => "That did not work. Please try again.",
    }
    .to_owned()
}

/// The password policy in sentences, for the forms that set one.
pub fn policy_lines(p: &crate::config::policy::PasswordSection) -> Vec<String> {
    let mut lines = vec![format!(
        "At least {} characters, at most {}.",
        p.min_length, p.max_length
    )];
    lines.push("No common words such as \"password\" or \"qwerty\", and not a commonly used password.".to_owned());
    if p.min_complexity > 0 {
        lines.push("Hard to guess: a long phrase of unrelated words works well.".to_owned());
    }
    lines
}
