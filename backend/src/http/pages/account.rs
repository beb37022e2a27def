//! The account page and its forms: profile, password, two-factor authentication, sessions.

use super::page_error::PageError;
use super::page_time;
use super::sentences::{FieldKind, field_of, policy_lines};
use super::session::Web;
use crate::config::TimeZone;
use crate::crypto::password::Password;
use crate::domain::{Email, UserPatch};
use crate::sso::session::CurrentSession;
use crate::sso::time_zone::ViewerZone;
use crate::sso::totp_enrolment::FactorProof;
use crate::sso::user_admin::TotpToggle;
use crate::sso::{Kind, Sso, SsoError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use gatehouse_frontend::account::{AccountView, AppAccessLine, EnrolmentView, PasskeyLine, account_page};
use gatehouse_frontend::{Flash, Invalid};
use gatehouse_shared::SubStatus;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
    expires_in: Option<i64>,
    required: Option<String>,
}

/// What a finished form says once redirected back here.
fn done_flash(done: &str) -> Option<Flash> {
    Some(Flash::Success(
        match done {
            "profile" => "Your profile is saved.",
            "email" => "We sent a link to your new address; it is used once you confirm it.",
            "password" => "Your password is changed. Your other sessions have ended.",
            "session" => "The session has ended.",
            "others" => "All your other sessions have ended.",
            "totp-off" => "Two-factor authentication is off.",
            "passkey-added" => "Your passkey is added. You can use it the next time you log in.",
            "passkey-removed" => "The passkey is removed. Your other sessions have ended.",
            "app" => "The application's access has ended. It will ask you again next time.",
            "time-zone" => "Your time zone is saved: times are shown in it.",
            _ => return None,
        }
        .to_owned(),
    ))
}

async fn render(
    sso: &Sso,
    w: &Web,
    current: &CurrentSession,
    flash: Option<Flash>,
    status: StatusCode,
    extra: impl FnOnce(&mut AccountView),
) -> HttpResponse {
    let ctx = current.acting(&w.ctx);
    let zone = sso.viewer_zone(&ctx, current).await.unwrap_or(ViewerZone {
        zone: TimeZone::default(),
        chosen: false,
    });
    let tz = zone.zone;
    let sessions = sso.list_sessions(&ctx, current, None).await.unwrap_or_default();
    // An application's sessions are listed as the application, below.
    let sessions: Vec<_> = sessions.into_iter().filter(|s| s.grant_pk().is_none()).collect();
    let grants = sso.my_grants(&ctx, current).await.unwrap_or_default();
    // One line per application: since its first grant, last used by its latest use.
    let mut by_app: Vec<(String, chrono::NaiveDateTime, chrono::NaiveDateTime, String, bool)> = Vec::new();
    for g in &grants {
        match by_app.iter_mut().find(|a| a.0 == g.app) {
            Some(line) => {
                line.1 = line.1.min(g.creation_time);
                line.2 = line.2.max(g.last_used_time);
                line.4 |= g.offline;
            }
            None => by_app.push((
                g.app.clone(),
                g.creation_time,
                g.last_used_time,
                g.scope.clone(),
                g.offline,
            )),
        }
    }
    let mut apps = Vec::with_capacity(by_app.len());
    for (app, since, last, scope, offline) in by_app {
        apps.push(AppAccessLine {
            name: sso.client_display_name(&ctx, &app).await,
            app,
            since: page_time(since, tz),
            last_used: page_time(last, tz),
            access: scope_in_words(&scope),
            offline,
        });
    }
    let policy = sso
        .policy(&w.tenant)
        .await
        .map(|p| policy_lines(&p.password))
        .unwrap_or_default();
    let passkeys = sso.my_passkeys(&ctx, current).await.unwrap_or_default();
    let u = &current.user();
    let mut v = AccountView {
        passkeys_on: sso.relying_party.off_reason().is_none(),
        passkeys: passkeys
            .iter()
            .map(|p| PasskeyLine {
                passkey_id: p.passkey_id.clone(),
                name: p.name.clone(),
                added: page_time(p.creation_time, tz),
                last_used: p
                    .last_used_time
                    .map(|t| page_time(t, tz))
                    .unwrap_or_else(|| "Never".to_owned()),
                synced: p.backup_eligible,
            })
            .collect(),
        username: u.username.to_string(),
        display_name: u.display_name.clone().unwrap_or_default(),
        email: u.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        is_totp_enabled: u.is_totp_enabled,
        sessions: sessions
            .iter()
            .map(|s| super::session_line(s, tz, s.pk() == current.session().pk()))
            .collect(),
        apps,
        flash,
        invalid: Default::default(),
        enrolment: None,
        recovery_codes: None,
        time_zone: if zone.chosen {
            zone.zone.name().to_owned()
        } else {
            String::new()
        },
        tenant_time_zone: sso
            .policy(&w.tenant)
            .await
            .map(|p| p.main.time_zone.name().to_owned())
            .unwrap_or_else(|_| "UTC".to_owned()),
        time_zones: TimeZone::all().collect(),
        recovery_codes_left: if current.user().is_totp_enabled {
            sso.recovery_codes_left(&ctx, current).await.ok()
        } else {
            None
        },
        policy,
    };
    extra(&mut v);
    let mut chrome = w.chrome(Some(u.username.as_str()));
    chrome.scripts = v.passkeys_on;
    chrome.admin = u.is_super_user;
    w.page(status, account_page(&chrome, v))
}

pub async fn page(sso: web::Data<Sso>, w: Web, q: web::Query<AccountQuery>) -> HttpResponse {
    let Some(current) = w.signed_in(&sso).await else {
        return w.to_login(&format!("{}/account", w.base()));
    };
    let q = q.into_inner();
    let flash = match (q.expires_in, q.done.as_deref()) {
        _ if q.required.as_deref() == Some("totp") && !current.user().is_totp_enabled => Some(Flash::Error(format!(
            "This organisation requires administrators to use two-factor authentication. Enable it below to reach the administration pages. ({})",
            SubStatus::AuthTotpRequired
        ))),
        (Some(days), _) => Some(Flash::Notice(format!(
            "Your password expires in {days} day{}. Change it below.",
            if days == 1 { "" } else { "s" }
        ))),
        (None, Some(done)) => done_flash(done),
        (None, None) => None,
    };
    render(&sso, &w, &current, flash, StatusCode::OK, |_| {}).await
}

/// The checks every account form makes: the form token, then the session.
async fn guard(sso: &Sso, w: &Web, csrf: &str) -> Result<CurrentSession, HttpResponse> {
    let Some(current) = w.signed_in(sso).await else {
        return Err(w.to_login(&format!("{}/account", w.base())));
    };
    if !w.csrf_ok(csrf) {
        return Err(render(
            sso,
            w,
            &current,
            Some(Flash::Error("This form has expired. Please try again.".into())),
            StatusCode::FORBIDDEN,
            |_| {},
        )
        .await);
    }
    Ok(current)
}

/// A refused form: the code's sentence, with the error's status.
fn failure(e: &SsoError) -> (Flash, StatusCode) {
    let error = PageError::from(e);
    (error.flash(), error.status)
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
}

/// The profile form as a patch: the display name always, the address when it changed (empty removes it).
fn profile_patch(display_name: String, email: Option<&str>) -> Result<UserPatch, SsoError> {
    let email = match email.map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(e) => {
            Some(Some(Email::parse(e).map_err(|_| {
                SsoError::refused(Kind::BadInput, SubStatus::EmailInvalid)
            })?))
        }
    };
    Ok(UserPatch {
        display_name: Some(Some(display_name)),
        email,
        ..UserPatch::default()
    })
}

pub async fn profile(sso: web::Data<Sso>, w: Web, form: web::Form<ProfileForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let before = current.user().email.as_ref().map(|e| e.to_string()).unwrap_or_default();
    let email_changed = f.email.trim() != before;
    let ctx = current.acting(&w.ctx);
    let (typed_name, typed_email) = (f.display_name.clone(), f.email.clone());
    let patch = profile_patch(f.display_name, email_changed.then_some(f.email.as_str()));
    let updated = match patch {
        Ok(patch) => sso.update_own_user(&ctx, &current, patch, TotpToggle::Refused).await,
        Err(e) => Err(e),
    };
    match updated {
        Ok(_) => w.redirect(&format!(
            "{}/account?done={}",
            w.base(),
            if email_changed { "email" } else { "profile" }
        )),
        Err(e) => {
            // What was typed stays in the form, the address marked when it is what was refused.
            let (flash, status) = failure(&e);
            let field = match field_of(PageError::from(&e).code) {
                Some(FieldKind::Email) => "email",
                _ => "display_name",
            };
            render(&sso, &w, &current, Some(flash), status, move |v| {
                v.display_name = typed_name;
                v.email = typed_email;
                v.invalid = Invalid::field(field);
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    time_zone: String,
}

/// `POST /account/time-zone`: the zone the pages show this user's times in ("" for the organisation's).
pub async fn time_zone(sso: web::Data<Sso>, w: Web, form: web::Form<TimeZoneForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    match sso.set_own_time_zone(&w.ctx, &current, Some(&f.time_zone)).await {
        Ok(()) => w.redirect(&format!("{}/account?done=time-zone", w.base())),
        Err(e) => {
            let (flash, status) = match &e {
                // What was wrong with the name, in words.
                SsoError::Invalid { message, .. } => (Flash::Error(message.clone()), failure(&e).1),
                _ => failure(&e),
            };
            render(&sso, &w, &current, Some(flash), status, |_| {}).await
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

pub async fn password(sso: web::Data<Sso>, w: Web, form: web::Form<PasswordForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    if f.new_password != f.new_password_again {
        let flash = Flash::Error("The two new passwords are not the same.".into());
        return render(&sso, &w, &current, Some(flash), StatusCode::UNPROCESSABLE_ENTITY, |v| {
            v.invalid = Invalid::field("new_password_again")
        })
        .await;
    }
    let ctx = current.acting(&w.ctx);
    match sso
        .change_own_password(
            &ctx,
            &current,
            Some(Password::new(f.old_password)),
            Password::new(f.new_password),
        )
        .await
    {
        Ok(()) => w.redirect(&format!("{}/account?done=password", w.base())),
        Err(e) => {
            let error = PageError::from(&e);
            let (flash, field) = match error.code {
                SubStatus::AuthNotAllowed => (
                    Flash::Error("The current password is not right.".into()),
                    "old_password",
                ),
                _ => (error.flash(), "new_password"),
            };
            render(&sso, &w, &current, Some(flash), error.status, |v| {
                v.invalid = Invalid::field(field)
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session_id: String,
}

pub async fn end_session(sso: web::Data<Sso>, w: Web, form: web::Form<SessionForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    match sso.end_session(&ctx, &current, &f.session_id).await {
        Ok(()) => w.redirect(&format!("{}/account?done=session", w.base())),
        Err(e) => {
            let (flash, status) = failure(&e);
            render(&sso, &w, &current, Some(flash), status, |_| {}).await
        }
    }
}

/// What a grant's scope lets its application see, in words.
fn scope_in_words(scope: &str) -> String {
    let words: Vec<&str> = scope
        .split(' ')
        .filter_map(|s| match s {
            "openid" => Some("who you are"),
            "profile" => Some("your name"),
            "email" => Some("your e-mail address"),
            _ => None,
        })
        .collect();
    words.join(", ")
}

#[derive(Deserialize)]
pub struct AppForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    app: String,
}

/// `POST /account/apps/end`: ends the caller's access to an application (its grants and the consent given).
pub async fn end_app(sso: web::Data<Sso>, w: Web, form: web::Form<AppForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    match sso.end_app_access(&ctx, &current, &f.app).await {
        Ok(_) => w.redirect(&format!("{}/account?done=app", w.base())),
        Err(e) => {
            let (flash, status) = failure(&e);
            render(&sso, &w, &current, Some(flash), status, |_| {}).await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn end_others(sso: web::Data<Sso>, w: Web, form: web::Form<CsrfOnly>) -> HttpResponse {
    let current = match guard(&sso, &w, &form.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    // The browser sessions listed as "Your sessions"; applications have their own "End access".
    for s in sso.list_sessions(&ctx, &current, None).await.unwrap_or_default() {
        if s.pk() != current.session().pk() && s.grant_pk().is_none() {
            let _ = sso.end_session(&ctx, &current, &s.session_id).await;
        }
    }
    w.redirect(&format!("{}/account?done=others", w.base()))
}

pub async fn totp_start(sso: web::Data<Sso>, w: Web, form: web::Form<CsrfOnly>) -> HttpResponse {
    let current = match guard(&sso, &w, &form.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    match sso.start_totp_enrolment(&ctx, &current).await {
        Ok(e) => {
            let enrolment = enrolment_view(e);
            render(&sso, &w, &current, None, StatusCode::OK, move |v| {
                v.enrolment = Some(enrolment)
            })
            .await
        }
        Err(e) => {
            let (flash, status) = failure(&e);
            render(&sso, &w, &current, Some(flash), status, |_| {}).await
        }
    }
}

/// An enrolment as the account page shows it: the secret and its QR code inline (the SVG needs no XML
/// declaration in HTML).
fn enrolment_view(e: crate::sso::totp_enrolment::Enrolment) -> EnrolmentView {
    let svg = match e.qr_svg.find("<svg") {
        Some(i) => e.qr_svg[i..].to_owned(),
        None => e.qr_svg,
    };
    EnrolmentView {
        secret: e.secret,
        qr_svg: svg,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    /// With an active factor (turning it off, or replacing it): the password.
    #[serde(default)]
    password: String,
    /// Replacing an active factor: a current code of it.
    #[serde(default)]
    current_code: String,
    /// Turning TOTP off: a passkey's answer to this browser's proof ceremony, instead of the code.
    #[serde(default)]
    credential: String,
}

impl CodeForm {
    fn proof(&self, code: &str) -> FactorProof {
        FactorProof {
            password: Some(Password::new(self.password.clone())),
            code: Some(code.to_owned()),
            passkey: None,
        }
    }
}

pub async fn totp_confirm(sso: web::Data<Sso>, w: Web, form: web::Form<CodeForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    match sso
        .confirm_totp_enrolment(&ctx, &current, &f.code, &f.proof(&f.current_code))
        .await
    {
        Ok(codes) => {
            // Shown once, right here: a reload does not show them again.
            render(&sso, &w, &current, None, StatusCode::OK, move |v| {
                v.is_totp_enabled = true;
                v.recovery_codes = Some(codes)
            })
            .await
        }
        Err(e) => {
            // The key already scanned stays: the same QR code and secret are shown again, to try the next code.
            let pending = sso.pending_totp_enrolment(&ctx, &current).await.ok().flatten();
            let flash = Flash::Error(match (&pending, current.user().is_totp_enabled) {
                (Some(_), true) => "The password or one of the codes is not right. The new key below is the same one: \
                     enter your password, a code from your current authenticator and one from the new entry."
                    .into(),
                (Some(_), false) => "That code is not right. The key below is the same one you scanned: enter the \
                     code your authenticator app shows for it now."
                    .into(),
                (None, _) => "That code is not right, and the setup has ended. Set up two-factor authentication \
                     again."
                    .into(),
            });
            let enrolment = pending.map(enrolment_view);
            render(&sso, &w, &current, Some(flash), PageError::from(&e).status, move |v| {
                v.enrolment = enrolment;
                v.invalid = Invalid::field("code");
            })
            .await
        }
    }
}

pub async fn totp_disable(sso: web::Data<Sso>, w: Web, form: web::Form<CodeForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    let mut proof = f.proof(&f.code);
    proof.code = proof.code.filter(|c| !c.trim().is_empty());
    proof.passkey = w.passkey_answer(&f.credential).ok().flatten();
    match sso.disable_totp(&ctx, &current, &proof).await {
        Ok(()) => w.redirect(&format!("{}/account?done=totp-off", w.base())),
        Err(e) => {
            let flash = Flash::Error("The password or the code is not right.".into());
            render(&sso, &w, &current, Some(flash), PageError::from(&e).status, |v| {
                v.invalid = Invalid::field("disable-password")
            })
            .await
        }
    }
}

/// The proof a form posts: the password, and a code (empty: none) or a passkey's answer to this browser's
/// proof ceremony; `Err` when the answer is not a credential.
fn form_proof(w: &Web, password: String, code: String, credential: &str) -> Result<FactorProof, serde_json::Error> {
    Ok(FactorProof {
        password: Some(Password::new(password)),
        code: Some(code).filter(|c| !c.trim().is_empty()),
        passkey: w.passkey_answer(credential)?,
    })
}

#[derive(Deserialize)]
pub struct ProofForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    /// A passkey's answer to the proof ceremony this browser started.
    #[serde(default)]
    proof: String,
}

/// `POST /account/passkeys/options`: the options of adding a passkey, given the password (and a code, or a
/// passkey's proof, when the account has a second factor).
pub async fn passkey_add_options(sso: web::Data<Sso>, w: Web, form: web::Form<ProofForm>) -> HttpResponse {
    let f = form.into_inner();
    if !w.csrf_ok(&f.csrf) {
        return w.passkey_options_expired();
    }
    let Some(current) = w.signed_in(&sso).await else {
        return w.passkey_options(Err(crate::sso::session::no_such_session()));
    };
    let ctx = current.acting(&w.ctx);
    let Ok(proof) = form_proof(&w, f.password, f.code, &f.proof) else {
        return w.passkey_options(Err(crate::sso::passkeys::invalid()));
    };
    match sso.passkey_registration_options(&ctx, &current, &proof).await {
        Err(SsoError::Refused {
            code: SubStatus::AuthNotAllowed,
            ..
        }) => w.passkey_refused(
            StatusCode::FORBIDDEN,
            SubStatus::AuthNotAllowed,
            "The password, the code or the passkey is not right.",
        ),
        Err(SsoError::Refused {
            code: SubStatus::CommonMissingInput,
            ..
        }) => w.passkey_refused(
            StatusCode::BAD_REQUEST,
            SubStatus::CommonMissingInput,
            "Enter your password (and a code, or use a passkey you have) to add a passkey.",
        ),
        result => w.passkey_options(result),
    }
}

/// `POST /account/passkeys/proof-options`: the options of proving a factor with a passkey.
pub async fn passkey_proof_options(sso: web::Data<Sso>, w: Web, form: web::Form<CsrfOnly>) -> HttpResponse {
    if !w.csrf_ok(&form.csrf) {
        return w.passkey_options_expired();
    }
    let Some(current) = w.signed_in(&sso).await else {
        return w.passkey_options(Err(crate::sso::session::no_such_session()));
    };
    let ctx = current.acting(&w.ctx);
    w.passkey_options(sso.passkey_proof_options(&ctx, &current).await)
}

#[derive(Deserialize)]
pub struct PasskeyAddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    credential: String,
}

pub async fn passkey_add(sso: web::Data<Sso>, w: Web, form: web::Form<PasskeyAddForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    let credential = match serde_json::from_str(&f.credential) {
        Ok(c) => c,
        Err(_) => {
            let flash = Flash::Error("The passkey's answer could not be read. Try adding it again.".into());
            return render(&sso, &w, &current, Some(flash), StatusCode::BAD_REQUEST, |_| {}).await;
        }
    };
    let handle = crate::sso::passkeys::CeremonyHandle(w.passkey_ceremony.clone().unwrap_or_default());
    match sso
        .register_passkey(&ctx, &current, &handle, &credential, &f.name)
        .await
    {
        Ok(_) => {
            let mut res = w.redirect(&format!("{}/account?done=passkey-added", w.base()));
            w.clear_passkey_ceremony(&mut res);
            res
        }
        Err(e) => {
            let error = PageError::from(&e);
            let flash = Flash::Error(format!("The passkey was not added: {}", error.sentence()));
            render(&sso, &w, &current, Some(flash), error.status, |_| {}).await
        }
    }
}

#[derive(Deserialize)]
pub struct PasskeyRemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    passkey_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    credential: String,
}

pub async fn passkey_remove(sso: web::Data<Sso>, w: Web, form: web::Form<PasskeyRemoveForm>) -> HttpResponse {
    let f = form.into_inner();
    let current = match guard(&sso, &w, &f.csrf).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let ctx = current.acting(&w.ctx);
    let Ok(proof) = form_proof(&w, f.password, f.code, &f.credential) else {
        let flash = Flash::Error("The passkey's answer could not be read. Try again.".into());
        return render(&sso, &w, &current, Some(flash), StatusCode::BAD_REQUEST, |_| {}).await;
    };
    match sso.remove_passkey(&ctx, &current, &f.passkey_id, &proof).await {
        Ok(()) => {
            let mut res = w.redirect(&format!("{}/account?done=passkey-removed", w.base()));
            w.clear_passkey_ceremony(&mut res);
            res
        }
        Err(e) => {
            let error = PageError::from(&e);
            let text = match error.code {
                SubStatus::AuthNotAllowed => "The password, the code or the passkey is not right.".to_owned(),
                SubStatus::CommonMissingInput => {
                    "Enter your password, and a code or use a passkey, to remove a passkey.".to_owned()
                }
                _ => error.sentence(),
            };
            render(&sso, &w, &current, Some(Flash::Error(text)), error.status, |_| {}).await
        }
    }
}
