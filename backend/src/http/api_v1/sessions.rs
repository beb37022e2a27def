//! Sessions on the native API: renew the current one, verify another (super-user), list, end one by id.

use super::auth::authed;
use crate::http::call::{Call, bearer, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::session::no_such_session;
use crate::sso::{Sso, UserRef};
use crate::store::sessions::SessionRow;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn session_json(s: &SessionRow, current: Option<i64>) -> Value {
    let mut v = json!({
        "session_id": s.session_id,
        "creation_time": rfc3339(s.creation_time),
        "expiration_time": rfc3339(s.expiration_time),
        "remote_addr": s.remote_addr,
        "user_agent": s.user_agent,
    });
    if let Some(current) = current {
        v["current"] = json!(s.id == current);
    }
    v
}

pub async fn renew(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    let expiration = sso.renew(&call.ctx, &ust).await?;
    Ok(HttpResponse::Ok().json(json!({"expiration_time": rfc3339(expiration)})))
}

#[derive(Deserialize)]
pub struct VerifyBody {
    target_ust: String,
}

pub async fn verify(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<VerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    let is_valid = sso.verify_session(&call.ctx, &ust, &body.0.target_ust).await?;
    Ok(HttpResponse::Ok().json(json!({"is_valid": is_valid})))
}

#[derive(Deserialize)]
pub struct ListQuery {
    user_id: Option<String>,
}

pub async fn list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let of = query.into_inner().user_id.map(UserRef::Id);
    let sessions = sso.list_sessions(&a.ctx, &a.current, of).await?;
    let current = a.current.session.id;
    Ok(HttpResponse::Ok().json(
        sessions
            .iter()
            .map(|s| session_json(s, Some(current)))
            .collect::<Vec<_>>(),
    ))
}

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
