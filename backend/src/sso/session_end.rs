//! The one way sessions end, inside the transaction of whatever ends them: a logout, an administrator or the
//! user ending one, an account change (lock, rejection, deletion, new password, 2FA reset), the per-user limit,
//! expiry. What ends with a session is worked out here, once for every surface:
//!
//! - the OpenID Connect grants (families of app sessions) hanging on an ended browser session, unless offline;
//! - the grant of an ended app session (else a refresh would bring it back);
//! - on an account change, every grant of the user, offline ones included;
//!
//! and every client of an ended grant that registered a back-channel logout URI is told, through the durable
//! outbox (the logout never waits for it). An expired access token alone ends nothing: its grant refreshes.

use super::oidc::backchannel;
use crate::store::oidc_grants::{self, GrantRow};
use crate::store::sessions::{self, SessionRow};
use crate::store::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use std::collections::BTreeSet;

/// Rows are ended this many at a time: each batch's queries name its keys, and SQLite allows only so many
/// parameters in one statement (an expiry sweep can find any number of sessions).
const BATCH: usize = 500;

/// Ends these sessions and what ends with them; returns how many of `rows` ended.
pub fn end(conn: &mut AnyConnection, tenant: TenantPk, rows: &[SessionRow], now: NaiveDateTime) -> StoreResult<usize> {
    let mut ended = 0;
    for batch in rows.chunks(BATCH) {
        ended += end_batch(conn, tenant, batch, now)?;
    }
    Ok(ended)
}

fn end_batch(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    rows: &[SessionRow],
    now: NaiveDateTime,
) -> StoreResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut grants: BTreeSet<i64> = rows.iter().filter_map(|r| r.grant_id).collect();
    grants.extend(
        sessions::children_of(conn, tenant, &ids)?
            .iter()
            .filter_map(|c| c.grant_id),
    );
    grants.extend(
        oidc_grants::online_of_sessions(conn, tenant, &ids)?
            .iter()
            .map(|g| g.id),
    );
    end_grants(conn, tenant, &grants.into_iter().collect::<Vec<_>>(), now)?;
    sessions::delete_ids(conn, tenant, &ids)
}

/// Ends grants (their app sessions go with them) and tells their clients; returns how many ended.
pub fn end_grants(conn: &mut AnyConnection, tenant: TenantPk, ids: &[i64], now: NaiveDateTime) -> StoreResult<usize> {
    let mut ended = 0;
    for batch in ids.chunks(BATCH) {
        let mut rows: Vec<GrantRow> = Vec::with_capacity(batch.len());
        for id in batch {
            if let Some(row) = oidc_grants::by_id(conn, tenant, *id)? {
                rows.push(row);
            }
        }
        backchannel::enqueue_logouts(conn, tenant, &rows, now)?;
        ended += oidc_grants::delete_ids(conn, tenant, batch)?;
    }
    Ok(ended)
}

/// Ends every session and every grant of a user but the session `keep` (through which the user changed their
/// own password or second factor); returns how many sessions ended.
pub fn end_for_user(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    keep: Option<i64>,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let grants: Vec<i64> = oidc_grants::of_user(conn, tenant, user_pk)?
        .iter()
        .map(|g| g.id)
        .collect();
    end_grants(conn, tenant, &grants, now)?;
    let rows: Vec<SessionRow> = sessions::all_for_user(conn, tenant, user_pk)?
        .into_iter()
        .filter(|r| Some(r.id) != keep)
        .collect();
    end(conn, tenant, &rows, now)
}

/// Deletes what has expired: sessions (a browser session's expiry ends its grants that are not offline, and
/// tells their clients; an app session's expiry alone does not end its grant) and grants past their lifetime.
/// Returns how many sessions went.
pub fn end_expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    let expired = sessions::expired(conn, tenant, now)?;
    let mut deleted = 0;
    for batch in expired.chunks(BATCH) {
        let browsers: Vec<i64> = batch
            .iter()
            .filter(|r| r.grant_id.is_none() && r.parent_id.is_none())
            .map(|r| r.id)
            .collect();
        let grants: Vec<i64> = oidc_grants::online_of_sessions(conn, tenant, &browsers)?
            .iter()
            .map(|g| g.id)
            .collect();
        end_grants(conn, tenant, &grants, now)?;
        let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
        deleted += sessions::delete_ids(conn, tenant, &ids)?;
    }
    // A family past its whole lifetime simply goes: its client knew when it would.
    let past = oidc_grants::expired(conn, tenant, now)?;
    for batch in past.chunks(BATCH) {
        oidc_grants::delete_ids(conn, tenant, batch)?;
    }
    Ok(deleted)
}
