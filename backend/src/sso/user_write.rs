//! The one way a change to a user reaches the store, and what the change implies on its own: only the columns
//! the change touched are written (so concurrent changes to other columns survive it), a change that ends the
//! user's sessions ends them, a new password withdraws the user's outstanding reset links, and the user is told
//! of what they should hear of (`super::security_notices`). Every surface
//! (native, Zato, pages, CLI) reaches a user change through the domain calls that end here.

use super::security_notices::{Notifier, locked_at};
use crate::store::users::{self, UserRow};
use crate::store::{AnyConnection, StoreResult, password_resets};
use chrono::NaiveDateTime;

/// Whether going from `before` to `after` ends the user's sessions: a lock, a rejection, a new password, or
/// the second factor turned off or its key replaced or removed.
/// A lock counts from when it holds: an automatic lock that has ended is no lock.
pub fn ends_sessions(before: &UserRow, after: &UserRow, now: NaiveDateTime) -> bool {
    let locked = locked_at(after, now) && !locked_at(before, now);
    const REJECTED: &str = crate::domain::ApprovalStatus::Rejected.as_str();
    let rejected = after.approval_status == REJECTED && before.approval_status != REJECTED;
    let new_password = after.password_hash != before.password_hash;
    let totp_off = before.is_totp_enabled && !after.is_totp_enabled;
    let totp_rekeyed = before.totp_key.is_some() && after.totp_key != before.totp_key;
    locked || rejected || new_password || totp_off || totp_rekeyed
}

/// Writes `after` over `before` (the row as this writer read it, in the same transaction), column by changed
/// column. When the change ends sessions, every session and OpenID Connect grant of the user ends but `keep` (the session through which
/// the user changed their own password or second factor). A new password withdraws every reset link still
/// outstanding. The user's security notices are queued with the change. Returns whether sessions were ended.
pub fn write(
    conn: &mut AnyConnection,
    before: &UserRow,
    after: &UserRow,
    keep: Option<i64>,
    notify: &Notifier,
) -> StoreResult<bool> {
    let now = notify.now();
    users::save(conn, before, after)?;
    notify.changed(conn, before, after)?;
    if after.password_hash != before.password_hash {
        password_resets::withdraw_for_user(conn, after.tenant_id, after.id)?;
    }
    let ends = ends_sessions(before, after, now);
    if ends {
        super::session_end::end_for_user(conn, after.tenant_id, after.id, keep, now)?;
    }
    Ok(ends)
}
