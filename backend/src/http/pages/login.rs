//! Logging in through the browser: the password, then a TOTP code when the account has 2FA, then a new password
//! when one is required. Each step after the first is carried by the domain's continuation in an HttpOnly
//! cookie, never by the password.

use super::authorize;
use super::page_error::PageError;
use super::sentences::policy_lines;
use super::session::Web;
use crate::crypto::password::Password;
use crate::sso::error::LoginStep;
use crate::sso::login::LoginRequest;
use crate::sso::{Sso, SsoError, UserRef};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use gatehouse_frontend::auth::{LoginView, login_page};
use gatehouse_frontend::{Flash, Invalid};
use gatehouse_shared::SubStatus;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// `login` when an authorization asks for a fresh login: the form is shown to a signed-in browser too.
    prompt: Option<String>,
    /// What brought the browser here: `logout` (it logged out), `ended` (its session had ended: expired, or
    /// ended from elsewhere).
    #[serde(default)]
    why: Option<String>,
}

/// What the login page says about how the browser got there.
fn arrival(why: Option<&str>) -> Option<Flash> {
    match why? {
        "logout" => Some(Flash::Success("You are logged out.".to_owned())),
        "ended" => Some(Flash::Notice(
            "Your session has ended: it expired, or it was ended from another device or by an administrator. \
             Log in again to go on."
                .to_owned(),
        )),
        _ => None,
    }
}

/// A login page; `step` is `None` for the first one, the password. When the login leads back to an OpenID
/// Connect authorization, the page names the application and its forms may lead to the application's origin.
async fn login_view(sso: &Sso, w: &Web, status: StatusCode, mut view: LoginView) -> HttpResponse {
    let on = sso.relying_party.off_reason().is_none();
    // A passkey is offered on the first page, and at the code step to a user who has one.
    view.passkey = on
        && match view.step {
            None | Some(LoginStep::Passkey) => true,
            Some(LoginStep::Totp) => match &w.continuation {
                Some(c) => sso
                    .continuation_user(&w.ctx, c)
                    .await
                    .is_ok_and(|u| u.passkey_count > 0),
                None => false,
            },
            Some(LoginStep::NewPassword) => false,
        };
    let mut origin = None;
    if let Some(found) = authorize::login_for(sso, w, view.next.as_deref()).await {
        view.for_app = Some(found.app);
        origin = found.origin;
        if view.step.is_none() && view.username.is_empty() {
            view.username = found.hint.unwrap_or_default();
        }
    }
    let mut chrome = w.chrome(None);
    chrome.scripts = view.passkey;
    w.page_with_form_action(status, login_page(&chrome, view), origin.as_deref())
}

/// A login page's view; `step` is `None` for the first one, the password.
fn view(
    step: Option<LoginStep>,
    username: String,
    flash: Option<Flash>,
    policy: Vec<String>,
    next: Option<String>,
) -> LoginView {
    LoginView {
        step,
        username,
        flash,
        invalid: Invalid::default(),
        policy,
        next,
        for_app: None,
        passkey: false,
    }
}

pub async fn form(sso: web::Data<Sso>, w: Web, q: web::Query<NextQuery>) -> HttpResponse {
    let q = q.into_inner();
    if q.prompt.as_deref() != Some("login") && w.signed_in(&sso).await.is_some() {
        return w.redirect(&w.safe_next(q.next.as_deref()));
    }
    let flash = arrival(q.why.as_deref());
    login_view(
        &sso,
        &w,
        StatusCode::OK,
        view(None, String::new(), flash, vec![], q.next),
    )
    .await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

fn expired_form(w: &Web) -> HttpResponse {
    let html = gatehouse_frontend::message_page(
        &w.chrome(None),
        "Please try again",
        Flash::Error("This form has expired. Please reload the page and try again.".into()),
        Some((format!("{}/login", w.base()), "Back to log in".into())),
    );
    w.page(StatusCode::FORBIDDEN, html)
}

pub async fn password(sso: web::Data<Sso>, w: Web, form: web::Form<PasswordForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired_form(&w);
    }
    let request = LoginRequest {
        username: Some(f.username.clone()),
        password: Some(Password::new(f.password)),
        ..LoginRequest::default()
    };
    finish(&sso, &w, request, None, f.username, f.next).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// The page of a step after the password, which only a browser holding a continuation reaches.
async fn step_page(sso: &Sso, w: &Web, step: LoginStep, next: Option<String>) -> HttpResponse {
    if w.continuation.is_none() {
        return w.redirect(&format!("{}/login", w.base()));
    }
    login_view(
        sso,
        w,
        StatusCode::OK,
        view(Some(step), String::new(), None, vec![], next),
    )
    .await
}

pub async fn code_form(sso: web::Data<Sso>, w: Web, q: web::Query<NextQuery>) -> HttpResponse {
    step_page(&sso, &w, LoginStep::Totp, q.into_inner().next).await
}

pub async fn code(sso: web::Data<Sso>, w: Web, form: web::Form<CodeForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired_form(&w);
    }
    let Some(continuation) = w.continuation.clone() else {
        return w.redirect(&format!("{}/login", w.base()));
    };
    let request = LoginRequest {
        continuation: Some(continuation),
        totp_code: Some(f.code),
        ..LoginRequest::default()
    };
    finish(&sso, &w, request, Some(LoginStep::Totp), String::new(), f.next).await
}

/// The page of a login's passkey step (a user with passkeys and no TOTP).
pub async fn passkey_form(sso: web::Data<Sso>, w: Web, q: web::Query<NextQuery>) -> HttpResponse {
    step_page(&sso, &w, LoginStep::Passkey, q.into_inner().next).await
}

#[derive(Deserialize)]
pub struct PasskeyOptionsQuery {
    /// `second`: the options of a login's second step, for the user of this browser's continuation.
    step: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /login/passkey/options`: the options of a username-less login, or of the second step.
pub async fn passkey_options(
    sso: web::Data<Sso>,
    w: Web,
    q: web::Query<PasskeyOptionsQuery>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    if !w.csrf_ok(&form.csrf) {
        return w.passkey_options_expired();
    }
    let result = match (q.step.as_deref(), &w.continuation) {
        (Some("second"), Some(c)) => sso.passkey_second_step_options(&w.ctx, c).await,
        (Some("second"), None) => Err(crate::sso::passkeys::no_such_ceremony()),
        _ => sso.passkey_login_options(&w.ctx).await,
    };
    w.passkey_options(result)
}

#[derive(Deserialize)]
pub struct PasskeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login/passkey`: the authenticator's answer, a login (or its second step) like the others.
pub async fn passkey(sso: web::Data<Sso>, w: Web, form: web::Form<PasskeyForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired_form(&w);
    }
    // A second step that fails shows its page again: the code page to a user with TOTP, else the passkey's.
    let step = match &w.continuation {
        Some(c) => match sso.continuation_user(&w.ctx, c).await {
            Ok(u) if u.is_totp_enabled => Some(LoginStep::Totp),
            Ok(_) => Some(LoginStep::Passkey),
            Err(_) => None,
        },
        None => None,
    };
    let answer = match w.passkey_answer(&f.credential) {
        Ok(Some(answer)) => answer,
        _ => {
            let flash = Some(Flash::Error(
                "The passkey's answer could not be read. Try again.".to_owned(),
            ));
            return login_view(
                &sso,
                &w,
                StatusCode::BAD_REQUEST,
                view(step, String::new(), flash, vec![], f.next),
            )
            .await;
        }
    };
    let request = LoginRequest {
        passkey: Some(answer),
        ..LoginRequest::default()
    };
    finish(&sso, &w, request, step, String::new(), f.next).await
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
    #[serde(default)]
    next: Option<String>,
}

async fn policy(sso: &Sso, w: &Web) -> Vec<String> {
    sso.policy(&w.tenant)
        .await
        .map(|p| policy_lines(&p.password))
        .unwrap_or_default()
}

pub async fn new_password_form(sso: web::Data<Sso>, w: Web, q: web::Query<NextQuery>) -> HttpResponse {
    if w.continuation.is_none() {
        return w.redirect(&format!("{}/login", w.base()));
    }
    let rules = policy(&sso, &w).await;
    let next = q.into_inner().next;
    login_view(
        &sso,
        &w,
        StatusCode::OK,
        view(Some(LoginStep::NewPassword), String::new(), None, rules, next),
    )
    .await
}

pub async fn new_password(sso: web::Data<Sso>, w: Web, form: web::Form<NewPasswordForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired_form(&w);
    }
    let Some(continuation) = w.continuation.clone() else {
        return w.redirect(&format!("{}/login", w.base()));
    };
    if f.new_password != f.new_password_again {
        let rules = policy(&sso, &w).await;
        let flash = Some(Flash::Error("The two passwords are not the same.".into()));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return login_view(
            &sso,
            &w,
            status,
            LoginView {
                invalid: Invalid::field("new_password_again"),
                ..view(Some(LoginStep::NewPassword), String::new(), flash, rules, f.next)
            },
        )
        .await;
    }
    let request = LoginRequest {
        continuation: Some(continuation),
        new_password: Some(Password::new(f.new_password)),
        ..LoginRequest::default()
    };
    finish(&sso, &w, request, Some(LoginStep::NewPassword), String::new(), f.next).await
}

/// Runs the login and turns its outcome into the next page.
async fn finish(
    sso: &Sso,
    w: &Web,
    request: LoginRequest,
    step: Option<LoginStep>,
    username: String,
    next: Option<String>,
) -> HttpResponse {
    let next_q = next
        .as_deref()
        .map(|n| {
            format!(
                "?next={}",
                form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    match sso.login(&w.ctx, request).await {
        Ok(done) => {
            let mut to = w.safe_next(next.as_deref());
            // The warning waits on the account page, unless an application is waiting for this login.
            let to_app = authorize::sealed_in_next(w, next.as_deref()).is_some();
            if done.warnings.contains(&SubStatus::PasswordAboutToExpireWarning) && !to_app {
                let days = days_left(sso, w, &done.session.user_id).await;
                to = format!("{}/account?expires_in={days}", w.base());
            }
            let mut res = w.redirect(&to);
            w.set_session(&mut res, done.session.ust.expose());
            w.clear_continuation(&mut res);
            if w.passkey_ceremony.is_some() {
                w.clear_passkey_ceremony(&mut res);
            }
            res
        }
        Err(SsoError::NeedsMore {
            step: more,
            continuation,
            ..
        }) => {
            let path = match more {
                LoginStep::Totp => "login/code",
                LoginStep::Passkey => "login/passkey",
                LoginStep::NewPassword => "login/new-password",
            };
            let mut res = w.redirect(&format!("{}/{path}{next_q}", w.base()));
            w.set_continuation(&mut res, &continuation.0);
            res
        }
        Err(e) => {
            let error = PageError::from(&e);
            let text = match (step, error.code) {
                (Some(LoginStep::Totp), SubStatus::AuthNotAllowed) => {
                    "That code is not right. Codes change every 30 seconds; try the current one.".to_owned()
                }
                _ => error.sentence(),
            };
            let new_password = step == Some(LoginStep::NewPassword);
            let rules = if new_password { policy(sso, w).await } else { vec![] };
            // A refused continuation starts the login again from the password.
            let step = if new_password && error.code == SubStatus::AuthNotAllowed {
                None
            } else {
                step
            };
            // The field to correct: the code, the new password, else the password (the username is kept).
            let invalid = Invalid::field(match step {
                Some(LoginStep::Totp) => "code",
                Some(LoginStep::NewPassword) => "new_password",
                _ => "password",
            });
            login_view(
                sso,
                w,
                error.status,
                LoginView {
                    invalid,
                    ..view(step, username, Some(Flash::Error(text)), rules, next)
                },
            )
            .await
        }
    }
}

async fn days_left(sso: &Sso, w: &Web, user_id: &str) -> i64 {
    match sso.find_user(&w.ctx, &UserRef::Id(user_id.to_owned())).await {
        Ok(u) => ((u.password_expiry - w.ctx.now).num_hours() + 23) / 24,
        Err(_) => 0,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(sso: web::Data<Sso>, w: Web, form: web::Form<CsrfForm>) -> HttpResponse {
    if !w.csrf_ok(&form.csrf) {
        return expired_form(&w);
    }
    if let Some(ust) = &w.ust {
        let _ = sso.logout(&w.ctx, ust).await;
    }
    let mut res = w.redirect(&format!("{}/login?why=logout", w.base()));
    w.clear_session(&mut res);
    res
}
