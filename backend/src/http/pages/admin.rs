//! Administration pages for a tenant's super-users (and, on `system`, the operators' tenants page). Each
//! action calls the same domain service as the REST API.

use super::page_error::PageError;
use super::session::Web;
use super::{page_time, settings_form, viewer_zone};
use crate::config::TimeZone;
use crate::crypto::password::Password;
use crate::domain::AuditFilter;
use crate::domain::{ApprovalStatus, SignupStatus, User, UserPatch};
use crate::sso::audit_log::LogUser;
use crate::sso::audit_words;
use crate::sso::oidc::clients::{self, Client, ClientSettings};
use crate::sso::search::SearchCriteria;
use crate::sso::session::CurrentSession;
use crate::sso::tenant_setup::FirstAdministrator;
use crate::sso::{Admin, Operator, Sso, SsoError, TenantStatus, UserRef};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use gatehouse_frontend::admin::{
    self as views, AppLine, AuditFilters, AuditLine, ClientForm, ClientLine, GrantLine, Party, ShownOnce, TenantDraft,
    TenantLine, UserDetail, UserLine, UsersQuery,
};
use gatehouse_frontend::{Flash, message_page};
use gatehouse_shared::SubStatus;
use serde::Deserialize;

/// A signed-in administrator (the domain's capability), or the page to send the browser to instead.
async fn admin(sso: &Sso, w: &Web, path: &str) -> Result<(CurrentSession, Admin), HttpResponse> {
    let Some(current) = w.signed_in(sso).await else {
        return Err(w.to_login(path));
    };
    match current.require_super_user(&w.ctx) {
        Ok(admin) => Ok((current, admin)),
        // Where the tenant requires 2FA of its super-users, one without it goes to the account page to enrol.
        Err(e) if e.code() == Some(SubStatus::AuthTotpRequired) => {
            Err(w.redirect(&format!("{}/account?required=totp", w.base())))
        }
        Err(_) => {
            let html = message_page(
                &w.admin_chrome(&current),
                "Not allowed",
                Flash::Error("This page is for the administrators of this organisation. (E005001)".into()),
                Some((format!("{}/account", w.base()), "Your account".into())),
            );
            Err(w.page(StatusCode::FORBIDDEN, html))
        }
    }
}

/// The administrator posting one of the settings page's forms: signed in as a super-user, with the form's
/// token (without it, back to the settings page, nothing changed).
async fn settings_form_admin(sso: &Sso, w: &Web, csrf: &str) -> Result<(CurrentSession, Admin), HttpResponse> {
    let settings = format!("{}/admin/settings", w.base());
    let found = admin(sso, w, &settings).await?;
    if !w.csrf_ok(csrf) {
        return Err(w.redirect(&settings));
    }
    Ok(found)
}

fn line(u: &User, tz: TimeZone) -> UserLine {
    let mut badges = Vec::new();
    match u.approval_status {
        ApprovalStatus::Approved => {}
        ApprovalStatus::BeforeDecision => badges.push("waiting for approval".into()),
        ApprovalStatus::Rejected => badges.push("rejected".into()),
    }
    if u.sign_up_status != SignupStatus::Final {
        badges.push("e-mail unconfirmed".into());
    }
    if u.lock.is_locked {
        badges.push("locked".into());
    }
    if u.is_super_user {
        badges.push("administrator".into());
    }
    if u.is_totp_enabled {
        badges.push("2FA".into());
    }
    UserLine {
        user_id: u.user_id.clone(),
        username: u.username.to_string(),
        display_name: u.display_name.clone().unwrap_or_default(),
        email: u.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        signed_up: page_time(u.sign_up_time, tz),
        last_login: String::new(),
        badges,
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_flash(done: Option<&str>) -> Option<Flash> {
    done.map(|d| match d {
        "profile" => Flash::Success("The names and e-mail address are saved.".to_owned()),
        d => Flash::Success(format!("Done: {}.", d.replace('-', " "))),
    })
}

pub async fn approvals(sso: web::Data<Sso>, w: Web, q: web::Query<DoneQuery>) -> HttpResponse {
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let pending = sso.pending_approvals(&admin).await.unwrap_or_default();
    let tz = viewer_zone(&sso, admin.ctx(), &current).await;
    let lines = pending.iter().map(|u| line(u, tz)).collect();
    w.page(
        StatusCode::OK,
        views::approvals_page(&w.admin_chrome(&current), lines, done_flash(q.done.as_deref())),
    )
}

/// Approve or reject several at once: the form repeats `user_id`.
pub async fn decide(sso: web::Data<Sso>, w: Web, body: web::Bytes) -> HttpResponse {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let ctx = admin.ctx();
    if !w.csrf_ok(&get("csrf")) {
        return w.redirect(&format!("{}/admin", w.base()));
    }
    let approve = get("decision") == "approve";
    // "Select all" stands for every sign-up waiting now (a form that works without JavaScript).
    let ids: Vec<String> = if get("all") == "yes" {
        sso.pending_approvals(&admin)
            .await
            .unwrap_or_default()
            .iter()
            .map(|u| u.user_id.clone())
            .collect()
    } else {
        pairs
            .iter()
            .filter(|(k, _)| k == "user_id")
            .map(|(_, v)| v.clone())
            .collect()
    };
    // A rejection is confirmed first, naming who is rejected.
    if !approve && get("confirmed") != "yes" {
        let mut names = Vec::new();
        for id in &ids {
            if let Ok(u) = sso.get_user(&admin, &UserRef::Id(id.clone())).await {
                names.push(u.username.to_string());
            }
        }
        if names.is_empty() {
            return w.redirect(&format!("{}/admin?done=0-rejected", w.base()));
        }
        let question = (
            format!(
                "Reject {} sign-up{}?",
                names.len(),
                if names.len() == 1 { "" } else { "s" }
            ),
            format!(
                "{} cannot log in, and each is sent a rejection notice.",
                names.join(", ")
            ),
            "Reject".to_owned(),
        );
        // Those named, not "all": a sign-up arriving meanwhile is not rejected unseen.
        let hidden = pairs
            .iter()
            .filter(|(k, _)| k != "all" && k != "user_id")
            .cloned()
            .chain(ids.iter().map(|id| ("user_id".to_owned(), id.clone())))
            .collect();
        let (action, back) = (format!("{}/admin/approvals", w.base()), format!("{}/admin", w.base()));
        return confirm_first(&w, &current, question, action, hidden, back);
    }
    let mut n = 0;
    for id in &ids {
        let who = UserRef::Id(id.clone());
        let result = if approve {
            sso.approve_user(&admin, &who).await
        } else {
            sso.reject_user(&admin, &who).await
        };
        if result.is_ok() {
            n += 1;
            if let Err(e) = sso.note_decision_reason(&admin, id, &get("reason")).await {
                tracing::warn!(cid = %ctx.cid, error = %e, "could not audit a decision's reason");
            }
        }
    }
    let verb = if approve { "approved" } else { "rejected" };
    w.redirect(&format!("{}/admin?done={n}-{verb}", w.base()))
}

#[derive(Deserialize)]
pub struct UsersForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    page_size: Option<i64>,
}

/// `GET /admin/users`: the tenant's users found by a part of their username or name, their whole e-mail
/// address and their approval, a page at a time (a page size the list offers), with when each was created and
/// last logged in.
pub async fn users(sso: web::Data<Sso>, w: Web, q: web::Query<UsersForm>) -> HttpResponse {
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin/users", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let q = q.into_inner();
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let page_size = q.page_size.filter(|n| views::USER_PAGE_SIZES.contains(n)).unwrap_or(25);
    let status = Some(q.status.trim())
        .filter(|s| ["approved", "before_decision", "rejected"].contains(s))
        .unwrap_or_default()
        .to_owned();
    let criteria = SearchCriteria {
        text: some(&q.q),
        email: some(&q.email),
        approval_status: some(&status),
        cur_page: q.page.map(|p| p.clamp(1, i64::MAX / 100)),
        page_size: Some(page_size),
        ..SearchCriteria::default()
    };
    let chrome = w.admin_chrome(&current);
    let emails_sealed = sso
        .policy(&w.tenant)
        .await
        .map(|p| p.main.encrypt_email)
        .unwrap_or(true);
    let query = UsersQuery {
        text: q.q,
        email: q.email,
        status,
        page_size,
        emails_sealed,
    };
    match sso.search_users(&admin, criteria).await {
        Ok(page) => {
            let tz = viewer_zone(&sso, admin.ctx(), &current).await;
            let ids = page.result.iter().map(|u| u.user_id.clone()).collect();
            let logins = sso.last_logins(&admin, ids).await.unwrap_or_default();
            let lines = page
                .result
                .iter()
                .map(|u| UserLine {
                    last_login: logins
                        .get(&u.user_id)
                        .map_or_else(|| "Never".to_owned(), |t| page_time(*t, tz)),
                    ..line(u, tz)
                })
                .collect();
            w.page(
                StatusCode::OK,
                views::users_page(&chrome, query, lines, page.cur_page, page.num_pages, page.total, None),
            )
        }
        Err(e) => {
            let error = PageError::from(&e);
            w.page(
                error.status,
                views::users_page(&chrome, query, vec![], 1, 1, 0, Some(error.flash())),
            )
        }
    }
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    must_change: String,
    #[serde(default)]
    is_super_user: String,
}

/// `POST /admin/users`: an administrator creates a user (approved; the sign-up rules for usernames and the
/// password policy apply, as on the API).
pub async fn create_user(sso: web::Data<Sso>, w: Web, form: web::Form<NewUserForm>) -> HttpResponse {
    let f = form.into_inner();
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin/users", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if !w.csrf_ok(&f.csrf) {
        return w.redirect(&format!("{}/admin/users", w.base()));
    }
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let new = crate::sso::NewUser {
        username: f.username.trim().to_owned(),
        password: Some(Password::new(f.password)),
        email: some(&f.email),
        display_name: some(&f.display_name),
        is_super_user: f.is_super_user == "on",
        must_change: f.must_change == "on",
        auto_approve: true,
        ..crate::sso::NewUser::default()
    };
    match sso.create_user(&admin, new).await {
        Ok(u) => w.redirect(&format!("{}/admin/users/{}?done=created", w.base(), u.user_id)),
        Err(e) => {
            let error = PageError::from(&e);
            let chrome = w.admin_chrome(&current);
            let flash = Some(Flash::Error(format!("The user was not created: {}", error.sentence())));
            w.page(
                error.status,
                views::users_page(
                    &chrome,
                    UsersQuery {
                        page_size: 25,
                        ..UsersQuery::default()
                    },
                    vec![],
                    1,
                    1,
                    0,
                    flash,
                ),
            )
        }
    }
}

async fn detail(sso: &Sso, admin: &Admin, current: &CurrentSession, user_id: &str) -> Result<UserDetail, SsoError> {
    let ctx = admin.ctx();
    let tz = viewer_zone(sso, ctx, current).await;
    let user = sso.get_user(admin, &UserRef::Id(user_id.to_owned())).await?;
    let sessions = sso
        .list_sessions(ctx, current, Some(UserRef::Id(user_id.to_owned())))
        .await
        .unwrap_or_default();
    let owner = sso.user_attr_owner(ctx, current, Some(user_id)).await?;
    let attrs = sso.read_attrs(ctx, &owner, None).await.unwrap_or_default();
    let list = sso.address_list(admin, user_id).await.ok().flatten();
    let passkeys = sso.user_passkeys(admin, &UserRef::Id(user_id.to_owned())).await?;
    let last_login = sso
        .last_logins(admin, vec![user.user_id.clone()])
        .await?
        .get(&user.user_id)
        .map_or_else(|| "Never".to_owned(), |t| page_time(*t, tz));
    Ok(UserDetail {
        user: Some(UserLine {
            last_login,
            ..line(&user, tz)
        }),
        is_self: admin.is_self(&user.user_id),
        first_name: user.first_name.clone().unwrap_or_default(),
        middle_name: user.middle_name.clone().unwrap_or_default(),
        last_name: user.last_name.clone().unwrap_or_default(),
        approval_status: user.approval_status.to_string(),
        is_locked: user.lock.is_locked,
        is_totp_enabled: user.is_totp_enabled,
        passkeys: passkeys
            .iter()
            .map(|p| {
                (
                    p.passkey_id.clone(),
                    p.name.clone(),
                    page_time(p.creation_time, tz),
                    p.last_used_time
                        .map(|t| page_time(t, tz))
                        .unwrap_or_else(|| "Never".to_owned()),
                )
            })
            .collect(),
        must_change: user.password_must_change,
        address_list: list.map(|l| l.join(", ")).unwrap_or_default(),
        sessions: sessions.iter().map(|s| super::session_line(s, tz, false)).collect(),
        attrs: attrs
            .values()
            .map(|a| {
                (
                    a.name.clone(),
                    if a.is_encrypted {
                        "(encrypted)".to_owned()
                    } else {
                        a.value.to_string()
                    },
                )
            })
            .collect(),
    })
}

pub async fn user(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    let user_id = path.into_inner().1;
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin/users/{user_id}", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let chrome = w.admin_chrome(&current);
    match detail(&sso, &admin, &current, &user_id).await {
        Ok(d) => w.page(
            StatusCode::OK,
            views::user_page(&chrome, d, done_flash(q.done.as_deref())),
        ),
        Err(e) => w.page(
            PageError::from(&e).status,
            views::user_page(&chrome, UserDetail::default(), None),
        ),
    }
}

pub async fn user_action(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (_, user_id, verb) = path.into_inner();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = format!("{}/admin/users/{user_id}", w.base());
    let (current, admin) = match admin(&sso, &w, &page).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let ctx = admin.ctx();
    if !w.csrf_ok(&get("csrf")) {
        return w.redirect(&page);
    }
    let who = UserRef::Id(user_id.clone());
    // A locking or destructive action is confirmed first, on a page of its own (no JavaScript needed).
    if get("confirmed") != "yes"
        && let Some(ask) = user_action_question(&sso, &admin, &who, &verb, &get).await
    {
        let action = if verb == "sessions" {
            format!("{page}/sessions/end")
        } else {
            format!("{page}/{verb}")
        };
        return confirm_first(&w, &current, ask, action, pairs.clone(), page.clone());
    }
    let result: Result<(), SsoError> = match verb.as_str() {
        "lock" => sso.lock_user(&admin, &who).await.map(|_| ()),
        "unlock" => sso.unlock_user(&admin, &who).await.map(|_| ()),
        "approve" => sso.approve_user(&admin, &who).await.map(|_| ()),
        "reject" => sso.reject_user(&admin, &who).await.map(|_| ()),
        "delete" => match sso.delete_user(&admin, &user_id).await {
            Ok(()) => return w.redirect(&format!("{}/admin/users?done=deleted", w.base())),
            Err(e) => Err(e),
        },
        "reset-totp" => sso
            .reset_two_factor(&admin, &who, get("passkeys") == "on")
            .await
            .map(|_| ()),
        "passkey-remove" => sso.admin_remove_passkey(&admin, &who, &get("passkey_id")).await,
        "force-change" => {
            let patch = UserPatch {
                password_must_change: Some(true),
                ..UserPatch::default()
            };
            sso.update_user(&admin, &user_id, patch).await.map(|_| ())
        }
        "password" => sso
            .set_password(&admin, &who, Password::new(get("new_password")), true, None)
            .await
            .map(|_| ()),
        "profile" => match profile_patch(&get) {
            Ok(patch) => sso.update_user(&admin, &user_id, patch).await.map(|_| ()),
            Err(e) => Err(e),
        },
        "address-list" => {
            let text = get("addresses");
            let list = (!text.trim().is_empty()).then(|| {
                text.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            });
            sso.set_address_list(&admin, &user_id, list).await
        }
        "sessions" => sso.end_session(ctx, &current, &get("session_id")).await,
        _ => Err(SsoError::refused(
            crate::sso::Kind::NotFound,
            SubStatus::CommonInvalidInput,
        )),
    };
    match result {
        Ok(()) => w.redirect(&format!("{page}?done={verb}")),
        Err(e) => {
            let error = PageError::from(&e);
            let chrome = w.admin_chrome(&current);
            let d = detail(&sso, &admin, &current, &user_id).await.unwrap_or_default();
            w.page(error.status, views::user_page(&chrome, d, Some(error.flash())))
        }
    }
}

/// The names and address an administrator edits on a user's page: each field as typed (empty clears it; a new
/// address is set at once, as the administrator's, without a confirmation mail).
fn profile_patch(get: &impl Fn(&str) -> String) -> Result<UserPatch, SsoError> {
    let text = |k: &str| Some(Some(get(k).trim().to_owned()).filter(|s| !s.is_empty()));
    let email = match get("email").trim() {
        "" => None,
        e => Some(
            crate::domain::Email::parse(e)
                .map_err(|_| SsoError::refused(crate::sso::Kind::BadInput, SubStatus::EmailInvalid))?,
        ),
    };
    Ok(UserPatch {
        display_name: text("display_name"),
        first_name: text("first_name"),
        middle_name: text("middle_name"),
        last_name: text("last_name"),
        email: Some(email),
        ..UserPatch::default()
    })
}

/// The question a locking or destructive action on a user asks first: title, consequences, the button's words;
/// `None` for the actions that need none.
async fn user_action_question(
    sso: &Sso,
    admin: &Admin,
    who: &UserRef,
    verb: &str,
    get: &impl Fn(&str) -> String,
) -> Option<(String, String, String)> {
    let name = sso.get_user(admin, who).await.ok()?.username.to_string();
    let (title, consequences, confirm) = match verb {
        "lock" => (
            format!("Lock {name}?"),
            format!("{name} is signed out everywhere and cannot log in until an administrator unlocks the account."),
            format!("Lock {name}"),
        ),
        "reject" => (
            format!("Reject {name}?"),
            format!("{name} is signed out everywhere and cannot log in; a rejection notice is sent."),
            format!("Reject {name}"),
        ),
        "reset-totp" => (
            format!("Reset {name}'s two-factor authentication?"),
            if get("passkeys") == "on" {
                format!(
                    "{name}'s authenticator app, recovery codes and passkeys stop working, and every session of {name} ends."
                )
            } else {
                format!(
                    "{name}'s authenticator app and recovery codes stop working (passkeys stay), and every session of {name} ends."
                )
            },
            "Reset two-factor authentication".to_owned(),
        ),
        "delete" => (
            format!("Delete {name}?"),
            format!("{name}'s account, sessions, attributes and passkeys are removed for good; this cannot be undone."),
            format!("Delete {name}"),
        ),
        "sessions" => (
            format!("End a session of {name}?"),
            format!("The browser or application using that session is signed out; {name}'s other sessions go on."),
            "End the session".to_owned(),
        ),
        "passkey-remove" => (
            format!("Remove a passkey of {name}?"),
            format!("The passkey stops working for {name}, and every session of {name} ends."),
            "Remove the passkey".to_owned(),
        ),
        _ => return None,
    };
    Some((title, consequences, confirm))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    username: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
}

/// Entries per page of the log.
const AUDIT_PAGE_SIZE: i64 = 50;

/// A day typed into the log's filter (`YYYY-MM-DD`, what a date picker sends), or why it is not one.
fn filter_day(label: &str, text: &str) -> Result<Option<chrono::NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    // Years a log can hold: beyond them PostgreSQL's timestamps end, and SQLite's text comparison breaks.
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| (1000..=9999).contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| {
            format!("“{text}” is not a date for “{label}”: choose one with the date picker, or type it as YYYY-MM-DD.")
        })
}

/// The start of `day` in `zone`, in UTC (the first instant of the day, where a change of clocks skips midnight).
fn day_start(day: chrono::NaiveDate, zone: TimeZone) -> chrono::NaiveDateTime {
    use chrono::TimeZone as _;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    match zone.0.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.naive_utc(),
        chrono::LocalResult::None => zone
            .0
            .from_local_datetime(&(midnight + chrono::TimeDelta::hours(1)))
            .earliest()
            .map_or(midnight, |t| t.naive_utc()),
    }
}

/// `GET /admin/audit`: the log as a story, in the viewer's time zone, filtered by username, operation, result
/// and days. A bad date is refused (400) with the filters shown back, never silently dropped.
pub async fn audit(sso: web::Data<Sso>, w: Web, q: web::Query<AuditQuery>) -> HttpResponse {
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin/audit", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let q = q.into_inner();
    let tz = viewer_zone(&sso, admin.ctx(), &current).await;
    let filters = AuditFilters {
        username: q.username.trim().to_owned(),
        op: q.op.trim().to_owned(),
        result: q.result.trim().to_owned(),
        from: q.from.trim().to_owned(),
        to: q.to.trim().to_owned(),
        user_id: q.user_id.trim().to_owned(),
    };
    let page = q.page.unwrap_or(1).clamp(1, i64::MAX / AUDIT_PAGE_SIZE);
    let chrome = w.admin_chrome(&current);
    let render = |status, lines, total, flash| {
        w.page(
            status,
            views::audit_page(
                &chrome,
                filters.clone(),
                audit_words::OPERATIONS,
                lines,
                page,
                AUDIT_PAGE_SIZE,
                total,
                tz.name(),
                flash,
            ),
        )
    };
    let days = filter_day("From", &filters.from).and_then(|from| Ok((from, filter_day("To", &filters.to)?)));
    let (from, to) = match days {
        Ok(days) => days,
        Err(message) => return render(StatusCode::BAD_REQUEST, vec![], 0, Some(Flash::Error(message))),
    };
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        let message = "“To” is before “From”: nothing can match.".to_owned();
        return render(StatusCode::BAD_REQUEST, vec![], 0, Some(Flash::Error(message)));
    }
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let user_id = match sso.log_user(&admin, Some(&filters.username)).await {
        Ok(LogUser::Anyone) => some(&filters.user_id),
        Ok(LogUser::Found(id)) => Some(id),
        Ok(LogUser::NoSuchUser) => {
            let message = format!("No user is named “{}”.", filters.username);
            return render(StatusCode::OK, vec![], 0, Some(Flash::Error(message)));
        }
        Err(e) => return render(PageError::from(&e).status, vec![], 0, Some(PageError::from(&e).flash())),
    };
    let filter = AuditFilter {
        user_id,
        op: some(&filters.op),
        result: some(&filters.result),
        since: from.map(|d| day_start(d, tz)),
        // "To" includes its day: up to the instant before the next day starts (the store's bound is inclusive).
        until: to
            .and_then(|d| d.succ_opt())
            .map(|d| day_start(d, tz) - chrono::TimeDelta::microseconds(1)),
    };
    match sso.audit_story(&admin, filter, Some(page), Some(AUDIT_PAGE_SIZE)).await {
        Ok(story) => {
            let who = |name: Option<String>, id: &Option<String>| match (name, id) {
                (Some(name), Some(id)) => Party::User(name, id.clone()),
                (None, Some(id)) => Party::Named(match id.as_str() {
                    "auto" => "Gatehouse".to_owned(),
                    id if id.starts_with("cli:") => format!("command line ({})", &id[4..]),
                    id => match story.operators.get(id) {
                        Some(name) => format!("operator {name}"),
                        None => format!("deleted user {id}"),
                    },
                }),
                (_, None) => Party::Nobody,
            };
            let lines = story
                .entries
                .into_iter()
                .map(|e| {
                    let r = e.row;
                    let (by, on) = match (who(e.actor, &r.current_user_id), who(e.target, &r.target_user_id)) {
                        // Nobody was logged in yet (a login, a sign-up, a reset) and it worked: the person it was
                        // about did it. A refused one may have been anybody, trying it on them.
                        (Party::Nobody, on) if r.result == "ok" => (on, Party::Nobody),
                        pair => pair,
                    };
                    AuditLine {
                        time: page_time(r.time, tz),
                        what: audit_words::operation(&r.op).unwrap_or("Another operation").to_owned(),
                        by,
                        on,
                        result: audit_words::result(&r.result, r.sub_status.as_deref()),
                        refused: r.result != "ok",
                        sub_status: r.sub_status.unwrap_or_default(),
                        remote_addr: r.remote_addr.unwrap_or_default(),
                        app: r
                            .current_app
                            .filter(|a| a != crate::config::policy::WEB_APP)
                            .unwrap_or_default(),
                        op: r.op,
                    }
                })
                .collect();
            render(StatusCode::OK, lines, story.total, None)
        }
        Err(e) => render(PageError::from(&e).status, vec![], 0, Some(PageError::from(&e).flash())),
    }
}

/// What a settings page shows besides the settings: a message, a secret shown this once, or the client settings
/// an administrator typed for an app and that were refused (shown back in that app's form).
#[derive(Default)]
struct Extras {
    flash: Option<Flash>,
    shown: Option<ShownOnce>,
    typed: Option<(String, ClientForm)>,
    /// A settings section's form as typed, when it was refused.
    settings: Option<settings_form::Typed>,
}

impl Extras {
    fn flash(flash: Option<Flash>) -> Extras {
        Extras {
            flash,
            ..Extras::default()
        }
    }
}

/// The form of a saved client (or the empty form of an app that is none).
fn client_form(client: Option<&Client>) -> ClientForm {
    client.map_or_else(ClientForm::default, |c| ClientForm {
        client_name: c.settings.client_name.clone(),
        redirect_uris: c.settings.redirect_uris.join("\n"),
        post_logout_redirect_uris: c.settings.post_logout_redirect_uris.join("\n"),
        confidential: c.settings.confidential,
        consent_required: c.settings.consent_required,
        backchannel_logout_uri: c.settings.backchannel_logout_uri.clone().unwrap_or_default(),
        id_token_alg: c.settings.id_token_alg.as_str().to_owned(),
        error: None,
    })
}

async fn settings_view(
    sso: &Sso,
    w: &Web,
    current: &CurrentSession,
    admin: &Admin,
    extras: Extras,
    status: StatusCode,
) -> HttpResponse {
    let tenant = sso
        .resolve_tenant(w.tenant.slug.as_str())
        .await
        .unwrap_or_else(|_| w.tenant.clone());
    let fresh = admin.refreshed(tenant);
    let admin = fresh.as_ref().unwrap_or(admin);
    let tz = viewer_zone(sso, admin.ctx(), current).await;
    let (effective, overrides) = sso.settings_view(admin).await.unwrap_or_default();
    let Extras {
        flash,
        shown,
        typed,
        settings: typed_settings,
    } = extras;
    let groups = settings_form::groups(&sso.config.policy(), &effective, &overrides, typed_settings.as_ref());
    let clients = sso.clients(admin).await.unwrap_or_default();
    let mut grants = std::collections::HashMap::new();
    for c in &clients {
        let lines: Vec<GrantLine> = sso
            .app_grants(admin, &c.client_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|g| GrantLine {
                id: g.id,
                username: g.username,
                since: page_time(g.creation_time, tz),
                last_used: page_time(g.last_used_time, tz),
                access: g
                    .access_until
                    .map_or_else(|| "None live".to_owned(), |t| format!("Until {}", page_time(t, tz))),
                offline: g.offline,
                expires: page_time(g.expiration_time, tz),
            })
            .collect();
        grants.insert(c.client_id.clone(), lines);
    }
    let apps = sso
        .apps(admin)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let client = clients.iter().find(|c| c.client_id == a.name);
            let form = match &typed {
                Some((app, form)) if *app == a.name => form.clone(),
                _ => client_form(client),
            };
            AppLine {
                flags: [
                    ("log in", a.login_allowed),
                    ("sign up", a.signup_allowed),
                    ("login metadata", a.login_metadata_allowed),
                ]
                .iter()
                .filter(|(_, on)| *on)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
                keys: a.keys.iter().map(|(id, t)| (id.clone(), page_time(*t, tz))).collect(),
                client: client.map(|c| ClientLine {
                    display_name: c.display_name().to_owned(),
                    redirect_uris: c.settings.redirect_uris.clone(),
                    post_logout_redirect_uris: c.settings.post_logout_redirect_uris.clone(),
                    confidential: c.settings.confidential,
                    consent_required: c.settings.consent_required,
                    has_secret: c.has_secret,
                    backchannel_logout_uri: c.settings.backchannel_logout_uri.clone(),
                    id_token_alg: c.settings.id_token_alg.as_str().to_owned(),
                }),
                form,
                grants: grants.remove(&a.name).unwrap_or_default(),
                name: a.name,
            }
        })
        .collect();
    w.page(
        status,
        views::settings_page(&w.admin_chrome(current), groups, apps, shown, flash),
    )
}

pub async fn settings(sso: web::Data<Sso>, w: Web, q: web::Query<DoneQuery>) -> HttpResponse {
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin/settings", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    settings_view(
        &sso,
        &w,
        &current,
        &admin,
        Extras::flash(done_flash(q.done.as_deref())),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/settings`: one section's form. "Reset to default" removes that key's override; otherwise each
/// value that differs from the one in force is saved, all or none. A refused value is shown back in its field with
/// why and what would be valid.
pub async fn save_settings(sso: web::Data<Sso>, w: Web, body: web::Bytes) -> HttpResponse {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let (current, admin) = match admin(&sso, &w, &format!("{}/admin/settings", w.base())).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    if !w.csrf_ok(&get("csrf").unwrap_or_default()) {
        return w.redirect(&format!("{}/admin/settings", w.base()));
    }
    // Only a section of the page's names where to go back to (it lands in the Location header).
    let section = settings_form::section(&get("section").unwrap_or_default());
    let back = |section: Option<&str>| match section {
        None => format!("{}/admin/settings?done=settings-saved", w.base()),
        Some(s) => format!("{}/admin/settings?done=settings-saved#settings-{s}", w.base()),
    };
    let (effective, overrides) = sso.settings_view(&admin).await.unwrap_or_default();
    if let Some(key) = get("reset") {
        let (s, k) = key.split_once('.').unwrap_or((key.as_str(), ""));
        // A key at its default already: nothing to remove, nothing to audit.
        if overrides.get(s).and_then(|o| o.get(k)).is_none() {
            return w.redirect(&back(section));
        }
        return match sso.set_setting(&admin, s, k, None).await {
            Ok(()) => w.redirect(&format!(
                "{}/admin/settings?done=reset-to-default#settings-{s}",
                w.base()
            )),
            Err(e) => settings_refused(&sso, &w, &current, &admin, &e).await,
        };
    }
    let refused = |key: String, why: String, status: StatusCode| {
        let flash = Flash::Error(format!("Nothing was saved: see “{}” below. {why}", setting_label(&key)));
        // What was typed is shown back in the section posted, and only there (another section's switches,
        // absent from this form, must not read as off).
        let typed = settings_form::Typed {
            section: section.unwrap_or_default().to_owned(),
            values: pairs.clone(),
            error: Some((key, why)),
        };
        let extras = Extras {
            flash: Some(flash),
            settings: Some(typed),
            ..Extras::default()
        };
        (extras, status)
    };
    let changes = match settings_form::changes(&sso.config.policy(), &effective, &pairs) {
        Ok(c) => c,
        Err((key, why)) => {
            let (extras, status) = refused(key, why, StatusCode::BAD_REQUEST);
            return settings_view(&sso, &w, &current, &admin, extras, status).await;
        }
    };
    if changes.is_empty() {
        return w.redirect(&back(section));
    }
    match sso.set_settings(&admin, changes).await {
        Ok(()) => w.redirect(&back(section)),
        Err(e) => {
            let error = PageError::from(&e);
            let (extras, status) = match &e {
                SsoError::Invalid { key, message } => refused(key.clone(), valid_words(message), error.status),
                _ => (Extras::flash(Some(error.flash())), error.status),
            };
            settings_view(&sso, &w, &current, &admin, extras, status).await
        }
    }
}

/// The settings page again, with the sentence of the error that refused its action.
async fn settings_refused(sso: &Sso, w: &Web, current: &CurrentSession, admin: &Admin, e: &SsoError) -> HttpResponse {
    let error = PageError::from(e);
    settings_view(sso, w, current, admin, Extras::flash(Some(error.flash())), error.status).await
}

/// A key's name in words, for a message.
fn setting_label(key: &str) -> String {
    let (section, name) = key.split_once('.').unwrap_or((key, ""));
    crate::config::catalogue::find(section, name).map_or_else(|| key.to_owned(), |s| s.label.to_owned())
}

/// A validation message as a sentence: "must be 1 to 525600 minutes, not 0" becomes "It must be 1 to 525600
/// minutes, not 0."
fn valid_words(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    if message.starts_with("must") {
        format!("It {message}.")
    } else {
        format!("{message}.")
    }
}

#[derive(Deserialize)]
pub struct AppForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn add_app(sso: web::Data<Sso>, w: Web, form: web::Form<AppForm>) -> HttpResponse {
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let name = form.name.trim();
    match sso.put_app(&admin, name, true, true, false).await {
        Ok(_) => w.redirect(&format!("{}/admin/settings?done=app-added#apps", w.base())),
        Err(e) => {
            let error = PageError::from(&e);
            // A name that breaks the rules says which they are.
            let flash = if error.code == SubStatus::CommonInvalidInput {
                Flash::Error(format!("“{name}” cannot be an app's name: {}", views::APP_NAME_RULE))
            } else {
                error.flash()
            };
            settings_view(&sso, &w, &current, &admin, Extras::flash(Some(flash)), error.status).await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    /// `yes` once the action's confirmation page was answered.
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    confirm: String,
}

pub async fn new_key(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let app = path.into_inner().1;
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    // The key is shown on this response only: no redirect.
    match sso.create_app_key(&admin, &app).await {
        Ok(k) => {
            let extras = Extras {
                shown: Some(ShownOnce::AppKey { app, key: k.key }),
                ..Extras::default()
            };
            settings_view(&sso, &w, &current, &admin, extras, StatusCode::OK).await
        }
        Err(e) => settings_refused(&sso, &w, &current, &admin, &e).await,
    }
}

pub async fn revoke_key(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (_, app, key_id) = path.into_inner();
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if form.confirmed != "yes" {
        let question = (
            format!("Revoke a key of {app}?"),
            format!("Calls that present this key are refused at once; {app}'s other keys go on working."),
            "Revoke the key".to_owned(),
        );
        let action = format!("{}/admin/settings/apps/{app}/keys/{key_id}/revoke", w.base());
        return confirm_first(
            &w,
            &current,
            question,
            action,
            vec![],
            format!("{}/admin/settings", w.base()),
        );
    }
    match sso.revoke_app_key(&admin, &app, &key_id).await {
        Ok(()) => w.redirect(&format!("{}/admin/settings?done=key-revoked", w.base())),
        Err(e) => settings_refused(&sso, &w, &current, &admin, &e).await,
    }
}

#[derive(Deserialize)]
pub struct ClientSettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    client_name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    confidential: Option<String>,
    #[serde(default)]
    consent_required: Option<String>,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    id_token_alg: String,
}

/// One URI per line. blank lines (and the white space around a URI) do not count.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /admin/settings/apps/{app}/client`: saves an app's client settings. A client that becomes confidential
/// gets a secret, shown on this response only; refused values come back in the form with what is allowed.
pub async fn save_client(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    form: web::Form<ClientSettingsForm>,
) -> HttpResponse {
    let app = path.into_inner().1;
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let form = form.into_inner();
    let backchannel = form.backchannel_logout_uri.trim();
    let saved = match clients::parse_alg(Some(&form.id_token_alg)) {
        Ok(id_token_alg) => {
            let settings = ClientSettings {
                client_name: form.client_name.trim().to_owned(),
                redirect_uris: lines(&form.redirect_uris),
                post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
                confidential: form.confidential.is_some(),
                consent_required: form.consent_required.is_some(),
                backchannel_logout_uri: (!backchannel.is_empty()).then(|| backchannel.to_owned()),
                id_token_alg,
            };
            sso.put_client(&admin, &app, settings).await
        }
        Err(e) => Err(e),
    };
    match saved {
        // The secret is shown on this response only: no redirect.
        Ok((_, Some(secret))) => {
            let extras = Extras {
                flash: Some(Flash::Success(format!("Client settings of {app} saved."))),
                shown: Some(ShownOnce::ClientSecret {
                    app,
                    secret: secret.expose().to_owned(),
                }),
                ..Extras::default()
            };
            settings_view(&sso, &w, &current, &admin, extras, StatusCode::OK).await
        }
        Ok((_, None)) => w.redirect(&format!("{}/admin/settings?done=client-settings-saved", w.base())),
        Err(e) => {
            let error = PageError::from(&e);
            let typed = ClientForm {
                client_name: form.client_name,
                redirect_uris: form.redirect_uris,
                post_logout_redirect_uris: form.post_logout_redirect_uris,
                confidential: form.confidential.is_some(),
                consent_required: form.consent_required.is_some(),
                backchannel_logout_uri: form.backchannel_logout_uri,
                id_token_alg: form.id_token_alg,
                error: match &e {
                    SsoError::Invalid { key, message } => Some((key.clone(), message.clone())),
                    _ => None,
                },
            };
            let flash = match &e {
                SsoError::Invalid { .. } => Flash::Error(format!(
                    "The client settings of {app} were not saved: see the form below."
                )),
                _ => error.flash(),
            };
            let extras = Extras {
                flash: Some(flash),
                typed: typed.error.is_some().then_some((app, typed)),
                ..Extras::default()
            };
            settings_view(&sso, &w, &current, &admin, extras, error.status).await
        }
    }
}

/// `POST /admin/settings/apps/{app}/client/secret`: a new secret for a confidential client, shown on this response
/// only; the old one stops working.
pub async fn new_client_secret(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let app = path.into_inner().1;
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    match sso.regenerate_client_secret(&admin, &app).await {
        Ok(secret) => {
            let extras = Extras {
                shown: Some(ShownOnce::ClientSecret {
                    app,
                    secret: secret.expose().to_owned(),
                }),
                ..Extras::default()
            };
            settings_view(&sso, &w, &current, &admin, extras, StatusCode::OK).await
        }
        Err(e) => {
            let error = PageError::from(&e);
            let flash = match &e {
                SsoError::Invalid { message, .. } => Flash::Error(format!("No new secret for {app}: {message}.")),
                _ => error.flash(),
            };
            settings_view(&sso, &w, &current, &admin, Extras::flash(Some(flash)), error.status).await
        }
    }
}

/// `POST /admin/settings/apps/{app}/client/remove`: the app is no longer a client (its consents and waiting codes
/// go too); it stays an app.
pub async fn remove_client(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let app = path.into_inner().1;
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if form.confirmed != "yes" {
        let question = (
            format!("Remove {app}'s OpenID Connect settings?"),
            format!("{app} can no longer sign people in through OpenID Connect; its secret stops working."),
            "Remove the client settings".to_owned(),
        );
        let action = format!("{}/admin/settings/apps/{app}/client/remove", w.base());
        return confirm_first(
            &w,
            &current,
            question,
            action,
            vec![],
            format!("{}/admin/settings", w.base()),
        );
    }
    match sso.delete_client(&admin, &app).await {
        Ok(()) => w.redirect(&format!("{}/admin/settings?done=client-settings-removed", w.base())),
        Err(e) => settings_refused(&sso, &w, &current, &admin, &e).await,
    }
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    grant: String,
}

/// The confirmation page of a settings or tenants action: `action` is posted again with `hidden` and
/// `confirmed=yes`.
fn confirm_first(
    w: &Web,
    current: &CurrentSession,
    (title, consequences, confirm): (String, String, String),
    action: String,
    hidden: Vec<(String, String)>,
    back: String,
) -> HttpResponse {
    let view = gatehouse_frontend::confirm::ConfirmView {
        title,
        consequences,
        action,
        hidden,
        confirm,
        back,
    };
    w.page(
        StatusCode::OK,
        gatehouse_frontend::confirm::confirm_page(&w.admin_chrome(current), view),
    )
}

/// `POST /admin/settings/apps/{app}/client/grants/end`: ends one grant of the app (its user is signed out of it,
/// its refresh token stops working, its client is told by back-channel).
pub async fn end_grant(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    form: web::Form<GrantForm>,
) -> HttpResponse {
    let app = path.into_inner().1;
    let (current, admin) = match settings_form_admin(&sso, &w, &form.csrf).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if form.confirmed != "yes" {
        let question = (
            format!("End this sign-in to {app}?"),
            format!("The person is signed out of {app}, and its refresh token stops working."),
            "End it".to_owned(),
        );
        let action = format!("{}/admin/settings/apps/{app}/client/grants/end", w.base());
        let hidden = vec![("grant".to_owned(), form.grant.clone())];
        return confirm_first(
            &w,
            &current,
            question,
            action,
            hidden,
            format!("{}/admin/settings", w.base()),
        );
    }
    let ended = match form.grant.parse::<i64>() {
        Ok(id) => sso.end_grant(&admin, &app, id).await,
        Err(_) => Err(SsoError::refused(
            crate::sso::Kind::NotFound,
            SubStatus::SessionNoSuchSession,
        )),
    };
    match ended {
        Ok(()) => w.redirect(&format!("{}/admin/settings?done=grant-ended", w.base())),
        Err(e) => settings_refused(&sso, &w, &current, &admin, &e).await,
    }
}

/// The operators' page exists on `system` only.
async fn operator(sso: &Sso, w: &Web) -> Result<(CurrentSession, Operator), HttpResponse> {
    if !w.tenant.slug.is_system() {
        return Err(w.page(
            StatusCode::NOT_FOUND,
            message_page(
                &w.chrome(None),
                "Not found",
                Flash::Error("There is no such page.".into()),
                None,
            ),
        ));
    }
    let (current, admin) = admin(sso, w, &format!("{}/admin/tenants", w.base())).await?;
    match admin.operator() {
        Ok(op) => Ok((current, op)),
        Err(e) => Err(w.page(
            PageError::from(&e).status,
            message_page(&w.chrome(None), "Not allowed", PageError::from(&e).flash(), None),
        )),
    }
}

pub async fn tenants(sso: web::Data<Sso>, w: Web, q: web::Query<DoneQuery>) -> HttpResponse {
    let (current, _) = match operator(&sso, &w).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    tenants_view(
        &sso,
        &w,
        &current,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        TenantDraft::default(),
    )
    .await
}

async fn tenants_view(
    sso: &Sso,
    w: &Web,
    current: &CurrentSession,
    status: StatusCode,
    flash: Option<Flash>,
    draft: TenantDraft,
) -> HttpResponse {
    let list = sso.list_tenants().await.unwrap_or_default();
    let lines = list
        .into_iter()
        .map(|t| TenantLine {
            slug: t.slug.to_string(),
            name: t.display_name,
            status: t.status.as_str().to_owned(),
        })
        .collect();
    w.page(
        status,
        views::tenants_page(&w.admin_chrome(current), lines, flash, draft),
    )
}

/// A refused tenant action: its sentence, with the way back to the tenants.
fn tenant_failure(w: &Web, title: &str, e: &SsoError) -> HttpResponse {
    let error = PageError::from(e);
    let back = Some((format!("{}/admin/tenants", w.base()), "Back".into()));
    w.page(error.status, message_page(&w.chrome(None), title, error.flash(), back))
}

#[derive(Deserialize)]
pub struct NewTenantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    admin_username: String,
    #[serde(default)]
    admin_email: String,
    #[serde(default)]
    admin_password: String,
}

/// `POST /admin/tenants`: an operator creates a tenant with its first administrator (given a password, or
/// invited by e-mail). A refusal shows the form again with what was typed, the password aside.
pub async fn create_tenant(sso: web::Data<Sso>, w: Web, form: web::Form<NewTenantForm>) -> HttpResponse {
    let f = form.into_inner();
    let (current, op) = match operator(&sso, &w).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if !w.csrf_ok(&f.csrf) {
        return w.redirect(&format!("{}/admin/tenants", w.base()));
    }
    let draft = TenantDraft {
        slug: f.slug.trim().to_owned(),
        name: f.display_name.trim().to_owned(),
        admin_username: f.admin_username.trim().to_owned(),
        admin_email: f.admin_email.trim().to_owned(),
    };
    let email = match Some(draft.admin_email.as_str()).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => crate::domain::Email::parse(e)
            .map(Some)
            .map_err(|_| SsoError::refused(crate::sso::Kind::BadInput, SubStatus::EmailInvalid)),
    };
    let first = email.map(|email| FirstAdministrator {
        username: draft.admin_username.clone(),
        email,
        password: Some(f.admin_password).filter(|p| !p.is_empty()).map(Password::new),
    });
    let invited = first.as_ref().is_ok_and(|a| a.password.is_none());
    let name = Some(draft.name.as_str()).filter(|n| !n.is_empty());
    let result = match first {
        Ok(first) => {
            sso.create_tenant_with_administrator(&op, &draft.slug, name, first)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((t, _)) => {
            let done = if invited { "created-and-invited" } else { "created" };
            w.redirect(&format!("{}/admin/tenants?done={done}-{}", w.base(), t.slug))
        }
        Err(e) => {
            let error = PageError::from(&e);
            let flash = Some(Flash::Error(format!(
                "The tenant was not created: {}",
                error.sentence()
            )));
            tenants_view(&sso, &w, &current, error.status, flash, draft).await
        }
    }
}

pub async fn tenant_action(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (_, slug, verb) = path.into_inner();
    let (current, op) = match operator(&sso, &w).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    if !w.csrf_ok(&form.csrf) {
        return w.redirect(&format!("{}/admin/tenants", w.base()));
    }
    if verb == "suspend" && form.confirmed != "yes" {
        let question = (
            format!("Suspend {slug}?"),
            format!(
                "Nobody of {slug} can log in or use a session, and its applications are refused, until it is resumed."
            ),
            format!("Suspend {slug}"),
        );
        let action = format!("{}/admin/tenants/{slug}/suspend", w.base());
        return confirm_first(
            &w,
            &current,
            question,
            action,
            vec![],
            format!("{}/admin/tenants", w.base()),
        );
    }
    let result = match (verb.as_str(), sso.resolve_tenant(&slug).await) {
        ("delete", Ok(_)) => sso.delete_tenant(&op, &slug, Some(form.confirm.trim())).await,
        ("suspend" | "resume", Ok(target)) => {
            let status = if verb == "suspend" {
                TenantStatus::Suspended
            } else {
                TenantStatus::Active
            };
            sso.set_tenant_status(&op, target, status).await.map(|_| ())
        }
        (_, Err(e)) => Err(e),
        _ => Err(SsoError::refused(
            crate::sso::Kind::NotFound,
            SubStatus::CommonInvalidInput,
        )),
    };
    match result {
        Ok(()) => w.redirect(&format!("{}/admin/tenants?done={verb}-{slug}", w.base())),
        Err(e) => tenant_failure(&w, "That did not work", &e),
    }
}

/// `POST /admin/users/{user_id}/sessions/end`.
pub async fn end_user_session(
    sso: web::Data<Sso>,
    w: Web,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (tenant, user_id) = path.into_inner();
    user_action(sso, w, web::Path::from((tenant, user_id, "sessions".to_owned())), body).await
}
