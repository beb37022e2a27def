//! The `reset_requests` table: password-reset requests waiting for the outbox worker to resolve their user.

use super::schema::reset_requests;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = reset_requests)]
pub struct ResetRequestRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub credential_sealed: String,
    pub cid: String,
    pub current_app: String,
    pub remote_addr: Option<String>,
    pub user_agent: Option<String>,
    pub creation_time: NaiveDateTime,
}

impl std::fmt::Debug for ResetRequestRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetRequestRow")
            .field("id", &self.id)
            .field("cid", &self.cid)
            .finish_non_exhaustive()
    }
}

/// A request to store.
pub struct NewResetRequest<'a> {
    pub tenant: TenantPk,
    pub credential_sealed: &'a str,
    pub cid: &'a str,
    pub current_app: &'a str,
    pub remote_addr: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, r: &NewResetRequest<'_>, now: NaiveDateTime) -> StoreResult<()> {
    diesel::insert_into(reset_requests::table)
        .values((
            reset_requests::tenant_id.eq(r.tenant),
            reset_requests::credential_sealed.eq(r.credential_sealed),
            reset_requests::cid.eq(r.cid),
            reset_requests::current_app.eq(r.current_app),
            reset_requests::remote_addr.eq(r.remote_addr),
            reset_requests::user_agent.eq(r.user_agent),
            reset_requests::creation_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The oldest waiting requests of a tenant.
pub fn oldest(conn: &mut AnyConnection, tenant: TenantPk, limit: i64) -> StoreResult<Vec<ResetRequestRow>> {
    Ok(reset_requests::table
        .filter(reset_requests::tenant_id.eq(tenant))
        .order(reset_requests::id.asc())
        .limit(limit)
        .select(ResetRequestRow::as_select())
        .load(conn)?)
}

/// Takes a request off the queue; false when another worker took it first.
pub fn take(conn: &mut AnyConnection, tenant: TenantPk, id: i64) -> StoreResult<bool> {
    let n = diesel::delete(
        reset_requests::table
            .filter(reset_requests::tenant_id.eq(tenant))
            .filter(reset_requests::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}
