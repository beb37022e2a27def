//! Reading a tenant's audit log: filtered by user, op, result and time, paged, newest first.

use super::{Admin, Sso, SsoResult};
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
        admin: &Admin,
        filter: AuditFilter,
        cur_page: Option<i64>,
        page_size: Option<i64>,
    ) -> SsoResult<AuditPage> {
        let ctx = admin.ctx();
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

/// Where a tenant's audit chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The first entry that does not check.
    pub id: i64,
    pub reason: &'static str,
}

impl Sso {
    /// Checks a tenant's audit chain: every entry's hash covers its content and the previous entry's hash.
    /// Returns how many entries checked, or the first broken link (an edited, inserted or removed entry).
    pub async fn verify_audit(&self, tenant: &super::Tenant) -> SsoResult<Result<usize, BrokenLink>> {
        let pk = tenant.pk;
        let rows = self
            .store
            .tenant(pk, move |conn| rows::all_for_tenant(conn, pk))
            .await?;
        let mut prev = String::new();
        for row in &rows {
            if row.prev_hash.as_deref() != Some(prev.as_str()) {
                return Ok(Err(BrokenLink {
                    id: row.id,
                    reason: "does not follow the entry before it (one was removed or inserted)",
                }));
            }
            let expected = rows::expected_hash(row);
            if row.hash.as_deref() != Some(expected.as_str()) {
                return Ok(Err(BrokenLink {
                    id: row.id,
                    reason: "its content was changed",
                }));
            }
            prev = expected;
        }
        Ok(Ok(rows.len()))
    }
}
