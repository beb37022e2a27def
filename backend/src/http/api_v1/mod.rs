//! The native REST API, `/api/v1/t/{tenant}/...`: JSON in and out, problem+json errors.

pub mod session;

use actix_web::web;

/// The tenant-scoped routes, for the `/api/v1/t/{tenant}` scope.
pub fn tenant_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::post().to(session::login))
        .route("/logout", web::post().to(session::logout))
        .route("/session", web::get().to(session::get));
}
