//! Token revocation (RFC 7009) and introspection (RFC 7662), for clients authenticated as at the token
//! endpoint. A refresh token is its client's alone: another client neither revokes nor reads it. An access
//! token (a UST of an app session) is revoked by its client only, and introspected by any confidential client
//! of the tenant (its resource servers register as clients): it is active exactly when UserInfo would accept it
//! (every login rule applied again). A token of another tenant, unknown or malformed, is simply not active, and
//! revoking it does nothing, so neither endpoint tells a caller which tokens exist.

use super::super::{Ctx, Sso, SsoError, audit};
use super::OAuthError;
use super::token::ClientAuth;
use crate::crypto::{sha256_hex, tokens};
use crate::store::oidc_grants::{self, GrantRow};
use crate::store::{sessions, users};
use serde_json::{Value, json};

/// Refresh tokens begin so (access tokens are Fernet USTs).
const REFRESH_PREFIX: &str = "ghrt_";

impl Sso {
    /// Revokes a refresh token (its whole family) or an access token (its app session) of the calling client.
    pub async fn revoke(&self, ctx: &Ctx, auth: Option<&ClientAuth>, token: Option<String>) -> Result<(), OAuthError> {
        let result = self.revoke_steps(ctx, auth, token).await;
        let (client, outcome) = match &result {
            Ok(app) => (app.as_str(), "ok"),
            Err(e) => ("-", e.error),
        };
        self.metrics
            .observe_oidc(ctx.tenant.slug.as_str(), client, "revoke", outcome);
        result.map(|_| ())
    }

    async fn revoke_steps(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
        token: Option<String>,
    ) -> Result<String, OAuthError> {
        let client = self.authenticate_client(ctx, auth).await?;
        let Some(token) = token else {
            return Err(OAuthError::new("invalid_request", "`token` is missing"));
        };
        let app = client.client.client_id.clone();
        let pk = ctx.tenant.pk;
        let c = Ctx {
            current_app: app.clone(),
            ..ctx.clone()
        };
        let refresh_hash = token.starts_with(REFRESH_PREFIX).then(|| sha256_hex(&token));
        let session_hash = tokens::lookup_hash(&self.keyring, &token);
        let a = app.clone();
        self.store
            .tenant(pk, move |conn| {
                let mut revoked = None;
                if let Some(hash) = &refresh_hash
                    && let Some((grant, _)) = oidc_grants::grant_of_refresh(conn, pk, hash)?
                    && grant.app == a
                {
                    // The client ends its own grant: it needs no back-channel notice of it.
                    oidc_grants::delete_ids(conn, pk, &[grant.id])?;
                    revoked = Some(("refresh_token", grant.user_pk));
                } else if let Some(hash) = &session_hash
                    && let Some(row) = sessions::by_hash(conn, pk, hash)?
                    && row.grant_id.is_some()
                    && row.current_app == a
                {
                    sessions::delete_ids(conn, pk, &[row.id])?;
                    revoked = Some(("access_token", row.user_pk));
                }
                if let Some((kind, user_pk)) = revoked {
                    let target = users::user_id_of(conn, user_pk)?;
                    let extra = json!({"client_id": a, "token_type": kind}).to_string();
                    audit::append_ctx_extra(conn, &c, "oidc.revoke", Some(&target), Ok(()), Some(extra))?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
            .await
            .map_err(SsoError::from)?;
        Ok(app)
    }

    /// What a token is, for a confidential client (RFC 7662 §2.2): `{"active": false}` for anything not
    /// usable now.
    pub async fn introspect(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
        token: Option<String>,
    ) -> Result<Value, OAuthError> {
        let mut caller = None;
        let result = self.introspect_steps(ctx, auth, token, &mut caller).await;
        let outcome = match &result {
            Ok(v) if v["active"] == json!(true) => "active",
            Ok(_) => "inactive",
            Err(e) => e.error,
        };
        let client = caller.as_deref().unwrap_or("-");
        self.metrics
            .observe_oidc(ctx.tenant.slug.as_str(), client, "introspect", outcome);
        result
    }

    async fn introspect_steps(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
        token: Option<String>,
        caller: &mut Option<String>,
    ) -> Result<Value, OAuthError> {
        let client = self.authenticate_client(ctx, auth).await?;
        if !client.client.settings.confidential {
            return Err(OAuthError::new(
                "invalid_client",
                "introspection is for confidential clients (resource servers authenticate with a secret)",
            ));
        }
        *caller = Some(client.client.client_id.clone());
        let Some(token) = token else {
            return Err(OAuthError::new("invalid_request", "`token` is missing"));
        };
        let answer = if token.starts_with(REFRESH_PREFIX) {
            self.introspect_refresh(ctx, &client.client.client_id, &token).await?
        } else {
            self.introspect_access(ctx, &token).await?
        };
        let active = answer["active"] == json!(true);
        let (pk, app) = (ctx.tenant.pk, client.client.client_id.clone());
        let c = Ctx {
            current_app: app.clone(),
            ..ctx.clone()
        };
        let sub = answer["sub"].as_str().map(str::to_owned);
        self.store
            .tenant(pk, move |conn| {
                let extra = json!({"client_id": app, "active": active}).to_string();
                audit::append_ctx_extra(conn, &c, "oidc.introspect", sub.as_deref(), Ok(()), Some(extra))
            })
            .await
            .map_err(SsoError::from)?;
        Ok(answer)
    }

    async fn introspect_access(&self, ctx: &Ctx, token: &str) -> Result<Value, OAuthError> {
        let inactive = json!({"active": false});
        let current = match self.bearer_session(ctx, token).await {
            Ok(current) => current,
            Err(SsoError::Refused { .. }) => return Ok(inactive),
            Err(e) => return Err(e.into()),
        };
        let session = current.session();
        let (Some(scope), Some(grant_pk)) = (session.scope.clone(), session.grant_pk()) else {
            return Ok(inactive);
        };
        let pk = ctx.tenant.pk;
        let Some(grant) = self
            .store
            .tenant_read(pk, move |conn| oidc_grants::by_id(conn, pk, grant_pk))
            .await
            .map_err(SsoError::from)?
        else {
            return Ok(inactive);
        };
        Ok(self.active(
            ctx,
            &grant,
            current.user().user_id.as_str(),
            "Bearer",
            &scope,
            session.creation_time,
            session.expiration_time,
        ))
    }

    async fn introspect_refresh(&self, ctx: &Ctx, client_id: &str, token: &str) -> Result<Value, OAuthError> {
        let inactive = json!({"active": false});
        let (pk, now, hash) = (ctx.tenant.pk, ctx.now, sha256_hex(token));
        let policy = self.policy(&ctx.tenant).await?;
        let (keyring, base_ctx) = (
            self.keyring.clone(),
            Ctx {
                current_app: client_id.to_owned(),
                ..ctx.clone()
            },
        );
        let found = self
            .store
            .tenant_with(pk, move |conn| -> Result<_, SsoError> {
                let Some((grant, used)) = oidc_grants::grant_of_refresh(conn, pk, &hash)? else {
                    return Ok(None);
                };
                // Not offline: usable only while the browser's session lives.
                let sso_live = grant.offline
                    || match grant.sso_session_pk {
                        Some(sso) => sessions::expiration_of(conn, pk, sso)?.is_some_and(|until| until > now),
                        None => false,
                    };
                // Active only if a refresh would be allowed: the account is checked as a refresh checks it.
                let user = super::refresh::account_of(conn, &keyring, &policy, &grant, &base_ctx, now)?;
                Ok(Some((grant, used, sso_live, user)))
            })
            .await
            .map_err(OAuthError::from)?;
        let Some((grant, used, sso_live, Some(user))) = found else {
            return Ok(inactive);
        };
        if used || !sso_live || grant.app != client_id || grant.expiration_time <= now {
            return Ok(inactive);
        }
        Ok(self.active(
            ctx,
            &grant,
            &user.user_id,
            "refresh_token",
            &grant.scope,
            grant.last_used_time,
            grant.expiration_time,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn active(
        &self,
        ctx: &Ctx,
        grant: &GrantRow,
        sub: &str,
        token_type: &str,
        scope: &str,
        iat: chrono::NaiveDateTime,
        exp: chrono::NaiveDateTime,
    ) -> Value {
        json!({
            "active": true,
            "iss": self.issuer(&ctx.tenant),
            "sub": sub,
            "client_id": grant.app,
            "aud": grant.app,
            "scope": scope,
            "sid": grant.sid,
            "token_type": token_type,
            "iat": iat.and_utc().timestamp(),
            "exp": exp.and_utc().timestamp(),
        })
    }
}
