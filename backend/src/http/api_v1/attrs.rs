//! Attributes on the native API, of a user (`/users/{user_id}/attrs`, the owner or a super-user; `me` names
//! the caller) and of the current session (`/session/attrs`).

use super::auth::{Authed, authed};
use super::schemas;
use crate::http::call::{Call, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::attr::{Attr, AttrInput, WriteMode};
use crate::sso::{Kind, Sso, SsoError};
use crate::store::attrs::Owner;
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::SubStatus;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub fn attr_json(a: &Attr) -> Value {
    json!({
        "value": a.value,
        "creation_time": rfc3339(a.creation_time),
        "last_modified": rfc3339(a.last_modified),
        "expiration_time": rfc3339(a.expiration_time),
        "is_encrypted": a.is_encrypted,
    })
}

fn no_such_attr() -> ApiError {
    SsoError::refused(Kind::NotFound, SubStatus::AttrNoSuchAttr).into()
}

/// Whose attributes a path names.
pub enum Target {
    User(String),
    Session,
}

async fn owner(sso: &Sso, a: &Authed, target: &Target) -> Result<Owner, ApiError> {
    Ok(match target {
        Target::User(id) if id == "me" => sso.user_attr_owner(&a.ctx, &a.current, None).await?,
        Target::User(id) => sso.user_attr_owner(&a.ctx, &a.current, Some(id)).await?,
        Target::Session => sso.session_attr_owner(&a.ctx, &a.current),
    })
}

/// The names in `?name=a&name=b`.
fn names_in(req: &HttpRequest) -> Option<Vec<String>> {
    let names: Vec<String> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "name")
        .map(|(_, v)| v.into_owned())
        .collect();
    (!names.is_empty()).then_some(names)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
    #[serde(default)]
    expiration: Option<i64>,
    #[serde(default)]
    encrypt: bool,
    #[serde(default)]
    attrs: Option<Vec<AttrBody>>,
}

/// A value that is present, `null` included (`None` only when the field is absent).
pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl AttrBody {
    fn input(self, name: Option<String>) -> Result<AttrInput, ApiError> {
        let name = name.or(self.name).ok_or(ApiError::MalformedBody { missing: true })?;
        Ok(AttrInput {
            name,
            value: self.value,
            expiration: self.expiration,
            encrypt: self.encrypt,
        })
    }

    fn inputs(self) -> Result<Vec<AttrInput>, ApiError> {
        match self.attrs {
            Some(many) => many.into_iter().map(|a| a.input(None)).collect(),
            None => Ok(vec![self.input(None)?]),
        }
    }
}

async fn list(sso: web::Data<Sso>, call: Call, req: HttpRequest, target: Target) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let owner = owner(&sso, &a, &target).await?;
    let found = sso.read_attrs(&a.ctx, &owner, names_in(&req)).await?;
    let attrs: Map<String, Value> = found.iter().map(|(k, v)| (k.clone(), attr_json(v))).collect();
    Ok(HttpResponse::Ok().json(json!({"attrs": attrs})))
}

async fn create(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<AttrBody>,
    target: Target,
) -> Result<HttpResponse, ApiError> {
    // The caller first: the body is read only for someone allowed to send it.
    let a = authed(&sso, &call, &req).await?;
    let owner = owner(&sso, &a, &target).await?;
    sso.write_attrs(&a.ctx, &owner, body.take()?.inputs()?, WriteMode::Create)
        .await?;
    Ok(HttpResponse::Created().finish())
}

async fn one(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    target: Target,
    name: String,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let owner = owner(&sso, &a, &target).await?;
    let found = sso.read_attrs(&a.ctx, &owner, Some(vec![name.clone()])).await?;
    let attr = found.get(&name).ok_or_else(no_such_attr)?;
    Ok(HttpResponse::Ok().json(attr_json(attr)))
}

async fn write(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    target: Target,
    name: String,
    body: JsonBody<AttrBody>,
    mode: WriteMode,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let owner = owner(&sso, &a, &target).await?;
    sso.write_attrs(&a.ctx, &owner, vec![body.take()?.input(Some(name.clone()))?], mode)
        .await?;
    let found = sso.read_attrs(&a.ctx, &owner, Some(vec![name.clone()])).await?;
    let attr = found.get(&name).ok_or_else(no_such_attr)?;
    Ok(HttpResponse::Ok().json(attr_json(attr)))
}

async fn remove(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    target: Target,
    name: String,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let owner = owner(&sso, &a, &target).await?;
    if sso.delete_attrs(&a.ctx, &owner, vec![name]).await? == 0 {
        return Err(no_such_attr());
    }
    Ok(HttpResponse::NoContent().finish())
}

type UserPath = web::Path<(String, String)>;
type UserAttrPath = web::Path<(String, String, String)>;
type SessionAttrPath = web::Path<(String, String)>;

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)"),
        ("name" = Option<Vec<String>>, Query, description = "Only these names (repeatable)")
    ),
    responses(
        (status = 200, description = "The live attributes", body = schemas::Attrs),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: neither the owner nor a super-user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn user_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    list(sso, call, req, Target::User(path.into_inner().1)).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    request_body = schemas::AttrWrite,
    responses(
        (status = 201, description = "Created"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: neither the owner nor a super-user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E009001: the attribute exists", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn user_create(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<AttrBody>,
) -> Result<HttpResponse, ApiError> {
    create(sso, call, req, body, Target::User(path.into_inner().1)).await
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)"),
        ("name" = String, Path, description = "An attribute name")
    ),
    responses(
        (status = 200, description = "The attribute", body = schemas::Attr),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: neither the owner nor a super-user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E009002: no such attribute; E001100: no such user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn user_get(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserAttrPath,
) -> Result<HttpResponse, ApiError> {
    let (_, user, name) = path.into_inner();
    one(sso, call, req, Target::User(user), name).await
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)"),
        ("name" = String, Path, description = "An attribute name")
    ),
    request_body = schemas::AttrWrite,
    responses(
        (status = 200, description = "The attribute, created or replaced", body = schemas::Attr),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: neither the owner nor a super-user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn user_put(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserAttrPath,
    body: JsonBody<AttrBody>,
) -> Result<HttpResponse, ApiError> {
    let (_, user, name) = path.into_inner();
    write(sso, call, req, Target::User(user), name, body, WriteMode::Set).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)"),
        ("name" = String, Path, description = "An attribute name")
    ),
    request_body = schemas::AttrWrite,
    responses(
        (status = 200, description = "The attribute, updated", body = schemas::Attr),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: neither the owner nor a super-user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E009002: no such attribute; E001100: no such user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn user_patch(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserAttrPath,
    body: JsonBody<AttrBody>,
) -> Result<HttpResponse, ApiError> {
    let (_, user, name) = path.into_inner();
    write(sso, call, req, Target::User(user), name, body, WriteMode::Update).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)"),
        ("name" = String, Path, description = "An attribute name")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: neither the owner nor a super-user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E009002: no such attribute; E001100: no such user", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn user_delete(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserAttrPath,
) -> Result<HttpResponse, ApiError> {
    let (_, user, name) = path.into_inner();
    remove(sso, call, req, Target::User(user), name).await
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/session/attrs",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("name" = Option<Vec<String>>, Query, description = "Only these names (repeatable)")
    ),
    responses(
        (status = 200, description = "The current session's live attributes", body = schemas::Attrs),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn session_list(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    list(sso, call, req, Target::Session).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/session/attrs",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = schemas::AttrWrite,
    responses(
        (status = 201, description = "Created"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E009001: the attribute exists", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn session_create(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<AttrBody>,
) -> Result<HttpResponse, ApiError> {
    create(sso, call, req, body, Target::Session).await
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("name" = String, Path, description = "An attribute name")
    ),
    responses(
        (status = 200, description = "The attribute", body = schemas::Attr),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E009002: no such attribute", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn session_get(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: SessionAttrPath,
) -> Result<HttpResponse, ApiError> {
    one(sso, call, req, Target::Session, path.into_inner().1).await
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("name" = String, Path, description = "An attribute name")
    ),
    request_body = schemas::AttrWrite,
    responses(
        (status = 200, description = "The attribute, created or replaced", body = schemas::Attr),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn session_put(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: SessionAttrPath,
    body: JsonBody<AttrBody>,
) -> Result<HttpResponse, ApiError> {
    write(
        sso,
        call,
        req,
        Target::Session,
        path.into_inner().1,
        body,
        WriteMode::Set,
    )
    .await
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("name" = String, Path, description = "An attribute name")
    ),
    request_body = schemas::AttrWrite,
    responses(
        (status = 200, description = "The attribute, updated", body = schemas::Attr),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E009002: no such attribute", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn session_patch(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: SessionAttrPath,
    body: JsonBody<AttrBody>,
) -> Result<HttpResponse, ApiError> {
    write(
        sso,
        call,
        req,
        Target::Session,
        path.into_inner().1,
        body,
        WriteMode::Update,
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/session/attrs/{name}",
    tag = "attributes",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("name" = String, Path, description = "An attribute name")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E009002: no such attribute", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn session_delete(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: SessionAttrPath,
) -> Result<HttpResponse, ApiError> {
    remove(sso, call, req, Target::Session, path.into_inner().1).await
}
