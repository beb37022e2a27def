//! The Zato-compatible surface, `/zato/sso/...` and `/t/{tenant}/zato/sso/...`: Zato 3.2's wire format, with
//! the body parsed as JSON whatever its `Content-Type`, and the `{"status", "sub_status", "cid"}` envelope.

pub mod user;

use actix_web::web;

/// The routes, for either Zato scope. Login and logout answer any verb, as Zato's did.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/user/login", web::route().to(user::login))
        .route("/user/logout", web::route().to(user::logout));
}
