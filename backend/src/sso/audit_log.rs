//! Reading a tenant's audit log: filtered by user, op, result and time, paged, newest first.

use super::{Admin, Sso, SsoResult};
use crate::store::audit::{self as rows, AuditFilter, AuditRow};
use crate::store::users;
use std::collections::HashMap;

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

/// A page of the log as a story: each entry with the usernames of who acted and on whom (as they are now;
/// `None` for the CLI, the system, or a user since deleted, whom the entry still names by id).
#[derive(Debug, Clone)]
pub struct AuditStory {
    pub total: i64,
    pub cur_page: i64,
    pub page_size: i64,
    pub entries: Vec<StoryEntry>,
    /// The usernames of the operators (super-users of `system`) among the ids the page names that are no users
    /// of this tenant: what an operator did here (creating it, suspending it) is told as theirs.
    pub operators: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct StoryEntry {
    pub row: AuditRow,
    pub actor: Option<String>,
    pub target: Option<String>,
}

/// Who a log's username filter names.
pub enum LogUser {
    /// No filter by user.
    Anyone,
    Found(String),
    /// No user of the tenant has this name: nothing matches.
    NoSuchUser,
}

impl Sso {
    /// The user id a username names in the administrator's tenant, for the log's filter.
    pub async fn log_user(&self, admin: &Admin, username: Option<&str>) -> SsoResult<LogUser> {
        let Some(name) = username.map(str::trim).filter(|n| !n.is_empty()) else {
            return Ok(LogUser::Anyone);
        };
        let (pk, name) = (admin.ctx().tenant.pk, name.to_owned());
        let row = self
            .store
            .tenant(pk, move |conn| users::by_username(conn, pk, &name))
            .await?;
        Ok(row.map_or(LogUser::NoSuchUser, |r| LogUser::Found(r.user_id)))
    }

    /// [`Sso::audit_entries`] with the usernames of the users each entry names, found in one query.
    pub async fn audit_story(
        &self,
        admin: &Admin,
        filter: AuditFilter,
        cur_page: Option<i64>,
        page_size: Option<i64>,
    ) -> SsoResult<AuditStory> {
        let page = self.audit_entries(admin, filter, cur_page, page_size).await?;
        let ids = ids_named(&page.result);
        let pk = admin.ctx().tenant.pk;
        let names: HashMap<String, String> = if ids.is_empty() {
            HashMap::new()
        } else {
            self.store
                .tenant(pk, move |conn| users::usernames(conn, pk, &ids))
                .await?
                .into_iter()
                .collect()
        };
        let unknown: Vec<String> = ids_named(&page.result)
            .into_iter()
            .filter(|id| !names.contains_key(id) && id != "auto" && !id.starts_with("cli:"))
            .collect();
        let operators = self.operator_names(admin, unknown).await?;
        let name = |id: &Option<String>| id.as_ref().and_then(|id| names.get(id).cloned());
        let entries = page
            .result
            .into_iter()
            .map(|row| StoryEntry {
                actor: name(&row.current_user_id),
                target: name(&row.target_user_id),
                row,
            })
            .collect();
        Ok(AuditStory {
            total: page.total,
            cur_page: page.cur_page,
            page_size: page.page_size,
            entries,
            operators,
        })
    }

    /// Which of `ids` are super-users of the `system` tenant, by username (none when the page is system's own).
    async fn operator_names(&self, admin: &Admin, ids: Vec<String>) -> SsoResult<HashMap<String, String>> {
        if ids.is_empty() || admin.ctx().tenant.slug.is_system() {
            return Ok(HashMap::new());
        }
        let system = self.resolve_tenant(gatehouse_shared::TenantSlug::SYSTEM).await?;
        let pk = system.pk;
        let rows = self
            .store
            .tenant(pk, move |conn| users::usernames(conn, pk, &ids))
            .await?;
        Ok(rows.into_iter().collect())
    }
}

/// Every user id the entries name, once each.
fn ids_named(rows: &[AuditRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .flat_map(|r| [r.current_user_id.clone(), r.target_user_id.clone()])
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    ids
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
