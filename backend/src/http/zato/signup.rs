//! Sign-up and password reset on the Zato surface: `/user/signup` (POST; PATCH and POST `/confirm` to confirm)
//! and `/password/reset` (POST request, PATCH access, DELETE complete). Confirmation errors are reported, not
//! swallowed (quirk Q10).

use super::body::{Body, ok, with_app};
use crate::crypto::password::Password;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::signup::SignupRequest;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

type Json = JsonBody<Map<String, Value>>;

pub async fn signup(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let request = SignupRequest {
        username: body.req("username")?,
        password: Password::new(body.req("password")?),
        email: body.opt("email")?,
        app_list: body.get("app_list")?.unwrap_or_default(),
    };
    let outcome = sso.signup(&call.ctx, request).await?;
    let mut reply = Map::new();
    reply.insert("confirm_token".into(), json!(outcome.confirm_token));
    Ok(ok(&call, reply))
}

pub async fn confirm(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    sso.confirm_signup(&call.ctx, &body.req("confirm_token")?).await?;
    Ok(ok(&call, Map::new()))
}

/// `POST /zato/sso/password/reset`: always `ok`.
pub async fn reset(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    sso.request_password_reset(&call.ctx, &body.req("credential")?).await?;
    Ok(ok(&call, Map::new()))
}

/// `PATCH /zato/sso/password/reset`: the reset key.
pub async fn access(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let key = sso.access_password_reset(&call.ctx, &body.req("token")?).await?;
    let mut reply = Map::new();
    reply.insert("reset_key".into(), json!(key.0));
    Ok(ok(&call, reply))
}

/// `DELETE /zato/sso/password/reset`.
pub async fn complete(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (token, key, password) = (body.req("token")?, body.req("reset_key")?, body.req("password")?);
    sso.complete_password_reset(&call.ctx, &token, &key, Password::new(password))
        .await?;
    Ok(ok(&call, Map::new()))
}
