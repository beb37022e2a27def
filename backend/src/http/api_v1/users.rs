//! Users on the native API: the caller's own profile and password; a super-user's create, search, read,
//! update, delete, approve, reject, lock, unlock, password and IP allow-list of any user of the tenant.

use super::auth::{authed, authed_super};
use super::params::{Authenticated, UserId};
use super::responses::{BodyErrors, NoSuchUser, SessionErrors, SuperUserErrors};
use super::wire;
use crate::crypto::password::Password;
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
use gatehouse_shared::{SignupStatus, api};
use serde_json::{Map, Value};

type UserPath = web::Path<(String, String)>;
type UserReply = Result<web::Json<api::User>, ApiError>;

fn parse_rfc3339(s: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.naive_utc())
}

/// A create request as the domain's new user (the Zato surface reads the same keys).
pub fn new_user(c: api::CreateUser) -> NewUser {
    NewUser {
        username: c.username,
        password: c.password.map(Password::new),
        email: c.email,
        display_name: c.display_name,
        first_name: c.first_name,
        middle_name: c.middle_name,
        last_name: c.last_name,
        is_super_user: false,
        auto_approve: c.auto_approve,
        needs_confirmation: c.sign_up_status == Some(SignupStatus::BeforeConfirmation),
        must_change: c.password_must_change,
        password_expiry_days: None,
        password_expired: false,
        totp_key: c.totp_key,
        totp_enabled: c.is_totp_enabled,
        totp_label: c.totp_label,
        is_locked: c.is_locked,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/me",
    tag = "users",
    params(Authenticated),
    responses((status = 200, description = "The caller", body = api::User), SessionErrors),
)]
pub async fn me(sso: web::Data<Sso>, call: Call, req: HttpRequest) -> UserReply {
    let a = authed(&sso, &call, &req).await?;
    Ok(web::Json(wire::user(a.current.user(), a.current.user().is_super_user)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/me",
    tag = "users",
    params(Authenticated),
    request_body = api::UserUpdate,
    responses(
        (status = 200, description = "The caller, updated", body = api::User),
        (status = 409, description = "E001002: the username is taken", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E001001, E001003, E001004: the new username breaks the sign-up rules (user_validation.reject_username, signup.max_length_username, whitespace anywhere)", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors,
        SessionErrors,
    ),
)]
pub async fn update_me(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<Map<String, Value>>,
) -> UserReply {
    let a = authed(&sso, &call, &req).await?;
    let patch = user_patch::parse(&body.take()?, parse_rfc3339, UnknownKeys::Refuse)?;
    let user = sso
        .update_own_user(&a.ctx, &a.current, patch, TotpToggle::Refused)
        .await?;
    Ok(web::Json(wire::user(&user, a.current.user().is_super_user)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/me/password",
    tag = "users",
    params(Authenticated),
    request_body = api::ChangePassword,
    responses(
        (status = 204, description = "Changed; the caller's other sessions end"),
        (status = 403, description = "E005001: wrong old password", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password; E003010: it is the current password", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors,
        SessionErrors,
    ),
)]
pub async fn change_my_password(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<api::ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let ust = bearer(&req).ok_or_else(no_such_session)?;
    // An expired password can still be changed here, with the old one.
    let current = sso.current_session_with(&call.ctx, &ust, ExpiryCheck::Skip).await?;
    let ctx = current.acting(&call.ctx);
    let body = body.take()?;
    let old = body.old_password.map(Password::new);
    sso.change_own_password(&ctx, &current, old, Password::new(body.new_password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users",
    tag = "users",
    params(Authenticated),
    request_body = api::CreateUser,
    responses(
        (status = 201, description = "The new user", body = api::User),
        (status = 409, description = "E001002: the username is taken", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors,
        SuperUserErrors,
    ),
)]
pub async fn create(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    body: JsonBody<api::CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let user = sso.create_user(&admin, new_user(body.take()?)).await?;
    Ok(HttpResponse::Created().json(wire::user(&user, true)))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users",
    tag = "users",
    params(Authenticated, api::SearchQuery),
    responses(
        (status = 200, description = "One page of users", body = api::SearchPage),
        BodyErrors,
        SuperUserErrors,
    ),
)]
pub async fn search(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    query: web::Query<api::SearchQuery>,
) -> Result<web::Json<api::SearchPage>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let q = query.into_inner();
    let criteria = SearchCriteria {
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
        text: q.text,
    };
    let page = sso.search_users(&admin, criteria).await?;
    Ok(web::Json(api::SearchPage {
        total: page.total,
        num_pages: page.num_pages,
        page_size: page.page_size,
        cur_page: page.cur_page,
        has_next_page: page.has_next_page,
        has_prev_page: page.has_prev_page,
        next_page: page.next_page,
        prev_page: page.prev_page,
        result: page.result.iter().map(|u| wire::user(u, true)).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}",
    tag = "users",
    params(Authenticated, UserId),
    responses((status = 200, description = "The user", body = api::User), NoSuchUser, SuperUserErrors),
)]
pub async fn get(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> UserReply {
    let admin = authed_super(&sso, &call, &req).await?;
    let user = sso.get_user(&admin, &UserRef::Id(path.into_inner().1)).await?;
    Ok(web::Json(wire::user(&user, true)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/{user_id}",
    tag = "users",
    params(Authenticated, UserId),
    request_body = api::UserUpdate,
    responses(
        (status = 200, description = "The user, updated", body = api::User),
        (status = 409, description = "E001002: the username is taken; E002002: the new e-mail address is another user's (a super-user's change applies at once)", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "E001001, E001003, E001004: the new username breaks the sign-up rules (user_validation.reject_username, signup.max_length_username, whitespace anywhere); E008002: `password_expiry` is not a date from 1900 to 9999", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors,
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn update(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<Map<String, Value>>,
) -> UserReply {
    let admin = authed_super(&sso, &call, &req).await?;
    let patch = user_patch::parse(&body.take()?, parse_rfc3339, UnknownKeys::Refuse)?;
    let user = sso.update_user(&admin, &path.into_inner().1, patch).await?;
    Ok(web::Json(wire::user(&user, true)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}",
    tag = "users",
    params(Authenticated, UserId),
    responses(
        (status = 204, description = "Deleted, with the user's sessions and attributes"),
        (status = 403, description = "E008001: deleting oneself", body = api::Problem, content_type = "application/problem+json"),
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn delete(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    sso.delete_user(&admin, &path.into_inner().1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Approve, reject, lock or unlock.
enum StateChange {
    Approve,
    Reject,
    Lock,
    Unlock,
}

async fn change_state(sso: &Sso, call: &Call, req: &HttpRequest, path: UserPath, change: StateChange) -> UserReply {
    let admin = authed_super(sso, call, req).await?;
    let who = UserRef::Id(path.into_inner().1);
    let user = match change {
        StateChange::Approve => sso.approve_user(&admin, &who).await?,
        StateChange::Reject => sso.reject_user(&admin, &who).await?,
        StateChange::Lock => sso.lock_user(&admin, &who).await?,
        StateChange::Unlock => sso.unlock_user(&admin, &who).await?,
    };
    Ok(web::Json(wire::user(&user, true)))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/approve",
    tag = "users",
    params(Authenticated, UserId),
    responses((status = 200, description = "The user", body = api::User), NoSuchUser, SuperUserErrors),
)]
pub async fn approve(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> UserReply {
    change_state(&sso, &call, &req, path, StateChange::Approve).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/reject",
    tag = "users",
    params(Authenticated, UserId),
    responses(
        (status = 200, description = "The user; the user's sessions stop working", body = api::User),
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn reject(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> UserReply {
    change_state(&sso, &call, &req, path, StateChange::Reject).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/lock",
    tag = "users",
    params(Authenticated, UserId),
    responses(
        (status = 200, description = "The user; the user's sessions stop working", body = api::User),
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn lock(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> UserReply {
    change_state(&sso, &call, &req, path, StateChange::Lock).await
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/{user_id}/unlock",
    tag = "users",
    params(Authenticated, UserId),
    responses((status = 200, description = "The user", body = api::User), NoSuchUser, SuperUserErrors),
)]
pub async fn unlock(sso: web::Data<Sso>, call: Call, req: HttpRequest, path: UserPath) -> UserReply {
    change_state(&sso, &call, &req, path, StateChange::Unlock).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/{user_id}/password",
    tag = "users",
    params(Authenticated, UserId),
    request_body = api::SetPassword,
    responses(
        (status = 204, description = "Set; the user's sessions end"),
        (status = 422, description = "E003001, E003002, E003003, E003008, E003009: the policy refused the password; E008002: `password_expiry` is not 1 to 36 500 days", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors,
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn set_password(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<api::SetPassword>,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let body = body.take()?;
    let who = UserRef::Id(path.into_inner().1);
    let password = Password::new(body.new_password);
    sso.set_password(&admin, &who, password, body.must_change, body.password_expiry)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/address-list",
    tag = "users",
    params(Authenticated, UserId),
    responses(
        (status = 200, description = "The stored allow-list", body = api::AddressList),
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn address_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<web::Json<api::AddressList>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let addresses = sso.address_list(&admin, &path.into_inner().1).await?;
    Ok(web::Json(api::AddressList { addresses }))
}

#[utoipa::path(
    put,
    path = "/api/v1/t/{tenant}/users/{user_id}/address-list",
    tag = "users",
    params(Authenticated, UserId),
    request_body = api::AddressListBody,
    responses(
        (status = 200, description = "The stored allow-list", body = api::AddressList),
        (status = 422, description = "E008002: an entry is not '*', an IP address or a CIDR", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors,
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn put_address_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
    body: JsonBody<api::AddressListBody>,
) -> Result<web::Json<api::AddressList>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let user_id = path.into_inner().1;
    sso.set_address_list(&admin, &user_id, Some(body.take()?.addresses))
        .await?;
    let addresses = sso.address_list(&admin, &user_id).await?;
    Ok(web::Json(api::AddressList { addresses }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}/address-list",
    tag = "users",
    params(Authenticated, UserId),
    responses(
        (status = 204, description = "Removed: the tenant's setting applies again"),
        NoSuchUser,
        SuperUserErrors,
    ),
)]
pub async fn delete_address_list(
    sso: web::Data<Sso>,
    call: Call,
    req: HttpRequest,
    path: UserPath,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    sso.set_address_list(&admin, &path.into_inner().1, None).await?;
    Ok(HttpResponse::NoContent().finish())
}
