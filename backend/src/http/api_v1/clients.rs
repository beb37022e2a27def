//! An app's OpenID Connect client settings on the native API (super-users of the tenant): read, set, remove,
//! and a new secret for a confidential client.

use super::Caller;
use super::auth::authed_super;
use super::params::{AppName, Authenticated};
use super::responses::{NoSuchApp, SuperUserErrors};
use crate::http::call::rfc3339;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::oidc::clients::{self, Client, ClientSettings};
use actix_web::{HttpResponse, web};
use gatehouse_shared::api;

fn wire(c: Client, secret: Option<String>) -> api::Client {
    api::Client {
        client_id: c.client_id,
        client_name: c.settings.client_name,
        redirect_uris: c.settings.redirect_uris,
        post_logout_redirect_uris: c.settings.post_logout_redirect_uris,
        confidential: c.settings.confidential,
        consent_required: c.settings.consent_required,
        backchannel_logout_uri: c.settings.backchannel_logout_uri,
        id_token_signed_response_alg: c.settings.id_token_alg.as_str().to_owned(),
        has_secret: c.has_secret,
        creation_time: rfc3339(c.creation_time),
        modified_time: rfc3339(c.modified_time),
        client_secret: secret,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/apps/{name}/client",
    tag = "administration",
    params(Authenticated, AppName),
    responses((status = 200, description = "The app's client settings", body = api::Client), NoSuchApp, SuperUserErrors),
)]
pub async fn get(
    (sso, call, req): Caller,
    path: web::Path<(String, String)>,
) -> Result<web::Json<api::Client>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let client = sso.client(&admin, &path.into_inner().1).await?;
    Ok(web::Json(wire(client, None)))
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/apps/{name}/client",
    tag = "administration",
    params(Authenticated, AppName),
    request_body = api::ClientBody,
    responses(
        (status = 200, description = "The client settings; `client_secret` when this call made one (shown once)", body = api::Client),
        (status = 400, description = "E008002: a malformed body", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E008002: a redirect URI or name not allowed; `detail` names the field and says what is", body = api::Problem, content_type = "application/problem+json"),
        NoSuchApp, SuperUserErrors,
    ),
)]
pub async fn put(
    (sso, call, req): Caller,
    path: web::Path<(String, String)>,
    body: JsonBody<api::ClientBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let b = body.take()?;
    let settings = ClientSettings {
        client_name: b.client_name,
        redirect_uris: b.redirect_uris,
        post_logout_redirect_uris: b.post_logout_redirect_uris,
        confidential: b.confidential,
        consent_required: b.consent_required,
        backchannel_logout_uri: b.backchannel_logout_uri.filter(|u| !u.is_empty()),
        id_token_alg: clients::parse_alg(b.id_token_signed_response_alg.as_deref())?,
    };
    let (client, secret) = sso.put_client(&admin, &path.into_inner().1, settings).await?;
    Ok(HttpResponse::Ok().json(wire(client, secret.map(|s| s.expose().to_owned()))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/apps/{name}/client",
    tag = "administration",
    params(Authenticated, AppName),
    responses((status = 204, description = "The app is no longer a client (its consents and waiting codes go too)"), NoSuchApp, SuperUserErrors),
)]
pub async fn delete((sso, call, req): Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    sso.delete_client(&admin, &path.into_inner().1).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/apps/{name}/client/secret",
    tag = "administration",
    params(Authenticated, AppName),
    responses(
        (status = 201, description = "A new secret, shown this once; the old one no longer works", body = api::ClientSecret),
        (status = 422, description = "E008002: a public client has no secret", body = api::Problem, content_type = "application/problem+json"),
        NoSuchApp, SuperUserErrors,
    ),
)]
pub async fn new_secret((sso, call, req): Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let app = path.into_inner().1;
    let secret = sso.regenerate_client_secret(&admin, &app).await?;
    Ok(HttpResponse::Created().json(api::ClientSecret {
        client_id: app,
        client_secret: secret.expose().to_owned(),
    }))
}
