//! Sessions on the native API: renew the current one, verify another (super-user), list, end one by id.

use super::auth::authed;
use super::params::Authenticated;
use super::responses::{BodyErrors, NoSuchUser, SessionErrors, SuperUserErrors};
use super::wire;
use crate::http::call::{Call, bearer, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::session::no_such_session;
use crate::sso::{Sso, UserRef};
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::api;

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/session",
    tag = "sessions",
    params(Authenticated),
    responses((status = 200, description = "The new expiration time", body = api::Expiration), SessionErrors),
)]
pub async fn renew(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<web::Json<api::Expiration>, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    let expiration = sso.renew(&call.ctx, &ust).await?;
    Ok(web::Json(api::Expiration {
        expiration_time: rfc3339(expiration),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/sessions/verify",
    tag = "sessions",
    params(Authenticated),
    request_body = api::VerifyBody,
    responses(
        (status = 200, description = "Whether the target UST may be used now", body = api::Validity),
        BodyErrors,
        SuperUserErrors,
    ),
)]
pub async fn verify(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<api::VerifyBody>,
) -> Result<web::Json<api::Validity>, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    // The caller first: a request without a valid super-user's UST is refused as such whatever its body.
    sso.current_session(&call.ctx, &ust)
        .await?
        .require_super_user(&call.ctx)?;
    let target = body.take()?.target_ust;
    let is_valid = sso.verify_session(&call.ctx, &ust, &target).await?;
    Ok(web::Json(api::Validity { is_valid }))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/sessions",
    tag = "sessions",
    params(Authenticated, api::SessionsQuery),
    responses(
        (status = 200, description = "Live sessions", body = Vec<api::Session>),
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    query: web::Query<api::SessionsQuery>,
) -> Result<web::Json<Vec<api::Session>>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let of = query.into_inner().user_id.map(UserRef::Id);
    let sessions = sso.list_sessions(&a.ctx, &a.current, of).await?;
    let current = &a.current.session;
    Ok(web::Json(
        sessions.iter().map(|s| wire::session(s, Some(current))).collect(),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/sessions/{session_id}",
    tag = "sessions",
    params(Authenticated, ("session_id" = String, Path, description = "A session's public id")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 404, description = "E007001: no such session (or another user's, for a regular caller)", body = api::Problem, content_type = "application/problem+json"),
        SessionErrors,
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
