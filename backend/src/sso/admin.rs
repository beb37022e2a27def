//! The administrator capability. Every administrative operation of the services takes an [`Admin`], and only two
//! things can make one: the session check, for a super-user of the session's tenant who meets the tenant's
//! second-factor rule ([`CurrentSession::require_super_user`]), and the trusted local CLI ([`Sso::cli_admin`]).
//! No surface can forget the check: without it, it has nothing to call the operation with.

use super::account_state::second_factor_required;
use super::error::{Kind, SsoError, SsoResult};
use super::session::CurrentSession;
use super::{Ctx, Sso, Tenant};
use gatehouse_shared::SubStatus;
use gatehouse_shared::TenantSlug;

/// Proof that the caller administers the context's tenant, with the context its calls act in.
#[derive(Debug, Clone)]
pub struct Admin {
    ctx: Ctx,
    /// The administrator's session; `None` for the CLI.
    session: Option<Box<CurrentSession>>,
}

/// A regular user asking for a super-user's operation (`E005001`, 403).
pub fn super_user_required() -> SsoError {
    SsoError::refused(Kind::Forbidden, SubStatus::AuthNotAllowed)
}

impl Admin {
    /// The context of the administrator's calls (acting as them).
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The administrator's own session, unless the caller is the CLI.
    pub fn session(&self) -> Option<&CurrentSession> {
        self.session.as_deref()
    }

    /// Whether `user_id` is the administrator's own account (never for the CLI).
    pub fn is_self(&self, user_id: &str) -> bool {
        self.session.as_ref().is_some_and(|s| s.user.user_id == user_id)
    }

    /// The same administrator with the tenant as read again (after a change of its settings): never another
    /// tenant.
    pub fn refreshed(&self, tenant: Tenant) -> SsoResult<Admin> {
        if tenant.pk != self.ctx.tenant.pk {
            return Err(super_user_required());
        }
        Ok(Admin {
            ctx: Ctx {
                tenant,
                ..self.ctx.clone()
            },
            session: self.session.clone(),
        })
    }

    /// Refuses an operation on the administrator's own account (`E008001`): what needs proof of the
    /// account's factors (its password, its 2FA) goes through the self-service calls instead.
    pub fn not_on_self(&self, user_id: &str) -> SsoResult<()> {
        if self.is_self(user_id) {
            Err(SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation))
        } else {
            Ok(())
        }
    }
}

impl CurrentSession {
    /// This session's user as an administrator of its tenant: `E005001` for a regular user, `E005009` for a
    /// super-user without the 2FA the tenant requires (whose web session is confined to enrolment). The context
    /// must be the session's own tenant's: a super-user of one tenant administers no other.
    pub fn require_super_user(&self, ctx: &Ctx) -> SsoResult<Admin> {
        // A session granted to an application by OpenID Connect acts for the user, never as their administrator:
        // the application asked for `openid` and the like, not for the tenant.
        if !self.user.is_super_user || ctx.tenant.pk != self.session.tenant_pk || self.session.scope.is_some() {
            return Err(super_user_required());
        }
        if let Some(code) = self.second_factor_missing {
            return Err(second_factor_required(code));
        }
        Ok(Admin {
            ctx: self.acting(ctx),
            session: Some(Box::new(self.clone())),
        })
    }
}

impl Sso {
    /// The trusted local caller (the CLI, run by whoever runs the server) administering `tenant`.
    pub fn cli_admin(&self, tenant: Tenant) -> Admin {
        Admin {
            ctx: self.cli_ctx(tenant),
            session: None,
        }
    }
}

/// Proof that the caller operates the instance (creates, suspends, resumes and deletes tenants): an
/// administrator of the `system` tenant, or the CLI. Made only by [`Admin::operator`] and [`Sso::cli_operator`].
#[derive(Debug)]
pub struct Operator {
    admin: Admin,
}

impl Admin {
    /// This administrator as an operator: only one of the `system` tenant (`E005001` otherwise).
    pub fn operator(&self) -> SsoResult<Operator> {
        if self.ctx.tenant.slug.is_system() {
            Ok(Operator { admin: self.clone() })
        } else {
            Err(super_user_required())
        }
    }
}

impl Operator {
    /// The operator's context, in the `system` tenant.
    pub fn ctx(&self) -> &Ctx {
        self.admin.ctx()
    }

    /// The operator acting on `tenant`: what they do there is audited in that tenant's log.
    pub(super) fn on(&self, tenant: Tenant) -> Ctx {
        Ctx {
            tenant,
            ..self.admin.ctx.clone()
        }
    }
}

impl Sso {
    /// The trusted local caller (the CLI) operating the instance.
    pub async fn cli_operator(&self) -> SsoResult<Operator> {
        let system = self.resolve_tenant(TenantSlug::SYSTEM).await?;
        self.cli_admin(system).operator()
    }
}
