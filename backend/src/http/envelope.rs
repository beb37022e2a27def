//! The outermost middleware: it gives every request its meta (correlation id, surface), echoes
//! `X-Correlation-ID`, renders every error response for the surface, adds the pages' security headers to HTML,
//! and logs and measures the request. Handlers read the meta with the [`RequestMeta`] extractor.

use super::error::{ApiError, render};
use super::meta::{CORRELATION_HEADER, RequestMeta, Surface, new_cid, sane_cid};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use std::future::{Ready, ready};
use tracing::Instrument;

/// The outermost middleware: sets the request's meta, renders errors for its surface, echoes the cid.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let cid = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane_cid(v))
        .map_or_else(new_cid, str::to_owned);
    let surface = Surface::of(req.path());
    let tenant_hint = match surface {
        Surface::Web => req
            .path()
            .strip_prefix("/t/")
            .map(|rest| rest.split('/').next().unwrap_or_default().to_owned())
            .filter(|slug| gatehouse_shared::TenantSlug::parse(slug).is_ok()),
        _ => None,
    };
    let meta = RequestMeta {
        cid,
        surface,
        tenant_hint,
    };
    req.extensions_mut().insert(meta.clone());
    let (method, started) = (req.method().clone(), std::time::Instant::now());
    // The route's template, not the path: paths carry user and session ids, and query strings one-time tokens
    // (links in e-mails). Every line logged while the request runs carries it, with the cid and (once
    // resolved, see `tenant::resolve`) the tenant.
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "request",
        cid = %meta.cid,
        route = %route,
        tenant = tracing::field::Empty
    );
    let metrics = req
        .app_data::<actix_web::web::Data<crate::sso::Sso>>()
        .map(|sso| sso.metrics.clone());
    // Inner middleware answer failures as responses carrying their error (see `fail`), so every error
    // arrives here as a response to re-render.
    let res = next.call(req).instrument(span.clone()).await?.map_into_boxed_body();
    let mut res = match res.response().error() {
        Some(error) => {
            let rendered = render(error, &meta);
            res.into_response(rendered)
        }
        None => res,
    };
    // Every HTML response, error pages included (rendered just above, after the pages' own middleware ran),
    // carries the pages' security headers.
    if super::pages::is_html(res.headers()) {
        super::pages::set_security_headers(res.headers_mut());
    }
    if let Ok(value) = HeaderValue::from_str(&meta.cid) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(CORRELATION_HEADER),
            value,
        );
    }
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    if let Some(metrics) = metrics {
        metrics.observe_request(&route, method.as_str(), status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            status,
            millis = elapsed.as_millis() as u64,
            "request"
        )
    });
    Ok(res)
}

/// Ends a request in a middleware with an error, as a response the envelope renders for the surface.
pub fn fail(req: ServiceRequest, error: impl Into<Error>) -> ServiceResponse<BoxBody> {
    // `into_response` would convert to a plain response and drop the attached error the envelope looks for.
    let (request, _) = req.into_parts();
    ServiceResponse::new(request, actix_web::HttpResponse::from_error(error.into()))
}

impl FromRequest for RequestMeta {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<RequestMeta>()
                .cloned()
                .ok_or_else(|| ApiError::NoRoute.into()),
        )
    }
}
