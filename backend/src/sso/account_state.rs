//! Whether an account may be used now: the checks every login and every use of a session make (the reference's
//! `UserChecker`), and the rule that super-users of a tenant that requires it have a second factor. One module
//! owns them, so the login, the session check and the administrator capability cannot disagree.

use super::error::{Kind, SsoError, SsoResult};
use super::{Ctx, address};
use crate::config::{StringList, TenantPolicy};
use crate::domain::{SignupStatus, User};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;

/// Whether a session's use checks the password's expiry: always, except for the call that changes an expired
/// password (reference quirk Q6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryCheck {
    Enforce,
    Skip,
}

fn refused(code: SubStatus, inform: bool) -> SsoError {
    SsoError::refused_if(Kind::Unauthenticated, code, inform)
}

/// What a super-user lacks of the second factor the tenant requires of its super-users: under
/// `login.require_passkey_for_super_users`, a login by passkey (`methods`, the session's `amr`, names `hwk` or
/// `swk`; `E005010`), else any second factor, TOTP or a passkey, under `login.require_totp_for_super_users`
/// (`E005009`).
pub fn second_factor_missing(policy: &TenantPolicy, user: &User, methods: &str) -> Option<SubStatus> {
    // Checked on every use of a session: only a super-user's methods are read.
    let by_passkey = || methods.split(' ').any(|m| m == "hwk" || m == "swk");
    if !user.is_super_user {
        None
    } else if policy.login.require_passkey_for_super_users && !by_passkey() {
        Some(SubStatus::AuthPasskeyRequired)
    } else if policy.login.require_totp_for_super_users && !user.has_second_factor() {
        Some(SubStatus::AuthTotpRequired)
    } else {
        None
    }
}

/// The refusal of a super-user without the second factor the tenant requires (`E005009` or `E005010`).
pub fn second_factor_required(code: SubStatus) -> SsoError {
    SsoError::refused(Kind::Forbidden, code)
}

/// Such a super-user may be signed in, and use their session, only through the web UI, which confines them to
/// enrolment (an administrator capability is refused to them everywhere). Checked at login and on every use of
/// a session, so a web session's token presented to the API is refused too.
pub fn super_user_second_factor(policy: &TenantPolicy, user: &User, methods: &str, ctx: &Ctx) -> SsoResult<()> {
    match second_factor_missing(policy, user, methods) {
        Some(code) if !ctx.is_web_ui() => Err(second_factor_required(code)),
        _ => Ok(()),
    }
}

/// Checks a user's state on every login and every use of a session: the app, the address, lock, confirmation,
/// approval and password expiry, each hidden per its inform flag.
pub fn check_user(
    policy: &TenantPolicy,
    user: &User,
    stored_list: Option<&StringList>,
    ctx: &Ctx,
    now: NaiveDateTime,
    expiry: ExpiryCheck,
) -> SsoResult<()> {
    check_account(policy, user, now)?;
    if !ctx.app_in(&policy.apps.all) {
        return Err(refused(SubStatus::AppListInvalid, policy.apps.inform_if_app_invalid));
    }
    check_address(policy, user, stored_list, ctx.remote_addr.as_deref())?;
    if expiry == ExpiryCheck::Enforce && user.password_expired_at(now) {
        return Err(refused(SubStatus::PasswordExpired, policy.password.inform_if_expired));
    }
    Ok(())
}

/// Approval, confirmation and lock.
pub fn check_account(policy: &TenantPolicy, user: &User, now: NaiveDateTime) -> SsoResult<()> {
    if !user.is_approved() {
        return Err(refused(SubStatus::AuthNotApproved, policy.login.inform_if_not_approved));
    }
    if user.sign_up_status != SignupStatus::Final {
        return Err(refused(
            SubStatus::AuthInvalidSignupStatus,
            policy.login.inform_if_not_confirmed,
        ));
    }
    if user.is_locked_at(now) {
        return Err(refused(SubStatus::AuthLocked, policy.login.inform_if_locked));
    }
    Ok(())
}

/// The user's allow-list: the one stored for the user if any, else the tenant's `user_address_list` entry.
pub fn check_address(
    policy: &TenantPolicy,
    user: &User,
    stored_list: Option<&StringList>,
    remote_addr: Option<&str>,
) -> SsoResult<()> {
    let entry = stored_list.or_else(|| policy.user_address_list.get(user.username.as_str()));
    if address::allowed(entry, policy.login.reject_if_not_listed, remote_addr) {
        Ok(())
    } else {
        Err(refused(SubStatus::AuthNotAllowed, true))
    }
}
