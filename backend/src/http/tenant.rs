//! Tenant resolution for tenant-scoped paths: the tenant of the path (or, on the bare Zato surface, the header
//! `X-Gatehouse-Tenant`, else `zato_compat.default_tenant`) must exist and be active before any handler runs.

use super::envelope::fail;
use super::error::ApiError;
use crate::sso::{Sso, Tenant};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use std::future::{Ready, ready};

pub const TENANT_HEADER: &str = "x-gatehouse-tenant";

pub async fn resolve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(sso) = req.app_data::<web::Data<Sso>>().cloned() else {
        return Ok(fail(req, ApiError::NoRoute));
    };
    let slug = match req.match_info().get("tenant") {
        Some(slug) => slug.to_owned(),
        None => req
            .headers()
            .get(TENANT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| sso.config.zato_compat.default_tenant.clone(), str::to_owned),
    };
    match sso.active_tenant(&slug).await {
        Ok(tenant) => {
            tracing::Span::current().record("tenant", tenant.slug.as_str());
            req.extensions_mut().insert(tenant);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(e) => Ok(fail(req, ApiError::from(e))),
    }
}

impl FromRequest for Tenant {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Tenant>()
                .cloned()
                .ok_or_else(|| ApiError::NoRoute.into()),
        )
    }
}
