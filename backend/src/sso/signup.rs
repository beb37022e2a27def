//! Sign-up (reference §8.5 with quirk Q12 fixed: `apps.signup_allowed` and `app_list` are enforced), e-mail
//! confirmation (E005006 / E005007 reported, quirk Q10), and the notices around approval: approvers are told
//! that a confirmed sign-up waits; approval sends a welcome, rejection a notice. Every message goes through the
//! outbox in the transaction of the change that causes it.

use super::error::{Kind, SsoError, SsoResult};
use super::login::app_listed;
use super::mail_templates::{self, describe_minutes};
use super::user::{APPROVED, BEFORE_DECISION, SIGNUP_BEFORE_CONFIRMATION, SIGNUP_FINAL, normalise_email};
use super::{Ctx, NewUser, Sso, audit, password_policy};
use crate::config::TenantPolicy;
use crate::crypto::password::Password;
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::store::email_tokens::{self, NewEmailToken};
use crate::store::outbox::{self, NewMessage};
use crate::store::users::{self, UserRow};
use crate::store::{AnyConnection, StoreResult};
use gatehouse_shared::SubStatus;

#[derive(Clone, Default)]
pub struct SignupRequest {
    pub username: String,
    pub password: Password,
    pub email: Option<String>,
    /// The apps the user signs up for; each must allow sign-up.
    pub app_list: Vec<String>,
}

/// What a sign-up returns: the token only when `signup.always_return_confirm_token`.
pub struct SignupOutcome {
    pub user_id: String,
    pub confirm_token: Option<String>,
}

impl std::fmt::Debug for SignupOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupOutcome")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// What a confirmation leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The account is approved: the user can log in.
    Approved,
    /// The account waits for an administrator.
    AwaitingApproval,
}

/// A refusal whose reason may be hidden: then the status says no more than the code (403 E005001).
fn refusal(kind: Kind, code: SubStatus, inform: bool) -> SsoError {
    SsoError::refused_if(if inform { kind } else { Kind::Forbidden }, code, inform)
}

fn policy_refusal(code: SubStatus, inform: bool) -> SsoError {
    refusal(Kind::Policy, code, inform)
}

/// A link into the web UI: `{server.public_url}/t/{tenant}/{path}?token=...`.
pub fn link(sso: &Sso, ctx: &Ctx, path: &str, token: &str) -> String {
    link_at(&sso.config.server.public_url, ctx.tenant.slug.as_str(), path, token)
}

/// [`link`] for a tenant named by its slug, under the public URL `public_url`.
pub fn link_at(public_url: &str, slug: &str, path: &str, token: &str) -> String {
    format!("{}/t/{slug}/{path}?token={token}", public_url.trim_end_matches('/'))
}

/// Queues a rendered message inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub fn queue(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    policy: &TenantPolicy,
    kind: &str,
    to: &str,
    username: &str,
    link: Option<&str>,
    valid_for: &str,
) -> StoreResult<()> {
    let m = mail_templates::render(ctx, policy, kind, username, link, valid_for);
    outbox::enqueue(
        conn,
        &NewMessage {
            tenant: ctx.tenant.pk,
            kind,
            recipient: to,
            subject: &m.subject,
            body_text: &m.text,
            body_html: &m.html,
        },
        ctx.now,
    )
}

/// The rules a username chosen by a person follows, at sign-up and at every rename: at most
/// `signup.max_length_username` characters (`E001003`), no whitespace anywhere, surrounding included
/// (`E001004`), usable and containing none of `user_validation.reject_username` (`E001001`).
pub fn username_refusal(policy: &TenantPolicy, username: &str) -> Option<SubStatus> {
    if username.chars().count() > policy.signup.max_length_username as usize {
        return Some(SubStatus::UsernameTooLong);
    }
    if username.chars().any(char::is_whitespace) {
        return Some(SubStatus::UsernameHasWhitespace);
    }
    let lower = username.to_lowercase();
    let rejected = policy
        .user_validation
        .reject_username
        .iter()
        .any(|r| !r.is_empty() && lower.contains(&r.to_lowercase()));
    (rejected || super::user::check_username(username).is_err()).then_some(SubStatus::UsernameInvalid)
}

/// Whether an address contains one of `user_validation.reject_email` (case-insensitively).
fn email_rejected(policy: &TenantPolicy, email: &str) -> bool {
    let lower = email.to_lowercase();
    policy
        .user_validation
        .reject_email
        .iter()
        .any(|r| !r.is_empty() && lower.contains(&r.to_lowercase()))
}

impl Sso {
    /// Validates a sign-up in the reference's order, then creates the user (waiting for confirmation) with
    /// a confirmation token and e-mail, all in one transaction.
    pub async fn signup(&self, ctx: &Ctx, req: SignupRequest) -> SsoResult<SignupOutcome> {
        // The operators' tenant takes no sign-ups: its accounts are made by operators alone.
        if ctx.tenant.slug.is_system() {
            return Err(policy_refusal(SubStatus::AppListNoSignup, true));
        }
        let policy = self.policy(&ctx.tenant).await?;
        self.check_app_key(ctx, &policy).await?;
        let inform_app = policy.apps.inform_if_app_invalid;
        let signup_allowed = |app: &str| {
            app_listed(&policy.apps.all, app)
                && (policy.apps.signup_allowed.is_empty() || policy.apps.signup_allowed.contains(app))
        };
        if !ctx.app_in(&policy.apps.all) {
            return Err(policy_refusal(SubStatus::AppListInvalid, inform_app));
        }
        if !(ctx.is_web_ui() || signup_allowed(&ctx.current_app)) || req.app_list.iter().any(|a| !signup_allowed(a)) {
            return Err(policy_refusal(SubStatus::AppListNoSignup, inform_app));
        }
        let email = req
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        let s = &policy.signup;
        self.limit_requests(
            ctx,
            "signup",
            email.clone(),
            s.max_requests_per_address,
            s.max_requests_per_recipient,
            s.request_window_minutes,
        )
        .await?;

        // 1. Existence, by username and by e-mail.
        let (pk, name, hash) = (
            ctx.tenant.pk,
            req.username.clone(),
            email.as_deref().map(|e| self.keyring.lookup_hash(&normalise_email(e))),
        );
        let (name_taken, email_taken) = self
            .store
            .tenant(pk, move |conn| {
                let by_name = users::by_username(conn, pk, &name)?.is_some();
                let by_email = match &hash {
                    Some(h) => users::by_email_hash(conn, pk, h)?.is_some(),
                    None => false,
                };
                Ok((by_name, by_email))
            })
            .await?;
        if name_taken || email_taken {
            let (code, inform) = if name_taken {
                (SubStatus::UsernameExists, s.inform_if_user_exists)
            } else {
                (SubStatus::EmailExists, s.inform_if_email_exists)
            };
            // A new account costs a password hash and a transaction that records it and queues a message: a
            // taken name or address costs the same, so the time of the answer does not tell who exists. The
            // hash is thrown away; the attempt is audited, and the address given is told that no account was
            // made (its owner, if it is taken, learns that someone tried).
            self.hasher.hash(ctx.tenant.pk, req.password.clone()).await?;
            // To a taken address (an account's own), or to one that could have signed up: well-formed and not on
            // the tenant's reject list.
            let to = email
                .clone()
                .filter(|e| email_taken || (e.parse::<lettre::Address>().is_ok() && !email_rejected(&policy, e)));
            let (c, p) = (ctx.clone(), (*policy).clone());
            self.store
                .tenant(pk, move |conn| {
                    if let Some(to) = &to {
                        queue(conn, &c, &p, "signup_attempt", to, "", None, "")?;
                    }
                    audit::append_ctx(conn, &c, "user.signup", None, Err(code))
                })
                .await?;
            return Err(refusal(Kind::Conflict, code, inform));
        }
        // 2. The username.
        if let Some(code) = username_refusal(&policy, &req.username) {
            return Err(policy_refusal(code, s.inform_if_user_invalid));
        }
        // 3. The password.
        let inputs: Vec<&str> = [Some(req.username.as_str()), email.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        password_policy::check(&policy.password, &req.password, &inputs)
            .map_err(|code| policy_refusal(code, policy.password.inform_if_invalid))?;
        // 4. The e-mail address.
        let invalid_email = |code| policy_refusal(code, s.inform_if_email_invalid);
        match &email {
            None if s.is_email_required => return Err(invalid_email(SubStatus::EmailMissing)),
            None => {}
            Some(e) => {
                if e.chars().count() > s.max_length_email as usize {
                    return Err(invalid_email(SubStatus::EmailTooLong));
                }
                if e.chars().any(char::is_whitespace) {
                    return Err(invalid_email(SubStatus::EmailHasWhitespace));
                }
                if email_rejected(&policy, e) || e.parse::<lettre::Address>().is_err() {
                    return Err(invalid_email(SubStatus::EmailInvalid));
                }
            }
        }

        let token = random_urlsafe(32);
        let token_hash = sha256_hex(&token);
        let valid_minutes = s.confirm_valid_for_minutes.max(1);
        let expiration = super::clock::minutes_after(ctx.now, valid_minutes);
        let confirm_link = link(self, ctx, "signup/confirm", &token);
        let (ctx_c, policy_c, to, username) = (ctx.clone(), (*policy).clone(), email.clone(), req.username.clone());
        let new = NewUser {
            username: req.username.clone(),
            password: Some(req.password.clone()),
            email: email.clone(),
            needs_confirmation: true,
            ..NewUser::default()
        };
        let user = self
            .create_user_with(ctx, new, move |conn, row| {
                email_tokens::insert(
                    conn,
                    &NewEmailToken {
                        tenant: row.tenant_id,
                        user_pk: row.id,
                        purpose: "signup",
                        token_hash: &token_hash,
                        new_email: None,
                        new_email_hash: None,
                        expiration_time: expiration,
                    },
                    ctx_c.now,
                )?;
                users::set_email_confirmed(conn, row.tenant_id, row.id, false)?;
                if let Some(to) = &to {
                    queue(
                        conn,
                        &ctx_c,
                        &policy_c,
                        "signup_confirm",
                        to,
                        &username,
                        Some(&confirm_link),
                        &describe_minutes(valid_minutes),
                    )?;
                }
                audit::append_ctx(conn, &ctx_c, "user.signup", Some(&row.user_id), Ok(()))?;
                Ok(())
            })
            .await
            .map_err(|e| match e.code() {
                // A username taken between the check and the insert.
                Some(SubStatus::UsernameExists) => {
                    refusal(Kind::Conflict, SubStatus::UsernameExists, s.inform_if_user_exists)
                }
                _ => e,
            })?;
        Ok(SignupOutcome {
            user_id: user.user_id,
            confirm_token: s.always_return_confirm_token.then_some(token),
        })
    }

    /// Confirms a sign-up from its e-mail link. Unknown or expired: `E005006`; used: `E005007`.
    /// Whether a confirmation link would work, without using it (a mail scanner may open it): the refusal
    /// `confirm_signup` would give, or `Ok`.
    pub async fn check_signup_token(&self, ctx: &Ctx, token: &str) -> SsoResult<()> {
        let (pk, hash, now) = (ctx.tenant.pk, sha256_hex(token.trim()), ctx.now);
        self.store
            .tenant_with(pk, move |conn| signup_token(conn, pk, &hash, now).map(|_| ()))
            .await
    }

    pub async fn confirm_signup(&self, ctx: &Ctx, token: &str) -> SsoResult<Confirmed> {
        let policy = self.policy(&ctx.tenant).await?;
        let (pk, hash, c, p) = (ctx.tenant.pk, sha256_hex(token.trim()), ctx.clone(), (*policy).clone());
        let notify = self
            .notifier_with(ctx, policy.clone())
            .by("with the confirmation link sent by e-mail");
        let keyring = self.keyring.clone();
        self.store
            .tenant_with(pk, move |conn| {
                let (t, before) = signup_token(conn, pk, &hash, c.now)?;
                if !email_tokens::use_token(conn, t.id, c.now)? {
                    return Err(SsoError::refused(Kind::Conflict, SubStatus::AuthSignUpConfirmed));
                }
                let mut user = before.clone();
                user.sign_up_status = SIGNUP_FINAL.to_owned();
                user.sign_up_confirm_time = Some(c.now);
                user.email_confirmed = true;
                super::user_write::write(conn, &before, &user, None, &notify)?;
                audit::append_ctx(conn, &c, "user.confirm_signup", Some(&user.user_id), Ok(()))?;
                if user.approval_status == APPROVED {
                    return Ok(Confirmed::Approved);
                }
                notify_approvers(conn, &c, &p, &user, &keyring)?;
                Ok(Confirmed::AwaitingApproval)
            })
            .await
    }

    /// Queues the message an approval decision sends to the user, if the user has an address.
    pub(crate) fn decision_notice(
        &self,
        conn: &mut AnyConnection,
        ctx: &Ctx,
        policy: &TenantPolicy,
        user: &UserRow,
        kind: &str,
    ) -> StoreResult<()> {
        let Some(to) = user.email.as_deref().map(|e| self.open_email(e)) else {
            return Ok(());
        };
        queue(conn, ctx, policy, kind, &to, &user.username, None, "")
    }
}

/// Tells the tenant's approvers that a confirmed sign-up waits: `signup.notify_approvers`, or else every
/// super-user with an address.
fn notify_approvers(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    policy: &TenantPolicy,
    user: &UserRow,
    keyring: &crate::crypto::keyring::Keyring,
) -> StoreResult<()> {
    if user.approval_status != BEFORE_DECISION {
        return Ok(());
    }
    let recipients: Vec<String> = if policy.signup.notify_approvers.is_empty() {
        // Stored addresses are sealed when main.encrypt_email is on.
        users::super_user_emails(conn, ctx.tenant.pk)?
            .into_iter()
            .map(|e| keyring.open_text(&e).unwrap_or(e))
            .collect()
    } else {
        policy.signup.notify_approvers.0.clone()
    };
    for to in recipients {
        queue(conn, ctx, policy, "approval_needed", &to, &user.username, None, "")?;
    }
    audit::append_ctx(conn, ctx, "user.signup_approval_requested", Some(&user.user_id), Ok(()))
}

/// A sign-up's confirmation token and its user, if the token can confirm now: an unknown or expired one is
/// `AuthNoSuchSignUpToken`; a used one, or a sign-up already confirmed, `AuthSignUpConfirmed`.
fn signup_token(
    conn: &mut AnyConnection,
    pk: crate::store::TenantPk,
    hash: &str,
    now: chrono::NaiveDateTime,
) -> SsoResult<(email_tokens::EmailTokenRow, UserRow)> {
    let Some(t) = email_tokens::by_hash(conn, pk, "signup", hash)? else {
        return Err(SsoError::refused(Kind::NotFound, SubStatus::AuthNoSuchSignUpToken));
    };
    if t.used_time.is_some() {
        return Err(SsoError::refused(Kind::Conflict, SubStatus::AuthSignUpConfirmed));
    }
    if t.expiration_time <= now {
        return Err(SsoError::refused(Kind::NotFound, SubStatus::AuthNoSuchSignUpToken));
    }
    let Some(user) = users::by_pk(conn, pk, t.user_pk)? else {
        return Err(SsoError::refused(Kind::NotFound, SubStatus::AuthNoSuchSignUpToken));
    };
    if user.sign_up_status != SIGNUP_BEFORE_CONFIRMATION {
        return Err(SsoError::refused(Kind::Conflict, SubStatus::AuthSignUpConfirmed));
    }
    Ok((t, user))
}
