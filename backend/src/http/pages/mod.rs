//! The web UI's adapter: pages for end users under `/t/{tenant}/...`, rendered by the frontend crate from what
//! the domain services return, with the security headers every page carries.

pub mod account;
pub mod admin;
pub mod authorize;
pub mod flows;
pub mod login;
pub mod oidc_logout;
pub mod page_error;
pub mod sentences;
pub mod session;
pub mod settings_form;

use crate::config::TimeZone;
use crate::sso::Sso;
use crate::sso::session::CurrentSession;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

/// A time on a page: to the minute, in the viewer's time zone, named (`CET`, `UTC`, `+03`).
pub fn page_time(t: chrono::NaiveDateTime, zone: TimeZone) -> String {
    zone.show(t)
}

/// A session as a sessions table lists it, times in `zone`.
pub fn session_line(
    s: &crate::domain::Session,
    zone: TimeZone,
    current: bool,
) -> gatehouse_frontend::account::SessionLine {
    gatehouse_frontend::account::SessionLine {
        session_id: s.session_id.clone(),
        created: page_time(s.creation_time, zone),
        expires: page_time(s.expiration_time, zone),
        remote_addr: s.remote_addr.clone(),
        user_agent: device_in_words(&s.user_agent),
        current,
    }
}

/// A session's user agent as a sessions table shows it: the browser and system in words ("Firefox 128 on
/// Linux"), else the start of what the client sent, else "Unknown".
pub fn device_in_words(agent: &str) -> String {
    if let Some(words) = crate::sso::user_agent::describe(agent) {
        return words;
    }
    let agent = agent.trim();
    if agent.is_empty() {
        return "Unknown".to_owned();
    }
    let start: String = agent.chars().take(40).collect();
    if start.len() < agent.len() {
        format!("{start}…")
    } else {
        start
    }
}

/// The time zone the session's user reads times in (theirs, else the tenant's); UTC if it cannot be read.
pub async fn viewer_zone(sso: &crate::sso::Sso, ctx: &crate::sso::Ctx, current: &CurrentSession) -> TimeZone {
    sso.viewer_zone(ctx, current).await.map(|v| v.zone).unwrap_or_default()
}

/// The pages of a tenant, for the `/t/{tenant}` scope.
pub fn tenant_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::password))
        .route("/login/code", web::get().to(login::code_form))
        .route("/login/code", web::post().to(login::code))
        .route("/login/new-password", web::get().to(login::new_password_form))
        .route("/login/new-password", web::post().to(login::new_password))
        .route("/login/passkey", web::get().to(login::passkey_form))
        .route("/login/passkey", web::post().to(login::passkey))
        .route("/login/passkey/options", web::post().to(login::passkey_options))
        .route("/logout", web::post().to(login::logout))
        .route("/oidc/authorize", web::get().to(authorize::authorize))
        .route("/oidc/authorize", web::post().to(authorize::authorize_post))
        .route("/oidc/authorize/continue", web::get().to(authorize::resume))
        .route("/oidc/consent", web::post().to(authorize::consent))
        .route("/oidc/logout", web::get().to(oidc_logout::logout))
        .route("/oidc/logout", web::post().to(oidc_logout::logout_post))
        .configure(crate::http::oidc::routes)
        .route("/account", web::get().to(account::page))
        .route("/account/profile", web::post().to(account::profile))
        .route("/account/time-zone", web::post().to(account::time_zone))
        .route("/account/password", web::post().to(account::password))
        .route("/account/sessions/end", web::post().to(account::end_session))
        .route("/account/sessions/end-others", web::post().to(account::end_others))
        .route("/account/apps/end", web::post().to(account::end_app))
        .route("/account/totp", web::post().to(account::totp_start))
        .route("/account/totp/confirm", web::post().to(account::totp_confirm))
        .route("/account/totp/disable", web::post().to(account::totp_disable))
        .route("/account/passkeys", web::post().to(account::passkey_add))
        .route(
            "/account/passkeys/options",
            web::post().to(account::passkey_add_options),
        )
        .route(
            "/account/passkeys/proof-options",
            web::post().to(account::passkey_proof_options),
        )
        .route("/account/passkeys/remove", web::post().to(account::passkey_remove))
        .route("/signup", web::get().to(flows::signup_form))
        .route("/signup", web::post().to(flows::signup))
        .route("/signup/waiting", web::get().to(flows::signup_waiting))
        .route("/signup/confirm", web::get().to(flows::confirm_form))
        .route("/signup/confirm", web::post().to(flows::confirm))
        .route("/password-reset", web::get().to(flows::reset_form))
        .route("/password-reset", web::post().to(flows::reset))
        .route("/password-reset/complete", web::get().to(flows::reset_complete_form))
        .route("/password-reset/complete", web::post().to(flows::reset_complete))
        .route("/email/confirm", web::get().to(flows::email_confirm_form))
        .route("/email/confirm", web::post().to(flows::email_confirm))
        .route("/admin", web::get().to(admin::approvals))
        .route("/admin/approvals", web::post().to(admin::decide))
        .route("/admin/users", web::get().to(admin::users))
        .route("/admin/users", web::post().to(admin::create_user))
        .route("/admin/users/{user_id}", web::get().to(admin::user))
        .route(
            "/admin/users/{user_id}/sessions/end",
            web::post().to(admin::end_user_session),
        )
        .route("/admin/users/{user_id}/{action}", web::post().to(admin::user_action))
        .route("/admin/audit", web::get().to(admin::audit))
        .route("/admin/settings", web::get().to(admin::settings))
        .route("/admin/settings", web::post().to(admin::save_settings))
        .route("/admin/settings/apps", web::post().to(admin::add_app))
        .route("/admin/settings/apps/{app}/keys", web::post().to(admin::new_key))
        .route(
            "/admin/settings/apps/{app}/keys/{key_id}/revoke",
            web::post().to(admin::revoke_key),
        )
        .route("/admin/settings/apps/{app}/client", web::post().to(admin::save_client))
        .route(
            "/admin/settings/apps/{app}/client/grants/end",
            web::post().to(admin::end_grant),
        )
        .route(
            "/admin/settings/apps/{app}/client/secret",
            web::post().to(admin::new_client_secret),
        )
        .route(
            "/admin/settings/apps/{app}/client/remove",
            web::post().to(admin::remove_client),
        )
        .route("/admin/tenants", web::get().to(admin::tenants))
        .route("/admin/tenants", web::post().to(admin::create_tenant))
        .route("/admin/tenants/{slug}/{action}", web::post().to(admin::tenant_action));
}

/// `/`: the default tenant's login page, when there is a default tenant.
pub async fn root(sso: web::Data<Sso>) -> HttpResponse {
    match sso.resolve_tenant(gatehouse_shared::TenantSlug::DEFAULT).await {
        Ok(_) => HttpResponse::Found()
            .insert_header((header::LOCATION, "/t/default/login"))
            .finish(),
        Err(e) => {
            let error = page_error::PageError::from(&e);
            let text = match error.code {
                gatehouse_shared::SubStatus::TenantNoSuchTenant => "No default tenant.".to_owned(),
                _ => error.sentence(),
            };
            HttpResponse::build(error.status)
                .content_type("text/plain; charset=utf-8")
                .body(text)
        }
    }
}

/// No icon: an empty answer browsers cache, instead of a 404 logged on every page.
pub async fn favicon() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .finish()
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(gatehouse_frontend::STYLESHEET)
}

/// The headers of every page: a strict Content-Security-Policy (no inline script or style), no framing, no
/// referrer, no sniffing, and nothing cached. Error pages get them where they are rendered, in the envelope
/// ([`set_security_headers`] on every HTML response), since rendering replaces the response this set them on.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    set_security_headers(res.headers_mut());
    Ok(res)
}

/// The pages' Content-Security-Policy; `form_origin` is a client's redirect origin that the forms of an
/// authorization's pages may lead to; `scripts`: the page carries one of Gatehouse's scripts (served from here,
/// never an inline one); `connect`: one that fetches from here (the passkeys', for its options).
pub fn content_security_policy(form_origin: Option<&str>, scripts: bool, connect: bool) -> String {
    let form_action = match form_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let scripts = match (scripts || connect, connect) {
        (true, true) => " script-src 'self'; connect-src 'self';",
        (true, false) => " script-src 'self';",
        (false, _) => "",
    };
    format!(
        "default-src 'none';{scripts} style-src 'self'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

pub async fn passkey_script() -> HttpResponse {
    script(gatehouse_frontend::PASSKEY_SCRIPT)
}

pub async fn form_script() -> HttpResponse {
    script(gatehouse_frontend::FORM_SCRIPT)
}

fn script(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// Sets the security headers of a page (see [`security_headers`]); a `Cache-Control` already set stays, and so
/// does a Content-Security-Policy a page set for itself (only ever this one with a client's origin added).
pub fn set_security_headers(h: &mut header::HeaderMap) {
    let set = |h: &mut header::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(header::HeaderName::from_static(name), HeaderValue::from_static(value));
    };
    if !h.contains_key("content-security-policy") {
        let csp = content_security_policy(None, false, false);
        if let Ok(value) = HeaderValue::from_str(&csp) {
            h.insert(header::HeaderName::from_static("content-security-policy"), value);
        }
    }
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "x-content-type-options", "nosniff");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
}

/// Whether a response is an HTML page.
pub fn is_html(h: &header::HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}
