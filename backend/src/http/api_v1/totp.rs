//! Two-factor enrolment on the native API: start, confirm (recovery codes), disable with proof, and a
//! super-user's reset. Replacing or removing an active factor needs the password and a current code.

use super::Caller;
use super::auth::{authed, authed_super};
use super::params::{Authenticated, UserId};
use super::responses::{BodyErrors, NoSuchUser, SessionErrors, SuperUserErrors};
use crate::crypto::password::Password;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::UserRef;
use crate::sso::totp_enrolment::FactorProof;
use actix_web::{HttpResponse, web};
use gatehouse_shared::api;

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/totp",
    tag = "2fa",
    params(Authenticated),
    responses(
        (status = 200, description = "A new secret, its otpauth URI and a QR code", body = api::Enrolment),
        SessionErrors,
    ),
)]
pub async fn start((sso, call, req): Caller) -> Result<web::Json<api::Enrolment>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let e = sso.start_totp_enrolment(&a.ctx, &a.current).await?;
    Ok(web::Json(api::Enrolment {
        secret: e.secret,
        otpauth_uri: e.otpauth_uri,
        qr_svg: e.qr_svg,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/totp/confirm",
    tag = "2fa",
    params(Authenticated),
    request_body = api::Confirm,
    responses(
        (status = 200, description = "2FA is on; ten one-time recovery codes", body = api::RecoveryCodes),
        (status = 400, description = "E008002: malformed input; E008003: missing input (with 2FA already on, `password` and `current_code` are required)", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: wrong code; with 2FA already on, or a wrong password or current code, which counts toward `login.max_failures`", body = api::Problem, content_type = "application/problem+json"),
        SessionErrors,
    ),
)]
pub async fn confirm(
    (sso, call, req): Caller,
    body: JsonBody<api::Confirm>,
) -> Result<web::Json<api::RecoveryCodes>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let body = body.take()?;
    let proof = FactorProof {
        password: body.password.map(Password::new),
        code: body.current_code,
        passkey: None,
    };
    let recovery_codes = sso
        .confirm_totp_enrolment(&a.ctx, &a.current, &body.code, &proof)
        .await?;
    Ok(web::Json(api::RecoveryCodes { recovery_codes }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/me/totp",
    tag = "2fa",
    params(Authenticated),
    request_body = api::Disable,
    responses(
        (status = 204, description = "2FA is off"),
        (status = 403, description = "E005001: wrong password or code, which counts toward `login.max_failures` (the account locks as after failed logins)", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, SessionErrors,
    ),
)]
pub async fn disable((sso, call, req): Caller, body: JsonBody<api::Disable>) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let body = body.take()?;
    let proof = FactorProof {
        password: Some(Password::new(body.password)),
        code: Some(body.code),
        passkey: None,
    };
    sso.disable_totp(&a.ctx, &a.current, &proof).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/totp/reset",
    tag = "2fa",
    params(Authenticated, UserId),
    responses((status = 204, description = "The user's 2FA is off"), SuperUserErrors, NoSuchUser),
)]
pub async fn reset((sso, call, req): Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    sso.reset_totp(&admin, &UserRef::Id(path.into_inner().1)).await?;
    Ok(HttpResponse::NoContent().finish())
}
