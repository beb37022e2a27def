//! The `audit_log` table: append-only, one row per audited operation. Never holds a password or a token.

use super::schema::audit_log;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub time: NaiveDateTime,
    pub cid: String,
    pub op: String,
    pub current_user_id: Option<String>,
    pub target_user_id: Option<String>,
    pub result: String,
    pub sub_status: Option<String>,
    pub remote_addr: Option<String>,
    pub current_app: Option<String>,
    pub extra: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow {
    pub tenant_id: TenantPk,
    pub time: NaiveDateTime,
    pub cid: String,
    pub op: String,
    pub current_user_id: Option<String>,
    pub target_user_id: Option<String>,
    pub result: String,
    pub sub_status: Option<String>,
    pub remote_addr: Option<String>,
    pub current_app: Option<String>,
    pub extra: Option<String>,
}

pub fn append(conn: &mut AnyConnection, row: &NewAuditRow) -> StoreResult<()> {
    diesel::insert_into(audit_log::table).values(row).execute(conn)?;
    Ok(())
}

/// The tenant's entries, newest first.
pub fn recent(conn: &mut AnyConnection, tenant: TenantPk, limit: i64) -> StoreResult<Vec<AuditRow>> {
    Ok(audit_log::table
        .filter(audit_log::tenant_id.eq(tenant))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}
