//! Delivering the durable outbox: a background sender delivers what is due through the
//! [`Mailer`](crate::mail::Mailer), retrying with backoff, so an SMTP outage loses nothing and never fails a
//! user's request. Permanent failures are marked for operators.

use super::oidc::backchannel;
use super::{Ctx, Sso, SsoError, SsoResult, Tenant};
use crate::store::outbox::{self, OutboxRow};
use crate::store::{TenantPk, pending_work};
use chrono::TimeDelta;
use std::time::Duration;

/// What one pass of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Every this many passes the sender visits every tenant (at the default 5 s, every five minutes).
const FULL_PASS_EVERY: u64 = 60;

/// Back-channel notices of one tenant sent at once.
const BACKCHANNEL_AT_ONCE: usize = 16;

/// Waits between attempts: 5 s, doubling, at most an hour.
fn backoff(attempts: i32) -> TimeDelta {
    let exp = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    TimeDelta::seconds((5_i64 << exp).min(3600))
}

impl Sso {
    /// Resolves the waiting password-reset requests, then delivers every message due now, once each, visiting
    /// every tenant.
    pub async fn deliver_due(&self) -> SsoResult<Delivered> {
        let tenants = self.list_tenants().await?;
        self.deliver_due_in(&tenants).await
    }

    /// Like [`Sso::deliver_due`], visiting only the tenants that have work waiting
    /// ([`pending_work`]): what the background sender does between its full passes.
    pub async fn deliver_pending(&self) -> SsoResult<Delivered> {
        let tenants: Vec<Tenant> = self
            .store
            .global(pending_work::tenants_with_work)
            .await?
            .into_iter()
            .map(Tenant::try_from)
            .collect::<SsoResult<_>>()?;
        if tenants.is_empty() {
            return Ok(Delivered::default());
        }
        self.deliver_due_in(&tenants).await
    }

    async fn deliver_due_in(&self, tenants: &[Tenant]) -> SsoResult<Delivered> {
        // Waiting password-reset requests become messages first, so this pass sends the links they make.
        self.resolve_reset_requests_of(tenants).await?;
        let mut done = Delivered::default();
        // Tenant by tenant: row-level security shows a transaction only its own tenant's messages.
        for tenant in tenants {
            self.deliver_due_of(tenant, &mut done).await?;
        }
        Ok(done)
    }

    /// Every message of every tenant, oldest first (for operators: `gatehouse mail list`).
    pub async fn all_mail(&self) -> SsoResult<Vec<OutboxRow>> {
        let mut rows = Vec::new();
        for tenant in self.list_tenants().await? {
            let pk = tenant.pk;
            rows.extend(self.store.tenant(pk, move |conn| outbox::all(conn, pk)).await?);
        }
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    async fn deliver_due_of(&self, of: &Tenant, done: &mut Delivered) -> SsoResult<()> {
        use futures_util::StreamExt;
        let (tenant, now) = (of.pk, self.clock.now());
        let due = self
            .store
            .tenant(tenant, move |conn| outbox::due(conn, tenant, now, 100))
            .await?;
        let (notices, mail): (Vec<OutboxRow>, Vec<OutboxRow>) =
            due.into_iter().partition(|row| row.kind == backchannel::KIND);
        // Back-channel notices go out side by side, so a client that is slow to answer (each waits at most
        // `oidc.request_timeout_ms`) holds up neither the others nor the mail.
        let sent: Vec<(OutboxRow, Result<(), crate::mail::SendFailure>)> = futures_util::stream::iter(notices)
            .map(|row| async move {
                let result = self
                    .send_backchannel_logout(of, &row)
                    .await
                    .map_err(|e| crate::mail::SendFailure {
                        message: e.message,
                        permanent: e.permanent,
                    });
                (row, result)
            })
            .buffer_unordered(BACKCHANNEL_AT_ONCE)
            .collect()
            .await;
        for (row, result) in sent {
            self.record(tenant, row, result, self.config.oidc.backchannel_max_attempts, done)
                .await?;
        }
        for row in mail {
            let mailer = std::sync::Arc::clone(&self.mailer);
            let from = self.config.mail.from.clone();
            let (row, result) = tokio::task::spawn_blocking(move || {
                let result = mailer.send(&from, &row);
                (row, result)
            })
            .await
            .map_err(|e| SsoError::Internal(format!("mail task: {e}")))?;
            self.record(tenant, row, result, self.config.mail.max_attempts, done)
                .await?;
        }
        Ok(())
    }

    /// Records an attempt: sent, to be retried with backoff, or given up (permanent, or out of attempts).
    async fn record(
        &self,
        tenant: TenantPk,
        row: OutboxRow,
        result: Result<(), crate::mail::SendFailure>,
        max_attempts: u32,
        done: &mut Delivered,
    ) -> SsoResult<()> {
        let now = self.clock.now();
        let max = i32::try_from(max_attempts.max(1)).unwrap_or(i32::MAX);
        match result {
            Ok(()) => {
                self.store
                    .tenant(tenant, move |conn| outbox::mark_sent(conn, row.id, now))
                    .await?;
                done.sent += 1;
            }
            Err(failure) => {
                let give_up = failure.permanent || row.attempts + 1 >= max;
                tracing::warn!(message_id = row.id, kind = %row.kind, attempts = row.attempts + 1, permanent = give_up, error = %failure.message, "message not delivered");
                let next = now + backoff(row.attempts);
                let failed = give_up.then_some(now);
                self.store
                    .tenant(tenant, move |conn| {
                        outbox::mark_attempt_failed(conn, row.id, &failure.message, next, failed)
                    })
                    .await?;
                if give_up {
                    done.failed += 1;
                } else {
                    done.retried += 1;
                }
            }
        }
        Ok(())
    }

    /// Runs the sender forever on the current runtime.
    pub fn spawn_mail_sender(&self) {
        let sso = self.clone();
        let every = Duration::from_secs(self.config.mail.poll_interval_seconds.max(1));
        actix_web::rt::spawn(async move {
            // A full pass at start and every FULL_PASS_EVERY passes finds what the counts cannot know of (rows
            // queued before they were kept); the passes between visit only the tenants with work waiting.
            for pass in 0u64.. {
                let result = if pass % FULL_PASS_EVERY == 0 {
                    sso.deliver_due().await
                } else {
                    sso.deliver_pending().await
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "mail sender pass failed; retrying");
                }
                actix_web::rt::time::sleep(every).await;
            }
        });
    }

    /// Queues a message in its own transaction (flows that change data queue inside theirs with
    /// [`outbox::enqueue`]).
    pub async fn queue_mail(
        &self,
        ctx: &Ctx,
        kind: &str,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> SsoResult<()> {
        let (pk, now) = (ctx.tenant.pk, ctx.now);
        let (kind, to, subject, text, html) = (
            kind.to_owned(),
            to.to_owned(),
            subject.to_owned(),
            text.to_owned(),
            html.to_owned(),
        );
        Ok(self
            .store
            .tenant(pk, move |conn| {
                outbox::enqueue(
                    conn,
                    &outbox::NewMessage {
                        tenant: pk,
                        kind: &kind,
                        recipient: &to,
                        subject: &subject,
                        body_text: &text,
                        body_html: &html,
                    },
                    now,
                )
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), TimeDelta::seconds(5));
        assert_eq!(backoff(1), TimeDelta::seconds(10));
        assert_eq!(backoff(5), TimeDelta::seconds(160));
        assert_eq!(backoff(50), TimeDelta::seconds(3600));
    }
}
