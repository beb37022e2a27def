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

/// Filters of an audit query.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entries where this user acted or was acted on.
    pub user_id: Option<String>,
    pub op: Option<String>,
    pub result: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

fn filtered(
    tenant: TenantPk,
    f: &AuditFilter,
) -> audit_log::BoxedQuery<'static, <AnyConnection as diesel::Connection>::Backend> {
    let mut q = audit_log::table.filter(audit_log::tenant_id.eq(tenant)).into_boxed();
    if let Some(u) = &f.user_id {
        q = q.filter(
            audit_log::current_user_id
                .eq(u.clone())
                .or(audit_log::target_user_id.eq(u.clone())),
        );
    }
    if let Some(op) = &f.op {
        q = q.filter(audit_log::op.eq(op.clone()));
    }
    if let Some(r) = &f.result {
        q = q.filter(audit_log::result.eq(r.clone()));
    }
    if let Some(t) = f.since {
        q = q.filter(audit_log::time.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(audit_log::time.le(t));
    }
    q
}

/// One page of matching entries, newest first, and how many match in all.
pub fn search(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(i64, Vec<AuditRow>)> {
    let total = filtered(tenant, f).count().get_result(conn)?;
    let rows = filtered(tenant, f)
        .order(audit_log::id.desc())
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}
