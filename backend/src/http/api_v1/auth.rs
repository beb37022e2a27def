//! The caller behind `Authorization: Bearer <ust>`, checked for every authenticated call.

use crate::http::call::{Call, bearer};
use crate::http::error::ApiError;
use crate::sso::session::{CurrentSession, no_such_session};
use crate::sso::{Ctx, Sso};
use actix_web::HttpRequest;

/// A checked session and the context of calls made with it.
pub struct Authed {
    pub current: CurrentSession,
    pub ctx: Ctx,
}

pub async fn authed(sso: &Sso, call: &Call, req: &HttpRequest) -> Result<Authed, ApiError> {
    let ust = bearer(req).ok_or_else(no_such_session)?;
    let current = sso.current_session(&call.ctx, &ust).await?;
    let ctx = current.acting(&call.ctx);
    Ok(Authed { current, ctx })
}

/// The same, for a super-user's call: a regular user gets `E005001` (403).
pub async fn authed_super(sso: &Sso, call: &Call, req: &HttpRequest) -> Result<Authed, ApiError> {
    let authed = authed(sso, call, req).await?;
    if authed.current.user.is_super_user {
        Ok(authed)
    } else {
        Err(crate::sso::session::super_user_required().into())
    }
}
