//! Two-factor enrolment on the native API: start, confirm (recovery codes), disable with proof, and a
//! super-user's reset. Replacing or removing an active factor needs the password and a current code.

use super::auth::{authed, authed_super};
use super::schemas;
use crate::crypto::password::Password;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::totp_enrolment::FactorProof;
use crate::sso::{Sso, UserRef};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/totp",
    tag = "2fa",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    responses(
        (status = 200, description = "A new secret, its otpauth URI and a QR code", body = schemas::Enrolment),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn start(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let e = sso.start_totp_enrolment(&a.ctx, &a.current).await?;
    Ok(HttpResponse::Ok().json(json!({"secret": e.secret, "otpauth_uri": e.otpauth_uri, "qr_svg": e.qr_svg})))
}

/// Confirms an enrolment.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Confirm {
    /// A code of the new secret.
    code: String,
    /// Required when 2FA is already on (the enrolment replaces the active factor): the password.
    #[serde(default)]
    password: Option<String>,
    /// Required when 2FA is already on: a current code of the active factor, or a recovery code.
    #[serde(default)]
    current_code: Option<String>,
}

/// Turns 2FA off.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Disable {
    /// A current code, or a recovery code.
    code: String,
    /// The password.
    password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/totp/confirm",
    tag = "2fa",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = Confirm,
    responses(
        (status = 200, description = "2FA is on; ten one-time recovery codes", body = schemas::RecoveryCodes),
        (status = 400, description = "E008002: malformed input; E008003: missing input (with 2FA already on, `password` and `current_code` are required)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: wrong code; with 2FA already on, or a wrong password or current code, which counts toward `login.max_failures`", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn confirm(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Confirm>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let body = body.take()?;
    let proof = FactorProof {
        password: body.password.map(Password::new),
        code: body.current_code,
    };
    let codes = sso
        .confirm_totp_enrolment(&a.ctx, &a.current, &body.code, &proof)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"recovery_codes": codes})))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/me/totp",
    tag = "2fa",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = Disable,
    responses(
        (status = 204, description = "2FA is off"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: wrong password or code, which counts toward `login.max_failures` (the account locks as after failed logins)", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn disable(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Disable>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let body = body.take()?;
    let proof = FactorProof {
        password: Some(Password::new(body.password)),
        code: Some(body.code),
    };
    sso.disable_totp(&a.ctx, &a.current, &proof).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/totp/reset",
    tag = "2fa",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 204, description = "The user's 2FA is off"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn reset(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    sso.reset_totp(&a.admin()?, &UserRef::Id(path.into_inner().1)).await?;
    Ok(HttpResponse::NoContent().finish())
}
