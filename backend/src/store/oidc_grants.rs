//! OpenID Connect grants: a grant is the family of app sessions a code exchange starts and each refresh
//! continues, with its refresh tokens (by SHA-256; the used ones stay, so a replay is recognised). Every query
//! names its tenant.

use super::schema::{oidc_grants, oidc_refresh_tokens, users};
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_grants)]
pub struct GrantRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    pub app: String,
    pub scope: String,
    /// Granted `offline_access`: the family outlives the browser's session.
    pub offline: bool,
    /// The browser's (SSO) session the grant was made from; a grant that is not offline ends with it.
    pub sso_session_pk: Option<i64>,
    /// The `sid` the client was given (back-channel logout names the session by it).
    pub sid: String,
    pub auth_time: NaiveDateTime,
    pub auth_methods: String,
    pub remote_addr: String,
    pub user_agent: String,
    pub creation_time: NaiveDateTime,
    pub last_used_time: NaiveDateTime,
    /// No refresh past this (the family's whole lifetime).
    pub expiration_time: NaiveDateTime,
}

/// Inserts a grant; returns its key (read back by what the new row alone has: the one connection type serves
/// both databases, and it has no RETURNING).
pub fn insert(conn: &mut AnyConnection, row: &GrantRow) -> StoreResult<i64> {
    diesel::insert_into(oidc_grants::table).values(row).execute(conn)?;
    Ok(oidc_grants::table
        .filter(oidc_grants::tenant_id.eq(row.tenant_id))
        .filter(oidc_grants::user_pk.eq(row.user_pk))
        .filter(oidc_grants::app.eq(&row.app))
        .filter(oidc_grants::sid.eq(&row.sid))
        .filter(oidc_grants::creation_time.eq(row.creation_time))
        .select(diesel::dsl::max(oidc_grants::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or_default())
}

pub fn by_id(conn: &mut AnyConnection, tenant: TenantPk, id: i64) -> StoreResult<Option<GrantRow>> {
    Ok(oidc_grants::table
        .filter(oidc_grants::tenant_id.eq(tenant))
        .filter(oidc_grants::id.eq(id))
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?)
}

/// The grants made from these browser sessions that end with them (not offline).
pub fn online_of_sessions(conn: &mut AnyConnection, tenant: TenantPk, sso: &[i64]) -> StoreResult<Vec<GrantRow>> {
    Ok(oidc_grants::table
        .filter(oidc_grants::tenant_id.eq(tenant))
        .filter(oidc_grants::sso_session_pk.eq_any(sso))
        .filter(oidc_grants::offline.eq(false))
        .select(GrantRow::as_select())
        .load(conn)?)
}

/// Every grant of a user, oldest first.
pub fn of_user(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<Vec<GrantRow>> {
    Ok(oidc_grants::table
        .filter(oidc_grants::tenant_id.eq(tenant))
        .filter(oidc_grants::user_pk.eq(user_pk))
        .order(oidc_grants::id.asc())
        .select(GrantRow::as_select())
        .load(conn)?)
}

/// The live grants of an app, newest first, at most `limit`, with their users' ids and usernames.
pub fn of_app(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    app: &str,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<(GrantRow, String, String)>> {
    Ok(oidc_grants::table
        .inner_join(users::table)
        .filter(oidc_grants::tenant_id.eq(tenant))
        .filter(oidc_grants::app.eq(app))
        .filter(oidc_grants::expiration_time.gt(now))
        .order(oidc_grants::id.desc())
        .limit(limit)
        .select((GrantRow::as_select(), users::user_id, users::username))
        .load(conn)?)
}

/// Forgets used refresh tokens older than `before` (a replay of one is then simply unknown).
pub fn delete_used_refresh_before(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    before: NaiveDateTime,
) -> StoreResult<usize> {
    Ok(diesel::delete(
        oidc_refresh_tokens::table
            .filter(oidc_refresh_tokens::tenant_id.eq(tenant))
            .filter(oidc_refresh_tokens::used_time.lt(before)),
    )
    .execute(conn)?)
}

/// The grants of an app that are not offline, made from this browser session (a new exchange replaces them).
pub fn online_of_session_and_app(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    sso: i64,
    app: &str,
) -> StoreResult<Vec<i64>> {
    Ok(oidc_grants::table
        .filter(oidc_grants::tenant_id.eq(tenant))
        .filter(oidc_grants::sso_session_pk.eq(sso))
        .filter(oidc_grants::app.eq(app))
        .filter(oidc_grants::offline.eq(false))
        .select(oidc_grants::id)
        .load(conn)?)
}

/// Deletes grants (their sessions and refresh tokens go with them); returns how many.
pub fn delete_ids(conn: &mut AnyConnection, tenant: TenantPk, ids: &[i64]) -> StoreResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(
        oidc_grants::table
            .filter(oidc_grants::tenant_id.eq(tenant))
            .filter(oidc_grants::id.eq_any(ids)),
    )
    .execute(conn)?)
}

/// Grants whose whole lifetime has passed.
pub fn expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<Vec<i64>> {
    Ok(oidc_grants::table
        .filter(oidc_grants::tenant_id.eq(tenant))
        .filter(oidc_grants::expiration_time.le(now))
        .select(oidc_grants::id)
        .load(conn)?)
}

pub fn touch(conn: &mut AnyConnection, tenant: TenantPk, id: i64, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(
        oidc_grants::table
            .filter(oidc_grants::tenant_id.eq(tenant))
            .filter(oidc_grants::id.eq(id)),
    )
    .set(oidc_grants::last_used_time.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Stores a new refresh token of a grant, by its hash.
pub fn insert_refresh(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    grant: i64,
    hash: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(oidc_refresh_tokens::table)
        .values((
            oidc_refresh_tokens::tenant_id.eq(tenant),
            oidc_refresh_tokens::grant_id.eq(grant),
            oidc_refresh_tokens::token_hash.eq(hash),
            oidc_refresh_tokens::creation_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a refresh token used, atomically: of two requests presenting it, one gets `true`.
pub fn mark_refresh_used(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    hash: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let marked = diesel::update(
        oidc_refresh_tokens::table
            .filter(oidc_refresh_tokens::tenant_id.eq(tenant))
            .filter(oidc_refresh_tokens::token_hash.eq(hash))
            .filter(oidc_refresh_tokens::used_time.is_null()),
    )
    .set(oidc_refresh_tokens::used_time.eq(now))
    .execute(conn)?;
    Ok(marked == 1)
}

/// The grant a refresh token belongs to (used or not), for introspection and revocation.
pub fn grant_of_refresh(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    hash: &str,
) -> StoreResult<Option<(GrantRow, bool)>> {
    let found: Option<(i64, Option<NaiveDateTime>)> = oidc_refresh_tokens::table
        .filter(oidc_refresh_tokens::tenant_id.eq(tenant))
        .filter(oidc_refresh_tokens::token_hash.eq(hash))
        .select((oidc_refresh_tokens::grant_id, oidc_refresh_tokens::used_time))
        .first(conn)
        .optional()?;
    let Some((grant_id, used)) = found else { return Ok(None) };
    Ok(by_id(conn, tenant, grant_id)?.map(|g| (g, used.is_some())))
}
