//! The HTTP skeleton on a real server: health, the correlation id, tenant resolution on both surfaces, and
//! unknown routes.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use gatehouse::sso::{Actor, TenantStatus};

async fn healthz_answers_and_echoes_a_sane_correlation_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut res = app
        .client
        .get(app.url("/healthz"))
        .insert_header(("X-Correlation-ID", "req-42.a:b"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("x-correlation-id").unwrap(), "req-42.a:b");
    assert_eq!(json_body(&mut res).await["status"], "ok");

    // An unsafe value is replaced, never echoed.
    let res = app
        .client
        .get(app.url("/healthz"))
        .insert_header(("X-Correlation-ID", "bad value; drop"))
        .send()
        .await
        .unwrap();
    let cid = res
        .headers()
        .get("x-correlation-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cid.starts_with("zcid") && cid != "bad value; drop");
    // Without one, each request gets its own.
    let a = app.client.get(app.url("/healthz")).send().await.unwrap();
    let b = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(a.headers().get("x-correlation-id"), b.headers().get("x-correlation-id"));
}
both!(healthz_answers_and_echoes_a_sane_correlation_id);

async fn an_unknown_tenant_is_e012001_on_both_surfaces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut res = app
        .client
        .post(app.url("/api/v1/t/nope/login"))
        .send_body("{}")
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers().get("content-type").unwrap(), "application/problem+json");
    let cid = res
        .headers()
        .get("x-correlation-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body = json_body(&mut res).await;
    assert_eq!(body["sub_status"], serde_json::json!(["E012001"]));
    assert_eq!(body["status"], 404);
    assert_eq!(body["cid"], cid.as_str(), "the body's cid is the header's");

    let mut res = app
        .client
        .post(app.url("/t/nope/zato/sso/user/login"))
        .send_body("{}")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body = json_body(&mut res).await;
    assert_eq!(body["status"], "error");
    assert_eq!(body["sub_status"], serde_json::json!(["E012001"]));
    assert!(body["cid"].is_string());

    let mut res = app
        .client
        .post(app.url("/zato/sso/user/login"))
        .insert_header(("X-Gatehouse-Tenant", "nope"))
        .send_body("{}")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(json_body(&mut res).await["sub_status"], serde_json::json!(["E012001"]));
}
both!(an_unknown_tenant_is_e012001_on_both_surfaces);

async fn a_suspended_tenant_is_e012002_and_known_tenants_pass(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sso = &app.services.sso;
    sso.create_tenant("acme", None, Actor::Auto, "t").await.unwrap();
    // A known, active tenant gets past resolution to the route lookup.
    let mut res = app
        .client
        .get(app.url("/api/v1/t/acme/no-such-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(json_body(&mut res).await["sub_status"], serde_json::json!(["E008002"]));

    let ctx = app.services.ctx("acme").await;
    sso.set_tenant_status(
        &sso.cli_operator().await.unwrap(),
        ctx.tenant.clone(),
        TenantStatus::Suspended,
    )
    .await
    .unwrap();
    let mut res = app
        .client
        .get(app.url("/api/v1/t/acme/no-such-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(json_body(&mut res).await["sub_status"], serde_json::json!(["E012002"]));
    let mut res = app
        .client
        .post(app.url("/t/acme/zato/sso/user/login"))
        .send_body("{}")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(json_body(&mut res).await["sub_status"], serde_json::json!(["E012002"]));
}
both!(a_suspended_tenant_is_e012002_and_known_tenants_pass);

async fn unknown_routes_are_404_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut res = app.client.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers().get("content-type").unwrap(), "application/problem+json");
    assert!(json_body(&mut res).await["cid"].is_string());
}
both!(unknown_routes_are_404_problems);

async fn hsts_is_sent_only_when_served_over_https(backend: Backend) {
    let plain = TestApp::spawn(backend).await;
    let res = plain.client.get(plain.url("/healthz")).send().await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());

    let tls = TestApp::spawn_with(backend, |c| c.server.public_url = "https://sso.example.com".to_owned()).await;
    for path in ["/healthz", "/t/default/login", "/api/v1/t/default/session"] {
        let res = tls.client.get(tls.url(path)).send().await.unwrap();
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap().to_owned()),
            Some("max-age=31536000; includeSubDomains".to_owned()),
            "{path}"
        );
    }
}
both!(hsts_is_sent_only_when_served_over_https);

/// Sends `head` (and then nothing) on a raw connection and returns what the server answers within three
/// seconds: above the configured one, below actix's default of five.
async fn trickle(app: &TestApp, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

async fn slow_clients_are_cut_off(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.server.request_timeout_seconds = 1).await;
    // A head that never ends.
    let answer = trickle(&app, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A body announced but not sent: 408 with the problem body, and no login attempted.
    let answer = trickle(
        &app,
        "POST /api/v1/t/default/login HTTP/1.1\r\nHost: localhost\r\nX-Current-App: CRM\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"username\": \"adm",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("E008002"), "{answer}");
}
both!(slow_clients_are_cut_off);
