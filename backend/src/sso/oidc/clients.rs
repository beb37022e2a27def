//! An app's OpenID Connect client settings: its redirect URIs (matched exactly), post-logout redirect URIs,
//! whether it is confidential (a secret, shown once, stored as SHA-256, regenerable) or public (PKCE required),
//! and whether its users are asked for consent. The `client_id` is the app's name, so the app rules (`apps.all`,
//! `login_allowed`, `require_key`) and the app's keys stay what they are; client authentication stands in for
//! `X-App-Key`.

use super::super::error::{Kind, SsoError, SsoResult};
use super::super::{Admin, Ctx, Sso, audit};
use crate::crypto::jws::Alg;
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::store::oidc::{self, ClientRow};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;
use serde_json::json;

/// What an administrator sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientSettings {
    /// A display name, free text (not unique); empty means the app's name.
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub confidential: bool,
    pub consent_required: bool,
    /// Where back-channel logout tokens are POSTed (https, or http to a loopback host).
    pub backchannel_logout_uri: Option<String>,
    /// The algorithm of its ID tokens (`id_token_signed_response_alg`).
    pub id_token_alg: Alg,
}

/// A client as the domain sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    pub settings: ClientSettings,
    pub has_secret: bool,
    pub creation_time: NaiveDateTime,
    pub modified_time: NaiveDateTime,
}

impl Client {
    /// The display name: the one set, else the client id.
    pub fn display_name(&self) -> &str {
        if self.settings.client_name.trim().is_empty() {
            &self.client_id
        } else {
            &self.settings.client_name
        }
    }

    /// The origin of a registered redirect URI (`scheme://host[:port]`), for the pages' `form-action`, or the
    /// scheme alone (`com.example.app:`) for a private-use scheme.
    pub fn redirect_origin(uri: &str) -> Option<String> {
        let (scheme, rest) = uri.split_once(':')?;
        match rest.strip_prefix("//") {
            Some(after) if scheme == "http" || scheme == "https" => {
                let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
                authority_ok(authority).then(|| format!("{scheme}://{authority}"))
            }
            _ => Some(format!("{scheme}:")),
        }
    }
}

/// A URI's host and port as a CSP source may hold them (nothing that could end a directive).
fn authority_ok(authority: &str) -> bool {
    !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// A new client secret, shown once.
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

fn new_secret() -> (ClientSecret, String) {
    let secret = format!("ghcs_{}", random_urlsafe(32));
    let hash = sha256_hex(&secret);
    (ClientSecret(secret), hash)
}

/// The most URIs of each kind a client may register, and the longest URI.
const MAX_URIS: usize = 20;
const MAX_URI_LEN: usize = 2000;

fn invalid(key: &str, message: impl Into<String>) -> SsoError {
    SsoError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// A redirect URI a client may register: absolute, without a fragment or white space; `https`, or `http` to a
/// loopback host (a development machine, RFC 8252 §7.3), or a private-use scheme with a dot (`com.example.app:`,
/// RFC 8252 §7.1).
pub fn check_redirect_uri(key: &str, uri: &str) -> SsoResult<()> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err(invalid(key, format!("a URI has 1 to {MAX_URI_LEN} characters")));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) || uri.contains('#') {
        return Err(invalid(
            key,
            format!("`{uri}`: no white space and no fragment (#) in a redirect URI"),
        ));
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(invalid(key, format!("`{uri}` is not an absolute URI")));
    };
    let scheme_ok = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(invalid(key, format!("`{uri}` is not an absolute URI")));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" | "http" => {
            let Some(after) = rest.strip_prefix("//") else {
                return Err(invalid(key, format!("`{uri}` has no host")));
            };
            let authority = after.split(['/', '?']).next().unwrap_or_default();
            if authority.is_empty() || authority.contains('@') {
                return Err(invalid(key, format!("`{uri}`: a host, without user information")));
            }
            if !authority_ok(authority) {
                return Err(invalid(
                    key,
                    format!("`{uri}`: the host may hold letters, digits, `.`, `-`, `:`, `[`, `]`"),
                ));
            }
            if scheme != scheme.to_ascii_lowercase() {
                return Err(invalid(key, format!("`{uri}`: write the scheme in lower case")));
            }
            let host = match authority.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
                None => authority.split(':').next().unwrap_or_default().to_ascii_lowercase(),
            };
            let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if scheme == "http" && !loopback {
                return Err(invalid(
                    key,
                    format!("`{uri}`: use https (plain http is allowed only to localhost and 127.0.0.1)"),
                ));
            }
            Ok(())
        }
        "javascript" | "data" | "file" | "vbscript" | "blob" => Err(invalid(
            key,
            format!("`{uri}`: the scheme `{scheme}` cannot be a redirect URI"),
        )),
        _ if scheme.contains('.') => Ok(()),
        _ => Err(invalid(
            key,
            format!("`{uri}`: use https, or an app's private scheme in reverse domain order (com.example.app:)"),
        )),
    }
}

pub(crate) fn check_settings(settings: &ClientSettings) -> SsoResult<()> {
    if settings.client_name.chars().count() > 200 || settings.client_name.chars().any(char::is_control) {
        return Err(invalid("client_name", "at most 200 characters, no control characters"));
    }
    for (key, list) in [
        ("redirect_uris", &settings.redirect_uris),
        ("post_logout_redirect_uris", &settings.post_logout_redirect_uris),
    ] {
        if list.len() > MAX_URIS {
            return Err(invalid(key, format!("at most {MAX_URIS} URIs")));
        }
        for uri in list {
            check_redirect_uri(key, uri)?;
        }
    }
    if let Some(uri) = &settings.backchannel_logout_uri {
        check_backchannel_uri(uri)?;
    }
    Ok(())
}

/// The ID-token algorithm a client asks for by its JOSE name (none: RS256).
pub fn parse_alg(name: Option<&str>) -> SsoResult<Alg> {
    match name.filter(|n| !n.is_empty()) {
        None => Ok(Alg::Rs256),
        Some(n) => Alg::parse(n).ok_or_else(|| {
            invalid(
                "id_token_signed_response_alg",
                format!("`{n}` is not supported: RS256, ES256 or EdDSA"),
            )
        }),
    }
}

/// A back-channel logout URI: an absolute `https` URI (or `http` to a loopback host), without a fragment
/// (Back-Channel Logout 1.0 §2.2). Where it may point is checked again on every request (`crate::outbound`).
pub fn check_backchannel_uri(uri: &str) -> SsoResult<()> {
    const KEY: &str = "backchannel_logout_uri";
    check_redirect_uri(KEY, uri)?;
    if !(uri.starts_with("https://") || uri.starts_with("http://")) {
        return Err(invalid(KEY, format!("`{uri}`: an https URI")));
    }
    Ok(())
}

fn uris(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn to_client(row: &ClientRow) -> Client {
    Client {
        client_id: row.app.clone(),
        settings: ClientSettings {
            client_name: row.client_name.clone(),
            redirect_uris: uris(&row.redirect_uris),
            post_logout_redirect_uris: uris(&row.post_logout_redirect_uris),
            confidential: row.confidential,
            consent_required: row.consent_required,
            backchannel_logout_uri: row.backchannel_logout_uri.clone(),
            id_token_alg: Alg::parse(&row.id_token_alg).unwrap_or_default(),
        },
        has_secret: row.secret_hash.is_some(),
        creation_time: row.creation_time,
        modified_time: row.modified_time,
    }
}

fn no_such_client() -> SsoError {
    SsoError::refused(Kind::NotFound, SubStatus::AppListInvalid)
}

/// A client found for a protocol request, with what authenticates it.
#[derive(Clone)]
pub struct KnownClient {
    pub client: Client,
    secret_hash: Option<String>,
}

impl std::fmt::Debug for KnownClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownClient")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl KnownClient {
    /// Whether `secret` is this confidential client's secret (compared in constant time, by hash).
    pub fn secret_matches(&self, secret: &str) -> bool {
        use subtle::ConstantTimeEq;
        let Some(stored) = &self.secret_hash else { return false };
        bool::from(sha256_hex(secret).as_bytes().ct_eq(stored.as_bytes()))
    }
}

impl Sso {
    /// The tenant's clients (apps with client settings).
    pub async fn clients(&self, admin: &Admin) -> SsoResult<Vec<Client>> {
        let pk = admin.ctx().tenant.pk;
        let rows = self.store.tenant(pk, move |conn| oidc::clients(conn, pk)).await?;
        Ok(rows.iter().map(to_client).collect())
    }

    /// One app's client settings.
    pub async fn client(&self, admin: &Admin, app: &str) -> SsoResult<Client> {
        let (pk, app) = (admin.ctx().tenant.pk, app.to_owned());
        let row = self.store.tenant(pk, move |conn| oidc::client(conn, pk, &app)).await?;
        row.as_ref().map(to_client).ok_or_else(no_such_client)
    }

    /// Sets an app's client settings. A client that becomes confidential without a secret gets one, returned
    /// this once; one that becomes public loses its secret.
    pub async fn put_client(
        &self,
        admin: &Admin,
        app: &str,
        settings: ClientSettings,
    ) -> SsoResult<(Client, Option<ClientSecret>)> {
        let ctx = admin.ctx();
        check_settings(&settings)?;
        let policy = self.policy(&ctx.tenant).await?;
        if !policy.apps.all.contains(app) {
            return Err(SsoError::refused(Kind::NotFound, SubStatus::AppListInvalid));
        }
        let (pk, name, c) = (ctx.tenant.pk, app.to_owned(), ctx.clone());
        let (row, secret) = self
            .store
            .tenant(pk, move |conn| {
                let before = oidc::client(conn, pk, &name)?;
                let mut secret = None;
                let secret_hash = match (&before, settings.confidential) {
                    (_, false) => None,
                    (Some(b), true) if b.secret_hash.is_some() => b.secret_hash.clone(),
                    _ => {
                        let (plain, hash) = new_secret();
                        secret = Some(plain);
                        Some(hash)
                    }
                };
                let row = ClientRow {
                    id: 0,
                    tenant_id: pk,
                    app: name.clone(),
                    client_name: settings.client_name.trim().to_owned(),
                    redirect_uris: json!(settings.redirect_uris).to_string(),
                    post_logout_redirect_uris: json!(settings.post_logout_redirect_uris).to_string(),
                    confidential: settings.confidential,
                    secret_hash,
                    consent_required: settings.consent_required,
                    creation_time: before.as_ref().map_or(c.now, |b| b.creation_time),
                    modified_time: c.now,
                    backchannel_logout_uri: settings.backchannel_logout_uri.clone(),
                    id_token_alg: settings.id_token_alg.as_str().to_owned(),
                };
                oidc::put_client(conn, &row)?;
                let extra = json!({
                    "app": name,
                    "redirect_uris": settings.redirect_uris,
                    "confidential": settings.confidential,
                    "consent_required": settings.consent_required,
                })
                .to_string();
                audit::append_ctx_extra(conn, &c, "app.client_put", None, Ok(()), Some(extra))?;
                Ok((row, secret))
            })
            .await?;
        Ok((to_client(&row), secret))
    }

    /// A new secret for a confidential client; the old one stops working at once.
    pub async fn regenerate_client_secret(&self, admin: &Admin, app: &str) -> SsoResult<ClientSecret> {
        let ctx = admin.ctx();
        let (pk, name, c) = (ctx.tenant.pk, app.to_owned(), ctx.clone());
        self.store
            .tenant_with(pk, move |conn| {
                let Some(mut row) = oidc::client(conn, pk, &name)? else {
                    return Err(no_such_client());
                };
                if !row.confidential {
                    return Err(invalid("confidential", "a public client has no secret"));
                }
                let (plain, hash) = new_secret();
                row.secret_hash = Some(hash);
                row.modified_time = c.now;
                oidc::put_client(conn, &row)?;
                let extra = json!({"app": name}).to_string();
                audit::append_ctx_extra(conn, &c, "app.client_secret", None, Ok(()), Some(extra))?;
                Ok(plain)
            })
            .await
    }

    /// Removes an app's client settings (and its consents and waiting codes): it is an app like before.
    pub async fn delete_client(&self, admin: &Admin, app: &str) -> SsoResult<()> {
        let ctx = admin.ctx();
        let (pk, name, c) = (ctx.tenant.pk, app.to_owned(), ctx.clone());
        self.store
            .tenant_with(pk, move |conn| {
                if oidc::client(conn, pk, &name)?.is_none() {
                    return Err(no_such_client());
                }
                oidc::forget_app(conn, pk, &name)?;
                let extra = json!({"app": name}).to_string();
                audit::append_ctx_extra(conn, &c, "app.client_delete", None, Ok(()), Some(extra))?;
                Ok(())
            })
            .await
    }

    /// The name to show for a client (its display name, else its id).
    pub async fn client_display_name(&self, ctx: &Ctx, client_id: &str) -> String {
        match self.known_client(ctx, client_id).await {
            Ok(Some(c)) => c.client.display_name().to_owned(),
            _ => client_id.to_owned(),
        }
    }

    /// The client a protocol request names, if the tenant has it and it is still one of the tenant's apps.
    pub(crate) async fn known_client(&self, ctx: &Ctx, client_id: &str) -> SsoResult<Option<KnownClient>> {
        let policy = self.policy(&ctx.tenant).await?;
        if !super::super::login::app_listed(&policy.apps.all, client_id) {
            return Ok(None);
        }
        let (pk, app) = (ctx.tenant.pk, client_id.to_owned());
        let row = self
            .store
            .tenant_read(pk, move |conn| oidc::client(conn, pk, &app))
            .await?;
        Ok(row.map(|row| KnownClient {
            client: to_client(&row),
            secret_hash: row.secret_hash,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_loopback_http_or_a_private_scheme() {
        for ok in [
            "https://app.example.com/cb",
            "https://app.example.com:8443/cb?x=1",
            "http://127.0.0.1:3000/cb",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth",
        ] {
            assert!(check_redirect_uri("redirect_uris", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/relative",
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "https://user@app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "myapp:/cb",
            "https:///nohost",
            "https://app.example.com/a b",
            "HTTPS://app.example.com/cb",
            "https://app.example.com;script-src/cb",
            "http://127.attacker.example/cb",
        ] {
            let e = check_redirect_uri("redirect_uris", bad).unwrap_err();
            assert!(
                matches!(e, SsoError::Invalid { ref key, .. } if key == "redirect_uris"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_origin_of_a_redirect_uri_is_what_form_action_needs() {
        assert_eq!(
            Client::redirect_origin("https://a.example:8443/cb?x").as_deref(),
            Some("https://a.example:8443")
        );
        assert_eq!(
            Client::redirect_origin("com.example.app:/cb").as_deref(),
            Some("com.example.app:")
        );
    }

    #[test]
    fn a_secret_never_reaches_a_debug_print() {
        let (secret, _) = new_secret();
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }
}
