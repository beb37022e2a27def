//! The `sessions` table. A session is found by the SHA-256 of its secret id, always with its tenant, and
//! joined with its user in the same query.

use super::schema::{sessions, user_address_lists, users};
use super::users::UserRow;
use super::{AnyConnection, StoreResult, TenantPk};
use crate::domain::Session;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Inserted with absent fields as NULL rather than DEFAULT (the same for these columns), so the statement is the
/// same every time and prepared once.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
pub struct SessionRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    pub session_id: String,
    pub secret_hash: String,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub remote_addr: String,
    pub user_agent: String,
    pub current_app: String,
    /// The browser's (SSO) session an app session was granted from; it ends with it.
    pub parent_id: Option<i64>,
    /// When the user last proved who they are for this session (an app session: its SSO session's login).
    pub auth_time: Option<NaiveDateTime>,
    /// The methods of that proof, as ID tokens name them (`pwd`, `otp`, `mfa`), space-separated.
    pub auth_methods: String,
    /// The scope granted to an app session made by OpenID Connect.
    pub scope: Option<String>,
    /// The grant (family of refreshed sessions) an app session belongs to; it ends with it.
    pub grant_id: Option<i64>,
}

impl SessionRow {
    /// The session as the domain sees it (without the hash of its secret).
    pub fn to_session(&self) -> Session {
        Session {
            pk: self.id,
            user_pk: self.user_pk,
            tenant_pk: self.tenant_id,
            session_id: self.session_id.clone(),
            creation_time: self.creation_time,
            expiration_time: self.expiration_time,
            remote_addr: self.remote_addr.clone(),
            user_agent: self.user_agent.clone(),
            current_app: self.current_app.clone(),
            parent_pk: self.parent_id,
            auth_time: self.auth_time.unwrap_or(self.creation_time),
            auth_methods: self.auth_methods.split_whitespace().map(str::to_owned).collect(),
            scope: self.scope.clone(),
            grant_pk: self.grant_id,
        }
    }
}

pub fn insert(conn: &mut AnyConnection, row: &SessionRow) -> StoreResult<()> {
    diesel::insert_into(sessions::table).values(row).execute(conn)?;
    Ok(())
}

/// The sessions a new login's session pushes out: the user's oldest logins, when `max_per_user` (0: no limit)
/// would be passed. The caller ends them (so their app sessions and clients hear of it). An app session (of an
/// OpenID Connect grant) pushes nothing out and does not count: it ends with its grant, so an application
/// signing in again and again never logs the user out elsewhere.
pub fn displaced_by(conn: &mut AnyConnection, row: &SessionRow, max_per_user: usize) -> StoreResult<Vec<SessionRow>> {
    if row.parent_id.is_some() || row.grant_id.is_some() || max_per_user == 0 {
        return Ok(Vec::new());
    }
    let live = live_for_user(conn, row.tenant_id, row.user_pk, row.creation_time)?;
    let logins: Vec<SessionRow> = live
        .into_iter()
        .filter(|s| s.parent_id.is_none() && s.grant_id.is_none())
        .collect();
    let excess = (logins.len() + 1).saturating_sub(max_per_user);
    Ok(logins.into_iter().take(excess).collect())
}

/// The sessions that end with these (browser) sessions: the app sessions granted from them.
pub fn children_of(conn: &mut AnyConnection, tenant: TenantPk, parents: &[i64]) -> StoreResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::parent_id.eq_any(parents))
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// The sessions of the tenant that expired at or before `now`.
pub fn expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::expiration_time.le(now))
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// Every session of a user (live or not).
pub fn all_for_user(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64) -> StoreResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::user_pk.eq(user_pk))
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// The session with this hash in this tenant, live or not.
pub fn by_hash(conn: &mut AnyConnection, tenant: TenantPk, secret_hash: &str) -> StoreResult<Option<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::secret_hash.eq(secret_hash))
        .filter(sessions::tenant_id.eq(tenant))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The live app sessions of these grants: each one's grant and expiry.
pub fn live_of_grants(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    grants: &[i64],
    now: NaiveDateTime,
) -> StoreResult<Vec<(Option<i64>, NaiveDateTime)>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::grant_id.eq_any(grants))
        .filter(sessions::expiration_time.gt(now))
        .select((sessions::grant_id, sessions::expiration_time))
        .load(conn)?)
}

/// Deletes the app sessions of a grant (a refresh replaces them).
pub fn delete_of_grant(conn: &mut AnyConnection, tenant: TenantPk, grant: i64) -> StoreResult<usize> {
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant))
            .filter(sessions::grant_id.eq(grant)),
    )
    .execute(conn)?)
}

/// Deletes these session rows of the tenant.
pub fn delete_ids(conn: &mut AnyConnection, tenant: TenantPk, ids: &[i64]) -> StoreResult<usize> {
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant))
            .filter(sessions::id.eq_any(ids)),
    )
    .execute(conn)?)
}

/// The live session with this primary key, with its user and allow-list.
pub fn live_by_pk(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    id: i64,
    now: NaiveDateTime,
) -> StoreResult<Option<SessionWithUser>> {
    Ok(sessions::table
        .inner_join(users::table.left_join(user_address_lists::table))
        .filter(sessions::id.eq(id))
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::expiration_time.gt(now))
        .select((
            SessionRow::as_select(),
            UserRow::as_select(),
            user_address_lists::addresses.nullable(),
        ))
        .first(conn)
        .optional()?)
}

/// A live session with its user and the user's stored IP allow-list (JSON), if any.
pub type SessionWithUser = (SessionRow, UserRow, Option<String>);

/// The live session with this hash in this tenant, with its user and allow-list: one indexed lookup, the read
/// every UST check not answered from memory makes. It runs on the backend's own connection: Diesel then prepares
/// the statement once per connection and finds it again by the query's type, where the two-backend connection
/// writes its SQL out anew on every call.
pub fn live_by_hash(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    secret_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<SessionWithUser>> {
    // `as_select` is typed by its backend: the query is written out for each.
    macro_rules! query {
        () => {
            sessions::table
                .inner_join(users::table.left_join(user_address_lists::table))
                .filter(sessions::secret_hash.eq(secret_hash))
                .filter(sessions::tenant_id.eq(tenant))
                .filter(sessions::expiration_time.gt(now))
                .select((
                    SessionRow::as_select(),
                    UserRow::as_select(),
                    user_address_lists::addresses.nullable(),
                ))
        };
    }
    Ok(match conn {
        AnyConnection::Postgresql(pg) => query!().first(pg).optional()?,
        AnyConnection::Sqlite(lite) => query!().first(lite).optional()?,
    })
}

/// The live session with this public id in this tenant, with its user and allow-list.
pub fn live_by_session_id(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    session_id: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<SessionWithUser>> {
    Ok(sessions::table
        .inner_join(users::table.left_join(user_address_lists::table))
        .filter(sessions::session_id.eq(session_id))
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::expiration_time.gt(now))
        .select((
            SessionRow::as_select(),
            UserRow::as_select(),
            user_address_lists::addresses.nullable(),
        ))
        .first(conn)
        .optional()?)
}

/// A user's live sessions, oldest first.
pub fn live_for_user(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    now: NaiveDateTime,
) -> StoreResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::user_pk.eq(user_pk))
        .filter(sessions::expiration_time.gt(now))
        .order((sessions::creation_time.asc(), sessions::id.asc()))
        .select(SessionRow::as_select())
        .load(conn)?)
}

pub fn set_expiration(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    id: i64,
    expiration: NaiveDateTime,
) -> StoreResult<usize> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant))
            .filter(sessions::id.eq(id)),
    )
    .set(sessions::expiration_time.eq(expiration))
    .execute(conn)?)
}

/// How many sessions of the tenant are live at `now`.
pub fn count_live(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<i64> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::expiration_time.gt(now))
        .count()
        .get_result(conn)?)
}

/// When the newest live session of the tenant began, if any is live at `now`.
pub fn newest_live_creation(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    now: NaiveDateTime,
) -> StoreResult<Option<NaiveDateTime>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::expiration_time.gt(now))
        .select(diesel::dsl::max(sessions::creation_time))
        .first(conn)?)
}

/// When the session row `id` of the tenant expires, if it still exists.
pub fn expiration_of(conn: &mut AnyConnection, tenant: TenantPk, id: i64) -> StoreResult<Option<NaiveDateTime>> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::id.eq(id))
        .select(sessions::expiration_time)
        .first(conn)
        .optional()?)
}

/// Whether the session row `id` of the tenant still exists (it ends by deletion).
pub fn exists(conn: &mut AnyConnection, tenant: TenantPk, id: i64) -> StoreResult<bool> {
    let found: i64 = sessions::table
        .filter(sessions::tenant_id.eq(tenant))
        .filter(sessions::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
