//! The `outbox` table: messages waiting to be delivered, with their attempts.

use super::schema::outbox;
use super::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub tenant_id: TenantPk,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub creation_time: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_time: NaiveDateTime,
    pub last_error: Option<String>,
    pub sent_time: Option<NaiveDateTime>,
    pub failed_time: Option<NaiveDateTime>,
}

impl std::fmt::Debug for OutboxRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies may hold a one-time link token.
        f.debug_struct("OutboxRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("attempts", &self.attempts)
            .field("sent_time", &self.sent_time)
            .field("failed_time", &self.failed_time)
            .finish_non_exhaustive()
    }
}

/// A message to queue.
pub struct NewMessage<'a> {
    pub tenant: TenantPk,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

pub fn enqueue(conn: &mut AnyConnection, m: &NewMessage<'_>, now: NaiveDateTime) -> StoreResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::tenant_id.eq(m.tenant),
            outbox::kind.eq(m.kind),
            outbox::recipient.eq(m.recipient),
            outbox::subject.eq(m.subject),
            outbox::body_text.eq(m.body_text),
            outbox::body_html.eq(m.body_html),
            outbox::creation_time.eq(now),
            outbox::attempts.eq(0),
            outbox::next_attempt_time.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Messages due for an attempt, oldest first.
pub fn due(conn: &mut AnyConnection, tenant: TenantPk, now: NaiveDateTime, limit: i64) -> StoreResult<Vec<OutboxRow>> {
    Ok(outbox::table
        .filter(outbox::tenant_id.eq(tenant))
        .filter(outbox::sent_time.is_null())
        .filter(outbox::failed_time.is_null())
        .filter(outbox::next_attempt_time.le(now))
        .order(outbox::id.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Marks a message sent and clears its bodies (they may hold a one-time token).
pub fn mark_sent(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_time.eq(Some(now)),
            outbox::body_text.eq(""),
            outbox::body_html.eq(""),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: retried at `next`, or given up (`failed`) when it cannot succeed.
pub fn mark_attempt_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    next: NaiveDateTime,
    failed: Option<NaiveDateTime>,
) -> StoreResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(Some(error)),
            outbox::next_attempt_time.eq(next),
            outbox::failed_time.eq(failed),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every row (operators' view and tests).
pub fn all(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<Vec<OutboxRow>> {
    Ok(outbox::table
        .filter(outbox::tenant_id.eq(tenant))
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Messages of the tenant still to be delivered, and those given up on.
pub fn backlog(conn: &mut AnyConnection, tenant: TenantPk) -> StoreResult<(i64, i64)> {
    let waiting = outbox::table
        .filter(outbox::tenant_id.eq(tenant))
        .filter(outbox::sent_time.is_null())
        .filter(outbox::failed_time.is_null())
        .count()
        .get_result(conn)?;
    let failed = outbox::table
        .filter(outbox::tenant_id.eq(tenant))
        .filter(outbox::failed_time.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((waiting, failed))
}
