//! Migrations apply on an empty database of each backend, a second run is a no-op, and every table reads
//! through the Diesel schema.

use crate::both;
use crate::common::{Backend, TestDb, test_config};
use diesel::prelude::*;
use gatehouse::store::Store;
use gatehouse::store::schema::{audit_log, keyring_meta, sessions, tenant_settings, tenants, users};

async fn migrations_apply_from_empty_and_twice_is_a_no_op(backend: Backend) {
    let db = TestDb::new(backend);
    let config = test_config(&db);
    let store = Store::open(&db.url, config.database_kind(), 2).unwrap();
    let s = store.clone();
    let (first, second, current) = tokio::task::spawn_blocking(move || {
        let first = s.migrate().unwrap();
        let second = s.migrate().unwrap();
        (first, second, s.migrations_current().unwrap())
    })
    .await
    .unwrap();
    assert!(first >= 1, "the first run applies the migrations");
    assert_eq!(second, 0, "a second run applies nothing");
    assert!(current);

    let counts = store
        .global(|conn| {
            Ok((
                tenants::table.count().get_result::<i64>(conn)?,
                tenant_settings::table.count().get_result::<i64>(conn)?,
                users::table
                    .select(users::all_columns)
                    .load::<gatehouse::store::users::UserRow>(conn)?
                    .len(),
                sessions::table.count().get_result::<i64>(conn)?,
                audit_log::table.count().get_result::<i64>(conn)?,
                keyring_meta::table
                    .select(keyring_meta::all_columns)
                    .load::<(String, String, chrono::NaiveDateTime)>(conn)?
                    .len(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(counts, (0, 0, 0, 0, 0, 0));
}
both!(migrations_apply_from_empty_and_twice_is_a_no_op);

async fn a_fresh_store_is_not_current_until_migrated(backend: Backend) {
    let db = TestDb::new(backend);
    let config = test_config(&db);
    let store = Store::open(&db.url, config.database_kind(), 1).unwrap();
    let current = tokio::task::spawn_blocking(move || store.migrations_current().unwrap())
        .await
        .unwrap();
    assert!(!current);
}
both!(a_fresh_store_is_not_current_until_migrated);
