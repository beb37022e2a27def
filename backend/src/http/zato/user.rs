//! Login and logout on the Zato-compatible surface.

use crate::crypto::password::Password;
use crate::http::call::{Call, required_nullable};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::login::LoginRequest;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct ZatoLogin {
    #[serde(deserialize_with = "required_nullable")]
    username: Option<String>,
    #[serde(deserialize_with = "required_nullable")]
    password: Option<String>,
    current_app: String,
    #[serde(default)]
    totp_code: Option<String>,
    #[serde(default)]
    new_password: Option<String>,
    #[serde(default)]
    remote_addr: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
}

pub async fn login(sso: web::Data<Sso>, mut call: Call, body: JsonBody<ZatoLogin>) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    call.ctx.current_app = body.current_app;
    let request = LoginRequest {
        username: body.username,
        password: body.password.map(Password::new),
        totp_code: body.totp_code,
        new_password: body.new_password.map(Password::new),
        remote_addr: body.remote_addr,
        user_agent: body.user_agent,
        continuation: None,
        passkey: None,
        passkey_step: false,
    };
    let done = sso.login(&call.ctx, request).await?;
    let reply = if done.warnings.is_empty() {
        json!({"status": "ok", "ust": done.session.ust, "cid": call.meta.cid})
    } else {
        json!({"status": "warning", "sub_status": done.warnings, "ust": done.session.ust, "cid": call.meta.cid})
    };
    Ok(HttpResponse::Ok().json(reply))
}

#[derive(Deserialize)]
pub struct ZatoLogout {
    #[serde(default)]
    ust: Option<String>,
    #[serde(default)]
    current_app: Option<String>,
}

/// Always `ok`, so logout cannot be used to probe tokens.
pub async fn logout(sso: web::Data<Sso>, mut call: Call, body: JsonBody<ZatoLogout>) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    call.ctx.current_app = body.current_app.unwrap_or_default();
    if let Some(ust) = body.ust {
        sso.logout(&call.ctx, &ust).await?;
    }
    Ok(HttpResponse::Ok().json(json!({"status": "ok", "cid": call.meta.cid})))
}
