//! The `user_address_lists` table: a user's IP allow-list kept in the database, which overrides the tenant's
//! `user_address_list` setting for that user. The list is stored as a JSON array.

use super::schema::user_address_lists;
use super::{AnyConnection, StoreResult, TenantPk};
use diesel::prelude::*;

pub fn get(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<Option<Vec<String>>> {
    let text: Option<String> = user_address_lists::table
        .filter(user_address_lists::tenant_id.eq(tenant))
        .filter(user_address_lists::user_pk.eq(user_pk))
        .select(user_address_lists::addresses)
        .first(conn)
        .optional()?;
    Ok(text.map(|t| parse(&t)))
}

pub fn parse(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn put(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, addresses: &[String]) -> StoreResult<()> {
    remove(conn, tenant, user_pk)?;
    diesel::insert_into(user_address_lists::table)
        .values((
            user_address_lists::user_pk.eq(user_pk),
            user_address_lists::tenant_id.eq(tenant),
            user_address_lists::addresses.eq(serde_json::to_string(addresses).unwrap_or_else(|_| "[]".to_owned())),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn remove(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<usize> {
    Ok(diesel::delete(
        user_address_lists::table
            .filter(user_address_lists::tenant_id.eq(tenant))
            .filter(user_address_lists::user_pk.eq(user_pk)),
    )
    .execute(conn)?)
}
