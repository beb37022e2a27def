//! Sign-up, confirmation from the e-mail link, password reset from the e-mail link, and confirming a changed
//! e-mail address. Links open a page with a button, so a mail scanner that follows links uses nothing up.

use super::page_error::PageError;
use super::sentences::{FieldKind, field_of, policy_lines, sentence};
use super::session::Web;
use crate::crypto::password::Password;
use crate::sso::Sso;
use crate::sso::signup::{Confirmed, SignupRequest};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use gatehouse_frontend::auth::{
    ResetView, SignupView, reset_complete_page, reset_request_page, signup_page, token_confirm_page,
};
use gatehouse_frontend::{Flash, Invalid, message_page};
use gatehouse_shared::SubStatus;
use serde::Deserialize;

fn expired(w: &Web) -> HttpResponse {
    let html = message_page(
        &w.chrome(None),
        "Please try again",
        Flash::Error("This form has expired. Please reload the page and try again.".into()),
        None,
    );
    w.page(StatusCode::FORBIDDEN, html)
}

async fn rules(sso: &Sso, w: &Web) -> Vec<String> {
    sso.policy(&w.tenant)
        .await
        .map(|p| policy_lines(&p.password))
        .unwrap_or_default()
}

pub async fn signup_form(sso: web::Data<Sso>, w: Web) -> HttpResponse {
    if w.tenant.slug.is_system() {
        let html = message_page(
            &w.chrome(None),
            "No sign-up here",
            Flash::Notice("This is the operators' organisation: its accounts are made by operators.".into()),
            Some((format!("{}/login", w.base()), "Back to log in".into())),
        );
        return w.page(StatusCode::NOT_FOUND, html);
    }
    let policy = rules(&sso, &w).await;
    w.page(
        StatusCode::OK,
        signup_page(
            &w.chrome(None),
            SignupView {
                policy,
                ..SignupView::default()
            },
        ),
    )
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn signup(sso: web::Data<Sso>, w: Web, form: web::Form<SignupForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired(&w);
    }
    let again = |flash: Flash,
                 invalid: &'static str,
                 status: StatusCode,
                 sso: web::Data<Sso>,
                 w: Web,
                 username: String,
                 email: String| async move {
        let policy = rules(&sso, &w).await;
        w.page(
            status,
            signup_page(
                &w.chrome(None),
                SignupView {
                    username,
                    email,
                    flash: Some(flash),
                    invalid: Invalid::field(invalid),
                    policy,
                },
            ),
        )
    };
    if f.password != f.password_again {
        return again(
            Flash::Error("The two passwords are not the same.".into()),
            "password_again",
            StatusCode::UNPROCESSABLE_ENTITY,
            sso,
            w,
            f.username,
            f.email,
        )
        .await;
    }
    let request = SignupRequest {
        username: f.username.clone(),
        password: Password::new(f.password),
        email: Some(f.email.clone()).filter(|e| !e.trim().is_empty()),
        app_list: vec![],
    };
    match sso.signup(&w.ctx, request).await {
        Ok(_) => w.redirect(&format!("{}/signup/waiting", w.base())),
        Err(e) => {
            let error = PageError::from(&e);
            let text = if error.code == SubStatus::AuthNotAllowed {
                "We could not create this account.".to_owned()
            } else {
                error.sentence()
            };
            let field = match field_of(error.code) {
                Some(FieldKind::Email) => "email",
                Some(FieldKind::NewPassword) => "password",
                Some(FieldKind::Username) | None => "username",
            };
            again(Flash::Error(text), field, error.status, sso, w, f.username, f.email).await
        }
    }
}

pub async fn signup_waiting(w: Web) -> HttpResponse {
    let html = message_page(
        &w.chrome(None),
        "Check your e-mail",
        Flash::Notice("We sent you a message with a link to confirm your e-mail address. Open it to continue.".into()),
        None,
    );
    w.page(StatusCode::OK, html)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn confirm_form(sso: web::Data<Sso>, w: Web, q: web::Query<TokenQuery>) -> HttpResponse {
    // Checked on opening, used only by the form: a link a mail scanner opened still works.
    if let Err(e) = sso.check_signup_token(&w.ctx, &q.token).await {
        let error = PageError::from(&e);
        let (title, said, link) = if e.code() == Some(SubStatus::AuthSignUpConfirmed) {
            (
                "Already confirmed",
                "This address is confirmed already: the link has done its work.",
                (format!("{}/login", w.base()), "Log in".to_owned()),
            )
        } else {
            (
                "This link cannot be used",
                "This confirmation link has expired, or it is not one we sent. Sign up again to get a new one.",
                (format!("{}/signup", w.base()), "Sign up again".to_owned()),
            )
        };
        let flash = Flash::Error(format!("{said} ({})", error.code.code()));
        return w.page(error.status, message_page(&w.chrome(None), title, flash, Some(link)));
    }
    let html = token_confirm_page(
        &w.chrome(None),
        "Confirm your e-mail address",
        "Press the button to confirm your e-mail address.",
        format!("{}/signup/confirm", w.base()),
        q.into_inner().token,
        "Confirm",
    );
    w.page(StatusCode::OK, html)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

pub async fn confirm(sso: web::Data<Sso>, w: Web, form: web::Form<TokenForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired(&w);
    }
    let login = Some((format!("{}/login", w.base()), "Log in".to_owned()));
    let (title, flash, status, link) = match sso.confirm_signup(&w.ctx, &f.token).await {
        Ok(Confirmed::Approved) => ("Confirmed", Flash::Success("Your e-mail address is confirmed. You can log in now.".into()), StatusCode::OK, login),
        Ok(Confirmed::AwaitingApproval) => (
            "Waiting for approval",
            Flash::Notice("Your e-mail address is confirmed. An administrator will now approve your account; we will tell you by e-mail.".into()),
            StatusCode::OK,
            None,
        ),
        Err(e) => {
            let error = PageError::from(&e);
            ("This link did not work", error.flash(), error.status, None)
        }
    };
    w.page(status, message_page(&w.chrome(None), title, flash, link))
}

pub async fn reset_form(w: Web) -> HttpResponse {
    w.page(StatusCode::OK, reset_request_page(&w.chrome(None), None, String::new()))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    credential: String,
}

pub async fn reset(sso: web::Data<Sso>, w: Web, form: web::Form<ResetForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired(&w);
    }
    match sso.request_password_reset(&w.ctx, &f.credential).await {
        Ok(()) => {
            let flash = Flash::Notice(
                "If we know this account, we sent a link to its e-mail address. It works once, for a limited time."
                    .into(),
            );
            w.page(
                StatusCode::OK,
                message_page(&w.chrome(None), "Check your e-mail", flash, None),
            )
        }
        Err(e) => {
            let error = PageError::from(&e);
            w.page(
                error.status,
                reset_request_page(&w.chrome(None), Some(error.flash()), f.credential),
            )
        }
    }
}

pub async fn reset_complete_form(sso: web::Data<Sso>, w: Web, q: web::Query<TokenQuery>) -> HttpResponse {
    // Checked on opening, used only by the form: a link a mail scanner opened still works.
    if let Err(e) = sso.check_reset_token(&w.ctx, &q.token).await {
        let error = PageError::from(&e);
        let flash = Flash::Error(format!(
            "This link was used already, has expired, or is not one we sent. Ask for a new one below. ({})",
            error.code.code()
        ));
        let link = Some((format!("{}/password-reset", w.base()), "Ask for a new link".to_owned()));
        return w.page(
            error.status,
            message_page(&w.chrome(None), "This link cannot be used", flash, link),
        );
    }
    let policy = rules(&sso, &w).await;
    w.page(
        StatusCode::OK,
        reset_complete_page(
            &w.chrome(None),
            q.into_inner().token,
            ResetView {
                policy,
                ..ResetView::default()
            },
        ),
    )
}

#[derive(Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn reset_complete(sso: web::Data<Sso>, w: Web, form: web::Form<CompleteForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired(&w);
    }
    let again = |flash: Flash, invalid: &str, status: StatusCode, policy: Vec<String>| {
        w.page(
            status,
            reset_complete_page(
                &w.chrome(None),
                f.token.clone(),
                ResetView {
                    flash: Some(flash),
                    invalid: Invalid::field(invalid),
                    policy,
                },
            ),
        )
    };
    if f.password != f.password_again {
        let policy = rules(&sso, &w).await;
        return again(
            Flash::Error("The two passwords are not the same.".into()),
            "password_again",
            StatusCode::UNPROCESSABLE_ENTITY,
            policy,
        );
    }
    // The policy first, so a refused password does not use up the link.
    if let Ok(policy) = sso.policy(&w.tenant).await
        && let Err(code) = crate::sso::password_policy::check(&policy.password, &Password::new(f.password.clone()), &[])
    {
        return again(
            Flash::Error(sentence(code)),
            "password",
            StatusCode::UNPROCESSABLE_ENTITY,
            policy_lines(&policy.password),
        );
    }
    let outcome = match sso.access_password_reset(&w.ctx, &f.token).await {
        Ok(key) => {
            sso.complete_password_reset(&w.ctx, &f.token, &key.0, Password::new(f.password.clone()))
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => {
            let flash = Flash::Success("Your password is changed. Every session of your account has ended.".into());
            let link = Some((format!("{}/login", w.base()), "Log in".to_owned()));
            w.page(
                StatusCode::OK,
                message_page(&w.chrome(None), "Password changed", flash, link),
            )
        }
        Err(e) => {
            let error = PageError::from(&e);
            w.page(
                error.status,
                message_page(&w.chrome(None), "This link did not work", error.flash(), None),
            )
        }
    }
}

pub async fn email_confirm_form(w: Web, q: web::Query<TokenQuery>) -> HttpResponse {
    let html = token_confirm_page(
        &w.chrome(None),
        "Confirm your new e-mail address",
        "Press the button to use this address for your account.",
        format!("{}/email/confirm", w.base()),
        q.into_inner().token,
        "Confirm",
    );
    w.page(StatusCode::OK, html)
}

pub async fn email_confirm(sso: web::Data<Sso>, w: Web, form: web::Form<TokenForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return expired(&w);
    }
    match sso.confirm_email_change(&w.ctx, &f.token).await {
        Ok(()) => w.page(
            StatusCode::OK,
            message_page(
                &w.chrome(None),
                "Confirmed",
                Flash::Success("Your new e-mail address is in use.".into()),
                None,
            ),
        ),
        Err(e) => {
            let error = PageError::from(&e);
            w.page(
                error.status,
                message_page(&w.chrome(None), "This link did not work", error.flash(), None),
            )
        }
    }
}
