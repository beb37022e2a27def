//! The tenant lifecycle for operators (super-users of the `system` tenant), `/api/v1/tenants`: list, create,
//! read, change (display name, status), delete with confirmation. A UST of the `system` tenant authenticates.

use super::params::{Operator, Slug};
use super::responses::{NoSuchTenant, OperatorErrors};
use crate::crypto::password::Password;
use crate::domain::Email;
use crate::http::call::{CURRENT_APP_HEADER, bearer, client_addr};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::meta::RequestMeta;
use crate::sso::SsoError;
use crate::sso::context::AppKey;
use crate::sso::session::no_such_session;
use crate::sso::tenant_setup::FirstAdministrator;
use crate::sso::{Actor, Ctx, Sso, Tenant, TenantStatus};
use actix_web::{HttpRequest, HttpResponse, web};
use gatehouse_shared::{SubStatus, TenantSlug, api};

/// What an operator's handler extracts before it checks the UST (a UST of `system`, whatever the path).
type OperatorCaller = (web::Data<Sso>, HttpRequest, RequestMeta);

/// The operator behind the request's UST.
async fn operator(sso: &Sso, req: &HttpRequest, meta: &RequestMeta) -> Result<crate::sso::Operator, ApiError> {
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
    Ok(current.require_super_user(&ctx)?.operator()?)
}

/// The wire's first administrator in the domain's terms: a malformed address is `E003004`.
fn first_administrator(first: api::NewAdministrator) -> Result<FirstAdministrator, ApiError> {
    let email = match first.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => {
            Some(Email::parse(e).map_err(|_| SsoError::refused(crate::sso::Kind::BadInput, SubStatus::EmailInvalid))?)
        }
    };
    Ok(FirstAdministrator {
        username: first.username,
        email,
        password: first.password.filter(|p| !p.is_empty()).map(Password::new),
    })
}

fn wire(t: Tenant) -> api::Tenant {
    api::Tenant {
        slug: t.slug.to_string(),
        display_name: t.display_name,
        status: match t.status {
            TenantStatus::Active => api::TenantStatus::Active,
            TenantStatus::Suspended => api::TenantStatus::Suspended,
        },
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants",
    tag = "operators",
    params(Operator),
    responses((status = 200, description = "Every tenant", body = Vec<api::Tenant>), OperatorErrors),
)]
pub async fn list((sso, req, meta): OperatorCaller) -> Result<web::Json<Vec<api::Tenant>>, ApiError> {
    operator(&sso, &req, &meta).await?;
    Ok(web::Json(sso.list_tenants().await?.into_iter().map(wire).collect()))
}

#[utoipa::path(
    post,
    path = "/api/v1/tenants",
    tag = "operators",
    params(Operator),
    request_body = api::NewTenant,
    responses(
        (status = 201, description = "The new tenant", body = api::Tenant),
        (status = 400, description = "E008002: a malformed body or slug; E008003: no slug, or an administrator with neither a password nor an e-mail address; E001001: the administrator's username breaks the rules; E002001: their address is not one", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The administrator's password breaks the password policy (E003xxx)", body = api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E008001: the slug is taken", body = api::Problem, content_type = "application/problem+json"),
        OperatorErrors,
    ),
)]
pub async fn create(
    (sso, req, meta): OperatorCaller,
    body: JsonBody<api::NewTenant>,
) -> Result<HttpResponse, ApiError> {
    let op = operator(&sso, &req, &meta).await?;
    let body = body.take()?;
    let tenant = match body.administrator {
        None => {
            sso.create_tenant_as(&op, &body.slug, body.display_name.as_deref())
                .await?
        }
        Some(first) => {
            let first = first_administrator(first)?;
            sso.create_tenant_with_administrator(&op, &body.slug, body.display_name.as_deref(), first)
                .await?
                .0
        }
    };
    Ok(HttpResponse::Created().json(wire(tenant)))
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants/{slug}",
    tag = "operators",
    params(Slug, Operator),
    responses((status = 200, description = "The tenant", body = api::Tenant), NoSuchTenant, OperatorErrors),
)]
pub async fn get(
    (sso, req, meta): OperatorCaller,
    path: web::Path<String>,
) -> Result<web::Json<api::Tenant>, ApiError> {
    operator(&sso, &req, &meta).await?;
    Ok(web::Json(wire(sso.resolve_tenant(&path.into_inner()).await?)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/tenants/{slug}",
    tag = "operators",
    params(Slug, Operator),
    request_body = api::TenantChange,
    responses(
        (status = 200, description = "The tenant; a suspended one answers every login and UST use with E012002", body = api::Tenant),
        (status = 400, description = "E008002: a malformed body, name or status", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E008001: the system tenant cannot be suspended", body = api::Problem, content_type = "application/problem+json"),
        NoSuchTenant, OperatorErrors,
    ),
)]
pub async fn update(
    (sso, req, meta): OperatorCaller,
    path: web::Path<String>,
    body: JsonBody<api::TenantChange>,
) -> Result<web::Json<api::Tenant>, ApiError> {
    let op = operator(&sso, &req, &meta).await?;
    let body = body.take()?;
    let status = body.status.map(|s| match s {
        api::TenantStatus::Active => TenantStatus::Active,
        api::TenantStatus::Suspended => TenantStatus::Suspended,
    });
    let tenant = sso.resolve_tenant(&path.into_inner()).await?;
    let tenant = sso.update_tenant(&op, tenant, body.display_name, status).await?;
    Ok(web::Json(wire(tenant)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{slug}",
    tag = "operators",
    params(Slug, Operator),
    request_body = api::Confirmation,
    responses(
        (status = 204, description = "The tenant and everything it owned are gone"),
        (status = 400, description = "E008003: no confirmation; E008002: the confirmation is not the slug", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E008001: the system tenant cannot be deleted", body = api::Problem, content_type = "application/problem+json"),
        NoSuchTenant, OperatorErrors,
    ),
)]
pub async fn delete(
    (sso, req, meta): OperatorCaller,
    path: web::Path<String>,
    body: JsonBody<api::Confirmation>,
) -> Result<HttpResponse, ApiError> {
    let op = operator(&sso, &req, &meta).await?;
    let body = body.take()?;
    sso.delete_tenant(&op, &path.into_inner(), body.confirm.as_deref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
