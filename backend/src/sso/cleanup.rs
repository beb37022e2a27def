//! Deleting what has expired: sessions (with their attributes) and attributes. Expired rows are invisible to
//! every read already; this only reclaims the space, every `cleanup.interval_seconds`.

use super::{Sso, SsoResult};
use crate::store::{attrs, sessions};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cleaned {
    pub sessions: usize,
    pub attrs: usize,
}

impl Sso {
    /// One pass over every tenant.
    pub async fn cleanup_once(&self) -> SsoResult<Cleaned> {
        let now = self.clock.now();
        Ok(self
            .store
            .global(move |conn| {
                let sessions = sessions::delete_expired(conn, now)?;
                let attrs = attrs::delete_expired(conn, now)?;
                Ok(Cleaned { sessions, attrs })
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
                match sso.cleanup_once().await {
                    Ok(c) if c.sessions + c.attrs > 0 => {
                        tracing::debug!(sessions = c.sessions, attrs = c.attrs, "deleted expired rows")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cleanup failed; retrying at the next interval"),
                }
            }
        });
    }
}
