//! What the web pages share: the request's context (the web UI's own app), cookies (the session's UST,
//! a login's continuation, the form token), the form-token check, and the signed-in user.

use crate::http::call::client_addr;
use crate::http::error::ApiError;
use crate::http::meta::RequestMeta;
use crate::sso::login::WEB_APP;
use crate::sso::session::CurrentSession;
use crate::sso::{Actor, Ctx, Sso, Tenant};
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, http::header, web};
use gatehouse_frontend::Chrome;
use std::future::{Ready, ready};

pub const SESSION_COOKIE: &str = "gh_session";
pub const LOGIN_COOKIE: &str = "gh_login";
pub const CSRF_COOKIE: &str = "gh_csrf";
/// The handle of a passkey ceremony in progress (its state waits in the database): HttpOnly and `Strict`, so
/// only this browser, on this site, can finish what it started.
pub const PASSKEY_COOKIE: &str = "gh_passkey";

/// A page request: context, chrome, cookies.
pub struct Web {
    pub ctx: Ctx,
    pub tenant: Tenant,
    pub csrf: String,
    /// Set when the request had no form token yet: the response must set the cookie.
    new_csrf: bool,
    pub ust: Option<String>,
    pub continuation: Option<String>,
    pub passkey_ceremony: Option<String>,
    secure: bool,
}

impl FromRequest for Web {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(build(req).ok_or_else(|| ApiError::NoRoute.into()))
    }
}

fn build(req: &HttpRequest) -> Option<Web> {
    let sso = req.app_data::<web::Data<Sso>>()?;
    let meta = req.extensions().get::<RequestMeta>().cloned()?;
    let tenant = req.extensions().get::<Tenant>().cloned()?;
    let cookie = |name: &str| req.cookie(name).map(|c| c.value().to_owned()).filter(|v| !v.is_empty());
    let (csrf, new_csrf) = match cookie(CSRF_COOKIE).filter(|c| c.len() >= 32) {
        Some(c) => (c, false),
        None => (crate::crypto::random_urlsafe(32), true),
    };
    let info = req.connection_info();
    let host = info.host().to_owned();
    let local = host.starts_with("localhost") || host.starts_with("127.0.0.1") || host.starts_with("[::1]");
    let secure = !(info.scheme() == "http" && local);
    Some(Web {
        ctx: Ctx {
            cid: meta.cid,
            tenant: tenant.clone(),
            current_app: WEB_APP.to_owned(),
            remote_addr: client_addr(req, &sso.config.server.trusted_proxies).map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            now: sso.clock.now(),
            actor: Actor::Anonymous,
            app_key: None,
            web_ui: true,
        },
        tenant,
        csrf,
        new_csrf,
        ust: cookie(SESSION_COOKIE),
        continuation: cookie(LOGIN_COOKIE),
        passkey_ceremony: cookie(PASSKEY_COOKIE),
        secure,
    })
}

impl Web {
    pub fn base(&self) -> String {
        format!("/t/{}", self.tenant.slug)
    }

    pub fn chrome(&self, user: Option<&str>) -> Chrome {
        Chrome {
            tenant_slug: self.tenant.slug.clone(),
            tenant_name: self.tenant.display_name.clone(),
            user: user.map(str::to_owned),
            csrf: self.csrf.clone(),
            warning: None,
            scripts: false,
            admin: false,
        }
    }

    /// The chrome of an administration page: it warns a super-user who has not enabled 2FA.
    pub fn admin_chrome(&self, current: &CurrentSession) -> Chrome {
        let mut chrome = self.chrome(Some(current.user().username.as_str()));
        chrome.admin = true;
        if !current.user().has_second_factor() {
            chrome.warning = Some(
                "Your account has no two-factor authentication. Administrators should enable it on their account page."
                    .to_owned(),
            );
        }
        chrome
    }

    /// Whether a posted form carries this browser's form token.
    pub fn csrf_ok(&self, posted: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.new_csrf && !posted.is_empty() && bool::from(posted.as_bytes().ct_eq(self.csrf.as_bytes()))
    }

    fn cookie(
        &self,
        name: &'static str,
        value: String,
        path: String,
        max_age: Option<CookieDuration>,
    ) -> Cookie<'static> {
        // The session cookie is Lax: the top-level redirect from a tenant's application to the authorization
        // endpoint must carry it (that is the single sign-on). Forms are protected by their tokens either way.
        let same_site = if name == SESSION_COOKIE {
            SameSite::Lax
        } else {
            SameSite::Strict
        };
        let mut c = Cookie::build(name, value)
            .path(path)
            .http_only(true)
            .same_site(same_site)
            .secure(self.secure)
            .finish();
        if let Some(age) = max_age {
            c.set_max_age(age);
        }
        c
    }

    /// Adds the form-token cookie when the request had none.
    fn finish(&self, mut res: HttpResponse) -> HttpResponse {
        if self.new_csrf {
            let c = self.cookie(CSRF_COOKIE, self.csrf.clone(), "/".into(), None);
            let _ = res.add_cookie(&c);
        }
        res
    }

    /// An HTML page.
    /// A page that carries one of Gatehouse's scripts gets `script-src 'self'` in its CSP, and the passkey
    /// script's also `connect-src 'self'`.
    pub fn page(&self, status: actix_web::http::StatusCode, html: String) -> HttpResponse {
        self.page_with_form_action(status, html, None)
    }

    /// An HTML page whose forms may also lead to `origin` (a client's redirect origin, for the pages of an
    /// authorization): the page's CSP `form-action` names it.
    pub fn page_with_form_action(
        &self,
        status: actix_web::http::StatusCode,
        html: String,
        origin: Option<&str>,
    ) -> HttpResponse {
        let connect = html.contains(gatehouse_frontend::PASSKEY_SCRIPT_TAG);
        let scripts = connect || html.contains(gatehouse_frontend::FORM_SCRIPT_TAG);
        let mut res = self.finish(
            HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
        );
        // Otherwise the default policy, set by the middleware, stands.
        if scripts || origin.is_some() {
            set_csp(&mut res, &super::content_security_policy(origin, scripts, connect));
        }
        res
    }

    /// Post/redirect/get: 303 to `to`.
    pub fn redirect(&self, to: &str) -> HttpResponse {
        self.finish(
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to.to_owned()))
                .finish(),
        )
    }

    pub fn set_session(&self, res: &mut HttpResponse, ust: &str) {
        let _ = res.add_cookie(&self.cookie(SESSION_COOKIE, ust.to_owned(), self.base(), None));
    }

    pub fn clear_session(&self, res: &mut HttpResponse) {
        let _ = res.add_cookie(&self.cookie(SESSION_COOKIE, String::new(), self.base(), Some(CookieDuration::ZERO)));
    }

    pub fn set_continuation(&self, res: &mut HttpResponse, sealed: &str) {
        let c = self.cookie(
            LOGIN_COOKIE,
            sealed.to_owned(),
            self.base(),
            Some(CookieDuration::minutes(crate::sso::login::CONTINUATION_MINUTES)),
        );
        let _ = res.add_cookie(&c);
    }

    pub fn set_passkey_ceremony(&self, res: &mut HttpResponse, handle: &str) {
        let mut c = self.cookie(
            PASSKEY_COOKIE,
            handle.to_owned(),
            self.base(),
            Some(CookieDuration::minutes(crate::sso::passkeys::CEREMONY_MINUTES)),
        );
        c.set_same_site(SameSite::Strict);
        let _ = res.add_cookie(&c);
    }

    pub fn clear_passkey_ceremony(&self, res: &mut HttpResponse) {
        let _ = res.add_cookie(&self.cookie(PASSKEY_COOKIE, String::new(), self.base(), Some(CookieDuration::ZERO)));
    }

    /// A passkey answer posted by a form (the `credential` field, the ceremony in this browser's cookie), or
    /// `None` when the field is empty; `Err` (the JSON error) when it is not a credential.
    pub fn passkey_answer(
        &self,
        credential: &str,
    ) -> Result<Option<crate::sso::passkeys::assertion::PasskeyAnswer>, serde_json::Error> {
        if credential.trim().is_empty() {
            return Ok(None);
        }
        let credential = serde_json::from_str(credential)?;
        Ok(Some(crate::sso::passkeys::assertion::PasskeyAnswer {
            ceremony: crate::sso::passkeys::CeremonyHandle(self.passkey_ceremony.clone().unwrap_or_default()),
            credential: Box::new(credential),
        }))
    }

    /// The answer to a passkey options request: the options as JSON, the ceremony's handle in the cookie; a
    /// refusal as `{"code", "message"}` with its status.
    pub fn passkey_options(&self, result: crate::sso::SsoResult<crate::sso::passkeys::Ceremony>) -> HttpResponse {
        match result {
            Ok(ceremony) => {
                let mut res = self.finish(HttpResponse::Ok().json(&ceremony.options));
                self.set_passkey_ceremony(&mut res, &ceremony.handle.0);
                res
            }
            Err(e) => {
                let error = super::page_error::PageError::from(&e);
                self.finish(HttpResponse::build(error.status).json(serde_json::json!({
                    "code": error.code.code(),
                    "message": error.sentence(),
                })))
            }
        }
    }

    /// The refusal of a passkey options request whose form token is missing or wrong.
    pub fn passkey_options_expired(&self) -> HttpResponse {
        self.passkey_refused(
            actix_web::http::StatusCode::FORBIDDEN,
            gatehouse_shared::SubStatus::CommonInvalidInput,
            "This page has expired. Reload it and try again.",
        )
    }

    /// A passkey options request refused with its own words.
    pub fn passkey_refused(
        &self,
        status: actix_web::http::StatusCode,
        code: gatehouse_shared::SubStatus,
        message: &str,
    ) -> HttpResponse {
        self.finish(HttpResponse::build(status).json(serde_json::json!({
            "code": code.code(),
            "message": message,
        })))
    }

    pub fn clear_continuation(&self, res: &mut HttpResponse) {
        let _ = res.add_cookie(&self.cookie(LOGIN_COOKIE, String::new(), self.base(), Some(CookieDuration::ZERO)));
    }

    /// The signed-in user, if the session cookie names a session that may be used now.
    pub async fn signed_in(&self, sso: &Sso) -> Option<CurrentSession> {
        let ust = self.ust.as_deref()?;
        // Only a login on these pages signs a browser in: an app's session (whose token the app holds) does not.
        sso.current_session(&self.ctx, ust)
            .await
            .ok()
            .filter(|c| c.session().is_web_login())
    }

    /// The login page, to come back to `path` afterwards; the stale session cookie is cleared.
    pub fn to_login(&self, path: &str) -> HttpResponse {
        // A browser that still held a session cookie here had its session end (it expired, or was ended from
        // elsewhere): the login page says so.
        let why = if self.ust.is_some() { "&why=ended" } else { "" };
        let mut res = self.redirect(&format!(
            "{}/login?next={}{why}",
            self.base(),
            form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        ));
        if self.ust.is_some() {
            self.clear_session(&mut res);
        }
        res
    }

    /// A page of this tenant to go to after signing in: only a local path of this tenant.
    pub fn safe_next(&self, next: Option<&str>) -> String {
        let base = self.base();
        match next {
            Some(n) if n.starts_with(&format!("{base}/")) && !n.contains("//") && !n.contains('\\') => n.to_owned(),
            _ => format!("{base}/account"),
        }
    }
}

fn set_csp(res: &mut HttpResponse, csp: &str) {
    if let Ok(value) = header::HeaderValue::from_str(csp) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("content-security-policy"), value);
    }
}
