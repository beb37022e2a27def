//! Users on the Zato surface: `/user` (GET, POST, PATCH, DELETE), `/user/password`, `/user/approve`,
//! `/user/reject`, `/user/lock`, `/user/totp` and `/user/search`.

use super::body::{Body, authed_by, ok, parse_zato_time, with_app};
use super::user_view::{FieldSet, user_fields};
use crate::crypto::password::Password;
use crate::http::api_v1::users::new_user;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::user_patch::{self, UnknownKeys};
use crate::sso::login::ExpiryCheck;
use crate::sso::search::SearchCriteria;
use crate::sso::totp_enrolment::FactorProof;
use crate::sso::user_admin::TotpToggle;
use crate::sso::{Sso, UserRef};
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

type Json = JsonBody<Map<String, Value>>;

/// What `POST /zato/sso/user` copies from its request (reference §9); other keys are ignored.
const CREATE_FIELDS: &[&str] = &[
    "username",
    "password",
    "password_must_change",
    "display_name",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "is_locked",
    "sign_up_status",
    "is_totp_enabled",
    "totp_label",
    "totp_key",
    "auto_approve",
];

/// `GET /zato/sso/user`: the caller, or (for a super-user) the user of `user_id`.
pub async fn get(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let user = match body.opt("user_id")? {
        Some(id) if id != a.current.user().user_id => sso.get_user(&a.admin()?, &UserRef::Id(id)).await?,
        _ => a.current.user().clone(),
    };
    let fields = FieldSet::for_caller(a.current.user().is_super_user);
    Ok(ok(&call, user_fields(&user, fields)))
}

/// `POST /zato/sso/user`: a super-user creates a regular user.
pub async fn create(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let admin = a.admin()?;
    // Zato's service copies the keys it knows and ignores the rest (rate limits included).
    let mut fields = body.0;
    fields.retain(|k, _| CREATE_FIELDS.contains(&k.as_str()));
    let create: gatehouse_shared::api::CreateUser =
        serde_json::from_value(Value::Object(fields)).map_err(|e| ApiError::MalformedBody {
            missing: e.to_string().starts_with("missing field"),
        })?;
    let mut new = new_user(create);
    // Zato's create_user makes a key when none is given (reference §7.2): 2FA asked for without one gets one.
    if new.totp_enabled == Some(true) && new.totp_key.is_none() {
        new.totp_key = Some(crate::sso::totp::new_key());
    }
    let user = sso.create_user(&admin, new).await?;
    Ok(ok(&call, user_fields(&user, FieldSet::Full)))
}

/// `PATCH /zato/sso/user`: the caller's own fields, or (for a super-user) anyone's by `user_id`.
pub async fn update(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let target = body.opt("user_id")?;
    let policy = sso.policy(&a.ctx.tenant).await?;
    let toggle = if policy.zato_compat.allow_totp_toggle {
        TotpToggle::Allowed
    } else {
        TotpToggle::Refused
    };
    // Zato's service copies only the attributes it knows: anything else (`totp_key` included) is ignored.
    let data = body.without(&["ust", "current_app", "user_id"]);
    let patch = user_patch::parse(&data, parse_zato_time, UnknownKeys::Ignore)?;
    sso.update_user_by(&a.ctx, &a.current, target.as_deref(), patch, toggle)
        .await?;
    Ok(ok(&call, Map::new()))
}

/// `DELETE /zato/sso/user`.
pub async fn delete(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let user_id = body.req("user_id")?;
    sso.delete_user(&a.admin()?, &user_id).await?;
    Ok(ok(&call, Map::new()))
}

/// `PATCH /zato/sso/user/password`: one's own (with `old_password`, also when expired) or, for a super-user,
/// another's (`user_id`, `must_change`, `password_expiry` in days, below 0 for the default).
pub async fn password(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Skip).await?;
    let new_password = Password::new(body.req("new_password")?);
    match body.opt("user_id")? {
        Some(id) if id != a.current.user().user_id => {
            let must_change = body.get::<bool>("must_change")?.unwrap_or(false);
            // 0 or below means the default (Zato: `password_expiry or password.expiry`, reference §9); one too large for a day count is refused as out of range.
            let days = body
                .get::<i64>("password_expiry")?
                .filter(|d| *d > 0)
                .map(|d| u32::try_from(d).unwrap_or(u32::MAX));
            sso.set_password(&a.admin()?, &UserRef::Id(id), new_password, must_change, days)
                .await?;
        }
        _ => {
            // The password-expiry exemption is for this call only: everything else about the session holds.
            let old = body.opt("old_password")?.map(Password::new);
            sso.change_own_password(&a.ctx, &a.current, old, new_password).await?;
        }
    }
    Ok(ok(&call, Map::new()))
}

async fn state(sso: web::Data<Sso>, call: Call, body: Json, verb: &str) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let admin = a.admin()?;
    let who = UserRef::Id(body.req("user_id")?);
    match verb {
        "approve" => sso.approve_user(&admin, &who).await?,
        "reject" => sso.reject_user(&admin, &who).await?,
        "lock" => sso.lock_user(&admin, &who).await?,
        _ => sso.unlock_user(&admin, &who).await?,
    };
    Ok(ok(&call, Map::new()))
}

pub async fn approve(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    state(sso, call, body, "approve").await
}

pub async fn reject(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    state(sso, call, body, "reject").await
}

pub async fn lock(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    state(sso, call, body, "lock").await
}

pub async fn unlock(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    state(sso, call, body, "unlock").await
}

/// `PATCH /zato/sso/user/totp`: sets a TOTP key (80 bits or more) and label; returns the key. Re-keying the
/// caller's own active factor needs `password` and `totp_code` unless `zato_compat.allow_totp_toggle`.
pub async fn totp(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let key = body.req("totp_key")?;
    let label = body.opt("totp_label")?;
    let user_id = body.opt("user_id")?;
    // Gatehouse's addition: re-keying one's own active factor proves it (unless the tenant keeps Zato's way).
    let proof = FactorProof {
        password: body.opt("password")?.map(Password::new),
        code: body.opt("totp_code")?,
        passkey: None,
    };
    sso.set_totp_key(&a.ctx, &a.current, user_id.as_deref(), &key, label.as_deref(), &proof)
        .await?;
    let mut reply = Map::new();
    reply.insert("totp_key".into(), json!(key));
    Ok(ok(&call, reply))
}

/// `GET /zato/sso/user/search`.
pub async fn search(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let a = authed_by(&sso, &call, &body, "ust", ExpiryCheck::Enforce).await?;
    let criteria = SearchCriteria {
        user_id: body.opt("user_id")?,
        username: body.opt("username")?,
        email: body.opt("email")?,
        display_name: body.opt("display_name")?,
        first_name: body.opt("first_name")?,
        middle_name: body.opt("middle_name")?,
        last_name: body.opt("last_name")?,
        sign_up_status: body.opt("sign_up_status")?,
        approval_status: body.opt("approval_status")?,
        name_op: body.opt("name_op")?,
        is_name_exact: body.get("is_name_exact")?,
        cur_page: body.get("cur_page")?,
        page_size: body.get("page_size")?,
        // Zato has no such criterion.
        text: None,
    };
    let page = sso.search_users(&a.admin()?, criteria).await?;
    let mut reply = Map::new();
    reply.insert("total".into(), json!(page.total));
    reply.insert("num_pages".into(), json!(page.num_pages));
    reply.insert("page_size".into(), json!(page.page_size));
    reply.insert("cur_page".into(), json!(page.cur_page));
    reply.insert("has_next_page".into(), json!(page.has_next_page));
    reply.insert("has_prev_page".into(), json!(page.has_prev_page));
    reply.insert("next_page".into(), json!(page.next_page));
    reply.insert("prev_page".into(), json!(page.prev_page));
    let result: Vec<Value> = page
        .result
        .iter()
        .map(|u| Value::Object(user_fields(u, FieldSet::Full)))
        .collect();
    reply.insert("result".into(), Value::Array(result));
    Ok(ok(&call, reply))
}
