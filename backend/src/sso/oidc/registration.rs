//! Dynamic client registration (RFC 7591) at `{issuer}/oidc/register`. The initial access token is the UST of
//! a super-user of the tenant (not an OpenID Connect grant's); a registered client is an app like one an
//! administrator adds (listed in `apps.all` and `apps.login_allowed`, its client settings under the same rules),
//! with a generated `client_id`, consent required (its users have not heard of it), and the metadata it sent
//! validated before anything is written.

use super::super::{Ctx, Sso, SsoError, audit};
use super::OAuthError;
use super::clients::{self, ClientSettings};
use serde_json::{Value, json};

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_client_metadata", description)
}

fn strings(metadata: &Value, key: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match metadata.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| metadata_error(format!("`{key}` must be an array of strings"))),
        Some(_) => Err(metadata_error(format!("`{key}` must be an array of strings"))),
    }
}

fn string(metadata: &Value, key: &str) -> Result<Option<String>, OAuthError> {
    match metadata.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(metadata_error(format!("`{key}` must be a string"))),
    }
}

/// What registering sends: the client's metadata as Gatehouse keeps it, and whether it is confidential.
struct Metadata {
    settings: ClientSettings,
    auth_method: String,
    grant_types: Vec<String>,
    application_type: String,
}

fn read_metadata(metadata: &Value) -> Result<Metadata, OAuthError> {
    let redirect_uris = strings(metadata, "redirect_uris")?.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(OAuthError::new("invalid_redirect_uri", "`redirect_uris` is required"));
    }
    let auth_method = string(metadata, "token_endpoint_auth_method")?.unwrap_or_else(|| "client_secret_basic".into());
    let confidential = match auth_method.as_str() {
        "client_secret_basic" | "client_secret_post" => true,
        "none" => false,
        other => {
            return Err(metadata_error(format!(
                "`token_endpoint_auth_method` `{}` is not supported: client_secret_basic, client_secret_post or none",
                other.chars().take(64).collect::<String>()
            )));
        }
    };
    let grant_types = strings(metadata, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    if !grant_types.iter().any(|g| g == "authorization_code") {
        return Err(metadata_error(
            "`grant_types` must include `authorization_code`: a client signs its users in with a code",
        ));
    }
    if let Some(g) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(metadata_error(format!(
            "grant type `{}` is not supported: authorization_code and refresh_token",
            g.chars().take(64).collect::<String>()
        )));
    }
    let response_types = strings(metadata, "response_types")?.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(metadata_error("the only response type supported is `code`"));
    }
    let application_type = string(metadata, "application_type")?.unwrap_or_else(|| "web".into());
    if !matches!(application_type.as_str(), "web" | "native") {
        return Err(metadata_error("`application_type` is `web` or `native`"));
    }
    let alg = string(metadata, "id_token_signed_response_alg")?;
    let id_token_alg = clients::parse_alg(alg.as_deref()).map_err(|e| metadata_error(e.to_string()))?;
    let settings = ClientSettings {
        client_name: string(metadata, "client_name")?.unwrap_or_default(),
        redirect_uris,
        post_logout_redirect_uris: strings(metadata, "post_logout_redirect_uris")?.unwrap_or_default(),
        confidential,
        consent_required: true,
        backchannel_logout_uri: string(metadata, "backchannel_logout_uri")?.filter(|u| !u.is_empty()),
        id_token_alg,
    };
    // The same rules as an administrator's settings, before anything is written.
    clients::check_settings(&settings).map_err(|e| match e {
        SsoError::Invalid { key, message } if key == "redirect_uris" || key == "post_logout_redirect_uris" => {
            OAuthError::new("invalid_redirect_uri", message)
        }
        SsoError::Invalid { message, .. } => metadata_error(message),
        other => OAuthError::from(other),
    })?;
    Ok(Metadata {
        settings,
        auth_method,
        grant_types,
        application_type,
    })
}

impl Sso {
    /// Registers a client; answers its `client_id`, its secret (a confidential client's, shown once) and the
    /// metadata as registered.
    pub async fn register_client(
        &self,
        ctx: &Ctx,
        bearer: Option<&str>,
        metadata: &Value,
    ) -> Result<Value, OAuthError> {
        let result = self.register_steps(ctx, bearer, metadata).await;
        let outcome = result.as_ref().map_or_else(|e| e.error, |_| "ok");
        self.metrics
            .observe_oidc(ctx.tenant.slug.as_str(), "-", "register", outcome);
        result
    }

    async fn register_steps(&self, ctx: &Ctx, bearer: Option<&str>, metadata: &Value) -> Result<Value, OAuthError> {
        let Some(token) = bearer else {
            return Err(OAuthError::new(
                "invalid_token",
                "an initial access token (a super-user's UST) is required",
            ));
        };
        let current = match self.bearer_session(ctx, token).await {
            Ok(current) => current,
            Err(SsoError::Refused { .. }) => {
                return Err(OAuthError::new(
                    "invalid_token",
                    "the initial access token is not valid",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let Ok(admin) = current.require_super_user(ctx) else {
            return Err(OAuthError::new(
                "insufficient_scope",
                "registering a client needs a super-user of this organisation",
            ));
        };
        let m = read_metadata(metadata)?;
        let client_id = format!("client-{}", hex::encode(rand::random::<[u8; 8]>()));
        let as_metadata = |e: SsoError| match e {
            SsoError::Invalid { message, .. } => metadata_error(message),
            other => OAuthError::from(other),
        };
        self.put_app(&admin, &client_id, true, false, false)
            .await
            .map_err(as_metadata)?;
        // From here on, a failure takes the app away again: nothing is left half made.
        let made = async {
            let tenant = self.resolve_tenant(ctx.tenant.slug.as_str()).await?;
            let admin = admin.refreshed(tenant)?;
            let (client, secret) = self.put_client(&admin, &client_id, m.settings.clone()).await?;
            let (pk, c, id) = (ctx.tenant.pk, admin.ctx().clone(), client_id.clone());
            self.store
                .tenant(pk, move |conn| {
                    let extra = json!({"client_id": id}).to_string();
                    audit::append_ctx_extra(conn, &c, "oidc.register", None, Ok(()), Some(extra))
                })
                .await?;
            Ok::<_, SsoError>((client, secret))
        }
        .await;
        let (client, secret) = match made {
            Ok(done) => done,
            Err(e) => {
                if let Err(undo) = self.delete_app(&admin, &client_id).await {
                    tracing::warn!(error = %undo, "a failed registration left its app");
                }
                return Err(as_metadata(e));
            }
        };
        let s = &client.settings;
        let mut answer = json!({
            "client_id": client.client_id,
            "client_id_issued_at": client.creation_time.and_utc().timestamp(),
            "client_name": client.display_name(),
            "redirect_uris": s.redirect_uris,
            "post_logout_redirect_uris": s.post_logout_redirect_uris,
            "token_endpoint_auth_method": m.auth_method,
            "grant_types": m.grant_types,
            "response_types": ["code"],
            "application_type": m.application_type,
            "id_token_signed_response_alg": s.id_token_alg.as_str(),
        });
        if let Some(uri) = &s.backchannel_logout_uri {
            answer["backchannel_logout_uri"] = json!(uri);
            answer["backchannel_logout_session_required"] = json!(true);
        }
        if let Some(secret) = secret {
            answer["client_secret"] = json!(secret.expose());
            answer["client_secret_expires_at"] = json!(0);
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_with_the_registration_errors_of_rfc_7591() {
        let ok =
            read_metadata(&json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "none"}))
                .unwrap();
        assert!(!ok.settings.confidential);
        assert!(ok.settings.consent_required);
        for (body, error) in [
            (json!({}), "invalid_redirect_uri"),
            (
                json!({"redirect_uris": ["http://rp.example/cb"]}),
                "invalid_redirect_uri",
            ),
            (
                json!({"redirect_uris": "https://rp.example/cb"}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://rp.example/cb"], "grant_types": ["implicit"]}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://rp.example/cb"], "response_types": ["token"]}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://rp.example/cb"], "id_token_signed_response_alg": "none"}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://rp.example/cb"], "backchannel_logout_uri": "ftp://rp.example/x"}),
                "invalid_client_metadata",
            ),
        ] {
            assert_eq!(read_metadata(&body).err().map(|e| e.error), Some(error), "{body}");
        }
    }
}
