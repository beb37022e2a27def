//! Fernet key rotation on a live store: a new key goes first, `rotate_keys` re-seals every sealed value under
//! it, nobody is logged out, and once the old key is removed everything stored still opens (TOTP keys,
//! e-mails and their lookup hashes, encrypted attributes); only USTs sealed with the removed key stop working,
//! as the report warned.

use crate::both;
use crate::common::{Backend, TestApp, start_time};
use crate::server_process::{call, login, sub_status};
use chrono::TimeDelta;
use gatehouse::config::SecretList;
use gatehouse::crypto::password::Password;
use gatehouse::http::Application;
use gatehouse::sso::{Clock, NewUser, Sso};
use serde_json::json;

const TOTP_KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Another instance on the same store with these keys, its clock `minutes` after the start.
async fn instance(app: &TestApp, keys: &[&str], minutes: i64) -> Result<(String, Sso), String> {
    let mut config = (*app.services.sso.config).clone();
    config.crypto.fernet_keys = SecretList::new(keys.iter().map(|k| (*k).to_owned()).collect());
    let clock = Clock::manual(start_time() + TimeDelta::minutes(minutes));
    let sso = Sso::open(config, clock, None).await.map_err(|e| e.to_string())?.sso;
    let server = Application::build(sso.clone()).expect("bind");
    let base = format!("http://127.0.0.1:{}", server.port());
    actix_rt::spawn(server.into_server());
    Ok((base, sso))
}

async fn login_with_totp(app: &TestApp, base: &str, sso: &Sso) -> (u16, serde_json::Value) {
    let code = gatehouse::sso::totp::code_at(TOTP_KEY, sso.clock.now()).unwrap();
    login(
        &app.client,
        base,
        json!({"username": "tara", "password": "tara's passphrase", "totp_code": code}),
    )
    .await
}

async fn rotation_reseals_everything_and_logs_nobody_out(backend: Backend) {
    let (k1, k2) = (gatehouse::crypto::keys::generate(), gatehouse::crypto::keys::generate());
    let app = TestApp::spawn_with(backend, |c| c.crypto.fernet_keys = SecretList::new(vec![k1.clone()])).await;
    let ctx = app.services.ctx("default").await;
    let new = NewUser {
        username: "tara".into(),
        password: Some(Password::new("tara's passphrase")),
        email: Some("tara@example.com".into()),
        totp_key: Some(TOTP_KEY.into()),
        auto_approve: true,
        ..NewUser::default()
    };
    app.services
        .sso
        .create_user(&app.services.sso.cli_admin(ctx.tenant.clone()), new)
        .await
        .unwrap();
    let (status, first) = login_with_totp(&app, &app.base, &app.services.sso).await;
    assert_eq!(status, 200, "{first}");
    let old_ust = first["ust"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app.client,
        &app.base,
        "POST",
        "/api/v1/t/default/users/me/attrs",
        Some(&old_ust),
        Some(json!({"name": "card", "value": "4111-secret", "encrypt": true})),
    )
    .await;
    assert_eq!(status, 201);
    // A reset request waiting for the mail sender holds its credential sealed.
    let (status, _) = call(
        &app.client,
        &app.base,
        "POST",
        "/api/v1/t/default/password-reset",
        None,
        Some(json!({"credential": "tara"})),
    )
    .await;
    assert_eq!(status, 202);

    // The new key first, the old one kept: every instance restarts with both, then the rotation runs.
    let (base2, sso2) = instance(&app, &[&k2, &k1], 1).await.unwrap();
    let checked = sso2.rotate_keys(true).await.unwrap();
    assert_eq!(checked.keys, 2);
    assert!(checked.unreadable.is_empty(), "{:?}", checked.unreadable);
    let report = sso2.rotate_keys(false).await.unwrap();
    assert_eq!(report.resealed.get("users.email"), Some(&1), "{report:?}");
    assert_eq!(report.resealed.get("users.totp_key"), Some(&1));
    assert_eq!(report.resealed.get("attrs.value"), Some(&1));
    assert_eq!(report.resealed.get("reset_requests.credential_sealed"), Some(&1));
    assert_eq!(report.live_sessions, 1);
    assert_eq!(
        report.older_keys_needed_until,
        Some(start_time() + TimeDelta::minutes(720)),
        "a session's absolute lifetime bounds how long its UST may be used"
    );
    let again = sso2.rotate_keys(true).await.unwrap();
    assert_eq!(again.resealed_total(), 0, "everything is sealed with the first key now");
    assert_eq!(again.current, report.resealed_total());

    // Nobody was logged out: the UST sealed with the old key still works, here and on the old instance.
    for base in [&base2, &app.base] {
        let (status, reply) = call(
            &app.client,
            base,
            "GET",
            "/api/v1/t/default/session",
            Some(&old_ust),
            None,
        )
        .await;
        assert_eq!(status, 200, "{reply}");
    }
    let (status, attr) = call(
        &app.client,
        &base2,
        "GET",
        "/api/v1/t/default/users/me/attrs/card",
        Some(&old_ust),
        None,
    )
    .await;
    assert_eq!((status, attr["value"].clone()), (200, json!("4111-secret")));

    // The old key removed: what is stored opens with the new key alone.
    let (base3, sso3) = instance(&app, &[&k2], 2).await.unwrap();
    let (status, second) = login_with_totp(&app, &base3, &sso3).await;
    assert_eq!(status, 200, "the re-sealed TOTP key opens: {second}");
    let new_ust = second["ust"].as_str().unwrap().to_owned();
    let (status, me) = call(
        &app.client,
        &base3,
        "GET",
        "/api/v1/t/default/users/me",
        Some(&new_ust),
        None,
    )
    .await;
    assert_eq!((status, me["email"].clone()), (200, json!("tara@example.com")), "{me}");
    let (status, attr) = call(
        &app.client,
        &base3,
        "GET",
        "/api/v1/t/default/users/me/attrs/card",
        Some(&new_ust),
        None,
    )
    .await;
    assert_eq!((status, attr["value"].clone()), (200, json!("4111-secret")));
    // E-mail lookup hashes outlive the old key: the address is still found by its hash (as sign-up, reset and
    // search find it).
    let ctx3 = sso3.cli_ctx(sso3.resolve_tenant("default").await.unwrap());
    let hash = sso3
        .keyring
        .lookup_hash(&gatehouse::sso::user::normalise_email("TARA@example.com"));
    let pk = ctx3.tenant.pk;
    let found = sso3
        .store
        .tenant(pk, move |conn| gatehouse::store::users::by_email_hash(conn, pk, &hash))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.username), Some("tara".to_owned()));
    // The waiting reset request is read with the new key alone: its link goes out.
    let mail = crate::common::outbox_rows(&sso3).await;
    assert!(
        mail.iter()
            .any(|m| m.kind == "password_reset" && m.recipient == "tara@example.com"),
        "{:?}",
        mail.iter().map(|m| &m.kind).collect::<Vec<_>>()
    );
    // Only a UST sealed with the removed key stops working, as the report said it would.
    let (status, reply) = call(
        &app.client,
        &base3,
        "GET",
        "/api/v1/t/default/session",
        Some(&old_ust),
        None,
    )
    .await;
    assert_eq!((status, sub_status(&reply)), (401, "E007001".to_owned()));

    // Keys that open nothing stored are refused at start, naming the setting.
    let k3 = gatehouse::crypto::keys::generate();
    let refused = instance(&app, &[&k3], 3).await.unwrap_err();
    assert!(refused.contains("crypto.fernet_keys"), "{refused}");

    // A value no key opens stops a rotation before it writes anything.
    let foreign = gatehouse::crypto::keyring::Keyring::new(std::slice::from_ref(&k3))
        .unwrap()
        .seal(b"JBSWY3DPEHPK3PXP");
    sso3.store
        .tenant(pk, move |conn| {
            use diesel::prelude::*;
            use gatehouse::store::schema::users;
            diesel::update(users::table.filter(users::username.eq("tara")))
                .set(users::totp_key.eq(foreign))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, sso4) = instance(&app, &[&k1, &k2], 3).await.unwrap();
    let stopped = sso4.rotate_keys(false).await.unwrap();
    assert_eq!(stopped.unreadable.len(), 1, "{stopped:?}");
    assert!(stopped.unreadable[0].starts_with("default users.totp_key row "));
    assert_eq!(
        sso4.rotate_keys(true).await.unwrap().resealed_total(),
        stopped.resealed_total(),
        "nothing was re-sealed"
    );
}
both!(rotation_reseals_everything_and_logs_nobody_out);
