//! The `users` table. Every query takes the tenant.

use super::schema::users;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_id: String,
    pub username: String,
    pub is_super_user: bool,
    pub is_locked: bool,
    pub locked_time: Option<NaiveDateTime>,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub approval_status: String,
    pub approval_status_mod_time: NaiveDateTime,
    pub approval_status_mod_by: String,
    pub password_hash: String,
    pub password_must_change: bool,
    pub password_last_set: NaiveDateTime,
    pub password_expiry: NaiveDateTime,
    pub sign_up_status: String,
    pub sign_up_time: NaiveDateTime,
    pub sign_up_confirm_time: Option<NaiveDateTime>,
    pub email: Option<String>,
    pub email_hash: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub is_totp_enabled: bool,
    pub totp_key: Option<String>,
    pub totp_label: Option<String>,
    pub totp_last_step: Option<i64>,
    pub email_confirmed: bool,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash, the sealed TOTP key and the e-mail stay out of debug output.
        f.debug_struct("UserRow")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("tenant_id", &self.tenant_id)
            .field("approval_status", &self.approval_status)
            .field("sign_up_status", &self.sign_up_status)
            .field("is_locked", &self.is_locked)
            .field("is_super_user", &self.is_super_user)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut AnyConnection, row: &UserRow) -> StoreResult<UserRow> {
    diesel::insert_into(users::table).values(row).execute(conn)?;
    by_user_id(conn, row.tenant_id, &row.user_id)?.ok_or(diesel::result::Error::NotFound.into())
}

pub fn by_username(conn: &mut AnyConnection, tenant: TenantPk, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_user_id(conn: &mut AnyConnection, tenant: TenantPk, user_id: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::user_id.eq(user_id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Writes back every mutable column of a user row read in the same transaction.
pub fn save(conn: &mut AnyConnection, row: &UserRow) -> StoreResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::tenant_id.eq(row.tenant_id))
            .filter(users::id.eq(row.id)),
    )
    .set((
        users::username.eq(&row.username),
        users::is_super_user.eq(row.is_super_user),
        users::is_locked.eq(row.is_locked),
        users::locked_time.eq(row.locked_time),
        users::locked_by.eq(&row.locked_by),
        users::locked_until.eq(row.locked_until),
        users::approval_status.eq(&row.approval_status),
        users::approval_status_mod_time.eq(row.approval_status_mod_time),
        users::approval_status_mod_by.eq(&row.approval_status_mod_by),
        users::password_hash.eq(&row.password_hash),
        users::password_must_change.eq(row.password_must_change),
        users::password_last_set.eq(row.password_last_set),
        users::password_expiry.eq(row.password_expiry),
        users::sign_up_status.eq(&row.sign_up_status),
        users::sign_up_confirm_time.eq(row.sign_up_confirm_time),
        (
            users::email.eq(&row.email),
            users::email_hash.eq(&row.email_hash),
            users::display_name.eq(&row.display_name),
            users::first_name.eq(&row.first_name),
            users::middle_name.eq(&row.middle_name),
            users::last_name.eq(&row.last_name),
            users::is_totp_enabled.eq(row.is_totp_enabled),
            users::totp_key.eq(&row.totp_key),
            users::totp_label.eq(&row.totp_label),
            users::totp_last_step.eq(row.totp_last_step),
            users::email_confirmed.eq(row.email_confirmed),
        ),
    ))
    .execute(conn)?)
}

/// Writes a user's password columns only: for a login, whose copy of the row was read before the password
/// check and may since have changed elsewhere (a TOTP step used, values re-sealed by key rotation).
pub fn set_password_columns(conn: &mut AnyConnection, row: &UserRow) -> StoreResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::tenant_id.eq(row.tenant_id))
            .filter(users::id.eq(row.id)),
    )
    .set((
        users::password_hash.eq(&row.password_hash),
        users::password_must_change.eq(row.password_must_change),
        users::password_last_set.eq(row.password_last_set),
        users::password_expiry.eq(row.password_expiry),
    ))
    .execute(conn)?)
}

pub fn count(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<i64> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .count()
        .get_result(conn)?)
}

/// Deletes a user (and, by cascade, everything the user owns); returns how many rows went.
pub fn delete(conn: &mut AnyConnection, tenant: TenantPk, user_id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::user_id.eq(user_id)),
    )
    .execute(conn)?)
}

pub fn by_pk(conn: &mut AnyConnection, tenant: TenantPk, id: i64) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_email_hash(conn: &mut AnyConnection, tenant: TenantPk, hash: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::email_hash.eq(hash))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_email_confirmed(conn: &mut AnyConnection, tenant: TenantPk, id: i64, confirmed: bool) -> StoreResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq(id)),
    )
    .set(users::email_confirmed.eq(confirmed))
    .execute(conn)?)
}

/// The stored (possibly sealed) e-mail addresses of the tenant's approved super-users.
pub fn super_user_emails(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<String>> {
    let found: Vec<Option<String>> = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::is_super_user.eq(true))
        .filter(users::approval_status.eq("approved"))
        .order(users::id.asc())
        .select(users::email)
        .load(conn)?;
    Ok(found.into_iter().flatten().collect())
}

/// Users waiting for an approval decision, oldest sign-up first.
pub fn pending(conn: &mut AnyConnection, tenant: TenantPk, limit: i64) -> StoreResult<Vec<UserRow>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::approval_status.eq("before_decision"))
        .order((users::sign_up_time.asc(), users::id.asc()))
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?)
}
