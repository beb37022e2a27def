//! A tenant made ready to run: created with its first administrator, who either gets a password from the
//! operator (to be changed at the first login) or an invitation by e-mail whose link chooses it. Either way
//! the tenant never exists without an administrator: if the administrator cannot be made, the tenant goes too.

use super::admin::Operator;
use super::error::{Kind, SsoError, SsoResult};
use super::mail_templates::describe_minutes;
use super::signup::{link, queue};
use super::user::{NewUser, check_username};
use super::{Sso, Tenant, password_policy};
use crate::crypto::password::Password;
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::domain::Email;
use crate::domain::User;
use crate::store::{password_resets, tenants};
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

impl FirstAdministrator {
    fn invited(&self) -> bool {
        self.password.is_none()
    }
}

impl Sso {
    /// An operator creates a tenant with its first administrator, a super-user approved at once. Everything is
    /// checked before the tenant is made (the username's rules, the password policy the new tenant starts with,
    /// an address to invite); a failure after that removes the tenant again.
    pub async fn create_tenant_with_administrator(
        &self,
        op: &Operator,
        slug: &str,
        display_name: Option<&str>,
        first: FirstAdministrator,
    ) -> SsoResult<(Tenant, User)> {
        let bad = |code| SsoError::refused(Kind::BadInput, code);
        let username = first.username.trim().to_owned();
        check_username(&username).map_err(bad)?;
        let email = first.email.as_ref().map(Email::as_str);
        match (&first.password, email) {
            (None, None) => return Err(bad(SubStatus::CommonMissingInput)),
            (Some(p), _) => {
                let policy = self.config.policy();
                let inputs: Vec<&str> = [Some(username.as_str()), email].into_iter().flatten().collect();
                password_policy::check(&policy.password, p, &inputs)
                    .map_err(|code| SsoError::refused_if(Kind::Policy, code, policy.password.inform_if_invalid))?;
            }
            (None, Some(_)) => {}
        }
        let tenant = self.create_tenant_as(op, slug, display_name).await?;
        match self
            .make_first_administrator(op, &tenant, &first, username, email)
            .await
        {
            Ok(user) => Ok((tenant, user)),
            Err(e) => {
                let pk = tenant.pk;
                if let Err(undo) = self.store.global(move |conn| tenants::delete(conn, pk)).await {
                    tracing::error!(tenant = %tenant.slug.as_str(), "a tenant whose administrator failed stays: {undo}");
                }
                self.tenants.forget();
                Err(e)
            }
        }
    }

    async fn make_first_administrator(
        &self,
        op: &Operator,
        tenant: &Tenant,
        first: &FirstAdministrator,
        username: String,
        email: Option<&str>,
    ) -> SsoResult<User> {
        let ctx = op.on(tenant.clone());
        let policy = self.policy(tenant).await?;
        let invited = first.invited();
        let new = NewUser {
            username,
            password: first.password.clone(),
            email: email.map(str::to_owned),
            is_super_user: true,
            auto_approve: true,
            // A password someone else chose is changed at the first login.
            must_change: !invited,
            ..NewUser::default()
        };
        let token = random_urlsafe(32);
        let token_hash = sha256_hex(&token);
        let invitation_link = link(self, &ctx, "password-reset/complete", &token);
        let to = email.map(str::to_owned);
        let c = ctx.clone();
        let row = self
            .create_user_with(&ctx, new, move |conn, row| {
                let Some(to) = to.filter(|_| invited) else {
                    return Ok(());
                };
                let expiration = super::clock::minutes_after(c.now, INVITATION_VALID_MINUTES);
                password_resets::insert(conn, c.tenant.pk, row.id, &token_hash, c.now, expiration)?;
                queue(
                    conn,
                    &c,
                    &policy,
                    "invitation",
                    &to,
                    &row.username,
                    Some(&invitation_link),
                    &describe_minutes(INVITATION_VALID_MINUTES),
                )?;
                super::audit::append_ctx(conn, &c, "user.invite", Some(&row.user_id), Ok(()))?;
                Ok(())
            })
            .await?;
        self.user_of(&row)
    }
}
