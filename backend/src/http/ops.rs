//! Operational endpoints.

use actix_web::HttpResponse;
use serde_json::json;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
