//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a grant ends, each client that
//! registered a `backchannel_logout_uri` is sent a signed logout token naming the user (`sub`) and the session
//! it was given (`sid`). The notice is queued in the durable outbox in the transaction that ends the grant, so
//! the logout never waits for a client and a client that is down gets it later (retried with backoff); the token
//! is signed when it is sent (its life is short). Requests go through [`crate::outbound`], which refuses
//! internal addresses.

use super::super::{Sso, SsoError, Tenant};
use crate::crypto::jws::Alg;
use crate::crypto::random_urlsafe;
use crate::outbound::{Outbound, OutboundError};
use crate::store::oidc::{self as oidc_store};
use crate::store::oidc_grants::GrantRow;
use crate::store::outbox::{self, OutboxRow};
use crate::store::{AnyConnection, StoreResult, TenantPk, users};
use chrono::NaiveDateTime;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

/// The outbox kind of a back-channel logout.
pub const KIND: &str = "oidc.backchannel_logout";

/// How long a logout token is valid.
const TOKEN_SECONDS: i64 = 120;

/// The event a logout token carries.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Queues a logout notice for every client of these grants that takes them (once per client and `sid`).
pub fn enqueue_logouts(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    grants: &[GrantRow],
    now: NaiveDateTime,
) -> StoreResult<()> {
    let notices: BTreeSet<(&str, &str, i64)> = grants
        .iter()
        .map(|g| (g.app.as_str(), g.sid.as_str(), g.user_pk))
        .collect();
    for (app, sid, user_pk) in notices {
        let Some(uri) = oidc_store::client(conn, tenant, app)?.and_then(|c| c.backchannel_logout_uri) else {
            continue;
        };
        let sub = users::user_id_of(conn, user_pk)?;
        let body = json!({"sub": sub, "sid": sid}).to_string();
        outbox::enqueue(
            conn,
            &outbox::NewMessage {
                tenant,
                kind: KIND,
                recipient: &uri,
                subject: app,
                body_text: &body,
                body_html: "",
            },
            now,
        )?;
    }
    Ok(())
}

impl Sso {
    /// The client of outbound requests, as the instance configures it.
    pub fn outbound(&self) -> Outbound {
        Outbound {
            allow_private_networks: self.config.oidc.allow_private_network_requests,
            timeout: Duration::from_millis(self.config.oidc.request_timeout_ms.max(1)),
        }
    }

    /// Sends one queued logout notice: a logout token signed now, POSTed to the URI queued with it. A 2xx
    /// answer delivers it; a refused address, an unusable URI or a 4xx (other than 408 and 429) cannot succeed
    /// later; anything else is retried.
    pub(crate) async fn send_backchannel_logout(&self, tenant: &Tenant, row: &OutboxRow) -> Result<(), OutboundError> {
        let internal = |e: SsoError| OutboundError {
            message: format!("cannot make the logout token: {e}"),
            permanent: false,
        };
        let body: serde_json::Value = serde_json::from_str(&row.body_text).map_err(|_| OutboundError {
            message: "the queued notice is unreadable".to_owned(),
            permanent: true,
        })?;
        let alg = self.client_alg(tenant, &row.subject).await.map_err(internal)?;
        let key = self.signing_key_for(tenant, alg).await.map_err(internal)?;
        let iat = self.clock.now().and_utc().timestamp();
        let claims = json!({
            "iss": self.issuer(tenant),
            "aud": row.subject,
            "iat": iat,
            "exp": iat + TOKEN_SECONDS,
            "jti": random_urlsafe(16),
            "sub": body["sub"],
            "sid": body["sid"],
            "events": { EVENT: {} },
        });
        let token = key.sign_typed("logout+jwt", &claims).map_err(|e| OutboundError {
            message: e.to_string(),
            permanent: false,
        })?;
        let status = self
            .outbound()
            .post_form(&row.recipient, &[("logout_token", token.as_str())])
            .await?;
        match status {
            200..=299 => Ok(()),
            408 | 429 => Err(OutboundError {
                message: format!("the client answered {status}"),
                permanent: false,
            }),
            400..=499 => Err(OutboundError {
                message: format!("the client answered {status}"),
                permanent: true,
            }),
            _ => Err(OutboundError {
                message: format!("the client answered {status}"),
                permanent: false,
            }),
        }
    }

    /// The algorithm a client's tokens are signed with (RS256 when it has none, or no longer exists).
    pub(crate) async fn client_alg(&self, tenant: &Tenant, app: &str) -> Result<Alg, SsoError> {
        let (pk, app) = (tenant.pk, app.to_owned());
        let row = self
            .store
            .tenant_read(pk, move |conn| oidc_store::client(conn, pk, &app))
            .await?;
        Ok(row.and_then(|r| Alg::parse(&r.id_token_alg)).unwrap_or(Alg::Rs256))
    }
}
