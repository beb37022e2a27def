//! TOTP enrolments in progress (`totp_enrolments`: the sealed secret waiting for its first code) and recovery
//! codes (`recovery_codes`: SHA-256 of each code, and when it was used).

use super::schema::{recovery_codes, totp_enrolments};
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn put_enrolment(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    sealed: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    remove_enrolment(conn, tenant, user_pk)?;
    diesel::insert_into(totp_enrolments::table)
        .values((
            totp_enrolments::user_pk.eq(user_pk),
            totp_enrolments::tenant_id.eq(tenant),
            totp_enrolments::secret.eq(sealed),
            totp_enrolments::creation_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn enrolment(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
) -> StoreResult<Option<(String, NaiveDateTime)>> {
    Ok(totp_enrolments::table
        .filter(totp_enrolments::tenant_id.eq(tenant))
        .filter(totp_enrolments::user_pk.eq(user_pk))
        .select((totp_enrolments::secret, totp_enrolments::creation_time))
        .first(conn)
        .optional()?)
}

pub fn remove_enrolment(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<usize> {
    Ok(diesel::delete(
        totp_enrolments::table
            .filter(totp_enrolments::tenant_id.eq(tenant))
            .filter(totp_enrolments::user_pk.eq(user_pk)),
    )
    .execute(conn)?)
}

/// Replaces a user's recovery codes with new ones (their hashes).
pub fn replace_codes(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, hashes: &[String]) -> StoreResult<()> {
    remove_codes(conn, tenant, user_pk)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::tenant_id.eq(tenant),
                recovery_codes::user_pk.eq(user_pk),
                recovery_codes::code_hash.eq(hash),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn remove_codes(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<usize> {
    Ok(diesel::delete(
        recovery_codes::table
            .filter(recovery_codes::tenant_id.eq(tenant))
            .filter(recovery_codes::user_pk.eq(user_pk)),
    )
    .execute(conn)?)
}

/// Uses up an unused code; whether there was one. A conditional update, so a code works once even when two
/// requests race.
pub fn use_code(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    hash: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::tenant_id.eq(tenant))
            .filter(recovery_codes::user_pk.eq(user_pk))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_time.is_null()),
    )
    .set(recovery_codes::used_time.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many of a user's recovery codes are still unused.
pub fn unused_codes(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<i64> {
    Ok(recovery_codes::table
        .filter(recovery_codes::tenant_id.eq(tenant))
        .filter(recovery_codes::user_pk.eq(user_pk))
        .filter(recovery_codes::used_time.is_null())
        .count()
        .get_result(conn)?)
}
