//! Row-level security on PostgreSQL: a transaction that names no tenant sees no tenant-owned row, and one
//! tenant's transaction can neither read nor write another's rows, even through queries that deliberately
//! leave out the tenant filter. The application connects as an ordinary role that owns its tables.

use crate::common::{Backend, TestSso};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Bool, Text};
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser};
use gatehouse::store::{AnyConnection, StoreResult};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Table {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    enabled: bool,
    #[diesel(sql_type = Bool)]
    forced: bool,
}

fn count(conn: &mut AnyConnection, sql: &str) -> StoreResult<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n)
}

fn run(conn: &mut AnyConnection, sql: &str) -> StoreResult<usize> {
    Ok(diesel::sql_query(sql).execute(conn)?)
}

/// Two tenants with a user each (and the audit entries their creation wrote).
async fn two_tenants() -> (TestSso, i64, i64) {
    let t = TestSso::open(Backend::Postgres).await;
    let acme = t.sso.create_tenant("acme", None, Actor::Auto, "t").await.unwrap();
    for (tenant, name) in [("default", "dana"), ("acme", "ari")] {
        let ctx = t.ctx(tenant).await;
        let new = NewUser {
            username: name.into(),
            password: Some(Password::new(format!("{name} has a long passphrase"))),
            auto_approve: true,
            ..NewUser::default()
        };
        t.sso
            .create_user(&t.sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap();
    }
    let default = t.sso.resolve_tenant("default").await.unwrap();
    (t, default.pk, acme.pk)
}

#[actix_rt::test]
async fn every_tenant_owned_table_forces_its_policy_and_the_role_cannot_bypass_it() {
    let (t, _, _) = two_tenants().await;
    let store = t.sso.store.clone();
    let bypass = tokio::task::spawn_blocking(move || store.bypasses_row_security().unwrap())
        .await
        .unwrap();
    assert!(!bypass, "the test role must be an ordinary role");
    let tables = t
        .sso
        .store
        .global(|conn| {
            Ok(diesel::sql_query(
                "SELECT c.relname::TEXT AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
                 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE a.attname = 'tenant_id' AND c.relkind = 'r'
                   AND c.relnamespace = 'public'::regnamespace",
            )
            .load::<Table>(conn)?)
        })
        .await
        .unwrap();
    assert!(
        tables.len() >= 14,
        "{:?}",
        tables.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    for table in &tables {
        // The one exception, on purpose (migration 8): upper-cased names that search matches in, read only as a
        // filter joined to users, so that indexes can serve it; the users that come back pass the policy on users.
        if table.name == "user_search_names" {
            continue;
        }
        // The other (migration 17): counts of waiting mail and reset requests per tenant, no content, read by
        // the background sender without naming a tenant so that it need not visit every tenant to find work.
        if table.name == "tenant_pending_work" {
            continue;
        }
        assert!(
            table.enabled && table.forced,
            "{} lacks forced row-level security",
            table.name
        );
    }
}

#[actix_rt::test]
async fn a_transaction_without_a_tenant_sees_no_rows() {
    let (t, default, acme) = two_tenants().await;
    let unscoped = t
        .sso
        .store
        .global(|conn| {
            Ok((
                count(conn, "SELECT COUNT(*) AS n FROM users")?,
                count(conn, "SELECT COUNT(*) AS n FROM audit_log")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(unscoped, (0, 0));
    // The rows are there: each tenant's own transaction sees its own.
    for pk in [default, acme] {
        let n = t
            .sso
            .store
            .tenant(pk, |conn| count(conn, "SELECT COUNT(*) AS n FROM users"))
            .await
            .unwrap();
        assert!(n >= 1, "tenant {pk} sees its users");
    }
    // Nor can it write a tenant-owned row.
    let insert = t
        .sso
        .store
        .global(move |conn| {
            run(
                conn,
                &format!("INSERT INTO tenant_settings (tenant_id, section, name, value, modified_time) VALUES ({acme}, 'login', 'max_failures', '9', NOW())"),
            )
        })
        .await;
    assert!(insert.is_err(), "an insert without a tenant is refused");
}

#[actix_rt::test]
async fn one_tenant_cannot_read_or_write_another_through_an_unfiltered_query() {
    let (t, default, acme) = two_tenants().await;
    let seen = t
        .sso
        .store
        .tenant(default, move |conn| {
            Ok((
                count(conn, "SELECT COUNT(*) AS n FROM users")?,
                count(
                    conn,
                    &format!("SELECT COUNT(*) AS n FROM users WHERE tenant_id = {acme}"),
                )?,
                count(
                    conn,
                    &format!("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id <> {default}"),
                )?,
            ))
        })
        .await
        .unwrap();
    assert!(seen.0 >= 1);
    assert_eq!((seen.1, seen.2), (0, 0), "acme's rows are invisible to default");

    // Writes: an unfiltered update and delete touch only default's rows; an insert for acme is refused.
    let (updated, deleted) = t
        .sso
        .store
        .tenant(default, |conn| {
            Ok((
                run(conn, "UPDATE users SET display_name = 'overwritten'")?,
                run(conn, "DELETE FROM audit_log")?,
            ))
        })
        .await
        .unwrap();
    assert!(updated >= 1 && deleted >= 1);
    let forged = t
        .sso
        .store
        .tenant(default, move |conn| {
            run(
                conn,
                &format!("INSERT INTO tenant_settings (tenant_id, section, name, value, modified_time) VALUES ({acme}, 'login', 'max_failures', '9', NOW())"),
            )
        })
        .await;
    assert!(
        forged.is_err(),
        "a row for another tenant is refused by the policy's check"
    );
    let moved = t
        .sso
        .store
        .tenant(default, move |conn| {
            run(conn, &format!("UPDATE users SET tenant_id = {acme}"))
        })
        .await;
    assert!(moved.is_err(), "a row cannot be moved into another tenant");

    let acme_after = t
        .sso
        .store
        .tenant(acme, |conn| {
            Ok((
                count(
                    conn,
                    "SELECT COUNT(*) AS n FROM users WHERE display_name = 'overwritten'",
                )?,
                count(conn, "SELECT COUNT(*) AS n FROM audit_log")?,
                count(conn, "SELECT COUNT(*) AS n FROM tenant_settings")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(acme_after.0, 0, "acme's users were not touched");
    assert!(acme_after.1 >= 2, "acme's audit entries are all there");
    assert_eq!(acme_after.2, 0, "no setting was forged into acme");
}

/// A connection names its tenant at session level and keeps it between units of work, so that a read for the
/// same tenant costs one round trip. On one pooled connection, whatever came before, each unit sees exactly its
/// own tenant's rows and a unit without a tenant sees none.
#[actix_rt::test]
async fn a_reused_connection_never_carries_one_tenants_name_into_other_work() {
    use gatehouse::store::Store;
    let (t, default, acme) = two_tenants().await;
    let config = &t.sso.config;
    let store = Store::open(config.database.url.expose(), config.database_kind(), 1).unwrap();
    let users = |conn: &mut AnyConnection| count(conn, "SELECT COUNT(*) AS n FROM users");
    let default_users = store.tenant(default, users).await.unwrap();
    let acme_users = store.tenant(acme, users).await.unwrap();
    assert!(default_users >= 1 && acme_users >= 1);
    for round in 0..2 {
        assert_eq!(store.tenant_read(default, users).await.unwrap(), default_users);
        assert_eq!(
            store.global(users).await.unwrap(),
            0,
            "round {round}: global after default"
        );
        assert_eq!(store.tenant_read(acme, users).await.unwrap(), acme_users);
        assert_eq!(
            store.tenant_read(acme, users).await.unwrap(),
            acme_users,
            "named already"
        );
        assert_eq!(store.tenant(default, users).await.unwrap(), default_users);
        // A unit that fails and rolls back leaves the name as it was set before it began.
        let failed = store
            .tenant(acme, |conn| run(conn, "SELECT no_such_column FROM users"))
            .await;
        assert!(failed.is_err());
        assert_eq!(store.tenant_read(acme, users).await.unwrap(), acme_users);
        assert_eq!(
            store.global(users).await.unwrap(),
            0,
            "round {round}: global after acme"
        );
    }
    // The name is a setting of the session, never a filter the query could drop: an unfiltered read under one
    // tenant's name sees none of the other's users.
    let names = store
        .tenant_read(acme, |conn| {
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = Text)]
                username: String,
            }
            Ok(diesel::sql_query("SELECT username FROM users")
                .load::<Name>(conn)?
                .into_iter()
                .map(|n| n.username)
                .collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert!(
        names.contains(&"ari".to_owned()) && !names.contains(&"dana".to_owned()),
        "{names:?}"
    );
}

/// Names are matched in user_search_names, which has no policy of its own: a search in one tenant for a name
/// that only the other tenant's user has finds nobody, even through an unfiltered join.
#[actix_rt::test]
async fn a_search_by_name_never_reaches_another_tenants_users() {
    let (t, default, acme) = two_tenants().await;
    let names_in_acme = t
        .sso
        .store
        .tenant(default, |conn| {
            count(
                conn,
                "SELECT COUNT(*) AS n FROM users u JOIN user_search_names n ON n.user_pk = u.id
                 WHERE n.tenant_id <> (SELECT NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)",
            )
        })
        .await
        .unwrap();
    assert_eq!(names_in_acme, 0, "the join to users drops every other tenant's row");
    let acme_names = t
        .sso
        .store
        .tenant(acme, |conn| {
            count(
                conn,
                "SELECT COUNT(*) AS n FROM user_search_names WHERE tenant_id IS NOT NULL",
            )
        })
        .await
        .unwrap();
    assert!(
        acme_names >= 2,
        "the names table itself is not filtered: it is read only joined to users"
    );
}
