//! The `passkeys` and `webauthn_ceremonies` tables. Every query takes the tenant. A user's `passkey_count` is
//! written here alone, in the transaction that adds or removes one of their passkeys.

use super::schema::{passkeys, users, webauthn_ceremonies};
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    /// The public id (`pk_…`) the API and the pages name it by.
    pub passkey_id: String,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The WebAuthn user handle (a UUID), the same for all of a user's passkeys.
    pub user_handle: String,
    pub name: String,
    /// webauthn-rs's record of the credential, as JSON: the public key, its counter and backup flags.
    pub credential: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub creation_time: NaiveDateTime,
    pub last_used_time: Option<NaiveDateTime>,
}

/// Locks the user's row for the rest of the transaction, so that adds and removes of one user's passkeys are
/// serialised and the count written last is the count of what is there.
fn lock_user(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<()> {
    super::users::by_pk_for_update(conn, tenant, user_pk)?;
    Ok(())
}

fn recount(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<()> {
    let n: i64 = passkeys::table
        .filter(passkeys::tenant_id.eq(tenant))
        .filter(passkeys::user_pk.eq(user_pk))
        .count()
        .get_result(conn)?;
    diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq(user_pk)),
    )
    .set(users::passkey_count.eq(i32::try_from(n).unwrap_or(i32::MAX)))
    .execute(conn)?;
    Ok(())
}

/// Adds a passkey unless the user has `limit` already; whether it was added (`false`: the credential is
/// already registered in this tenant), or `None` when the user is at the limit.
pub fn insert(conn: &mut AnyConnection, row: &PasskeyRow, limit: usize) -> StoreResult<Option<bool>> {
    lock_user(conn, row.tenant_id, row.user_pk)?;
    if for_user(conn, row.tenant_id, row.user_pk)?.len() >= limit {
        return Ok(None);
    }
    match diesel::insert_into(passkeys::table).values(row).execute(conn) {
        // The credential is registered in this tenant already (the key is unique per tenant).
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            return Ok(Some(false));
        }
        other => other?,
    };
    recount(conn, row.tenant_id, row.user_pk)?;
    Ok(Some(true))
}

pub fn for_user(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<Vec<PasskeyRow>> {
    Ok(passkeys::table
        .filter(passkeys::tenant_id.eq(tenant))
        .filter(passkeys::user_pk.eq(user_pk))
        .order(passkeys::id.asc())
        .select(PasskeyRow::as_select())
        .load(conn)?)
}

pub fn by_credential_id(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    credential_id: &str,
) -> StoreResult<Option<PasskeyRow>> {
    Ok(passkeys::table
        .filter(passkeys::tenant_id.eq(tenant))
        .filter(passkeys::credential_id.eq(credential_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// The user handle of the user's passkeys, if they have any.
pub fn handle_of(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<Option<String>> {
    Ok(passkeys::table
        .filter(passkeys::tenant_id.eq(tenant))
        .filter(passkeys::user_pk.eq(user_pk))
        .select(passkeys::user_handle)
        .first(conn)
        .optional()?)
}

/// Records a use: the refreshed credential, its counter, backup state and time. Only if the counter moved
/// forward (or the authenticator keeps none: both zero), compared in the update itself, so a cloned key's
/// assertion racing the original's cannot both pass. Whether it was recorded.
pub fn record_use(
    conn: &mut AnyConnection,
    row: &PasskeyRow,
    credential: &str,
    sign_count: i64,
    backup_state: bool,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let target = passkeys::table
        .filter(passkeys::tenant_id.eq(row.tenant_id))
        .filter(passkeys::id.eq(row.id));
    let changed = if sign_count == 0 {
        diesel::update(target.filter(passkeys::sign_count.eq(0_i64)))
            .set((
                passkeys::credential.eq(credential),
                passkeys::backup_state.eq(backup_state),
                passkeys::last_used_time.eq(Some(now)),
            ))
            .execute(conn)?
    } else {
        diesel::update(target.filter(passkeys::sign_count.lt(sign_count)))
            .set((
                passkeys::credential.eq(credential),
                passkeys::sign_count.eq(sign_count),
                passkeys::backup_state.eq(backup_state),
                passkeys::last_used_time.eq(Some(now)),
            ))
            .execute(conn)?
    };
    Ok(changed == 1)
}

pub fn rename(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    passkey_id: &str,
    name: &str,
) -> StoreResult<bool> {
    let n = diesel::update(
        passkeys::table
            .filter(passkeys::tenant_id.eq(tenant))
            .filter(passkeys::user_pk.eq(user_pk))
            .filter(passkeys::passkey_id.eq(passkey_id)),
    )
    .set(passkeys::name.eq(name))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes one of the user's passkeys; whether it was theirs.
pub fn remove(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, passkey_id: &str) -> StoreResult<bool> {
    lock_user(conn, tenant, user_pk)?;
    let n = diesel::delete(
        passkeys::table
            .filter(passkeys::tenant_id.eq(tenant))
            .filter(passkeys::user_pk.eq(user_pk))
            .filter(passkeys::passkey_id.eq(passkey_id)),
    )
    .execute(conn)?;
    recount(conn, tenant, user_pk)?;
    Ok(n == 1)
}

/// Removes all of the user's passkeys; how many there were.
pub fn remove_all(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<usize> {
    lock_user(conn, tenant, user_pk)?;
    let n = diesel::delete(
        passkeys::table
            .filter(passkeys::tenant_id.eq(tenant))
            .filter(passkeys::user_pk.eq(user_pk)),
    )
    .execute(conn)?;
    recount(conn, tenant, user_pk)?;
    Ok(n)
}

/// A ceremony in progress, as stored (its state sealed with the keyring).
#[derive(Clone)]
pub struct CeremonyRow {
    pub purpose: String,
    pub user_pk: Option<i64>,
    pub state: String,
}

pub fn put_ceremony(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    handle_hash: &str,
    ceremony: &CeremonyRow,
    expiration_time: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(webauthn_ceremonies::table)
        .values((
            webauthn_ceremonies::tenant_id.eq(tenant),
            webauthn_ceremonies::handle_hash.eq(handle_hash),
            webauthn_ceremonies::purpose.eq(&ceremony.purpose),
            webauthn_ceremonies::user_pk.eq(ceremony.user_pk),
            webauthn_ceremonies::state.eq(&ceremony.state),
            webauthn_ceremonies::expiration_time.eq(expiration_time),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes a ceremony: read and deleted, so of two requests presenting one handle only one gets it; an expired
/// one is deleted and not returned.
pub fn take_ceremony(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    handle_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<CeremonyRow>> {
    let target = webauthn_ceremonies::table
        .filter(webauthn_ceremonies::tenant_id.eq(tenant))
        .filter(webauthn_ceremonies::handle_hash.eq(handle_hash));
    let found: Option<(String, Option<i64>, String, NaiveDateTime)> = target
        .select((
            webauthn_ceremonies::purpose,
            webauthn_ceremonies::user_pk,
            webauthn_ceremonies::state,
            webauthn_ceremonies::expiration_time,
        ))
        .first(conn)
        .optional()?;
    let Some((purpose, user_pk, state, expiration_time)) = found else {
        return Ok(None);
    };
    let deleted = diesel::delete(target).execute(conn)?;
    Ok((deleted == 1 && expiration_time > now).then_some(CeremonyRow {
        purpose,
        user_pk,
        state,
    }))
}

pub fn delete_expired_ceremonies(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        webauthn_ceremonies::table
            .filter(webauthn_ceremonies::tenant_id.eq(tenant))
            .filter(webauthn_ceremonies::expiration_time.le(now)),
    )
    .execute(conn)?)
}
