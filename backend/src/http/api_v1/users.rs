//! Users on the native API: the caller's own profile and password; a super-user's create, search, read,
//! update, delete, approve, reject, lock, unlock, password and IP allow-list of any user of the tenant.

use super::auth::authed;
use super::wire;
use crate::crypto::password::Password;
use crate::domain::User;
use crate::http::call::{Call, bearer};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::user_patch::{self, UnknownKeys};
use crate::sso::login::ExpiryCheck;
use crate::sso::search::SearchCriteria;
use crate::sso::session::no_such_session;
use crate::sso::user_admin::TotpToggle;
use crate::sso::{NewUser, Sso, UserRef};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use gatehouse_shared::api;
use serde::Deserialize;
use serde_json::{Map, Value};

type UserPath = web::Path<(String, String)>;

fn parse_rfc3339(s: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.naive_utc())
}

/// A super-user sees every field of a user; anyone else the regular ones.
fn user_reply(user: &User, full: bool) -> api::User {
    wire::user(user, full)
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/me",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    responses(
        (status = 200, description = "The caller", body = api::User),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn me(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    Ok(HttpResponse::Ok().json(user_reply(&a.current.user, a.current.user.is_super_user)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/me",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = api::UserUpdate,
    responses(
        (status = 200, description = "The caller, updated", body = api::User),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E001002: the username is taken", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E001001, E001003, E001004: the new username breaks the sign-up rules (user_validation.reject_username, signup.max_length_username, whitespace anywhere)", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn update_me(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let patch = user_patch::parse(&body.take()?, parse_rfc3339, UnknownKeys::Refuse)?;
    let user = sso
        .update_own_user(&a.ctx, &a.current, patch, TotpToggle::Refused)
        .await?;
    Ok(HttpResponse::Ok().json(user_reply(&user, a.current.user.is_super_user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePassword {
    #[serde(default)]
    old_password: Option<String>,
    new_password: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/me/password",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed; the caller's other sessions end"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: wrong old password", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password; E003010: it is the current password", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn change_my_password(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    // An expired password can still be changed here, with the old one.
    let current = sso.current_session_with(&call.ctx, &ust, ExpiryCheck::Skip).await?;
    let ctx = current.acting(&call.ctx);
    let body = body.take()?;
    sso.change_own_password(
        &ctx,
        &current,
        body.old_password.map(Password::new),
        Password::new(body.new_password),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_must_change: bool,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    middle_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    is_locked: bool,
    #[serde(default)]
    sign_up_status: Option<String>,
    #[serde(default)]
    is_totp_enabled: Option<bool>,
    #[serde(default)]
    totp_label: Option<String>,
    #[serde(default)]
    totp_key: Option<String>,
    #[serde(default)]
    auto_approve: bool,
}

impl CreateUser {
    pub fn into_new_user(self) -> Result<NewUser, ApiError> {
        let needs_confirmation = match self.sign_up_status.as_deref() {
            None | Some("final") => false,
            Some("before_confirmation") => true,
            Some(_) => return Err(ApiError::MalformedBody { missing: false }),
        };
        Ok(NewUser {
            username: self.username,
            password: self.password.map(Password::new),
            email: self.email,
            display_name: self.display_name,
            first_name: self.first_name,
            middle_name: self.middle_name,
            last_name: self.last_name,
            is_super_user: false,
            auto_approve: self.auto_approve,
            needs_confirmation,
            must_change: self.password_must_change,
            password_expiry_days: None,
            password_expired: false,
            totp_key: self.totp_key,
            totp_enabled: self.is_totp_enabled,
            totp_label: self.totp_label,
            is_locked: self.is_locked,
        })
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`")
    ),
    request_body = CreateUser,
    responses(
        (status = 201, description = "The new user", body = api::User),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E001002: the username is taken", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn create(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let user = sso.create_user(&a.admin()?, body.take()?.into_new_user()?).await?;
    Ok(HttpResponse::Created().json(user_reply(&user, true)))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    user_id: Option<String>,
    username: Option<String>,
    email: Option<String>,
    display_name: Option<String>,
    first_name: Option<String>,
    middle_name: Option<String>,
    last_name: Option<String>,
    sign_up_status: Option<String>,
    approval_status: Option<String>,
    name_op: Option<String>,
    is_name_exact: Option<bool>,
    cur_page: Option<i64>,
    page_size: Option<i64>,
}

impl From<SearchQuery> for SearchCriteria {
    fn from(q: SearchQuery) -> Self {
        SearchCriteria {
            user_id: q.user_id,
            username: q.username,
            email: q.email,
            display_name: q.display_name,
            first_name: q.first_name,
            middle_name: q.middle_name,
            last_name: q.last_name,
            sign_up_status: q.sign_up_status,
            approval_status: q.approval_status,
            name_op: q.name_op,
            is_name_exact: q.is_name_exact,
            cur_page: q.cur_page,
            page_size: q.page_size,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = Option<String>, Query, description = "Wins over every other criterion"),
        ("username" = Option<String>, Query, description = "Wins over the name criteria"),
        ("email" = Option<String>, Query, description = "Exact, case-insensitive"),
        ("display_name" = Option<String>, Query, description = "Name criterion"),
        ("first_name" = Option<String>, Query, description = "Name criterion"),
        ("middle_name" = Option<String>, Query, description = "Name criterion"),
        ("last_name" = Option<String>, Query, description = "Name criterion"),
        ("sign_up_status" = Option<String>, Query, description = "Exact"),
        ("approval_status" = Option<String>, Query, description = "Exact"),
        ("name_op" = Option<String>, Query, description = "`and` (default) or `or`"),
        ("is_name_exact" = Option<bool>, Query, description = "Equality (default) or substring"),
        ("cur_page" = Option<i64>, Query, description = "From 1"),
        ("page_size" = Option<i64>, Query, description = "Up to search.max_page_size")
    ),
    responses(
        (status = 200, description = "One page of users", body = api::SearchPage),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn search(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let page = sso.search_users(&a.admin()?, query.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(api::SearchPage {
        total: page.total,
        num_pages: page.num_pages,
        page_size: page.page_size,
        cur_page: page.cur_page,
        has_next_page: page.has_next_page,
        has_prev_page: page.has_prev_page,
        next_page: page.next_page,
        prev_page: page.prev_page,
        result: page.result.iter().map(|u| user_reply(u, true)).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 200, description = "The user", body = api::User),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn get(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let user = sso.get_user(&a.admin()?, &UserRef::Id(path.into_inner().1)).await?;
    Ok(HttpResponse::Ok().json(user_reply(&user, true)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/{user_id}",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    request_body = api::UserUpdate,
    responses(
        (status = 200, description = "The user, updated", body = api::User),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E001002: the username is taken; E002002: the new e-mail address is another user's (a super-user's change applies at once)", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E001001, E001003, E001004: the new username breaks the sign-up rules (user_validation.reject_username, signup.max_length_username, whitespace anywhere); E008002: `password_expiry` is not a date from 1900 to 9999", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn update(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let admin = a.admin()?;
    let patch = user_patch::parse(&body.take()?, parse_rfc3339, UnknownKeys::Refuse)?;
    let user = sso.update_user(&admin, &path.into_inner().1, patch).await?;
    Ok(HttpResponse::Ok().json(user_reply(&user, true)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 204, description = "Deleted, with the user's sessions and attributes"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: not a super-user; E008001: deleting oneself", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn delete(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    sso.delete_user(&a.admin()?, &path.into_inner().1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Approve, reject, lock or unlock.
pub enum StateChange {
    Approve,
    Reject,
    Lock,
    Unlock,
}

async fn change_state(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    change: StateChange,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let admin = a.admin()?;
    let who = UserRef::Id(path.into_inner().1);
    let user = match change {
        StateChange::Approve => sso.approve_user(&admin, &who).await?,
        StateChange::Reject => sso.reject_user(&admin, &who).await?,
        StateChange::Lock => sso.lock_user(&admin, &who).await?,
        StateChange::Unlock => sso.unlock_user(&admin, &who).await?,
    };
    Ok(HttpResponse::Ok().json(user_reply(&user, true)))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/approve",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 200, description = "The user", body = api::User),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn approve(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    change_state(sso, call, req, path, StateChange::Approve).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/reject",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 200, description = "The user; the user's sessions stop working", body = api::User),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn reject(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    change_state(sso, call, req, path, StateChange::Reject).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/lock",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 200, description = "The user; the user's sessions stop working", body = api::User),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn lock(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> Result<HttpResponse, ApiError> {
    change_state(sso, call, req, path, StateChange::Lock).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/unlock",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 200, description = "The user", body = api::User),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn unlock(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    change_state(sso, call, req, path, StateChange::Unlock).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetPassword {
    new_password: String,
    #[serde(default)]
    must_change: bool,
    /// Days the new password stays valid (1 to 36 500; absent: `password.expiry`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 36500)]
    password_expiry: Option<u32>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/{user_id}/password",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    request_body = SetPassword,
    responses(
        (status = 204, description = "Set; the user's sessions end"),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password; E008002: `password_expiry` is not 1 to 36 500 days", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn set_password(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<SetPassword>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let admin = a.admin()?;
    let body = body.take()?;
    sso.set_password(
        &admin,
        &UserRef::Id(path.into_inner().1),
        Password::new(body.new_password),
        body.must_change,
        body.password_expiry,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/address-list",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 200, description = "The stored allow-list", body = api::AddressList),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn address_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let list = sso.address_list(&a.admin()?, &path.into_inner().1).await?;
    Ok(HttpResponse::Ok().json(api::AddressList { addresses: list }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddressListBody {
    addresses: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/users/{user_id}/address-list",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    request_body = AddressListBody,
    responses(
        (status = 200, description = "The stored allow-list", body = api::AddressList),
        (status = 400, description = "E008002: malformed input; E008003: missing input", body = api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E008002: an entry is not '*', an IP address or a CIDR", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn put_address_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<AddressListBody>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let admin = a.admin()?;
    let user_id = path.into_inner().1;
    sso.set_address_list(&admin, &user_id, Some(body.take()?.addresses))
        .await?;
    let list = sso.address_list(&admin, &user_id).await?;
    Ok(HttpResponse::Ok().json(api::AddressList { addresses: list }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}/address-list",
    tag = "users",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("X-Current-App" = String, Header, description = "The calling application (the reference's current_app)"),
        ("Authorization" = String, Header, description = "`Bearer <ust>`"),
        ("user_id" = String, Path, description = "A user id (`zusr...`)")
    ),
    responses(
        (status = 204, description = "Removed: the tenant's setting applies again"),
        (status = 401, description = "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or E005001 when the user may no longer use the session", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E005001: the caller is not a super-user of the tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E001100: no such user in this tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "E012001: no such tenant", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "E012002: the tenant is suspended", body = api::Problem, content_type = "application/problem+json")
    ),
)]
pub async fn delete_address_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    sso.set_address_list(&a.admin()?, &path.into_inner().1, None).await?;
    Ok(HttpResponse::NoContent().finish())
}
