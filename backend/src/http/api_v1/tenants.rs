//! The tenant lifecycle for operators (super-users of the `system` tenant), `/api/v1/tenants`: list, create,
//! read, change (display name, status), delete with confirmation. A UST of the `system` tenant authenticates.

use super::auth::Authed;
use super::schemas;
use crate::http::call::{CURRENT_APP_HEADER, bearer, client_addr};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::meta::RequestMeta;
use crate::sso::context::AppKey;
use crate::sso::session::{no_such_session, super_user_required};
use crate::sso::{Actor, Ctx, Sso, Tenant, TenantStatus};
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::TenantSlug;
use serde::Deserialize;
use serde_json::{Value, json};

/// The operator behind the request's UST.
async fn operator(sso: &Sso, req: &HttpRequest, meta: &RequestMeta) -> Result<Authed, ApiError> {
    let system = sso.active_tenant(TenantSlug::SYSTEM).await?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let ctx = Ctx {
        cid: meta.cid.clone(),
        tenant: system,
        current_app: header(CURRENT_APP_HEADER).unwrap_or_default(),
        remote_addr: client_addr(req, &sso.config.server.trusted_proxies).map(|ip| ip.to_string()),
        user_agent: header("user-agent"),
        now: sso.clock.now(),
        actor: Actor::Anonymous,
        app_key: header(crate::http::call::APP_KEY_HEADER).map(AppKey),
        web_ui: false,
    };
    let ust = bearer(req).ok_or_else(no_such_session)?;
    let current = sso.current_session(&ctx, &ust).await?;
    if !current.user.is_super_user {
        return Err(super_user_required().into());
    }
    let ctx = current.acting(&ctx);
    Ok(Authed { current, ctx })
}

fn tenant_json(t: &Tenant) -> Value {
    json!({"slug": t.slug, "display_name": t.display_name, "status": t.status.as_str()})
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants",
    tag = "operators",
    params(("X-Current-App" = String, Header, description = "The calling application, an app of the `system` tenant (required, as on every native call)"), ("Authorization" = String, Header, description = "`Bearer <ust>` of a super-user of `system`")),
    responses(
        (status = 200, description = "Every tenant", body = Vec<schemas::Tenant>),
        (status = 401, description = "E007001: no valid UST of the system tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not an operator", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(sso: web::Data<Sso>, req: HttpRequest, meta: RequestMeta) -> Result<HttpResponse, ApiError> {
    operator(&sso, &req, &meta).await?;
    let tenants = sso.list_tenants().await?;
    Ok(HttpResponse::Ok().json(tenants.iter().map(tenant_json).collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    slug: String,
    #[serde(default)]
    display_name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/tenants",
    tag = "operators",
    params(("X-Current-App" = String, Header, description = "The calling application, an app of the `system` tenant (required, as on every native call)"), ("Authorization" = String, Header, description = "`Bearer <ust>` of a super-user of `system`")),
    request_body = NewTenant,
    responses(
        (status = 201, description = "The new tenant", body = schemas::Tenant),
        (status = 400, description = "E008002: a malformed body or slug; E008003: no slug", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no valid UST of the system tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not an operator", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E008001: the slug is taken", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    sso: web::Data<Sso>,
    req: HttpRequest,
    meta: RequestMeta,
    body: JsonBody<NewTenant>,
) -> Result<HttpResponse, ApiError> {
    let op = operator(&sso, &req, &meta).await?;
    let body = body.take()?;
    let tenant = sso
        .create_tenant(
            &body.slug,
            body.display_name.as_deref(),
            op.ctx.actor.clone(),
            &meta.cid,
        )
        .await?;
    Ok(HttpResponse::Created().json(tenant_json(&tenant)))
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants/{slug}",
    tag = "operators",
    params(("slug" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application, an app of the `system` tenant (required, as on every native call)"), ("Authorization" = String, Header, description = "`Bearer <ust>` of a super-user of `system`")),
    responses(
        (status = 200, description = "The tenant", body = schemas::Tenant),
        (status = 401, description = "E007001: no valid UST of the system tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not an operator", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(
    sso: web::Data<Sso>,
    req: HttpRequest,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    operator(&sso, &req, &meta).await?;
    let tenant = sso.resolve_tenant(&path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tenant_json(&tenant)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantChange {
    #[serde(default)]
    display_name: Option<String>,
    /// `active` or `suspended`.
    #[serde(default)]
    status: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/tenants/{slug}",
    tag = "operators",
    params(("slug" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application, an app of the `system` tenant (required, as on every native call)"), ("Authorization" = String, Header, description = "`Bearer <ust>` of a super-user of `system`")),
    request_body = TenantChange,
    responses(
        (status = 200, description = "The tenant; a suspended one answers every login and UST use with E012002", body = schemas::Tenant),
        (status = 400, description = "E008002: a malformed body, name or status", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no valid UST of the system tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not an operator; E008001: the system tenant cannot be suspended", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update(
    sso: web::Data<Sso>,
    req: HttpRequest,
    meta: RequestMeta,
    path: web::Path<String>,
    body: JsonBody<TenantChange>,
) -> Result<HttpResponse, ApiError> {
    let op = operator(&sso, &req, &meta).await?;
    let body = body.take()?;
    let status = match body.status.as_deref() {
        None => None,
        Some("active") => Some(TenantStatus::Active),
        Some("suspended") => Some(TenantStatus::Suspended),
        Some(_) => return Err(ApiError::MalformedBody { missing: false }),
    };
    let tenant = sso.resolve_tenant(&path.into_inner()).await?;
    let ctx = Ctx { tenant, ..op.ctx };
    let tenant = sso.update_tenant(&ctx, body.display_name, status).await?;
    Ok(HttpResponse::Ok().json(tenant_json(&tenant)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Confirmation {
    /// The tenant's slug again.
    #[serde(default)]
    confirm: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{slug}",
    tag = "operators",
    params(("slug" = String, Path, description = "The tenant's slug"), ("X-Current-App" = String, Header, description = "The calling application, an app of the `system` tenant (required, as on every native call)"), ("Authorization" = String, Header, description = "`Bearer <ust>` of a super-user of `system`")),
    request_body = Confirmation,
    responses(
        (status = 204, description = "The tenant and everything it owned are gone"),
        (status = 400, description = "E008003: no confirmation; E008002: the confirmation is not the slug", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no valid UST of the system tenant", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not an operator; E008001: the system tenant cannot be deleted", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    sso: web::Data<Sso>,
    req: HttpRequest,
    meta: RequestMeta,
    path: web::Path<String>,
    body: JsonBody<Confirmation>,
) -> Result<HttpResponse, ApiError> {
    operator(&sso, &req, &meta).await?;
    let body = body.take()?;
    sso.delete_tenant(&path.into_inner(), body.confirm.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
