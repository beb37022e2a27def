//! The `tenants` table.

use super::schema::tenants;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: TenantPk,
    pub slug: String,
    pub display_name: String,
    pub status: String,
    pub settings_version: i64,
    pub creation_time: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenant<'a> {
    pub slug: &'a str,
    pub display_name: &'a str,
    pub status: &'a str,
    pub settings_version: i64,
    pub creation_time: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, new: &NewTenant<'_>) -> StoreResult<TenantRow> {
    diesel::insert_into(tenants::table).values(new).execute(conn)?;
    Ok(tenants::table
        .filter(tenants::slug.eq(new.slug))
        .select(TenantRow::as_select())
        .first(conn)?)
}

pub fn by_slug(conn: &mut AnyConnection, slug: &str) -> StoreResult<Option<TenantRow>> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

/// The tenant named `slug`, which must exist (else a `NotFound` query error).
pub fn get_by_slug(conn: &mut AnyConnection, slug: &str) -> StoreResult<TenantRow> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(TenantRow::as_select())
        .first(conn)?)
}

pub fn list(conn: &mut AnyConnection) -> StoreResult<Vec<TenantRow>> {
    Ok(tenants::table
        .order(tenants::slug.asc())
        .select(TenantRow::as_select())
        .load(conn)?)
}

pub fn set_status(conn: &mut AnyConnection, id: TenantPk, status: &str) -> StoreResult<usize> {
    Ok(diesel::update(tenants::table.find(id))
        .set(tenants::status.eq(status))
        .execute(conn)?)
}

pub fn bump_settings_version(conn: &mut AnyConnection, id: TenantPk) -> StoreResult<usize> {
    Ok(diesel::update(tenants::table.find(id))
        .set(tenants::settings_version.eq(tenants::settings_version + 1))
        .execute(conn)?)
}

pub fn set_display_name(conn: &mut AnyConnection, id: TenantPk, name: &str) -> StoreResult<usize> {
    Ok(diesel::update(tenants::table.find(id))
        .set(tenants::display_name.eq(name))
        .execute(conn)?)
}

/// Deletes a tenant; every tenant-owned row goes with it (foreign keys cascade).
pub fn delete(conn: &mut AnyConnection, id: TenantPk) -> StoreResult<usize> {
    Ok(diesel::delete(tenants::table.find(id)).execute(conn)?)
}
