//! The `user_preferences` table: what a user chose for themselves apart from their account (the time zone of
//! the pages). No row means every choice is the tenant's.

use super::schema::user_preferences;
use super::{AnyConnection, StoreResult, TenantPk};
use diesel::prelude::*;

/// The user's chosen time zone, if any.
pub fn time_zone(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<Option<String>> {
    Ok(user_preferences::table
        .filter(user_preferences::tenant_id.eq(tenant))
        .filter(user_preferences::user_pk.eq(user_pk))
        .select(user_preferences::time_zone)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Sets (`Some`) or clears (`None`: the tenant's again) the user's time zone. The user's row is locked first,
/// so two saves at once take turns rather than both inserting.
pub fn set_time_zone(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, zone: Option<&str>) -> StoreResult<()> {
    super::users::by_pk_for_update(conn, tenant, user_pk)?;
    diesel::delete(
        user_preferences::table
            .filter(user_preferences::tenant_id.eq(tenant))
            .filter(user_preferences::user_pk.eq(user_pk)),
    )
    .execute(conn)?;
    if let Some(zone) = zone {
        diesel::insert_into(user_preferences::table)
            .values((
                user_preferences::user_pk.eq(user_pk),
                user_preferences::tenant_id.eq(tenant),
                user_preferences::time_zone.eq(zone),
            ))
            .execute(conn)?;
    }
    Ok(())
}
