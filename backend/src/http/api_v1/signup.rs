//! Anonymous flows on the native API: sign-up and its confirmation, password reset, and confirming a changed
//! e-mail address.

use super::params::Anonymous;
use super::responses::{AppKeyErrors, BodyErrors, ConfirmationErrors, PasswordPolicy, TenantErrors};
use crate::crypto::password::Password;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::signup::{Confirmed, SignupRequest};
use actix_web::{HttpResponse, web};
use gatehouse_shared::api::{self, CompleteBody, ConfirmBody, ResetRequest, SignupBody, TokenBody};

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/signup",
    tag = "sign-up",
    params(Anonymous),
    request_body = api::SignupBody,
    responses(
        (status = 202, description = "The account waits for the confirmation sent by e-mail; `confirm_token` only with signup.always_return_confirm_token", body = api::SignupAccepted),
        (status = 403, description = "E005001: refused for a reason the tenant hides", body = api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E001002: the username is taken; E002002: the e-mail address is taken (per the inform flags)", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E001001, E001003, E001004 username; E002001, E002003, E002004, E002005 e-mail; E003001-E003003, E003008, E003009 password; E004001, E004002 app", body = api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "E011001: too many sign-ups from this address or to this e-mail address", body = api::Problem, content_type = "application/problem+json"),
        AppKeyErrors, BodyErrors, TenantErrors,
    ),
)]
pub async fn signup(sso: web::Data<Sso>, call: Call, body: JsonBody<SignupBody>) -> Result<HttpResponse, ApiError> {
    let b = body.take()?;
    let request = SignupRequest {
        username: b.username,
        password: Password::new(b.password),
        email: b.email,
        app_list: b.app_list,
    };
    let outcome = sso.signup(&call.ctx, request).await?;
    Ok(HttpResponse::Accepted().json(api::SignupAccepted {
        status: api::SignupState::AwaitingConfirmation,
        confirm_token: outcome.confirm_token,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/signup/confirm",
    tag = "sign-up",
    params(Anonymous),
    request_body = api::ConfirmBody,
    responses(
        (status = 200, description = "Confirmed; `approval` says whether an administrator must still approve", body = api::SignupConfirmed),
        BodyErrors, ConfirmationErrors, TenantErrors,
    ),
)]
pub async fn confirm(
    sso: web::Data<Sso>,
    call: Call,
    body: JsonBody<ConfirmBody>,
) -> Result<web::Json<api::SignupConfirmed>, ApiError> {
    let approval = match sso.confirm_signup(&call.ctx, &body.take()?.confirm_token).await? {
        Confirmed::Approved => api::Approval::Approved,
        Confirmed::AwaitingApproval => api::Approval::Pending,
    };
    Ok(web::Json(api::SignupConfirmed { approval }))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/password-reset",
    tag = "password reset",
    params(Anonymous),
    request_body = api::ResetRequest,
    responses(
        (status = 202, description = "Always, whether or not such a user exists"),
        (status = 429, description = "E011001: too many requests from this address or for this credential", body = api::Problem, content_type = "application/problem+json"),
        AppKeyErrors, BodyErrors, TenantErrors,
    ),
)]
pub async fn reset(sso: web::Data<Sso>, call: Call, body: JsonBody<ResetRequest>) -> Result<HttpResponse, ApiError> {
    sso.request_password_reset(&call.ctx, &body.take()?.credential).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/password-reset/access",
    tag = "password reset",
    params(Anonymous),
    request_body = api::TokenBody,
    responses(
        (status = 200, description = "The reset key, once", body = api::ResetKey),
        (status = 403, description = "E010001: no such, an expired or an already accessed token", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, TenantErrors,
    ),
)]
pub async fn access(
    sso: web::Data<Sso>,
    call: Call,
    body: JsonBody<TokenBody>,
) -> Result<web::Json<api::ResetKey>, ApiError> {
    let key = sso.access_password_reset(&call.ctx, &body.take()?.token).await?;
    Ok(web::Json(api::ResetKey { reset_key: key.0 }))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/password-reset/complete",
    tag = "password reset",
    params(Anonymous),
    request_body = api::CompleteBody,
    responses(
        (status = 204, description = "The password is set; every session of the user has ended"),
        (status = 403, description = "E010001: the token or key is not valid, has expired or was used", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, PasswordPolicy, TenantErrors,
    ),
)]
pub async fn complete(sso: web::Data<Sso>, call: Call, body: JsonBody<CompleteBody>) -> Result<HttpResponse, ApiError> {
    let b = body.take()?;
    sso.complete_password_reset(&call.ctx, &b.token, &b.reset_key, Password::new(b.password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/email/confirm",
    tag = "users",
    params(Anonymous),
    request_body = api::TokenBody,
    responses(
        (status = 204, description = "The new e-mail address is in force"),
        (status = 409, description = "E002002: the address has been taken since", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, ConfirmationErrors, TenantErrors,
    ),
)]
pub async fn confirm_email(
    sso: web::Data<Sso>,
    call: Call,
    body: JsonBody<TokenBody>,
) -> Result<HttpResponse, ApiError> {
    sso.confirm_email_change(&call.ctx, &body.take()?.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
