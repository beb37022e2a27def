//! User search (reference §7.7): `user_id` wins over everything, then `username`; otherwise the name criteria
//! (upper-cased, exact or substring, combined with `name_op`) AND-ed with e-mail (by its keyed hash, so it works
//! when e-mails are sealed), sign-up status and approval status. Paged, ordered by display name, username,
//! sign-up time and user id.

use super::error::{Kind, SsoError, SsoResult};
use super::user::normalise_email;
use super::{Admin, Sso, audit};
use crate::domain::User;
use crate::store::schema::{user_search_names, users};
use crate::store::users::UserRow;
use crate::store::{AnyConnection, StoreResult, TenantPk};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use gatehouse_shared::SubStatus;

diesel::define_sql_function! {
    /// SQL's `upper`, the same on PostgreSQL and SQLite for the ASCII names search compares.
    fn upper(x: Nullable<Text>) -> Nullable<Text>;
}

#[derive(Debug, Clone, Default)]
pub struct SearchCriteria {
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub sign_up_status: Option<String>,
    pub approval_status: Option<String>,
    /// `and` (default) or `or` between the name criteria.
    pub name_op: Option<String>,
    /// Equality (default) or substring for the name criteria.
    pub is_name_exact: Option<bool>,
    pub cur_page: Option<i64>,
    pub page_size: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct SearchPage {
    pub total: i64,
    pub num_pages: i64,
    pub page_size: i64,
    pub cur_page: i64,
    pub has_next_page: bool,
    pub has_prev_page: bool,
    pub next_page: Option<i64>,
    pub prev_page: Option<i64>,
    pub result: Vec<User>,
}

type Db = <AnyConnection as diesel::Connection>::Backend;
/// Users with their upper-cased names beside them (a one-to-one join on the user's key).
type Source = diesel::helper_types::InnerJoinQuerySource<users::table, user_search_names::table>;
type Filter = Box<dyn BoxableExpression<Source, Db, SqlType = Nullable<Bool>>>;
type Query = diesel::helper_types::IntoBoxed<
    'static,
    diesel::helper_types::InnerJoin<users::table, user_search_names::table>,
    Db,
>;

/// The resolved filter: what to match, with e-mail already hashed.
struct Plan {
    user_id: Option<String>,
    username: Option<String>,
    names: Vec<(&'static str, String)>,
    or: bool,
    exact: bool,
    email_hash: Option<String>,
    sign_up_status: Option<String>,
    approval_status: Option<String>,
}

/// A condition on the upper-cased names alone, for counting without the join.
type NamesFilter = Box<dyn BoxableExpression<user_search_names::table, Db, SqlType = Nullable<Bool>>>;

/// One name criterion, as a condition on a query source that has user_search_names (the names there are
/// upper-cased already; so is the value); and the criteria combined with `name_op`.
macro_rules! name_conditions {
    ($filter:ident, $combined:ident, $out:ty) => {
        fn $filter(column: &str, value: &str, exact: bool) -> $out {
            let pattern = if exact {
                value.to_owned()
            } else {
                format!("%{}%", escape_like(value))
            };
            macro_rules! cond {
                ($col:expr) => {
                    if exact {
                        Box::new($col.eq(pattern).nullable())
                    } else {
                        Box::new($col.like(pattern).escape('\\').nullable())
                    }
                };
            }
            match column {
                "display_name" => cond!(user_search_names::display_name),
                "first_name" => cond!(user_search_names::first_name),
                "middle_name" => cond!(user_search_names::middle_name),
                _ => cond!(user_search_names::last_name),
            }
        }

        fn $combined(plan: &Plan) -> Option<$out> {
            let mut names = plan.names.iter().map(|(col, v)| $filter(col, v, plan.exact));
            let first = names.next()?;
            Some(names.fold(first, |acc, next| {
                if plan.or {
                    Box::new(acc.or(next))
                } else {
                    Box::new(acc.and(next))
                }
            }))
        }
    };
}
name_conditions!(name_filter, names_condition, Filter);
name_conditions!(name_filter_alone, names_condition_alone, NamesFilter);

fn escape_like(value: &str) -> String {
    value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Name criteria are matched in the upper-cased copy of the names (user_search_names), which indexes can serve
/// under row-level security; the users that come back are still those the policy on users lets through.
fn query(tenant: TenantPk, plan: &Plan) -> Query {
    let mut q = users::table
        .inner_join(user_search_names::table)
        .filter(users::tenant_id.eq(tenant))
        .into_boxed();
    if let Some(id) = &plan.user_id {
        return q.filter(users::user_id.eq(id.clone()));
    }
    if let Some(name) = &plan.username {
        return q.filter(users::username.eq(name.clone()));
    }
    if let Some(combined) = names_condition(plan) {
        // Exact names: the tenant on the names too, so that their (tenant, name) indexes apply. Substrings are
        // left to the trigram index, which the planner would pass over for a scan of the tenant's names.
        if plan.exact {
            q = q.filter(user_search_names::tenant_id.eq(tenant));
        }
        q = q.filter(combined);
    }
    if let Some(hash) = &plan.email_hash {
        q = q.filter(users::email_hash.eq(hash.clone()));
    }
    if let Some(s) = &plan.sign_up_status {
        q = q.filter(users::sign_up_status.eq(s.clone()));
    }
    if let Some(s) = &plan.approval_status {
        q = q.filter(users::approval_status.eq(s.clone()));
    }
    q
}

/// When exact names are the only criteria, the total is counted in user_search_names alone (one row per user of the
/// tenant, kept by the trigger), from its indexes, rather than through a join to every matching user: a name
/// shared by 50 000 users is counted in milliseconds instead of a large fraction of a second.
fn names_only_count(tenant: TenantPk, plan: &Plan) -> Option<user_search_names::BoxedQuery<'static, Db>> {
    let only_names = plan.exact
        && plan.user_id.is_none()
        && plan.username.is_none()
        && plan.email_hash.is_none()
        && plan.sign_up_status.is_none()
        && plan.approval_status.is_none();
    if !only_names {
        return None;
    }
    let combined = names_condition_alone(plan)?;
    Some(
        user_search_names::table
            .filter(user_search_names::tenant_id.eq(tenant))
            .filter(combined)
            .into_boxed(),
    )
}

fn run(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    plan: &Plan,
    limit: i64,
    offset: i64,
) -> StoreResult<(i64, Vec<UserRow>)> {
    let total: i64 = match names_only_count(tenant, plan) {
        Some(names) => names.count().get_result(conn)?,
        None => query(tenant, plan).count().get_result(conn)?,
    };
    let rows = query(tenant, plan)
        // NULL display names sort last on both backends.
        .order((
            sql::<Bool>("users.display_name IS NULL").asc(),
            users::display_name.asc(),
            users::username.asc(),
            users::sign_up_time.asc(),
            users::user_id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}

impl Sso {
    /// Searches the tenant's users (a super-user's call).
    /// An administrator's search of the tenant's users (reference §7.5), one page of it.
    pub async fn search_users(&self, admin: &Admin, criteria: SearchCriteria) -> SsoResult<SearchPage> {
        let ctx = admin.ctx();
        let policy = self.policy(&ctx.tenant).await?;
        let clean = |v: &Option<String>| -> SsoResult<Option<String>> {
            match v {
                None => Ok(None),
                Some(s) if s.trim().is_empty() => Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput)),
                Some(s) => Ok(Some(s.trim().to_owned())),
            }
        };
        let mut names = Vec::new();
        for (column, value) in [
            ("display_name", &criteria.display_name),
            ("first_name", &criteria.first_name),
            ("middle_name", &criteria.middle_name),
            ("last_name", &criteria.last_name),
        ] {
            if let Some(v) = clean(value)? {
                names.push((column, v.to_uppercase()));
            }
        }
        let or = match criteria.name_op.as_deref().map(str::to_lowercase).as_deref() {
            None | Some("and") => false,
            Some("or") => true,
            Some(_) => return Err(SsoError::refused(Kind::BadInput, SubStatus::CommonInvalidInput)),
        };
        let plan = Plan {
            user_id: clean(&criteria.user_id)?,
            username: clean(&criteria.username)?,
            names,
            or,
            exact: criteria.is_name_exact.unwrap_or(true),
            email_hash: clean(&criteria.email)?.map(|e| self.keyring.lookup_hash(&normalise_email(&e))),
            sign_up_status: clean(&criteria.sign_up_status)?,
            approval_status: clean(&criteria.approval_status)?,
        };
        let default_size = i64::from(policy.search.default_page_size.max(1));
        let max_size = i64::from(policy.search.max_page_size.max(1));
        let page_size = match criteria.page_size {
            Some(n) if n >= 1 => n.min(max_size),
            _ => default_size.min(max_size),
        };
        let cur_page = criteria.cur_page.filter(|p| *p >= 1).unwrap_or(1);
        let (pk, acting) = (ctx.tenant.pk, ctx.clone());
        let offset = (cur_page - 1).saturating_mul(page_size);
        let (total, result) = self
            .store
            .tenant(pk, move |conn| {
                let found = run(conn, pk, &plan, page_size, offset)?;
                audit::append_ctx(conn, &acting, "user.search", None, Ok(()))?;
                Ok(found)
            })
            .await?;
        let num_pages = (total + page_size - 1) / page_size;
        let has_next_page = cur_page < num_pages;
        let has_prev_page = cur_page > 1;
        Ok(SearchPage {
            total,
            num_pages,
            page_size,
            cur_page,
            has_next_page,
            has_prev_page,
            next_page: has_next_page.then_some(cur_page + 1),
            prev_page: has_prev_page.then_some(cur_page - 1),
            result: result.iter().map(|r| self.user_of(r)).collect::<SsoResult<_>>()?,
        })
    }
}

impl Sso {
    /// The approval queue: users waiting for a decision, oldest sign-up first (a super-user's call).
    /// The sign-ups waiting for an administrator's decision, oldest first.
    pub async fn pending_approvals(&self, admin: &Admin) -> SsoResult<Vec<User>> {
        let pk = admin.ctx().tenant.pk;
        let rows = self
            .store
            .tenant(pk, move |conn| crate::store::users::pending(conn, pk, 500))
            .await?;
        rows.iter().map(|r| self.user_of(r)).collect()
    }
}
