//! The `password_resets` table: reset tokens (PRTs) and the reset keys issued when one is accessed.

use super::schema::password_resets;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = password_resets)]
pub struct ResetRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    pub token_hash: String,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub access_time: Option<NaiveDateTime>,
    pub reset_key_hash: Option<String>,
    pub reset_key_expiration: Option<NaiveDateTime>,
    pub used_time: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    token_hash: &str,
    now: NaiveDateTime,
    expiration: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::tenant_id.eq(tenant),
            password_resets::user_pk.eq(user_pk),
            password_resets::token_hash.eq(token_hash),
            password_resets::creation_time.eq(now),
            password_resets::expiration_time.eq(expiration),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_hash(conn: &mut AnyConnection, tenant: TenantPk, hash: &str) -> StoreResult<Option<ResetRow>> {
    Ok(password_resets::table
        .filter(password_resets::tenant_id.eq(tenant))
        .filter(password_resets::token_hash.eq(hash))
        .select(ResetRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token accessed and stores its reset key; whether it was still unaccessed.
pub fn access(
    conn: &mut AnyConnection,
    id: i64,
    key_hash: &str,
    key_expiration: NaiveDateTime,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        password_resets::table
            .find(id)
            .filter(password_resets::access_time.is_null()),
    )
    .set((
        password_resets::access_time.eq(Some(now)),
        password_resets::reset_key_hash.eq(Some(key_hash)),
        password_resets::reset_key_expiration.eq(Some(key_expiration)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks a token used; whether it was still unused.
pub fn use_token(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        password_resets::table
            .find(id)
            .filter(password_resets::used_time.is_null()),
    )
    .set(password_resets::used_time.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn count_for_tenant(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<i64> {
    Ok(password_resets::table
        .filter(password_resets::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?)
}

pub fn delete_expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        password_resets::table
            .filter(password_resets::tenant_id.eq(tenant))
            .filter(password_resets::expiration_time.le(now)),
    )
    .execute(conn)?)
}

/// Withdraws every reset token of a user not yet used (a new password makes them pointless, and one leaked
/// from an old mailbox must not set another); returns how many went.
pub fn withdraw_for_user(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<usize> {
    Ok(diesel::delete(
        password_resets::table
            .filter(password_resets::tenant_id.eq(tenant))
            .filter(password_resets::user_pk.eq(user_pk))
            .filter(password_resets::used_time.is_null()),
    )
    .execute(conn)?)
}
