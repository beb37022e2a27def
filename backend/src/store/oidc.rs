//! The OpenID Connect tables: clients (an app's client settings), signing keys (sealed PKCS#8), authorization
//! codes (by SHA-256, used once) and consents. Every query names its tenant.

use super::schema::{oidc_clients, oidc_codes, oidc_consents, oidc_grants, oidc_signing_keys, sessions};
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = oidc_clients)]
pub struct ClientRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub app: String,
    pub client_name: String,
    /// JSON array of exact URIs.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub confidential: bool,
    #[diesel(treat_none_as_null = true)]
    pub secret_hash: Option<String>,
    pub consent_required: bool,
    pub creation_time: NaiveDateTime,
    pub modified_time: NaiveDateTime,
    #[diesel(treat_none_as_null = true)]
    pub backchannel_logout_uri: Option<String>,
    /// The JOSE name of the algorithm its ID tokens are signed with.
    pub id_token_alg: String,
}

pub fn client(conn: &mut AnyConnection, tenant: TenantPk, app: &str) -> StoreResult<Option<ClientRow>> {
    Ok(oidc_clients::table
        .filter(oidc_clients::tenant_id.eq(tenant))
        .filter(oidc_clients::app.eq(app))
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn clients(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<ClientRow>> {
    Ok(oidc_clients::table
        .filter(oidc_clients::tenant_id.eq(tenant))
        .order(oidc_clients::app.asc())
        .select(ClientRow::as_select())
        .load(conn)?)
}

/// Writes the client settings of `row.app`, creating them if the app had none.
pub fn put_client(conn: &mut AnyConnection, row: &ClientRow) -> StoreResult<()> {
    let updated = diesel::update(
        oidc_clients::table
            .filter(oidc_clients::tenant_id.eq(row.tenant_id))
            .filter(oidc_clients::app.eq(&row.app)),
    )
    .set((
        oidc_clients::client_name.eq(&row.client_name),
        oidc_clients::redirect_uris.eq(&row.redirect_uris),
        oidc_clients::post_logout_redirect_uris.eq(&row.post_logout_redirect_uris),
        oidc_clients::confidential.eq(row.confidential),
        oidc_clients::secret_hash.eq(&row.secret_hash),
        oidc_clients::consent_required.eq(row.consent_required),
        oidc_clients::modified_time.eq(row.modified_time),
        oidc_clients::backchannel_logout_uri.eq(&row.backchannel_logout_uri),
        oidc_clients::id_token_alg.eq(&row.id_token_alg),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(oidc_clients::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub fn delete_client(conn: &mut AnyConnection, tenant: TenantPk, app: &str) -> StoreResult<usize> {
    Ok(diesel::delete(
        oidc_clients::table
            .filter(oidc_clients::tenant_id.eq(tenant))
            .filter(oidc_clients::app.eq(app)),
    )
    .execute(conn)?)
}

#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = oidc_signing_keys)]
pub struct SigningKeyRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub kid: String,
    pub private_sealed: String,
    pub creation_time: NaiveDateTime,
    pub alg: String,
    /// From when it signs (a rotated-in key is published before); none: from its creation.
    pub activation_time: Option<NaiveDateTime>,
    /// When it leaves the JWKS (every token it signed has expired by then); none: not retired.
    pub unpublish_time: Option<NaiveDateTime>,
}

impl SigningKeyRow {
    pub fn signs_from(&self) -> NaiveDateTime {
        self.activation_time.unwrap_or(self.creation_time)
    }
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The tenant's signing keys still published at `now`, newest first.
pub fn signing_keys(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<Vec<SigningKeyRow>> {
    Ok(oidc_signing_keys::table
        .filter(oidc_signing_keys::tenant_id.eq(tenant))
        .filter(
            oidc_signing_keys::unpublish_time
                .is_null()
                .or(oidc_signing_keys::unpublish_time.gt(now)),
        )
        .order(oidc_signing_keys::id.desc())
        .select(SigningKeyRow::as_select())
        .load(conn)?)
}

/// A new signing key.
pub struct NewSigningKey<'a> {
    pub tenant: TenantPk,
    pub kid: &'a str,
    pub alg: &'a str,
    pub sealed: &'a str,
    pub creation_time: NaiveDateTime,
    pub activation_time: Option<NaiveDateTime>,
}

pub fn insert_signing_key(conn: &mut AnyConnection, key: &NewSigningKey<'_>) -> StoreResult<()> {
    diesel::insert_into(oidc_signing_keys::table)
        .values((
            oidc_signing_keys::tenant_id.eq(key.tenant),
            oidc_signing_keys::kid.eq(key.kid),
            oidc_signing_keys::alg.eq(key.alg),
            oidc_signing_keys::private_sealed.eq(key.sealed),
            oidc_signing_keys::creation_time.eq(key.creation_time),
            oidc_signing_keys::activation_time.eq(key.activation_time),
        ))
        .execute(conn)?;
    Ok(())
}

/// Retires the keys of `alg` not retired yet (but `except`): they leave the JWKS at `at`.
pub fn retire_signing_keys(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    alg: &str,
    except: &str,
    at: NaiveDateTime,
) -> StoreResult<usize> {
    Ok(diesel::update(
        oidc_signing_keys::table
            .filter(oidc_signing_keys::tenant_id.eq(tenant))
            .filter(oidc_signing_keys::alg.eq(alg))
            .filter(oidc_signing_keys::kid.ne(except))
            .filter(oidc_signing_keys::unpublish_time.is_null()),
    )
    .set(oidc_signing_keys::unpublish_time.eq(at))
    .execute(conn)?)
}

/// Deletes the keys no longer published at `now`.
pub fn delete_unpublished_keys(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        oidc_signing_keys::table
            .filter(oidc_signing_keys::tenant_id.eq(tenant))
            .filter(oidc_signing_keys::unpublish_time.le(now)),
    )
    .execute(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_codes)]
pub struct CodeRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: TenantPk,
    pub code_hash: String,
    pub app: String,
    pub sso_session_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub used_time: Option<NaiveDateTime>,
    pub issued_session_id: Option<String>,
    pub issued_grant_id: Option<i64>,
}

pub fn insert_code(conn: &mut AnyConnection, row: &CodeRow) -> StoreResult<()> {
    diesel::insert_into(oidc_codes::table).values(row).execute(conn)?;
    Ok(())
}

/// What presenting a code found.
#[derive(Debug)]
pub enum Taken {
    /// Unused until now, and now used: the caller may issue what it grants.
    First(CodeRow),
    /// Used before (or marked by a concurrent request): whatever it issued must be revoked.
    Again(CodeRow),
    Unknown,
}

/// Marks the code used, atomically: of two requests presenting it, one gets `First`. A code of another
/// client is `Unknown` to `app`, and left as it was.
pub fn take_code(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    hash: &str,
    app: &str,
    now: NaiveDateTime,
) -> StoreResult<Taken> {
    let marked = diesel::update(
        oidc_codes::table
            .filter(oidc_codes::tenant_id.eq(tenant))
            .filter(oidc_codes::code_hash.eq(hash))
            .filter(oidc_codes::app.eq(app))
            .filter(oidc_codes::used_time.is_null()),
    )
    .set(oidc_codes::used_time.eq(now))
    .execute(conn)?;
    let row = oidc_codes::table
        .filter(oidc_codes::tenant_id.eq(tenant))
        .filter(oidc_codes::code_hash.eq(hash))
        .select(CodeRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Taken::Unknown,
        Some(row) if row.app != app => Taken::Unknown,
        Some(row) if marked == 1 => Taken::First(row),
        Some(row) => Taken::Again(row),
    })
}

/// Records the grant a code's exchange made, so a replay of the code can end it.
pub fn set_issued(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    id: i64,
    session_id: &str,
    grant: i64,
) -> StoreResult<()> {
    diesel::update(
        oidc_codes::table
            .filter(oidc_codes::tenant_id.eq(tenant))
            .filter(oidc_codes::id.eq(id)),
    )
    .set((
        oidc_codes::issued_session_id.eq(session_id),
        oidc_codes::issued_grant_id.eq(grant),
    ))
    .execute(conn)?;
    Ok(())
}

/// Deletes codes that expired before `before` (kept a while after expiry, so a late replay is recognised).
pub fn delete_codes_expired(conn: &mut AnyConnection, tenant: TenantPk, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        oidc_codes::table
            .filter(oidc_codes::tenant_id.eq(tenant))
            .filter(oidc_codes::expiration_time.lt(before)),
    )
    .execute(conn)?)
}

/// The scope (space-separated, sorted) a user consented to for an app, if any.
pub fn consent(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, app: &str) -> StoreResult<Option<String>> {
    Ok(oidc_consents::table
        .filter(oidc_consents::tenant_id.eq(tenant))
        .filter(oidc_consents::user_pk.eq(user_pk))
        .filter(oidc_consents::app.eq(app))
        .select(oidc_consents::scope)
        .first(conn)
        .optional()?)
}

/// Forgets a user's consent to an app (ending an app's access asks again next time).
pub fn delete_consent(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, app: &str) -> StoreResult<usize> {
    Ok(diesel::delete(
        oidc_consents::table
            .filter(oidc_consents::tenant_id.eq(tenant))
            .filter(oidc_consents::user_pk.eq(user_pk))
            .filter(oidc_consents::app.eq(app)),
    )
    .execute(conn)?)
}

pub fn put_consent(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    app: &str,
    scope: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::delete(
        oidc_consents::table
            .filter(oidc_consents::tenant_id.eq(tenant))
            .filter(oidc_consents::user_pk.eq(user_pk))
            .filter(oidc_consents::app.eq(app)),
    )
    .execute(conn)?;
    diesel::insert_into(oidc_consents::table)
        .values((
            oidc_consents::tenant_id.eq(tenant),
            oidc_consents::user_pk.eq(user_pk),
            oidc_consents::app.eq(app),
            oidc_consents::scope.eq(scope),
            oidc_consents::creation_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets an app's client data: its settings, consents, waiting codes, and the sessions granted to it by
/// OpenID Connect (its access tokens stop working).
pub fn forget_app(conn: &mut AnyConnection, tenant: TenantPk, app: &str) -> StoreResult<()> {
    diesel::delete(
        oidc_grants::table
            .filter(oidc_grants::tenant_id.eq(tenant))
            .filter(oidc_grants::app.eq(app)),
    )
    .execute(conn)?;
    diesel::delete(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant))
            .filter(sessions::current_app.eq(app))
            .filter(sessions::scope.is_not_null()),
    )
    .execute(conn)?;
    diesel::delete(
        oidc_consents::table
            .filter(oidc_consents::tenant_id.eq(tenant))
            .filter(oidc_consents::app.eq(app)),
    )
    .execute(conn)?;
    diesel::delete(
        oidc_codes::table
            .filter(oidc_codes::tenant_id.eq(tenant))
            .filter(oidc_codes::app.eq(app)),
    )
    .execute(conn)?;
    delete_client(conn, tenant, app)?;
    Ok(())
}
