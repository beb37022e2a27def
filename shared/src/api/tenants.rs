//! The tenant lifecycle, for operators (super-users of the `system` tenant): `/api/v1/tenants`.

use serde::{Deserialize, Serialize};

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub slug: String,
    pub display_name: String,
    pub status: TenantStatus,
}

/// Whether a tenant serves its users: a suspended one answers every login and UST use with E012002.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TenantStatus {
    Active,
    Suspended,
}

/// `POST /tenants`. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTenant {
    /// `[a-z0-9][a-z0-9-]{0,62}`.
    pub slug: String,
    /// Absent: the slug.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The tenant's first administrator, made with it (a super-user, approved): with a password, which they
    /// change at their first login, or without one and with an e-mail address, to which an invitation goes whose
    /// link chooses it. If the administrator cannot be made, neither is the tenant.
    #[serde(default)]
    pub administrator: Option<NewAdministrator>,
}

/// A new tenant's first administrator. Unknown fields are refused.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAdministrator {
    pub username: String,
    /// Required without a password: the invitation goes there.
    #[serde(default)]
    pub email: Option<String>,
    /// Checked against the password policy the new tenant starts with; absent: an invitation is sent.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for NewAdministrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAdministrator")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `PATCH /tenants/{slug}`: only the fields present change. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantChange {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub status: Option<TenantStatus>,
}

/// `DELETE /tenants/{slug}`: the slug again, so that a tenant is not deleted by a slip.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confirmation {
    /// The tenant's slug again.
    #[serde(default)]
    pub confirm: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_change_names_a_known_status() {
        let change: TenantChange = serde_json::from_value(json!({"status": "suspended"})).unwrap();
        assert_eq!(change.status, Some(TenantStatus::Suspended));
        assert!(serde_json::from_value::<TenantChange>(json!({"status": "asleep"})).is_err());
        assert!(serde_json::from_value::<TenantChange>(json!({"slug": "x"})).is_err());
    }
}
