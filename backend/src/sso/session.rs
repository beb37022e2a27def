//! Using a session (reference §8.2): the UST is opened with the keyring, the session found by the hash of its
//! secret in the path's tenant, unexpired, and its user checked again, so a lock, rejection, unconfirmed state,
//! expired password or address outside the allow-list ends the session's use at once. Also renew (sliding, never
//! past `session.max_lifetime_minutes`), verify, listing and ending sessions. Logout always succeeds.

use super::account_state::{self, ExpiryCheck};
use super::error::{Kind, SsoError, SsoResult};
use super::session_cache::Stored;
use super::{Actor, Ctx, Sso, UserRef, audit};
use crate::config::StringList;
use crate::crypto::tokens;
use crate::domain::{Session, User};
use crate::store::address_lists;
use crate::store::sessions;
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;
use std::sync::Arc;

/// A session that passed every check, with its user.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    // Private to the services: a surface reads them and cannot edit them into another user's proof.
    pub(super) session: Session,
    pub(super) user: User,
    /// A super-user without the 2FA the tenant requires (a web session, confined to enrolment).
    pub(super) second_factor_missing: Option<SubStatus>,
}

impl CurrentSession {
    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    /// The context for calls this session's user makes.
    pub fn acting(&self, ctx: &Ctx) -> Ctx {
        Ctx {
            actor: Actor::User(self.user.user_id.clone()),
            ..ctx.clone()
        }
    }
}

pub fn no_such_session() -> SsoError {
    SsoError::refused(Kind::Unauthenticated, SubStatus::SessionNoSuchSession)
}

impl Sso {
    /// The session a UST names, if it may be used now by this caller.
    pub async fn current_session(&self, ctx: &Ctx, ust: &str) -> SsoResult<CurrentSession> {
        self.current_session_with(ctx, ust, ExpiryCheck::Enforce).await
    }

    /// Like [`Sso::current_session`], choosing whether an expired password ends the session's use.
    pub async fn current_session_with(&self, ctx: &Ctx, ust: &str, expiry: ExpiryCheck) -> SsoResult<CurrentSession> {
        let found = self.live_session(ctx, ust).await?;
        self.checked(ctx, found, expiry).await
    }

    /// The live session a UST names in the context's tenant, with its user, before any check: from the cache
    /// of verified sessions when it holds it, else read from the database (and kept).
    async fn live_session(&self, ctx: &Ctx, ust: &str) -> SsoResult<Arc<Stored>> {
        let hash = tokens::lookup_hash(&self.keyring, ust).ok_or_else(no_such_session)?;
        let (pk, now) = (ctx.tenant.pk, ctx.now);
        if let Some(kept) = self.sessions.get(pk, &hash, now) {
            return Ok(kept);
        }
        let since = self.sessions.epoch();
        let read_hash = hash.clone();
        let (session, user, allow_list) = self
            .store
            .tenant_read(pk, move |conn| sessions::live_by_hash(conn, pk, &read_hash, now))
            .await?
            .ok_or_else(no_such_session)?;
        let stored = Arc::new(Stored {
            auth_methods: session.auth_methods.clone(),
            session: session.to_session(),
            user: user.to_user(&self.keyring)?,
            allow_list: allow_list.map(|text| StringList(address_lists::parse(&text))),
        });
        self.sessions.put(pk, &hash, since, &stored);
        Ok(stored)
    }

    /// The session an OpenID Connect access token (a UST) names, for a call that presents it as a Bearer
    /// token alone (UserInfo): the client proved itself when it got the token, so no app key is asked for;
    /// the session's own app must still be listed, and every other check applies.
    pub async fn bearer_session(&self, ctx: &Ctx, ust: &str) -> SsoResult<CurrentSession> {
        let found = self.live_session(ctx, ust).await?;
        // The caller is the application's server; the user's allow-list is held against the browser's address,
        // as the code exchange held it.
        let ctx = Ctx {
            current_app: found.session.current_app.clone(),
            remote_addr: Some(found.session.remote_addr.clone()).filter(|a| !a.is_empty()),
            web_ui: false,
            ..ctx.clone()
        };
        self.checked_as(&ctx, found, ExpiryCheck::Enforce, false).await
    }

    async fn checked(&self, ctx: &Ctx, found: Arc<Stored>, expiry: ExpiryCheck) -> SsoResult<CurrentSession> {
        self.checked_as(ctx, found, expiry, true).await
    }

    async fn checked_as(
        &self,
        ctx: &Ctx,
        found: Arc<Stored>,
        expiry: ExpiryCheck,
        app_key: bool,
    ) -> SsoResult<CurrentSession> {
        let Stored {
            session,
            user,
            allow_list,
            auth_methods: methods,
        } = &*found;
        let policy = self.policy(&ctx.tenant).await?;
        if app_key {
            self.check_app_key(ctx, &policy).await?;
        }
        // An access token granted by OpenID Connect belongs to its client: no other app may present it.
        if session.scope.is_some() && session.current_app != ctx.current_app {
            return Err(no_such_session());
        }
        account_state::check_user(&policy, user, allow_list.as_ref(), ctx, ctx.now, expiry)?;
        account_state::super_user_second_factor(&policy, user, methods, ctx)?;
        Ok(CurrentSession {
            second_factor_missing: account_state::second_factor_missing(&policy, user, methods),
            session: session.clone(),
            user: user.clone(),
        })
    }

    /// Extends the session by `session.expiry` from now, never past `session.max_lifetime_minutes` from its
    /// creation; returns the new expiration time.
    pub async fn renew(&self, ctx: &Ctx, ust: &str) -> SsoResult<NaiveDateTime> {
        let current = self.current_session(ctx, ust).await?;
        let policy = self.policy(&ctx.tenant).await?;
        let sliding = super::clock::minutes_after(ctx.now, policy.session.expiry);
        let cap = super::clock::minutes_after(current.session.creation_time, policy.session.max_lifetime_minutes);
        let expiration = sliding.min(cap);
        if expiration <= ctx.now {
            return Err(no_such_session());
        }
        let (pk, id, parent, now) = (ctx.tenant.pk, current.session.pk, current.session.parent_pk, ctx.now);
        let grant = current.session.grant_pk;
        let acting = current.acting(ctx);
        let target = current.user.user_id.clone();
        self.store
            .tenant_with(pk, move |conn| {
                // An app session is renewed no further than the SSO session it hangs on lives.
                let expiration = match parent {
                    Some(parent) => match sessions::expiration_of(conn, pk, parent)? {
                        Some(until) if until > now => expiration.min(until),
                        _ => return Err(no_such_session()),
                    },
                    None => expiration,
                };
                // Nor past its grant's lifetime (an offline grant's app session has no browser session above it).
                let expiration = match grant {
                    Some(g) => match crate::store::oidc_grants::by_id(conn, pk, g)? {
                        Some(grant) if grant.expiration_time > now => expiration.min(grant.expiration_time),
                        _ => return Err(no_such_session()),
                    },
                    None => expiration,
                };
                sessions::set_expiration(conn, pk, id, expiration)?;
                audit::append_ctx(conn, &acting, "session.renew", Some(&target), Ok(()))?;
                Ok(expiration)
            })
            .await
    }

    /// Whether `target_ust` names a session that may be used now (a super-user's call). It never renews, and
    /// every reason for refusing the target is simply `false`.
    pub async fn verify_session(&self, ctx: &Ctx, current_ust: &str, target_ust: &str) -> SsoResult<bool> {
        self.current_session(ctx, current_ust).await?.require_super_user(ctx)?;
        match self.current_session(ctx, target_ust).await {
            Ok(_) => Ok(true),
            Err(SsoError::Refused { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Another session, by its UST, for a super-user (or the session's own user).
    pub async fn target_session(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        target_ust: &str,
    ) -> SsoResult<CurrentSession> {
        let target = self.current_session(ctx, target_ust).await?;
        if target.user.pk != current.user.pk {
            current.require_super_user(ctx)?;
        }
        Ok(target)
    }

    /// The live sessions of the caller, or (for a super-user) of another user of the tenant.
    pub async fn list_sessions(
        &self,
        ctx: &Ctx,
        current: &CurrentSession,
        of: Option<UserRef>,
    ) -> SsoResult<Vec<Session>> {
        let user_pk = match of {
            None => current.user.pk,
            Some(who) => {
                let admin = current.require_super_user(ctx)?;
                self.find_user(admin.ctx(), &who).await?.pk
            }
        };
        let (pk, now) = (ctx.tenant.pk, ctx.now);
        let rows = self
            .store
            .tenant(pk, move |conn| sessions::live_for_user(conn, pk, user_pk, now))
            .await?;
        Ok(rows.iter().map(|r| r.to_session()).collect())
    }

    /// Ends one session by its public id: the caller's own, or any of the tenant's for a super-user.
    pub async fn end_session(&self, ctx: &Ctx, current: &CurrentSession, session_id: &str) -> SsoResult<()> {
        let (pk, now, sid) = (ctx.tenant.pk, ctx.now, session_id.to_owned());
        let found = self
            .store
            .tenant(pk, move |conn| sessions::live_by_session_id(conn, pk, &sid, now))
            .await?;
        let Some((row, owner, _)) = found else {
            return Err(SsoError::refused(Kind::NotFound, SubStatus::SessionNoSuchSession));
        };
        if owner.id != current.user.pk && current.require_super_user(ctx).is_err() {
            // Another user's session is as good as unknown to a regular caller.
            return Err(SsoError::refused(Kind::NotFound, SubStatus::SessionNoSuchSession));
        }
        let acting = current.acting(ctx);
        self.store
            .tenant(pk, move |conn| {
                super::session_end::end(conn, pk, std::slice::from_ref(&row), now)?;
                audit::append_ctx(conn, &acting, "session.end", Some(&owner.user_id), Ok(()))
            })
            .await?;
        Ok(())
    }

    /// Ends the session a UST names, whatever the state of its user (a locked user can log out). Answers the
    /// same whether or not there was such a session, so logout cannot be used to probe tokens.
    pub async fn logout(&self, ctx: &Ctx, ust: &str) -> SsoResult<()> {
        let Some(hash) = tokens::lookup_hash(&self.keyring, ust) else {
            return Ok(());
        };
        let ctx = ctx.clone();
        let pk = ctx.tenant.pk;
        self.store
            .tenant(pk, move |conn| {
                let rows: Vec<_> = sessions::by_hash(conn, pk, &hash)?.into_iter().collect();
                let ended = super::session_end::end(conn, pk, &rows, ctx.now)?;
                if ended > 0 {
                    audit::append_ctx(conn, &ctx, "user.logout", None, Ok(()))?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }
}
