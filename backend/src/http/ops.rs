//! Operational endpoints: liveness, readiness and metrics.

use crate::sso::Sso;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;
use std::time::Duration;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready for traffic: the database answers within `server.readiness_timeout_ms` and its schema is current.
/// Otherwise 503 with the reason, so a load balancer stops sending requests here until it is.
pub async fn readyz(sso: web::Data<Sso>) -> HttpResponse {
    let timeout = Duration::from_millis(sso.config.server.readiness_timeout_ms.max(1));
    let store = sso.store.clone();
    let check = tokio::task::spawn_blocking(move || store.readiness());
    let answer = tokio::time::timeout(timeout, check).await;
    let (status, reason) = match answer {
        Ok(Ok(Ok(true))) => (StatusCode::OK, None),
        Ok(Ok(Ok(false))) => (StatusCode::SERVICE_UNAVAILABLE, Some("migrations_pending")),
        Ok(Ok(Err(e))) => {
            tracing::warn!(error = %e, "not ready: the database cannot be reached");
            (StatusCode::SERVICE_UNAVAILABLE, Some("database_unavailable"))
        }
        Ok(Err(_)) | Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Some("database_timeout")),
    };
    let body = match reason {
        None => json!({"status": "ready"}),
        Some(reason) => json!({"status": "unavailable", "reason": reason}),
    };
    HttpResponse::build(status)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Every metric in the Prometheus text format.
pub async fn metrics(sso: web::Data<Sso>) -> HttpResponse {
    let text = sso.metrics.render(
        sso.hasher.queue_counters(),
        sso.hasher.queue_depths().iter().map(|(_, depth)| depth).sum(),
        sso.store.pool_state(),
        sso.session_cache().reading(),
    );
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(text)
}
