//! Two-factor enrolment: a new 160-bit secret with its `otpauth://` URI (issuer: the tenant's display name) and
//! a QR code as SVG; a valid code confirms it, turns 2FA on and gives ten one-time recovery codes (stored as
//! hashes; a new set replaces the old). Replacing or turning off an active factor needs the password and a
//! current code or a recovery code ([`FactorProof`]); every miss of that proof counts toward the user's
//! `login.max_failures`, as a failed login does. The code confirming a new secret counts toward nothing: a user
//! fumbling enrolment must not lock themselves out.

use super::error::{Kind, SsoError, SsoResult};
use super::session::CurrentSession;
use super::{Ctx, Sso, audit, totp};
use crate::crypto::password::Password;
use crate::crypto::random_u128;
use crate::domain::{User, UserRef};
use crate::store::totp as rows;
use crate::store::users::{self, UserRow};
use gatehouse_shared::SubStatus;

/// How many recovery codes a confirmation gives.
pub const RECOVERY_CODES: usize = 10;

/// What starting an enrolment shows the user, once.
#[derive(Clone)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment([redacted])")
    }
}

/// Recovery codes as shown to the user: ten Crockford base32 characters in two groups.
fn new_recovery_code() -> String {
    let digits = gatehouse_shared::ids::crockford_u128(random_u128() | (1u128 << 127));
    let tail: String = digits.chars().rev().take(10).collect();
    format!("{}-{}", &tail[..5], &tail[5..])
}

/// A code as typed (any case, with or without the dash) to the hash it is stored as.
pub fn recovery_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    crate::crypto::sha256_hex(&normalised)
}

fn is_totp_code(code: &str) -> bool {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn wrong_code() -> SsoError {
    SsoError::refused(Kind::Forbidden, SubStatus::AuthNotAllowed)
}

/// What proves the user holds their active second factor: the password and a current TOTP code, an unused
/// recovery code, or a passkey's answer to a proof ceremony. `Debug` prints nothing of them.
#[derive(Clone, Default)]
pub struct FactorProof {
    pub password: Option<Password>,
    pub code: Option<String>,
    pub passkey: Option<crate::sso::passkeys::assertion::PasskeyAnswer>,
}

impl std::fmt::Debug for FactorProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactorProof([redacted])")
    }
}

impl Sso {
    /// Starts (or restarts) enrolment for the caller. 2FA stays as it is until the code is confirmed.
    pub async fn start_totp_enrolment(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<Enrolment> {
        let encoded = totp::new_key();
        let enrolment = enrolment_of(ctx, current, encoded)?;
        let sealed = self.keyring.seal(enrolment.secret.as_bytes());
        let (pk, user_pk, now) = (ctx.tenant.pk, current.user.pk, ctx.now);
        self.store
            .tenant(pk, move |conn| rows::put_enrolment(conn, pk, user_pk, &sealed, now))
            .await?;
        Ok(enrolment)
    }

    /// The enrolment waiting for its first code, as it was started: the same secret and QR code, so that a wrong
    /// code does not make the entry already scanned into an authenticator useless. `None` when none waits.
    pub async fn pending_totp_enrolment(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<Option<Enrolment>> {
        let (pk, user_pk) = (ctx.tenant.pk, current.user.pk);
        let pending = self
            .store
            .tenant(pk, move |conn| rows::enrolment(conn, pk, user_pk))
            .await?;
        let Some(secret) = pending.and_then(|(sealed, _)| self.keyring.open_text(&sealed)) else {
            return Ok(None);
        };
        enrolment_of(ctx, current, secret).map(Some)
    }

    /// How many of the session's user's recovery codes are left unused.
    pub async fn recovery_codes_left(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<i64> {
        let (pk, user_pk) = (ctx.tenant.pk, current.user.pk);
        Ok(self
            .store
            .tenant(pk, move |conn| rows::unused_codes(conn, pk, user_pk))
            .await?)
    }

    /// Confirms enrolment with a code from the new secret: 2FA is on, and the recovery codes are returned. When
    /// it replaces an active factor, `proof` must prove that one.
    pub async fn confirm_totp_enrolment(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        code: &str,
        proof: &FactorProof,
    ) -> SsoResult<Vec<String>> {
        let (pk, user_pk) = (ctx.tenant.pk, current.user.pk);
        let pending = self
            .store
            .tenant(pk, move |conn| rows::enrolment(conn, pk, user_pk))
            .await?;
        let Some((sealed, _)) = pending else {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidOperation));
        };
        let secret = self
            .keyring
            .open_text(&sealed)
            .ok_or_else(|| SsoError::Internal("an enrolment secret cannot be opened".to_owned()))?;
        let policy = self.policy(&ctx.tenant).await?;
        let step = totp::check(&secret, code, ctx.now, policy.totp.valid_window, None).map_err(|_| wrong_code())?;
        if current.user.is_totp_enabled {
            self.prove_factor(ctx, &current.user, proof).await?;
        }
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        let key = self.keyring.seal(secret.as_bytes());
        let acting = current.acting(ctx);
        let before = self.user_row(ctx, &UserRef::Id(current.user.user_id.clone())).await?;
        let keep = current.session.pk;
        let notify = self.notifier_with(&acting, policy.clone());
        self.store
            .tenant(pk, move |conn| {
                let mut user = before.clone();
                user.totp_key = Some(key);
                user.is_totp_enabled = true;
                user.totp_last_step = Some(step);
                super::user_write::write(conn, &before, &user, Some(keep), &notify)?;
                rows::remove_enrolment(conn, pk, user.id)?;
                rows::replace_codes(conn, pk, user.id, &hashes)?;
                audit::append_ctx(conn, &acting, "user.totp_enable", Some(&user.user_id), Ok(()))
            })
            .await?;
        Ok(codes)
    }

    /// Turns the caller's 2FA off, on proof: the password and a current code or an unused recovery code.
    pub async fn disable_totp(&self, ctx: &Ctx, current: &CurrentSession, proof: &FactorProof) -> SsoResult<()> {
        if !current.user.is_totp_enabled {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidOperation));
        }
        self.prove_factor(ctx, &current.user, proof).await?;
        let acting = current.acting(ctx);
        let (pk, user_pk, keep) = (ctx.tenant.pk, current.user.pk, current.session.pk);
        let notify = self.notifier(&acting).await?;
        self.store
            .tenant(pk, move |conn| {
                clear_totp(conn, pk, user_pk, Some(keep), &notify)?;
                audit::append_ctx(conn, &acting, "user.totp_disable", None, Ok(()))
            })
            .await?;
        Ok(())
    }

    /// Sets a TOTP key (80 bits or more) and label directly, as Zato's `PATCH /zato/sso/user/totp` does: the
    /// caller's own, or anyone's for a super-user. Whether 2FA is on is left as it is. Re-keying one's own
    /// active factor needs `proof` of it, unless the tenant keeps Zato's way (`zato_compat.allow_totp_toggle`).
    pub async fn set_totp_key(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        user_id: Option<&str>,
        key: &str,
        label: Option<&str>,
        proof: &FactorProof,
    ) -> SsoResult<()> {
        totp::check_totp_key(key).map_err(|code| SsoError::refused(Kind::BadInput, code))?;
        let target = match user_id {
            Some(id) if id != current.user.user_id => {
                let admin = current.require_super_user(ctx)?;
                self.user_row(admin.ctx(), &UserRef::Id(id.to_owned())).await?
            }
            _ => self.user_row(ctx, &UserRef::Id(current.user.user_id.clone())).await?,
        };
        if target.id == current.user.pk
            && target.is_totp_enabled
            && !self.policy(&ctx.tenant).await?.zato_compat.allow_totp_toggle
        {
            self.prove_factor(ctx, &current.user, proof).await?;
        }
        let sealed_key = self.keyring.seal(key.trim().as_bytes());
        let sealed_label = label
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| self.keyring.seal(l.as_bytes()));
        let acting = current.acting(ctx);
        let keep = (target.id == current.user.pk).then_some(current.session.pk);
        let before = target;
        let notify = self.notifier(&acting).await?;
        self.store
            .tenant(ctx.tenant.pk, move |conn| {
                let mut user = before.clone();
                user.totp_key = Some(sealed_key);
                user.totp_label = sealed_label;
                user.totp_last_step = None;
                super::user_write::write(conn, &before, &user, keep, &notify)?;
                audit::append_ctx(conn, &acting, "user.reset_totp_key", Some(&user.user_id), Ok(()))
            })
            .await?;
        Ok(())
    }

    /// Proves the account to change its factors: the password, and a proof of the second factor when the user
    /// has one ([`Sso::prove_factor`]); a wrong password counts as a failed login.
    pub async fn prove_account(&self, ctx: &Ctx, user: &User, proof: &FactorProof) -> SsoResult<()> {
        if user.has_second_factor() {
            return self.prove_factor(ctx, user, proof).await;
        }
        let Some(password) = proof.password.clone().filter(|p| !p.is_empty()) else {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        };
        let row = self.user_row(ctx, &UserRef::Id(user.user_id.clone())).await?;
        if self.verify_row_password(&row, password).await? {
            return Ok(());
        }
        let policy = self.policy(&ctx.tenant).await?;
        self.record_login_failure(ctx, &policy, Some(row.id)).await?;
        Err(wrong_code())
    }

    /// Checks the proof of `user`'s active factor: a missing part is `E008003`; a wrong password, code or
    /// passkey is `E005001` and counts as a failed login, so the factor cannot be guessed with a session alone.
    /// The code or passkey is tried (and used up) only after the right password.
    pub async fn prove_factor(&self, ctx: &Ctx, user: &User, proof: &FactorProof) -> SsoResult<()> {
        let password = proof.password.clone().filter(|p| !p.is_empty());
        let code = proof.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let Some(password) = password else {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        };
        if code.is_none() && proof.passkey.is_none() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        }
        let row = self.user_row(ctx, &UserRef::Id(user.user_id.clone())).await?;
        let user = &row;
        let policy = self.policy(&ctx.tenant).await?;
        let proven = self.verify_row_password(user, password).await?
            && match (code, &proof.passkey) {
                // Codes exist only with TOTP: one sent for an account without it is simply wrong.
                (Some(_), _) if !user.is_totp_enabled => false,
                (Some(code), _) => match self.second_factor(ctx, policy.totp.valid_window, user, code).await {
                    Ok(()) => true,
                    Err(SsoError::Refused { .. }) => false,
                    Err(e) => return Err(e),
                },
                (None, Some(answer)) => match self.verify_proof(ctx, user.id, answer).await {
                    Ok(_) => true,
                    Err(SsoError::Refused { .. }) => false,
                    Err(e) => return Err(e),
                },
                (None, None) => false,
            };
        if proven {
            Ok(())
        } else {
            self.record_login_failure(ctx, &policy, Some(user.id)).await?;
            Err(wrong_code())
        }
    }

    /// Checks a second factor: a TOTP code (each step once) or an unused recovery code (used up). Any failure
    /// is `E005001`.
    pub async fn second_factor(&self, ctx: &Ctx, valid_window: u8, user: &UserRow, code: &str) -> SsoResult<()> {
        let (pk, user_pk, now) = (ctx.tenant.pk, user.id, ctx.now);
        let refused = || SsoError::refused(Kind::Unauthenticated, SubStatus::AuthNotAllowed);
        if !is_totp_code(code) {
            let hash = recovery_hash(code);
            let used = self
                .store
                .tenant(pk, move |conn| rows::use_code(conn, pk, user_pk, &hash, now))
                .await?;
            return if used { Ok(()) } else { Err(refused()) };
        }
        let key = user
            .totp_key
            .as_deref()
            .and_then(|sealed| self.keyring.open_text(sealed))
            .ok_or_else(|| SsoError::Internal("a TOTP key cannot be opened with the keyring".to_owned()))?;
        let step = totp::check(&key, code, now, valid_window, user.totp_last_step).map_err(|_| refused())?;
        // Used up across instances: only one request can move the step forward.
        let moved = self
            .store
            .tenant(pk, move |conn| users::advance_totp_step(conn, pk, user_pk, step))
            .await?;
        if moved == 1 { Ok(()) } else { Err(refused()) }
    }
}

/// Forgets a user's TOTP key, pending enrolment and recovery codes; the user's sessions end but `keep` (the
/// session of a user turning their own 2FA off).
pub fn clear_totp(
    conn: &mut crate::store::AnyConnection,
    tenant: crate::store::TenantPk,
    user_pk: i64,
    keep: Option<i64>,
    notify: &super::security_notices::Notifier,
) -> crate::store::StoreResult<()> {
    if let Some(before) = users::by_pk(conn, tenant, user_pk)? {
        let mut after = before.clone();
        after.is_totp_enabled = false;
        after.totp_key = None;
        after.totp_label = None;
        after.totp_last_step = None;
        super::user_write::write(conn, &before, &after, keep, notify)?;
    }
    rows::remove_enrolment(conn, tenant, user_pk)?;
    rows::remove_codes(conn, tenant, user_pk)?;
    Ok(())
}

/// An enrolment of the base32 secret `encoded`: its otpauth URI (issuer the tenant, account the username) and QR
/// code.
fn enrolment_of(ctx: &Ctx, current: &CurrentSession, encoded: String) -> SsoResult<Enrolment> {
    let secret = totp::decode_key(&encoded)
        .map(|bytes| totp_rs::Secret::new(bytes.into_boxed_slice()))
        .ok_or_else(|| SsoError::Internal("a TOTP key does not decode".to_owned()))?;
    let issuer = ctx.tenant.display_name.replace(':', " ");
    let account = current.user.username.as_str().replace(':', " ");
    let otp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(totp::STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|e| SsoError::Internal(format!("TOTP: {e:?}")))?;
    let otpauth_uri = otp
        .to_url()
        .map_err(|e| SsoError::Internal(format!("TOTP URI: {e:?}")))?;
    let qr_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
        .map_err(|e| SsoError::Internal(format!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrolment {
        secret: encoded,
        otpauth_uri,
        qr_svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_look_right_and_hash_leniently() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_ne!(new_recovery_code(), code);
        assert_eq!(
            recovery_hash(&code),
            recovery_hash(&code.to_uppercase().replace('-', " "))
        );
        assert!(!is_totp_code(&code));
        assert!(is_totp_code("123 456"));
    }
}
