//! Password guessing: failures counted per user and per address in the database (shared by instances), the
//! automatic lock and its end, and the per-address throttle that refuses before any hashing.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{NewUser, UserRef};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

async fn login(
    app: &TestApp,
    base: &str,
    username: &str,
    password: &str,
    from: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut req = app
        .client
        .post(format!("{base}/api/v1/t/default/login"))
        .insert_header(("X-Current-App", "CRM"));
    if let Some(addr) = from {
        req = req.insert_header(("X-Forwarded-For", addr));
    }
    let mut res = req
        .send_json(&json!({"username": username, "password": password}))
        .await
        .unwrap();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), json_body(&mut res).await, retry)
}

fn sub(v: &Value) -> String {
    v["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

async fn add_user(app: &TestApp, name: &str) {
    let ctx = app.services.ctx("default").await;
    let new = NewUser {
        username: name.into(),
        password: Some(Password::new(format!("{name}'s passphrase"))),
        auto_approve: true,
        ..NewUser::default()
    };
    app.services
        .sso
        .create_user(&app.services.sso.cli_admin(ctx.tenant.clone()), new)
        .await
        .unwrap();
}

async fn five_failures_lock_the_account_until_the_lockout_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "kim").await;
    let base = app.base.clone();
    // Four failures, a success (which clears the count), four more: still open.
    for _ in 0..4 {
        assert_eq!(login(&app, &base, "kim", "wrong", None).await.0, 401);
    }
    assert_eq!(login(&app, &base, "kim", "kim's passphrase", None).await.0, 200);
    for _ in 0..4 {
        login(&app, &base, "kim", "wrong", None).await;
    }
    assert_eq!(
        login(&app, &base, "kim", "kim's passphrase", None).await.0,
        200,
        "the success cleared the count"
    );
    // A session that exists when the lock falls ends with it.
    let (_, live, _) = login(&app, &base, "kim", "kim's passphrase", None).await;
    let ust = live["ust"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        login(&app, &base, "kim", "wrong", None).await;
    }
    let (status, reply, _) = login(&app, &base, "kim", "kim's passphrase", None).await;
    assert_eq!(
        (status, sub(&reply)),
        (401, "E005002".to_owned()),
        "locked after five failures"
    );
    let kim = app.find("default", "kim").await;
    assert_eq!((kim.is_locked, kim.locked_by.as_deref()), (true, Some("auto")));
    let mut res = app
        .client
        .get(app.url("/api/v1/t/default/session"))
        .insert_header(("X-Current-App", "CRM"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(sub(&json_body(&mut res).await), "E007001");
    app.set("default", "login", "inform_if_locked", json!(false)).await;
    let (_, reply, _) = login(&app, &base, "kim", "kim's passphrase", None).await;
    assert_eq!(sub(&reply), "E005001", "hidden per inform_if_locked");
    // The lock ends by itself after login.lockout_minutes.
    app.services.sso.clock.advance(TimeDelta::minutes(16));
    assert_eq!(login(&app, &base, "kim", "kim's passphrase", None).await.0, 200);
    let kim = app.find("default", "kim").await;
    assert_eq!(
        (kim.is_locked, kim.locked_until, kim.locked_by),
        (false, None, None),
        "the login ended the lock that had run out"
    );
    // Or an administrator ends it sooner.
    for _ in 0..5 {
        login(&app, &base, "kim", "wrong", None).await;
    }
    assert_eq!(login(&app, &base, "kim", "kim's passphrase", None).await.0, 401);
    let ctx = app.services.ctx("default").await;
    app.services
        .sso
        .unlock_user(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Username("kim".into()),
        )
        .await
        .unwrap();
    assert_eq!(login(&app, &base, "kim", "kim's passphrase", None).await.0, 200);
    let pk = ctx.tenant.pk;
    let ops: Vec<String> = app
        .services
        .sso
        .store
        .tenant(pk, move |c| gatehouse::store::audit::recent(c, pk, 100))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.op)
        .collect();
    assert_eq!(
        ops.iter().filter(|o| *o == "user.auto_lock").count(),
        2,
        "every lock is audited"
    );
}
both!(five_failures_lock_the_account_until_the_lockout_ends);

async fn an_address_over_its_limit_is_refused_before_hashing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.server.trusted_proxies = gatehouse::config::StringList::of(&["127.0.0.1"]);
        c.login.max_failures_per_address = 3;
    })
    .await;
    add_user(&app, "ned").await;
    let base = app.base.clone();
    for name in ["a", "b", "c"] {
        assert_eq!(login(&app, &base, name, "guess", Some("203.0.113.7")).await.0, 401);
    }
    let counters = app.services.sso.hasher.counters();
    let before = counters.verifications.load(Ordering::SeqCst);
    let (status, reply, retry) = login(&app, &base, "ned", "ned's passphrase", Some("203.0.113.7")).await;
    assert_eq!((status, sub(&reply)), (429, "E011001".to_owned()));
    let retry: i64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&retry));
    // An unknown username (its failures read on their own) and an empty one are refused the same way.
    for name in ["nobody", ""] {
        let (status, reply, _) = login(&app, &base, name, "guess", Some("203.0.113.7")).await;
        assert_eq!((status, sub(&reply)), (429, "E011001".to_owned()), "for {name:?}");
    }
    assert_eq!(
        counters.verifications.load(Ordering::SeqCst),
        before,
        "refused before any password work"
    );
    // Another address is not affected; the window passes.
    assert_eq!(
        login(&app, &base, "ned", "ned's passphrase", Some("198.51.100.1"))
            .await
            .0,
        200
    );
    app.services.sso.clock.advance(TimeDelta::minutes(15));
    assert_eq!(
        login(&app, &base, "ned", "ned's passphrase", Some("203.0.113.7"))
            .await
            .0,
        200
    );
    let pk = app.services.ctx("default").await.tenant.pk;
    let ops: Vec<String> = app
        .services
        .sso
        .store
        .tenant(pk, move |c| gatehouse::store::audit::recent(c, pk, 100))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.op)
        .collect();
    assert!(ops.contains(&"login.throttled".to_owned()), "the throttle is audited");
}
both!(an_address_over_its_limit_is_refused_before_hashing);

async fn instances_share_the_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "ivy").await;
    let (second, _) = app.second_instance().await;
    for i in 0..5 {
        let base = if i % 2 == 0 { app.base.clone() } else { second.clone() };
        login(&app, &base, "ivy", "wrong", None).await;
    }
    let (status, reply, _) = login(&app, &second, "ivy", "ivy's passphrase", None).await;
    assert_eq!(
        (status, sub(&reply)),
        (401, "E005002".to_owned()),
        "failures on both instances add up"
    );
}
both!(instances_share_the_counts);

/// session.max_per_user: when a user reaches the cap, the oldest session ends.
async fn the_session_cap_ends_the_oldest_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "cap").await;
    app.set("default", "session", "max_per_user", json!(2)).await;
    let base = app.base.clone();
    let mut usts = Vec::new();
    for _ in 0..3 {
        let (_, reply, _) = login(&app, &base, "cap", "cap's passphrase", None).await;
        usts.push(reply["ust"].as_str().unwrap().to_owned());
        app.services.sso.clock.advance(TimeDelta::seconds(1));
    }
    let mut alive = Vec::new();
    for ust in &usts {
        let res = app
            .client
            .get(app.url("/api/v1/t/default/session"))
            .insert_header(("X-Current-App", "CRM"))
            .insert_header(("Authorization", format!("Bearer {ust}")))
            .send()
            .await
            .unwrap();
        alive.push(res.status().as_u16() == 200);
    }
    assert_eq!(alive, [false, true, true]);
}
both!(the_session_cap_ends_the_oldest_session);
