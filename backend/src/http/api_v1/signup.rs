//! Anonymous flows on the native API: sign-up and its confirmation, password reset, and confirming a changed
//! e-mail address.

use super::schemas;
use crate::crypto::password::Password;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::signup::{Confirmed, SignupRequest};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignupBody {
    username: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    app_list: Vec<String>,
}

impl SignupBody {
    pub fn into_request(self) -> SignupRequest {
        SignupRequest {
            username: self.username,
            password: Password::new(self.password),
            email: self.email,
            app_list: self.app_list,
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/signup",
    tag = "sign-up",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application")),
    request_body = SignupBody,
    responses(
        (status = 202, description = "The account waits for the confirmation sent by e-mail; `confirm_token` only with signup.always_return_confirm_token", body = schemas::SignupAccepted),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E004003: the app's key is missing or invalid", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: refused for a reason the tenant hides; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E001002: the username is taken; E002002: the e-mail address is taken (per the inform flags)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E001001, E001003, E001004 username; E002001, E002003, E002004, E002005 e-mail; E003001-E003003, E003008, E003009 password; E004001, E004002 app", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 429, description = "E011001: too many sign-ups from this address or to this e-mail address", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn signup(sso: web::Data<Sso>, call: Call, body: JsonBody<SignupBody>) -> Result<HttpResponse, ApiError> {
    let outcome = sso.signup(&call.ctx, body.take()?.into_request()).await?;
    let mut reply = json!({"status": "awaiting_confirmation"});
    if let Some(token) = outcome.confirm_token {
        reply["confirm_token"] = json!(token);
    }
    Ok(HttpResponse::Accepted().json(reply))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConfirmBody {
    confirm_token: String,
}

pub fn confirmed_json(c: Confirmed) -> serde_json::Value {
    json!({"approval": match c { Confirmed::Approved => "approved", Confirmed::AwaitingApproval => "pending" }})
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/signup/confirm",
    tag = "sign-up",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application")),
    request_body = ConfirmBody,
    responses(
        (status = 200, description = "Confirmed; `approval` says whether an administrator must still approve", body = schemas::SignupConfirmed),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E005006: no such (or an expired) token; E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E005007: already confirmed", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn confirm(sso: web::Data<Sso>, call: Call, body: JsonBody<ConfirmBody>) -> Result<HttpResponse, ApiError> {
    let confirmed = sso.confirm_signup(&call.ctx, &body.take()?.confirm_token).await?;
    Ok(HttpResponse::Ok().json(confirmed_json(confirmed)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetRequest {
    /// A username or an e-mail address, per password_reset.user_search_by.
    credential: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/password-reset",
    tag = "password reset",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application")),
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Always, whether or not such a user exists"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E004003: the app's key is missing or invalid", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 429, description = "E011001: too many requests from this address or for this credential", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn reset(sso: web::Data<Sso>, call: Call, body: JsonBody<ResetRequest>) -> Result<HttpResponse, ApiError> {
    sso.request_password_reset(&call.ctx, &body.take()?.credential).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenBody {
    token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/password-reset/access",
    tag = "password reset",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application")),
    request_body = TokenBody,
    responses(
        (status = 200, description = "The reset key, once", body = schemas::ResetKey),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E010001: no such, an expired or an already accessed token; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn access(sso: web::Data<Sso>, call: Call, body: JsonBody<TokenBody>) -> Result<HttpResponse, ApiError> {
    let key = sso.access_password_reset(&call.ctx, &body.take()?.token).await?;
    Ok(HttpResponse::Ok().json(json!({"reset_key": key.0})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CompleteBody {
    token: String,
    reset_key: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/password-reset/complete",
    tag = "password reset",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application")),
    request_body = CompleteBody,
    responses(
        (status = 204, description = "The password is set; every session of the user has ended"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E010001: the token or key is not valid, has expired or was used; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password; E003010: it is the current password", body = schemas::Problem, content_type = "application/problem+json"),
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
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application")),
    request_body = TokenBody,
    responses(
        (status = 204, description = "The new e-mail address is in force"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E005006: no such (or an expired) token; E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E005007: already confirmed; E002002: the address has been taken since", body = schemas::Problem, content_type = "application/problem+json"),
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
