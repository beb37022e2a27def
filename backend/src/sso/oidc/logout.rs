//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at `{issuer}/oidc/logout`. A relying party sends
//! the browser with an `id_token_hint` (an ID token this issuer signed, expired or not), a registered
//! `post_logout_redirect_uri` and a `state`; Gatehouse ends the browser's session (its grants that are not
//! offline, and back-channel notices to their clients, follow from [`super::super::session_end`]) and sends the
//! browser back there, never anywhere else. When the hint does not name the browser's own session (or there is
//! none), the person is asked first: a link alone must not log anyone out.

use super::super::error::{SsoError, SsoResult};
use super::super::{Ctx, Sso};
use super::token::sid_of;
use crate::crypto::jws;
use crate::domain::Session;
use serde_json::Value;

/// The parameters of a logout request.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// What to do with a logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// The client's display name, when one was named.
    pub client: Option<String>,
    /// Where the browser goes afterwards (a registered URI, with `state`).
    pub redirect: Option<String>,
    /// The hint names the browser's own session: the relying party proved it, no question is needed.
    pub confirmed: bool,
}

fn invalid(key: &str, message: &str) -> SsoError {
    SsoError::Invalid {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}

fn audience_has(claims: &Value, client: &str) -> bool {
    match &claims["aud"] {
        Value::String(aud) => aud == client,
        Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(client)),
        _ => false,
    }
}

impl Sso {
    /// Checks a logout request and decides what it needs. A hint that is not an ID token of this issuer, an
    /// unknown client, or a redirect URI the client did not register is refused (a page says why; no
    /// redirect).
    pub async fn plan_logout(
        &self,
        ctx: &Ctx,
        request: &LogoutRequest,
        browser: Option<&Session>,
    ) -> SsoResult<LogoutPlan> {
        let mut client_id = request.client_id.clone().filter(|c| !c.is_empty());
        let mut hinted_sid = None;
        if let Some(hint) = request.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
            let keys = self.verifying_keys(&ctx.tenant).await?;
            let claims = jws::verify(&keys, hint)
                .map_err(|_| invalid("id_token_hint", "is not an ID token this organisation issued"))?;
            if claims["iss"].as_str() != Some(self.issuer(&ctx.tenant).as_str()) {
                return Err(invalid("id_token_hint", "was issued by another issuer"));
            }
            let aud = match &claims["aud"] {
                Value::String(a) => Some(a.clone()),
                Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
                _ => None,
            };
            match (&client_id, aud) {
                (Some(id), _) if !audience_has(&claims, id) => {
                    return Err(invalid("client_id", "is not the audience of the id_token_hint"));
                }
                (None, Some(aud)) => client_id = Some(aud),
                _ => {}
            }
            hinted_sid = claims["sid"].as_str().map(str::to_owned);
        }
        let client = match &client_id {
            Some(id) => Some(
                self.known_client(ctx, id)
                    .await?
                    .ok_or_else(|| invalid("client_id", "names no application of this organisation"))?,
            ),
            None => None,
        };
        let redirect = match request.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()) {
            None => None,
            Some(uri) => {
                let Some(c) = &client else {
                    return Err(invalid(
                        "post_logout_redirect_uri",
                        "needs the id_token_hint or client_id of the application that registered it",
                    ));
                };
                if !c.client.settings.post_logout_redirect_uris.iter().any(|u| u == uri) {
                    return Err(invalid(
                        "post_logout_redirect_uri",
                        "is not registered for this application",
                    ));
                }
                Some(match request.state.as_deref().filter(|s| !s.is_empty()) {
                    Some(state) => {
                        let sep = if uri.contains('?') { '&' } else { '?' };
                        let state: String = form_urlencoded::byte_serialize(state.as_bytes()).collect();
                        format!("{uri}{sep}state={state}")
                    }
                    None => uri.to_owned(),
                })
            }
        };
        let confirmed = match (browser, &hinted_sid) {
            (Some(session), Some(sid)) => sid_of(session) == *sid,
            _ => false,
        };
        Ok(LogoutPlan {
            client: client.map(|c| c.client.display_name().to_owned()),
            redirect,
            confirmed,
        })
    }
}

impl Sso {
    /// Ends the browser's session for an RP-initiated logout (audited with the client that asked); like every
    /// logout it cannot fail for the person.
    pub async fn rp_logout(&self, ctx: &Ctx, ust: &str, client_id: Option<&str>) {
        let client = client_id.unwrap_or("-");
        if let Err(e) = self.logout(ctx, ust).await {
            tracing::warn!(error = %e, "logout failed");
            self.metrics
                .observe_oidc(ctx.tenant.slug.as_str(), "-", "logout", "server_error");
            return;
        }
        // A client id is a label only once it names a client of the tenant.
        let label = match self.known_client(ctx, client).await {
            Ok(Some(_)) => client,
            _ => "-",
        };
        self.metrics
            .observe_oidc(ctx.tenant.slug.as_str(), label, "logout", "ok");
        let (pk, c) = (ctx.tenant.pk, ctx.clone());
        let extra = serde_json::json!({"client_id": client_id}).to_string();
        let logged = self
            .store
            .tenant(pk, move |conn| {
                super::super::audit::append_ctx_extra(conn, &c, "oidc.logout", None, Ok(()), Some(extra))
            })
            .await;
        if let Err(e) = logged {
            tracing::warn!(error = %e, "logout not audited");
        }
    }
}
