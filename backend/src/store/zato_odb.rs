//! Reading a Zato ODB's SSO tables (`zato_sso_user`, `zato_sso_attr`; reference §4) for an import. The same SQL
//! serves PostgreSQL and SQLite: booleans are read as 0/1, times and Fernet values (BLOBs on SQLite, where
//! Zato stored Python bytes) as text.

use super::{AnyConnection, StoreError, StoreResult};
use diesel::Connection;
use diesel::QueryableByName;
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::sqlite::SqliteConnection;

/// One `zato_sso_user` row, as stored (sealed values still sealed).
#[derive(QueryableByName)]
pub struct ZatoUser {
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub password: String,
    #[diesel(sql_type = Integer)]
    pub is_super_user: i32,
    #[diesel(sql_type = Integer)]
    pub is_locked: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub locked_time: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub locked_by: Option<String>,
    #[diesel(sql_type = Text)]
    pub approval_status: String,
    #[diesel(sql_type = Text)]
    pub approval_status_mod_time: String,
    #[diesel(sql_type = Text)]
    pub approval_status_mod_by: String,
    #[diesel(sql_type = Integer)]
    pub password_must_change: i32,
    #[diesel(sql_type = Text)]
    pub password_last_set: String,
    #[diesel(sql_type = Text)]
    pub password_expiry: String,
    #[diesel(sql_type = Text)]
    pub sign_up_status: String,
    #[diesel(sql_type = Text)]
    pub sign_up_time: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub sign_up_confirm_time: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub middle_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_name: Option<String>,
    #[diesel(sql_type = Integer)]
    pub is_totp_enabled: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub totp_key: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub totp_label: Option<String>,
}

impl std::fmt::Debug for ZatoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password hash, e-mail and TOTP values stay out of any print.
        f.debug_struct("ZatoUser")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// One user attribute (`is_session_attr` false) of `zato_sso_attr`.
#[derive(QueryableByName)]
pub struct ZatoAttr {
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub value: Option<String>,
    #[diesel(sql_type = Integer)]
    pub is_encrypted: i32,
    #[diesel(sql_type = Text)]
    pub creation_time: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_modified: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub expiration_time: Option<String>,
}

const USERS: &str = "SELECT user_id, username, CAST(password AS TEXT) AS password,
       CASE WHEN is_super_user THEN 1 ELSE 0 END AS is_super_user,
       CASE WHEN is_locked THEN 1 ELSE 0 END AS is_locked,
       CAST(locked_time AS TEXT) AS locked_time, locked_by,
       approval_status, CAST(approval_status_mod_time AS TEXT) AS approval_status_mod_time, approval_status_mod_by,
       CASE WHEN password_must_change THEN 1 ELSE 0 END AS password_must_change,
       CAST(password_last_set AS TEXT) AS password_last_set, CAST(password_expiry AS TEXT) AS password_expiry,
       sign_up_status, CAST(sign_up_time AS TEXT) AS sign_up_time,
       CAST(sign_up_confirm_time AS TEXT) AS sign_up_confirm_time,
       CAST(email AS TEXT) AS email, display_name, first_name, middle_name, last_name,
       CASE WHEN is_totp_enabled THEN 1 ELSE 0 END AS is_totp_enabled,
       CAST(totp_key AS TEXT) AS totp_key, CAST(totp_label AS TEXT) AS totp_label
  FROM zato_sso_user ORDER BY id";

const ATTRS: &str = "SELECT user_id, name, CAST(value AS TEXT) AS value,
       CASE WHEN is_encrypted THEN 1 ELSE 0 END AS is_encrypted,
       CAST(creation_time AS TEXT) AS creation_time, CAST(last_modified AS TEXT) AS last_modified,
       CAST(expiration_time AS TEXT) AS expiration_time
  FROM zato_sso_attr
 WHERE (CASE WHEN is_session_attr THEN 1 ELSE 0 END) = 0
 ORDER BY id";

/// Opens a Zato ODB: `postgres://...`, or `sqlite://PATH` of an existing file (never created).
pub fn open(url: &str) -> StoreResult<AnyConnection> {
    let unavailable = |e: diesel::ConnectionError| StoreError::Source(format!("cannot open the Zato database: {e}"));
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return PgConnection::establish(url)
            .map(AnyConnection::Postgresql)
            .map_err(unavailable);
    }
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Err(StoreError::Source(
            "the Zato database URL must start with postgres:// or sqlite://".to_owned(),
        ));
    };
    if !std::path::Path::new(path).is_file() {
        return Err(StoreError::Source(format!("no such Zato database file: {path}")));
    }
    SqliteConnection::establish(path)
        .map(AnyConnection::Sqlite)
        .map_err(unavailable)
}

pub fn users(conn: &mut AnyConnection) -> StoreResult<Vec<ZatoUser>> {
    Ok(diesel::sql_query(USERS).load(conn)?)
}

pub fn user_attrs(conn: &mut AnyConnection) -> StoreResult<Vec<ZatoAttr>> {
    Ok(diesel::sql_query(ATTRS).load(conn)?)
}
