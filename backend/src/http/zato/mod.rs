//! The Zato-compatible surface, `/zato/sso/...` and `/t/{tenant}/zato/sso/...`: Zato 3.2's wire format, with
//! the body parsed as JSON whatever its `Content-Type` and whatever the verb, and the `{"status", "sub_status",
//! "cid"}` envelope.

pub mod attrs;
pub mod body;
pub mod sessions;
pub mod signup;
pub mod user;
pub mod user_view;
pub mod users;

use actix_web::web;

/// The routes, for either Zato scope. Login and logout answer any verb, as Zato's did.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/user/login", web::route().to(user::login))
        .route("/user/logout", web::route().to(user::logout))
        .route("/user", web::get().to(users::get))
        .route("/user", web::post().to(users::create))
        .route("/user", web::patch().to(users::update))
        .route("/user", web::delete().to(users::delete))
        .route("/user/password", web::patch().to(users::password))
        .route("/user/approve", web::post().to(users::approve))
        .route("/user/reject", web::post().to(users::reject))
        .route("/user/lock", web::post().to(users::lock))
        .route("/user/lock", web::delete().to(users::unlock))
        .route("/user/totp", web::patch().to(users::totp))
        .route("/user/search", web::get().to(users::search))
        .route("/user/session", web::post().to(sessions::verify))
        .route("/user/session", web::get().to(sessions::get))
        .route("/user/session", web::patch().to(sessions::renew))
        .route("/user/session/list", web::get().to(sessions::list))
        .route("/user/attr", web::post().to(attrs::user_create))
        .route("/user/attr", web::patch().to(attrs::user_update))
        .route("/user/attr", web::put().to(attrs::user_set))
        .route("/user/attr", web::get().to(attrs::user_get))
        .route("/user/attr", web::delete().to(attrs::user_delete))
        .route("/user/attr/exists", web::get().to(attrs::user_exists))
        .route("/user/attr/names", web::get().to(attrs::user_names))
        .route("/session/attr", web::post().to(attrs::session_create))
        .route("/session/attr", web::patch().to(attrs::session_update))
        .route("/session/attr", web::put().to(attrs::session_set))
        .route("/session/attr", web::get().to(attrs::session_get))
        .route("/session/attr", web::delete().to(attrs::session_delete))
        .route("/session/attr/exists", web::get().to(attrs::session_exists))
        .route("/session/attr/names", web::get().to(attrs::session_names))
        .route("/user/signup", web::post().to(signup::signup))
        .route("/user/signup", web::patch().to(signup::confirm))
        .route("/user/signup/confirm", web::post().to(signup::confirm))
        .route("/password/reset", web::post().to(signup::reset))
        .route("/password/reset", web::patch().to(signup::access))
        .route("/password/reset", web::delete().to(signup::complete));
}
