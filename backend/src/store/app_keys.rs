//! The `app_keys` table.

use super::schema::app_keys;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = app_keys)]
pub struct AppKeyRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub app: String,
    pub key_id: String,
    pub key_hash: String,
    pub creation_time: NaiveDateTime,
}

pub fn insert(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    app: &str,
    key_id: &str,
    key_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(app_keys::table)
        .values((
            app_keys::tenant_id.eq(tenant),
            app_keys::app.eq(app),
            app_keys::key_id.eq(key_id),
            app_keys::key_hash.eq(key_hash),
            app_keys::creation_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn for_tenant(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<AppKeyRow>> {
    Ok(app_keys::table
        .filter(app_keys::tenant_id.eq(tenant))
        .order((app_keys::app.asc(), app_keys::creation_time.asc(), app_keys::id.asc()))
        .select(AppKeyRow::as_select())
        .load(conn)?)
}

/// Whether this hash is a key of this app in this tenant.
pub fn matches(conn: &mut AnyConnection, tenant: TenantPk, app: &str, key_hash: &str) -> StoreResult<bool> {
    let n: i64 = app_keys::table
        .filter(app_keys::tenant_id.eq(tenant))
        .filter(app_keys::app.eq(app))
        .filter(app_keys::key_hash.eq(key_hash))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn delete(conn: &mut AnyConnection, tenant: TenantPk, app: &str, key_id: Option<&str>) -> StoreResult<usize> {
    let q = app_keys::table
        .filter(app_keys::tenant_id.eq(tenant))
        .filter(app_keys::app.eq(app));
    Ok(match key_id {
        Some(id) => diesel::delete(q.filter(app_keys::key_id.eq(id))).execute(conn)?,
        None => diesel::delete(q).execute(conn)?,
    })
}
