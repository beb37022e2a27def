//! The caller behind `Authorization: Bearer <ust>`, checked for every authenticated call.

use crate::http::call::{Call, bearer};
use crate::http::error::ApiError;
use crate::sso::session::{CurrentSession, no_such_session};
use crate::sso::{Admin, Ctx, Sso};
use actix_web::HttpRequest;

/// A checked session and the context of calls made with it.
pub struct Authed {
    pub current: CurrentSession,
    pub ctx: Ctx,
}

impl Authed {
    /// The caller as an administrator of the tenant (`E005001` for a regular user), for the domain's
    /// administrative operations.
    pub fn admin(&self) -> Result<Admin, ApiError> {
        Ok(self.current.require_super_user(&self.ctx)?)
    }
}

pub async fn authed(sso: &Sso, call: &Call, req: &HttpRequest) -> Result<Authed, ApiError> {
    let ust = bearer(req).ok_or_else(no_such_session)?;
    let current = sso.current_session(&call.ctx, &ust).await?;
    let ctx = current.acting(&call.ctx);
    Ok(Authed { current, ctx })
}

/// The caller of a super-user's call, as the domain's administrator capability: a regular user gets `E005001`
/// (403), before the body is read.
pub async fn authed_super(sso: &Sso, call: &Call, req: &HttpRequest) -> Result<Admin, ApiError> {
    authed(sso, call, req).await?.admin()
}
