//! The `users` table. Every query takes the tenant.

use super::schema::users;
use super::{AnyConnection, StoreError, StoreResult, TenantPk};
use crate::crypto::keyring::Keyring;
use crate::domain::{ApprovalStatus, Email, Lock, SignupStatus, User, Username};
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
    /// How many passkeys the user has: written only with them (`store::passkeys`), never by a user write.
    #[diesel(skip_insertion)]
    pub passkey_count: i32,
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

/// The placeholder label a Zato import stores for "no label" (reference §7.2): shown as none.
pub const IMPORTED_DEFAULT_LABEL: &str = "<default-label>";

impl UserRow {
    pub fn lock(&self) -> Lock {
        Lock {
            is_locked: self.is_locked,
            time: self.locked_time,
            by: self.locked_by.clone(),
            until: self.locked_until,
        }
    }

    /// The user as the domain sees it: statuses parsed, the e-mail address and 2FA label opened with the
    /// keyring, nothing secret carried over.
    pub fn to_user(&self, keys: &Keyring) -> StoreResult<User> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("{what} of user {}", self.user_id));
        Ok(User {
            pk: self.id,
            user_id: self.user_id.clone(),
            username: Username::stored(self.username.clone()),
            email: self
                .email
                .as_deref()
                .map(|e| Email::stored(keys.open_text(e).unwrap_or_else(|| e.to_owned()))),
            email_confirmed: self.email_confirmed,
            display_name: self.display_name.clone(),
            first_name: self.first_name.clone(),
            middle_name: self.middle_name.clone(),
            last_name: self.last_name.clone(),
            is_super_user: self.is_super_user,
            lock: self.lock(),
            approval_status: ApprovalStatus::parse(&self.approval_status).ok_or_else(|| corrupt("approval_status"))?,
            approval_status_mod_time: self.approval_status_mod_time,
            approval_status_mod_by: self.approval_status_mod_by.clone(),
            password_must_change: self.password_must_change,
            password_last_set: self.password_last_set,
            password_expiry: self.password_expiry,
            sign_up_status: SignupStatus::parse(&self.sign_up_status).ok_or_else(|| corrupt("sign_up_status"))?,
            sign_up_time: self.sign_up_time,
            sign_up_confirm_time: self.sign_up_confirm_time,
            is_totp_enabled: self.is_totp_enabled,
            passkeys: u32::try_from(self.passkey_count).unwrap_or(0),
            totp_label: self
                .totp_label
                .as_deref()
                .and_then(|l| keys.open_text(l))
                .filter(|l| l != IMPORTED_DEFAULT_LABEL),
        })
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

/// A user with the text of its IP allow-list, if it has one.
pub type UserWithList = (UserRow, Option<String>);

/// A counter a login reads with its user: the failures counted for `subject` (the client's address) under
/// `kind` in the window starting at `window_start`.
#[derive(Debug, Clone, Copy)]
pub struct CounterKey<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub window_start: NaiveDateTime,
}

/// What a login reads before it hashes, in one statement when the user exists: the user with its stored IP
/// allow-list (JSON), if any, and the count of `counter` (0 without one); for an unknown username the count is
/// read on its own.
pub fn for_login(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    username: &str,
    counter: Option<CounterKey<'_>>,
) -> StoreResult<(Option<UserWithList>, i32)> {
    use super::schema::{request_counters, user_address_lists};
    // The user with its allow-list. Run on each backend's own connection (see `sessions::live_by_hash`), as
    // `as_select` is typed by its backend.
    macro_rules! user_with_list {
        () => {
            users::table
                .left_join(user_address_lists::table)
                .filter(users::tenant_id.eq(tenant))
                .filter(users::username.eq(username))
        };
    }
    let Some(key) = counter else {
        macro_rules! query {
            () => {
                user_with_list!().select((UserRow::as_select(), user_address_lists::addresses.nullable()))
            };
        }
        let found: Option<UserWithList> = match conn {
            AnyConnection::Postgresql(pg) => query!().first(pg).optional()?,
            AnyConnection::Sqlite(lite) => query!().first(lite).optional()?,
        };
        return Ok((found, 0));
    };
    // The count as an uncorrelated subquery of the user's row.
    macro_rules! query {
        () => {
            user_with_list!().select((
                UserRow::as_select(),
                user_address_lists::addresses.nullable(),
                request_counters::table
                    .filter(request_counters::tenant_id.eq(tenant))
                    .filter(request_counters::kind.eq(key.kind))
                    .filter(request_counters::subject.eq(key.subject))
                    .filter(request_counters::window_start.eq(key.window_start))
                    .select(request_counters::count)
                    .single_value(),
            ))
        };
    }
    let found: Option<(UserRow, Option<String>, Option<i32>)> = match conn {
        AnyConnection::Postgresql(pg) => query!().first(pg).optional()?,
        AnyConnection::Sqlite(lite) => query!().first(lite).optional()?,
    };
    Ok(match found {
        Some((user, list, count)) => (Some((user, list)), count.unwrap_or(0)),
        None => (
            None,
            super::request_counters::count(conn, tenant, key.kind, key.subject, key.window_start)?,
        ),
    })
}

/// The usernames of the tenant's users among `user_ids` (ids of users since deleted are left out).
pub fn usernames(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_ids: &[String],
) -> StoreResult<Vec<(String, String)>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::user_id.eq_any(user_ids))
        .select((users::user_id, users::username))
        .load(conn)?)
}

pub fn by_user_id(conn: &mut AnyConnection, tenant: TenantPk, user_id: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::user_id.eq(user_id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The columns of a user that a write changes: a field left `None` is not written, so two writers that read
/// the same row and change different columns (an administrator's lock, the user's own password change) both
/// survive. Nullable columns are `Option<Option<_>>`: `Some(None)` writes NULL.
#[derive(Default, PartialEq, AsChangeset)]
#[diesel(table_name = users)]
struct UserChanges<'a> {
    username: Option<&'a str>,
    is_super_user: Option<bool>,
    is_locked: Option<bool>,
    locked_time: Option<Option<NaiveDateTime>>,
    locked_by: Option<Option<&'a str>>,
    locked_until: Option<Option<NaiveDateTime>>,
    approval_status: Option<&'a str>,
    approval_status_mod_time: Option<NaiveDateTime>,
    approval_status_mod_by: Option<&'a str>,
    password_hash: Option<&'a str>,
    password_must_change: Option<bool>,
    password_last_set: Option<NaiveDateTime>,
    password_expiry: Option<NaiveDateTime>,
    sign_up_status: Option<&'a str>,
    sign_up_confirm_time: Option<Option<NaiveDateTime>>,
    email: Option<Option<&'a str>>,
    email_hash: Option<Option<&'a str>>,
    display_name: Option<Option<&'a str>>,
    first_name: Option<Option<&'a str>>,
    middle_name: Option<Option<&'a str>>,
    last_name: Option<Option<&'a str>>,
    is_totp_enabled: Option<bool>,
    totp_key: Option<Option<&'a str>>,
    totp_label: Option<Option<&'a str>>,
    totp_last_step: Option<Option<i64>>,
    email_confirmed: Option<bool>,
}

/// `Some(new)` when it differs from `old`.
fn changed<'a, T: PartialEq + ?Sized>(old: &T, new: &'a T) -> Option<&'a T> {
    (old != new).then_some(new)
}

fn changed_copy<T: PartialEq + Copy>(old: T, new: T) -> Option<T> {
    (old != new).then_some(new)
}

fn changed_text<'a>(old: &Option<String>, new: &'a Option<String>) -> Option<Option<&'a str>> {
    (old != new).then_some(new.as_deref())
}

impl<'a> UserChanges<'a> {
    fn between(before: &UserRow, after: &'a UserRow) -> UserChanges<'a> {
        UserChanges {
            username: changed(before.username.as_str(), after.username.as_str()),
            is_super_user: changed_copy(before.is_super_user, after.is_super_user),
            is_locked: changed_copy(before.is_locked, after.is_locked),
            locked_time: (before.locked_time != after.locked_time).then_some(after.locked_time),
            locked_by: changed_text(&before.locked_by, &after.locked_by),
            locked_until: (before.locked_until != after.locked_until).then_some(after.locked_until),
            approval_status: changed(before.approval_status.as_str(), after.approval_status.as_str()),
            approval_status_mod_time: changed_copy(before.approval_status_mod_time, after.approval_status_mod_time),
            approval_status_mod_by: changed(
                before.approval_status_mod_by.as_str(),
                after.approval_status_mod_by.as_str(),
            ),
            password_hash: changed(before.password_hash.as_str(), after.password_hash.as_str()),
            password_must_change: changed_copy(before.password_must_change, after.password_must_change),
            password_last_set: changed_copy(before.password_last_set, after.password_last_set),
            password_expiry: changed_copy(before.password_expiry, after.password_expiry),
            sign_up_status: changed(before.sign_up_status.as_str(), after.sign_up_status.as_str()),
            sign_up_confirm_time: (before.sign_up_confirm_time != after.sign_up_confirm_time)
                .then_some(after.sign_up_confirm_time),
            email: changed_text(&before.email, &after.email),
            email_hash: changed_text(&before.email_hash, &after.email_hash),
            display_name: changed_text(&before.display_name, &after.display_name),
            first_name: changed_text(&before.first_name, &after.first_name),
            middle_name: changed_text(&before.middle_name, &after.middle_name),
            last_name: changed_text(&before.last_name, &after.last_name),
            is_totp_enabled: changed_copy(before.is_totp_enabled, after.is_totp_enabled),
            totp_key: changed_text(&before.totp_key, &after.totp_key),
            totp_label: changed_text(&before.totp_label, &after.totp_label),
            totp_last_step: (before.totp_last_step != after.totp_last_step).then_some(after.totp_last_step),
            email_confirmed: changed_copy(before.email_confirmed, after.email_confirmed),
        }
    }
}

/// Writes the columns in which `after` differs from `before` (the same user as read by this writer) and no
/// other, so a concurrent write to other columns is not undone. Returns the rows written (0 when nothing
/// changed).
pub fn save(conn: &mut AnyConnection, before: &UserRow, after: &UserRow) -> StoreResult<usize> {
    let changes = UserChanges::between(before, after);
    if changes == UserChanges::default() {
        return Ok(0);
    }
    Ok(diesel::update(
        users::table
            .filter(users::tenant_id.eq(after.tenant_id))
            .filter(users::id.eq(after.id)),
    )
    .set(changes)
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

/// Reads a user to change it, holding the row until the transaction ends on PostgreSQL (`FOR UPDATE`), so a
/// concurrent change of the same user waits for this one instead of deciding on what this one is replacing.
/// SQLite has one writer at a time already.
pub fn by_pk_for_update(conn: &mut AnyConnection, tenant: TenantPk, id: i64) -> StoreResult<Option<UserRow>> {
    let query = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::id.eq(id));
    Ok(match conn {
        AnyConnection::Postgresql(pg) => query.select(UserRow::as_select()).for_update().first(pg).optional()?,
        AnyConnection::Sqlite(lite) => query.select(UserRow::as_select()).first(lite).optional()?,
    })
}

/// The tenant's super-users, their rows locked for the rest of the transaction (on PostgreSQL; SQLite
/// serialises writers).
pub fn super_users_for_update(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<UserRow>> {
    let query = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::is_super_user.eq(true))
        .order(users::id.asc());
    Ok(match conn {
        AnyConnection::Postgresql(pg) => query.select(UserRow::as_select()).for_update().load(pg)?,
        AnyConnection::Sqlite(lite) => query.select(UserRow::as_select()).load(lite)?,
    })
}

/// Locks a user automatically (`locked_by = auto`) until `until`, unless the user is locked now (locked and
/// never unlocked, or by an automatic lock that has not ended at `now`); returns how many rows changed.
pub fn lock_automatically(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    id: i64,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> StoreResult<usize> {
    // Not locked now: never locked, unlocked, or an automatic lock that has ended.
    let open = users::is_locked
        .eq(false)
        .or(users::locked_until.is_not_null().and(users::locked_until.le(now)));
    Ok(diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq(id))
            .filter(open),
    )
    .set((
        users::is_locked.eq(true),
        users::locked_time.eq(Some(now)),
        users::locked_by.eq(Some("auto")),
        users::locked_until.eq(Some(until)),
    ))
    .execute(conn)?)
}

/// Ends a user's automatic lock that has ended by `now` (one with a `locked_until` not after it); returns how
/// many rows changed.
pub fn end_expired_lock(conn: &mut AnyConnection, tenant: TenantPk, id: i64, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant))
            .filter(users::id.eq(id))
            .filter(users::locked_until.is_not_null())
            .filter(users::locked_until.le(now)),
    )
    .set((
        users::is_locked.eq(false),
        users::locked_until.eq(None::<NaiveDateTime>),
        users::locked_by.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// The public id of the user with database key `id`.
pub fn user_id_of(conn: &mut AnyConnection, id: i64) -> StoreResult<String> {
    Ok(users::table.find(id).select(users::user_id).first(conn)?)
}

/// Moves the user's last used TOTP step forward to `step`, if it is before it (or none was used); returns how
/// many rows changed: 0 when the step was used already, so across instances only one request can use it.
pub fn advance_totp_step(conn: &mut AnyConnection, tenant: TenantPk, id: i64, step: i64) -> StoreResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::tenant_id.eq(tenant))
            .filter(users::totp_last_step.is_null().or(users::totp_last_step.lt(step))),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?)
}
