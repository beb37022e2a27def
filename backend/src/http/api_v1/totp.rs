//! Two-factor enrolment on the native API: start, confirm (recovery codes), disable with proof, and a
//! super-user's reset.

use super::auth::{authed, authed_super};
use super::schemas;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
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

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Code {
    code: String,
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
    request_body = Code,
    responses(
        (status = 200, description = "2FA is on; ten one-time recovery codes", body = schemas::RecoveryCodes),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: wrong code", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn confirm(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Code>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let codes = sso
        .confirm_totp_enrolment(&a.ctx, &a.current, &body.take()?.code)
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
    request_body = Code,
    responses(
        (status = 204, description = "2FA is off"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: wrong code", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn disable(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Code>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    sso.disable_totp(&a.ctx, &a.current, &body.take()?.code).await?;
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
    sso.reset_totp(&a.ctx, &UserRef::Id(path.into_inner().1)).await?;
    Ok(HttpResponse::NoContent().finish())
}
