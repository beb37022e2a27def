//! The browser's side of OpenID Connect: the authorization endpoint (`GET` and `POST /oidc/authorize`), the
//! way back to it after the login pages (`/oidc/authorize/continue`), and the consent page. The decisions are
//! the domain's (`Sso::authorize`); this adapter turns them into redirects and pages, and lets the forms of an
//! authorization's pages lead to the client's redirect origin (CSP `form-action` covers the redirects that
//! follow a form post).

use super::page_error::PageError;
use super::session::Web;
use crate::sso::oidc::authorize::Authorization;
use crate::sso::{Sso, SsoResult};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use gatehouse_frontend::Flash;
use gatehouse_frontend::auth::{ConsentView, consent_page};
use serde::Deserialize;

/// The path the login pages come back to, with the sealed request.
pub fn continue_path(w: &Web, request: &str) -> String {
    format!(
        "{}/oidc/authorize/continue?request={}",
        w.base(),
        form_urlencoded::byte_serialize(request.as_bytes()).collect::<String>()
    )
}

/// The sealed request a login page's `next` carries, when it leads back to an authorization.
pub fn sealed_in_next(w: &Web, next: Option<&str>) -> Option<String> {
    let prefix = format!("{}/oidc/authorize/continue?request=", w.base());
    let encoded = next?.strip_prefix(prefix.as_str())?;
    form_urlencoded::parse(format!("r={encoded}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// What a login page that leads back to an authorization shows and allows, from its sealed request, opened once.
pub struct LoginFor {
    /// The application's display name.
    pub app: String,
    /// The username it suggests (`login_hint`).
    pub hint: Option<String>,
    /// Where the page's forms may lead: the client's redirect origin.
    pub origin: Option<String>,
}

/// The authorization a login page's `next` leads back to, if any.
pub async fn login_for(sso: &Sso, w: &Web, next: Option<&str>) -> Option<LoginFor> {
    let request = sso.open_request(&w.ctx, &sealed_in_next(w, next)?)?;
    Some(LoginFor {
        app: sso.client_display_name(&w.ctx, &request.client_id).await,
        origin: crate::sso::oidc::clients::Client::redirect_origin(&request.redirect_uri),
        hint: request.login_hint,
    })
}

fn scope_words(scope: &str) -> Option<&'static str> {
    match scope {
        "openid" => Some("Know who you are (your user id)"),
        "profile" => Some("See your username and your name"),
        "email" => Some("See your e-mail address"),
        "offline_access" => Some("Stay signed in when you are not using it (until you end its access)"),
        _ => None,
    }
}

async fn answer(sso: &Sso, w: &Web, decided: SsoResult<Authorization>) -> HttpResponse {
    match decided {
        Ok(Authorization::Redirect(to)) => HttpResponse::Found()
            .insert_header((header::LOCATION, to))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Ok(Authorization::Login { request, fresh }) => {
            let next = continue_path(w, &request);
            let prompt = if fresh { "&prompt=login" } else { "" };
            w.redirect(&format!(
                "{}/login?next={}{prompt}",
                w.base(),
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
        }
        Ok(Authorization::Consent {
            request,
            client_name,
            scopes,
        }) => {
            let origin = sso.request_origin(&w.ctx, &request);
            let user = w
                .signed_in(sso)
                .await
                .map(|c| c.user().username.to_string())
                .unwrap_or_default();
            let view = ConsentView {
                client_name,
                scopes: scopes
                    .iter()
                    .filter_map(|s| scope_words(s))
                    .map(str::to_owned)
                    .collect(),
                request,
                user: user.clone(),
            };
            w.page_with_form_action(
                StatusCode::OK,
                consent_page(&w.chrome(Some(&user)), view),
                origin.as_deref(),
            )
        }
        Ok(Authorization::Refused(words)) => w.page(
            StatusCode::BAD_REQUEST,
            gatehouse_frontend::message_page(
                &w.chrome(None),
                "This sign-in cannot continue",
                Flash::Error(words),
                None,
            ),
        ),
        Err(e) => {
            let error = PageError::from(&e);
            w.page(
                error.status,
                gatehouse_frontend::message_page(&w.chrome(None), "This sign-in cannot continue", error.flash(), None),
            )
        }
    }
}

fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

/// `GET /oidc/authorize`.
pub async fn authorize(sso: web::Data<Sso>, w: Web, req: HttpRequest) -> HttpResponse {
    let session = w.signed_in(&sso).await;
    let decided = sso
        .authorize(&w.ctx, &pairs(req.query_string()), session.as_ref())
        .await;
    answer(&sso, &w, decided).await
}

/// `POST /oidc/authorize` (OpenID Connect Core §3.1.2.1: the parameters form-encoded in the body).
pub async fn authorize_post(sso: web::Data<Sso>, w: Web, body: web::Bytes) -> HttpResponse {
    let session = w.signed_in(&sso).await;
    let text = String::from_utf8_lossy(&body);
    let decided = sso.authorize(&w.ctx, &pairs(&text), session.as_ref()).await;
    answer(&sso, &w, decided).await
}

#[derive(Deserialize)]
pub struct Continue {
    #[serde(default)]
    request: String,
}

/// `GET /oidc/authorize/continue?request=...`: back from the login pages.
pub async fn resume(sso: web::Data<Sso>, w: Web, q: web::Query<Continue>) -> HttpResponse {
    let session = w.signed_in(&sso).await;
    let decided = sso.resume_authorization(&w.ctx, &q.request, session.as_ref()).await;
    answer(&sso, &w, decided).await
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    decision: String,
}

/// `POST /oidc/consent`: the person's answer.
pub async fn consent(sso: web::Data<Sso>, w: Web, form: web::Form<ConsentForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return w.page(
            StatusCode::FORBIDDEN,
            gatehouse_frontend::message_page(
                &w.chrome(None),
                "Please try again",
                Flash::Error("This form has expired. Go back to the application and start again.".into()),
                None,
            ),
        );
    }
    let session = w.signed_in(&sso).await;
    let decided = sso
        .answer_consent(&w.ctx, &f.request, session.as_ref(), f.decision == "allow")
        .await;
    answer(&sso, &w, decided).await
}
