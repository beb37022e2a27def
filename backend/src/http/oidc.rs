//! The OpenID Provider's machine endpoints under each tenant's issuer: discovery
//! (`/.well-known/openid-configuration`), the token endpoint, UserInfo and the JWKS. Their errors are the
//! protocols' JSON (`{"error", "error_description"}`), never problem+json: a relying party's library reads them.
//! The browser's endpoints (authorization, consent) are pages (`pages/authorize.rs`).

use super::call::{Call, bearer};
use crate::sso::Sso;
use crate::sso::oidc::OAuthError;
use crate::sso::oidc::claims::CLAIMS_SUPPORTED;
use crate::sso::oidc::token::{ClientAuth, TokenRequest, scopes_supported};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::{Value, json};

/// The machine endpoints, for the `/t/{tenant}` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/openid-configuration", web::get().to(discovery))
        .route("/oidc/jwks", web::get().to(jwks))
        .route("/oidc/token", web::post().to(token))
        .route("/oidc/revoke", web::post().to(revoke))
        .route("/oidc/introspect", web::post().to(introspect))
        .route("/oidc/register", web::post().to(register))
        .route("/oidc/userinfo", web::get().to(userinfo))
        .route("/oidc/userinfo", web::post().to(userinfo_post));
}

fn json_reply(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .body(body.to_string())
}

/// Public documents any origin may read (a browser-based client fetches them).
fn public_json(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body.to_string())
}

fn oauth_error(e: &OAuthError) -> HttpResponse {
    let status = StatusCode::from_u16(e.token_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = json_reply(status, json!({"error": e.error, "error_description": e.description}));
    if e.error == "temporarily_unavailable" {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    res
}

/// `GET {issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).
pub async fn discovery(sso: web::Data<Sso>, call: Call) -> HttpResponse {
    let issuer = sso.issuer(&call.ctx.tenant);
    public_json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oidc/authorize"),
        "token_endpoint": format!("{issuer}/oidc/token"),
        "userinfo_endpoint": format!("{issuer}/oidc/userinfo"),
        "jwks_uri": format!("{issuer}/oidc/jwks"),
        "registration_endpoint": format!("{issuer}/oidc/register"),
        "revocation_endpoint": format!("{issuer}/oidc/revoke"),
        "introspection_endpoint": format!("{issuer}/oidc/introspect"),
        "end_session_endpoint": format!("{issuer}/oidc/logout"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": false,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "scopes_supported": scopes_supported(),
        "claims_supported": CLAIMS_SUPPORTED,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "userinfo_signing_alg_values_supported": [],
        "ui_locales_supported": ["en"],
    }))
}

/// `GET {issuer}/oidc/jwks`.
pub async fn jwks(sso: web::Data<Sso>, call: Call) -> HttpResponse {
    match sso.jwks(&call.ctx.tenant).await {
        Ok(keys) => public_json(keys),
        Err(e) => oauth_error(&OAuthError::from(e)),
    }
}

/// A form body's parameters; `None` when one is repeated (RFC 6749 §3.2: parameters appear at most once).
fn form_once(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    if pairs.len() > MAX_PARAMETERS {
        return Err(format!("more than {MAX_PARAMETERS} parameters"));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &pairs {
        if !seen.insert(k.as_str()) {
            return Err(format!(
                "`{}` is given more than once",
                k.chars().take(64).collect::<String>()
            ));
        }
    }
    Ok(pairs)
}

/// More parameters than any token or UserInfo request has is not a request.
const MAX_PARAMETERS: usize = 64;

fn get(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// `Authorization: Basic` as RFC 6749 §2.3.1 writes it: the id and secret form-encoded, then joined by `:`.
fn basic_credentials(req: &HttpRequest) -> Option<Result<(String, String), ()>> {
    let raw = req.headers().get(header::AUTHORIZATION)?;
    let Ok(value) = raw.to_str() else {
        return Some(Err(()));
    };
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Some(Err(()));
    };
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some(Ok((unescape(id), unescape(secret))))
}

/// How the client authenticated: exactly one method (RFC 6749 §2.3).
fn client_auth(req: &HttpRequest, pairs: &[(String, String)]) -> Result<Option<ClientAuth>, OAuthError> {
    let body_id = get(pairs, "client_id");
    let body_secret = get(pairs, "client_secret");
    match basic_credentials(req) {
        Some(Err(())) => Err(OAuthError::new(
            "invalid_client",
            "the Basic credentials cannot be read",
        )),
        Some(Ok(_)) if body_secret.is_some() => Err(OAuthError::new(
            "invalid_request",
            "the client authenticated in more than one way",
        )),
        Some(Ok((id, secret))) => {
            if body_id.as_ref().is_some_and(|b| *b != id) {
                return Err(OAuthError::new(
                    "invalid_request",
                    "`client_id` differs from the Basic credentials",
                ));
            }
            Ok(Some(ClientAuth::Basic { client_id: id, secret }))
        }
        None => Ok(match (body_id, body_secret) {
            (Some(id), Some(secret)) => Some(ClientAuth::Post { client_id: id, secret }),
            (Some(id), None) => Some(ClientAuth::None { client_id: id }),
            (None, _) => None,
        }),
    }
}

/// `POST {issuer}/oidc/token`.
pub async fn token(sso: web::Data<Sso>, call: Call, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (pairs, auth) = match client_form(&req, &body) {
        Ok(parsed) => parsed,
        Err(e) => return client_error(&e),
    };
    let request = TokenRequest {
        grant_type: get(&pairs, "grant_type"),
        code: get(&pairs, "code"),
        redirect_uri: get(&pairs, "redirect_uri"),
        code_verifier: get(&pairs, "code_verifier"),
        refresh_token: get(&pairs, "refresh_token"),
        scope: get(&pairs, "scope"),
    };
    match sso.token(&call.ctx, auth.as_ref(), request).await {
        Ok(tokens) => {
            let mut body = json!({
                "access_token": tokens.access_token.expose(),
                "token_type": "Bearer",
                "expires_in": tokens.expires_in,
                "id_token": tokens.id_token,
                "scope": tokens.scope,
            });
            if let Some(refresh) = &tokens.refresh_token {
                body["refresh_token"] = json!(refresh.expose());
            }
            json_reply(StatusCode::OK, body)
        }
        Err(e) => client_error(&e),
    }
}

/// A protocol error of an endpoint clients authenticate at; every 401 names its scheme (RFC 7235 §3.1).
fn client_error(e: &OAuthError) -> HttpResponse {
    let mut res = oauth_error(e);
    if e.error == "invalid_client" {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    res
}

/// A form's parameters, each once.
type Pairs = Vec<(String, String)>;

/// A form-encoded request of an authenticated client: its parameters and how it authenticated.
fn client_form(req: &HttpRequest, body: &[u8]) -> Result<(Pairs, Option<ClientAuth>), OAuthError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(OAuthError::new(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let pairs = form_once(body).map_err(|why| OAuthError::new("invalid_request", why))?;
    let auth = client_auth(req, &pairs)?;
    Ok((pairs, auth))
}

/// `POST {issuer}/oidc/revoke` (RFC 7009): 200 whether or not the token was known.
pub async fn revoke(sso: web::Data<Sso>, call: Call, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (pairs, auth) = match client_form(&req, &body) {
        Ok(parsed) => parsed,
        Err(e) => return client_error(&e),
    };
    match sso.revoke(&call.ctx, auth.as_ref(), get(&pairs, "token")).await {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(e) => client_error(&e),
    }
}

/// `POST {issuer}/oidc/introspect` (RFC 7662).
pub async fn introspect(sso: web::Data<Sso>, call: Call, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (pairs, auth) = match client_form(&req, &body) {
        Ok(parsed) => parsed,
        Err(e) => return client_error(&e),
    };
    match sso.introspect(&call.ctx, auth.as_ref(), get(&pairs, "token")).await {
        Ok(answer) => json_reply(StatusCode::OK, answer),
        Err(e) => client_error(&e),
    }
}

/// `POST {issuer}/oidc/register` (RFC 7591), authorised by a super-user's UST as the initial access token.
pub async fn register(sso: web::Data<Sso>, call: Call, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    let metadata = if json {
        serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object)
    } else {
        None
    };
    let Some(metadata) = metadata else {
        return oauth_error(&OAuthError::new(
            "invalid_client_metadata",
            "the body must be a JSON object (application/json)",
        ));
    };
    match sso.register_client(&call.ctx, bearer(&req).as_deref(), &metadata).await {
        Ok(registered) => json_reply(StatusCode::CREATED, registered),
        Err(e) => match e.error {
            "invalid_token" | "insufficient_scope" => {
                let status = if e.error == "invalid_token" {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                let challenge = format!("Bearer error=\"{}\"", e.error);
                let mut res = json_reply(status, json!({"error": e.error, "error_description": e.description}));
                if let Ok(value) = header::HeaderValue::from_str(&challenge) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
                res
            }
            _ => oauth_error(&e),
        },
    }
}

fn bearer_error(e: &OAuthError) -> HttpResponse {
    let (status, challenge) = match e.error {
        "invalid_token" => (StatusCode::UNAUTHORIZED, "Bearer error=\"invalid_token\""),
        "invalid_request" => (StatusCode::BAD_REQUEST, "Bearer error=\"invalid_request\""),
        _ => return oauth_error(e),
    };
    let mut res = json_reply(status, json!({"error": e.error, "error_description": e.description}));
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static(challenge));
    res
}

async fn answer_userinfo(sso: &Sso, call: &Call, token: Option<String>) -> HttpResponse {
    let Some(token) = token else {
        let mut res = json_reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": "no access token was sent"}),
        );
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return res;
    };
    match sso.userinfo(&call.ctx, &token).await {
        Ok(claims) => json_reply(StatusCode::OK, claims),
        Err(e) => bearer_error(&e),
    }
}

/// `GET {issuer}/oidc/userinfo` with `Authorization: Bearer`.
pub async fn userinfo(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> HttpResponse {
    answer_userinfo(&sso, &call, bearer(&req)).await
}

/// `POST {issuer}/oidc/userinfo`: the token in the header, or as `access_token` in a form body (RFC 6750
/// §2.2), not both.
pub async fn userinfo_post(sso: web::Data<Sso>, call: Call, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let in_header = bearer(&req);
    let pairs = match form_once(&body) {
        Ok(pairs) => pairs,
        Err(why) => return bearer_error(&OAuthError::new("invalid_request", why)),
    };
    let in_body = get(&pairs, "access_token");
    if in_header.is_some() && in_body.is_some() {
        return bearer_error(&OAuthError::new(
            "invalid_request",
            "the token was sent in more than one way",
        ));
    }
    answer_userinfo(&sso, &call, in_header.or(in_body)).await
}
