//! Two-factor enrolment on the native API: start, confirm (recovery codes), disable with proof, and a
//! super-user's reset.

use super::auth::{authed, authed_super};
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::{Sso, UserRef};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

pub async fn start(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let e = sso.start_totp_enrolment(&a.ctx, &a.current).await?;
    Ok(HttpResponse::Ok().json(json!({"secret": e.secret, "otpauth_uri": e.otpauth_uri, "qr_svg": e.qr_svg})))
}

#[derive(Deserialize)]
pub struct Code {
    code: String,
}

pub async fn confirm(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Code>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let codes = sso.confirm_totp_enrolment(&a.ctx, &a.current, &body.0.code).await?;
    Ok(HttpResponse::Ok().json(json!({"recovery_codes": codes})))
}

pub async fn disable(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Code>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    sso.disable_totp(&a.ctx, &a.current, &body.0.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn reset(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    sso.reset_totp(&a.ctx, &UserRef::Id(path.into_inner().1)).await?;
    Ok(HttpResponse::NoContent().finish())
}
