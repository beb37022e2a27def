//! PostgreSQL functions the store calls on every unit of work or audit entry, as typed queries: Diesel prepares
//! a typed statement once per connection and keeps it, where text sent with `sql_query` is parsed and planned
//! at every call.

use diesel::sql_types::{BigInt, Bool, Text};

diesel::define_sql_function! {
    /// `set_config(name, value, is_local)`: sets a run-time parameter, returns its new value.
    fn set_config(name: Text, value: Text, is_local: Bool) -> Text;
}

diesel::define_sql_function! {
    /// Sends `payload` on `gatehouse_cache` when a trigger marked the transaction; true when it did
    /// (migration `prepared_calls`).
    fn gatehouse_commit_sync(payload: Text) -> Bool;
}

diesel::define_sql_function! {
    /// Takes the tenant's audit lock, then returns the hash of its last audit entry (migration
    /// `prepared_calls`).
    fn gatehouse_audit_head(tenant: BigInt) -> diesel::sql_types::Nullable<Text>;
}

/// The name of the setting row-level security compares tenant-owned rows with.
pub const TENANT_SETTING: &str = "gatehouse.tenant_id";
