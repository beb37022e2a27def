//! `gatehouse import zato` against a Zato-shaped SQLite ODB built by Python (cryptography's Fernet, passlib's
//! pbkdf2_sha512, sealed values stored as BLOBs as Zato leaves them): ids, states, locks, expiry, must-change
//! and TOTP come across; Zato's passwords log in and are rehashed to Argon2id; encrypted e-mails and attributes
//! are opened with Zato's key and sealed with Gatehouse's; a second run duplicates nothing.

use crate::both;
use crate::cli::{Cli, one_line_error};
use crate::common::{Backend, TestDb, python};
use crate::server_process::{call, sub_status};
use gatehouse::http::Application;
use gatehouse::sso::UserRef;
use serde_json::{Value, json};

async fn zato_users_come_over_with_their_passwords(backend: Backend) {
    users_come_over(backend, Backend::Sqlite).await
}
both!(zato_users_come_over_with_their_passwords);

/// The same, from a Zato ODB on PostgreSQL (its own database, filled with the same rows).
#[actix_rt::test]
async fn from_a_zato_odb_on_postgresql() {
    users_come_over(Backend::Postgres, Backend::Postgres).await
}

async fn users_come_over(backend: Backend, source: Backend) {
    let cli = Cli::new(backend);
    let zato_key = gatehouse::crypto::keys::generate();
    let odb = cli.db.dir.path().join("zato.db");
    let sql = cli.db.dir.path().join("zato.sql");
    let made = std::process::Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/make_zato_odb.py"))
        .arg(&odb)
        .arg(&zato_key)
        .arg(&sql)
        .output()
        .expect("run Python");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let ids: Value = serde_json::from_slice(&made.stdout).unwrap();
    let zato_pg = (source == Backend::Postgres).then(|| TestDb::new(Backend::Postgres));
    let from = match &zato_pg {
        Some(db) => {
            use diesel::Connection;
            use diesel::connection::SimpleConnection;
            let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
            conn.batch_execute(&std::fs::read_to_string(&sql).unwrap()).unwrap();
            db.url.clone()
        }
        None => format!("sqlite://{}", odb.display()),
    };
    let import = || {
        cli.run(
            &[
                "import",
                "zato",
                "--from",
                &from,
                "--zato-key",
                "-",
                "--tenant",
                "default",
            ],
            Some(&format!("{zato_key}\n")),
        )
    };

    let first = import();
    one_line_error(&first, 1, "2 users could not be imported");
    assert!(
        first.stdout.contains("4 imported (2 attributes), 0 skipped, 2 failed"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("failed\tzusr05050505050505050505050505 eve: the password hash is of a kind"),
        "{}",
        first.stdout
    );
    assert!(!first.stdout.contains("pbkdf2") && !first.stdout.contains(&zato_key));
    let second = import();
    assert!(
        second.stdout.contains("0 imported (0 attributes), 4 skipped, 2 failed"),
        "a second run duplicates nothing: {}",
        second.stdout
    );

    let sso = cli.sso().await;
    let ctx = sso.cli_ctx(sso.resolve_tenant("default").await.unwrap());
    let find = |id: &str| {
        let (sso, ctx, id) = (sso.clone(), ctx.clone(), UserRef::Id(id.to_owned()));
        async move { crate::common::stored_user(&sso, &ctx, &id).await }
    };
    let alice = find(ids["alice"].as_str().unwrap()).await.unwrap();
    assert!(
        alice.password_hash.starts_with("$pbkdf2-sha512$1000$"),
        "kept as Zato made it"
    );
    assert!(alice.is_super_user && alice.is_totp_enabled && !alice.is_locked);
    assert_eq!(alice.sign_up_time.to_string(), "2026-11-20 09:00:00");
    assert_eq!(alice.password_expiry.to_string(), "2028-11-20 09:00:00");
    assert!(
        alice.email.as_deref().is_some_and(|e| e.starts_with("gAAAAA")),
        "re-sealed"
    );
    assert_eq!(sso.open_email(alice.email.as_deref().unwrap()), "alice@example.com");
    let label = alice.totp_label.as_deref().and_then(|l| sso.keyring.open_text(l));
    assert_eq!(label.as_deref(), Some("Alice's phone"));
    assert!(alice.email_confirmed);
    let bob = find(ids["bob"].as_str().unwrap()).await.unwrap();
    assert_eq!(bob.totp_label, None, "Zato's <default-label> means none");
    assert_eq!(
        bob.email.as_deref().map(|e| sso.open_email(e)).as_deref(),
        Some("bob@example.com")
    );
    assert!(bob.is_locked);
    assert_eq!(bob.locked_by.as_deref(), Some("auto"));
    let carol = find(ids["carol"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        (carol.approval_status.as_str(), carol.sign_up_status.as_str()),
        ("before_decision", "before_confirmation")
    );
    assert!(
        !carol.email_confirmed,
        "a sign-up still to confirm has not confirmed its address"
    );
    let dave = find(ids["dave"].as_str().unwrap()).await.unwrap();
    assert!(dave.password_must_change);

    // Over HTTP: Zato's password (and TOTP key) log alice in, and her hash becomes Argon2id.
    let server = Application::build(sso.clone()).unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    actix_rt::spawn(server.into_server());
    let client = awc::Client::default();
    let login = |name: &'static str, extra: Value| {
        let mut body = json!({"username": name, "password": format!("{name}'s zato passphrase")});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (client, base) = (client.clone(), base.clone());
        async move { crate::server_process::login(&client, &base, body).await }
    };
    let (status, reply) = login("alice", json!({})).await;
    assert_eq!((status, sub_status(&reply)), (401, "E005008".to_owned()), "TOTP is on");
    let code =
        gatehouse::sso::totp::code_at("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", chrono::Utc::now().naive_utc()).unwrap();
    let (status, reply) = login("alice", json!({"totp_code": code})).await;
    assert_eq!(status, 200, "{reply}");
    let ust = reply["ust"].as_str().unwrap().to_owned();
    let alice = find(ids["alice"].as_str().unwrap()).await.unwrap();
    assert!(alice.password_hash.starts_with("$argon2id$"), "rehashed at login");
    assert!(alice.totp_last_step.is_some(), "the rehash kept the used TOTP step");
    let (status, _) = login("alice", json!({"totp_code": code})).await;
    assert_eq!(status, 401, "the code's step is used up, rehash or not");
    let (status, theme) = call(
        &client,
        &base,
        "GET",
        "/api/v1/t/default/users/me/attrs/theme",
        Some(&ust),
        None,
    )
    .await;
    assert_eq!((status, theme["value"].clone()), (200, json!("dark")));
    let (status, card) = call(
        &client,
        &base,
        "GET",
        "/api/v1/t/default/users/me/attrs/card",
        Some(&ust),
        None,
    )
    .await;
    assert_eq!(
        (status, card["value"].clone()),
        (200, json!({"pan": "4111-secret"})),
        "{card}"
    );
    let (status, _) = call(
        &client,
        &base,
        "GET",
        "/api/v1/t/default/users/me/attrs/cart",
        Some(&ust),
        None,
    )
    .await;
    assert_eq!(status, 404, "session attributes stay behind with Zato's sessions");

    let (status, reply) = login("bob", json!({})).await;
    assert_eq!(
        (status, sub_status(&reply)),
        (401, "E005002".to_owned()),
        "still locked"
    );
    let (status, reply) = login("carol", json!({})).await;
    assert_eq!(status, 401, "still waiting: {reply}");
    let (status, reply) = login("dave", json!({})).await;
    assert_eq!(
        (status, sub_status(&reply)),
        (401, "E003007".to_owned()),
        "must change: {reply}"
    );
}
