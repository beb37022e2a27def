//! The `email_tokens` table: one-time links for sign-up confirmation and changed e-mail addresses.

use super::schema::email_tokens;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailTokenRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub user_pk: i64,
    pub purpose: String,
    pub token_hash: String,
    pub new_email: Option<String>,
    pub new_email_hash: Option<String>,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub used_time: Option<NaiveDateTime>,
}

pub struct NewEmailToken<'a> {
    pub tenant: TenantPk,
    pub user_pk: i64,
    pub purpose: &'a str,
    pub token_hash: &'a str,
    pub new_email: Option<&'a str>,
    pub new_email_hash: Option<&'a str>,
    pub expiration_time: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, t: &NewEmailToken<'_>, now: NaiveDateTime) -> StoreResult<()> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::tenant_id.eq(t.tenant),
            email_tokens::user_pk.eq(t.user_pk),
            email_tokens::purpose.eq(t.purpose),
            email_tokens::token_hash.eq(t.token_hash),
            email_tokens::new_email.eq(t.new_email),
            email_tokens::new_email_hash.eq(t.new_email_hash),
            email_tokens::creation_time.eq(now),
            email_tokens::expiration_time.eq(t.expiration_time),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_hash(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    purpose: &str,
    hash: &str,
) -> StoreResult<Option<EmailTokenRow>> {
    Ok(email_tokens::table
        .filter(email_tokens::tenant_id.eq(tenant))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::token_hash.eq(hash))
        .select(EmailTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used; whether it was still unused (a conditional update, so a token works once).
pub fn use_token(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(email_tokens::table.find(id).filter(email_tokens::used_time.is_null()))
        .set(email_tokens::used_time.eq(Some(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Withdraws a user's unused tokens of one purpose (a newer link replaces older ones).
pub fn withdraw(conn: &mut AnyConnection, tenant: TenantPk, user_pk: i64, purpose: &str) -> StoreResult<usize> {
    Ok(diesel::delete(
        email_tokens::table
            .filter(email_tokens::tenant_id.eq(tenant))
            .filter(email_tokens::user_pk.eq(user_pk))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_time.is_null()),
    )
    .execute(conn)?)
}

/// The address a user asked to change to, not yet confirmed.
pub fn pending_email(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    user_pk: i64,
    now: NaiveDateTime,
) -> StoreResult<Option<String>> {
    Ok(email_tokens::table
        .filter(email_tokens::tenant_id.eq(tenant))
        .filter(email_tokens::user_pk.eq(user_pk))
        .filter(email_tokens::purpose.eq("email_change"))
        .filter(email_tokens::used_time.is_null())
        .filter(email_tokens::expiration_time.gt(now))
        .order(email_tokens::id.desc())
        .select(email_tokens::new_email)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

pub fn delete_expired(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        email_tokens::table
            .filter(email_tokens::tenant_id.eq(tenant))
            .filter(email_tokens::expiration_time.le(now)),
    )
    .execute(conn)?)
}
