//! First start: on a store without the `system` tenant, create the tenants `system` and `default` with a
//! super-user `admin` in each. The password comes from `GATEHOUSE_BOOTSTRAP_PASSWORD` when set; otherwise each
//! admin gets a generated one, printed once, that must be changed at the first login.

use super::error::{Kind, SsoError, SsoResult};
use super::password_policy;
use super::{Actor, Ctx, NewUser, Sso};
use crate::crypto::password::Password;
use crate::crypto::random_urlsafe;
use gatehouse_shared::TenantSlug;

/// What first start did, for the caller to print.
#[derive(Default)]
pub struct BootstrapReport {
    /// `(tenant, generated password)` for each admin whose password was generated.
    pub generated: Vec<(String, Password)>,
    pub tenants: Vec<String>,
}

impl std::fmt::Debug for BootstrapReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapReport")
            .field("tenants", &self.tenants)
            .finish_non_exhaustive()
    }
}

impl BootstrapReport {
    /// The lines printed on standard output, once; `public_url` is where to open the web UI.
    pub fn announcement_at(&self, public_url: &str) -> String {
        let base = public_url.trim_end_matches('/');
        let mut text = self.announcement();
        text.push_str(&format!(
            "  open {base}/t/default/login to sign in (the administration pages are at {base}/t/default/admin; \
             operators: {base}/t/system/admin/tenants)\n"
        ));
        text
    }

    /// The lines printed on standard output, once.
    pub fn announcement(&self) -> String {
        let mut text = format!(
            "First start: created the tenants {} with a super-user `admin` in each.\n",
            self.tenants
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        );
        for (tenant, password) in &self.generated {
            text.push_str(&format!(
                "  admin password for tenant `{tenant}`: {}  (shown once; it must be changed at the first login)\n",
                password.expose()
            ));
        }
        text
    }
}

impl Sso {
    /// Runs first start if the `system` tenant is missing or has no users; `None` when there was nothing to
    /// do. A tenant that already has users gets no new admin, so an interrupted first start completes on the
    /// next one without duplicating anything.
    pub async fn bootstrap(&self, bootstrap_password: Option<Password>) -> SsoResult<Option<BootstrapReport>> {
        if let Ok(system) = self.resolve_tenant(TenantSlug::SYSTEM).await
            && self.count_users(&system).await? > 0
        {
            return Ok(None);
        }
        if let Some(p) = &bootstrap_password {
            // Checked before anything is written.
            password_policy::check(&self.config.policy().password, p, &["admin"])
                .map_err(|code| SsoError::refused(Kind::Policy, code))?;
        }
        let mut report = BootstrapReport::default();
        for (slug, name) in [
            (TenantSlug::SYSTEM, "System (operators)"),
            (TenantSlug::DEFAULT, "Default"),
        ] {
            let tenant = match self.resolve_tenant(slug).await {
                Ok(t) => t,
                Err(_) => self.create_tenant(slug, Some(name), Actor::Auto, "bootstrap").await?,
            };
            report.tenants.push(slug.to_owned());
            if self.count_users(&tenant).await? > 0 {
                continue;
            }
            let ctx = Ctx {
                cid: "bootstrap".to_owned(),
                tenant,
                current_app: "gatehouse".to_owned(),
                remote_addr: None,
                user_agent: None,
                now: self.clock.now(),
                actor: Actor::Auto,
                app_key: None,
                web_ui: false,
            };
            let (password, generated) = match &bootstrap_password {
                Some(p) => (p.clone(), false),
                None => (Password::new(random_urlsafe(24)), true),
            };
            self.create_user_with(
                &ctx,
                NewUser {
                    username: "admin".to_owned(),
                    password: Some(password.clone()),
                    is_super_user: true,
                    auto_approve: true,
                    must_change: generated,
                    ..NewUser::default()
                },
                |_, _| Ok(()),
            )
            .await?;
            if generated {
                report.generated.push((slug.to_owned(), password));
            }
        }
        Ok(Some(report))
    }

    async fn count_users(&self, tenant: &super::Tenant) -> SsoResult<i64> {
        let pk = tenant.pk;
        Ok(self
            .store
            .tenant(pk, move |conn| crate::store::users::count(conn, pk))
            .await?)
    }
}
