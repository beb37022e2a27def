//! Grants as people see them: an administrator lists an app's grants (who, since when, offline or not, until
//! when, whether an access token is live) and ends one; a person lists the apps they have signed in to and ends
//! an app's access (its grants and the consent, so it asks again). Ending goes through
//! [`super::super::session_end`], so the clients hear of it by back-channel.

use super::super::error::{Kind, SsoError, SsoResult};
use super::super::session::CurrentSession;
use super::super::{Admin, Ctx, Sso, audit, session_end};
use crate::store::oidc_grants;
use crate::store::{oidc, sessions};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;
use serde_json::json;

/// One grant, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    pub id: i64,
    pub app: String,
    pub user_id: String,
    pub username: String,
    pub scope: String,
    pub offline: bool,
    pub creation_time: NaiveDateTime,
    pub last_used_time: NaiveDateTime,
    pub expiration_time: NaiveDateTime,
    /// When its current access token expires, if one is live.
    pub access_until: Option<NaiveDateTime>,
    pub remote_addr: String,
    pub user_agent: String,
}

/// The most grants an app's list shows.
pub const GRANTS_LISTED: i64 = 200;

fn no_such_grant() -> SsoError {
    SsoError::refused(Kind::NotFound, SubStatus::SessionNoSuchSession)
}

impl Sso {
    /// The live grants of an app, newest first (the most recent [`GRANTS_LISTED`]).
    pub async fn app_grants(&self, admin: &Admin, app: &str) -> SsoResult<Vec<GrantView>> {
        let ctx = admin.ctx();
        let (pk, now, app) = (ctx.tenant.pk, ctx.now, app.to_owned());
        Ok(self
            .store
            .tenant_read(pk, move |conn| {
                let grants = oidc_grants::of_app(conn, pk, &app, now, GRANTS_LISTED)?;
                let ids: Vec<i64> = grants.iter().map(|(g, _, _)| g.id).collect();
                let live = sessions::live_of_grants(conn, pk, &ids, now)?;
                Ok::<_, crate::store::StoreError>(
                    grants
                        .into_iter()
                        .map(|(g, user_id, username)| GrantView {
                            access_until: live
                                .iter()
                                .filter(|(id, _)| *id == Some(g.id))
                                .map(|(_, until)| *until)
                                .max(),
                            id: g.id,
                            app: g.app,
                            user_id,
                            username,
                            scope: g.scope,
                            offline: g.offline,
                            creation_time: g.creation_time,
                            last_used_time: g.last_used_time,
                            expiration_time: g.expiration_time,
                            remote_addr: g.remote_addr,
                            user_agent: g.user_agent,
                        })
                        .collect(),
                )
            })
            .await?)
    }

    /// An administrator ends one grant of an app (its access and refresh tokens stop working); a grant of
    /// another app is not found.
    pub async fn end_grant(&self, admin: &Admin, app: &str, grant_id: i64) -> SsoResult<()> {
        let c = admin.ctx().clone();
        let (pk, app) = (c.tenant.pk, app.to_owned());
        self.store
            .tenant_with(pk, move |conn| {
                let Some(grant) = oidc_grants::by_id(conn, pk, grant_id)?.filter(|g| g.app == app) else {
                    return Err(no_such_grant());
                };
                session_end::end_grants(conn, pk, &[grant.id], c.now)?;
                let target = crate::store::users::user_id_of(conn, grant.user_pk)?;
                let extra = json!({"client_id": grant.app}).to_string();
                audit::append_ctx_extra(conn, &c, "oidc.grant_end", Some(&target), Ok(()), Some(extra))?;
                Ok(())
            })
            .await
    }

    /// The apps the caller has signed in to through OpenID Connect: one line per live grant.
    pub async fn my_grants(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<Vec<GrantView>> {
        let (pk, now, user_pk) = (ctx.tenant.pk, ctx.now, current.user().pk);
        let (user_id, username) = (current.user().user_id.clone(), current.user().username.to_string());
        let rows = self
            .store
            .tenant_read(pk, move |conn| {
                let grants = oidc_grants::of_user(conn, pk, user_pk)?;
                let live = sessions::live_for_user(conn, pk, user_pk, now)?;
                Ok::<_, crate::store::StoreError>((grants, live))
            })
            .await?;
        let (grants, live) = rows;
        Ok(grants
            .into_iter()
            .filter(|g| g.expiration_time > now)
            .map(|g| GrantView {
                access_until: live
                    .iter()
                    .filter(|s| s.grant_id == Some(g.id))
                    .map(|s| s.expiration_time)
                    .max(),
                id: g.id,
                app: g.app,
                user_id: user_id.clone(),
                username: username.clone(),
                scope: g.scope,
                offline: g.offline,
                creation_time: g.creation_time,
                last_used_time: g.last_used_time,
                expiration_time: g.expiration_time,
                remote_addr: g.remote_addr,
                user_agent: g.user_agent,
            })
            .collect())
    }

    /// Ends the caller's access to an app: every grant of theirs to it, and the consent they gave it.
    pub async fn end_app_access(&self, ctx: &Ctx, current: &CurrentSession, app: &str) -> SsoResult<usize> {
        let acting = current.acting(ctx);
        let (pk, user_pk, app) = (ctx.tenant.pk, current.user().pk, app.to_owned());
        self.store
            .tenant_with(pk, move |conn| {
                let ids: Vec<i64> = oidc_grants::of_user(conn, pk, user_pk)?
                    .into_iter()
                    .filter(|g| g.app == app)
                    .map(|g| g.id)
                    .collect();
                let consent = oidc::delete_consent(conn, pk, user_pk, &app)?;
                if ids.is_empty() && consent == 0 {
                    return Err(no_such_grant());
                }
                let ended = session_end::end_grants(conn, pk, &ids, acting.now)?;
                let extra = json!({"client_id": app}).to_string();
                audit::append_ctx_extra(conn, &acting, "oidc.access_end", None, Ok(()), Some(extra))?;
                Ok(ended)
            })
            .await
    }
}
