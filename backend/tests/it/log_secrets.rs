//! No secret reaches a log line. Every test's services log at trace level into one buffer (see
//! `common::capture_logs`), and each test's end scans it for secret patterns and for every secret the tests
//! registered (USTs, session ids, TOTP keys, recovery codes, reset and confirmation tokens, cookies). These
//! tests prove the capture sees real traffic and that the scan would find a leak.

use crate::common::{Backend, TestApp, first_leak, json_body, logs, remember_secret};
use gatehouse::crypto::password::Password;
use gatehouse::sso::NewUser;
use serde_json::json;

#[actix_rt::test]
async fn the_capture_sees_requests_and_logins_but_no_secrets() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ctx = app.services.ctx("default").await;
    let password = "logscan's unique passphrase 7Q";
    let new = NewUser {
        username: "logscan".into(),
        password: Some(Password::new(password)),
        auto_approve: true,
        ..NewUser::default()
    };
    app.services
        .sso
        .create_user(&app.services.sso.cli_admin(ctx.tenant.clone()), new)
        .await
        .unwrap();
    remember_secret(password);
    let cid = "zcidlogscan0000000000000000000";
    let mut res = app
        .client
        .post(app.url("/api/v1/t/default/login"))
        .insert_header(("X-Current-App", "CRM"))
        .insert_header(("X-Correlation-ID", cid))
        .send_json(&json!({"username": "logscan", "password": password}))
        .await
        .unwrap();
    let body = json_body(&mut res).await;
    let ust = body["ust"].as_str().unwrap().to_owned();
    remember_secret(&ust);
    let mut res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/t/default/sessions/{}",
            body["session_id"].as_str().unwrap()
        )))
        .insert_header(("X-Current-App", "CRM"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", json_body(&mut res).await);

    let logs = logs();
    let ours: Vec<&str> = logs.lines().filter(|l| l.contains(cid)).collect();
    assert!(
        ours.iter()
            .any(|l| l.contains("route=/api/v1/t/{tenant}/login") && l.contains("status=200")),
        "the access log line is captured: {ours:?}"
    );
    assert!(
        ours.iter()
            .any(|l| l.contains("DEBUG") && l.contains("login") && l.contains("outcome=ok")),
        "trace-level events are captured: {ours:?}"
    );
    assert!(
        ours.iter().any(|l| l.contains("DEBUG")
            && l.contains("outcome=ok")
            && l.contains("route=/api/v1/t/{tenant}/login")
            && l.contains("tenant=default")),
        "a line logged inside the request carries its route and tenant from the request's span: {ours:?}"
    );
    assert!(
        logs.lines()
            .any(|l| l.contains("route=/api/v1/t/{tenant}/sessions/{session_id}")),
        "paths are logged as their patterns, without the session id"
    );
    assert_eq!(first_leak(&logs, &[password.to_owned(), ust.clone()]), None);
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    let clean = "INFO request cid=zcid1 route=/api/v1/t/{tenant}/login status=200";
    assert_eq!(first_leak(clean, &["s3cr3t-token".to_owned()]), None);
    // A correlation id that holds a token's prefix by chance is not a token.
    let by_chance = "DEBUG request{cid=zcid1ba5gx8d0hzsesxapqa00svqvk}: login outcome=ok";
    assert_eq!(first_leak(by_chance, &[]), None);
    for leaked in [
        "DEBUG login ust=gAAAAABnXyz",
        "DEBUG session secret=zust0123",
        "INFO path=/sessions/zses9",
        "WARN password=\"amy's passphrase\"",
        "DEBUG body token=s3cr3t-token",
    ] {
        let found = first_leak(&format!("{clean}\n{leaked}"), &["s3cr3t-token".to_owned()]);
        assert_eq!(found.map(|(_, line)| line), Some(leaked.to_owned()));
    }
}
