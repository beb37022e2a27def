//! Defence against password guessing, shared by every instance through the database: failed logins are
//! counted per user and per source address in fixed windows of `login.failure_window_minutes`.
//! `login.max_failures` failures lock the account for `login.lockout_minutes` (`locked_by = auto`; it unlocks by
//! itself afterwards, or by an administrator); an address past `login.max_failures_per_address` is refused
//! with 429 and `E011001` before any password is hashed. A successful login clears the user's count.

use super::error::{Kind, SsoError, SsoResult};
use super::limits::window_start;
use super::security_notices::Notice;
use super::{Ctx, Sso, audit};
use crate::config::TenantPolicy;
use crate::store::{request_counters, users};
use gatehouse_shared::SubStatus;

const BY_USER: &str = "login_failure:user";
const BY_ADDRESS: &str = "login_failure:address";
/// The automatic-lock notices a user was sent, per day.
const NOTICES: &str = "auto_lock_notice:user";
const NOTICE_WINDOW_MINUTES: u32 = 24 * 60;

impl Sso {
    /// Refuses a login from an address that has failed too often in this window; nothing is hashed.
    pub(crate) async fn check_address_throttle(&self, ctx: &Ctx, policy: &TenantPolicy) -> SsoResult<()> {
        let Some(addr) = ctx.remote_addr.clone() else {
            return Ok(());
        };
        let start = window_start(ctx.now, policy.login.failure_window_minutes.max(1));
        let pk = ctx.tenant.pk;
        let failures = self
            .store
            .tenant_read(pk, move |conn| {
                request_counters::count(conn, pk, BY_ADDRESS, &addr, start)
            })
            .await?;
        self.refuse_if_throttled(ctx, policy, failures).await
    }

    /// Reads the user a password login names together with its address's failures, in one statement when the
    /// user exists, and refuses the attempt (as [`Sso::check_address_throttle`] does) when the address has
    /// failed too often; nothing is hashed then.
    pub(crate) async fn login_read(
        &self,
        ctx: &Ctx,
        policy: &TenantPolicy,
        username: String,
    ) -> SsoResult<Option<(users::UserRow, Option<String>)>> {
        let start = window_start(ctx.now, policy.login.failure_window_minutes.max(1));
        let (pk, addr) = (ctx.tenant.pk, ctx.remote_addr.clone());
        let (found, failures) = self
            .store
            .tenant_read(pk, move |conn| {
                let counter = addr.as_deref().map(|subject| users::CounterKey {
                    kind: BY_ADDRESS,
                    subject,
                    window_start: start,
                });
                users::for_login(conn, pk, &username, counter)
            })
            .await?;
        self.refuse_if_throttled(ctx, policy, failures).await?;
        Ok(found)
    }

    /// Refuses (429 `E011001`, audited) when `failures` from the client's address reach the policy's limit.
    async fn refuse_if_throttled(&self, ctx: &Ctx, policy: &TenantPolicy, failures: i32) -> SsoResult<()> {
        if i64::from(failures) < i64::from(policy.login.max_failures_per_address.max(1)) {
            return Ok(());
        }
        let minutes = policy.login.failure_window_minutes.max(1);
        let start = window_start(ctx.now, minutes);
        let pk = ctx.tenant.pk;
        let retry = (super::clock::minutes_after(start, minutes) - ctx.now)
            .num_seconds()
            .max(1);
        let c = ctx.clone();
        self.store
            .tenant(pk, move |conn| {
                audit::append_ctx(conn, &c, "login.throttled", None, Err(SubStatus::ThrottleAddress))
            })
            .await?;
        Err(SsoError::refused(
            Kind::Throttled {
                retry_after_secs: u64::try_from(retry).unwrap_or(1),
            },
            SubStatus::ThrottleAddress,
        ))
    }

    /// Counts a failed login; locks the account when it reaches `login.max_failures`, and tells its owner (at
    /// most once a day).
    pub(crate) async fn record_login_failure(
        &self,
        ctx: &Ctx,
        policy: &std::sync::Arc<TenantPolicy>,
        user_pk: Option<i64>,
    ) -> SsoResult<()> {
        let minutes = policy.login.failure_window_minutes.max(1);
        let start = window_start(ctx.now, minutes);
        let (pk, c) = (ctx.tenant.pk, ctx.clone());
        let max = i64::from(policy.login.max_failures.max(1));
        let lockout_minutes = policy.login.lockout_minutes.max(1);
        let notify = self.notifier_with(ctx, policy.clone());
        self.store
            .tenant(pk, move |conn| {
                if let Some(addr) = &c.remote_addr {
                    request_counters::bump(conn, pk, BY_ADDRESS, addr, start)?;
                }
                let Some(user_pk) = user_pk else { return Ok(()) };
                let failures = request_counters::bump(conn, pk, BY_USER, &user_pk.to_string(), start)?;
                if i64::from(failures) >= max {
                    let until = super::clock::minutes_after(c.now, lockout_minutes);
                    let locked = users::lock_automatically(conn, pk, user_pk, c.now, until)?;
                    if locked > 0 {
                        let id = users::user_id_of(conn, user_pk)?;
                        request_counters::reset(conn, pk, BY_USER, &user_pk.to_string())?;
                        // Its sessions end with the lock.
                        super::session_end::end_for_user(conn, pk, user_pk, None, c.now)?;
                        audit::append_ctx(conn, &c, "user.auto_lock", Some(&id), Err(SubStatus::AuthLocked))?;
                        // Told at most once a (UTC) day: someone who keeps guessing, locking the account again
                        // each time its lock ends, cannot flood the owner's inbox.
                        let day = window_start(c.now, NOTICE_WINDOW_MINUTES);
                        let told = request_counters::bump(conn, pk, NOTICES, &user_pk.to_string(), day)?;
                        if told == 1
                            && let Some(user) = users::by_pk(conn, pk, user_pk)?
                        {
                            notify.notify(conn, &user, &Notice::AutoLocked { until })?;
                        }
                    }
                }
                Ok(())
            })
            .await?;
        Ok(())
    }
}

/// After a successful login, in its transaction: the failures counted against the user are forgotten, and an
/// automatic lock that has run out is ended.
pub(crate) fn clear_login_failures(
    conn: &mut crate::store::AnyConnection,
    tenant: crate::store::TenantPk,
    user: &users::UserRow,
    now: chrono::NaiveDateTime,
) -> crate::store::StoreResult<()> {
    request_counters::reset(conn, tenant, BY_USER, &user.id.to_string())?;
    // `user` was read in this transaction, its row held: only a lock that has run out has anything to end.
    if user.locked_until.is_some_and(|until| until <= now) {
        users::end_expired_lock(conn, tenant, user.id, now)?;
    }
    Ok(())
}
