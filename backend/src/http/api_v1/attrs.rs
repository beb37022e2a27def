//! Attributes on the native API, of a user (`/users/{user_id}/attrs`, the owner or a super-user; `me` names
//! the caller) and of the current session (`/session/attrs`).

use super::Caller;
use super::auth::{Authed, authed};
use super::params::{AttrName, Authenticated, UserId};
use super::responses::{AttrExists, BodyErrors, NoSuchAttr, OwnerErrors, SessionErrors};
use crate::domain::AttrOwner as Owner;
use crate::http::call::{Call, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::attr::{Attr, AttrInput, WriteMode};
use crate::sso::{Kind, Sso, SsoError};
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::SubStatus;
use gatehouse_shared::api;
/// The Zato surface reads its attribute values by the same rule.
pub use gatehouse_shared::api::present;

fn wire(a: Attr) -> api::Attr {
    api::Attr {
        value: a.value,
        creation_time: rfc3339(a.creation_time),
        last_modified: rfc3339(a.last_modified),
        expiration_time: rfc3339(a.expiration_time),
        is_encrypted: a.is_encrypted,
    }
}

fn no_such_attr() -> ApiError {
    SsoError::refused(Kind::NotFound, SubStatus::AttrNoSuchAttr).into()
}

/// Whose attributes a path names.
pub enum Target {
    User(String),
    Session,
}

/// The caller, checked, and the owner of the attributes the path names (which the caller may be refused).
async fn open(sso: &Sso, call: &Call, req: &HttpRequest, target: &Target) -> Result<(Authed, Owner), ApiError> {
    let a = authed(sso, call, req).await?;
    let owner = match target {
        Target::User(id) if id == "me" => sso.user_attr_owner(&a.ctx, &a.current, None).await?,
        Target::User(id) => sso.user_attr_owner(&a.ctx, &a.current, Some(id)).await?,
        Target::Session => sso.session_attr_owner(&a.ctx, &a.current),
    };
    Ok((a, owner))
}

/// The names in `?name=a&name=b`.
fn names_in(req: &HttpRequest) -> Option<Vec<String>> {
    let names: Vec<String> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "name")
        .map(|(_, v)| v.into_owned())
        .collect();
    (!names.is_empty()).then_some(names)
}

/// One attribute to write; the path's name wins over the body's.
fn input(body: api::AttrWrite, name: Option<String>) -> Result<AttrInput, ApiError> {
    let name = name.or(body.name).ok_or(ApiError::MalformedBody { missing: true })?;
    Ok(AttrInput {
        name,
        value: body.value,
        expiration: body.expiration,
        encrypt: body.encrypt,
    })
}

/// The attributes of a create: the body's list, or the body itself.
fn inputs(body: api::AttrWrite) -> Result<Vec<AttrInput>, ApiError> {
    match body.attrs {
        Some(many) => many.into_iter().map(|a| input(a, None)).collect(),
        None => Ok(vec![input(body, None)?]),
    }
}

async fn list((sso, call, req): Caller, target: Target) -> Result<web::Json<api::Attrs>, ApiError> {
    let (a, owner) = open(&sso, &call, &req, &target).await?;
    let found = sso.read_attrs(&a.ctx, &owner, names_in(&req)).await?;
    let attrs = found.into_iter().map(|(k, v)| (k, wire(v))).collect();
    Ok(web::Json(api::Attrs { attrs }))
}

async fn create((sso, call, req): Caller, target: Target, body: Body) -> Result<HttpResponse, ApiError> {
    // The caller first: the body is read only for someone allowed to send it.
    let (a, owner) = open(&sso, &call, &req, &target).await?;
    sso.write_attrs(&a.ctx, &owner, inputs(body.take()?)?, WriteMode::Create)
        .await?;
    Ok(HttpResponse::Created().finish())
}

/// The attribute of `name`, as stored now.
async fn read_one(sso: &Sso, a: &Authed, owner: &Owner, name: String) -> Result<web::Json<api::Attr>, ApiError> {
    let mut found = sso.read_attrs(&a.ctx, owner, Some(vec![name.clone()])).await?;
    let attr = found.remove(&name).ok_or_else(no_such_attr)?;
    Ok(web::Json(wire(attr)))
}

async fn one((sso, call, req): Caller, target: Target, name: String) -> Result<web::Json<api::Attr>, ApiError> {
    let (a, owner) = open(&sso, &call, &req, &target).await?;
    read_one(&sso, &a, &owner, name).await
}

async fn write(
    (sso, call, req): Caller,
    (target, name): (Target, String),
    body: Body,
    mode: WriteMode,
) -> Result<web::Json<api::Attr>, ApiError> {
    let (a, owner) = open(&sso, &call, &req, &target).await?;
    sso.write_attrs(&a.ctx, &owner, vec![input(body.take()?, Some(name.clone()))?], mode)
        .await?;
    read_one(&sso, &a, &owner, name).await
}

async fn remove((sso, call, req): Caller, target: Target, name: String) -> Result<HttpResponse, ApiError> {
    let (a, owner) = open(&sso, &call, &req, &target).await?;
    if sso.delete_attrs(&a.ctx, &owner, vec![name]).await? == 0 {
        return Err(no_such_attr());
    }
    Ok(HttpResponse::NoContent().finish())
}

type UserPath = web::Path<(String, String)>;
type UserAttrPath = web::Path<(String, String, String)>;
type SessionAttrPath = web::Path<(String, String)>;
type Body = JsonBody<api::AttrWrite>;

/// `(user, name)` of a user's attribute path.
fn user_attr(path: UserAttrPath) -> (Target, String) {
    let (_, user, name) = path.into_inner();
    (Target::User(user), name)
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs",
    tag = "attributes",
    params(Authenticated, UserId, ("name" = Option<Vec<String>>, Query, description = "Only these names (repeatable)")),
    responses((status = 200, description = "The live attributes", body = api::Attrs), OwnerErrors),
)]
pub async fn user_list(caller: Caller, path: UserPath) -> Result<web::Json<api::Attrs>, ApiError> {
    list(caller, Target::User(path.into_inner().1)).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs",
    tag = "attributes",
    params(Authenticated, UserId),
    request_body = api::AttrWrite,
    responses((status = 201, description = "Created"), AttrExists, OwnerErrors, BodyErrors),
)]
pub async fn user_create(caller: Caller, path: UserPath, body: Body) -> Result<HttpResponse, ApiError> {
    create(caller, Target::User(path.into_inner().1), body).await
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(Authenticated, UserId, AttrName),
    responses((status = 200, description = "The attribute", body = api::Attr), NoSuchAttr, OwnerErrors),
)]
pub async fn user_get(caller: Caller, path: UserAttrPath) -> Result<web::Json<api::Attr>, ApiError> {
    let (target, name) = user_attr(path);
    one(caller, target, name).await
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(Authenticated, UserId, AttrName),
    request_body = api::AttrWrite,
    responses(
        (status = 200, description = "The attribute, created or replaced", body = api::Attr),
        OwnerErrors, BodyErrors,
    ),
)]
pub async fn user_put(caller: Caller, path: UserAttrPath, body: Body) -> Result<web::Json<api::Attr>, ApiError> {
    write(caller, user_attr(path), body, WriteMode::Set).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(Authenticated, UserId, AttrName),
    request_body = api::AttrWrite,
    responses(
        (status = 200, description = "The attribute, updated", body = api::Attr),
        NoSuchAttr, OwnerErrors, BodyErrors,
    ),
)]
pub async fn user_patch(caller: Caller, path: UserAttrPath, body: Body) -> Result<web::Json<api::Attr>, ApiError> {
    write(caller, user_attr(path), body, WriteMode::Update).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(Authenticated, UserId, AttrName),
    responses((status = 204, description = "Deleted"), NoSuchAttr, OwnerErrors),
)]
pub async fn user_delete(caller: Caller, path: UserAttrPath) -> Result<HttpResponse, ApiError> {
    let (target, name) = user_attr(path);
    remove(caller, target, name).await
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/session/attrs",
    tag = "attributes",
    params(Authenticated, ("name" = Option<Vec<String>>, Query, description = "Only these names (repeatable)")),
    responses((status = 200, description = "The current session's live attributes", body = api::Attrs), SessionErrors),
)]
pub async fn session_list(caller: Caller) -> Result<web::Json<api::Attrs>, ApiError> {
    list(caller, Target::Session).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/session/attrs",
    tag = "attributes",
    params(Authenticated),
    request_body = api::AttrWrite,
    responses((status = 201, description = "Created"), AttrExists, SessionErrors, BodyErrors),
)]
pub async fn session_create(caller: Caller, body: Body) -> Result<HttpResponse, ApiError> {
    create(caller, Target::Session, body).await
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(Authenticated, AttrName),
    responses((status = 200, description = "The attribute", body = api::Attr), NoSuchAttr, SessionErrors),
)]
pub async fn session_get(caller: Caller, path: SessionAttrPath) -> Result<web::Json<api::Attr>, ApiError> {
    one(caller, Target::Session, path.into_inner().1).await
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(Authenticated, AttrName),
    request_body = api::AttrWrite,
    responses(
        (status = 200, description = "The attribute, created or replaced", body = api::Attr),
        SessionErrors, BodyErrors,
    ),
)]
pub async fn session_put(caller: Caller, path: SessionAttrPath, body: Body) -> Result<web::Json<api::Attr>, ApiError> {
    write(caller, (Target::Session, path.into_inner().1), body, WriteMode::Set).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(Authenticated, AttrName),
    request_body = api::AttrWrite,
    responses(
        (status = 200, description = "The attribute, updated", body = api::Attr),
        NoSuchAttr, SessionErrors, BodyErrors,
    ),
)]
pub async fn session_patch(
    caller: Caller,
    path: SessionAttrPath,
    body: Body,
) -> Result<web::Json<api::Attr>, ApiError> {
    write(caller, (Target::Session, path.into_inner().1), body, WriteMode::Update).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(Authenticated, AttrName),
    responses((status = 204, description = "Deleted"), NoSuchAttr, SessionErrors),
)]
pub async fn session_delete(caller: Caller, path: SessionAttrPath) -> Result<HttpResponse, ApiError> {
    remove(caller, Target::Session, path.into_inner().1).await
}
