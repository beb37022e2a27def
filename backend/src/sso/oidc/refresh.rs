//! The refresh-token grant (RFC 6749 §6, OpenID Connect Core §12): the client authenticates as for a code, its
//! refresh token is used up atomically, and in one transaction the grant's app session is replaced by a new one
//! (a new UST) with a new refresh token: tokens rotate on every use, and a token presented again (a replay, or
//! the loser of two concurrent refreshes) ends the whole family. A grant that is not offline refreshes only while
//! the browser's session it was made from lives, and never past its lifetime; the account is checked again as a
//! login would check it.

use super::super::account_state::{self, ExpiryCheck};
use super::super::{Actor, Ctx, Sso, SsoError, audit, session_end};
use super::token::{ClientAuth, IdTokenFor, RefreshToken, TokenRequest, Tokens, app_session_row, grant_error};
use super::{OAuthError, SCOPES};
use crate::config::StringList;
use crate::crypto::{sha256_hex, tokens};
use crate::domain::User;
use crate::store::oidc_grants::{self, GrantRow};
use crate::store::{address_lists, sessions, users};
use gatehouse_shared::Ust;
use serde_json::json;

enum Refreshed {
    Refused(OAuthError),
    Done(Box<Done>),
}

struct Done {
    user: User,
    grant: GrantRow,
    scope: String,
    ust: Ust,
    expiration: chrono::NaiveDateTime,
    refresh: RefreshToken,
}

/// The scope a refresh asks for: absent, the grant's; else a subset of it (RFC 6749 §6).
fn narrowed(granted: &str, asked: Option<&str>) -> Result<String, OAuthError> {
    let Some(asked) = asked.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(granted.to_owned());
    };
    let granted: Vec<&str> = granted.split(' ').collect();
    let mut scope: Vec<&str> = Vec::new();
    for s in asked.split(' ').filter(|s| !s.is_empty()) {
        if !granted.contains(&s) {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("`{}` was not granted", s.chars().take(64).collect::<String>()),
            ));
        }
        if !scope.contains(&s) {
            scope.push(s);
        }
    }
    if !scope.contains(&"openid") {
        return Err(OAuthError::new("invalid_scope", "a narrower scope keeps `openid`"));
    }
    // In the order discovery lists them, as a code's scope is.
    scope.sort_by_key(|s| SCOPES.iter().position(|k| k == s));
    Ok(scope.join(" "))
}

/// The user of a grant, when the account may still use it: every login rule that can change after the grant
/// (lock, approval, password expiry, allow-list held against the grant's browser address, a super-user's second
/// factor).
pub(super) fn account_of(
    conn: &mut crate::store::AnyConnection,
    keyring: &crate::crypto::keyring::Keyring,
    policy: &crate::config::TenantPolicy,
    grant: &GrantRow,
    base_ctx: &Ctx,
    now: chrono::NaiveDateTime,
) -> Result<Option<User>, SsoError> {
    let Some(row) = users::by_pk(conn, grant.tenant_id, grant.user_pk)? else {
        return Ok(None);
    };
    let user = row.to_user(keyring)?;
    let list = address_lists::get(conn, grant.tenant_id, user.pk())?.map(StringList);
    let user_ctx = Ctx {
        remote_addr: Some(grant.remote_addr.clone()).filter(|a| !a.is_empty()),
        ..base_ctx.clone()
    };
    let ok = account_state::check_user(policy, &user, list.as_ref(), &user_ctx, now, ExpiryCheck::Enforce)
        .and_then(|()| account_state::super_user_second_factor(policy, &user, &grant.auth_methods, &user_ctx))
        .is_ok();
    Ok(ok.then_some(user))
}

impl Sso {
    pub(super) async fn refresh_steps(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
        request: TokenRequest,
        authenticated: &mut Option<String>,
    ) -> Result<Tokens, OAuthError> {
        let client = self.authenticate_client(ctx, auth).await?;
        *authenticated = Some(client.client.client_id.clone());
        let Some(token) = request.refresh_token.filter(|t| !t.is_empty()) else {
            return Err(OAuthError::new("invalid_request", "`refresh_token` is missing"));
        };
        let policy = self.policy(&ctx.tenant).await?;
        let key = self
            .signing_key_for(&ctx.tenant, client.client.settings.id_token_alg)
            .await?;
        let (pk, now, hash) = (ctx.tenant.pk, ctx.now, sha256_hex(&token));
        let online_refresh = client.client.settings.confidential && policy.oidc.refresh_for_confidential_clients;
        let (keyring, app) = (self.keyring.clone(), client.client.client_id.clone());
        let asked = request.scope.clone();
        let sliding = super::super::clock::minutes_after(
            ctx.now,
            policy.session.expiry.min(policy.session.max_lifetime_minutes.max(1)),
        );
        let base_ctx = Ctx {
            current_app: app.clone(),
            ..ctx.clone()
        };
        let refreshed = self
            .store
            .tenant_with(pk, move |conn| -> Result<Refreshed, SsoError> {
                let refused = |d: &str| Ok(Refreshed::Refused(grant_error(d)));
                // Every check is made before the token is used up, so a refusal that is no fault of the token's
                // (a narrower scope asked for wrongly, an expired password) leaves it usable.
                let (grant, used) = match oidc_grants::grant_of_refresh(conn, pk, &hash)? {
                    Some((grant, used)) if grant.app == app => (grant, used),
                    // Another client's token is unknown to this one, and left as it was.
                    _ => return refused("the refresh token is not valid"),
                };
                let reused = |conn: &mut crate::store::AnyConnection| -> Result<Refreshed, SsoError> {
                    // Rotation makes a used token worthless; one presented again was stolen or raced, so the
                    // family ends (OAuth 2.0 Security BCP §4.14).
                    session_end::end_grants(conn, pk, &[grant.id], now)?;
                    let target = users::user_id_of(conn, grant.user_pk)?;
                    audit::append_ctx_extra(
                        conn,
                        &base_ctx,
                        "oidc.refresh_reuse",
                        Some(&target),
                        Err(gatehouse_shared::SubStatus::AuthNotAllowed),
                        Some(json!({"client_id": app}).to_string()),
                    )?;
                    Ok(Refreshed::Refused(grant_error(
                        "the refresh token has been used already: the grant has ended",
                    )))
                };
                if used {
                    return reused(conn);
                }
                if grant.expiration_time <= now {
                    session_end::end_grants(conn, pk, &[grant.id], now)?;
                    return refused("the grant has expired");
                }
                // A grant that is not offline has a refresh token only while its client may have one.
                if !grant.offline && !online_refresh {
                    session_end::end_grants(conn, pk, &[grant.id], now)?;
                    return refused("this client may no longer refresh without offline access");
                }
                let scope = match narrowed(&grant.scope, asked.as_deref()) {
                    Ok(scope) => scope,
                    Err(e) => return Ok(Refreshed::Refused(e)),
                };
                // Not offline: the browser's session must still be there, and the app session ends with it.
                let mut expiration = sliding.min(grant.expiration_time);
                if !grant.offline {
                    let until = match grant.sso_session_pk {
                        Some(sso) => sessions::expiration_of(conn, pk, sso)?.filter(|until| *until > now),
                        None => None,
                    };
                    let Some(until) = until else {
                        session_end::end_grants(conn, pk, &[grant.id], now)?;
                        return refused("the session the grant was made in has ended");
                    };
                    expiration = expiration.min(until);
                }
                let Some(user) = account_of(conn, &keyring, &policy, &grant, &base_ctx, now)? else {
                    return refused("the account may not log in now");
                };
                let user_ctx = Ctx {
                    remote_addr: Some(grant.remote_addr.clone()).filter(|a| !a.is_empty()),
                    ..base_ctx.clone()
                };
                // Used up now; a concurrent refresh that used it first makes this one a replay.
                if !oidc_grants::mark_refresh_used(conn, pk, &hash, now)? {
                    return reused(conn);
                }
                // The family's app session is replaced: the old access token ends now.
                sessions::delete_of_grant(conn, pk, grant.id)?;
                let ids = tokens::new_session(&keyring);
                let mut row = app_session_row(pk, &grant, grant.id, &ids, now, expiration);
                row.scope = Some(scope.clone());
                sessions::insert(conn, &row)?;
                let (refresh, refresh_hash) = RefreshToken::new();
                oidc_grants::insert_refresh(conn, pk, grant.id, &refresh_hash, now)?;
                oidc_grants::touch(conn, pk, grant.id, now)?;
                let acting = Ctx {
                    actor: Actor::User(user.user_id.clone()),
                    ..user_ctx
                };
                let extra = json!({"client_id": app, "scope": scope, "offline": grant.offline}).to_string();
                audit::append_ctx_extra(conn, &acting, "oidc.refresh", Some(&user.user_id), Ok(()), Some(extra))?;
                Ok(Refreshed::Done(Box::new(Done {
                    user,
                    grant,
                    scope,
                    ust: ids.ust,
                    expiration,
                    refresh,
                })))
            })
            .await?;
        let done = match refreshed {
            Refreshed::Refused(e) => return Err(e),
            Refreshed::Done(done) => *done,
        };
        let amr: Vec<String> = done.grant.auth_methods.split_whitespace().map(str::to_owned).collect();
        let id_token = self.id_token(
            ctx,
            &key,
            IdTokenFor {
                user: &done.user,
                client_id: &client.client.client_id,
                scope: &done.scope,
                sid: &done.grant.sid,
                auth_time: done.grant.auth_time,
                amr: &amr,
                expiration: done.expiration,
                // A refreshed ID token carries no nonce (OpenID Connect Core §12.2).
                nonce: None,
                access_token: done.ust.expose(),
            },
        )?;
        Ok(Tokens {
            access_token: done.ust,
            expires_in: (done.expiration - ctx.now).num_seconds().max(0),
            id_token,
            scope: done.scope,
            refresh_token: Some(done.refresh),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_may_narrow_the_scope_never_widen_it() {
        assert_eq!(
            narrowed("openid email offline_access", None).unwrap(),
            "openid email offline_access"
        );
        assert_eq!(
            narrowed("openid email offline_access", Some(" ")).unwrap(),
            "openid email offline_access"
        );
        assert_eq!(
            narrowed("openid email offline_access", Some("email openid email")).unwrap(),
            "openid email"
        );
        assert_eq!(
            narrowed("openid email", Some("openid profile")).unwrap_err().error,
            "invalid_scope"
        );
    }
}
