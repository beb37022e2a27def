//! User search (reference §7.7): `user_id` wins over everything, then `username`; otherwise the name criteria
//! (upper-cased, exact or substring, combined with `name_op`) AND-ed with e-mail (by its keyed hash, so it works
//! when e-mails are sealed), sign-up status and approval status. Paged, ordered by display name, username,
//! sign-up time and user id. The criteria are checked and resolved here; the query is
//! [`crate::store::user_search`]'s.

use super::error::{Kind, SsoError, SsoResult};
use super::user::normalise_email;
use super::{Admin, Sso};
use crate::domain::User;
use crate::store::user_search::{self, NameColumn, UserFilter};
use gatehouse_shared::SubStatus;

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
    /// A part of the username or of any name, whatever the case (the console's search box).
    pub text: Option<String>,
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
            (NameColumn::DisplayName, &criteria.display_name),
            (NameColumn::FirstName, &criteria.first_name),
            (NameColumn::MiddleName, &criteria.middle_name),
            (NameColumn::LastName, &criteria.last_name),
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
        let filter = UserFilter {
            user_id: clean(&criteria.user_id)?,
            username: clean(&criteria.username)?,
            names,
            or,
            exact: criteria.is_name_exact.unwrap_or(true),
            email_hash: clean(&criteria.email)?.map(|e| self.keyring.lookup_hash(&normalise_email(&e))),
            sign_up_status: clean(&criteria.sign_up_status)?,
            approval_status: clean(&criteria.approval_status)?,
            text: clean(&criteria.text)?.map(|t| t.to_uppercase()),
        };
        let default_size = i64::from(policy.search.default_page_size.max(1));
        let max_size = i64::from(policy.search.max_page_size.max(1));
        let page_size = match criteria.page_size {
            Some(n) if n >= 1 => n.min(max_size),
            _ => default_size.min(max_size),
        };
        let cur_page = criteria.cur_page.filter(|p| *p >= 1).unwrap_or(1);
        let pk = ctx.tenant.pk;
        let offset = (cur_page - 1).saturating_mul(page_size);
        // Reading is not writing: a search leaves no audit entry (the log keeps the changes), only a debug line.
        tracing::debug!(cid = %ctx.cid, page = cur_page, "user search");
        let (total, result) = self
            .store
            .tenant(pk, move |conn| {
                user_search::search(conn, pk, &filter, page_size, offset)
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
    /// When each of these users of the administrator's tenant last logged in (their latest successful login in
    /// the audit log); those who never did are not in the map.
    pub async fn last_logins(
        &self,
        admin: &Admin,
        user_ids: Vec<String>,
    ) -> SsoResult<std::collections::HashMap<String, chrono::NaiveDateTime>> {
        if user_ids.is_empty() {
            return Ok(Default::default());
        }
        let pk = admin.ctx().tenant.pk;
        let rows = self
            .store
            .tenant(pk, move |conn| crate::store::audit::last_logins(conn, pk, &user_ids))
            .await?;
        Ok(rows.into_iter().filter_map(|(id, t)| Some((id?, t?))).collect())
    }

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
