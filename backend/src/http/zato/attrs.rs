//! Attributes on the Zato surface: `/user/attr` and `/session/attr` (POST create, PATCH update, PUT set,
//! DELETE delete, GET get), with `/exists` and `/names`. `name` (+ `value`) is one attribute, `data` a list;
//! neither is `E008002`.

use super::body::{Body, authed_by, ok, with_app};
use crate::domain::AttrOwner as Owner;
use crate::http::call::{Call, zato_time};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::attr::{Attr, AttrInput, WriteMode};
use crate::sso::login::ExpiryCheck;
use crate::sso::{Kind, Sso, SsoError};
use actix_web::{HttpResponse, web};
use gatehouse_shared::SubStatus;
use serde::Deserialize;
use serde_json::{Map, Value, json};

type Json = JsonBody<Map<String, Value>>;

/// Whose attributes: a user's (`/user/attr`) or a session's (`/session/attr`).
#[derive(Clone, Copy)]
pub enum Of {
    User,
    Session,
}

fn neither() -> ApiError {
    SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput).into()
}

async fn owner(sso: &Sso, call: &Call, body: &Body, of: Of) -> Result<(Owner, crate::sso::Ctx), ApiError> {
    match of {
        Of::User => {
            let a = authed_by(sso, call, body, "ust", ExpiryCheck::Enforce).await?;
            let owner = sso
                .user_attr_owner(&a.ctx, &a.current, body.opt("user_id")?.as_deref())
                .await?;
            Ok((owner, a.ctx))
        }
        Of::Session => {
            let a = authed_by(sso, call, body, "current_ust", ExpiryCheck::Enforce).await?;
            let target = sso.target_session(&a.ctx, &a.current, &body.req("target_ust")?).await?;
            Ok((sso.session_attr_owner(&a.ctx, &target), a.ctx))
        }
    }
}

#[derive(Deserialize)]
struct Item {
    name: String,
    #[serde(default, deserialize_with = "crate::http::api_v1::attrs::present")]
    value: Option<Value>,
    #[serde(default)]
    expiration: Option<i64>,
    #[serde(default)]
    encrypt: bool,
}

fn inputs(body: &Body) -> Result<Vec<AttrInput>, ApiError> {
    if let Some(data) = body.get::<Vec<Item>>("data")? {
        return Ok(data
            .into_iter()
            .map(|i| AttrInput {
                name: i.name,
                value: i.value,
                expiration: i.expiration,
                encrypt: i.encrypt,
            })
            .collect());
    }
    let name = body.opt("name")?.ok_or_else(neither)?;
    Ok(vec![AttrInput {
        name,
        value: body.0.get("value").cloned(),
        expiration: body.get("expiration")?,
        encrypt: body.get("encrypt")?.unwrap_or(false),
    }])
}

/// The names of a get, exists or delete: `name`, or `data` as a list of names; `true` when it was a list.
fn names(body: &Body) -> Result<(Vec<String>, bool), ApiError> {
    if let Some(data) = body.get::<Vec<String>>("data")? {
        return Ok((data, true));
    }
    Ok((vec![body.opt("name")?.ok_or_else(neither)?], false))
}

fn attr_fields(a: &Attr) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(a.name));
    m.insert("value".into(), a.value.clone());
    m.insert("creation_time".into(), json!(zato_time(a.creation_time)));
    m.insert("last_modified".into(), json!(zato_time(a.last_modified)));
    m.insert("expiration_time".into(), json!(zato_time(a.expiration_time)));
    m.insert("is_encrypted".into(), json!(a.is_encrypted));
    m
}

async fn write(sso: web::Data<Sso>, call: Call, body: Json, of: Of, mode: WriteMode) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (owner, ctx) = owner(&sso, &call, &body, of).await?;
    sso.write_attrs(&ctx, &owner, inputs(&body)?, mode).await?;
    Ok(ok(&call, Map::new()))
}

async fn get(sso: web::Data<Sso>, call: Call, body: Json, of: Of) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (owner, ctx) = owner(&sso, &call, &body, of).await?;
    let (names, many) = names(&body)?;
    let found = sso.read_attrs(&ctx, &owner, Some(names.clone())).await?;
    if many {
        let result: Map<String, Value> = names
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    found.get(n).map_or(Value::Null, |a| Value::Object(attr_fields(a))),
                )
            })
            .collect();
        let mut reply = Map::new();
        reply.insert("result".into(), Value::Object(result));
        return Ok(ok(&call, reply));
    }
    let mut reply = match found.get(&names[0]) {
        Some(a) => attr_fields(a),
        None => Map::new(),
    };
    reply.insert("found".into(), json!(!reply.is_empty()));
    Ok(ok(&call, reply))
}

async fn exists(sso: web::Data<Sso>, call: Call, body: Json, of: Of) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (owner, ctx) = owner(&sso, &call, &body, of).await?;
    let (names, many) = names(&body)?;
    let found = sso.read_attrs(&ctx, &owner, Some(names.clone())).await?;
    let result = if many {
        Value::Object(
            names
                .iter()
                .map(|n| (n.clone(), json!(found.contains_key(n))))
                .collect(),
        )
    } else {
        json!(found.contains_key(&names[0]))
    };
    let mut reply = Map::new();
    reply.insert("result".into(), result);
    Ok(ok(&call, reply))
}

async fn list_names(sso: web::Data<Sso>, call: Call, body: Json, of: Of) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (owner, ctx) = owner(&sso, &call, &body, of).await?;
    let found = sso.read_attrs(&ctx, &owner, None).await?;
    let mut reply = Map::new();
    reply.insert("result".into(), json!(found.keys().collect::<Vec<_>>()));
    Ok(ok(&call, reply))
}

async fn delete(sso: web::Data<Sso>, call: Call, body: Json, of: Of) -> Result<HttpResponse, ApiError> {
    let body = Body(body.take()?);
    let call = with_app(call, &body)?;
    let (owner, ctx) = owner(&sso, &call, &body, of).await?;
    let (names, _) = names(&body)?;
    // Missing names are ignored, as in the reference.
    sso.delete_attrs(&ctx, &owner, names).await?;
    Ok(ok(&call, Map::new()))
}

macro_rules! handlers {
    ($($name:ident => $body:expr),* $(,)?) => {
        $(pub async fn $name(sso: web::Data<Sso>, call: Call, body: Json) -> Result<HttpResponse, ApiError> {
            let f = $body;
            f(sso, call, body).await
        })*
    };
}

handlers! {
    user_create => |s, c, b| write(s, c, b, Of::User, WriteMode::Create),
    user_update => |s, c, b| write(s, c, b, Of::User, WriteMode::Update),
    user_set => |s, c, b| write(s, c, b, Of::User, WriteMode::Set),
    user_get => |s, c, b| get(s, c, b, Of::User),
    user_delete => |s, c, b| delete(s, c, b, Of::User),
    user_exists => |s, c, b| exists(s, c, b, Of::User),
    user_names => |s, c, b| list_names(s, c, b, Of::User),
    session_create => |s, c, b| write(s, c, b, Of::Session, WriteMode::Create),
    session_update => |s, c, b| write(s, c, b, Of::Session, WriteMode::Update),
    session_set => |s, c, b| write(s, c, b, Of::Session, WriteMode::Set),
    session_get => |s, c, b| get(s, c, b, Of::Session),
    session_delete => |s, c, b| delete(s, c, b, Of::Session),
    session_exists => |s, c, b| exists(s, c, b, Of::Session),
    session_names => |s, c, b| list_names(s, c, b, Of::Session),
}
