//! The native REST API, `/api/v1/t/{tenant}/...`: JSON in and out, problem+json errors.

pub mod admin;
pub mod attrs;
pub mod auth;
pub mod clients;
pub mod params;
pub mod passkeys;
pub mod responses;
pub mod session;
pub mod sessions;
pub mod signup;
pub mod tenants;
pub mod totp;
pub mod users;
pub mod wire;

use crate::http::call::Call;
use crate::sso::Sso;
use actix_web::{HttpRequest, web};
use responses::OneResponsePerStatus;

/// What a handler of an authenticated call extracts before it checks the UST: the domain, the call's context
/// and the request (which carries the `Authorization`). Handlers destructure it: `(sso, call, req): Caller`.
pub type Caller = (web::Data<Sso>, Call, HttpRequest);

/// Declares the tenant-scoped routes once: registered with actix, and listed for the route-coverage test.
macro_rules! routes {
    (
        tenant: [$(($method:ident, $path:literal, $handler:path)),* $(,)?],
        operators: [$(($omethod:ident, $opath:literal, $ohandler:path)),* $(,)?] $(,)?
    ) => {
        /// Every tenant-scoped route as `(method, path)` under `/api/v1/t/{tenant}`.
        pub const TENANT_ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Every operator route as `(method, path)` under `/api/v1/tenants`.
        pub const OPERATOR_ROUTES: &[(&str, &str)] = &[$((stringify!($omethod), $opath)),*];

        /// The operator routes, for the `/api/v1/tenants` scope.
        pub fn operator_routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($opath, web::$omethod().to($ohandler));)*
        }

        /// The OpenAPI document of these routes.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(title = "Gatehouse", description = "Multi-tenant single sign-on: the native REST API."),
            paths($($handler,)* $($ohandler),*),
            // Referred to rather than carried: the problem by the shared failure responses, the statuses by the
            // user details a `User` inlines.
            components(schemas(
                gatehouse_shared::api::Problem,
                gatehouse_shared::ApprovalStatus,
                gatehouse_shared::SignupStatus
            )),
            modifiers(&OneResponsePerStatus)
        )]
        pub struct ApiDoc;

        /// The tenant-scoped routes, for the `/api/v1/t/{tenant}` scope. Order matters: `/users/me...`
        /// before `/users/{user_id}...`.
        pub fn tenant_routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

routes! {
    tenant: [
    (post, "/login", session::login),
    (post, "/login/passkey/options", passkeys::login_options),
    (post, "/login/passkey", passkeys::login),
    (post, "/logout", session::logout),
    (get, "/session", session::get),
    (patch, "/session", sessions::renew),
    (get, "/session/attrs", attrs::session_list),
    (post, "/session/attrs", attrs::session_create),
    (get, "/session/attrs/{name}", attrs::session_get),
    (put, "/session/attrs/{name}", attrs::session_put),
    (patch, "/session/attrs/{name}", attrs::session_patch),
    (delete, "/session/attrs/{name}", attrs::session_delete),
    (post, "/sessions/verify", sessions::verify),
    (get, "/sessions", sessions::list),
    (delete, "/sessions/{session_id}", sessions::end),
    (get, "/users/me", users::me),
    (patch, "/users/me", users::update_me),
    (patch, "/users/me/password", users::change_my_password),
    (post, "/users/me/totp", totp::start),
    (post, "/users/me/totp/confirm", totp::confirm),
    (delete, "/users/me/totp", totp::disable),
    (post, "/users/me/passkeys/options", passkeys::register_options),
    (post, "/users/me/passkeys/proof", passkeys::proof_options),
    (post, "/users/me/passkeys", passkeys::register),
    (get, "/users/me/passkeys", passkeys::list),
    (patch, "/users/me/passkeys/{passkey_id}", passkeys::rename),
    (delete, "/users/me/passkeys/{passkey_id}", passkeys::remove),
    (post, "/users", users::create),
    (get, "/users", users::search),
    (get, "/users/{user_id}", users::get),
    (patch, "/users/{user_id}", users::update),
    (delete, "/users/{user_id}", users::delete),
    (post, "/users/{user_id}/approve", users::approve),
    (post, "/users/{user_id}/reject", users::reject),
    (post, "/users/{user_id}/lock", users::lock),
    (post, "/users/{user_id}/unlock", users::unlock),
    (patch, "/users/{user_id}/password", users::set_password),
    (get, "/users/{user_id}/address-list", users::address_list),
    (put, "/users/{user_id}/address-list", users::put_address_list),
    (delete, "/users/{user_id}/address-list", users::delete_address_list),
    (post, "/users/{user_id}/totp/reset", totp::reset),
    (get, "/users/{user_id}/passkeys", passkeys::user_list),
    (delete, "/users/{user_id}/passkeys/{passkey_id}", passkeys::user_remove),
    (get, "/users/{user_id}/attrs", attrs::user_list),
    (post, "/users/{user_id}/attrs", attrs::user_create),
    (get, "/users/{user_id}/attrs/{name}", attrs::user_get),
    (put, "/users/{user_id}/attrs/{name}", attrs::user_put),
    (patch, "/users/{user_id}/attrs/{name}", attrs::user_patch),
    (delete, "/users/{user_id}/attrs/{name}", attrs::user_delete),
    (get, "/settings", admin::settings),
    (patch, "/settings", admin::patch_settings),
    (get, "/apps", admin::apps),
    (post, "/apps", admin::put_app),
    (delete, "/apps/{name}", admin::delete_app),
    (post, "/apps/{name}/keys", admin::create_key),
    (delete, "/apps/{name}/keys/{key_id}", admin::revoke_key),
    (get, "/apps/{name}/client", clients::get),
    (put, "/apps/{name}/client", clients::put),
    (delete, "/apps/{name}/client", clients::delete),
    (post, "/apps/{name}/client/secret", clients::new_secret),
    (get, "/audit", admin::audit),
    (post, "/signup", signup::signup),
    (post, "/signup/confirm", signup::confirm),
    (post, "/password-reset", signup::reset),
    (post, "/password-reset/access", signup::access),
    (post, "/password-reset/complete", signup::complete),
    (post, "/email/confirm", signup::confirm_email),
    ],
    operators: [
    (get, "", tenants::list),
    (post, "", tenants::create),
    (get, "/{slug}", tenants::get),
    (patch, "/{slug}", tenants::update),
    (delete, "/{slug}", tenants::delete),
    ],
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> actix_web::HttpResponse {
    use utoipa::OpenApi;
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}
