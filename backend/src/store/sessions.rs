//! The `sessions` table. A session is found by the SHA-256 of its secret id, always with its tenant, and
//! joined with its user in the same query.

use super::schema::{sessions, users};
use super::users::UserRow;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    pub session_id: String,
    pub secret_hash: String,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub remote_addr: String,
    pub user_agent: String,
    pub current_app: String,
}

pub fn insert(conn: &mut AnyConnection, row: &SessionRow) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The live session with this hash in this tenant, with its user: one indexed lookup.
pub fn live_by_hash(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    secret_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<(SessionRow, UserRow)>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::secret_hash.eq(secret_hash))
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::expiration_time.gt(now))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?)
}

/// Deletes the session with this hash in this tenant, whatever its state; returns how many went.
pub fn delete_by_hash(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    secret_hash: &str,
) -> StoreResult<usize> {
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::secret_hash.eq(secret_hash))
            .filter(sessions::tenant_id.eq(tenant)),
    )
    .execute(conn)?)
}
