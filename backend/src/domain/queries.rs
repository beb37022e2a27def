//! What a caller asks the services for, typed: whose attributes, which audit entries.

use chrono::NaiveDateTime;

/// Where attributes live: a user, or one of the user's sessions (its key and public id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrOwner {
    /// The store's key of the tenant.
    pub tenant: i64,
    pub user_pk: i64,
    pub session: Option<(i64, String)>,
}

impl AttrOwner {
    /// The session's public id for session attributes, empty for a user's.
    pub fn scope(&self) -> &str {
        self.session.as_ref().map_or("", |(_, id)| id.as_str())
    }
}

/// Filters of an audit query.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entries where this user acted or was acted on.
    pub user_id: Option<String>,
    pub op: Option<String>,
    pub result: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}
