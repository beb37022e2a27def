//! Passkeys (WebAuthn, through webauthn-rs): the relying party, the ceremonies' server-side state, and what a
//! passkey is to the rest of the domain.
//!
//! - The relying party's ID is the host of `server.public_url` (or `webauthn.rp_id`), its origins that URL's
//!   origin (or `webauthn.origins`). WebAuthn needs a domain: with an IP address, passkeys are off.
//! - A ceremony (registration, or an authentication: a username-less login, the second step of a login, the
//!   proof of a factor) is two requests: the options, then the authenticator's answer. Between them its state
//!   waits in the database, by the SHA-256 of a random handle that only the caller holds (a cookie of the
//!   browser, or the REST client's copy); it is taken once, in its tenant, within [`CEREMONY_MINUTES`].
//! - A passkey belongs to one user of one tenant: it is looked up by its credential id in the tenant that
//!   answers, so another tenant's passkey is unknown there. User verification is required in every ceremony,
//!   so a passkey is two factors in one.
//!
//! [`enrolment`] adds, lists, names and removes passkeys; [`assertion`] checks an authenticator's answer for
//! the login and for the proof of a factor.

pub mod assertion;
pub mod enrolment;

use super::error::{Kind, SsoError, SsoResult};
use super::{Ctx, Sso};
use crate::config::Config;
use crate::store::passkeys::{self as rows, CeremonyRow};
use gatehouse_shared::SubStatus;
use std::sync::Arc;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration, Url, Webauthn, WebauthnBuilder,
};

/// How long a ceremony's options may be answered.
pub const CEREMONY_MINUTES: i64 = 5;

/// The most passkeys one user may have.
pub const MAX_PER_USER: u32 = 20;

/// The relying party, or why passkeys are off.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: Result<Arc<Webauthn>, String>,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.webauthn {
            Ok(_) => f.write_str("RelyingParty(on)"),
            Err(why) => write!(f, "RelyingParty(off: {why})"),
        }
    }
}

impl RelyingParty {
    /// The relying party the configuration describes; off (with the reason) when it cannot be one.
    pub fn from_config(config: &Config) -> RelyingParty {
        RelyingParty {
            webauthn: build(config).map(Arc::new),
        }
    }

    /// Why passkeys are off, if they are: said once at start.
    pub fn off_reason(&self) -> Option<&str> {
        self.webauthn.as_ref().err().map(String::as_str)
    }

    pub(crate) fn get(&self) -> SsoResult<&Webauthn> {
        self.webauthn
            .as_deref()
            .map_err(|_| SsoError::refused(Kind::Forbidden, SubStatus::PasskeysOff))
    }
}

fn build(config: &Config) -> Result<Webauthn, String> {
    let public = Url::parse(&config.server.public_url)
        .map_err(|e| format!("server.public_url {:?} is not a URL: {e}", config.server.public_url))?;
    let rp_id = match config.webauthn.rp_id.trim() {
        "" => public.host_str().unwrap_or_default().to_owned(),
        id => id.to_owned(),
    };
    let bare = rp_id.trim_start_matches('[').trim_end_matches(']');
    if rp_id.is_empty() || bare.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "the relying party ID {rp_id:?} is not a domain (WebAuthn needs one): set server.public_url to a \
             name such as http://localhost:8080, or webauthn.rp_id"
        ));
    }
    let mut origins = Vec::new();
    for origin in config.webauthn.origins.0.iter() {
        origins.push(Url::parse(origin).map_err(|e| format!("webauthn.origins: {origin:?} is not a URL: {e}"))?);
    }
    if origins.is_empty() {
        origins.push(public);
    }
    let mut builder = WebauthnBuilder::new(&rp_id, &origins[0])
        .map_err(|e| format!("the relying party {rp_id:?} with origin {} is refused: {e}", origins[0]))?
        .rp_name("Gatehouse")
        .timeout(std::time::Duration::from_secs(CEREMONY_MINUTES as u64 * 60));
    for origin in &origins[1..] {
        builder = builder.append_allowed_origin(origin);
    }
    builder
        .build()
        .map_err(|e| format!("the relying party {rp_id:?} is refused: {e}"))
}

/// The server's half of a ceremony, kept in the database between its two requests.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) enum CeremonyState {
    /// Adding a passkey for the user it was started for; the user handle it will carry.
    Register {
        state: PasskeyRegistration,
        user_handle: String,
    },
    /// A username-less login: any passkey of the tenant may answer.
    Login { state: DiscoverableAuthentication },
    /// The second step of a login whose password was given: the sealed continuation it finishes.
    Second {
        state: PasskeyAuthentication,
        continuation: String,
    },
    /// Proving a factor (removing a passkey or TOTP): one of the user's passkeys must answer.
    Proof { state: PasskeyAuthentication },
}

impl CeremonyState {
    fn purpose(&self) -> &'static str {
        match self {
            CeremonyState::Register { .. } => "register",
            CeremonyState::Login { .. } => "login",
            CeremonyState::Second { .. } => "second",
            CeremonyState::Proof { .. } => "proof",
        }
    }
}

/// The handle of a ceremony, which its caller holds between the options and the answer. `Debug` prints
/// nothing of it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct CeremonyHandle(pub String);

impl std::fmt::Debug for CeremonyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CeremonyHandle([redacted])")
    }
}

/// What starting a ceremony gives the caller: the handle to send back, and the options for
/// `navigator.credentials.create()` or `.get()` (webauthn-rs's JSON: binary fields base64url).
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub handle: CeremonyHandle,
    pub options: serde_json::Value,
}

/// A ceremony that is unknown, used, expired, of another tenant or for another purpose or user.
pub(crate) fn no_such_ceremony() -> SsoError {
    SsoError::refused(Kind::Unauthenticated, SubStatus::PasskeyNoSuchCeremony)
}

/// An answer that does not verify.
pub fn invalid() -> SsoError {
    SsoError::refused(Kind::Unauthenticated, SubStatus::PasskeyInvalid)
}

impl Sso {
    /// Keeps a ceremony's state for [`CEREMONY_MINUTES`] and returns its handle.
    pub(crate) async fn put_ceremony(
        &self,
        ctx: &Ctx,
        user_pk: Option<i64>,
        state: &CeremonyState,
    ) -> SsoResult<CeremonyHandle> {
        let handle = crate::crypto::random_urlsafe(32);
        // Sealed: the state carries the challenge (and a second step's continuation), which stay the server's.
        let json = serde_json::to_string(state)
            .map_err(|e| SsoError::Internal(format!("a ceremony's state does not serialise: {e}")))?;
        let row = CeremonyRow {
            purpose: state.purpose().to_owned(),
            user_pk,
            state: self.keyring.seal(json.as_bytes()),
        };
        let (pk, hash) = (ctx.tenant.pk, crate::crypto::sha256_hex(&handle));
        let until = super::clock::minutes_after(ctx.now, CEREMONY_MINUTES);
        self.store
            .tenant(pk, move |conn| rows::put_ceremony(conn, pk, &hash, &row, until))
            .await?;
        Ok(CeremonyHandle(handle))
    }

    /// Takes a ceremony (used up, whatever follows) with the user it was started for.
    pub(crate) async fn take_ceremony(
        &self,
        ctx: &Ctx,
        handle: &CeremonyHandle,
    ) -> SsoResult<(Option<i64>, CeremonyState)> {
        if handle.0.is_empty() || handle.0.len() > 128 {
            return Err(no_such_ceremony());
        }
        let (pk, hash, now) = (ctx.tenant.pk, crate::crypto::sha256_hex(&handle.0), ctx.now);
        let row = self
            .store
            .tenant(pk, move |conn| rows::take_ceremony(conn, pk, &hash, now))
            .await?
            .ok_or_else(no_such_ceremony)?;
        let json = self
            .keyring
            .open_text(&row.state)
            .ok_or_else(|| SsoError::Internal("a stored ceremony cannot be opened with the keyring".to_owned()))?;
        let state: CeremonyState = serde_json::from_str(&json)
            .map_err(|e| SsoError::Internal(format!("a stored ceremony does not deserialise: {e}")))?;
        if state.purpose() != row.purpose {
            return Err(no_such_ceremony());
        }
        Ok((row.user_pk, state))
    }
}

/// A credential id as stored: base64url without padding.
pub(crate) fn credential_key(id: &[u8]) -> String {
    crate::crypto::base64_urlsafe(id)
}
