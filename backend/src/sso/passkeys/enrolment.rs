//! Adding, listing, naming and removing passkeys: the user's own (adding needs a session; removing needs the
//! password and a fresh proof of a factor, as turning TOTP off does), and an administrator's view of a user's.
//!
//! Registration asks for a discoverable credential (`residentKey: required`), so the passkey can sign in
//! without a username, with user verification; no attestation is asked for. A user's passkeys share one user
//! handle, a random UUID made with their first.

use super::{Ceremony, CeremonyHandle, CeremonyState, MAX_PER_USER, credential_key, invalid, no_such_ceremony};
use crate::domain::UserRef;
use crate::sso::error::{Kind, SsoError, SsoResult};
use crate::sso::security_notices::{Notice, Notifier};
use crate::sso::session::CurrentSession;
use crate::sso::totp_enrolment::FactorProof;
use crate::sso::{Admin, Ctx, Sso, audit};
use crate::store::passkeys::{self as rows, PasskeyRow};
use crate::store::{AnyConnection, StoreResult, users};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;
use webauthn_rs::prelude::{Passkey, RegisterPublicKeyCredential, Uuid};
use webauthn_rs_proto::ResidentKeyRequirement;

/// A passkey as its owner and administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    pub passkey_id: String,
    pub name: String,
    pub creation_time: NaiveDateTime,
    pub last_used_time: Option<NaiveDateTime>,
    /// The credential may be synchronised to the user's other devices (a "software" key in `amr`).
    pub backup_eligible: bool,
    pub backup_state: bool,
}

impl From<&PasskeyRow> for PasskeyInfo {
    fn from(r: &PasskeyRow) -> Self {
        PasskeyInfo {
            passkey_id: r.passkey_id.clone(),
            name: r.name.clone(),
            creation_time: r.creation_time,
            last_used_time: r.last_used_time,
            backup_eligible: r.backup_eligible,
            backup_state: r.backup_state,
        }
    }
}

/// The longest name of a passkey, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A passkey's name: trimmed, 1 to 64 characters, no control characters.
pub fn check_name(name: &str) -> SsoResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(SsoError::Invalid {
            key: "name".to_owned(),
            message: format!("a passkey's name is 1 to {MAX_NAME_CHARS} characters, without control characters"),
        });
    }
    Ok(name.to_owned())
}

fn no_such_passkey() -> SsoError {
    SsoError::refused(Kind::NotFound, SubStatus::PasskeyNoSuchPasskey)
}

impl Sso {
    /// Starts adding a passkey for the caller: the options for `navigator.credentials.create()`. A passkey is
    /// a way in that outlives a password change, so a session alone cannot add one: `proof` is the password,
    /// and a proof of the second factor when the user has one (`prove_account`); an application's session (an
    /// OpenID Connect access token) cannot add one at all.
    pub async fn passkey_registration_options(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        proof: &FactorProof,
    ) -> SsoResult<Ceremony> {
        let webauthn = self.relying_party.get()?;
        let user = current.user();
        if current.session().scope.is_some() || current.session().grant_pk().is_some() {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation));
        }
        if user.passkeys >= MAX_PER_USER {
            return Err(SsoError::refused(Kind::Conflict, SubStatus::PasskeyLimit));
        }
        self.prove_account(ctx, user, proof).await?;
        let (pk, user_pk) = (ctx.tenant.pk, user.pk);
        let (existing, handle) = self
            .store
            .tenant(pk, move |conn| {
                Ok((rows::for_user(conn, pk, user_pk)?, rows::handle_of(conn, pk, user_pk)?))
            })
            .await?;
        let user_handle = match handle.as_deref().map(Uuid::parse_str) {
            Some(Ok(uuid)) => uuid,
            _ => uuid_from(crate::crypto::random_u128()),
        };
        let exclude = existing
            .iter()
            .filter_map(|r| crate::crypto::base64_urlsafe_decode(&r.credential_id))
            .collect::<Vec<_>>();
        let name = user.username.as_str();
        let shown = match &user.display_name {
            Some(d) if !d.trim().is_empty() => format!("{} ({})", d.trim(), ctx.tenant.display_name),
            _ => format!("{name} ({})", ctx.tenant.display_name),
        };
        let (mut ccr, state) = webauthn
            .start_passkey_registration(user_handle, name, &shown, Some(exclude))
            .map_err(|e| SsoError::Internal(format!("a passkey registration cannot start: {e}")))?;
        // A discoverable credential, so the passkey can sign in without a username.
        if let Some(selection) = ccr.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        ccr.public_key.rp.name = ctx.tenant.display_name.clone();
        let state = CeremonyState::Register {
            state,
            user_handle: user_handle.to_string(),
        };
        let handle = self.put_ceremony(ctx, Some(user_pk), &state).await?;
        let options = serde_json::to_value(&ccr)
            .map_err(|e| SsoError::Internal(format!("registration options do not serialise: {e}")))?;
        Ok(Ceremony { handle, options })
    }

    /// Finishes adding a passkey with the authenticator's answer; `name` names it (empty: a default name).
    pub async fn register_passkey(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        handle: &CeremonyHandle,
        credential: &RegisterPublicKeyCredential,
        name: &str,
    ) -> SsoResult<PasskeyInfo> {
        let webauthn = self.relying_party.get()?;
        let name = match name.trim() {
            "" => format!("Passkey added {}", ctx.now.format("%Y-%m-%d")),
            given => check_name(given)?,
        };
        let (owner, state) = self.take_ceremony(ctx, handle).await?;
        let CeremonyState::Register { state, user_handle } = state else {
            return Err(no_such_ceremony());
        };
        if owner != Some(current.user().pk) {
            return Err(no_such_ceremony());
        }
        // A credential already registered in the tenant (one of the user's own, which the options excluded, is
        // refused by webauthn-rs under another name).
        let (pk, key) = (ctx.tenant.pk, credential_key(credential.raw_id.as_ref()));
        let taken = self
            .store
            .tenant(pk, move |conn| rows::by_credential_id(conn, pk, &key))
            .await?;
        if taken.is_some() {
            return Err(SsoError::refused(Kind::Conflict, SubStatus::PasskeyAlreadyRegistered));
        }
        let passkey = webauthn.finish_passkey_registration(credential, &state).map_err(|e| {
            tracing::debug!(cid = %ctx.cid, error = %e, "a passkey registration was refused");
            invalid()
        })?;
        let row = new_row(ctx, current.user().pk, &user_handle, &name, &passkey)?;
        let info = PasskeyInfo::from(&row);
        let acting = current.acting(ctx);
        let limit = MAX_PER_USER as usize;
        let target = current.user().user_id.clone();
        let notify = self.notifier(&acting).await?;
        let added = Notice::PasskeyAdded { name: row.name.clone() };
        self.store
            .tenant_with(ctx.tenant.pk, move |conn| {
                match rows::insert(conn, &row, limit)? {
                    None => return Err(SsoError::refused(Kind::Conflict, SubStatus::PasskeyLimit)),
                    Some(false) => {
                        return Err(SsoError::refused(Kind::Conflict, SubStatus::PasskeyAlreadyRegistered));
                    }
                    Some(true) => {}
                }
                audit::append_ctx(conn, &acting, "user.passkey_add", Some(&target), Ok(()))?;
                tell(conn, &notify, row.user_pk, &added)?;
                Ok(())
            })
            .await?;
        Ok(info)
    }

    /// The caller's passkeys, oldest first.
    pub async fn my_passkeys(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<Vec<PasskeyInfo>> {
        let (pk, user_pk) = (ctx.tenant.pk, current.user().pk);
        let found = self
            .store
            .tenant(pk, move |conn| rows::for_user(conn, pk, user_pk))
            .await?;
        Ok(found.iter().map(PasskeyInfo::from).collect())
    }

    /// Renames one of the caller's passkeys.
    pub async fn rename_passkey(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        passkey_id: &str,
        name: &str,
    ) -> SsoResult<PasskeyInfo> {
        let name = check_name(name)?;
        let (pk, user_pk, id) = (ctx.tenant.pk, current.user().pk, passkey_id.to_owned());
        let found = self
            .store
            .tenant(pk, move |conn| {
                if !rows::rename(conn, pk, user_pk, &id, &name)? {
                    return Ok(None);
                }
                Ok(rows::for_user(conn, pk, user_pk)?
                    .into_iter()
                    .find(|r| r.passkey_id == id))
            })
            .await?;
        found.as_ref().map(PasskeyInfo::from).ok_or_else(no_such_passkey)
    }

    /// Removes one of the caller's passkeys, on proof: the password and a TOTP or recovery code, or an
    /// assertion of one of their passkeys (the one removed included). The user's other sessions end.
    pub async fn remove_passkey(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        passkey_id: &str,
        proof: &FactorProof,
    ) -> SsoResult<()> {
        let (pk, user_pk, id) = (ctx.tenant.pk, current.user().pk, passkey_id.to_owned());
        let mine = self.my_passkeys(ctx, current).await?;
        if !mine.iter().any(|p| p.passkey_id == id) {
            return Err(no_such_passkey());
        }
        self.prove_factor(ctx, current.user(), proof).await?;
        let acting = current.acting(ctx);
        let keep = current.session().pk;
        let target = current.user().user_id.clone();
        let notify = self.notifier(&acting).await?;
        let removed = removed_notice(&mine, &id);
        self.store
            .tenant_with(pk, move |conn| {
                if !rows::remove(conn, pk, user_pk, &id)? {
                    return Err(no_such_passkey());
                }
                crate::sso::session_end::end_for_user(conn, pk, user_pk, Some(keep), acting.now)?;
                audit::append_ctx(conn, &acting, "user.passkey_remove", Some(&target), Ok(()))?;
                tell(conn, &notify, user_pk, &removed)?;
                Ok(())
            })
            .await
    }

    /// A user's passkeys, for an administrator.
    pub async fn user_passkeys(&self, admin: &Admin, user: &UserRef) -> SsoResult<Vec<PasskeyInfo>> {
        let ctx = admin.ctx();
        let found = self.find_user(ctx, user).await?;
        let (pk, user_pk) = (ctx.tenant.pk, found.pk);
        let rows = self
            .store
            .tenant(pk, move |conn| rows::for_user(conn, pk, user_pk))
            .await?;
        Ok(rows.iter().map(PasskeyInfo::from).collect())
    }

    /// An administrator removes a user's passkey (one's own goes only with a proof: `remove_passkey`); the
    /// user's sessions end, as for a 2FA reset.
    pub async fn admin_remove_passkey(&self, admin: &Admin, user: &UserRef, passkey_id: &str) -> SsoResult<()> {
        let ctx = admin.ctx();
        let found = self.find_user(ctx, user).await?;
        admin.not_on_self(&found.user_id)?;
        let (pk, user_pk, id, c) = (ctx.tenant.pk, found.pk, passkey_id.to_owned(), ctx.clone());
        let target = found.user_id.clone();
        let notify = self.notifier(ctx).await?;
        let theirs = self.user_passkeys(admin, user).await?;
        let removed = removed_notice(&theirs, &id);
        self.store
            .tenant_with(pk, move |conn| {
                if !rows::remove(conn, pk, user_pk, &id)? {
                    return Err(no_such_passkey());
                }
                crate::sso::session_end::end_for_user(conn, pk, user_pk, None, c.now)?;
                audit::append_ctx(conn, &c, "user.passkey_remove", Some(&target), Ok(()))?;
                tell(conn, &notify, user_pk, &removed)?;
                Ok(())
            })
            .await
    }
}

/// The notice of removing the passkey `id` of `passkeys`.
fn removed_notice(passkeys: &[PasskeyInfo], id: &str) -> Notice {
    let names = passkeys
        .iter()
        .filter(|p| p.passkey_id == id)
        .map(|p| p.name.clone())
        .collect();
    Notice::PasskeyRemoved { names }
}

/// Tells the user `user_pk` of a change to their passkeys, in the change's transaction.
fn tell(conn: &mut AnyConnection, notify: &Notifier, user_pk: i64, notice: &Notice) -> StoreResult<()> {
    match users::by_pk(conn, notify.tenant(), user_pk)? {
        Some(user) => notify.notify(conn, &user, notice),
        None => Ok(()),
    }
}

/// A UUID (version 4 layout) from random bits.
fn uuid_from(random: u128) -> Uuid {
    let mut bytes = random.to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// The row of a newly registered passkey. The counter and backup flags are read from webauthn-rs's own
/// serialised record (the crate keeps them private), which is also what is stored.
fn new_row(ctx: &Ctx, user_pk: i64, user_handle: &str, name: &str, passkey: &Passkey) -> SsoResult<PasskeyRow> {
    let json =
        serde_json::to_value(passkey).map_err(|e| SsoError::Internal(format!("a passkey does not serialise: {e}")))?;
    let cred = &json["cred"];
    Ok(PasskeyRow {
        id: 0,
        tenant_id: ctx.tenant.pk,
        user_pk,
        passkey_id: format!("pk_{}", crate::crypto::random_urlsafe(12)),
        credential_id: credential_key(passkey.cred_id().as_ref()),
        user_handle: user_handle.to_owned(),
        name: name.to_owned(),
        credential: json.to_string(),
        sign_count: cred["counter"].as_i64().unwrap_or(0),
        backup_eligible: cred["backup_eligible"].as_bool().unwrap_or(false),
        backup_state: cred["backup_state"].as_bool().unwrap_or(false),
        creation_time: ctx.now,
        last_used_time: None,
    })
}
