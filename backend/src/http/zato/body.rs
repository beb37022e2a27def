//! Reading Zato request bodies (the parameters of every verb, GET and DELETE included, are in the JSON body)
//! and writing Zato replies: `{"status": "ok", "cid": ..., ...}` with empty fields left out.

use crate::http::api_v1::auth::Authed;
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::sso::Sso;
use crate::sso::login::ExpiryCheck;
use actix_web::HttpResponse;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A parsed body: a JSON object.
pub struct Body(pub Map<String, Value>);

fn missing() -> ApiError {
    ApiError::MalformedBody { missing: true }
}

fn malformed() -> ApiError {
    ApiError::MalformedBody { missing: false }
}

impl Body {
    /// A required string field.
    pub fn req(&self, key: &str) -> Result<String, ApiError> {
        match self.0.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Null) | None => Err(missing()),
            Some(_) => Err(malformed()),
        }
    }

    /// An optional string field.
    pub fn opt(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(key) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Null) | None => Ok(None),
            Some(_) => Err(malformed()),
        }
    }

    /// An optional field of any type.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| malformed()),
        }
    }

    /// Takes the body apart: the envelope fields removed, the rest returned.
    pub fn without(mut self, keys: &[&str]) -> Map<String, Value> {
        for k in keys {
            self.0.remove(*k);
        }
        self.0
    }
}

/// Sets the call's app from the body's required `current_app`.
pub fn with_app(mut call: Call, body: &Body) -> Result<Call, ApiError> {
    call.ctx.current_app = body.req("current_app")?;
    Ok(call)
}

/// The session of `key` (`ust` or `current_ust`) in the body.
pub async fn authed_by(
    sso: &Sso,
    call: &Call,
    body: &Body,
    key: &str,
    expiry: ExpiryCheck,
) -> Result<Authed, ApiError> {
    let ust = body.req(key)?;
    let current = sso.current_session_with(&call.ctx, &ust, expiry).await?;
    let ctx = current.acting(&call.ctx);
    Ok(Authed { current, ctx })
}

/// `{"status": "ok", "cid": ...}` plus `fields`, leaving out nulls and empty strings.
pub fn ok(call: &Call, fields: Map<String, Value>) -> HttpResponse {
    let mut reply: Map<String, Value> = fields
        .into_iter()
        .filter(|(_, v)| !(v.is_null() || v.as_str() == Some("")))
        .collect();
    reply.insert("status".into(), Value::from("ok"));
    reply.insert("cid".into(), Value::from(call.meta.cid.clone()));
    HttpResponse::Ok().json(reply)
}

/// Parses Zato's naive ISO datetimes.
pub fn parse_zato_time(s: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
}
