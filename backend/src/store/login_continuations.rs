//! The `login_continuations` table: the nonces of logins waiting for their next step, by SHA-256.

use super::schema::login_continuations;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    nonce_hash: &str,
    expiration_time: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(login_continuations::table)
        .values((
            login_continuations::tenant_id.eq(tenant),
            login_continuations::user_pk.eq(user_pk),
            login_continuations::nonce_hash.eq(nonce_hash),
            login_continuations::expiration_time.eq(expiration_time),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the nonce is pending for this user and not expired.
pub fn is_live(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    nonce_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n: i64 = login_continuations::table
        .filter(login_continuations::tenant_id.eq(tenant))
        .filter(login_continuations::user_pk.eq(user_pk))
        .filter(login_continuations::nonce_hash.eq(nonce_hash))
        .filter(login_continuations::expiration_time.gt(now))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Uses the nonce up: whether it was pending for this user and not expired. Of two requests racing with one
/// continuation, one gets `true`.
pub fn take(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    nonce_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let live = diesel::delete(
        login_continuations::table
            .filter(login_continuations::tenant_id.eq(tenant))
            .filter(login_continuations::user_pk.eq(user_pk))
            .filter(login_continuations::nonce_hash.eq(nonce_hash))
            .filter(login_continuations::expiration_time.gt(now)),
    )
    .execute(conn)?;
    Ok(live > 0)
}

pub fn delete_expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        login_continuations::table
            .filter(login_continuations::tenant_id.eq(tenant))
            .filter(login_continuations::expiration_time.le(now)),
    )
    .execute(conn)?)
}
