//! The `attrs` table: attributes of users (`scope = ''`) and of sessions (`scope` = the session's public id).
//! Reads see only unexpired rows.

use super::schema::attrs;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = attrs)]
pub struct AttrRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    pub session_pk: Option<i64>,
    pub scope: String,
    pub name: String,
    pub value: String,
    pub is_encrypted: bool,
    pub creation_time: NaiveDateTime,
    pub last_modified: Option<NaiveDateTime>,
    pub expiration_time: NaiveDateTime,
}

/// Where attributes live: the domain's word for it.
pub use crate::domain::AttrOwner as Owner;

fn owned<'a>(owner: &'a Owner) -> attrs::BoxedQuery<'a, <AnyConnection as diesel::Connection>::Backend> {
    attrs::table
        .filter(attrs::tenant_id.eq(owner.tenant))
        .filter(attrs::user_pk.eq(owner.user_pk))
        .filter(attrs::scope.eq(owner.scope()))
        .into_boxed()
}

pub fn live(
    conn: &mut AnyConnection,
    owner: &Owner,
    names: Option<&[String]>,
    now: NaiveDateTime,
) -> StoreResult<Vec<AttrRow>> {
    let mut q = owned(owner).filter(attrs::expiration_time.gt(now));
    if let Some(names) = names {
        q = q.filter(attrs::name.eq_any(names.to_vec()));
    }
    Ok(q.order(attrs::name.asc()).select(AttrRow::as_select()).load(conn)?)
}

/// Removes a row that has expired, so its name can be used again.
pub fn purge_expired(conn: &mut AnyConnection, owner: &Owner, name: &str, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        attrs::table
            .filter(attrs::tenant_id.eq(owner.tenant))
            .filter(attrs::user_pk.eq(owner.user_pk))
            .filter(attrs::scope.eq(owner.scope()))
            .filter(attrs::name.eq(name))
            .filter(attrs::expiration_time.le(now)),
    )
    .execute(conn)?)
}

pub fn insert(conn: &mut AnyConnection, row: &AttrRow) -> StoreResult<()> {
    diesel::insert_into(attrs::table).values(row).execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut AnyConnection, row: &AttrRow) -> StoreResult<usize> {
    Ok(diesel::update(
        attrs::table
            .filter(attrs::id.eq(row.id))
            .filter(attrs::tenant_id.eq(row.tenant_id)),
    )
    .set((
        attrs::value.eq(&row.value),
        attrs::is_encrypted.eq(row.is_encrypted),
        attrs::last_modified.eq(row.last_modified),
        attrs::expiration_time.eq(row.expiration_time),
    ))
    .execute(conn)?)
}

pub fn delete(conn: &mut AnyConnection, owner: &Owner, names: &[String], now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        attrs::table
            .filter(attrs::tenant_id.eq(owner.tenant))
            .filter(attrs::user_pk.eq(owner.user_pk))
            .filter(attrs::scope.eq(owner.scope()))
            .filter(attrs::name.eq_any(names.to_vec()))
            .filter(attrs::expiration_time.gt(now)),
    )
    .execute(conn)?)
}

/// Deletes every attribute that expired at or before `now`.
pub fn delete_expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        attrs::table
            .filter(attrs::tenant_id.eq(tenant))
            .filter(attrs::expiration_time.le(now)),
    )
    .execute(conn)?)
}
