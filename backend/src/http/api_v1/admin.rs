//! Tenant administration on the native API (super-users of the tenant): settings, apps and their keys, and
//! the audit log.

use super::Caller;
use super::auth::authed_super;
use super::params::{AppName, Authenticated, KeyId};
use super::responses::{NoSuchApp, SuperUserErrors};
use crate::domain::AuditFilter;
use crate::http::call::rfc3339;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::apps::AppView;
use crate::sso::{Admin, Sso, SsoError};
use actix_web::{HttpResponse, web};
use gatehouse_shared::api;
use serde_json::{Map, Value};

async fn settings_of(sso: &Sso, admin: &Admin) -> Result<web::Json<api::Settings>, ApiError> {
    let (effective, overrides) = sso.settings_view(admin).await?;
    Ok(web::Json(api::Settings { effective, overrides }))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/settings",
    tag = "administration",
    params(Authenticated),
    responses(
        (status = 200, description = "The effective settings and the tenant's overrides", body = api::Settings),
        SuperUserErrors,
    ),
)]
pub async fn settings((sso, call, req): Caller) -> Result<web::Json<api::Settings>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    settings_of(&sso, &admin).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/settings",
    tag = "administration",
    params(Authenticated),
    request_body(content = Object, description = "`{section: {key: value or null}}`; null removes an override"),
    responses(
        (status = 200, description = "The settings after the change", body = api::Settings),
        (status = 400, description = "E008002: malformed body; E008003: no change", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E008002: an unknown key or a value of the wrong type; `detail` names the key", body = api::Problem, content_type = "application/problem+json"),
        SuperUserErrors,
    ),
)]
pub async fn patch_settings(
    (sso, call, req): Caller,
    body: JsonBody<Map<String, Value>>,
) -> Result<web::Json<api::Settings>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let mut changes = Vec::new();
    for (section, fields) in body.take()? {
        let Value::Object(fields) = fields else {
            return Err(SsoError::Invalid {
                key: section,
                message: "expected an object of keys".into(),
            }
            .into());
        };
        for (key, value) in fields {
            changes.push((section.clone(), key, (!value.is_null()).then_some(value)));
        }
    }
    sso.set_settings(&admin, changes).await?;
    let tenant = sso.resolve_tenant(admin.ctx().tenant.slug.as_str()).await?;
    settings_of(&sso, &admin.refreshed(tenant)?).await
}

fn wire(app: AppView) -> api::App {
    api::App {
        name: app.name,
        login_allowed: app.login_allowed,
        signup_allowed: app.signup_allowed,
        login_metadata_allowed: app.login_metadata_allowed,
        keys: app
            .keys
            .into_iter()
            .map(|(key_id, t)| api::AppKeyInfo {
                key_id,
                creation_time: rfc3339(t),
            })
            .collect(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/apps",
    tag = "administration",
    params(Authenticated),
    responses((status = 200, description = "The tenant's apps", body = Vec<api::App>), SuperUserErrors),
)]
pub async fn apps((sso, call, req): Caller) -> Result<web::Json<Vec<api::App>>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    Ok(web::Json(sso.apps(&admin).await?.into_iter().map(wire).collect()))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/apps",
    tag = "administration",
    params(Authenticated),
    request_body = api::AppBody,
    responses(
        (status = 201, description = "The app, added or changed", body = api::App),
        (status = 400, description = "E008002: a malformed body or app name; E008003: no name", body = api::Problem, content_type = "application/problem+json"),
        SuperUserErrors,
    ),
)]
pub async fn put_app((sso, call, req): Caller, body: JsonBody<api::AppBody>) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let b = body.take()?;
    let app = sso
        .put_app(
            &admin,
            &b.name,
            b.login_allowed,
            b.signup_allowed,
            b.login_metadata_allowed,
        )
        .await?;
    Ok(HttpResponse::Created().json(wire(app)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/apps/{name}",
    tag = "administration",
    params(Authenticated, AppName),
    responses((status = 204, description = "Removed from every list, its keys revoked"), NoSuchApp, SuperUserErrors),
)]
pub async fn delete_app((sso, call, req): Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    sso.delete_app(&admin, &path.into_inner().1).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/apps/{name}/keys",
    tag = "administration",
    params(Authenticated, AppName),
    responses(
        (status = 201, description = "The new key, shown this once", body = api::NewAppKey),
        NoSuchApp, SuperUserErrors,
    ),
)]
pub async fn create_key((sso, call, req): Caller, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let key = sso.create_app_key(&admin, &path.into_inner().1).await?;
    Ok(HttpResponse::Created().json(api::NewAppKey {
        key_id: key.key_id,
        key: key.key,
    }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/apps/{name}/keys/{key_id}",
    tag = "administration",
    params(Authenticated, AppName, KeyId),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "E004003: no such key", body = api::Problem, content_type = "application/problem+json"),
        SuperUserErrors,
    ),
)]
pub async fn revoke_key(
    (sso, call, req): Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let (_, app, key_id) = path.into_inner();
    sso.revoke_app_key(&admin, &app, &key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A bound of the filter, RFC 3339; anything else is a malformed filter.
fn when(value: Option<String>) -> Result<Option<chrono::NaiveDateTime>, ApiError> {
    let parse = |v: String| chrono::DateTime::parse_from_rfc3339(&v).map(|t| t.naive_utc());
    value
        .map(parse)
        .transpose()
        .map_err(|_| ApiError::MalformedBody { missing: false })
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/audit",
    tag = "administration",
    params(Authenticated, api::AuditQuery),
    responses(
        (status = 200, description = "One page of entries, newest first", body = api::AuditPage),
        (status = 400, description = "E008002: a malformed filter", body = api::Problem, content_type = "application/problem+json"),
        SuperUserErrors,
    ),
)]
pub async fn audit(
    (sso, call, req): Caller,
    query: web::Query<api::AuditQuery>,
) -> Result<web::Json<api::AuditPage>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let q = query.into_inner();
    let filter = AuditFilter {
        user_id: q.user_id,
        op: q.op,
        result: q.result,
        since: when(q.since)?,
        until: when(q.until)?,
    };
    let page = sso.audit_entries(&admin, filter, q.cur_page, q.page_size).await?;
    let result = page
        .result
        .into_iter()
        .map(|e| api::AuditEntry {
            time: rfc3339(e.time),
            cid: e.cid,
            op: e.op,
            current_user: e.current_user_id,
            target_user: e.target_user_id,
            result: e.result,
            sub_status: e.sub_status,
            remote_addr: e.remote_addr,
            current_app: e.current_app,
            extra: e.extra.as_deref().and_then(|x| serde_json::from_str(x).ok()),
        })
        .collect();
    Ok(web::Json(api::AuditPage {
        total: page.total,
        cur_page: page.cur_page,
        page_size: page.page_size,
        result,
    }))
}
