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
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

// Absent fields are written as NULL rather than DEFAULT (the same for these columns), so the statement is the
// same every time and prepared once.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
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

/// The text an entry's hash covers: every field, in order, separated by a unit separator.
#[allow(clippy::too_many_arguments)]
pub fn content(
    tenant_id: TenantPk,
    time: NaiveDateTime,
    cid: &str,
    op: &str,
    current_user_id: Option<&str>,
    target_user_id: Option<&str>,
    result: &str,
    sub_status: Option<&str>,
    remote_addr: Option<&str>,
    current_app: Option<&str>,
    extra: Option<&str>,
) -> String {
    let opt = |v: Option<&str>| v.map_or_else(|| "\u{0}".to_owned(), str::to_owned);
    [
        tenant_id.to_string(),
        time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        cid.to_owned(),
        op.to_owned(),
        opt(current_user_id),
        opt(target_user_id),
        result.to_owned(),
        opt(sub_status),
        opt(remote_addr),
        opt(current_app),
        opt(extra),
    ]
    .join("\u{1f}")
}

/// The chain link: SHA-256 of the previous entry's hash and this entry's content.
pub fn link(prev_hash: &str, content: &str) -> String {
    crate::crypto::sha256_hex(&format!("{prev_hash}\u{1e}{content}"))
}

/// The hash an entry should have, from its stored fields.
pub fn expected_hash(row: &AuditRow) -> String {
    let c = content(
        row.tenant_id,
        row.time,
        &row.cid,
        &row.op,
        row.current_user_id.as_deref(),
        row.target_user_id.as_deref(),
        &row.result,
        row.sub_status.as_deref(),
        row.remote_addr.as_deref(),
        row.current_app.as_deref(),
        row.extra.as_deref(),
    );
    link(row.prev_hash.as_deref().unwrap_or(""), &c)
}

/// Appends an entry chained to the tenant's previous one. Appends of one tenant take turns (an advisory lock
/// on PostgreSQL; SQLite has one writer), so the chain never forks.
pub fn append(conn: &mut AnyConnection, row: &NewAuditRow) -> StoreResult<()> {
    let prev: Option<Option<String>> = match conn {
        // The lock and the read in one call, prepared once per connection.
        AnyConnection::Postgresql(pg) => {
            Some(diesel::select(super::pg_calls::gatehouse_audit_head(row.tenant_id)).get_result(pg)?)
        }
        AnyConnection::Sqlite(lite) => audit_log::table
            .filter(audit_log::tenant_id.eq(row.tenant_id))
            .order(audit_log::id.desc())
            .select(audit_log::hash)
            .first(lite)
            .optional()?,
    };
    let prev_hash = prev.flatten().unwrap_or_default();
    let c = content(
        row.tenant_id,
        row.time,
        &row.cid,
        &row.op,
        row.current_user_id.as_deref(),
        row.target_user_id.as_deref(),
        &row.result,
        row.sub_status.as_deref(),
        row.remote_addr.as_deref(),
        row.current_app.as_deref(),
        row.extra.as_deref(),
    );
    let hash = link(&prev_hash, &c);
    diesel::insert_into(audit_log::table)
        .values((
            row,
            audit_log::prev_hash.eq(Some(prev_hash)),
            audit_log::hash.eq(Some(hash)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every entry of a tenant, oldest first (for verifying the chain).
pub fn all_for_tenant(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<AuditRow>> {
    Ok(audit_log::table
        .filter(audit_log::tenant_id.eq(tenant))
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)?)
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

pub use crate::domain::AuditFilter;

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
/// When each of `user_ids` last logged in: their latest successful `user.login` (users who never did are left
/// out).
pub fn last_logins(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_ids: &[String],
) -> StoreResult<Vec<(Option<String>, Option<NaiveDateTime>)>> {
    use diesel::dsl::max;
    Ok(audit_log::table
        .filter(audit_log::tenant_id.eq(tenant))
        .filter(audit_log::target_user_id.eq_any(user_ids))
        .filter(audit_log::op.eq("user.login"))
        .filter(audit_log::result.eq("ok"))
        .group_by(audit_log::target_user_id)
        .select((audit_log::target_user_id, max(audit_log::time)))
        .load(conn)?)
}

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
