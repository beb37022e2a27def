//! Which tenants have work waiting for the background sender (mail to send, password-reset requests to
//! resolve): counts that triggers keep on every insert, update and delete of those rows (migration 17), so a
//! pass of the sender asks once rather than visiting every tenant. The table holds counts only and has no
//! row-level security: it is read by a unit that names no tenant.

use super::schema::{tenant_pending_work, tenants};
use super::tenants::TenantRow;
use super::{AnyConnection, StoreResult, TenantPk};
use diesel::prelude::*;

/// The tenants with mail or password-reset requests waiting, by key: read alone, without the rest of the tenants.
pub fn tenants_with_work(conn: &mut AnyConnection) -> StoreResult<Vec<TenantRow>> {
    Ok(tenant_pending_work::table
        .inner_join(tenants::table)
        .filter(
            tenant_pending_work::mail
                .gt(0)
                .or(tenant_pending_work::reset_requests.gt(0)),
        )
        .select(TenantRow::as_select())
        .order(tenants::id.asc())
        .load(conn)?)
}

/// A tenant's counts: mail waiting and password-reset requests waiting (0, 0 without a row).
pub fn counts(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<(i64, i64)> {
    Ok(tenant_pending_work::table
        .find(tenant)
        .select((tenant_pending_work::mail, tenant_pending_work::reset_requests))
        .first(conn)
        .optional()?
        .unwrap_or((0, 0)))
}
