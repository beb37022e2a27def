//! Sessions on the Zato surface: `/user/session` (POST verify, GET get, PATCH renew) and `/user/session/list`.
//! No reply carries a raw session id (quirk Q3).

use super::body::{Body, authed_by, ok, with_app};
use crate::domain::Session;
use crate::http::call::{Call, zato_time};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::login::ExpiryCheck;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

type Json = JsonBody<Map<String, Value>>;

fn session_fields(s: &Session) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("session_id".into(), json!(s.session_id));
    m.insert("creation_time".into(), json!(zato_time(s.creation_time)));
    m.insert("expiration_time".into(), json!(zato_time(s.expiration_time)));
    m.insert("remote_addr".into(), json!(s.remote_addr));
    m.insert("user_agent".into(), json!(s.user_agent));
    m
}

/// `POST /zato/sso/user/session`: is `target_ust` valid? (a super-user's call)
pub async fn verify(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let current = body.req("current_ust")?;
    let target = body.req("target_ust")?;
    let is_valid = sso.verify_session(&call.ctx, &current, &target).await?;
    let mut reply = Map::new();
    reply.insert("is_valid".into(), json!(is_valid));
    Ok(ok(&call, reply))
}

/// `GET /zato/sso/user/session`: the session of `target_ust` (its owner's or a super-user's call).
pub async fn get(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "current_ust", ExpiryCheck::Enforce).await?;
    let target = body.req("target_ust")?;
    let session = sso.target_session(&a.ctx, &a.current, &target).await?;
    let mut fields = session_fields(&session.session);
    fields.remove("session_id");
    Ok(ok(&call, fields))
}

/// `PATCH /zato/sso/user/session`: renews the session of `ust`.
pub async fn renew(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let ust = body.req("ust")?;
    let expiration = sso.renew(&call.ctx, &ust).await?;
    let mut reply = Map::new();
    reply.insert("expiration_time".into(), json!(zato_time(expiration)));
    Ok(ok(&call, reply))
}

/// `GET /zato/sso/user/session/list`: `ust` alone for one's own sessions, or `current_ust` and `target_ust`
/// for a super-user listing the target's owner's (the variant Zato could not reach, quirk Q10).
pub async fn list(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (a, of) = if body.opt("ust")?.is_some() {
        (authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?, None)
    } else {
        let a = authed_by(&sso, &call, &body, "current_ust", ExpiryCheck::Enforce).await?;
        let target = sso.target_session(&a.ctx, &a.current, &body.req("target_ust")?).await?;
        let of = crate::sso::UserRef::Id(target.user.user_id.clone());
        (a, Some(of))
    };
    let sessions = sso.list_sessions(&a.ctx, &a.current, of).await?;
    let result: Vec<Value> = sessions.iter().map(|s| Value::Object(session_fields(s))).collect();
    let mut reply = Map::new();
    reply.insert("result".into(), Value::Array(result));
    Ok(ok(&call, reply))
}
