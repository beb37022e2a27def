//! The hashing queue seen from the API: a flood beyond the queue's room is answered 429 `E011002` with
//! `Retry-After` on both surfaces (never a 500 or a hang), and another tenant's login still gets its turn.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

async fn add_user(app: &TestApp, tenant: &str, name: &str) {
    let ctx = app.services.ctx(tenant).await;
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

/// Logs in on the native or the Zato surface; returns status, sub-status and Retry-After.
async fn login(
    client: &awc::Client,
    base: &str,
    tenant: &str,
    name: &str,
    zato: bool,
) -> (u16, String, Option<String>) {
    let password = format!("{name}'s passphrase");
    let req = if zato {
        client.post(format!("{base}/t/{tenant}/zato/sso/user/login"))
    } else {
        client.post(format!("{base}/api/v1/t/{tenant}/login"))
    };
    let body = json!({"username": name, "password": password, "current_app": "CRM"});
    let mut res = req
        .insert_header(("X-Current-App", "CRM"))
        .send_json(&body)
        .await
        .unwrap();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let status = res.status().as_u16();
    let reply: Value = json_body(&mut res).await;
    let sub = reply["sub_status"][0].as_str().unwrap_or_default().to_owned();
    (status, sub, retry)
}

async fn a_flood_is_refused_with_429_and_other_tenants_still_log_in(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.hashing.workers = 1;
        config.hashing.max_queue = 2;
        config.hashing.argon2_memory_kib = 4096;
        config.hashing.argon2_iterations = 3;
        config.login.max_failures_per_address = 1000;
    })
    .await;
    app.services
        .sso
        .create_tenant("other", None, Actor::Auto, "t")
        .await
        .unwrap();
    for i in 0..8 {
        add_user(&app, "default", &format!("user{i}")).await;
    }
    add_user(&app, "other", "olga").await;

    // Sixteen clients log in again and again, half of them on the Zato surface, until the other tenant is done.
    let stop = std::rc::Rc::new(std::cell::Cell::new(false));
    let flood: Vec<_> = (0..16)
        .map(|i| {
            let (client, base, name) = (app.client.clone(), app.base.clone(), format!("user{}", i % 8));
            let stop = std::rc::Rc::clone(&stop);
            actix_rt::spawn(async move {
                let mut outcomes = Vec::new();
                while !stop.get() {
                    outcomes.push(login(&client, &base, "default", &name, i % 2 == 1).await);
                }
                outcomes
            })
        })
        .collect();
    // Once the flood fills the queue, the other tenant asks.
    let hasher = &app.services.sso.hasher;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while hasher.queue_depths().iter().map(|d| d.1).sum::<usize>() < 2 {
        assert!(std::time::Instant::now() < deadline, "the flood never filled the queue");
        actix_rt::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let olga = login(&app.client, &app.base, "other", "olga", false).await;
    stop.set(true);
    let mut outcomes = Vec::new();
    for job in flood {
        outcomes.extend(job.await.unwrap());
    }
    assert_eq!(
        olga.0, 200,
        "the other tenant's login gets its turn during the flood: {olga:?}"
    );
    let refused: Vec<_> = outcomes.iter().filter(|o| o.0 == 429).collect();
    assert!(
        !refused.is_empty(),
        "a queue of two cannot take sixteen logins: {outcomes:?}"
    );
    for (status, sub, retry) in &outcomes {
        match status {
            200 => {}
            429 => {
                assert_eq!(sub, "E011002");
                assert!(retry.as_deref().is_some_and(|r| r.parse::<u32>().unwrap() > 0));
            }
            other => panic!("only 200 and 429 are acceptable under a flood, got {other}"),
        }
    }
    assert!(hasher.queue_counters().refused() >= refused.len() as u64);
    // A login asks the queue first, before any database work, and is turned away there while it is full.
    assert!(
        hasher.queue_counters().refused_early.load(Ordering::Relaxed) > 0,
        "refusals happen at the start of a login, not only when the hash job is pushed"
    );
    // The place is reserved before the reads: every login that got past the start had room when its job
    // came, so none was refused for a full queue after reading the database for it.
    assert_eq!(
        hasher.queue_counters().refused_full.load(Ordering::Relaxed),
        0,
        "no login did its reads and was then refused for want of room"
    );
    assert!(hasher.queue_depths().is_empty(), "nothing is left waiting");
    // Refusals are counted by the queue, not audited: only the logins that were decided left a row.
    let decided = outcomes.iter().filter(|o| o.0 == 200).count() as i64;
    let pk = app.services.sso.resolve_tenant("default").await.unwrap().pk;
    let audited = app
        .services
        .sso
        .store
        .tenant(pk, move |conn| {
            use diesel::prelude::*;
            use gatehouse::store::schema::audit_log;
            Ok(audit_log::table
                .filter(audit_log::tenant_id.eq(pk))
                .filter(audit_log::op.eq("user.login"))
                .select((audit_log::result, audit_log::sub_status))
                .load::<(String, Option<String>)>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(
        audited.len() as i64,
        decided,
        "one audit row per decided login, none per refusal: {audited:?}"
    );
    assert!(hasher.queue_counters().served.load(Ordering::Relaxed) > 0);
}
both!(a_flood_is_refused_with_429_and_other_tenants_still_log_in);
