//! Attributes of users and of sessions (reference §7.4): any JSON value, an optional expiry in seconds, and an
//! `encrypt` flag that really seals the value with the keyring (quirk Q9 fixed). Expired attributes are
//! invisible. The caller must be the owner or a super-user of the tenant.

use super::error::{Kind, SsoError, SsoResult};
use super::session::CurrentSession;
use super::{Ctx, Sso, UserRef, audit};
use crate::store::AnyConnection;
use crate::store::attrs::{self as rows, AttrRow, Owner};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use gatehouse_shared::SubStatus;
use serde_json::Value;
use std::collections::BTreeMap;

/// One attribute to write.
#[derive(Debug, Clone)]
pub struct AttrInput {
    pub name: String,
    /// `None` keeps the stored value (update and set-expiry only).
    pub value: Option<Value>,
    /// Seconds from now; `None` means never.
    pub expiration: Option<i64>,
    pub encrypt: bool,
}

/// An attribute as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: String,
    pub value: Value,
    pub creation_time: NaiveDateTime,
    /// The creation time until the attribute is first updated.
    pub last_modified: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    pub is_encrypted: bool,
}

/// How a write treats an existing attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// It must not exist (`E009001`).
    Create,
    /// It must exist (`E009002`).
    Update,
    /// Either.
    Set,
}

/// "Never" expires: Zato's year 9999.
pub fn never() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn bad_input() -> SsoError {
    SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput)
}

pub fn check_name(name: &str) -> SsoResult<()> {
    if name.is_empty() || name.chars().count() > 191 || name.chars().any(char::is_control) {
        Err(bad_input())
    } else {
        Ok(())
    }
}

impl Sso {
    /// The attributes' owner: a user of the tenant (the caller's own by default; another's for a super-user).
    pub async fn user_attr_owner(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        user_id: Option<&str>,
    ) -> SsoResult<Owner> {
        let user_pk = match user_id {
            None => current.user.pk,
            Some(id) if id == current.user.user_id => current.user.pk,
            Some(id) => {
                let admin = current.require_super_user(ctx)?;
                self.find_user(admin.ctx(), &UserRef::Id(id.to_owned())).await?.pk
            }
        };
        Ok(Owner {
            tenant: ctx.tenant.pk,
            user_pk,
            session: None,
        })
    }

    /// The attributes' owner for a session.
    pub fn session_attr_owner(&self, ctx: &Ctx, session: &CurrentSession) -> Owner {
        Owner {
            tenant: ctx.tenant.pk,
            user_pk: session.user.pk,
            session: Some((session.session.pk, session.session.session_id.clone())),
        }
    }

    fn seal_attr(&self, value: &Value, encrypt: bool) -> String {
        let json = value.to_string();
        if encrypt {
            self.keyring.seal(json.as_bytes())
        } else {
            json
        }
    }

    fn open_attr(&self, row: &AttrRow) -> SsoResult<Attr> {
        let json = if row.is_encrypted {
            self.keyring
                .open_text(&row.value)
                .ok_or_else(|| SsoError::Internal("an attribute cannot be opened with the keyring".to_owned()))?
        } else {
            row.value.clone()
        };
        let value = serde_json::from_str(&json).map_err(|e| SsoError::Internal(format!("stored attribute: {e}")))?;
        Ok(Attr {
            name: row.name.clone(),
            value,
            creation_time: row.creation_time,
            // Rows written before every insert set it (and some imported from Zato) have none: the creation
            // time stands in, as Zato's clients parse the field as a date.
            last_modified: row.last_modified.unwrap_or(row.creation_time),
            expiration_time: row.expiration_time,
            is_encrypted: row.is_encrypted,
        })
    }

    /// Writes several attributes in one transaction: all or none.
    pub async fn write_attrs(
        &self,
        ctx: &Ctx,
        owner: &Owner,
        inputs: Vec<AttrInput>,
        mode: WriteMode,
    ) -> SsoResult<()> {
        if inputs.is_empty() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        }
        let mut prepared = Vec::with_capacity(inputs.len());
        for input in inputs {
            check_name(&input.name)?;
            if input.expiration.is_some_and(|s| s <= 0) {
                return Err(bad_input());
            }
            if mode != WriteMode::Update && input.value.is_none() {
                return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
            }
            let expiration_time = match input.expiration {
                // Any positive number of seconds is accepted; beyond what a time can hold it means never.
                Some(s) => TimeDelta::try_seconds(s)
                    .and_then(|d| ctx.now.checked_add_signed(d))
                    .unwrap_or_else(never)
                    .min(never()),
                None => never(),
            };
            let sealed = input.value.as_ref().map(|v| self.seal_attr(v, input.encrypt));
            prepared.push((input, sealed, expiration_time));
        }
        let (owner, ctx_c) = (owner.clone(), ctx.clone());
        let now = ctx.now;
        let op = match mode {
            WriteMode::Create => "attr.create",
            WriteMode::Update => "attr.update",
            WriteMode::Set => "attr.set",
        };
        self.store
            .tenant_with(owner.tenant, move |conn| {
                for (input, sealed, expiration_time) in prepared {
                    write_one(conn, &owner, &input, sealed, expiration_time, now, mode)?;
                }
                audit::append_ctx(conn, &ctx_c, op, None, Ok(()))?;
                Ok(())
            })
            .await
    }
}

fn write_one(
    conn: &mut AnyConnection,
    owner: &Owner,
    input: &AttrInput,
    sealed: Option<String>,
    expiration_time: NaiveDateTime,
    now: NaiveDateTime,
    mode: WriteMode,
) -> SsoResult<()> {
    let names = [input.name.clone()];
    let existing = rows::live(conn, owner, Some(&names), now)?.into_iter().next();
    match (existing, mode) {
        (Some(_), WriteMode::Create) => Err(SsoError::refused(Kind::Conflict, SubStatus::AttrAlreadyExists)),
        (None, WriteMode::Update) => Err(SsoError::refused(Kind::NotFound, SubStatus::AttrNoSuchAttr)),
        (Some(mut row), _) => {
            if let Some(sealed) = sealed {
                row.value = sealed;
                row.is_encrypted = input.encrypt;
            }
            if input.expiration.is_some() || mode == WriteMode::Set {
                row.expiration_time = expiration_time;
            }
            row.last_modified = Some(now);
            rows::update(conn, &row)?;
            Ok(())
        }
        (None, _) => {
            rows::purge_expired(conn, owner, &input.name, now)?;
            rows::insert(
                conn,
                &AttrRow {
                    id: 0,
                    tenant_id: owner.tenant,
                    user_pk: owner.user_pk,
                    session_pk: owner.session.as_ref().map(|(pk, _)| *pk),
                    scope: owner.scope().to_owned(),
                    name: input.name.clone(),
                    value: sealed.unwrap_or_else(|| "null".to_owned()),
                    is_encrypted: input.encrypt,
                    creation_time: now,
                    // Zato sets both at creation; clients parse it as a date.
                    last_modified: Some(now),
                    expiration_time,
                },
            )?;
            Ok(())
        }
    }
}

impl Sso {
    /// The live attributes, all or those named.
    pub async fn read_attrs(
        &self,
        ctx: &Ctx,
        owner: &Owner,
        names: Option<Vec<String>>,
    ) -> SsoResult<BTreeMap<String, Attr>> {
        let (owner, now) = (owner.clone(), ctx.now);
        let found = self
            .store
            .tenant(owner.tenant, move |conn| {
                rows::live(conn, &owner, names.as_deref(), now)
            })
            .await?;
        found
            .iter()
            .map(|row| self.open_attr(row).map(|a| (a.name.clone(), a)))
            .collect()
    }

    /// Deletes the named live attributes; returns how many went.
    pub async fn delete_attrs(&self, ctx: &Ctx, owner: &Owner, names: Vec<String>) -> SsoResult<usize> {
        if names.is_empty() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        }
        let (owner, ctx_c) = (owner.clone(), ctx.clone());
        let now = ctx.now;
        Ok(self
            .store
            .tenant(owner.tenant, move |conn| {
                let n = rows::delete(conn, &owner, &names, now)?;
                audit::append_ctx(conn, &ctx_c, "attr.delete", None, Ok(()))?;
                Ok(n)
            })
            .await?)
    }
}
