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
    sso.set_tenant_status(&ctx, TenantStatus::Suspended).await.unwrap();
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
