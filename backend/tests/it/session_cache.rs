//! The cache of verified sessions: two instances on one database, each keeping the sessions it checked, and
//! every change made on one (a logout, a lock, an allow-list, a suspension) refused on the other once it has
//! heard of it; the instance that made the change refuses at once. A lost change feed empties the cache and
//! every check reads the database until the feed is back; notifications cannot grow it past its size.

use crate::api::{Api, sub};
use crate::both;
use crate::common::{Backend, TestApp};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long another instance may take to hear of a change here: generous, for a loaded machine (the time it
/// takes is a `just bench` figure, about a millisecond).
const HEARD_WITHIN: Duration = Duration::from_secs(15);

/// A native call in the tenant `default` to the instance at `base`.
async fn call_at(
    app: &TestApp,
    base: &str,
    method: &str,
    path: &str,
    ust: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    crate::api::call_base(app, base, method, "default", path, ust, body).await
}

/// Asks `base` for the session until it is refused with `code`, within [`HEARD_WITHIN`].
async fn refused_soon(app: &TestApp, base: &str, ust: &str, code: &str, what: &str) {
    let started = Instant::now();
    loop {
        let (status, body) = call_at(app, base, "GET", "/session", Some(ust), None).await;
        if status != 200 {
            assert_eq!(sub(&body), code, "{what}: {status} {body}");
            return;
        }
        assert!(
            started.elapsed() < HEARD_WITHIN,
            "{what}: still served after {HEARD_WITHIN:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the instance's cache keeps `ust`'s session (checks there are answered from memory).
async fn kept_on(sso: &gatehouse::sso::Sso, app: &TestApp, base: &str, ust: &str) {
    let hash = gatehouse::crypto::tokens::lookup_hash(&sso.keyring, ust).unwrap();
    let tenant = sso.resolve_tenant("default").await.unwrap().pk;
    let started = Instant::now();
    loop {
        let (status, body) = call_at(app, base, "GET", "/session", Some(ust), None).await;
        assert_eq!(status, 200, "{body}");
        if sso.session_cache().get(tenant, &hash, sso.clock.now()).is_some() {
            return;
        }
        assert!(started.elapsed() < HEARD_WITHIN, "{base} never kept the session");
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ended_on_one_instance_refused_on_the_other(backend: Backend) {
    let api = Api::new(backend).await;
    let app = &api.app;
    let a = app.base.clone();
    let (b, sso_b) = app.second_instance().await;
    let sso_a = app.services.sso.clone();

    // A logout on A: A refuses at once, B once it has heard.
    let ust = api.login("default", "alice").await;
    kept_on(&sso_b, app, &b, &ust).await;
    kept_on(&sso_a, app, &a, &ust).await;
    let (status, _) = call_at(app, &a, "POST", "/logout", Some(&ust), None).await;
    assert_eq!(status, 204);
    let (status, body) = call_at(app, &a, "GET", "/session", Some(&ust), None).await;
    assert_eq!(
        (status, sub(&body).as_str()),
        (401, "E007001"),
        "A made the change: {body}"
    );
    refused_soon(app, &b, &ust, "E007001", "a logout on A, checked on B").await;

    // A lock by an administrator on A (which ends the user's sessions).
    let root = api.login("default", "root").await;
    let ust = api.login("default", "bob").await;
    kept_on(&sso_b, app, &b, &ust).await;
    let bob = call_at(app, &a, "GET", "/users/me", Some(&ust), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = call_at(app, &a, "POST", &format!("/users/{bob}/lock"), Some(&root), None).await;
    assert_eq!(status, 200, "{body}");
    refused_soon(app, &b, &ust, "E007001", "bob locked on A, checked on B").await;
    let (status, body) = call_at(app, &a, "POST", &format!("/users/{bob}/unlock"), Some(&root), None).await;
    assert_eq!(status, 200, "{body}");

    // An allow-list set on A: the session stays, but not for this address.
    let ust = api.login("default", "bob").await;
    kept_on(&sso_b, app, &b, &ust).await;
    let (status, body) = call_at(
        app,
        &a,
        "PUT",
        &format!("/users/{bob}/address-list"),
        Some(&root),
        Some(json!({"addresses": ["192.0.2.0/24"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call_at(app, &a, "GET", "/session", Some(&ust), None).await;
    assert_eq!(status, 401, "A made the change: {body}");
    refused_soon(
        app,
        &b,
        &ust,
        sub(&body).as_str(),
        "bob's allow-list set on A, checked on B",
    )
    .await;

    // The tenant suspended (by an operator, here the services of A): B refuses every session of it.
    kept_on(&sso_b, app, &b, &root).await;
    let tenant = sso_a.resolve_tenant("default").await.unwrap();
    let op = sso_a.cli_operator().await.unwrap();
    sso_a
        .set_tenant_status(&op, tenant, gatehouse::sso::TenantStatus::Suspended)
        .await
        .unwrap();
    refused_soon(app, &b, &root, "E012002", "the tenant suspended on A, checked on B").await;
}
both!(ended_on_one_instance_refused_on_the_other);

async fn a_renewal_and_a_change_by_sql_are_seen_by_the_cache(backend: Backend) {
    let api = Api::new(backend).await;
    let app = &api.app;
    let sso = app.services.sso.clone();
    let ust = api.login("default", "alice").await;
    kept_on(&sso, app, &app.base, &ust).await;
    // Kept for tenant default, it is nobody's at tenant other.
    let (status, body) = api.call("GET", "other", "/session", Some(&ust), None).await;
    assert_eq!((status, sub(&body).as_str()), (401, "E007001"), "{body}");
    let (_, before) = api.call("GET", "default", "/session", Some(&ust), None).await;
    app.services.sso.clock.advance(chrono::TimeDelta::minutes(10));
    let (status, renewed) = api.call("PATCH", "default", "/session", Some(&ust), None).await;
    assert_eq!(status, 200, "{renewed}");
    let (_, after) = api.call("GET", "default", "/session", Some(&ust), None).await;
    assert_ne!(
        after["expiration_time"], before["expiration_time"],
        "the renewal shows at once"
    );
    assert_eq!(after["expiration_time"], renewed["expiration_time"]);

    // A change no Gatehouse code made (an operator's SQL) reaches the cache through the database's triggers.
    kept_on(&sso, app, &app.base, &ust).await;
    let db = app.services.db();
    match backend {
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
            // Row-level security shows a session that names no tenant no user: it names alice's.
            conn.batch_execute(
                "SELECT set_config('gatehouse.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                 UPDATE users SET is_locked = TRUE WHERE username = 'alice'",
            )
            .unwrap();
        }
        Backend::Sqlite => {
            let path = db.url.trim_start_matches("sqlite://").to_owned();
            let mut lite = diesel::SqliteConnection::establish(&path).unwrap();
            lite.batch_execute("PRAGMA busy_timeout = 5000; UPDATE users SET is_locked = 1 WHERE username = 'alice'")
                .unwrap();
        }
    }
    refused_soon(app, &app.base, &ust, "E005002", "alice locked by SQL").await;

    // TRUNCATE fires no row trigger; its statement trigger says everything (SQLite has no TRUNCATE).
    if let Backend::Postgres = backend {
        let ust = api.login("default", "bob").await;
        kept_on(&sso, app, &app.base, &ust).await;
        let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
        conn.batch_execute("TRUNCATE sessions CASCADE").unwrap();
        refused_soon(app, &app.base, &ust, "E007001", "the sessions truncated").await;
    }
}
both!(a_renewal_and_a_change_by_sql_are_seen_by_the_cache);

use diesel::Connection;

async fn a_lost_feed_empties_the_cache_and_checks_read_the_database(backend: Backend) {
    let api = Api::new(backend).await;
    let app = &api.app;
    let sso = app.services.sso.clone();
    let ust = api.login("default", "alice").await;
    kept_on(&sso, app, &app.base, &ust).await;
    let Backend::Postgres = backend else {
        // SQLite's feed reads a table of the same file: it is lost only with the file.
        return;
    };
    let db = app.services.db();
    let mut admin = diesel::PgConnection::establish(&crate::common::pg_admin_url()).unwrap();
    let name = db.url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    // The feed's connection names itself, for operators as for this test.
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND application_name = 'gatehouse-changes'"
        ))
        .unwrap();
    let started = Instant::now();
    while sso.session_cache().is_up() {
        assert!(started.elapsed() < HEARD_WITHIN, "the lost feed was never noticed");
        actix_rt::time::sleep(Duration::from_millis(10)).await;
    }
    // Down: nothing kept, every check read from the database, and still right.
    let (status, _) = api.call("GET", "default", "/session", Some(&ust), None).await;
    assert_eq!(status, 200);
    // The feed comes back by itself, and the cache with it.
    kept_on(&sso, app, &app.base, &ust).await;
    let (status, _) = api.call("POST", "default", "/logout", Some(&ust), None).await;
    assert_eq!(status, 204);
    let (status, body) = api.call("GET", "default", "/session", Some(&ust), None).await;
    assert_eq!((status, sub(&body).as_str()), (401, "E007001"));
}
both!(a_lost_feed_empties_the_cache_and_checks_read_the_database);

async fn the_cache_holds_at_most_its_size_whatever_is_notified(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.server.session_cache_entries = 3).await;
    let api = Api { app };
    let sso = api.app.services.sso.clone();
    let mut usts = Vec::new();
    for i in 0..6 {
        let name = format!("user{i}");
        api.user("default", &name, &format!("{name}'s passphrase"), false).await;
        usts.push(api.login("default", &name).await);
    }
    kept_on(&sso, &api.app, &api.app.base, &usts[0]).await;
    for ust in &usts {
        let (status, _) = api.call("GET", "default", "/session", Some(ust), None).await;
        assert_eq!(status, 200);
    }
    assert!(sso.session_cache().len() <= 3, "{} kept", sso.session_cache().len());
    let reading = sso.session_cache().reading();
    assert!(reading.up && reading.hits >= 1 && reading.misses >= 6, "{reading:?}");
    if let Backend::Postgres = backend {
        // A storm of notifications, well-formed and not: nothing is added, nothing breaks.
        let db = api.app.services.db();
        let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
        conn.batch_execute(
            "SELECT pg_notify('gatehouse_cache', 'user 1 ' || g) FROM generate_series(1, 20000) AS g;
             SELECT pg_notify('gatehouse_cache', repeat('x', 7000)) FROM generate_series(1, 200);
             SELECT pg_notify('gatehouse_cache', 'session 1 9223372036854775807 1');",
        )
        .unwrap();
        actix_rt::time::sleep(Duration::from_millis(300)).await;
        assert!(sso.session_cache().len() <= 3);
        assert!(sso.session_cache().is_up(), "the feed survived the storm");
    }
    for ust in &usts {
        let (status, _) = api.call("GET", "default", "/session", Some(ust), None).await;
        assert_eq!(status, 200);
    }
}
both!(the_cache_holds_at_most_its_size_whatever_is_notified);
