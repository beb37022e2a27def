//! Deleting what has expired: sessions (with their attributes) and attributes. Expired rows are invisible to
//! every read already; this only reclaims the space, every `cleanup.interval_seconds`.

use super::{Sso, SsoResult, pacing};
use crate::store::{attrs, email_tokens, login_continuations, oidc, oidc_grants, password_resets, request_counters};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cleaned {
    pub sessions: usize,
    pub attrs: usize,
    /// Expired sign-up, e-mail change and reset tokens and login continuations, and request counters older
    /// than a day.
    pub tokens: usize,
}

impl Sso {
    /// One pass over every tenant, each in its own tenant-scoped transaction (row-level security shows a
    /// unit of work only its tenant's rows).
    pub async fn cleanup_once(&self) -> SsoResult<Cleaned> {
        self.cleanup_within(Duration::ZERO).await
    }

    /// Like [`Sso::cleanup_once`], the tenants spread over about `spread` when there are many ([`pacing`]).
    pub async fn cleanup_within(&self, spread: Duration) -> SsoResult<Cleaned> {
        let mut total = Cleaned::default();
        let tenants = self.list_tenants().await?;
        let mut pace = pacing::Pace::new(tenants.len(), spread);
        for tenant in tenants {
            // The time of each tenant's turn: a spread pass takes minutes.
            let c = self.cleanup_tenant(tenant.pk, self.clock.now()).await?;
            total.sessions += c.sessions;
            total.attrs += c.attrs;
            total.tokens += c.tokens;
            pace.next().await;
        }
        Ok(total)
    }

    async fn cleanup_tenant(&self, tenant: crate::store::TenantPk, now: chrono::NaiveDateTime) -> SsoResult<Cleaned> {
        Ok(self
            .store
            .tenant(tenant, move |conn| {
                let sessions = super::session_end::end_expired(conn, tenant, now)?;
                oidc::delete_unpublished_keys(conn, tenant, now)?;
                // A used refresh token is kept a week, so a replay within it ends its family.
                oidc_grants::delete_used_refresh_before(conn, tenant, now - chrono::TimeDelta::days(7))?;
                let attrs = attrs::delete_expired(conn, tenant, now)?;
                let tokens = email_tokens::delete_expired(conn, tenant, now)?
                    + password_resets::delete_expired(conn, tenant, now)?
                    + login_continuations::delete_expired(conn, tenant, now)?
                    + crate::store::passkeys::delete_expired_ceremonies(conn, tenant, now)?
                    + request_counters::delete_before(conn, tenant, now - chrono::TimeDelta::days(1))?;
                Ok(Cleaned {
                    sessions,
                    attrs,
                    tokens,
                })
            })
            .await?)
    }

    /// Runs [`Sso::cleanup_once`] forever on the current runtime; failures are logged and retried next time.
    pub fn spawn_cleanup(&self) {
        let sso = self.clone();
        let every = Duration::from_secs(self.config.cleanup.interval_seconds.max(1));
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(every).await;
                match sso.cleanup_within(pacing::spread_of(every)).await {
                    Ok(c) if c.sessions + c.attrs + c.tokens > 0 => {
                        tracing::debug!(
                            sessions = c.sessions,
                            attrs = c.attrs,
                            tokens = c.tokens,
                            "deleted expired rows"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cleanup failed; retrying at the next interval"),
                }
            }
        });
    }
}
