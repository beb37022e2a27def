//! Tenant administration over REST: settings, apps and keys, the audit log, and the tenant lifecycle.

use crate::both;
use crate::common::{Backend, TestApp};
use gatehouse::crypto::password::Password;
use gatehouse::sso::NewUser;
use serde_json::{Value, json};

const APP: &str = "CRM";

fn sub(v: &Value) -> String {
    v["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

struct Admin {
    app: TestApp,
}

impl Admin {
    async fn new(backend: Backend) -> Admin {
        let app = TestApp::spawn(backend).await;
        let a = Admin { app };
        a.user("default", "root", true).await;
        a.user("default", "alice", false).await;
        a.user("system", "operator", true).await;
        a.user("system", "clerk", false).await;
        a
    }

    async fn user(&self, tenant: &str, name: &str, is_super: bool) {
        let ctx = self.app.services.ctx(tenant).await;
        let new = NewUser {
            username: name.into(),
            password: Some(Password::new(format!("{name}'s passphrase"))),
            auto_approve: true,
            is_super_user: is_super,
            ..NewUser::default()
        };
        self.app
            .services
            .sso
            .create_user(&self.app.services.sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap();
    }

    async fn req(
        &self,
        base: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method.parse().unwrap(), format!("{base}{path}"));
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        let mut res = match body {
            Some(b) => r.send_json(&b).await.unwrap(),
            None => r.send().await.unwrap(),
        };
        let status = res.status().as_u16();
        let bytes = res.body().limit(1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn call(&self, method: &str, path: &str, ust: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.call_keyed(method, path, ust, None, body).await
    }

    /// A call of the tenant's app `CRM` (the web UI's app name is the web UI's alone), with its key when
    /// `apps.require_key` asks for one.
    async fn call_keyed(
        &self,
        method: &str,
        path: &str,
        ust: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bearer = ust.map(|u| format!("Bearer {u}"));
        let mut headers = vec![("X-Current-App", APP)];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b.as_str()));
        }
        if let Some(k) = key {
            headers.push(("X-App-Key", k));
        }
        self.req(&self.app.base, method, path, &headers, body).await
    }

    async fn login_as(&self, tenant: &str, name: &str, app: &str, key: Option<&str>) -> (u16, Value) {
        let mut headers = vec![("X-Current-App", app)];
        if let Some(k) = key {
            headers.push(("X-App-Key", k));
        }
        let body = json!({"username": name, "password": format!("{name}'s passphrase")});
        self.req(
            &self.app.base,
            "POST",
            &format!("/api/v1/t/{tenant}/login"),
            &headers,
            Some(body),
        )
        .await
    }

    async fn login(&self, tenant: &str, name: &str) -> String {
        let (status, reply) = self.login_as(tenant, name, APP, None).await;
        assert_eq!(status, 200, "{reply}");
        reply["ust"].as_str().unwrap().to_owned()
    }
}

async fn settings_override_per_tenant_are_validated_audited_and_shared(backend: Backend) {
    let a = Admin::new(backend).await;
    a.app
        .services
        .sso
        .create_tenant("acme", None, gatehouse::sso::Actor::Auto, "t")
        .await
        .unwrap();
    a.user("acme", "alice", false).await;
    let root = a.login("default", "root").await;
    let (status, view) = a.call("GET", "/api/v1/t/default/settings", Some(&root), None).await;
    assert_eq!(status, 200);
    assert_eq!(view["effective"]["session"]["expiry"], 60);
    assert_eq!(view["overrides"], json!({}));

    let (status, view) = a
        .call(
            "PATCH",
            "/api/v1/t/default/settings",
            Some(&root),
            Some(json!({"session": {"expiry": 5}, "password": {"min_length": 12}})),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["effective"]["session"]["expiry"], 5);
    assert_eq!(
        view["overrides"],
        json!({"session": {"expiry": 5}, "password": {"min_length": 12}})
    );
    // The next session follows it; another tenant does not.
    let (_, session) = a.login_as("default", "alice", APP, None).await;
    assert_eq!(session["expiration_time"], "2026-11-28T10:05:00Z");
    let (_, other) = a.login_as("acme", "alice", APP, None).await;
    assert_eq!(other["expiration_time"], "2026-11-28T11:00:00Z");
    let (status, reply) = a
        .call(
            "POST",
            "/api/v1/t/default/users",
            Some(&root),
            Some(json!({"username": "x", "password": "elevenchars"})),
        )
        .await;
    assert_eq!(
        (status, sub(&reply)),
        (422, "E003002".to_owned()),
        "password.min_length applies"
    );

    // A second instance on the same database sees the change as soon as its change feed tells it (the tenant's
    // row changed), without waiting for server.tenant_cache_ms, which only bounds a lost feed.
    let (second, _second_sso) = a.app.second_instance().await;
    let body = json!({"username": "alice", "password": "alice's passphrase"});
    let login_on_second = || {
        a.req(
            &second,
            "POST",
            "/api/v1/t/default/login",
            &[("X-Current-App", APP)],
            Some(body.clone()),
        )
    };
    let (_, session) = login_on_second().await;
    assert_eq!(session["expiration_time"], "2026-11-28T10:05:00Z");
    a.call(
        "PATCH",
        "/api/v1/t/default/settings",
        Some(&root),
        Some(json!({"session": {"expiry": 7}})),
    )
    .await;
    let started = std::time::Instant::now();
    loop {
        let (_, session) = login_on_second().await;
        if session["expiration_time"] == "2026-11-28T10:07:00Z" {
            break;
        }
        assert_eq!(
            session["expiration_time"], "2026-11-28T10:05:00Z",
            "old or new, nothing else"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "the other instance never heard of the new settings"
        );
        actix_rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Bad values and keys name the key; nothing changes.
    for (patch, key) in [
        (json!({"session": {"expiry": "soon"}}), "session.expiry"),
        (json!({"session": {"nope": 1}}), "session.nope"),
        (json!({"server": {"bind": "0.0.0.0:1"}}), "server.bind"),
        (json!({"session": 5}), "session"),
    ] {
        let (status, reply) = a
            .call("PATCH", "/api/v1/t/default/settings", Some(&root), Some(patch.clone()))
            .await;
        assert_eq!((status, sub(&reply)), (422, "E008002".to_owned()), "{patch}");
        assert!(
            reply["detail"].as_str().unwrap().contains(&format!("`{key}`")),
            "{reply}"
        );
    }
    let (_, view) = a.call("GET", "/api/v1/t/default/settings", Some(&root), None).await;
    assert_eq!(view["effective"]["session"]["expiry"], 7);
    // null removes an override.
    let (_, view) = a
        .call(
            "PATCH",
            "/api/v1/t/default/settings",
            Some(&root),
            Some(json!({"session": {"expiry": null}})),
        )
        .await;
    assert_eq!(view["effective"]["session"]["expiry"], 60);
    assert_eq!(view["overrides"], json!({"password": {"min_length": 12}}));

    // Audited with old and new values.
    let (_, page) = a
        .call("GET", "/api/v1/t/default/audit?op=settings.update", Some(&root), None)
        .await;
    let extras: Vec<Value> = page["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["extra"].clone())
        .collect();
    assert!(
        extras.contains(&json!({"key": "session.expiry", "old": 60, "new": 5})),
        "{extras:?}"
    );
    assert!(
        extras.contains(&json!({"key": "session.expiry", "old": 7, "new": null})),
        "{extras:?}"
    );
    let alice = a.login("default", "alice").await;
    let (status, reply) = a
        .call(
            "PATCH",
            "/api/v1/t/default/settings",
            Some(&alice),
            Some(json!({"session": {"expiry": 1}})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
}
both!(settings_override_per_tenant_are_validated_audited_and_shared);

async fn apps_and_their_keys(backend: Backend) {
    let a = Admin::new(backend).await;
    let root = a.login("default", "root").await;
    assert_eq!(a.login_as("default", "alice", "ERP", None).await.0, 401, "unknown app");
    let (status, app) = a
        .call(
            "POST",
            "/api/v1/t/default/apps",
            Some(&root),
            Some(json!({"name": "ERP"})),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    assert_eq!(
        app,
        json!({"name": "ERP", "login_allowed": true, "signup_allowed": true, "login_metadata_allowed": false, "keys": []})
    );
    assert_eq!(
        a.login_as("default", "alice", "ERP", None).await.0,
        200,
        "a new app can log users in"
    );
    let (_, apps) = a.call("GET", "/api/v1/t/default/apps", Some(&root), None).await;
    assert_eq!(
        apps.as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["CRM", "ERP"]
    );

    // Keys: shown once, listed by id, required when the tenant says so.
    let (status, key) = a
        .call("POST", "/api/v1/t/default/apps/ERP/keys", Some(&root), None)
        .await;
    assert_eq!(status, 201);
    let (key_id, secret) = (
        key["key_id"].as_str().unwrap().to_owned(),
        key["key"].as_str().unwrap().to_owned(),
    );
    let (_, apps) = a.call("GET", "/api/v1/t/default/apps", Some(&root), None).await;
    let listed = apps.to_string();
    assert!(
        listed.contains(&key_id) && !listed.contains(&secret),
        "listed by id, never shown again"
    );
    // The administrator's own app needs its key too once keys are required.
    let (_, crm) = a
        .call("POST", "/api/v1/t/default/apps/CRM/keys", Some(&root), None)
        .await;
    let crm = crm["key"].as_str().unwrap().to_owned();
    a.call(
        "PATCH",
        "/api/v1/t/default/settings",
        Some(&root),
        Some(json!({"apps": {"require_key": true}})),
    )
    .await;
    let (status, reply) = a.call("GET", "/api/v1/t/default/apps", Some(&root), None).await;
    assert_eq!((status, sub(&reply)), (401, "E004003".to_owned()), "no key for CRM");
    let (status, reply) = a.login_as("default", "alice", "ERP", None).await;
    assert_eq!((status, sub(&reply)), (401, "E004003".to_owned()), "missing key");
    let (status, reply) = a.login_as("default", "alice", "ERP", Some("ghk_wrong")).await;
    assert_eq!((status, sub(&reply)), (401, "E004003".to_owned()), "wrong key");
    let (status, session) = a.login_as("default", "alice", "ERP", Some(&secret)).await;
    assert_eq!(status, 200);
    // The key is checked on every use of a session too.
    let ust = session["ust"].as_str().unwrap();
    let (status, _) = a
        .req(
            &a.app.base,
            "GET",
            "/api/v1/t/default/session",
            &[
                ("X-Current-App", "ERP"),
                ("Authorization", &format!("Bearer {ust}")),
                ("X-App-Key", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = a
        .req(
            &a.app.base,
            "GET",
            "/api/v1/t/default/session",
            &[("X-Current-App", "ERP"), ("Authorization", &format!("Bearer {ust}"))],
            None,
        )
        .await;
    assert_eq!((status, sub(&reply)), (401, "E004003".to_owned()));
    // Revoked keys stop working.
    let (status, _) = a
        .call_keyed(
            "DELETE",
            &format!("/api/v1/t/default/apps/ERP/keys/{key_id}"),
            Some(&root),
            Some(&crm),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        sub(&a.login_as("default", "alice", "ERP", Some(&secret)).await.1),
        "E004003",
        "revoked"
    );
    let (status, reply) = a
        .call_keyed(
            "DELETE",
            &format!("/api/v1/t/default/apps/ERP/keys/{key_id}"),
            Some(&root),
            Some(&crm),
            None,
        )
        .await;
    assert_eq!((status, sub(&reply)), (404, "E004003".to_owned()));
    a.call_keyed(
        "PATCH",
        "/api/v1/t/default/settings",
        Some(&root),
        Some(&crm),
        Some(json!({"apps": {"require_key": null}})),
    )
    .await;

    // Metadata is accepted only from an allowed app with its key.
    a.call(
        "POST",
        "/api/v1/t/default/apps",
        Some(&root),
        Some(json!({"name": "ERP", "login_metadata_allowed": true})),
    )
    .await;
    let (_, key) = a
        .call("POST", "/api/v1/t/default/apps/ERP/keys", Some(&root), None)
        .await;
    let secret = key["key"].as_str().unwrap().to_owned();
    let meta = json!({"username": "alice", "password": "alice's passphrase", "remote_addr": "203.0.113.9", "user_agent": "ERP backend"});
    let (status, reply) = a
        .req(
            &a.app.base,
            "POST",
            "/api/v1/t/default/login",
            &[("X-Current-App", "ERP")],
            Some(meta.clone()),
        )
        .await;
    assert_eq!((status, sub(&reply)), (401, "E006001".to_owned()), "no key");
    let (status, session) = a
        .req(
            &a.app.base,
            "POST",
            "/api/v1/t/default/login",
            &[("X-Current-App", "ERP"), ("X-App-Key", &secret)],
            Some(meta),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let ust = session["ust"].as_str().unwrap();
    let (_, current) = a
        .req(
            &a.app.base,
            "GET",
            "/api/v1/t/default/session",
            &[("X-Current-App", "ERP"), ("Authorization", &format!("Bearer {ust}"))],
            None,
        )
        .await;
    assert_eq!(
        (current["remote_addr"].as_str(), current["user_agent"].as_str()),
        (Some("203.0.113.9"), Some("ERP backend"))
    );

    // Removing an app: E004001, and its keys go.
    let (status, _) = a.call("DELETE", "/api/v1/t/default/apps/ERP", Some(&root), None).await;
    assert_eq!(status, 204);
    let (status, reply) = a.login_as("default", "alice", "ERP", Some(&secret)).await;
    assert_eq!((status, sub(&reply)), (401, "E004001".to_owned()));
    assert_eq!(
        a.call("DELETE", "/api/v1/t/default/apps/ERP", Some(&root), None)
            .await
            .0,
        404
    );
    let (status, reply) = a
        .call(
            "POST",
            "/api/v1/t/default/apps",
            Some(&root),
            Some(json!({"name": "bad name!"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));
    let alice = a.login("default", "alice").await;
    assert_eq!(a.call("GET", "/api/v1/t/default/apps", Some(&alice), None).await.0, 403);
}
both!(apps_and_their_keys);

async fn the_audit_log_filters_and_pages(backend: Backend) {
    let a = Admin::new(backend).await;
    let root = a.login("default", "root").await;
    for _ in 0..3 {
        let bad = json!({"username": "alice", "password": "wrong"});
        a.req(
            &a.app.base,
            "POST",
            "/api/v1/t/default/login",
            &[("X-Current-App", APP)],
            Some(bad),
        )
        .await;
    }
    a.login("default", "alice").await;
    let alice_id = a.app.find("default", "alice").await.user_id;
    let (status, page) = a
        .call(
            "GET",
            "/api/v1/t/default/audit?op=user.login&result=error",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 3);
    assert!(
        page["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["sub_status"] == "E005001" && e["target_user"] == alice_id.as_str())
    );
    let (_, page) = a
        .call(
            "GET",
            &format!("/api/v1/t/default/audit?user_id={alice_id}&op=user.login&page_size=2"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(
        (page["total"].clone(), page["result"].as_array().unwrap().len()),
        (json!(4), 2)
    );
    assert_eq!(page["result"][0]["result"], "ok", "newest first");
    let (_, page2) = a
        .call(
            "GET",
            &format!("/api/v1/t/default/audit?user_id={alice_id}&op=user.login&page_size=2&cur_page=2"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(page2["result"].as_array().unwrap().len(), 2);
    assert_ne!(page["result"][1]["cid"], page2["result"][0]["cid"]);
    let (_, none) = a
        .call(
            "GET",
            "/api/v1/t/default/audit?since=2030-01-01T00:00:00Z",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(none["total"], 0);
    let (_, all) = a
        .call(
            "GET",
            "/api/v1/t/default/audit?until=2026-11-28T10:00:00Z&op=user.login",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(all["total"], 5, "the four of alice and root's own login");
    let (status, reply) = a
        .call("GET", "/api/v1/t/default/audit?since=yesterday", Some(&root), None)
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));
    let alice = a.login("default", "alice").await;
    let (status, reply) = a.call("GET", "/api/v1/t/default/audit", Some(&alice), None).await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
}
both!(the_audit_log_filters_and_pages);

/// A tenant made with its first administrator can be run at once: given a password, the administrator logs in
/// and must choose their own; invited, they choose it from the mailed link. Whatever is refused leaves no
/// tenant behind, and only operators can do it.
async fn a_tenant_comes_with_its_first_administrator(backend: Backend) {
    let a = Admin::new(backend).await;
    let op = a.login("system", "operator").await;
    let root = a.login("default", "root").await;
    let create = |slug: &str, admin: Value| json!({"slug": slug, "display_name": "Acme", "administrator": admin});

    // Refusals, each checked before anything is made: no tenant is left behind.
    let cases = [
        (json!({"username": "boss"}), 400, "E008003"),
        (
            json!({"username": "", "password": "a long enough passphrase"}),
            400,
            "E001001",
        ),
        (
            json!({"username": "b".repeat(192), "password": "a long enough passphrase"}),
            400,
            "E001001",
        ),
        (json!({"username": "boss", "email": "not an address"}), 400, "E002001"),
        (json!({"username": "boss", "password": "short"}), 422, "E003002"),
        (
            json!({"username": "boss", "password": "boss's passphrase", "extra": 1}),
            400,
            "E008002",
        ),
    ];
    for (admin, status, code) in cases {
        let (got, reply) = a
            .call(
                "POST",
                "/api/v1/tenants",
                Some(&op),
                Some(create("acme", admin.clone())),
            )
            .await;
        assert_eq!((got, sub(&reply).as_str()), (status, code), "{admin}: {reply}");
        assert_eq!(
            a.call("GET", "/api/v1/tenants/acme", Some(&op), None).await.0,
            404,
            "{admin}"
        );
    }
    let with_password = create("acme", json!({"username": "boss", "password": "boss's passphrase"}));
    let (status, reply) = a
        .call("POST", "/api/v1/tenants", Some(&root), Some(with_password.clone()))
        .await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (401, "E007001"),
        "a tenant's administrator is no operator"
    );

    // With a password: the administrator must change it at the first login, then administers the tenant.
    let (status, t) = a.call("POST", "/api/v1/tenants", Some(&op), Some(with_password)).await;
    assert_eq!((status, t["slug"].as_str()), (201, Some("acme")), "{t}");
    let (status, reply) = a.login_as("acme", "boss", APP, None).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E003007"), "{reply}");
    let first = json!({"username": "boss", "password": "boss's passphrase", "new_password": "boss's own passphrase"});
    let (status, reply) = a
        .req(
            &a.app.base,
            "POST",
            "/api/v1/t/acme/login",
            &[("X-Current-App", APP)],
            Some(first),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let boss = reply["ust"].as_str().unwrap().to_owned();
    let (status, users) = a.call("GET", "/api/v1/t/acme/users", Some(&boss), None).await;
    assert_eq!(status, 200, "the first administrator is a super-user: {users}");
    assert_eq!(users["total"], 1, "{users}");
    let (_, log) = a.call("GET", "/api/v1/t/acme/audit", Some(&boss), None).await;
    let ops: Vec<&str> = log["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["op"].as_str())
        .collect();
    assert!(
        ops.contains(&"user.create_super_user"),
        "audited in the new tenant: {ops:?}"
    );

    // Invited: the message carries a link whose reset chooses the password; the account logs in with it.
    let invite = create("bravo", json!({"username": "bea", "email": "bea@example.com"}));
    assert_eq!(
        a.call("POST", "/api/v1/tenants", Some(&op), Some(invite.clone()))
            .await
            .0,
        201
    );
    assert_eq!(
        a.call("POST", "/api/v1/tenants", Some(&op), Some(invite)).await.0,
        409,
        "the slug is taken"
    );
    let (status, _) = a.login_as("bravo", "bea", APP, None).await;
    assert_eq!(status, 401, "no password works before the invitation is taken up");
    let mail = crate::common::outbox_rows(&a.app.services.sso).await;
    let message = mail
        .iter()
        .find(|m| m.kind == "invitation" && m.recipient == "bea@example.com")
        .expect("an invitation is queued");
    assert!(message.subject.contains("Acme"), "{}", message.subject);
    assert!(message.body_text.contains("7 days"), "{}", message.body_text);
    let token = crate::common::token_in(&message.body_text, "/t/bravo/password-reset/complete?token=");
    let (status, reply) = a
        .call(
            "POST",
            "/api/v1/t/bravo/password-reset/access",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let key = reply["reset_key"].as_str().unwrap().to_owned();
    crate::common::remember_secret(&key);
    let body = json!({"token": token, "reset_key": key, "password": "bea's passphrase"});
    let (status, reply) = a
        .call("POST", "/api/v1/t/bravo/password-reset/complete", None, Some(body))
        .await;
    assert_eq!(status, 204, "{reply}");
    let bea = a.login("bravo", "bea").await;
    assert_eq!(a.call("GET", "/api/v1/t/bravo/users", Some(&bea), None).await.0, 200);
    let (status, _) = a
        .call(
            "POST",
            "/api/v1/t/bravo/password-reset/access",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, 403, "an invitation is used once");
    assert_eq!(
        a.call("GET", "/api/v1/t/acme/users", Some(&bea), None).await.0,
        401,
        "one tenant's administrator has nothing at another"
    );
}
both!(a_tenant_comes_with_its_first_administrator);

async fn operators_run_the_tenant_lifecycle(backend: Backend) {
    let a = Admin::new(backend).await;
    let op = a.login("system", "operator").await;
    let root = a.login("default", "root").await;
    let clerk = a.login("system", "clerk").await;
    let (status, reply) = a
        .call("POST", "/api/v1/tenants", Some(&root), Some(json!({"slug": "x"})))
        .await;
    assert_eq!(
        (status, sub(&reply)),
        (401, "E007001".to_owned()),
        "a tenant admin is not an operator"
    );
    let (status, reply) = a
        .call("POST", "/api/v1/tenants", Some(&clerk), Some(json!({"slug": "x"})))
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    assert_eq!(a.call("GET", "/api/v1/tenants", None, None).await.0, 401);
    // The operators' API names its app like every other native call: no name, or the web UI's, is no app.
    let bearer = format!("Bearer {op}");
    for headers in [
        vec![("Authorization", bearer.as_str())],
        vec![("Authorization", bearer.as_str()), ("X-Current-App", "gatehouse")],
    ] {
        let (status, reply) = a.req(&a.app.base, "GET", "/api/v1/tenants", &headers, None).await;
        assert_eq!((status, sub(&reply)), (401, "E004001".to_owned()), "{headers:?}");
    }

    let (status, t) = a
        .call(
            "POST",
            "/api/v1/tenants",
            Some(&op),
            Some(json!({"slug": "acme", "display_name": "Acme Inc."})),
        )
        .await;
    assert_eq!(
        (status, t),
        (
            201,
            json!({"slug": "acme", "display_name": "Acme Inc.", "status": "active"})
        )
    );
    assert_eq!(
        a.call("POST", "/api/v1/tenants", Some(&op), Some(json!({"slug": "acme"})))
            .await
            .0,
        409
    );
    assert_eq!(
        a.call("POST", "/api/v1/tenants", Some(&op), Some(json!({"slug": "Not OK"})))
            .await
            .0,
        400
    );
    let (_, list) = a.call("GET", "/api/v1/tenants", Some(&op), None).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["acme", "default", "system"]
    );
    a.user("acme", "ann", true).await;
    let ann = a.login("acme", "ann").await;
    a.call(
        "PUT",
        "/api/v1/t/acme/users/me/attrs/x",
        Some(&ann),
        Some(json!({"value": 1})),
    )
    .await;
    a.call("POST", "/api/v1/t/acme/apps/CRM/keys", Some(&ann), None).await;

    // Suspended: logins and existing sessions get E012002; resumed: the session works again.
    let (status, t) = a
        .call(
            "PATCH",
            "/api/v1/tenants/acme",
            Some(&op),
            Some(json!({"status": "suspended", "display_name": "Acme"})),
        )
        .await;
    assert_eq!(
        (status, t["status"].as_str(), t["display_name"].as_str()),
        (200, Some("suspended"), Some("Acme"))
    );
    let (status, reply) = a.login_as("acme", "ann", APP, None).await;
    assert_eq!((status, sub(&reply)), (403, "E012002".to_owned()));
    let (status, reply) = a.call("GET", "/api/v1/t/acme/session", Some(&ann), None).await;
    assert_eq!((status, sub(&reply)), (403, "E012002".to_owned()));
    a.call(
        "PATCH",
        "/api/v1/tenants/acme",
        Some(&op),
        Some(json!({"status": "active"})),
    )
    .await;
    assert_eq!(a.call("GET", "/api/v1/t/acme/session", Some(&ann), None).await.0, 200);
    assert_eq!(
        a.call(
            "PATCH",
            "/api/v1/tenants/acme",
            Some(&op),
            Some(json!({"status": "paused"}))
        )
        .await
        .0,
        400
    );

    // system is protected.
    let (status, reply) = a
        .call(
            "PATCH",
            "/api/v1/tenants/system",
            Some(&op),
            Some(json!({"status": "suspended"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E008001".to_owned()));
    let (status, reply) = a
        .call(
            "DELETE",
            "/api/v1/tenants/system",
            Some(&op),
            Some(json!({"confirm": "system"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E008001".to_owned()));

    // Delete needs the confirmation, then nothing of the tenant remains.
    let (status, reply) = a
        .call("DELETE", "/api/v1/tenants/acme", Some(&op), Some(json!({})))
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()));
    let (status, reply) = a
        .call(
            "DELETE",
            "/api/v1/tenants/acme",
            Some(&op),
            Some(json!({"confirm": "default"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));
    let pk = a.app.services.sso.resolve_tenant("acme").await.unwrap().pk;
    let (status, _) = a
        .call(
            "DELETE",
            "/api/v1/tenants/acme",
            Some(&op),
            Some(json!({"confirm": "acme"})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(a.call("GET", "/api/v1/tenants/acme", Some(&op), None).await.0, 404);
    assert_eq!(a.call("GET", "/api/v1/t/acme/session", Some(&ann), None).await.0, 404);
    let left = a
        .app
        .services
        .sso
        .store
        // In the deleted tenant's own scope, so row-level security would show its rows if any were left.
        .tenant(pk, move |conn| {
            use diesel::RunQueryDsl;
            let mut counts = Vec::new();
            for table in [
                "tenants",
                "tenant_settings",
                "users",
                "sessions",
                "audit_log",
                "attrs",
                "user_address_lists",
                "totp_enrolments",
                "recovery_codes",
                "app_keys",
                "outbox",
                "email_tokens",
                "password_resets",
                "request_counters",
            ] {
                let column = if table == "tenants" { "id" } else { "tenant_id" };
                #[derive(diesel::QueryableByName)]
                struct Count {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let c: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = {pk}"))
                    .get_result(conn)?;
                counts.push((table, c.n));
            }
            Ok(counts)
        })
        .await
        .unwrap();
    assert!(left.iter().all(|(_, n)| *n == 0), "rows left behind: {left:?}");
}
both!(operators_run_the_tenant_lifecycle);
