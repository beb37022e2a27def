//! A tenant keeps an administrator. An administrative change (a lock, a rejection, a demotion, a deletion)
//! never leaves a tenant without an active super-user, whichever surface makes it (the native and Zato APIs,
//! the pages, the CLI), and a super-user never locks, rejects or deletes their own account: both are
//! `E008001`, as Zato answers a super-user deleting themselves. An automatic lock (failed logins) is not an
//! administrative change: it still locks the last super-user, for the time it lasts.

use super::error::{Kind, SsoError, SsoResult};
use crate::domain::ApprovalStatus;
use crate::store::users::{self, UserRow};
use crate::store::{AnyConnection, TenantPk};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;

/// A super-user who can act now: approved and not locked.
pub fn is_active(user: &UserRow, now: NaiveDateTime) -> bool {
    user.is_super_user && user.approval_status == ApprovalStatus::Approved.as_str() && !user.lock().holds_at(now)
}

fn refused() -> SsoError {
    SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation)
}

/// Refuses a change from `before` to `after` (`None`: a deletion) that would take the tenant's last active
/// super-user away. The tenant's super-users are locked for the rest of the transaction, so two
/// administrators locking each other at once cannot both succeed.
pub fn keeps_an_administrator(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    before: &UserRow,
    after: Option<&UserRow>,
    now: NaiveDateTime,
) -> SsoResult<()> {
    if !is_active(before, now) || after.is_some_and(|a| is_active(a, now)) {
        return Ok(());
    }
    let others = users::super_users_for_update(conn, tenant)?
        .into_iter()
        .filter(|u| u.id != before.id && is_active(u, now))
        .count();
    if others == 0 { Err(refused()) } else { Ok(()) }
}

/// Refuses an administrator's lock, rejection or deletion of their own account.
pub fn not_on_own_account(admin: &super::Admin, target_user_id: &str) -> SsoResult<()> {
    if admin.is_self(target_user_id) {
        Err(refused())
    } else {
        Ok(())
    }
}
