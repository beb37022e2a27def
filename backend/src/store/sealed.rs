//! Every column that may hold a value sealed with the keyring, read and rewritten by key rotation: users'
//! e-mails and TOTP keys and labels, encrypted attributes, pending TOTP enrolments, e-mail changes waiting for
//! confirmation, password-reset requests waiting for the mail sender.

use super::schema::{attrs, email_tokens, oidc_signing_keys, reset_requests, totp_enrolments, users};
use super::{AnyConnection, StoreResult, TenantPk};
use diesel::prelude::*;

/// One stored value: where it is, and what is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCell {
    pub column: Column,
    pub row: i64,
    pub value: String,
}

impl std::fmt::Debug for SealedCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedCell")
            .field("column", &self.column)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    UserEmail,
    UserTotpKey,
    UserTotpLabel,
    AttrValue,
    EnrolmentSecret,
    PendingEmail,
    ResetCredential,
    SigningKey,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::UserEmail => "users.email",
            Column::UserTotpKey => "users.totp_key",
            Column::UserTotpLabel => "users.totp_label",
            Column::AttrValue => "attrs.value",
            Column::EnrolmentSecret => "totp_enrolments.secret",
            Column::PendingEmail => "email_tokens.new_email",
            Column::ResetCredential => "reset_requests.credential_sealed",
            Column::SigningKey => "oidc_signing_keys.private_sealed",
        }
    }
}

/// A user's sealable columns: id, e-mail, TOTP key, TOTP label.
type UserCells = (i64, Option<String>, Option<String>, Option<String>);

/// Every non-empty value of the tenant's sealable columns (attributes only where encrypted).
pub fn cells(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<SealedCell>> {
    let mut out = Vec::new();
    let mut push = |column, row, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push(SealedCell { column, row, value });
        }
    };
    let rows: Vec<UserCells> = users::table
        .filter(users::tenant_id.eq(tenant))
        .select((users::id, users::email, users::totp_key, users::totp_label))
        .load(conn)?;
    for (id, email, key, label) in rows {
        push(Column::UserEmail, id, email);
        push(Column::UserTotpKey, id, key);
        push(Column::UserTotpLabel, id, label);
    }
    let rows: Vec<(i64, String)> = attrs::table
        .filter(attrs::tenant_id.eq(tenant))
        .filter(attrs::is_encrypted.eq(true))
        .select((attrs::id, attrs::value))
        .load(conn)?;
    for (id, value) in rows {
        push(Column::AttrValue, id, Some(value));
    }
    let rows: Vec<(i64, String)> = totp_enrolments::table
        .filter(totp_enrolments::tenant_id.eq(tenant))
        .select((totp_enrolments::user_pk, totp_enrolments::secret))
        .load(conn)?;
    for (id, value) in rows {
        push(Column::EnrolmentSecret, id, Some(value));
    }
    let rows: Vec<(i64, Option<String>)> = email_tokens::table
        .filter(email_tokens::tenant_id.eq(tenant))
        .select((email_tokens::id, email_tokens::new_email))
        .load(conn)?;
    for (id, value) in rows {
        push(Column::PendingEmail, id, value);
    }
    let rows: Vec<(i64, String)> = reset_requests::table
        .filter(reset_requests::tenant_id.eq(tenant))
        .select((reset_requests::id, reset_requests::credential_sealed))
        .load(conn)?;
    for (id, value) in rows {
        push(Column::ResetCredential, id, Some(value));
    }
    let rows: Vec<(i64, String)> = oidc_signing_keys::table
        .filter(oidc_signing_keys::tenant_id.eq(tenant))
        .select((oidc_signing_keys::id, oidc_signing_keys::private_sealed))
        .load(conn)?;
    for (id, value) in rows {
        push(Column::SigningKey, id, Some(value));
    }
    Ok(out)
}

/// Replaces the value [`cells`] found with `new`, only if the cell still holds what was read: a change made
/// since (a new TOTP key, a new address) is not undone by a rotation that read the old one. Returns whether it
/// was written.
pub fn rewrite(conn: &mut AnyConnection, tenant: TenantPk, cell: &SealedCell, new: &str) -> StoreResult<bool> {
    let (row, old) = (cell.row, cell.value.as_str());
    let written = match cell.column {
        Column::UserEmail => diesel::update(
            users::table
                .filter(users::tenant_id.eq(tenant))
                .find(row)
                .filter(users::email.eq(old)),
        )
        .set(users::email.eq(new))
        .execute(conn)?,
        Column::UserTotpKey => diesel::update(
            users::table
                .filter(users::tenant_id.eq(tenant))
                .find(row)
                .filter(users::totp_key.eq(old)),
        )
        .set(users::totp_key.eq(new))
        .execute(conn)?,
        Column::UserTotpLabel => diesel::update(
            users::table
                .filter(users::tenant_id.eq(tenant))
                .find(row)
                .filter(users::totp_label.eq(old)),
        )
        .set(users::totp_label.eq(new))
        .execute(conn)?,
        Column::AttrValue => diesel::update(
            attrs::table
                .filter(attrs::tenant_id.eq(tenant))
                .find(row)
                .filter(attrs::value.eq(old)),
        )
        .set(attrs::value.eq(new))
        .execute(conn)?,
        Column::EnrolmentSecret => diesel::update(
            totp_enrolments::table
                .filter(totp_enrolments::tenant_id.eq(tenant))
                .find(row)
                .filter(totp_enrolments::secret.eq(old)),
        )
        .set(totp_enrolments::secret.eq(new))
        .execute(conn)?,
        Column::PendingEmail => diesel::update(
            email_tokens::table
                .filter(email_tokens::tenant_id.eq(tenant))
                .find(row)
                .filter(email_tokens::new_email.eq(old)),
        )
        .set(email_tokens::new_email.eq(new))
        .execute(conn)?,
        Column::ResetCredential => diesel::update(
            reset_requests::table
                .filter(reset_requests::tenant_id.eq(tenant))
                .find(row)
                .filter(reset_requests::credential_sealed.eq(old)),
        )
        .set(reset_requests::credential_sealed.eq(new))
        .execute(conn)?,
        Column::SigningKey => diesel::update(
            oidc_signing_keys::table
                .filter(oidc_signing_keys::tenant_id.eq(tenant))
                .find(row)
                .filter(oidc_signing_keys::private_sealed.eq(old)),
        )
        .set(oidc_signing_keys::private_sealed.eq(new))
        .execute(conn)?,
    };
    Ok(written == 1)
}
