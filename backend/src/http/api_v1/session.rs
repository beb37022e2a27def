//! Login, logout and the current session on the native API.

use super::schemas;
use crate::crypto::password::Password;
use crate::http::call::{Call, bearer, required_nullable, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::login::LoginRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::SubStatus;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    #[serde(deserialize_with = "required_nullable")]
    username: Option<String>,
    #[serde(deserialize_with = "required_nullable")]
    password: Option<String>,
    #[serde(default)]
    totp_code: Option<String>,
    #[serde(default)]
    new_password: Option<String>,
    #[serde(default)]
    remote_addr: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
}

impl LoginBody {
    pub fn into_request(self) -> LoginRequest {
        LoginRequest {
            username: self.username,
            password: self.password.map(Password::new),
            totp_code: self.totp_code,
            new_password: self.new_password.map(Password::new),
            remote_addr: self.remote_addr,
            user_agent: self.user_agent,
            continuation: None,
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/login",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)")
    ),
    request_body = LoginBody,
    responses(
        (status = 200, description = "The new session; `warnings` carries W003005 when the password is about to expire", body = schemas::SessionInfo),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E005001 wrong credentials or hidden reason; E005002 locked; E005003 not confirmed; E005004 not approved; E005008 TOTP missing; E004001 app not allowed; E003004 password expired; E003006 about to expire; E003007 new password required; E006001 login metadata not allowed", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the new password breaks the policy; E003010: it is the current password", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 429, description = "E011002: the hashing queue is full", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 413, description = "E008002: the body is larger than server.max_body_bytes", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn login(sso: web::Data<Sso>, call: Call, body: JsonBody<LoginBody>) -> Result<HttpResponse, ApiError> {
    let done = sso.login(&call.ctx, body.take()?.into_request()).await?;
    let s = done.session;
    Ok(HttpResponse::Ok().json(json!({
        "username": s.username,
        "user_id": s.user_id,
        "ust": s.ust,
        "session_id": s.session_id,
        "creation_time": rfc3339(s.creation_time),
        "expiration_time": rfc3339(s.expiration_time),
        "warnings": done.warnings,
    })))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/logout",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    responses(
        (status = 204, description = "Always, whether or not there was such a session"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn logout(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(ust) = bearer(&req) {
        sso.logout(&call.ctx, &ust).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

fn missing_ust() -> ApiError {
    ApiError::Sso(crate::sso::SsoError::refused(
        crate::sso::Kind::Unauthenticated,
        SubStatus::SessionNoSuchSession,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/session",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    responses(
        (status = 200, description = "The current session", body = schemas::Session),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn get(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(missing_ust)?;
    let current = sso.current_session(&call.ctx, &ust).await?;
    let s = current.session;
    Ok(HttpResponse::Ok().json(json!({
        "session_id": s.session_id,
        "creation_time": rfc3339(s.creation_time),
        "expiration_time": rfc3339(s.expiration_time),
        "remote_addr": s.remote_addr,
        "user_agent": s.user_agent,
    })))
}
