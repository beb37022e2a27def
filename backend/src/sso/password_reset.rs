//! Password reset (reference §8.6 with quirk Q8 fixed): a request by username or e-mail (per
//! `password_reset.user_search_by`) always answers the same and does the same work whether or not the user
//! exists (it stores the request; the outbox worker resolves the user and sends the link); the e-mail carries a link with a one-time token; accessing it once gives a reset key valid for
//! `password_change_session_duration` seconds; completing it once sets the password and ends every session.

use super::error::{Kind, SsoError, SsoResult};
use super::mail_templates::describe_minutes;
use super::signup::{link, queue};
use super::user::{APPROVED, normalise_email};
use super::{Ctx, Sso, audit, password_policy};
use crate::config::policy::UserSearchBy;
use crate::crypto::password::Password;
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::store::password_resets::{self, ResetRow};
use crate::store::reset_requests::{self, NewResetRequest, ResetRequestRow};
use crate::store::users;
use chrono::TimeDelta;
use gatehouse_shared::SubStatus;

fn could_not_access() -> SsoError {
    SsoError::refused(Kind::Forbidden, SubStatus::PasswordResetCouldNotAccess)
}

/// A reset key, returned once by `access`.
pub struct ResetKey(pub String);

impl std::fmt::Debug for ResetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetKey([redacted])")
    }
}

impl Sso {
    /// Asks for a reset. Always `Ok` (after the abuse limits): the caller learns nothing about the account.
    pub async fn request_password_reset(&self, ctx: &Ctx, credential: &str) -> SsoResult<()> {
        let policy = self.policy(&ctx.tenant).await?;
        self.check_app_key(ctx, &policy).await?;
        let p = &policy.password_reset;
        let credential = credential.trim().to_owned();
        self.limit_requests(
            ctx,
            "password_reset",
            Some(credential.clone()).filter(|c| !c.is_empty()),
            p.max_requests_per_address,
            p.max_requests_per_recipient,
            p.request_window_minutes,
        )
        .await?;
        // The same work for every request, whoever the credential names: one row for the outbox worker, which
        // resolves the user and sends the link (`resolve_reset_requests`). The credential is sealed at rest.
        let sealed = self.keyring.seal(credential.as_bytes());
        let (pk, c) = (ctx.tenant.pk, ctx.clone());
        self.store
            .tenant(pk, move |conn| {
                reset_requests::insert(
                    conn,
                    &NewResetRequest {
                        tenant: pk,
                        credential_sealed: &sealed,
                        cid: &c.cid,
                        current_app: &c.current_app,
                        remote_addr: c.remote_addr.as_deref(),
                        user_agent: c.user_agent.as_deref(),
                    },
                    c.now,
                )
            })
            .await?;
        Ok(())
    }

    /// The outbox worker's part of password reset: for every waiting request of every tenant, finds the user
    /// its credential names (per `password_reset.user_search_by`; approved, with an address), makes the
    /// one-time token and queues the message, in one transaction that also takes the request off the queue.
    /// A request that names nobody just goes. Returns how many requests were handled.
    pub async fn resolve_reset_requests(&self) -> SsoResult<usize> {
        self.resolve_reset_requests_of(&self.list_tenants().await?).await
    }

    /// [`Sso::resolve_reset_requests`] for the given tenants only.
    pub(crate) async fn resolve_reset_requests_of(&self, tenants: &[super::Tenant]) -> SsoResult<usize> {
        let mut handled = 0;
        for tenant in tenants.iter().cloned() {
            let pk = tenant.pk;
            let waiting = self
                .store
                .tenant(pk, move |conn| reset_requests::oldest(conn, pk, 100))
                .await?;
            if waiting.is_empty() {
                continue;
            }
            let policy = self.policy(&tenant).await?;
            for request in waiting {
                let ctx = Ctx {
                    cid: request.cid.clone(),
                    tenant: tenant.clone(),
                    current_app: request.current_app.clone(),
                    remote_addr: request.remote_addr.clone(),
                    user_agent: request.user_agent.clone(),
                    now: self.clock.now(),
                    actor: super::Actor::Anonymous,
                    app_key: None,
                    // The worker acts for no surface: nothing it does depends on being the web pages.
                    web_ui: false,
                };
                self.resolve_reset_request(&ctx, &policy, request).await?;
                handled += 1;
            }
        }
        Ok(handled)
    }

    async fn resolve_reset_request(
        &self,
        ctx: &Ctx,
        policy: &crate::config::TenantPolicy,
        request: ResetRequestRow,
    ) -> SsoResult<()> {
        // A credential sealed with a key since retired cannot be read: the request goes unanswered.
        let credential = self.keyring.open_text(&request.credential_sealed).unwrap_or_default();
        let p = &policy.password_reset;
        let token = random_urlsafe(32);
        let token_hash = sha256_hex(&token);
        let email_hash = self.keyring.lookup_hash(&normalise_email(&credential));
        let search_by = p.user_search_by;
        let valid_minutes = p.valid_for.max(1);
        // The link's life counts from the request, however long it waited.
        let expiration = super::clock::minutes_after(request.creation_time, valid_minutes);
        let reset_link = link(self, ctx, "password-reset/complete", &token);
        let (pk, c, policy_c, keyring) = (ctx.tenant.pk, ctx.clone(), policy.clone(), self.keyring.clone());
        self.store
            .tenant(pk, move |conn| {
                if !reset_requests::take(conn, pk, request.id)? {
                    return Ok(());
                }
                let by_name = users::by_username(conn, pk, &credential)?;
                let by_email = users::by_email_hash(conn, pk, &email_hash)?;
                let found = match search_by {
                    UserSearchBy::Username => by_name,
                    UserSearchBy::Email => by_email,
                    UserSearchBy::UsernameOrEmail => by_name.or(by_email),
                };
                // A password set since the request was made withdrew it, as it withdraws the links already sent.
                let requested = request.creation_time;
                let Some(user) = found.filter(|u| {
                    u.approval_status == APPROVED && !credential.is_empty() && u.password_last_set <= requested
                }) else {
                    return Ok(());
                };
                // The confirmed address; a changed one waits for its own confirmation.
                let Some(to) = user
                    .email
                    .as_deref()
                    .map(|e| keyring.open_text(e).unwrap_or_else(|| e.to_owned()))
                else {
                    return Ok(());
                };
                password_resets::insert(conn, pk, user.id, &token_hash, c.now, expiration)?;
                queue(
                    conn,
                    &c,
                    &policy_c,
                    "password_reset",
                    &to,
                    &user.username,
                    Some(&reset_link),
                    &describe_minutes(valid_minutes),
                )?;
                audit::append_ctx(conn, &c, "password_reset.create_token", Some(&user.user_id), Ok(()))
            })
            .await?;
        Ok(())
    }

    /// Whether a reset link (or an invitation's) would work, without using it (a mail scanner may open it):
    /// unused, unexpired, not yet accessed, for an account that may reset; else `E010001`.
    pub async fn check_reset_token(&self, ctx: &Ctx, token: &str) -> SsoResult<()> {
        let (pk, hash, now) = (ctx.tenant.pk, sha256_hex(token.trim()), ctx.now);
        self.store
            .tenant_with(pk, move |conn| {
                let row = usable(conn, pk, &hash, now)?;
                if row.access_time.is_some() {
                    return Err(could_not_access());
                }
                let user = users::by_pk(conn, pk, row.user_pk)?.ok_or_else(could_not_access)?;
                account_may_reset(&user, now)
            })
            .await
    }

    /// Accesses a reset token, once: returns the reset key that completes it. Anything else is `E010001`.
    pub async fn access_password_reset(&self, ctx: &Ctx, token: &str) -> SsoResult<ResetKey> {
        let policy = self.policy(&ctx.tenant).await?;
        let key = random_urlsafe(32);
        let key_hash = sha256_hex(&key);
        let duration = TimeDelta::try_seconds(i64::from(policy.password_reset.password_change_session_duration.max(1)));
        let (pk, hash, c) = (ctx.tenant.pk, sha256_hex(token.trim()), ctx.clone());
        self.store
            .tenant_with(pk, move |conn| {
                let row = usable(conn, pk, &hash, c.now)?;
                if row.access_time.is_some() {
                    return Err(could_not_access());
                }
                let user = users::by_pk(conn, pk, row.user_pk)?.ok_or_else(could_not_access)?;
                account_may_reset(&user, c.now)?;
                let key_expiration = super::clock::later(c.now, duration).min(row.expiration_time);
                if !password_resets::access(conn, row.id, &key_hash, key_expiration, c.now)? {
                    return Err(could_not_access());
                }
                audit::append_ctx(conn, &c, "password_reset.access_token", Some(&user.user_id), Ok(()))?;
                Ok(())
            })
            .await?;
        Ok(ResetKey(key))
    }

    /// Completes a reset: the token (accessed, unused, unexpired) and its key (unexpired), once. Sets the
    /// password and ends every session of the user.
    pub async fn complete_password_reset(
        &self,
        ctx: &Ctx,
        token: &str,
        reset_key: &str,
        password: Password,
    ) -> SsoResult<()> {
        let policy = self.policy(&ctx.tenant).await?;
        let (pk, hash, key_hash) = (ctx.tenant.pk, sha256_hex(token.trim()), sha256_hex(reset_key.trim()));
        let now = ctx.now;
        // Checked before the (costly) hashing, and again in the transaction that uses the token.
        let (row, user) = self
            .store
            .tenant_with(pk, move |conn| {
                let row = usable(conn, pk, &hash, now)?;
                let key_ok = row.reset_key_hash.as_deref() == Some(key_hash.as_str())
                    && row.reset_key_expiration.is_some_and(|t| t > now);
                if !key_ok {
                    return Err(could_not_access());
                }
                let user = users::by_pk(conn, pk, row.user_pk)?.ok_or_else(could_not_access)?;
                Ok((row, user))
            })
            .await?;
        account_may_reset(&user, now)?;
        self.check_new_password(&policy.password, &user, &password, password_policy::Current::Hashed)
            .await?
            .map_err(|code| SsoError::refused_if(Kind::Policy, code, policy.password.inform_if_invalid))?;
        let new_hash = self.hasher.hash(ctx.tenant.pk, password).await?;
        let days = i64::from(policy.password.expiry);
        let c = ctx.clone();
        let notify = self
            .notifier_with(ctx, policy.clone())
            .by("with a password reset link sent by e-mail");
        self.store
            .tenant_with(pk, move |conn| {
                if !password_resets::use_token(conn, row.id, c.now)? {
                    return Err(could_not_access());
                }
                // Read again: the copy above was read before the hashing, and the write must not undo a change
                // made since (a lock, say).
                let before = users::by_pk(conn, pk, user.id)?.ok_or_else(could_not_access)?;
                account_may_reset(&before, c.now)?;
                let mut user = before.clone();
                user.password_hash = new_hash;
                user.password_last_set = c.now;
                user.password_expiry = super::clock::days_after(c.now, days);
                user.password_must_change = false;
                super::user_write::write(conn, &before, &user, None, &notify)?;
                audit::append_ctx(conn, &c, "password_reset.change_password", Some(&user.user_id), Ok(()))?;
                Ok(())
            })
            .await
    }
}

/// The unexpired, unused reset with this token hash.
fn usable(
    conn: &mut crate::store::AnyConnection,
    tenant: crate::store::TenantPk,
    hash: &str,
    now: chrono::NaiveDateTime,
) -> SsoResult<ResetRow> {
    let row = password_resets::by_hash(conn, tenant, hash)?.ok_or_else(could_not_access)?;
    if row.used_time.is_some() || row.expiration_time <= now {
        return Err(could_not_access());
    }
    Ok(row)
}

/// An account that may no longer log in may not reset its password either; the answer is the reset's own
/// `E010001`, which says nothing about why. Expiry is not checked: a reset is how an expired password goes.
fn account_may_reset(user: &users::UserRow, now: chrono::NaiveDateTime) -> SsoResult<()> {
    if user.approval_status != APPROVED || user.lock().holds_at(now) {
        return Err(could_not_access());
    }
    Ok(())
}
