//! Using a session (reference §8.2): the UST is opened with the keyring, the session found by the hash of its
//! secret in the path's tenant, unexpired, and its user checked again, so a lock, rejection, unconfirmed state,
//! expired password or address outside the allow-list ends the session's use at once. Logout always succeeds.

use super::error::{Kind, SsoError, SsoResult};
use super::login::check_user;
use super::{Ctx, Sso, audit};
use crate::crypto::tokens;
use crate::store::sessions::{self, SessionRow};
use crate::store::users::UserRow;
use gatehouse_shared::SubStatus;

/// A session that passed every check, with its user.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session: SessionRow,
    pub user: UserRow,
}

fn no_such_session() -> SsoError {
    SsoError::refused(Kind::Unauthenticated, SubStatus::SessionNoSuchSession)
}

impl Sso {
    /// The session a UST names, if it may be used now by this caller.
    pub async fn current_session(&self, ctx: &Ctx, ust: &str) -> SsoResult<CurrentSession> {
        let hash = tokens::lookup_hash(&self.keyring, ust).ok_or_else(no_such_session)?;
        let (pk, now) = (ctx.tenant.pk, ctx.now);
        let (session, user) = self
            .store
            .tenant(pk, move |conn| sessions::live_by_hash(conn, pk, &hash, now))
            .await?
            .ok_or_else(no_such_session)?;
        let policy = self.policy(&ctx.tenant).await?;
        check_user(
            &policy,
            &user,
            &ctx.current_app,
            ctx.remote_addr.as_deref(),
            now,
        )?;
        Ok(CurrentSession { session, user })
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
                let ended = sessions::delete_by_hash(conn, pk, &hash)?;
                if ended > 0 {
                    audit::append_ctx(conn, &ctx, "user.logout", None, Ok(()))?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }
}
