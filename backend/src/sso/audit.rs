//! Writing the audit log: one entry per operation, in the same transaction as the operation, with the `cid`,
//! the op, who acted, on whom, the outcome and its sub-status. Never a password or a token.

use super::Actor;
use crate::store::audit::{self as rows, NewAuditRow};
use crate::store::{AnyConnection, StoreResult, TenantPk};
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;

/// Every operation written has its words on the log page ([`super::audit_words`]); debug builds (the tests)
/// check it on each write.
fn said_in_words(op: &str) {
    debug_assert!(
        super::audit_words::operation(op).is_some(),
        "audit operation `{op}` has no words in audit_words::OPERATIONS"
    );
}

/// Appends one entry. `outcome` is `Ok(())` or the sub-status the operation ended with.
#[allow(clippy::too_many_arguments)]
pub fn append(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    cid: &str,
    now: NaiveDateTime,
    actor: &Actor,
    op: &str,
    target_user: Option<&str>,
    outcome: Result<(), SubStatus>,
) -> StoreResult<()> {
    said_in_words(op);
    rows::append(
        conn,
        &NewAuditRow {
            tenant_id: tenant,
            time: now,
            cid: cid.to_owned(),
            op: op.to_owned(),
            current_user_id: actor.user_id(),
            target_user_id: target_user.map(str::to_owned),
            result: if outcome.is_ok() { "ok" } else { "error" }.to_owned(),
            sub_status: outcome.err().map(|s| s.code().to_owned()),
            remote_addr: None,
            current_app: None,
            extra: None,
        },
    )
}

/// Appends an entry for a call made with a full context (address and app known).
pub fn append_ctx(
    conn: &mut AnyConnection,
    ctx: &super::Ctx,
    op: &str,
    target_user: Option<&str>,
    outcome: Result<(), SubStatus>,
) -> StoreResult<()> {
    append_ctx_extra(conn, ctx, op, target_user, outcome, None)
}

/// Like [`append_ctx`], with a JSON `extra` (e.g. a setting's old and new value).
pub fn append_ctx_extra(
    conn: &mut AnyConnection,
    ctx: &super::Ctx,
    op: &str,
    target_user: Option<&str>,
    outcome: Result<(), SubStatus>,
    extra: Option<String>,
) -> StoreResult<()> {
    said_in_words(op);
    rows::append(
        conn,
        &NewAuditRow {
            tenant_id: ctx.tenant.pk,
            time: ctx.now,
            cid: ctx.cid.clone(),
            op: op.to_owned(),
            current_user_id: ctx.actor.user_id(),
            target_user_id: target_user.map(str::to_owned),
            result: if outcome.is_ok() { "ok" } else { "error" }.to_owned(),
            sub_status: outcome.err().map(|s| s.code().to_owned()),
            remote_addr: ctx.remote_addr.clone(),
            current_app: Some(ctx.current_app.clone()),
            extra,
        },
    )
}
