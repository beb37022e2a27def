//! `GET` and `POST {issuer}/oidc/logout`: RP-initiated logout. The domain checks the request
//! (`Sso::plan_logout`); this adapter asks the person when needed (a form carrying the request again, its CSP
//! `form-action` allowing the client's post-logout origin), ends the browser's session and sends it back.

use super::page_error::PageError;
use super::session::Web;
use crate::sso::Sso;
use crate::sso::oidc::clients::Client;
use crate::sso::oidc::logout::{LogoutPlan, LogoutRequest};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use gatehouse_frontend::Flash;
use gatehouse_frontend::auth::{LogoutView, logout_confirm_page};

const PARAMETERS: [&str; 4] = ["id_token_hint", "post_logout_redirect_uri", "state", "client_id"];

fn request_of(pairs: &[(String, String)]) -> Result<LogoutRequest, String> {
    let mut seen = std::collections::HashSet::new();
    for (k, _) in pairs {
        if PARAMETERS.contains(&k.as_str()) && !seen.insert(k.as_str()) {
            return Err(format!("`{k}` is given more than once."));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    Ok(LogoutRequest {
        id_token_hint: get("id_token_hint"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
        client_id: get("client_id"),
    })
}

fn refused(w: &Web, words: String) -> HttpResponse {
    w.page(
        StatusCode::BAD_REQUEST,
        gatehouse_frontend::message_page(
            &w.chrome(None),
            "This logout cannot continue",
            Flash::Error(words),
            None,
        ),
    )
}

/// After the session has ended (`ended`), or when there was none: back to the application, or a page saying
/// which.
fn done(w: &Web, plan: &LogoutPlan, ended: bool) -> HttpResponse {
    let said = if ended {
        "Your session has ended."
    } else {
        "You were not logged in."
    };
    let mut res = match &plan.redirect {
        Some(to) => HttpResponse::Found()
            .insert_header((header::LOCATION, to.as_str()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        None => w.page(
            StatusCode::OK,
            gatehouse_frontend::message_page(
                &w.chrome(None),
                "You are logged out",
                Flash::Success(said.into()),
                Some((format!("{}/login", w.base()), "Log in again".into())),
            ),
        ),
    };
    w.clear_session(&mut res);
    res
}

async fn handle(sso: &Sso, w: &Web, pairs: Vec<(String, String)>, answered: Option<&str>) -> HttpResponse {
    let request = match request_of(&pairs) {
        Ok(r) => r,
        Err(words) => return refused(w, words),
    };
    let current = w.signed_in(sso).await;
    let plan = match sso
        .plan_logout(&w.ctx, &request, current.as_ref().map(|c| c.session()))
        .await
    {
        Ok(plan) => plan,
        Err(crate::sso::SsoError::Invalid { key, message }) => return refused(w, format!("The {key} {message}.")),
        Err(e) => {
            let error = PageError::from(&e);
            return w.page(
                error.status,
                gatehouse_frontend::message_page(&w.chrome(None), "This logout cannot continue", error.flash(), None),
            );
        }
    };
    let Some(current) = current else {
        // Nothing to end: the browser is logged out already.
        return done(w, &plan, false);
    };
    match answered {
        Some("stay") => w.redirect(&format!("{}/account", w.base())),
        Some(_) => {
            sso.rp_logout(
                &w.ctx,
                w.ust.as_deref().unwrap_or_default(),
                request.client_id.as_deref(),
            )
            .await;
            done(w, &plan, true)
        }
        None if plan.confirmed => {
            sso.rp_logout(
                &w.ctx,
                w.ust.as_deref().unwrap_or_default(),
                request.client_id.as_deref(),
            )
            .await;
            done(w, &plan, true)
        }
        None => {
            let origin = plan.redirect.as_deref().and_then(Client::redirect_origin);
            let user = current.user().username.to_string();
            let hidden = pairs
                .into_iter()
                .filter(|(k, v)| PARAMETERS.contains(&k.as_str()) && !v.is_empty())
                .collect();
            let view = LogoutView {
                client_name: plan.client.clone(),
                user: user.clone(),
                hidden,
            };
            w.page_with_form_action(
                StatusCode::OK,
                // No header with its own "Log out" (of Gatehouse alone): the question is the page.
                logout_confirm_page(&w.chrome(None), view),
                origin.as_deref(),
            )
        }
    }
}

/// `GET /oidc/logout`.
pub async fn logout(sso: web::Data<Sso>, w: Web, req: HttpRequest) -> HttpResponse {
    let pairs = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    handle(&sso, &w, pairs, None).await
}

/// `POST /oidc/logout`: a relying party's form post (OpenID Connect RP-Initiated Logout §2), or the person's
/// answer to the question (with the page's form token).
pub async fn logout_post(sso: web::Data<Sso>, w: Web, body: web::Bytes) -> HttpResponse {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if w.ust.is_none() {
        // A relying party's cross-site form post carries no session cookie (it is SameSite=Lax), which would
        // make a signed-in browser look logged out: the same request as a top-level GET carries it.
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(k, _)| PARAMETERS.contains(&k.as_str())))
            .finish();
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{}/oidc/logout?{query}", w.base())))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish();
    }
    let decision = pairs.iter().find(|(k, _)| k == "decision").map(|(_, v)| v.clone());
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.clone());
    let answered = match (&decision, &csrf) {
        (Some(d), Some(token)) if w.csrf_ok(token) => Some(d.clone()),
        // An answer without this page's token is a question again, never a logout.
        _ => None,
    };
    handle(&sso, &w, pairs, answered.as_deref()).await
}
