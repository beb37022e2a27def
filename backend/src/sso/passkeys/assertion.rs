//! Checking an authenticator's answer (an assertion): for a username-less login, for the second step of a
//! login, and for the proof of a factor. The credential is looked up in the tenant that answers; webauthn-rs
//! checks the challenge, the origin, the relying party, user verification, the signature and the counter;
//! the use is recorded only if the counter moved forward (compared in the update, see
//! `store::passkeys::record_use`). A counter that went backwards is refused and audited.

use super::{Ceremony, CeremonyHandle, CeremonyState, credential_key, invalid};
use crate::sso::error::{Kind, SsoError, SsoResult};
use crate::sso::session::CurrentSession;
use crate::sso::{Ctx, Sso, audit};
use crate::store::passkeys::{self as rows, PasskeyRow};
use gatehouse_shared::SubStatus;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PublicKeyCredential,
    WebauthnError,
};

/// An authenticator's answer to a ceremony: the handle the options came with, and the credential.
#[derive(Debug, Clone)]
pub struct PasskeyAnswer {
    pub ceremony: CeremonyHandle,
    pub credential: Box<PublicKeyCredential>,
}

/// What a verified assertion says about the key, for `amr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asserted {
    /// The credential may be synchronised between devices (`swk`); else it is bound to one (`hwk`).
    pub synced: bool,
}

impl Asserted {
    /// The `amr` values of a passkey: the key's kind, and user verification.
    pub fn methods(self) -> &'static str {
        if self.synced { "swk user" } else { "hwk user" }
    }
}

/// A failed assertion, with the user it named when it named one (their failure is counted).
pub(crate) type Failed = (Option<i64>, SsoError);

fn unknown_passkey() -> SsoError {
    SsoError::refused(Kind::Unauthenticated, SubStatus::PasskeyNoSuchPasskey)
}

fn regressed() -> SsoError {
    SsoError::refused(Kind::Unauthenticated, SubStatus::PasskeyCounterRegressed)
}

impl Sso {
    /// The options of a username-less login: any of the tenant's passkeys may answer.
    pub async fn passkey_login_options(&self, ctx: &Ctx) -> SsoResult<Ceremony> {
        let webauthn = self.relying_party.get()?;
        // What a login checks before any work: the app, its key, the address; and a bound on the ceremonies
        // one address can make wait in the database.
        let policy = self.policy(&ctx.tenant).await?;
        self.check_app_key(ctx, &policy).await?;
        if !ctx.app_in(&policy.apps.all) || !ctx.app_in(&policy.apps.login_allowed) {
            return Err(SsoError::refused_if(
                Kind::Unauthenticated,
                SubStatus::AppListInvalid,
                policy.apps.inform_if_app_invalid,
            ));
        }
        self.check_address_throttle(ctx, &policy).await?;
        let limit = policy.login.max_passkey_starts_per_address;
        self.limit_requests(ctx, "passkey_login", None, limit, u32::MAX, 1)
            .await?;
        let (mut rcr, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| SsoError::Internal(format!("a passkey login cannot start: {e}")))?;
        // Started by a button, not by the browser's autofill.
        rcr.mediation = None;
        let handle = self.put_ceremony(ctx, None, &CeremonyState::Login { state }).await?;
        Ok(Ceremony {
            handle,
            options: options_json(&rcr)?,
        })
    }

    /// The options of the passkey step after the password, for a caller that holds no continuation (the REST
    /// API): the password step of the login runs first, with every rule and failure count of a login, and its
    /// continuation is kept in the ceremony.
    pub async fn passkey_step_options(
        &self,
        ctx: &Ctx,
        username: Option<String>,
        password: Option<crate::crypto::password::Password>,
    ) -> SsoResult<Ceremony> {
        let request = crate::sso::login::LoginRequest {
            username,
            password,
            passkey_step: true,
            ..Default::default()
        };
        match self.login(ctx, request).await {
            Err(SsoError::NeedsMore {
                step: crate::sso::error::LoginStep::Passkey,
                continuation,
                ..
            }) => self.passkey_second_step_options(ctx, &continuation.0).await,
            Err(e) => Err(e),
            // A login asked to stop at its passkey step cannot finish without it.
            Ok(_) => Err(SsoError::Internal(
                "a login asked to stop at its passkey step finished".to_owned(),
            )),
        }
    }

    /// The options of a login's second step, for the user whose password the sealed continuation stands for;
    /// the continuation is kept with the ceremony (and used up only when the login finishes).
    pub async fn passkey_second_step_options(&self, ctx: &Ctx, continuation: &str) -> SsoResult<Ceremony> {
        let webauthn = self.relying_party.get()?;
        let user = self.continuation_user(ctx, continuation).await?;
        let passkeys = self.passkeys_of(ctx, user.id).await?;
        if passkeys.is_empty() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::PasskeyNone));
        }
        let (rcr, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| SsoError::Internal(format!("a passkey step cannot start: {e}")))?;
        let state = CeremonyState::Second {
            state,
            continuation: continuation.to_owned(),
        };
        let handle = self.put_ceremony(ctx, Some(user.id), &state).await?;
        Ok(Ceremony {
            handle,
            options: options_json(&rcr)?,
        })
    }

    /// The options of a proof by one of the caller's passkeys (to remove a passkey or TOTP).
    pub async fn passkey_proof_options(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<Ceremony> {
        let webauthn = self.relying_party.get()?;
        let passkeys = self.passkeys_of(ctx, current.user().pk).await?;
        if passkeys.is_empty() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::PasskeyNone));
        }
        let (rcr, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| SsoError::Internal(format!("a passkey proof cannot start: {e}")))?;
        let handle = self
            .put_ceremony(ctx, Some(current.user().pk), &CeremonyState::Proof { state })
            .await?;
        Ok(Ceremony {
            handle,
            options: options_json(&rcr)?,
        })
    }

    /// The user's passkeys as webauthn-rs records them.
    async fn passkeys_of(&self, ctx: &Ctx, user_pk: i64) -> SsoResult<Vec<Passkey>> {
        let pk = ctx.tenant.pk;
        let found = self
            .store
            .tenant(pk, move |conn| rows::for_user(conn, pk, user_pk))
            .await?;
        found.iter().map(stored_passkey).collect()
    }

    /// Checks the answer to a username-less login: the user it names, and what the key is.
    pub(crate) async fn verify_discoverable(
        &self,
        ctx: &Ctx,
        state: DiscoverableAuthentication,
        credential: &PublicKeyCredential,
    ) -> Result<(i64, Asserted), Failed> {
        let webauthn = self.relying_party.get().map_err(|e| (None, e))?;
        let (handle, id) = webauthn
            .identify_discoverable_authentication(credential)
            .map_err(|_| (None, invalid()))?;
        let row = self.passkey_by_credential(ctx, id).await.map_err(|e| (None, e))?;
        let Some(row) = row else {
            return Err((None, unknown_passkey()));
        };
        let owner = Some(row.user_pk);
        if row.user_handle != handle.to_string() {
            return Err((owner, invalid()));
        }
        let passkey = stored_passkey(&row).map_err(|e| (owner, e))?;
        let result = webauthn.finish_discoverable_authentication_v2(credential, state, &passkey);
        let asserted = self
            .record_assertion(ctx, &row, passkey, result)
            .await
            .map_err(|e| (owner, e))?;
        Ok((row.user_pk, asserted))
    }

    /// Checks the answer to a ceremony for `user_pk`'s passkeys (a login's second step, a proof).
    pub(crate) async fn verify_for_user(
        &self,
        ctx: &Ctx,
        user_pk: i64,
        state: PasskeyAuthentication,
        credential: &PublicKeyCredential,
    ) -> SsoResult<Asserted> {
        let webauthn = self.relying_party.get()?;
        let row = self
            .passkey_by_credential(ctx, credential.get_credential_id())
            .await?
            .filter(|r| r.user_pk == user_pk)
            .ok_or_else(unknown_passkey)?;
        let passkey = stored_passkey(&row)?;
        let result = webauthn.finish_passkey_authentication(credential, &state);
        self.record_assertion(ctx, &row, passkey, result).await
    }

    /// Takes a proof ceremony of `user_pk` and checks its answer.
    pub(crate) async fn verify_proof(&self, ctx: &Ctx, user_pk: i64, answer: &PasskeyAnswer) -> SsoResult<Asserted> {
        let (owner, state) = self.take_ceremony(ctx, &answer.ceremony).await?;
        match state {
            CeremonyState::Proof { state } if owner == Some(user_pk) => {
                self.verify_for_user(ctx, user_pk, state, &answer.credential).await
            }
            _ => Err(super::no_such_ceremony()),
        }
    }

    async fn passkey_by_credential(&self, ctx: &Ctx, id: &[u8]) -> SsoResult<Option<PasskeyRow>> {
        if id.is_empty() || id.len() > 1023 {
            return Ok(None);
        }
        let (pk, key) = (ctx.tenant.pk, credential_key(id));
        Ok(self
            .store
            .tenant(pk, move |conn| rows::by_credential_id(conn, pk, &key))
            .await?)
    }

    /// Records a verified assertion; refuses (and audits) one whose counter did not move forward.
    async fn record_assertion(
        &self,
        ctx: &Ctx,
        row: &PasskeyRow,
        mut passkey: Passkey,
        result: Result<AuthenticationResult, WebauthnError>,
    ) -> SsoResult<Asserted> {
        let result = match result {
            Ok(r) => r,
            Err(WebauthnError::CredentialPossibleCompromise) => return Err(self.counter_regressed(ctx, row).await),
            Err(e) => {
                tracing::debug!(cid = %ctx.cid, error = %e, "a passkey assertion was refused");
                return Err(invalid());
            }
        };
        passkey.update_credential(&result);
        let json = serde_json::to_string(&passkey)
            .map_err(|e| SsoError::Internal(format!("a passkey does not serialise: {e}")))?;
        let (stored, count, backed_up, now) =
            (row.clone(), i64::from(result.counter()), result.backup_state(), ctx.now);
        let recorded = self
            .store
            .tenant(ctx.tenant.pk, move |conn| {
                rows::record_use(conn, &stored, &json, count, backed_up, now)
            })
            .await?;
        if !recorded {
            return Err(self.counter_regressed(ctx, row).await);
        }
        Ok(Asserted {
            synced: row.backup_eligible || result.backup_eligible(),
        })
    }

    /// Audits a counter that went backwards (a copied key, or a replay), and returns its refusal.
    async fn counter_regressed(&self, ctx: &Ctx, row: &PasskeyRow) -> SsoError {
        let (pk, user_pk, c) = (ctx.tenant.pk, row.user_pk, ctx.clone());
        let written = self
            .store
            .tenant(pk, move |conn| {
                let id = crate::store::users::user_id_of(conn, user_pk)?;
                audit::append_ctx(
                    conn,
                    &c,
                    "user.passkey_counter_regressed",
                    Some(&id),
                    Err(SubStatus::PasskeyCounterRegressed),
                )
            })
            .await;
        if let Err(e) = written {
            tracing::error!(cid = %ctx.cid, error = %e, "could not audit a passkey's counter going backwards");
        }
        regressed()
    }
}

fn stored_passkey(row: &PasskeyRow) -> SsoResult<Passkey> {
    serde_json::from_str(&row.credential)
        .map_err(|e| SsoError::Internal(format!("a stored passkey does not deserialise: {e}")))
}

fn options_json(rcr: &impl serde::Serialize) -> SsoResult<serde_json::Value> {
    serde_json::to_value(rcr).map_err(|e| SsoError::Internal(format!("passkey options do not serialise: {e}")))
}
