//! A tenant made ready to run: created with its first administrator, who either gets a password from the
//! operator (to be changed at the first login) or an invitation by e-mail whose link chooses it. The tenant, its
//! administrator, the invitation and their audit entries are written in one transaction: the tenant never exists
//! without its administrator.

use super::admin::Operator;
use super::error::{Kind, SsoError, SsoResult};
use super::mail_templates::describe_minutes;
use super::signup::{link_at, queue};
use super::user::{NewUser, insert_new_user};
use super::{Ctx, Sso, Tenant, audit};
use crate::crypto::password::Password;
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::domain::{Email, User};
use crate::store::password_resets;
use gatehouse_shared::SubStatus;

/// How long an invitation's link stays valid: a week, as people read mail on their own schedule.
pub const INVITATION_VALID_MINUTES: u32 = 7 * 24 * 60;

/// The first administrator of a new tenant.
#[derive(Debug, Clone)]
pub struct FirstAdministrator {
    pub username: String,
    pub email: Option<Email>,
    /// `None`: an invitation is sent to `email`, whose link sets the password.
    pub password: Option<Password>,
}

impl Sso {
    /// An operator creates a tenant with its first administrator, a super-user approved at once. The username's
    /// rules and the password policy the new tenant starts with are checked, and the password hashed, before
    /// anything is written; then the tenant, the administrator and the invitation are written together.
    pub async fn create_tenant_with_administrator(
        &self,
        op: &Operator,
        slug: &str,
        display_name: Option<&str>,
        first: FirstAdministrator,
    ) -> SsoResult<(Tenant, User)> {
        let invited = first.password.is_none();
        if invited && first.email.is_none() {
            return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput));
        }
        let email = first.email.map(|e| e.as_str().to_owned());
        let new = NewUser {
            username: first.username.trim().to_owned(),
            password: first.password,
            email: email.clone(),
            is_super_user: true,
            auto_approve: true,
            // A password someone else chose is changed at the first login.
            must_change: !invited,
            ..NewUser::default()
        };
        // The new tenant starts with the instance's defaults. Its row is checked and hashed under the operator's
        // context (the tenant does not exist yet), and takes the tenant's key in the transaction.
        let policy = self.config.policy();
        let mut row = self.new_user_row(op.ctx(), &policy, new).await?;
        let token = random_urlsafe(32);
        let token_hash = sha256_hex(&token);
        let public_url = self.config.server.public_url.clone();
        let operator = op.ctx().clone();
        let (actor, cid) = (operator.actor.clone(), operator.cid.clone());
        let (tenant, created) = self
            .create_tenant_then(slug, display_name, actor, &cid, move |conn, tenant| {
                let ctx = Ctx {
                    tenant: tenant.clone(),
                    ..operator
                };
                row.tenant_id = tenant.pk;
                let created = insert_new_user(conn, &ctx, "user.create_super_user", &row, |_, _| Ok(()))?;
                if let (true, Some(to)) = (invited, email) {
                    let expiration = super::clock::minutes_after(ctx.now, INVITATION_VALID_MINUTES);
                    password_resets::insert(conn, tenant.pk, created.id, &token_hash, ctx.now, expiration)?;
                    let invitation = link_at(&public_url, tenant.slug.as_str(), "password-reset/complete", &token);
                    queue(
                        conn,
                        &ctx,
                        &policy,
                        "invitation",
                        &to,
                        &created.username,
                        Some(&invitation),
                        &describe_minutes(INVITATION_VALID_MINUTES),
                    )?;
                    audit::append_ctx(conn, &ctx, "user.invite", Some(&created.user_id), Ok(()))?;
                }
                Ok(created)
            })
            .await?;
        Ok((tenant, self.user_of(&created)?))
    }
}
