//! Reading a tenant's audit log: filtered by user, op, result and time, paged, newest first.

use super::{Ctx, Sso, SsoResult};
use crate::store::audit::{self as rows, AuditFilter, AuditRow};

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub total: i64,
    pub cur_page: i64,
    pub page_size: i64,
    pub result: Vec<AuditRow>,
}

impl Sso {
    /// The tenant's entries matching `filter`; the caller has checked that a super-user asks.
    pub async fn audit_entries(
        &self,
        ctx: &Ctx,
        filter: AuditFilter,
        cur_page: Option<i64>,
        page_size: Option<i64>,
    ) -> SsoResult<AuditPage> {
        let policy = self.policy(&ctx.tenant).await?;
        let max = i64::from(policy.search.max_page_size.max(1));
        let page_size = page_size
            .filter(|n| *n >= 1)
            .unwrap_or(i64::from(policy.search.default_page_size))
            .min(max)
            .max(1);
        let cur_page = cur_page.filter(|p| *p >= 1).unwrap_or(1);
        let pk = ctx.tenant.pk;
        let offset = (cur_page - 1).saturating_mul(page_size);
        let (total, result) = self
            .store
            .tenant(pk, move |conn| rows::search(conn, pk, &filter, page_size, offset))
            .await?;
        Ok(AuditPage {
            total,
            cur_page,
            page_size,
            result,
        })
    }
}
