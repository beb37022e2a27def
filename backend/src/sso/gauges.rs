//! The gauges that need the database: live sessions per tenant and the outbox, counted tenant by tenant (each
//! in its own tenant-scoped read, as row-level security requires) every `server.metrics_refresh_seconds`, spread
//! over half of it when there are many tenants.

use super::{Sso, SsoResult, pacing};
use crate::store::{outbox, sessions};
use std::time::Duration;

impl Sso {
    /// Counts once and publishes the counts.
    pub async fn refresh_gauges(&self) -> SsoResult<()> {
        self.refresh_gauges_within(Duration::ZERO).await
    }

    /// Counts once, the tenants spread over about `spread` when there are many ([`pacing`]), and publishes.
    pub async fn refresh_gauges_within(&self, spread: Duration) -> SsoResult<()> {
        let mut by_tenant = Vec::new();
        let (mut waiting, mut failed) = (0, 0);
        let tenants = self.list_tenants().await?;
        let mut pace = pacing::Pace::new(tenants.len(), spread);
        for tenant in tenants {
            // The time of each tenant's turn: a spread pass takes seconds.
            let (pk, now) = (tenant.pk, self.clock.now());
            let (live, (w, f)) = self
                .store
                .tenant_read(pk, move |conn| {
                    Ok((sessions::count_live(conn, pk, now)?, outbox::backlog(conn, pk)?))
                })
                .await?;
            by_tenant.push((tenant.slug.to_string(), live));
            waiting += w;
            failed += f;
            pace.next().await;
        }
        self.metrics.set_sessions(&by_tenant);
        self.metrics.set_outbox(waiting, failed);
        Ok(())
    }

    /// Runs [`Sso::refresh_gauges`] now and then forever on the current runtime; failures are logged.
    pub fn spawn_gauges(&self) {
        let sso = self.clone();
        let every = Duration::from_secs(self.config.server.metrics_refresh_seconds.max(1));
        actix_web::rt::spawn(async move {
            loop {
                if let Err(e) = sso.refresh_gauges_within(pacing::spread_of(every)).await {
                    tracing::warn!(error = %e, "could not refresh the session and outbox gauges");
                }
                actix_web::rt::time::sleep(every).await;
            }
        });
    }
}
