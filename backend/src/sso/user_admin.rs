//! Managing users through a session: updating fields (the caller's own regular fields; a super-user's on
//! anyone), deleting, changing one's own password (also when it has expired), setting another user's password,
//! and the per-user IP allow-list stored in the database.

use super::error::{Kind, SsoError, SsoResult};
use super::session::CurrentSession;
use super::user::not_found;
use super::{Admin, Ctx, Sso, UserRef, audit, password_policy};
use crate::config::parse_net;
use crate::crypto::password::Password;
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::domain::{Clearable, User, UserPatch};
use crate::store::email_tokens::{self, NewEmailToken};
use crate::store::users;
use crate::store::{address_lists, sessions as session_rows};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;

fn invalid() -> SsoError {
    SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput)
}

/// A password expiry given as a date: from 1900 to [`super::clock::NEVER`] (what both stores hold and every
/// client parses); 422 `E008002` naming `password_expiry` otherwise.
fn check_expiry_date(when: NaiveDateTime) -> SsoResult<NaiveDateTime> {
    let earliest = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    if earliest.is_some_and(|e| when < e) || when > super::clock::NEVER {
        return Err(SsoError::Invalid {
            key: "password_expiry".to_owned(),
            message: "must be a date from 1900 to 9999".to_owned(),
        });
    }
    Ok(when)
}

/// Whether a user may switch their own `is_totp_enabled` without a code: on the Zato surface where the tenant
/// sets `zato_compat.allow_totp_toggle`, nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpToggle {
    Allowed,
    Refused,
}

/// A text field as stored: trimmed, and empty means none.
fn text(value: &Clearable<String>) -> Option<String> {
    value
        .as_ref()
        .and_then(|v| v.as_ref())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl Sso {
    /// Updates the caller's own account: only the regular fields, whoever the caller is (and `is_totp_enabled`
    /// where the surface keeps Zato's toggle). No fields at all is `E008003`; others `E008002`.
    pub async fn update_own_user(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        patch: UserPatch,
        toggle: TotpToggle,
    ) -> SsoResult<User> {
        self.apply_patch(ctx, current, &current.user.user_id, false, patch, toggle)
            .await
    }

    /// An administrator updates any user of the tenant, themselves included, with every field.
    pub async fn update_user(&self, admin: &Admin, user_id: &str, patch: UserPatch) -> SsoResult<User> {
        let Some(current) = admin.session() else {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation));
        };
        self.apply_patch(admin.ctx(), current, user_id, true, patch, TotpToggle::Refused)
            .await
    }

    /// A super-user's update of another user, or anyone's of their own account, by the caller's session (the Zato
    /// surface names the target in the body): another user's needs the administrator capability.
    pub async fn update_user_by(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        user_id: Option<&str>,
        patch: UserPatch,
        toggle: TotpToggle,
    ) -> SsoResult<User> {
        match user_id {
            Some(id) if id != current.user.user_id => {
                let admin = current.require_super_user(ctx)?;
                self.update_user(&admin, id, patch).await
            }
            _ if current.user.is_super_user => {
                let admin = current.require_super_user(ctx)?;
                self.apply_patch(admin.ctx(), current, &current.user.user_id, true, patch, toggle)
                    .await
            }
            _ => self.update_own_user(ctx, current, patch, toggle).await,
        }
    }

    /// Applies `patch` to `target_id` for the session's user; `as_admin` opens the super-user fields.
    async fn apply_patch(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        target_id: &str,
        as_admin: bool,
        patch: UserPatch,
        toggle: TotpToggle,
    ) -> SsoResult<User> {
        if patch.is_empty() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        }
        let on_self = target_id == current.user.user_id;
        for key in patch.fields() {
            let allowed = UserPatch::REGULAR_FIELDS.contains(&key)
                || (as_admin && UserPatch::SUPER_FIELDS.contains(&key))
                // One's own 2FA switched without a code only where the surface keeps Zato's toggle; a
                // super-user may switch another user's.
                || (key == UserPatch::TOTP_TOGGLE
                    && if on_self { toggle == TotpToggle::Allowed } else { as_admin });
            if !allowed {
                return Err(invalid());
            }
        }
        // Nobody locks or rejects their own account (a demotion of the last super-user is refused below).
        let against_self =
            patch.is_locked == Some(true) || patch.approval_status == Some(crate::domain::ApprovalStatus::Rejected);
        if on_self && against_self {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation));
        }
        let policy = self.policy(&ctx.tenant).await?;
        let mut pending_email = None;
        let mut email_set_by_admin = false;
        let before = self.user_row(ctx, &UserRef::Id(target_id.to_owned())).await?;
        let mut user = before.clone();
        if let Some(name) = &patch.username {
            // As given, not trimmed: a rename follows the sign-up rules, surrounding whitespace included. The
            // caller is known, so the reason is always shown (sign-up's inform flag guards against probing by
            // strangers).
            if *name != before.username
                && let Some(code) = super::signup::username_refusal(&policy, name)
            {
                return Err(SsoError::refused(Kind::Policy, code));
            }
            user.username = name.clone();
        }
        match &patch.email {
            None => {}
            // Removing the address needs no confirmation.
            Some(None) => {
                user.email = None;
                user.email_hash = None;
            }
            Some(Some(new)) => {
                let (stored, hash) = self.store_email(&policy, Some(new.as_str().to_owned()));
                if hash != user.email_hash && on_self {
                    // One's own new address waits for confirmation from itself; the old one stays in force and
                    // is told.
                    pending_email = Some((new.as_str().to_owned(), stored, hash));
                } else if hash != user.email_hash {
                    // A super-user's change of another's address is trusted and applies at once.
                    user.email = stored;
                    user.email_hash = hash;
                    user.email_confirmed = true;
                    email_set_by_admin = true;
                }
            }
        }
        if patch.display_name.is_some() {
            user.display_name = text(&patch.display_name);
        }
        if patch.first_name.is_some() {
            user.first_name = text(&patch.first_name);
        }
        if patch.middle_name.is_some() {
            user.middle_name = text(&patch.middle_name);
        }
        if patch.last_name.is_some() {
            user.last_name = text(&patch.last_name);
        }
        if patch.totp_label.is_some() {
            user.totp_label = text(&patch.totp_label).map(|l| self.keyring.seal(l.as_bytes()));
        }
        if let Some(on) = patch.is_totp_enabled {
            if on && user.totp_key.is_none() {
                // There is no key to check codes against: set one first.
                return Err(invalid());
            }
            user.is_totp_enabled = on;
        }
        // Against the lock in force now: an automatic lock that has ended is none (a lock is then a new one), and
        // locking an account under an automatic lock makes the lock last until it is lifted.
        if let Some(locked) = patch.is_locked
            && (locked != super::security_notices::locked_at(&user, ctx.now)
                || locked == user.is_locked && user.locked_until.is_some())
        {
            user.is_locked = locked;
            user.locked_time = Some(ctx.now);
            user.locked_by = locked.then(|| ctx.actor.as_locker());
            user.locked_until = None;
        }
        if let Some(when) = patch.password_expiry {
            user.password_expiry = crate::store::truncate_micros(check_expiry_date(when)?);
        }
        if let Some(must) = patch.password_must_change {
            user.password_must_change = must;
        }
        if let Some(status) = patch.sign_up_status {
            user.sign_up_status = status.as_str().to_owned();
        }
        if let Some(status) = patch.approval_status
            && status.as_str() != user.approval_status
        {
            user.approval_status = status.as_str().to_owned();
            user.approval_status_mod_time = ctx.now;
            user.approval_status_mod_by = ctx.actor.as_approver();
        }
        let (pk, acting) = (ctx.tenant.pk, current.acting(ctx));
        // A change of one's own account (turning one's own 2FA off) keeps the session that made it.
        let keep = on_self.then_some(current.session.pk);
        let op = if on_self {
            "user.update_current_user"
        } else {
            "user.update_user_by_id"
        };
        let saved = user.clone();
        let confirm = pending_email.map(|(plain, stored, hash)| {
            let token = random_urlsafe(32);
            let link = super::signup::link(self, ctx, "email/confirm", &token);
            (plain, stored, hash, sha256_hex(&token), link)
        });
        // The address in force hears of a change asked for in its owner's name.
        let old_address = confirm
            .as_ref()
            .and(before.email.as_deref())
            .map(|e| self.open_email(e));
        let valid_minutes = policy.signup.confirm_valid_for_minutes.max(1);
        let policy_c = (*policy).clone();
        let notify = self.notifier_with(&acting, policy.clone());
        self.store
            .tenant_with(pk, move |conn| {
                if email_set_by_admin {
                    if let Some(h) = &saved.email_hash
                        && users::by_email_hash(conn, pk, h)?.is_some_and(|other| other.id != saved.id)
                    {
                        return Err(SsoError::refused(Kind::Conflict, SubStatus::EmailExists));
                    }
                    // A change the user asked for and has not confirmed would undo the administrator's.
                    email_tokens::withdraw(conn, pk, saved.id, "email_change")?;
                }
                super::administrators::keeps_an_administrator(conn, pk, &before, Some(&saved), acting.now)?;
                super::user_write::write(conn, &before, &saved, keep, &notify)?;
                audit::append_ctx(conn, &acting, op, Some(&saved.user_id), Ok(()))?;
                if let Some(old) = &old_address {
                    super::signup::queue(
                        conn,
                        &acting,
                        &policy_c,
                        "email_change_notice",
                        old,
                        &saved.username,
                        None,
                        "",
                    )?;
                }
                if let Some((plain, stored, hash, token_hash, link)) = confirm {
                    email_tokens::withdraw(conn, pk, saved.id, "email_change")?;
                    email_tokens::insert(
                        conn,
                        &NewEmailToken {
                            tenant: pk,
                            user_pk: saved.id,
                            purpose: "email_change",
                            token_hash: &token_hash,
                            new_email: stored.as_deref(),
                            new_email_hash: hash.as_deref(),
                            expiration_time: super::clock::minutes_after(acting.now, valid_minutes),
                        },
                        acting.now,
                    )?;
                    super::signup::queue(
                        conn,
                        &acting,
                        &policy_c,
                        "email_change",
                        &plain,
                        &saved.username,
                        Some(&link),
                        &super::mail_templates::describe_minutes(valid_minutes),
                    )?;
                }
                Ok(())
            })
            .await
            .map_err(|e| match e {
                SsoError::Store(e) if e.is_unique_violation() => {
                    SsoError::refused(Kind::Conflict, SubStatus::UsernameExists)
                }
                e => e,
            })?;
        self.user_of(&user)
    }

    /// Confirms a changed e-mail address from the link sent to it: the new address replaces the old one.
    /// Unknown or expired: `E005006`; used: `E005007`; an address another user has taken since: `E002002`.
    pub async fn confirm_email_change(&self, ctx: &Ctx, token: &str) -> SsoResult<()> {
        let (pk, hash, c) = (ctx.tenant.pk, sha256_hex(token.trim()), ctx.clone());
        let notify = self
            .notifier(ctx)
            .await?
            .by("with the confirmation link sent to the new address");
        self.store
            .tenant_with(pk, move |conn| {
                let Some(t) = email_tokens::by_hash(conn, pk, "email_change", &hash)? else {
                    return Err(SsoError::refused(Kind::NotFound, SubStatus::AuthNoSuchSignUpToken));
                };
                if t.used_time.is_some() {
                    return Err(SsoError::refused(Kind::Conflict, SubStatus::AuthSignUpConfirmed));
                }
                if t.expiration_time <= c.now {
                    return Err(SsoError::refused(Kind::NotFound, SubStatus::AuthNoSuchSignUpToken));
                }
                let before = users::by_pk(conn, pk, t.user_pk)?.ok_or_else(not_found)?;
                let mut user = before.clone();
                if let Some(h) = &t.new_email_hash
                    && users::by_email_hash(conn, pk, h)?.is_some_and(|other| other.id != user.id)
                {
                    return Err(SsoError::refused(Kind::Conflict, SubStatus::EmailExists));
                }
                if !email_tokens::use_token(conn, t.id, c.now)? {
                    return Err(SsoError::refused(Kind::Conflict, SubStatus::AuthSignUpConfirmed));
                }
                user.email = t.new_email;
                user.email_hash = t.new_email_hash;
                user.email_confirmed = true;
                super::user_write::write(conn, &before, &user, None, &notify)?;
                Ok(audit::append_ctx(
                    conn,
                    &c,
                    "user.confirm_email_change",
                    Some(&user.user_id),
                    Ok(()),
                )?)
            })
            .await
    }

    /// An administrator deletes a user of the tenant; deleting oneself, or the last active super-user, is
    /// `E008001`. The user's sessions,
    /// attributes and the rest go with the row.
    pub async fn delete_user(&self, admin: &Admin, user_id: &str) -> SsoResult<()> {
        admin.not_on_self(user_id)?;
        let acting = admin.ctx().clone();
        let (pk, id) = (acting.tenant.pk, user_id.to_owned());
        let deleted = self
            .store
            .tenant_with(pk, move |conn| {
                // Its sessions and grants end first, so the clients of its sessions hear of it.
                if let Some(row) = users::by_user_id(conn, pk, &id)? {
                    super::administrators::keeps_an_administrator(conn, pk, &row, None, acting.now)?;
                    super::session_end::end_for_user(conn, pk, row.id, None, acting.now)?;
                }
                let n = users::delete(conn, pk, &id)?;
                if n > 0 {
                    audit::append_ctx(conn, &acting, "user.delete_user_by_id", Some(&id), Ok(()))?;
                }
                Ok::<_, SsoError>(n)
            })
            .await?;
        if deleted == 0 { Err(not_found()) } else { Ok(()) }
    }

    /// Changes the caller's own password; the old one is required, also when it has expired. The caller's
    /// other sessions end; this one stays.
    pub async fn change_own_password(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        old_password: Option<Password>,
        new_password: Password,
    ) -> SsoResult<()> {
        let old = old_password
            .filter(|p| !p.is_empty())
            .ok_or_else(|| SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput))?;
        let proved = self.user_row(ctx, &UserRef::Id(current.user.user_id.clone())).await?;
        if !self.verify_row_password(&proved, old.clone()).await? {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::AuthNotAllowed));
        }
        let policy = self.policy(&ctx.tenant).await?;
        let was = password_policy::Current::Plain(&old);
        self.check_new_password(&policy.password, &proved, &new_password, was)
            .await?
            .map_err(|code| {
                let inform = policy.password.inform_if_invalid;
                SsoError::refused_if(if inform { Kind::Policy } else { Kind::Forbidden }, code, inform)
            })?;
        let hash = self.hasher.hash(ctx.tenant.pk, new_password).await?;
        let days = i64::from(policy.password.expiry);
        let (pk, acting, keep) = (ctx.tenant.pk, current.acting(ctx), current.session.pk);
        let now = ctx.now;
        let notify = self.notifier_with(&acting, policy.clone());
        self.store
            .tenant_with(pk, move |conn| {
                // The old password proved above must still be the user's and the session still live: a password
                // set or reset meanwhile (which ended this session) is not replaced by this change.
                let before = users::by_pk_for_update(conn, pk, proved.id)?.ok_or_else(not_found)?;
                if before.password_hash != proved.password_hash || !session_rows::exists(conn, pk, keep)? {
                    return Err(super::session::no_such_session());
                }
                let mut user = before.clone();
                user.password_hash = hash;
                user.password_last_set = now;
                user.password_expiry = super::clock::days_after(now, days);
                user.password_must_change = false;
                super::user_write::write(conn, &before, &user, Some(keep), &notify)?;
                Ok(audit::append_ctx(
                    conn,
                    &acting,
                    "user.change_password",
                    Some(&user.user_id),
                    Ok(()),
                )?)
            })
            .await?;
        Ok(())
    }

    /// A user's stored IP allow-list; `None` when the user is not listed in the database.
    pub async fn address_list(&self, admin: &Admin, user_id: &str) -> SsoResult<Option<Vec<String>>> {
        let ctx = admin.ctx();
        let user = self.find_user(ctx, &UserRef::Id(user_id.to_owned())).await?;
        let pk = ctx.tenant.pk;
        Ok(self
            .store
            .tenant(pk, move |conn| address_lists::get(conn, pk, user.pk))
            .await?)
    }

    /// Stores (`Some`) or removes (`None`) a user's IP allow-list: `*`, IPs and CIDRs; an empty list denies.
    /// Live sessions are checked against it on their next use.
    pub async fn set_address_list(
        &self,
        admin: &Admin,
        user_id: &str,
        addresses: Option<Vec<String>>,
    ) -> SsoResult<()> {
        let ctx = admin.ctx();
        if let Some(list) = &addresses
            && list.iter().any(|a| a.trim() != "*" && parse_net(a.trim()).is_none())
        {
            return Err(SsoError::refused(Kind::Policy, SubStatus::CommonInvalidInput));
        }
        let user = self.find_user(ctx, &UserRef::Id(user_id.to_owned())).await?;
        let (pk, ctx) = (ctx.tenant.pk, ctx.clone());
        self.store
            .tenant(pk, move |conn| {
                match addresses {
                    Some(list) => {
                        let list: Vec<String> = list.iter().map(|a| a.trim().to_owned()).collect();
                        address_lists::put(conn, pk, user.pk, &list)?;
                    }
                    None => {
                        address_lists::remove(conn, pk, user.pk)?;
                    }
                }
                audit::append_ctx(conn, &ctx, "user.set_address_list", Some(&user.user_id), Ok(()))
            })
            .await?;
        Ok(())
    }
}
