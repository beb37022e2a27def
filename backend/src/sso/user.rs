//! Users: creation with approval per setting, the password policy, lock, unlock, approve, reject, and setting a
//! password with its expiry and must-change flag.

use super::error::{Kind, SsoError, SsoResult};
use super::security_notices::Notice;
use super::{Admin, Ctx, Sso, audit, password_policy};
use crate::config::TenantPolicy;
use crate::crypto::password::Password;
use crate::crypto::{random_u128, random_urlsafe};
use crate::domain::{ApprovalStatus, SignupStatus, User, Username};
use crate::store::users::{self, UserRow};
use crate::store::{StoreError, TenantPk};
use chrono::{NaiveDateTime, TimeDelta};
use gatehouse_shared::{SubStatus, UserId};

// The stored spellings, for the services' work on rows.
pub const APPROVED: &str = ApprovalStatus::Approved.as_str();
pub const REJECTED: &str = ApprovalStatus::Rejected.as_str();
pub const BEFORE_DECISION: &str = ApprovalStatus::BeforeDecision.as_str();
pub const SIGNUP_FINAL: &str = SignupStatus::Final.as_str();
pub const SIGNUP_BEFORE_CONFIRMATION: &str = SignupStatus::BeforeConfirmation.as_str();

/// Usernames are stored as given (case-sensitive, like Zato's) but must be usable ([`Username::parse`]).
pub fn check_username(username: &str) -> Result<(), SubStatus> {
    Username::parse(username)
        .map(|_| ())
        .map_err(|_| SubStatus::UsernameInvalid)
}

/// The audit operation of a user's creation.
fn new_user_op(new: &NewUser) -> &'static str {
    if new.is_super_user {
        "user.create_super_user"
    } else {
        "user.create_user"
    }
}

/// Inserts a user made by [`Sso::new_user_row`] in the caller's transaction, audits it as `op`, and does `after`
/// with the stored row. A taken username is `E001002` (the unique index finds it: no lookup first).
pub(crate) fn insert_new_user(
    conn: &mut crate::store::AnyConnection,
    ctx: &Ctx,
    op: &str,
    row: &UserRow,
    after: impl FnOnce(&mut crate::store::AnyConnection, &UserRow) -> SsoResult<()>,
) -> SsoResult<UserRow> {
    let row = users::insert(conn, row).map_err(|e| {
        if e.is_unique_violation() {
            SsoError::refused(Kind::Conflict, SubStatus::UsernameExists)
        } else {
            SsoError::Store(e)
        }
    })?;
    audit::append_ctx(conn, ctx, op, Some(&row.user_id), Ok(()))?;
    after(conn, &row)?;
    Ok(row)
}

/// What a new user is made of.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    /// `None`: a random 192-bit password is set (the user must then reset it or be given one).
    pub password: Option<Password>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub is_super_user: bool,
    /// Approved at once, whatever `signup.is_approval_needed` says.
    pub auto_approve: bool,
    /// `true` for a sign-up awaiting e-mail confirmation.
    pub needs_confirmation: bool,
    pub must_change: bool,
    /// Days the password stays valid; `None` takes `password.expiry`.
    pub password_expiry_days: Option<u32>,
    /// The password is already expired (imports, tests).
    pub password_expired: bool,
    /// A base32 TOTP key of 80 bits or more; turns 2FA on unless `totp_enabled` says otherwise.
    pub totp_key: Option<String>,
    /// Whether 2FA is on; `None` means "if a key is given". On without a key is refused.
    pub totp_enabled: Option<bool>,
    pub totp_label: Option<String>,
    pub is_locked: bool,
}

pub use crate::domain::UserRef;

fn clean(name: Option<&String>) -> Option<String> {
    name.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub use super::totp::check_totp_key;

/// E-mail addresses compare case-insensitively and without surrounding spaces.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A password validity in days given with a request: 422 `E008002` naming `password_expiry` when out of range.
fn check_expiry_days(days: u32) -> SsoResult<u32> {
    TenantPolicy::check_expiry_days(days).map_err(|e| SsoError::Invalid {
        key: e.key.to_owned(),
        message: e.message,
    })
}

pub fn not_found() -> SsoError {
    SsoError::refused(Kind::NotFound, SubStatus::UserIdInvalid)
}

impl Sso {
    /// Checks a password against the tenant's policy. The error shows its code per `password.inform_if_invalid`.
    pub async fn check_password_policy(&self, ctx: &Ctx, password: &Password, user_inputs: &[&str]) -> SsoResult<()> {
        let policy = self.policy(&ctx.tenant).await?;
        password_policy::check(&policy.password, password, user_inputs)
            .map_err(|code| SsoError::refused_if(Kind::Policy, code, policy.password.inform_if_invalid))
    }

    /// An administrator creates a user. A duplicate username in the tenant is `E001002`.
    pub async fn create_user(&self, admin: &Admin, new: NewUser) -> SsoResult<User> {
        let row = self.create_user_with(admin.ctx(), new, |_, _| Ok(())).await?;
        self.user_of(&row)
    }

    /// The domain's view of a stored user.
    pub(crate) fn user_of(&self, row: &UserRow) -> SsoResult<User> {
        Ok(row.to_user(&self.keyring)?)
    }

    /// Creates a user and, in the same transaction, does `after` with the new row (a sign-up's token and
    /// confirmation e-mail), so either all of it happens or none.
    pub(crate) async fn create_user_with(
        &self,
        ctx: &Ctx,
        new: NewUser,
        after: impl FnOnce(&mut crate::store::AnyConnection, &UserRow) -> SsoResult<()> + Send + 'static,
    ) -> SsoResult<UserRow> {
        let policy = self.policy(&ctx.tenant).await?;
        let op = new_user_op(&new);
        let row = self.new_user_row(ctx, &policy, new).await?;
        let ctx = ctx.clone();
        self.store
            .tenant_with(ctx.tenant.pk, move |conn| insert_new_user(conn, &ctx, op, &row, after))
            .await
    }

    /// A new user's row, checked against the rules and `policy` (the tenant's), its password hashed: everything
    /// but the insert, which [`insert_new_user`] does in the caller's transaction.
    pub(crate) async fn new_user_row(&self, ctx: &Ctx, policy: &TenantPolicy, new: NewUser) -> SsoResult<UserRow> {
        check_username(&new.username).map_err(|code| SsoError::refused(Kind::BadInput, code))?;
        if let Some(days) = new.password_expiry_days {
            check_expiry_days(days)?;
        }
        let password = match &new.password {
            Some(p) => {
                let inputs: Vec<&str> = [Some(&new.username), new.email.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                password_policy::check(&policy.password, p, &inputs)
                    .map_err(|code| SsoError::refused_if(Kind::Policy, code, policy.password.inform_if_invalid))?;
                p.clone()
            }
            None => Password::new(random_urlsafe(24)),
        };
        if let Some(key) = &new.totp_key {
            check_totp_key(key).map_err(|code| SsoError::refused(Kind::BadInput, code))?;
        }
        let totp_enabled = new.totp_enabled.unwrap_or(new.totp_key.is_some());
        if totp_enabled && new.totp_key.is_none() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput));
        }
        let pk = ctx.tenant.pk;
        // A taken username is found by the insert (the unique index answers `E001002` below): no lookup first,
        // so a new user costs what a sign-up for a taken name costs.
        let hash = self.hasher.hash(ctx.tenant.pk, password).await?;

        let now = ctx.now;
        let approved = new.auto_approve || !policy.signup.is_approval_needed;
        let expiry_days = new.password_expiry_days.unwrap_or(policy.password.expiry);
        let password_expiry = if new.password_expired {
            now - TimeDelta::seconds(1)
        } else {
            super::clock::days_after(now, expiry_days)
        };
        let (first, middle, last) = (
            clean(new.first_name.as_ref()),
            clean(new.middle_name.as_ref()),
            clean(new.last_name.as_ref()),
        );
        let display_name = clean(new.display_name.as_ref()).or_else(|| {
            let joined = [&first, &middle, &last]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            Some(joined).filter(|s| !s.is_empty())
        });
        let (email, email_hash) = self.store_email(policy, clean(new.email.as_ref()));
        let row = UserRow {
            id: 0,
            tenant_id: pk,
            user_id: UserId::from_random(random_u128()).to_string(),
            username: new.username.clone(),
            is_super_user: new.is_super_user,
            is_locked: new.is_locked,
            locked_time: new.is_locked.then_some(now),
            locked_by: new.is_locked.then(|| ctx.actor.as_locker()),
            locked_until: None,
            approval_status: if approved { APPROVED } else { BEFORE_DECISION }.to_owned(),
            approval_status_mod_time: now,
            approval_status_mod_by: ctx.actor.as_approver(),
            password_hash: hash,
            password_must_change: new.must_change,
            password_last_set: now,
            password_expiry,
            sign_up_status: if new.needs_confirmation {
                SIGNUP_BEFORE_CONFIRMATION
            } else {
                SIGNUP_FINAL
            }
            .to_owned(),
            sign_up_time: now,
            sign_up_confirm_time: None,
            email,
            email_hash,
            display_name,
            first_name: first,
            middle_name: middle,
            last_name: last,
            is_totp_enabled: totp_enabled,
            totp_key: new.totp_key.as_ref().map(|k| self.keyring.seal(k.as_bytes())),
            totp_label: clean(new.totp_label.as_ref()).map(|l| self.keyring.seal(l.as_bytes())),
            totp_last_step: None,
            passkey_count: 0,
            email_confirmed: true,
        };
        Ok(row)
    }

    /// An e-mail address as stored (sealed when `main.encrypt_email`) and its keyed lookup hash.
    pub fn store_email(&self, policy: &TenantPolicy, email: Option<String>) -> (Option<String>, Option<String>) {
        match email {
            None => (None, None),
            Some(e) => {
                let hash = self.keyring.lookup_hash(&normalise_email(&e));
                let stored = if policy.main.encrypt_email {
                    self.keyring.seal(e.as_bytes())
                } else {
                    e
                };
                (Some(stored), Some(hash))
            }
        }
    }

    /// A stored e-mail address in the clear.
    pub fn open_email(&self, stored: &str) -> String {
        self.keyring.open_text(stored).unwrap_or_else(|| stored.to_owned())
    }

    /// A user of the administrator's tenant.
    pub async fn get_user(&self, admin: &Admin, user: &UserRef) -> SsoResult<User> {
        self.find_user(admin.ctx(), user).await
    }

    /// Finds a user of the context's tenant (for the services' own use: a surface asks [`Sso::get_user`]).
    pub(crate) async fn find_user(&self, ctx: &Ctx, user: &UserRef) -> SsoResult<User> {
        self.user_of(&self.user_row(ctx, user).await?)
    }

    /// The stored row of a user of the context's tenant.
    pub(crate) async fn user_row(&self, ctx: &Ctx, user: &UserRef) -> SsoResult<UserRow> {
        let pk = ctx.tenant.pk;
        let user = user.clone();
        self.store
            .tenant(pk, move |conn| find(conn, pk, &user))
            .await?
            .ok_or_else(not_found)
    }

    /// Reads a user, changes it and writes the changed columns back in one transaction, with an audit entry;
    /// a change that ends the user's sessions ends them (see [`super::user_write`]).
    pub(crate) async fn modify_user(
        &self,
        ctx: &Ctx,
        user: &UserRef,
        op: &'static str,
        change: impl FnOnce(&mut UserRow, NaiveDateTime) + Send + 'static,
    ) -> SsoResult<User> {
        let notify = self.notifier(ctx).await?;
        let pk = ctx.tenant.pk;
        let user = user.clone();
        let ctx = ctx.clone();
        let row = self
            .store
            .tenant_with(pk, move |conn| {
                let Some(before) = find(conn, pk, &user)? else {
                    return Ok(None);
                };
                let mut row = before.clone();
                change(&mut row, ctx.now);
                super::administrators::keeps_an_administrator(conn, pk, &before, Some(&row), ctx.now)?;
                super::user_write::write(conn, &before, &row, None, &notify)?;
                audit::append_ctx(conn, &ctx, op, Some(&row.user_id), Ok(()))?;
                Ok::<_, SsoError>(Some(row))
            })
            .await?
            .ok_or_else(not_found)?;
        self.user_of(&row)
    }

    /// Locks a user; every session of the user ends. Not one's own account, nor the last active super-user
    /// (`E008001`).
    pub async fn lock_user(&self, admin: &Admin, user: &UserRef) -> SsoResult<User> {
        let ctx = admin.ctx();
        let target = self.user_row(ctx, user).await?;
        super::administrators::not_on_own_account(admin, &target.user_id)?;
        let by = ctx.actor.as_locker();
        self.modify_user(ctx, user, "user.lock_user", move |row, now| {
            row.is_locked = true;
            row.locked_time = Some(now);
            row.locked_by = Some(by);
            row.locked_until = None;
        })
        .await
    }

    pub async fn unlock_user(&self, admin: &Admin, user: &UserRef) -> SsoResult<User> {
        self.modify_user(admin.ctx(), user, "user.unlock_user", |row, now| {
            row.is_locked = false;
            row.locked_time = Some(now);
            row.locked_by = None;
            row.locked_until = None;
        })
        .await
    }

    pub async fn approve_user(&self, admin: &Admin, user: &UserRef) -> SsoResult<User> {
        self.set_approval(admin.ctx(), user, ApprovalStatus::Approved, "user.approve_user")
            .await
    }

    /// Rejects a user: not one's own account, nor the last active super-user (`E008001`).
    pub async fn reject_user(&self, admin: &Admin, user: &UserRef) -> SsoResult<User> {
        let target = self.user_row(admin.ctx(), user).await?;
        super::administrators::not_on_own_account(admin, &target.user_id)?;
        self.set_approval(admin.ctx(), user, ApprovalStatus::Rejected, "user.reject_user")
            .await
    }

    /// Records an approval decision; a change of decision sends the user a welcome or a rejection notice (in
    /// the same transaction, through the outbox).
    async fn set_approval(
        &self,
        ctx: &Ctx,
        user: &UserRef,
        status: ApprovalStatus,
        op: &'static str,
    ) -> SsoResult<User> {
        let policy = self.policy(&ctx.tenant).await?;
        let by = ctx.actor.as_approver();
        let pk = ctx.tenant.pk;
        let who = user.clone();
        let c = ctx.clone();
        let notify = self.notifier_with(ctx, policy.clone());
        let sso = self.clone();
        let row = self
            .store
            .tenant_with(pk, move |conn| {
                let Some(before) = find(conn, pk, &who)? else {
                    return Err(not_found());
                };
                let changed = before.approval_status != status.as_str();
                let mut row = before.clone();
                row.approval_status = status.as_str().to_owned();
                row.approval_status_mod_time = c.now;
                row.approval_status_mod_by = by;
                super::administrators::keeps_an_administrator(conn, pk, &before, Some(&row), c.now)?;
                super::user_write::write(conn, &before, &row, None, &notify)?;
                audit::append_ctx(conn, &c, op, Some(&row.user_id), Ok(()))?;
                if changed && status != ApprovalStatus::BeforeDecision {
                    let kind = if status == ApprovalStatus::Approved {
                        "welcome"
                    } else {
                        "rejected"
                    };
                    sso.decision_notice(conn, &c, &policy, &row, kind)?;
                }
                Ok(row)
            })
            .await?;
        self.user_of(&row)
    }

    /// Records why an administrator decided on a sign-up (an audit entry with the reason as its extra).
    pub async fn note_decision_reason(&self, admin: &Admin, user_id: &str, reason: &str) -> SsoResult<()> {
        let ctx = admin.ctx();
        let reason: String = reason.trim().chars().take(500).collect();
        if reason.is_empty() {
            return Ok(());
        }
        let (pk, c, id) = (ctx.tenant.pk, ctx.clone(), user_id.to_owned());
        let extra = serde_json::json!({ "reason": reason }).to_string();
        Ok(self
            .store
            .tenant(pk, move |conn| {
                audit::append_ctx_extra(conn, &c, "user.approval_reason", Some(&id), Ok(()), Some(extra))
            })
            .await?)
    }

    /// An administrator sets a user's password after checking the policy; the expiry is `password_expiry_days`
    /// (or `password.expiry`) from now; every session of that user ends. One's own password is changed with the
    /// old one (`change_own_password`): a session alone must not set it (`E008001`).
    pub async fn set_password(
        &self,
        admin: &Admin,
        user: &UserRef,
        password: Password,
        must_change: bool,
        password_expiry_days: Option<u32>,
    ) -> SsoResult<User> {
        let ctx = admin.ctx();
        let current = self.find_user(ctx, user).await?;
        admin.not_on_self(&current.user_id)?;
        let inputs = [current.username.as_str()];
        self.check_password_policy(ctx, &password, &inputs).await?;
        let days = match password_expiry_days {
            Some(d) => check_expiry_days(d)?,
            None => self.policy(&ctx.tenant).await?.password.expiry,
        };
        let hash = self.hasher.hash(ctx.tenant.pk, password).await?;
        self.modify_user(
            ctx,
            &UserRef::Id(current.user_id),
            "user.set_password",
            move |row, now| {
                row.password_hash = hash;
                row.password_last_set = now;
                row.password_expiry = super::clock::days_after(now, days);
                row.password_must_change = must_change;
            },
        )
        .await
    }

    /// An administrator resets a user's 2FA: TOTP and the passkeys (see [`Sso::reset_two_factor`]).
    pub async fn reset_totp(&self, admin: &Admin, user: &UserRef) -> SsoResult<User> {
        self.reset_two_factor(admin, user, true).await
    }

    /// An administrator turns a user's 2FA off and forgets the key, the last used step, any enrolment and the
    /// recovery codes, and, with `passkeys`, removes the user's passkeys; the user's sessions end. One's own
    /// second factor goes only with the password and a proof (`disable_totp`, `remove_passkey`): a session
    /// alone, an administrator's included, must not remove it (`E008001`).
    pub async fn reset_two_factor(&self, admin: &Admin, user: &UserRef, passkeys: bool) -> SsoResult<User> {
        let ctx = admin.ctx();
        let row = self.find_user(ctx, user).await?;
        admin.not_on_self(&row.user_id)?;
        let (pk, user_pk, ctx_c, target) = (ctx.tenant.pk, row.pk, ctx.clone(), row.user_id.clone());
        let notify = self.notifier(ctx).await?;
        self.store
            .tenant(pk, move |conn| {
                super::totp_enrolment::clear_totp(conn, pk, user_pk, None, &notify)?;
                let removed = if passkeys {
                    crate::store::passkeys::for_user(conn, pk, user_pk)?
                } else {
                    Vec::new()
                };
                if passkeys && crate::store::passkeys::remove_all(conn, pk, user_pk)? > 0 {
                    if let Some(user) = users::by_pk(conn, pk, user_pk)? {
                        let names: Vec<String> = removed.into_iter().map(|p| p.name).collect();
                        notify.notify(conn, &user, &Notice::PasskeyRemoved { names })?;
                    }
                    super::session_end::end_for_user(conn, pk, user_pk, None, ctx_c.now)?;
                    audit::append_ctx(conn, &ctx_c, "user.passkey_remove_all", Some(&target), Ok(()))?;
                }
                audit::append_ctx(conn, &ctx_c, "user.reset_totp_key", Some(&target), Ok(()))
            })
            .await?;
        self.find_user(ctx, &UserRef::Id(row.user_id)).await
    }

    /// Whether `password` is the user's password (one verification on the hashing pool).
    pub async fn verify_password(&self, ctx: &Ctx, user: &User, password: Password) -> SsoResult<bool> {
        let row = self.user_row(ctx, &UserRef::Id(user.user_id.clone())).await?;
        self.verify_row_password(&row, password).await
    }

    /// Whether `password` is the password of the stored `row`.
    pub(crate) async fn verify_row_password(&self, row: &UserRow, password: Password) -> SsoResult<bool> {
        Ok(self
            .hasher
            .verify(row.tenant_id, password, row.password_hash.clone())
            .await?
            .matches)
    }
}

fn find(
    conn: &mut crate::store::AnyConnection,
    tenant: TenantPk,
    user: &UserRef,
) -> Result<Option<UserRow>, StoreError> {
    match user {
        UserRef::Username(name) => users::by_username(conn, tenant, name),
        UserRef::Id(id) => users::by_user_id(conn, tenant, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("Alice Smith").is_ok());
        assert_eq!(check_username(""), Err(SubStatus::UsernameInvalid));
        assert_eq!(check_username(" alice"), Err(SubStatus::UsernameInvalid));
        assert_eq!(check_username("a\nb"), Err(SubStatus::UsernameInvalid));
        assert_eq!(check_username(&"a".repeat(192)), Err(SubStatus::UsernameInvalid));
    }
}
