//! The `keyring_meta` table: values of the keyring sealed with the keyring (the e-mail lookup key). Global, not
//! tenant-owned.

use super::schema::keyring_meta;
use super::{AnyConnection, StoreResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The name of the e-mail lookup key's row.
pub const LOOKUP_KEY: &str = "lookup_key";

pub fn get(conn: &mut AnyConnection, name: &str) -> StoreResult<Option<String>> {
    Ok(keyring_meta::table
        .find(name)
        .select(keyring_meta::sealed_value)
        .first(conn)
        .optional()?)
}

/// Inserts the value; a unique violation means another instance wrote it first (on PostgreSQL it also ends
/// the transaction, so call this in a unit of work of its own).
pub fn insert(conn: &mut AnyConnection, name: &str, sealed: &str, now: NaiveDateTime) -> StoreResult<()> {
    diesel::insert_into(keyring_meta::table)
        .values((
            keyring_meta::name.eq(name),
            keyring_meta::sealed_value.eq(sealed),
            keyring_meta::modified_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn replace(conn: &mut AnyConnection, name: &str, sealed: &str, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(keyring_meta::table.find(name))
        .set((
            keyring_meta::sealed_value.eq(sealed),
            keyring_meta::modified_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
