//! The `tenant_settings` table: a tenant's overrides of the configuration's defaults, one row per key, the value
//! as JSON text.

use super::schema::tenant_settings;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenant_settings)]
pub struct SettingRow {
    pub tenant_id: TenantPk,
    pub section: String,
    pub name: String,
    pub value: String,
    pub modified_time: NaiveDateTime,
}

pub fn for_tenant(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<SettingRow>> {
    Ok(tenant_settings::table
        .filter(tenant_settings::tenant_id.eq(tenant))
        .order((tenant_settings::section.asc(), tenant_settings::name.asc()))
        .select(SettingRow::as_select())
        .load(conn)?)
}

/// Inserts or replaces one override.
pub fn put(conn: &mut AnyConnection, row: &SettingRow) -> StoreResult<()> {
    remove(conn, row.tenant_id, &row.section, &row.name)?;
    diesel::insert_into(tenant_settings::table).values(row).execute(conn)?;
    Ok(())
}

pub fn remove(conn: &mut AnyConnection, tenant: TenantPk, section: &str, name: &str) -> StoreResult<usize> {
    Ok(diesel::delete(
        tenant_settings::table
            .filter(tenant_settings::tenant_id.eq(tenant))
            .filter(tenant_settings::section.eq(section))
            .filter(tenant_settings::name.eq(name)),
    )
    .execute(conn)?)
}
