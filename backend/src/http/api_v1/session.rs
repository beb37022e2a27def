//! Login, logout and the current session on the native API.

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

#[derive(Deserialize)]
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
            app_key_valid: false,
        }
    }
}

pub async fn login(sso: web::Data<Sso>, call: Call, body: JsonBody<LoginBody>) -> Result<HttpResponse, ApiError> {
    let done = sso.login(&call.ctx, body.0.into_request()).await?;
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
