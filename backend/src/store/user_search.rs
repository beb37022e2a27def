//! The user search query (reference §7.7) over `users` and `user_search_names`, the upper-cased copy of the
//! names kept by a trigger: `user_id` wins over everything, then `username`; otherwise the name conditions
//! (exact or substring, combined with AND or OR) AND-ed with the e-mail's keyed hash, the sign-up status and the
//! approval status. Paged, ordered by display name, username, sign-up time and user id.

use super::schema::{user_search_names, users};
use super::users::UserRow;
use super::{AnyConnection, StoreResult, TenantPk};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

diesel::define_sql_function! {
    /// SQL's `upper`, the same on PostgreSQL and SQLite for the ASCII names search compares.
    fn upper(x: Nullable<Text>) -> Nullable<Text>;
}

/// A name column of user_search_names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameColumn {
    DisplayName,
    FirstName,
    MiddleName,
    LastName,
}

/// What to match, resolved by the caller: values trimmed, names upper-cased, the e-mail already hashed.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub user_id: Option<String>,
    pub username: Option<String>,
    /// Upper-cased values of the name columns.
    pub names: Vec<(NameColumn, String)>,
    /// OR between the name conditions (else AND).
    pub or: bool,
    /// Equality (else substring) for the name conditions.
    pub exact: bool,
    pub email_hash: Option<String>,
    pub sign_up_status: Option<String>,
    pub approval_status: Option<String>,
    /// Upper-cased: a substring of the username or of any name (the console's one search box), AND-ed with the
    /// rest.
    pub text: Option<String>,
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

/// A condition on the upper-cased names alone, for counting without the join.
type NamesFilter = Box<dyn BoxableExpression<user_search_names::table, Db, SqlType = Nullable<Bool>>>;

/// One name criterion, as a condition on a query source that has user_search_names (the names there are
/// upper-cased already; so is the value); and the criteria combined with `or`.
macro_rules! name_conditions {
    ($filter:ident, $combined:ident, $out:ty) => {
        fn $filter(column: NameColumn, value: &str, exact: bool) -> $out {
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
                NameColumn::DisplayName => cond!(user_search_names::display_name),
                NameColumn::FirstName => cond!(user_search_names::first_name),
                NameColumn::MiddleName => cond!(user_search_names::middle_name),
                NameColumn::LastName => cond!(user_search_names::last_name),
            }
        }

        fn $combined(filter: &UserFilter) -> Option<$out> {
            let mut names = filter.names.iter().map(|(col, v)| $filter(*col, v, filter.exact));
            let first = names.next()?;
            Some(names.fold(first, |acc, next| {
                if filter.or {
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
fn query(tenant: TenantPk, filter: &UserFilter) -> Query {
    let mut q = users::table
        .inner_join(user_search_names::table)
        .filter(users::tenant_id.eq(tenant))
        .into_boxed();
    if let Some(id) = &filter.user_id {
        return q.filter(users::user_id.eq(id.clone()));
    }
    if let Some(name) = &filter.username {
        return q.filter(users::username.eq(name.clone()));
    }
    if let Some(combined) = names_condition(filter) {
        // Exact names: the tenant on the names too, so that their (tenant, name) indexes apply. Substrings are
        // left to the trigram index, which the planner would pass over for a scan of the tenant's names.
        if filter.exact {
            q = q.filter(user_search_names::tenant_id.eq(tenant));
        }
        q = q.filter(combined);
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(text));
        q = q.filter(
            upper(users::username.nullable())
                .like(pattern.clone())
                .escape('\\')
                .or(user_search_names::display_name.like(pattern.clone()).escape('\\'))
                .or(user_search_names::first_name.like(pattern.clone()).escape('\\'))
                .or(user_search_names::middle_name.like(pattern.clone()).escape('\\'))
                .or(user_search_names::last_name.like(pattern).escape('\\')),
        );
    }
    if let Some(hash) = &filter.email_hash {
        q = q.filter(users::email_hash.eq(hash.clone()));
    }
    if let Some(s) = &filter.sign_up_status {
        q = q.filter(users::sign_up_status.eq(s.clone()));
    }
    if let Some(s) = &filter.approval_status {
        q = q.filter(users::approval_status.eq(s.clone()));
    }
    q
}

/// When exact names are the only criteria, the total is counted in user_search_names alone (one row per user of the
/// tenant, kept by the trigger), from its indexes, rather than through a join to every matching user: a name
/// shared by 50 000 users is counted in milliseconds instead of a large fraction of a second.
fn names_only_count(tenant: TenantPk, filter: &UserFilter) -> Option<user_search_names::BoxedQuery<'static, Db>> {
    let only_names = filter.exact
        && filter.user_id.is_none()
        && filter.username.is_none()
        && filter.email_hash.is_none()
        && filter.sign_up_status.is_none()
        && filter.approval_status.is_none()
        && filter.text.is_none();
    if !only_names {
        return None;
    }
    let combined = names_condition_alone(filter)?;
    Some(
        user_search_names::table
            .filter(user_search_names::tenant_id.eq(tenant))
            .filter(combined)
            .into_boxed(),
    )
}

/// The number of the tenant's users matching `filter`, and the page of them at `offset`, at most `limit`.
pub fn search(
    conn: &mut AnyConnection,
    tenant: TenantPk,
    filter: &UserFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(i64, Vec<UserRow>)> {
    let total: i64 = match names_only_count(tenant, filter) {
        Some(names) => names.count().get_result(conn)?,
        None => query(tenant, filter).count().get_result(conn)?,
    };
    let rows = query(tenant, filter)
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
