//! Tenants: slug rules, create, list, resolve, suspend and resume. `system` (the operators) and `default` are
//! made on first start; `system` can be neither suspended nor deleted.

use super::error::{Kind, SsoError, SsoResult};
use super::{Actor, Operator, Sso, audit};
use crate::store::TenantPk;
use crate::store::tenants::{self, NewTenant, TenantRow};
use chrono::TimeDelta;
use gatehouse_shared::{SubStatus, TenantSlug};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub pk: TenantPk,
    pub slug: TenantSlug,
    pub display_name: String,
    pub status: TenantStatus,
    pub settings_version: i64,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = SsoError;

    fn try_from(row: TenantRow) -> SsoResult<Tenant> {
        let slug = TenantSlug::parse(&row.slug).map_err(|e| SsoError::Internal(format!("stored tenant slug: {e}")))?;
        let status = match row.status.as_str() {
            "active" => TenantStatus::Active,
            "suspended" => TenantStatus::Suspended,
            other => {
                return Err(SsoError::Internal(format!("stored tenant status {other:?}")));
            }
        };
        Ok(Tenant {
            pk: row.id,
            slug,
            display_name: row.display_name,
            status,
            settings_version: row.settings_version,
        })
    }
}

fn no_such_tenant() -> SsoError {
    SsoError::refused(Kind::NotFound, SubStatus::TenantNoSuchTenant)
}

impl Sso {
    /// Creates a tenant. The slug must follow the rules; a taken slug is a conflict. For first start, the CLI
    /// and tests; a surface calls [`Sso::create_tenant_as`] with an operator.
    pub async fn create_tenant(
        &self,
        slug: &str,
        display_name: Option<&str>,
        actor: Actor,
        cid: &str,
    ) -> SsoResult<Tenant> {
        Ok(self
            .create_tenant_then(slug, display_name, actor, cid, |_, _| Ok(()))
            .await?
            .0)
    }

    /// Creates a tenant and, in the same transaction (with the new tenant entered, so its row-level security
    /// lets the work write its rows), does `after`: either all of it happens or none.
    pub(crate) async fn create_tenant_then<T: Send + 'static>(
        &self,
        slug: &str,
        display_name: Option<&str>,
        actor: Actor,
        cid: &str,
        after: impl FnOnce(&mut crate::store::AnyConnection, &Tenant) -> SsoResult<T> + Send + 'static,
    ) -> SsoResult<(Tenant, T)> {
        let slug =
            TenantSlug::parse(slug).map_err(|_| SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput))?;
        let display_name = display_name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(slug.as_str())
            .to_owned();
        let now = self.clock.now();
        let cid = cid.to_owned();
        let taken = || SsoError::refused(Kind::Conflict, SubStatus::CommonInvalidOperation);
        let tenant = self
            .store
            .global_with(move |conn| {
                if tenants::by_slug(conn, slug.as_str())?.is_some() {
                    return Err(taken());
                }
                let row = tenants::insert(
                    conn,
                    &NewTenant {
                        slug: slug.as_str(),
                        display_name: &display_name,
                        status: TenantStatus::Active.as_str(),
                        settings_version: 0,
                        creation_time: now,
                    },
                )?;
                crate::store::enter_tenant(conn, row.id)?;
                audit::append(conn, row.id, &cid, now, &actor, "tenant.create", None, Ok(()))?;
                let tenant: Tenant = row.try_into()?;
                let done = after(conn, &tenant)?;
                Ok((tenant, done))
            })
            .await
            .map_err(|e| match e {
                SsoError::Store(e) if e.is_unique_violation() => taken(),
                e => e,
            })?;
        // A slug looked up before it existed was never cached; forgetting keeps the rule simple all the same.
        self.tenants.forget();
        Ok(tenant)
    }

    pub async fn list_tenants(&self) -> SsoResult<Vec<Tenant>> {
        let rows = self.store.global(tenants::list).await?;
        rows.into_iter().map(Tenant::try_from).collect()
    }

    /// Finds a tenant by slug; an unknown or malformed slug is `E012001`.
    pub async fn resolve_tenant(&self, slug: &str) -> SsoResult<Tenant> {
        let now = self.clock.now();
        let ttl = TimeDelta::milliseconds(i64::try_from(self.config.server.tenant_cache_ms).unwrap_or(i64::MAX));
        if let Some(tenant) = self.tenants.get(slug, now, ttl) {
            return Ok(tenant);
        }
        let slug = TenantSlug::parse(slug).map_err(|_| no_such_tenant())?;
        let since = self.tenants.generation();
        let row = self
            .store
            .global(move |conn| tenants::by_slug(conn, slug.as_str()))
            .await?;
        let tenant: Tenant = row.ok_or_else(no_such_tenant)?.try_into()?;
        self.tenants.put(&tenant, now, since);
        Ok(tenant)
    }

    /// Like [`Sso::resolve_tenant`], but a suspended tenant is `E012002`.
    pub async fn active_tenant(&self, slug: &str) -> SsoResult<Tenant> {
        let tenant = self.resolve_tenant(slug).await?;
        if tenant.status == TenantStatus::Suspended {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::TenantSuspended));
        }
        Ok(tenant)
    }

    /// An operator creates a tenant.
    pub async fn create_tenant_as(&self, op: &Operator, slug: &str, display_name: Option<&str>) -> SsoResult<Tenant> {
        let ctx = op.ctx();
        self.create_tenant(slug, display_name, ctx.actor.clone(), &ctx.cid)
            .await
    }

    /// An operator suspends or resumes a tenant. `system` cannot be suspended.
    pub async fn set_tenant_status(&self, op: &Operator, tenant: Tenant, status: TenantStatus) -> SsoResult<Tenant> {
        let ctx = &op.on(tenant);
        if ctx.tenant.slug.is_system() && status == TenantStatus::Suspended {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation));
        }
        let tenant = ctx.tenant.clone();
        let ctx = ctx.clone();
        let op = match status {
            TenantStatus::Active => "tenant.resume",
            TenantStatus::Suspended => "tenant.suspend",
        };
        let row = self
            .store
            .tenant(tenant.pk, move |conn| {
                tenants::set_status(conn, tenant.pk, status.as_str())?;
                audit::append(conn, tenant.pk, &ctx.cid, ctx.now, &ctx.actor, op, None, Ok(()))?;
                tenants::get_by_slug(conn, tenant.slug.as_str())
            })
            .await?;
        self.tenants.forget();
        row.try_into()
    }
}

impl Sso {
    /// Changes a tenant's display name and/or status (an operator's call, audited in that tenant's log).
    pub async fn update_tenant(
        &self,
        op: &Operator,
        tenant: Tenant,
        display_name: Option<String>,
        status: Option<TenantStatus>,
    ) -> SsoResult<Tenant> {
        let ctx = &op.on(tenant);
        if let Some(name) = &display_name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput));
            }
            let (pk, name, c) = (ctx.tenant.pk, name.to_owned(), ctx.clone());
            self.store
                .tenant(pk, move |conn| {
                    tenants::set_display_name(conn, pk, &name)?;
                    audit::append_ctx(conn, &c, "tenant.update", None, Ok(()))
                })
                .await?;
            self.tenants.forget();
        }
        if let Some(status) = status {
            self.set_tenant_status(op, ctx.tenant.clone(), status).await?;
        }
        self.resolve_tenant(ctx.tenant.slug.as_str()).await
    }

    /// Deletes a tenant and everything it owns. `confirm` must repeat the slug; `system` cannot go.
    pub async fn delete_tenant(&self, _op: &Operator, slug: &str, confirm: Option<&str>) -> SsoResult<()> {
        let tenant = self.resolve_tenant(slug).await?;
        if tenant.slug.is_system() {
            return Err(SsoError::refused(Kind::Forbidden, SubStatus::CommonInvalidOperation));
        }
        match confirm {
            None => return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonMissingInput)),
            Some(c) if c != tenant.slug.as_str() => {
                return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput));
            }
            Some(_) => {}
        }
        let pk = tenant.pk;
        self.store.global(move |conn| tenants::delete(conn, pk)).await?;
        self.tenants.forget();
        if let Ok(mut cache) = self.policies.lock() {
            cache.remove(&pk);
        }
        Ok(())
    }
}
