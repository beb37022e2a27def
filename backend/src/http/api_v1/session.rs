//! Login, logout and the current session on the native API.

use super::Caller;
use super::params::{Anonymous, Authenticated, LoggingOut};
use super::responses::{BodyErrors, HashQueueFull, PasswordPolicy, SessionErrors, TenantErrors};
use crate::crypto::password::Password;
use crate::http::call::{Call, bearer, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::login::LoginRequest;
use crate::sso::session::no_such_session;
use actix_web::{HttpResponse, web};
use gatehouse_shared::api;

/// The login call of a native body (a continuation is the web UI's alone).
fn login_request(body: api::LoginBody) -> LoginRequest {
    LoginRequest {
        username: body.username,
        password: body.password.map(Password::new),
        totp_code: body.totp_code,
        new_password: body.new_password.map(Password::new),
        remote_addr: body.remote_addr,
        user_agent: body.user_agent,
        continuation: None,
        passkey: None,
        passkey_step: false,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/login",
    tag = "sessions",
    params(Anonymous),
    request_body = api::LoginBody,
    responses(
        (status = 200, description = "The new session; `warnings` carries W003005 when the password is about to expire", body = api::SessionInfo),
        (status = 401, description = "E005001 wrong credentials or hidden reason; E005002 locked; E005003 not confirmed; E005004 not approved; E005008 TOTP missing; E004001 app not allowed; E003004 password expired; E003006 about to expire; E003007 new password required; E006001 login metadata not allowed", body = api::Problem, content_type = "application/problem+json"),
        (status = 413, description = "E008002: the body is larger than server.max_body_bytes", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, HashQueueFull, PasswordPolicy, TenantErrors,
    ),
)]
pub async fn login(
    sso: web::Data<Sso>,
    call: Call,
    body: JsonBody<api::LoginBody>,
) -> Result<web::Json<api::SessionInfo>, ApiError> {
    let done = sso.login(&call.ctx, login_request(body.take()?)).await?;
    Ok(web::Json(session_info(done)))
}

/// A new session on the wire.
pub fn session_info(done: crate::sso::login::LoginSuccess) -> api::SessionInfo {
    let s = done.session;
    api::SessionInfo {
        username: s.username,
        user_id: s.user_id,
        ust: s.ust,
        session_id: s.session_id,
        creation_time: rfc3339(s.creation_time),
        expiration_time: rfc3339(s.expiration_time),
        warnings: done.warnings,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/logout",
    tag = "sessions",
    params(LoggingOut),
    responses((status = 204, description = "Always, whether or not there was such a session"), TenantErrors),
)]
pub async fn logout((sso, call, req): Caller) -> Result<HttpResponse, ApiError> {
    if let Some(ust) = bearer(&req) {
        sso.logout(&call.ctx, &ust).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/session",
    tag = "sessions",
    params(Authenticated),
    responses((status = 200, description = "The current session", body = api::Session), SessionErrors),
)]
pub async fn get((sso, call, req): Caller) -> Result<web::Json<api::Session>, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    let s = sso.current_session(&call.ctx, &ust).await?.session().clone();
    Ok(web::Json(api::Session {
        session_id: s.session_id,
        creation_time: rfc3339(s.creation_time),
        expiration_time: rfc3339(s.expiration_time),
        remote_addr: s.remote_addr,
        user_agent: s.user_agent,
        current: None,
    }))
}
