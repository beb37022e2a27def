//! Sessions on the native API: renew the current one, verify another (super-user), list, end one by id.

use super::auth::authed;
use super::wire;
use crate::http::call::{Call, bearer, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::session::no_such_session;
use crate::sso::{Sso, UserRef};
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::api;
use serde::Deserialize;

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/session",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    responses(
        (status = 200, description = "The new expiration time", body = api::Expiration),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn renew(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    let expiration = sso.renew(&call.ctx, &ust).await?;
    Ok(HttpResponse::Ok().json(api::Expiration {
        expiration_time: rfc3339(expiration),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyBody {
    target_ust: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/sessions/verify",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Whether the target UST may be used now", body = api::Validity),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn verify(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<VerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    // The caller first: a request without a valid super-user's UST is refused as such whatever its body.
    sso.current_session(&call.ctx, &ust)
        .await?
        .require_super_user(&call.ctx)?;
    let target = body.take()?.target_ust;
    let is_valid = sso.verify_session(&call.ctx, &ust, &target).await?;
    Ok(HttpResponse::Ok().json(api::Validity { is_valid }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    user_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/sessions",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = Option<String>, Query, description = "Another user's sessions (super-users only)")
    ),
    responses(
        (status = 200, description = "Live sessions", body = Vec<api::Session>),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let of = query.into_inner().user_id.map(UserRef::Id);
    let sessions = sso.list_sessions(&a.ctx, &a.current, of).await?;
    let current = &a.current.session;
    Ok(HttpResponse::Ok().json(
        sessions
            .iter()
            .map(|s| wire::session(s, Some(current)))
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/sessions/{session_id}",
    tag = "sessions",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("session_id" = String, Path, description = "A session's public id")
    ),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E007001: no such session (or another user's, for a regular caller)", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn end(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let (_, session_id) = path.into_inner();
    sso.end_session(&a.ctx, &a.current, &session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
