//! The login call: reference §8.1 in its order, with Gatehouse's changes (spec §1). Every attempt costs one
//! password verification, whatever the account's state, and is audited with its outcome.
//!
//! Order: the password (for every account, a dummy for unknown ones), then approval, confirmation and lock,
//! TOTP, the app lists, the login-metadata rule, the IP allow-list, password expiry, about-to-expire, must-change
//! (and the new password), then the session.

use super::error::{Kind, LoginStep, Sealed, SsoError, SsoResult};
use super::passkeys::assertion::PasskeyAnswer;
use super::passkeys::{CeremonyState, no_such_ceremony};
use super::{Ctx, Sso, account_state, address, audit, password_policy};
use crate::config::{StringList, TenantPolicy};
use crate::crypto::password::{HashError, Password, Verified};
use crate::crypto::tokens;
use crate::store::sessions::{self, SessionRow};
use crate::store::users::{self, UserRow};
use crate::store::{address_lists, login_continuations};
use chrono::NaiveDateTime;
use gatehouse_shared::{SubStatus, Ust};

/// The app the web UI logs in as; every tenant's app lists include it implicitly, for the web UI alone
/// (`Ctx::is_web_ui`). The name is reserved: no tenant can list it, and no other caller can act as it.
pub use crate::config::policy::WEB_APP;

/// What a login call carries besides its context.
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    /// `None` when the field was `null`; a missing field is refused by the surfaces before this.
    pub username: Option<String>,
    pub password: Option<Password>,
    pub totp_code: Option<String>,
    pub new_password: Option<Password>,
    /// Login metadata sent in the body: honoured only for apps in `apps.login_metadata_allowed` that presented
    /// a valid app key.
    pub remote_addr: Option<String>,
    pub user_agent: Option<String>,
    /// A continuation from an earlier attempt (see `SsoError::NeedsMore`) instead of the password: used once,
    /// for at most `CONTINUATION_MINUTES`, and void once the user's password or 2FA changes.
    pub continuation: Option<String>,
    /// A passkey's answer instead of the password (a username-less login), or, when its ceremony was started
    /// from a continuation, as the second step.
    pub passkey: Option<PasskeyAnswer>,
    /// After the password, ask for a passkey rather than a code (the REST client starting a passkey step):
    /// the login stops with `LoginStep::Passkey`, or `E013008` when the user has no passkey.
    pub passkey_step: bool,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub username: String,
    pub user_id: String,
    pub ust: Ust,
    pub session_id: String,
    pub creation_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct LoginSuccess {
    pub session: SessionInfo,
    /// `W003005` when the password is about to expire.
    pub warnings: Vec<SubStatus>,
}

/// Whether the named `app` is in `list`. The web UI's reserved name never is: only `Ctx::app_in` lets the
/// web UI itself through.
pub fn app_listed(list: &StringList, app: &str) -> bool {
    app != WEB_APP && list.contains(app)
}

fn refused(code: SubStatus, inform: bool) -> SsoError {
    SsoError::refused_if(Kind::Unauthenticated, code, inform)
}

pub use account_state::ExpiryCheck;

impl Sso {
    /// Logs a user in. The outcome, with its sub-status, is audited whatever it is.
    pub async fn login(&self, ctx: &Ctx, request: LoginRequest) -> SsoResult<LoginSuccess> {
        let mut target = None;
        let result = self.login_steps(ctx, request, &mut target).await;
        let outcome = match &result {
            Ok(_) => Ok(()),
            Err(e) => Err(e.code().unwrap_or(SubStatus::CommonInternalError)),
        };
        tracing::debug!(
            cid = %ctx.cid,
            tenant = %ctx.tenant.slug,
            app = %ctx.current_app,
            user_id = %target.as_deref().unwrap_or("-"),
            outcome = %outcome.err().map_or("ok", |c| c.code()),
            "login"
        );
        self.metrics
            .observe_login(ctx.tenant.slug.as_str(), outcome.err().map_or("ok", |c| c.code()));
        // A success was audited in the transaction that made its session.
        // A refusal by the hashing queue is the service shedding load, not a decision about the user: it is
        // counted by the queue, not written to the audit log, where a flood would otherwise cost a write (and a
        // database connection) per refused attempt.
        // Nor can a database that cannot be reached record anything: trying would only double the caller's wait.
        if matches!(
            result,
            Ok(_)
                | Err(SsoError::Hash(HashError::Busy))
                | Err(SsoError::Store(crate::store::StoreError::Unavailable(_)))
        ) {
            return result;
        }
        let (pk, audit_ctx) = (ctx.tenant.pk, ctx.clone());
        let written = self
            .store
            .tenant(pk, move |conn| {
                audit::append_ctx(conn, &audit_ctx, "user.login", target.as_deref(), outcome)
            })
            .await;
        match written {
            Err(e) => {
                tracing::error!(cid = %ctx.cid, error = %e, "could not audit a failed login");
                result
            }
            Ok(()) => result,
        }
    }

    async fn login_steps(
        &self,
        ctx: &Ctx,
        request: LoginRequest,
        target: &mut Option<String>,
    ) -> SsoResult<LoginSuccess> {
        let policy = self.policy(&ctx.tenant).await?;
        // The attempt takes its place in the tenant's line of the hashing queue before any database work, and is
        // refused (429) when the line has no room: a flooding tenant has no more attempts reading the database
        // than its line holds, so a flood costs the others as little as possible.
        let ticket = self.hasher.reserve(ctx.tenant.pk).ok_or(HashError::Busy)?;
        // An app that must present its key is refused before any password work.
        let key_valid = self.check_app_key(ctx, &policy).await?;
        // An address that has failed too often is refused before any password work: a password login reads
        // its failures with the user (below), any other attempt on its own now.
        let plain = request.passkey.is_none() && request.continuation.is_none();
        if !plain || request.username.as_deref().unwrap_or_default().is_empty() {
            self.check_address_throttle(ctx, &policy).await?;
        }
        let now = ctx.now;
        let username = request.username.clone().unwrap_or_default();
        let password = request.password.clone().unwrap_or_default();

        // 0. A passkey's answer: its ceremony is taken first, and used up whatever follows. A username-less
        //    login's stands for the password and the second factor; a second step's carries its continuation.
        let mut first_passkey = None;
        let mut second_passkey = None;
        let mut continuation = request.continuation.clone();
        if let Some(answer) = &request.passkey {
            match self.take_ceremony(ctx, &answer.ceremony).await {
                Ok((_, CeremonyState::Login { state })) if continuation.is_none() => {
                    first_passkey = Some((state, &answer.credential));
                }
                Ok((
                    owner,
                    CeremonyState::Second {
                        state,
                        continuation: sealed,
                    },
                )) => {
                    second_passkey = Some((owner, state, &answer.credential));
                    continuation = Some(sealed);
                }
                Ok(_) | Err(SsoError::Refused { .. }) => {
                    self.record_login_failure(ctx, &policy, None).await?;
                    return Err(no_such_ceremony());
                }
                Err(e) => return Err(e),
            }
        }
        let passkey_first = first_passkey.is_some();
        let mut methods = None;

        // A continuation stands for the password (and the second factor, when it was given) of an attempt
        // that needed one more step.
        let continued = match &continuation {
            Some(c) => Some(
                self.open_continuation(ctx, c)
                    .ok_or_else(|| refused(SubStatus::AuthNotAllowed, true))?,
            ),
            None => None,
        };
        let totp_done = continued.as_ref().is_some_and(|c| c.totp);

        // 1. The password, first, for every account: unknown users and empty passwords cost one verification
        //    against a dummy hash, so no answer comes back faster than a wrong password's.
        let found = if let Some(c) = &continued {
            let (pk, id, nonce) = (ctx.tenant.pk, c.user_id.clone(), c.nonce_hash());
            let found = self
                .store
                .tenant(pk, move |conn| {
                    let Some(user) = users::by_user_id(conn, pk, &id)? else {
                        return Ok(None);
                    };
                    // Used up (the login finished, or moved on to its next step) or expired.
                    if !login_continuations::is_live(conn, pk, user.id, &nonce, now)? {
                        return Ok(None);
                    }
                    let list = address_lists::get(conn, pk, user.id)?;
                    Ok(Some((user, list.map(StringList))))
                })
                .await?;
            // A new password or a changed 2FA since the continuation was issued voids it. None of this is a
            // guess at a secret, so it costs the user no failure.
            if found.as_ref().is_none_or(|(user, _)| c.binding != binding(user)) {
                return Err(refused(SubStatus::AuthNotAllowed, true));
            }
            found
        } else if let Some((state, credential)) = first_passkey {
            let (user_pk, asserted) = match self.verify_discoverable(ctx, state, credential).await {
                Ok(found) => found,
                Err((_, e)) if !matches!(e, SsoError::Refused { .. }) => return Err(e),
                Err((owner, e)) => {
                    self.record_login_failure(ctx, &policy, owner).await?;
                    // The audit entry names the user whose passkey was refused.
                    if let Some(user_pk) = owner {
                        let pk = ctx.tenant.pk;
                        *target = self
                            .store
                            .tenant(pk, move |conn| users::user_id_of(conn, user_pk))
                            .await
                            .ok();
                    }
                    return Err(e);
                }
            };
            methods = Some(format!("{} mfa", asserted.methods()));
            let pk = ctx.tenant.pk;
            self.store
                .tenant(pk, move |conn| {
                    let Some(user) = users::by_pk(conn, pk, user_pk)? else {
                        return Ok(None);
                    };
                    let list = address_lists::get(conn, pk, user.id)?;
                    Ok(Some((user, list.map(StringList))))
                })
                .await?
        } else if username.is_empty() {
            None
        } else {
            // The one read before the hash: the user, its allow-list and the address's failures in a single
            // statement, without a transaction around it.
            self.login_read(ctx, &policy, username.clone())
                .await?
                .map(|(user, list)| (user, list.map(|text| StringList(address_lists::parse(&text)))))
        };
        let (found, stored_list) = match found {
            Some((user, list)) => (Some(user), list),
            None => (None, None),
        };
        let verified = match &found {
            Some(_) if continued.is_some() || passkey_first => {
                // No verification is needed: the place is given back.
                drop(ticket);
                Verified {
                    matches: true,
                    needs_rehash: false,
                }
            }
            Some(user) if !password.is_empty() => {
                self.hasher
                    .verify_reserved(ticket, password.clone(), user.password_hash.clone())
                    .await?
            }
            _ => {
                self.hasher.verify_dummy_reserved(ticket, password.clone()).await?;
                Verified::default()
            }
        };
        *target = found.as_ref().map(|u| u.user_id.clone());
        let user = match found {
            Some(user) if verified.matches => user,
            other => {
                self.record_login_failure(ctx, &policy, other.map(|u| u.id)).await?;
                return Err(refused(SubStatus::AuthNotAllowed, true));
            }
        };

        // 2. Approval, confirmation, lock: only now, so these codes go only to someone who knows the password.
        let account = user.to_user(&self.keyring)?;
        account_state::check_account(&policy, &account, now)?;
        // Whether the password is a common one, decided where it was given and carried by continuations.
        let breached = match &continued {
            Some(c) => c.breached,
            None => policy.password.check_breached_at_login && super::common_passwords::is_common(password.expose()),
        };

        // 3. The second factor (TOTP, a recovery code or a passkey), unless a passkey was the login or the
        //    step is done; a step, once accepted, is used up at once.
        if request.passkey_step && user.passkey_count == 0 {
            // Told only where a missing second factor is told (else it would tell that the password is right).
            let inform = policy.login.inform_if_totp_missing;
            let kind = if inform { Kind::BadInput } else { Kind::Unauthenticated };
            return Err(SsoError::refused_if(kind, SubStatus::PasskeyNone, inform));
        }
        // A super-user who must log in by passkey, and has one, is asked for it rather than for a code.
        let passkey_only = request.passkey_step
            || (user.is_super_user && policy.login.require_passkey_for_super_users && user.passkey_count > 0);
        if let Some(c) = &continued {
            methods = c.methods.clone();
        }
        let has_second = user.is_totp_enabled || user.passkey_count > 0;
        if has_second && !totp_done && !passkey_first {
            if let Some((owner, state, credential)) = second_passkey {
                if owner != Some(user.id) {
                    self.record_login_failure(ctx, &policy, Some(user.id)).await?;
                    return Err(no_such_ceremony());
                }
                match self.verify_for_user(ctx, user.id, state, credential).await {
                    Ok(asserted) => methods = Some(format!("pwd {} mfa", asserted.methods())),
                    Err(e @ SsoError::Refused { .. }) => {
                        // A failed passkey counts as a failed login, as a wrong code does.
                        self.record_login_failure(ctx, &policy, Some(user.id)).await?;
                        return Err(e);
                    }
                    Err(e) => return Err(e),
                }
            } else {
                let code = request.totp_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
                match code {
                    Some(code) if !passkey_only => {
                        if !user.is_totp_enabled {
                            // A code for an account without TOTP is as wrong as a wrong code.
                            self.record_login_failure(ctx, &policy, Some(user.id)).await?;
                            return Err(refused(SubStatus::AuthNotAllowed, true));
                        }
                        if let Err(e) = self.check_login_totp(ctx, &policy, &user, Some(code)).await {
                            // A wrong code counts as a failed login: codes cannot be guessed without limit either.
                            self.record_login_failure(ctx, &policy, Some(user.id)).await?;
                            return Err(e);
                        }
                        methods = Some("pwd otp mfa".to_owned());
                    }
                    _ => {
                        let step = if passkey_only || !user.is_totp_enabled {
                            LoginStep::Passkey
                        } else {
                            LoginStep::Totp
                        };
                        return Err(SsoError::NeedsMore {
                            step,
                            code: SubStatus::AuthTotpMissing,
                            inform: policy.login.inform_if_totp_missing,
                            continuation: self
                                .pending_step(ctx, &user, false, breached, continued.as_ref(), "pwd")
                                .await?,
                        });
                    }
                }
            }
        }
        let methods = methods.unwrap_or_else(|| if user.is_totp_enabled { "pwd otp mfa" } else { "pwd" }.to_owned());

        account_state::super_user_second_factor(&policy, &account, &methods, ctx)?;

        // 4. The app must be known and allowed to log users in.
        if !ctx.app_in(&policy.apps.all) || !ctx.app_in(&policy.apps.login_allowed) {
            return Err(refused(SubStatus::AppListInvalid, policy.apps.inform_if_app_invalid));
        }

        // 5. Login metadata in the body only from apps allowed to send it, with their key. Checked before
        //    anything is changed, so a refusal leaves no trace but the audit entry.
        let sends_metadata = request.remote_addr.is_some() || request.user_agent.is_some();
        if sends_metadata && !(policy.apps.login_metadata_allowed.contains(&ctx.current_app) && key_valid) {
            return Err(refused(SubStatus::MetadataNotAllowed, true));
        }
        let remote_addr = request.remote_addr.clone().or_else(|| ctx.remote_addr.clone());
        let user_agent = request.user_agent.clone().or_else(|| ctx.user_agent.clone());
        if let Some(addr) = &request.remote_addr
            && address::parse_addr(addr).is_none()
        {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput));
        }

        // 6. The IP allow-list.
        account_state::check_address(&policy, &account, stored_list.as_ref(), remote_addr.as_deref())?;

        // 7. Expiry, about-to-expire and must-change decide whether a new password is required.
        let new_password = request.new_password.clone().filter(|p| !p.is_empty());
        let mut warnings = Vec::new();
        // From here on the TOTP step is done: a continuation says so (`pending_step(.., true, ..)`).
        let replaced = continued.as_ref();
        // The first reason a new password is needed, with its code and whether the code may be shown.
        let needed = if account.password_expired_at(now) {
            if !policy.password.allow_change_if_expired {
                return Err(refused(SubStatus::PasswordExpired, policy.password.inform_if_expired));
            }
            Some((SubStatus::PasswordExpired, policy.password.inform_if_expired))
        } else if about_to_expire(&policy, &user, now) {
            if new_password.is_none() && policy.password.inform_if_about_to_expire {
                warnings.push(SubStatus::PasswordAboutToExpireWarning);
                None
            } else {
                Some((SubStatus::PasswordAboutToExpireError, true))
            }
        } else {
            None
        };
        let must = policy.password.inform_if_must_be_changed;
        let needed = needed
            .or_else(|| {
                user.password_must_change
                    .then_some((SubStatus::PasswordMustSendNew, must))
            })
            // A correct password on the common-password list is treated like must-change, when asked for.
            .or_else(|| {
                (policy.password.check_breached_at_login && breached).then_some((SubStatus::PasswordTooCommon, must))
            });
        let change = match needed {
            Some((code, inform)) if new_password.is_none() => {
                return Err(self
                    .needs_new_password(ctx, &user, replaced, (breached, &methods), code, inform)
                    .await);
            }
            Some(_) => true,
            None => false,
        };

        // 8. The new password must pass the policy; a must-change login never succeeds without it.
        let new_hash = match (change, &new_password) {
            (true, Some(new)) => {
                // A continued or passkey login sent no password: the new one is compared with the stored hash.
                let current = if password.is_empty() {
                    password_policy::Current::Hashed
                } else {
                    password_policy::Current::Plain(&password)
                };
                self.check_new_password(&policy.password, &user, new, current)
                    .await?
                    .map_err(|code| {
                        let inform = policy.password.inform_if_invalid;
                        let kind = if inform { Kind::Policy } else { Kind::Unauthenticated };
                        SsoError::refused_if(kind, code, inform)
                    })?;
                Some(self.hasher.hash(ctx.tenant.pk, new.clone()).await?)
            }
            // An imported PBKDF2 hash is replaced by Argon2id once the password is known to be right.
            _ if verified.needs_rehash => Some(self.hasher.hash(ctx.tenant.pk, password.clone()).await?),
            _ => None,
        };

        // 9. The session.
        let ids = tokens::new_session(&self.keyring);
        let expiration_time = super::clock::minutes_after(
            now,
            policy.session.expiry.min(policy.session.max_lifetime_minutes.max(1)),
        );
        let row = SessionRow {
            id: 0,
            tenant_id: ctx.tenant.pk,
            user_pk: user.id,
            session_id: ids.session_id.clone(),
            secret_hash: ids.secret_hash.clone(),
            creation_time: now,
            expiration_time,
            remote_addr: remote_addr.unwrap_or_default(),
            user_agent: user_agent.unwrap_or_default(),
            current_app: ctx.current_app.clone(),
            parent_id: None,
            auth_time: None,
            auth_methods: methods,
            scope: None,
            grant_id: None,
        };
        let expiry_days = i64::from(policy.password.expiry);
        let max_per_user = policy.session.max_per_user as usize;
        let (pk, verified) = (ctx.tenant.pk, user.clone());
        let notify = self
            .notifier_with(ctx, policy.clone())
            .by("at a login, as the account had to choose a new password");
        let stale = || refused(SubStatus::AuthNotAllowed, false);
        let used = continued.as_ref().map(Continuation::nonce_hash);
        let audit_ctx = ctx.clone();
        self.store
            .tenant_with(pk, move |conn| {
                // The continuation is used up with the session it makes, in one transaction: of two requests
                // racing with it, one gets a session.
                if let Some(nonce) = &used
                    && !login_continuations::take(conn, pk, verified.id, nonce, now)?
                {
                    return Err(refused(SubStatus::AuthNotAllowed, true));
                }
                // The password and 2FA this login proved must still be the user's, the row held until the
                // session is in: one set or reset meanwhile (by an administrator, a reset link) is neither undone
                // by a rehash nor replaced by this login's change, and the session it ended is not followed by
                // one made from what it replaced.
                let before = users::by_pk_for_update(conn, pk, verified.id)?.ok_or_else(stale)?;
                if binding(&before) != binding(&verified) {
                    return Err(stale());
                }
                if let Some(hash) = new_hash {
                    let mut saved = before.clone();
                    saved.password_hash = hash;
                    if change {
                        saved.password_last_set = now;
                        saved.password_expiry = super::clock::days_after(now, expiry_days);
                        saved.password_must_change = false;
                        // A new password: the user's other sessions end and reset links are withdrawn.
                        super::user_write::write(conn, &before, &saved, None, &notify)?;
                    } else {
                        // The same password, hashed anew: nothing else about the account changes.
                        users::set_password_columns(conn, &saved)?;
                    }
                }
                // With session.max_per_user, the oldest sessions end to make room.
                let displaced = sessions::displaced_by(conn, &row, max_per_user)?;
                super::session_end::end(conn, pk, &displaced, now)?;
                sessions::insert(conn, &row)?;
                // The login's one write after the hash: its session, its audit entry, its failures cleared.
                super::brute_force::clear_login_failures(conn, pk, &before, now)?;
                audit::append_ctx(conn, &audit_ctx, "user.login", Some(&verified.user_id), Ok(()))?;
                Ok(())
            })
            .await?;
        if change {
            warnings.retain(|w| *w != SubStatus::PasswordAboutToExpireWarning);
        }
        Ok(LoginSuccess {
            session: SessionInfo {
                username: user.username,
                user_id: user.user_id,
                ust: ids.ust,
                session_id: ids.session_id,
                creation_time: now,
                expiration_time,
            },
            warnings,
        })
    }

    async fn check_login_totp(
        &self,
        ctx: &Ctx,
        policy: &TenantPolicy,
        user: &UserRow,
        code: Option<&str>,
    ) -> SsoResult<()> {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(refused(SubStatus::AuthTotpMissing, policy.login.inform_if_totp_missing));
        };
        // A TOTP code or a recovery code; either is used up once accepted.
        self.second_factor(ctx, policy.totp.valid_window, user, code).await
    }
}

/// What a continuation seals: who, in which tenant, whether the TOTP step is done, when, the nonce that
/// makes it single-use (stored only as its hash), and a digest of the password hash and 2FA state it was
/// issued for.
#[derive(serde::Serialize, serde::Deserialize)]
struct Continuation {
    tenant: i64,
    user_id: String,
    totp: bool,
    issued: i64,
    nonce: String,
    binding: String,
    /// The password given at the first step is on the common-password list (known only then: a continued
    /// login sends no password).
    #[serde(default)]
    breached: bool,
    /// The `amr` of what the login proved so far (a passkey, a password and a code).
    #[serde(default)]
    methods: Option<String>,
}

impl Continuation {
    fn nonce_hash(&self) -> String {
        crate::crypto::sha256_hex(&self.nonce)
    }
}

/// How long a continuation may be used.
pub const CONTINUATION_MINUTES: i64 = 5;

/// What a continuation is bound to: the password hash and the 2FA state (on or off, which key, how many
/// passkeys).
fn binding(user: &UserRow) -> String {
    crate::crypto::sha256_hex(&format!(
        "{}\n{}\n{}\n{}",
        user.password_hash,
        user.is_totp_enabled,
        user.totp_key.as_deref().unwrap_or(""),
        user.passkey_count
    ))
}

impl Sso {
    /// Issues the continuation of a login that needs one more step, stored as a pending nonce; the one it
    /// continues (if any) is used up.
    async fn pending_step(
        &self,
        ctx: &Ctx,
        user: &UserRow,
        totp: bool,
        breached: bool,
        replaces: Option<&Continuation>,
        methods: &str,
    ) -> SsoResult<Sealed> {
        let c = Continuation {
            tenant: ctx.tenant.pk,
            user_id: user.user_id.clone(),
            totp,
            issued: ctx.now.and_utc().timestamp(),
            nonce: crate::crypto::random_urlsafe(32),
            binding: binding(user),
            breached,
            methods: Some(methods.to_owned()),
        };
        let (pk, user_pk, new, old) = (
            ctx.tenant.pk,
            user.id,
            c.nonce_hash(),
            replaces.map(Continuation::nonce_hash),
        );
        let until = super::clock::minutes_after(ctx.now, CONTINUATION_MINUTES);
        let now = ctx.now;
        self.store
            .tenant(pk, move |conn| {
                if let Some(old) = old {
                    login_continuations::take(conn, pk, user_pk, &old, now)?;
                }
                login_continuations::insert(conn, pk, user_pk, &new, until)
            })
            .await?;
        let json = serde_json::to_string(&c).unwrap_or_default();
        Ok(Sealed(self.keyring.seal(format!("zcont{json}").as_bytes())))
    }

    /// [`Sso::pending_step`] for the new-password step, as the refusal that carries it.
    async fn needs_new_password(
        &self,
        ctx: &Ctx,
        user: &UserRow,
        replaces: Option<&Continuation>,
        (breached, methods): (bool, &str),
        code: SubStatus,
        inform: bool,
    ) -> SsoError {
        match self.pending_step(ctx, user, true, breached, replaces, methods).await {
            Ok(continuation) => SsoError::NeedsMore {
                step: LoginStep::NewPassword,
                code,
                inform,
                continuation,
            },
            Err(e) => e,
        }
    }

    /// The user a continuation waiting for its second factor stands for: live, and still bound to the
    /// user's password and 2FA. It is not used up (the login it continues uses it).
    pub(crate) async fn continuation_user(&self, ctx: &Ctx, sealed: &str) -> SsoResult<UserRow> {
        let stale = || refused(SubStatus::AuthNotAllowed, true);
        let c = self
            .open_continuation(ctx, sealed)
            .filter(|c| !c.totp)
            .ok_or_else(stale)?;
        let (pk, id, nonce, now) = (ctx.tenant.pk, c.user_id.clone(), c.nonce_hash(), ctx.now);
        let user = self
            .store
            .tenant(pk, move |conn| {
                let Some(user) = users::by_user_id(conn, pk, &id)? else {
                    return Ok(None);
                };
                Ok(login_continuations::is_live(conn, pk, user.id, &nonce, now)?.then_some(user))
            })
            .await?;
        user.filter(|u| binding(u) == c.binding).ok_or_else(stale)
    }

    fn open_continuation(&self, ctx: &Ctx, sealed: &str) -> Option<Continuation> {
        let text = self.keyring.open_text(sealed)?;
        let c: Continuation = serde_json::from_str(text.strip_prefix("zcont")?).ok()?;
        let age = ctx.now.and_utc().timestamp() - c.issued;
        (c.tenant == ctx.tenant.pk && (0..=CONTINUATION_MINUTES * 60).contains(&age)).then_some(c)
    }
}

fn about_to_expire(policy: &TenantPolicy, user: &UserRow, now: NaiveDateTime) -> bool {
    now > super::clock::days_before(user.password_expiry, policy.password.about_to_expire_threshold)
}
