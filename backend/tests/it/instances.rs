//! Two `gatehouse serve` processes on one PostgreSQL database behave as one service: a session made on one is
//! verified, renewed and ended on the other, failures counted on both lock the account for both, and a
//! settings change made on one is followed by the other within `server.tenant_cache_ms`.

use crate::common::{Backend, TestDb};
use crate::server_process::{ServerProcess, add_user, call, setup_sso, sub_status};
use serde_json::json;
use std::time::{Duration, Instant};

#[actix_rt::test]
async fn two_processes_share_sessions_lockouts_and_settings() {
    let db = TestDb::new(Backend::Postgres);
    let key = gatehouse::crypto::keys::generate();
    let sso = setup_sso(&db, &key).await;
    add_user(&sso, "default", "root", true).await;
    add_user(&sso, "default", "alice", false).await;
    add_user(&sso, "default", "kim", false).await;
    let env = [
        ("GATEHOUSE__DATABASE__URL", db.url.clone()),
        ("GATEHOUSE__CRYPTO__FERNET_KEYS", key.clone()),
        ("GATEHOUSE__SERVER__TENANT_CACHE_MS", "1000".to_owned()),
        ("GATEHOUSE__LOG__LEVEL", "warn".to_owned()),
    ];
    let a = ServerProcess::start(db.dir.path(), &env).await;
    let b = ServerProcess::start(db.dir.path(), &env).await;
    let client = awc::Client::default();
    let login = |base: String, name: &'static str, password: String| {
        let client = client.clone();
        async move { crate::server_process::login(&client, &base, json!({"username": name, "password": password})).await }
    };

    // A session made on A is verified, renewed and ended on B.
    let (status, session) = login(a.base.clone(), "alice", "alice's passphrase".to_owned()).await;
    assert_eq!(status, 200, "{session}");
    let ust = session["ust"].as_str().unwrap().to_owned();
    let (status, seen) = call(&client, &b.base, "GET", "/api/v1/t/default/session", Some(&ust), None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["session_id"], session["session_id"]);
    let (status, renewed) = call(&client, &b.base, "PATCH", "/api/v1/t/default/session", Some(&ust), None).await;
    assert_eq!(status, 200, "{renewed}");
    let (status, _) = call(&client, &b.base, "POST", "/api/v1/t/default/logout", Some(&ust), None).await;
    assert!((200..300).contains(&status), "logout on B: {status}");
    let (status, gone) = call(&client, &a.base, "GET", "/api/v1/t/default/session", Some(&ust), None).await;
    assert_eq!(
        (status, sub_status(&gone)),
        (401, "E007001".to_owned()),
        "ended on B, gone on A"
    );

    // Failures counted on both instances lock the account on both (login.max_failures = 5).
    for base in [&a.base, &b.base, &a.base, &b.base, &a.base] {
        let (status, _) = login(base.clone(), "kim", "wrong".to_owned()).await;
        assert_eq!(status, 401);
    }
    for base in [&a.base, &b.base] {
        let (status, reply) = login(base.clone(), "kim", "kim's passphrase".to_owned()).await;
        assert_eq!(
            status, 401,
            "the right password no longer opens the locked account: {reply}"
        );
    }
    let kim = crate::common::stored_user(
        &sso,
        &sso.cli_ctx(sso.resolve_tenant("default").await.unwrap()),
        &gatehouse::sso::UserRef::Username("kim".into()),
    )
    .await
    .unwrap();
    assert!(kim.is_locked, "locked in the shared database");

    // A settings change on A reaches B within server.tenant_cache_ms (1 s), plus slack for a loaded machine.
    let (status, root) = login(a.base.clone(), "root", "root's passphrase".to_owned()).await;
    assert_eq!(status, 200, "{root}");
    let root_ust = root["ust"].as_str().unwrap().to_owned();
    // B has read the tenant's settings (a login on B) before the change.
    assert_eq!(
        login(b.base.clone(), "alice", "alice's passphrase".to_owned()).await.0,
        200
    );
    let (status, view) = call(
        &client,
        &a.base,
        "PATCH",
        "/api/v1/t/default/settings",
        Some(&root_ust),
        Some(json!({"session": {"expiry": 5}})),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    let changed = Instant::now();
    let minutes_left = |session: &serde_json::Value| {
        let created = chrono::DateTime::parse_from_rfc3339(session["creation_time"].as_str().unwrap()).unwrap();
        let expires = chrono::DateTime::parse_from_rfc3339(session["expiration_time"].as_str().unwrap()).unwrap();
        (expires - created).num_minutes()
    };
    loop {
        let (status, session) = login(b.base.clone(), "alice", "alice's passphrase".to_owned()).await;
        assert_eq!(status, 200, "{session}");
        if minutes_left(&session) == 5 {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_millis(3000),
            "B still uses the old session.expiry {} ms after the change",
            changed.elapsed().as_millis()
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}
