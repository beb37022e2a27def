//! What an operator watches: `/metrics` in the Prometheus text format (on the main listener or its own),
//! `/readyz`, and the logs of a real process (JSON lines carrying the request's cid, route and tenant; the
//! effective configuration at start with its secrets redacted).

use crate::both;
use crate::common::{Backend, TestApp, TestDb, json_body};
use crate::server_process::{ServerProcess, add_user, call, login};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

async fn scrape(app: &TestApp, base: &str) -> (u16, String, String) {
    let mut res = app.client.get(format!("{base}/metrics")).send().await.unwrap();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.body().await.unwrap();
    (
        res.status().as_u16(),
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The value of the sample whose name and labels are exactly `series`, if exported.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

async fn metrics_count_requests_logins_sessions_and_the_hash_queue(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app.services.sso, "default", "mia", false).await;
    let mia = json!({"username": "mia", "password": "mia's passphrase"});
    let (status, session) = login(&app.client, &app.base, mia.clone()).await;
    assert_eq!(status, 200);
    // A second session, ended by its id: the id is in the path, never in a label.
    let (_, other) = login(&app.client, &app.base, mia).await;
    let other_id = other["session_id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app.client,
        &app.base,
        "DELETE",
        &format!("/api/v1/t/default/sessions/{other_id}"),
        session["ust"].as_str(),
        None,
    )
    .await;
    assert!((200..300).contains(&status), "{status}");
    assert_eq!(
        login(&app.client, &app.base, json!({"username": "mia", "password": "wrong"}))
            .await
            .0,
        401
    );
    assert_eq!(
        login(&app.client, &app.base, json!({"username": "mia", "password": "wrong"}))
            .await
            .0,
        401
    );
    app.services.sso.refresh_gauges().await.unwrap();

    let (status, content_type, text) = scrape(&app, &app.base).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let route = r#"route="/api/v1/t/{tenant}/login""#;
    assert_eq!(
        sample(
            &text,
            &format!(r#"gatehouse_http_requests_total{{method="POST",{route},status="200"}}"#)
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(r#"gatehouse_http_requests_total{{method="POST",{route},status="401"}}"#)
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!(r#"gatehouse_http_request_duration_seconds_count{{method="POST",{route}}}"#)
        ),
        Some(4.0)
    );
    assert_eq!(
        sample(&text, r#"gatehouse_logins_total{outcome="ok",tenant="default"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, r#"gatehouse_logins_total{outcome="E005001",tenant="default"}"#),
        Some(2.0)
    );
    // Three logins, three password checks through the queue (the user's creation hashed once more).
    let served = sample(&text, r#"gatehouse_hash_jobs_total{stage="served"}"#).unwrap();
    assert!(served >= 4.0, "{served}");
    assert_eq!(sample(&text, "gatehouse_hash_queue_depth"), Some(0.0));
    assert_eq!(
        sample(&text, r#"gatehouse_hash_rejections_total{reason="queue_full"}"#),
        Some(0.0)
    );
    assert!(sample(&text, "gatehouse_hash_queue_wait_seconds_total").is_some());
    assert_eq!(sample(&text, "gatehouse_db_pool_max_connections"), Some(4.0));
    assert!(sample(&text, r#"gatehouse_db_pool_connections{state="idle"}"#).unwrap() >= 1.0);
    assert!(sample(&text, "gatehouse_db_pool_wait_seconds_count").unwrap() >= 1.0);
    assert_eq!(
        sample(&text, r#"gatehouse_active_sessions{tenant="default"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, r#"gatehouse_mail_outbox_messages{state="waiting"}"#),
        Some(0.0)
    );
    // Paths with ids never become labels: the session route is counted under its template.
    let ended = r#"method="DELETE",route="/api/v1/t/{tenant}/sessions/{session_id}""#;
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("gatehouse_http_requests_total{{{ended},status=\"20"))),
        "{text}"
    );
    assert!(!text.contains(&other_id));
}
both!(metrics_count_requests_logins_sessions_and_the_hash_queue);

#[actix_rt::test]
async fn metrics_bind_serves_metrics_on_their_own_listener_only() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.metrics_bind = "127.0.0.1:0".to_owned()).await;
    let metrics_base = app.metrics_base.clone().expect("a metrics listener");
    let (status, _, text) = scrape(&app, &metrics_base).await;
    assert_eq!(status, 200);
    assert!(text.contains("gatehouse_hash_queue_depth"));
    assert_eq!(scrape(&app, &app.base).await.0, 404, "not on the public listener");
    let res = app.client.get(format!("{metrics_base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 404, "the metrics listener serves nothing else");
}

#[actix_rt::test]
async fn a_taken_metrics_address_is_named_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let services = crate::common::TestSso::open_with(Backend::Sqlite, |c| c.server.metrics_bind = addr.clone()).await;
    let err = gatehouse::http::Application::build(services.sso.clone())
        .err()
        .expect("the port is taken");
    assert!(
        err.to_string().starts_with(&format!("server.metrics_bind {addr}: ")),
        "{err}"
    );
}

/// The newest migration's version, as Diesel records it.
fn forget_newest_migration(db: &TestDb) {
    match db.backend {
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&db.url).unwrap();
            conn.batch_execute(
                "DELETE FROM __diesel_schema_migrations WHERE version = \
                 (SELECT max(version) FROM __diesel_schema_migrations)",
            )
            .unwrap();
        }
        Backend::Sqlite => {
            let path = db.url.strip_prefix("sqlite://").unwrap();
            let mut conn = SqliteConnection::establish(path).unwrap();
            conn.batch_execute(
                "DELETE FROM __diesel_schema_migrations WHERE version = \
                 (SELECT max(version) FROM __diesel_schema_migrations)",
            )
            .unwrap();
        }
    }
}

async fn readyz_needs_the_database_and_every_migration(backend: Backend) {
    let db = TestDb::new(backend);
    let mut config = crate::common::test_config(&db);
    config.server.readiness_timeout_ms = 500;
    let sso = gatehouse::sso::Sso::open(config, gatehouse::sso::Clock::System, None)
        .await
        .unwrap()
        .sso;
    let app = gatehouse::http::Application::build(sso).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_rt::spawn(app.into_server());
    let client = awc::Client::default();
    let mut res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_body(&mut res).await, json!({"status": "ready"}));

    forget_newest_migration(&db);
    let mut res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(
        json_body(&mut res).await,
        json!({"status": "unavailable", "reason": "migrations_pending"})
    );
    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "alive, though not ready");
}
both!(readyz_needs_the_database_and_every_migration);

#[actix_rt::test]
async fn json_logs_carry_the_cid_route_and_tenant_and_the_config_is_printed_redacted() {
    let db = TestDb::new(Backend::Postgres);
    let key = gatehouse::crypto::keys::generate();
    let smtp_password = "smtp-secret-never-logged";
    let server = ServerProcess::start(
        db.dir.path(),
        &[
            ("GATEHOUSE__DATABASE__URL", db.url.clone()),
            ("GATEHOUSE__CRYPTO__FERNET_KEYS", key.clone()),
            ("GATEHOUSE__MAIL__SMTP_PASSWORD", smtp_password.to_owned()),
            ("GATEHOUSE__LOG__FORMAT", "json".to_owned()),
            ("GATEHOUSE__LOG__LEVEL", "debug".to_owned()),
        ],
    )
    .await;
    let cid = "zcidjsonlogs000000000000000001";
    let res = awc::Client::default()
        .post(server.url("/api/v1/t/default/login"))
        .insert_header(("X-Current-App", "CRM"))
        .insert_header(("X-Correlation-ID", cid))
        .send_json(&json!({"username": "nobody", "password": "not a passphrase 1"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // The access line is written once the response has gone: wait for it.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = server.stderr_lines();
        if lines.iter().any(|l| l.contains(cid) && l.contains("\"status\":401")) {
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON line: {l}")))
        .collect();
    let ours: Vec<&Value> = parsed.iter().filter(|v| v["span"]["cid"] == cid).collect();
    assert!(ours.len() >= 2, "the login's own line and the access line: {ours:?}");
    for line in &ours {
        assert_eq!(line["span"]["route"], "/api/v1/t/{tenant}/login", "{line}");
        assert_eq!(line["span"]["tenant"], "default", "{line}");
    }
    assert!(ours.iter().any(|l| l["fields"]["message"] == "login"));
    assert!(
        ours.iter()
            .any(|l| l["fields"]["message"] == "request" && l["fields"]["status"] == 401)
    );

    let effective = parsed
        .iter()
        .find(|v| v["fields"]["message"] == "effective configuration")
        .expect("the effective configuration is printed at start");
    let config: Value = serde_json::from_str(effective["fields"]["config"].as_str().unwrap()).unwrap();
    assert_eq!(config["crypto"]["fernet_keys"], json!(["[redacted]"]));
    assert_eq!(config["mail"]["smtp_password"], "[redacted]");
    assert_eq!(config["database"]["url"], "[redacted]");
    assert_eq!(config["log"]["format"], "json");
    let everything = lines.join("\n");
    assert!(!everything.contains(&key));
    assert!(!everything.contains(smtp_password));
    assert!(!everything.contains("not a passphrase 1"));
}

/// With many tenants (100 here, the point from which passes are spread) the gauges and the cleanup take the
/// time they are given rather than running in one burst.
async fn background_passes_over_many_tenants_are_spread(backend: Backend) {
    use gatehouse::store::schema::tenants;
    let t = crate::common::TestSso::open(backend).await;
    let now = t.sso.clock.now();
    let spread = std::time::Duration::from_millis(400);
    t.sso
        .store
        .global(move |c| {
            for i in 0..gatehouse::sso::pacing::SPREAD_FROM {
                diesel::insert_into(tenants::table)
                    .values((
                        tenants::slug.eq(format!("spread{i}")),
                        tenants::display_name.eq("Spread"),
                        tenants::status.eq("active"),
                        tenants::settings_version.eq(1_i64),
                        tenants::creation_time.eq(now),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let many = std::time::Instant::now();
    t.sso.refresh_gauges_within(spread).await.unwrap();
    assert!(many.elapsed() >= spread, "the gauges took {:?}", many.elapsed());
    let many = std::time::Instant::now();
    t.sso.cleanup_within(spread).await.unwrap();
    assert!(many.elapsed() >= spread, "the cleanup took {:?}", many.elapsed());
}
both!(background_passes_over_many_tenants_are_spread);
