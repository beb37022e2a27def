//! The `request_counters` table: requests that send e-mail, counted per (tenant, kind, subject) in fixed
//! windows, shared by every instance.

use super::schema::request_counters;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Adds one to the counter of this window and returns the new count. The first request of a window inserts
/// the counter; of two first requests at once, the second finds the first's row when its insert meets the key
/// (inside a savepoint, so the transaction goes on) and adds to it.
pub fn bump(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    kind: &str,
    subject: &str,
    window_start: NaiveDateTime,
) -> StoreResult<i32> {
    let key = request_counters::table
        .filter(request_counters::tenant_id.eq(tenant))
        .filter(request_counters::kind.eq(kind))
        .filter(request_counters::subject.eq(subject))
        .filter(request_counters::window_start.eq(window_start));
    let add_one = |conn: &mut AnyConnection| {
        diesel::update(key)
            .set(request_counters::count.eq(request_counters::count + 1))
            .execute(conn)
    };
    if add_one(conn)? == 0 {
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(request_counters::table)
                .values((
                    request_counters::tenant_id.eq(tenant),
                    request_counters::kind.eq(kind),
                    request_counters::subject.eq(subject),
                    request_counters::window_start.eq(window_start),
                    request_counters::count.eq(1),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                add_one(conn)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(key.select(request_counters::count).first(conn)?)
}

pub fn delete_before(conn: &mut AnyConnection, tenant: TenantPk, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        request_counters::table
            .filter(request_counters::tenant_id.eq(tenant))
            .filter(request_counters::window_start.lt(before)),
    )
    .execute(conn)?)
}

/// The count of this window, without changing it.
pub fn count(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    kind: &str,
    subject: &str,
    window_start: NaiveDateTime,
) -> StoreResult<i32> {
    Ok(request_counters::table
        .filter(request_counters::tenant_id.eq(tenant))
        .filter(request_counters::kind.eq(kind))
        .filter(request_counters::subject.eq(subject))
        .filter(request_counters::window_start.eq(window_start))
        .select(request_counters::count)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Forgets every window of one subject (a successful login resets its failures).
pub fn reset(conn: &mut AnyConnection, tenant: TenantPk, kind: &str, subject: &str) -> StoreResult<usize> {
    Ok(diesel::delete(
        request_counters::table
            .filter(request_counters::tenant_id.eq(tenant))
            .filter(request_counters::kind.eq(kind))
            .filter(request_counters::subject.eq(subject)),
    )
    .execute(conn)?)
}
