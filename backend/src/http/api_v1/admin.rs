//! Tenant administration on the native API (super-users of the tenant): settings, apps and their keys, and
//! the audit log.

use super::auth::authed_super;
use super::schemas;
use crate::http::call::{Call, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::Sso;
use crate::sso::SsoError;
use crate::sso::apps::AppView;
use crate::store::audit::AuditFilter;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/settings",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    responses(
        (status = 200, description = "The effective settings and the tenant's overrides", body = schemas::Settings),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn settings(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    let (effective, overrides) = sso.settings_view(&a.ctx).await?;
    Ok(HttpResponse::Ok().json(json!({"effective": effective, "overrides": overrides})))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/settings",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    request_body(content = Object, description = "`{section: {key: value or null}}`; null removes an override"),
    responses(
        (status = 200, description = "The settings after the change", body = schemas::Settings),
        (status = 400, description = "E008002: malformed body; E008003: no change", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E008002: an unknown key or a value of the wrong type; `detail` names the key", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn patch_settings(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
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
    sso.set_settings(&a.ctx, changes).await?;
    let tenant = sso.resolve_tenant(a.ctx.tenant.slug.as_str()).await?;
    let ctx = crate::sso::Ctx { tenant, ..a.ctx };
    let (effective, overrides) = sso.settings_view(&ctx).await?;
    Ok(HttpResponse::Ok().json(json!({"effective": effective, "overrides": overrides})))
}

fn app_json(app: &AppView) -> Value {
    json!({
        "name": app.name,
        "login_allowed": app.login_allowed,
        "signup_allowed": app.signup_allowed,
        "login_metadata_allowed": app.login_metadata_allowed,
        "keys": app.keys.iter().map(|(id, t)| json!({"key_id": id, "creation_time": rfc3339(*t)})).collect::<Vec<_>>(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/apps",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    responses(
        (status = 200, description = "The tenant's apps", body = Vec<schemas::App>),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn apps(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    let apps = sso.apps(&a.ctx).await?;
    Ok(HttpResponse::Ok().json(apps.iter().map(app_json).collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppBody {
    name: String,
    #[serde(default = "yes")]
    login_allowed: bool,
    #[serde(default = "yes")]
    signup_allowed: bool,
    #[serde(default)]
    login_metadata_allowed: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/apps",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    request_body = AppBody,
    responses(
        (status = 201, description = "The app, added or changed", body = schemas::App),
        (status = 400, description = "E008002: a malformed body or app name; E008003: no name", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn put_app(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<AppBody>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    let b = body.take()?;
    let app = sso
        .put_app(
            &a.ctx,
            &b.name,
            b.login_allowed,
            b.signup_allowed,
            b.login_metadata_allowed,
        )
        .await?;
    Ok(HttpResponse::Created().json(app_json(&app)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/apps/{name}",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("name" = String, Path, description = "The app"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    responses(
        (status = 204, description = "Removed from every list, its keys revoked"),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E004001: no such app; E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_app(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    sso.delete_app(&a.ctx, &path.into_inner().1).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/apps/{name}/keys",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("name" = String, Path, description = "The app"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    responses(
        (status = 201, description = "The new key, shown this once", body = schemas::NewAppKey),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E004001: no such app; E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_key(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    let key = sso.create_app_key(&a.ctx, &path.into_inner().1).await?;
    Ok(HttpResponse::Created().json(json!({"key_id": key.key_id, "key": key.key})))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/apps/{name}/keys/{key_id}",
    tag = "administration",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("name" = String, Path, description = "The app"), ("key_id" = String, Path, description = "The key's id"), ("X-Current-App" = String, Header, description = "The calling application"), ("Authorization" = String, Header, description = "`Bearer <ust>`")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E004003: no such key; E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke_key(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    let (_, app, key_id) = path.into_inner();
    sso.revoke_app_key(&a.ctx, &app, &key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct AuditQuery {
    user_id: Option<String>,
    op: Option<String>,
    result: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cur_page: Option<i64>,
    page_size: Option<i64>,
}

fn when(value: Option<String>) -> Result<Option<chrono::NaiveDateTime>, ApiError> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(&v)
                .map(|t| t.naive_utc())
                .map_err(|_| ApiError::MalformedBody { missing: false })
        })
        .transpose()
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/audit",
    tag = "administration",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = Option<String>, Query, description = "Entries where this user acted or was acted on"),
        ("op" = Option<String>, Query, description = "e.g. `user.login`"),
        ("result" = Option<String>, Query, description = "`ok` or `error`"),
        ("since" = Option<String>, Query, description = "RFC 3339"),
        ("until" = Option<String>, Query, description = "RFC 3339"),
        ("cur_page" = Option<i64>, Query, description = "From 1"),
        ("page_size" = Option<i64>, Query, description = "Up to search.max_page_size"),
    ),
    responses(
        (status = 200, description = "One page of entries, newest first", body = schemas::AuditPage),
        (status = 400, description = "E008002: a malformed filter", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no valid UST", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E012002: the tenant is suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn audit(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let a = authed_super(&sso, &call, &req).await?;
    let q = query.into_inner();
    let filter = AuditFilter {
        user_id: q.user_id,
        op: q.op,
        result: q.result,
        since: when(q.since)?,
        until: when(q.until)?,
    };
    let page = sso.audit_entries(&a.ctx, filter, q.cur_page, q.page_size).await?;
    let result: Vec<Value> = page
        .result
        .iter()
        .map(|e| {
            json!({
                "time": rfc3339(e.time),
                "cid": e.cid,
                "op": e.op,
                "current_user": e.current_user_id,
                "target_user": e.target_user_id,
                "result": e.result,
                "sub_status": e.sub_status,
                "remote_addr": e.remote_addr,
                "current_app": e.current_app,
                "extra": e.extra.as_deref().and_then(|x| serde_json::from_str::<Value>(x).ok()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"total": page.total, "cur_page": page.cur_page, "page_size": page.page_size, "result": result})))
}
