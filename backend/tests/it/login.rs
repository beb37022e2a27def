//! The login call end to end on both surfaces: every branch with its code and HTTP status, the UST check,
//! tenant isolation, Fernet interoperability with Python, PBKDF2 import, and equal hashing work for refusals.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser, UserRef};
use gatehouse_shared::SubStatus;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

const APP: &str = "CRM";

impl TestApp {
    async fn user(&self, tenant: &str, name: &str, password: &str, adjust: impl FnOnce(&mut NewUser)) -> String {
        let mut new = NewUser {
            username: name.to_owned(),
            password: Some(Password::new(password)),
            auto_approve: true,
            ..NewUser::default()
        };
        adjust(&mut new);
        let ctx = self.services.ctx(tenant).await;
        self.services
            .sso
            .create_user(&self.services.sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap()
            .user_id
    }

    pub async fn set(&self, tenant: &str, section: &str, key: &str, value: Value) {
        let ctx = self.services.ctx(tenant).await;
        self.services
            .sso
            .set_setting(
                &self.services.sso.cli_admin(ctx.tenant.clone()),
                section,
                key,
                Some(value),
            )
            .await
            .unwrap();
    }

    async fn native_login(&self, tenant: &str, app: &str, body: Value) -> (u16, Value) {
        let mut res = self
            .client
            .post(self.url(&format!("/api/v1/t/{tenant}/login")))
            .insert_header(("X-Current-App", app))
            .send_json(&body)
            .await
            .unwrap();
        (res.status().as_u16(), json_body(&mut res).await)
    }

    async fn zato_login(&self, tenant: &str, mut body: Value) -> (u16, Value) {
        if body.get("current_app").is_none() {
            body["current_app"] = json!(APP);
        }
        // Zato's clients often send no Content-Type.
        let mut res = self
            .client
            .post(self.url(&format!("/t/{tenant}/zato/sso/user/login")))
            .send_body(body.to_string())
            .await
            .unwrap();
        (res.status().as_u16(), json_body(&mut res).await)
    }

    async fn session(&self, tenant: &str, ust: &str) -> (u16, Value) {
        let mut res = self
            .client
            .get(self.url(&format!("/api/v1/t/{tenant}/session")))
            .insert_header(("X-Current-App", APP))
            .insert_header(("Authorization", format!("Bearer {ust}")))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, json_body(&mut res).await)
    }

    /// Asserts that both surfaces refuse `body` with `code`: the native API with `native_status`, Zato with 403.
    async fn refused_both(&self, tenant: &str, body: Value, native_status: u16, code: &str) {
        let (status, reply) = self.native_login(tenant, APP, body.clone()).await;
        assert_eq!(
            (status, sub(&reply)),
            (native_status, code.to_owned()),
            "native: {reply}"
        );
        assert!(reply["cid"].is_string());
        let (status, reply) = self.zato_login(tenant, body).await;
        assert_eq!((status, sub(&reply)), (403, code.to_owned()), "zato: {reply}");
        assert_eq!(reply["status"], "error");
    }

    async fn ok_both(&self, tenant: &str, body: Value) -> String {
        let (status, reply) = self.native_login(tenant, APP, body.clone()).await;
        assert_eq!(status, 200, "native: {reply}");
        let (status, zato) = self.zato_login(tenant, body).await;
        assert_eq!(status, 200, "zato: {zato}");
        assert_eq!(zato["status"], "ok");
        crate::common::remember_secret(zato["ust"].as_str().unwrap());
        crate::common::remember_secret(reply["ust"].as_str().unwrap());
        reply["ust"].as_str().unwrap().to_owned()
    }

    /// A user's stored row (the tests look at columns no surface shows: hashes, sealed keys).
    pub async fn find(&self, tenant: &str, name: &str) -> gatehouse::store::users::UserRow {
        let pk = self.services.ctx(tenant).await.tenant.pk;
        let name = name.to_owned();
        self.services
            .sso
            .store
            .tenant(pk, move |conn| gatehouse::store::users::by_username(conn, pk, &name))
            .await
            .unwrap()
            .expect("no such user")
    }

    /// Gives a user of `default` a password straight in the store, past the policy (as an import or an older
    /// policy may have left one), with no change required.
    pub async fn give_password(&self, name: &str, password: &str) {
        let mut row = self.find("default", name).await;
        row.password_must_change = false;
        row.password_hash = self
            .services
            .sso
            .hasher
            .hash(row.tenant_id, Password::new(password))
            .await
            .unwrap();
        self.save_user(&row).await;
    }

    /// Writes a changed copy of a user row straight to the store (the columns that differ from the stored row).
    pub async fn save_user(&self, row: &gatehouse::store::users::UserRow) {
        let (pk, row) = (row.tenant_id, row.clone());
        self.services
            .sso
            .store
            .tenant(pk, move |conn| {
                let before = gatehouse::store::users::by_pk(conn, pk, row.id)?.expect("the user exists");
                gatehouse::store::users::save(conn, &before, &row)
            })
            .await
            .unwrap();
    }
}

fn sub(reply: &Value) -> String {
    reply["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

fn creds(username: &str, password: &str) -> Value {
    json!({"username": username, "password": password})
}

async fn a_good_login_returns_a_session_on_both_surfaces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user_id = app.user("default", "alice", "alice's passphrase", |_| {}).await;
    let (status, reply) = app
        .native_login("default", APP, creds("alice", "alice's passphrase"))
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["username"], "alice");
    assert_eq!(reply["user_id"], user_id.as_str());
    assert!(reply["ust"].as_str().unwrap().starts_with("gAAAAA"));
    assert_eq!(reply["creation_time"], "2026-11-28T10:00:00Z");
    assert_eq!(
        reply["expiration_time"], "2026-11-28T11:00:00Z",
        "session.expiry is 60 minutes"
    );
    assert_eq!(reply["warnings"], json!([]));
    let (status, session) = app.session("default", reply["ust"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["session_id"], reply["session_id"]);
    assert_eq!(session["remote_addr"], "127.0.0.1");

    let (status, zato) = app.zato_login("default", creds("alice", "alice's passphrase")).await;
    assert_eq!(status, 200);
    assert_eq!(zato["status"], "ok");
    assert!(zato["ust"].as_str().unwrap().starts_with("gAAAAA"));
    assert_ne!(zato["ust"], reply["ust"]);
    assert!(zato["cid"].is_string());
    // The bare Zato path takes the tenant from the header, else the configured default.
    let mut res = app
        .client
        .post(app.url("/zato/sso/user/login"))
        .send_body(json!({"username": "alice", "password": "alice's passphrase", "current_app": APP}).to_string())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_body(&mut res).await["status"], "ok");
}
both!(a_good_login_returns_a_session_on_both_surfaces);

async fn failed_credentials_are_e005001_and_missing_fields_are_malformed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "alice", "alice's passphrase", |_| {}).await;
    app.refused_both("default", creds("nobody", "alice's passphrase"), 401, "E005001")
        .await;
    app.refused_both("default", creds("alice", "wrong passphrase"), 401, "E005001")
        .await;
    app.refused_both("default", creds("alice", ""), 401, "E005001").await;
    app.refused_both(
        "default",
        json!({"username": "alice", "password": null}),
        401,
        "E005001",
    )
    .await;
    app.refused_both(
        "default",
        json!({"username": null, "password": "alice's passphrase"}),
        401,
        "E005001",
    )
    .await;

    for body in [json!({"username": "alice"}), json!({"password": "x"})] {
        let (status, reply) = app.native_login("default", APP, body.clone()).await;
        assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()), "{reply}");
        let (status, reply) = app.zato_login("default", body).await;
        assert_eq!(status, 400);
        assert_eq!(reply["result"], "Error");
        assert_eq!(reply["details"], "Bad request");
        assert!(reply["cid"].is_string());
    }
    // Malformed and oversized bodies on the live server, both surfaces.
    let mut res = app
        .client
        .post(app.url("/api/v1/t/default/login"))
        .send_body("{nope")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(sub(&json_body(&mut res).await), "E008002");
    let mut res = app
        .client
        .post(app.url("/zato/sso/user/login"))
        .send_body("{nope")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json_body(&mut res).await["details"], "Bad request");
    let huge = json!({"username": "a", "password": "p".repeat(70_000)}).to_string();
    let res = app
        .client
        .post(app.url("/api/v1/t/default/login"))
        .send_body(huge.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let res = app
        .client
        .post(app.url("/zato/sso/user/login"))
        .send_body(huge)
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}
both!(failed_credentials_are_e005001_and_missing_fields_are_malformed);

async fn account_states_with_their_inform_flags(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pw = "a long passphrase";
    app.user("default", "pending", pw, |u| u.auto_approve = false).await;
    app.user("default", "rejected", pw, |_| {}).await;
    app.user("default", "unconfirmed", pw, |u| u.needs_confirmation = true)
        .await;
    app.user("default", "locked", pw, |_| {}).await;
    let ctx = app.services.ctx("default").await;
    app.services
        .sso
        .reject_user(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Username("rejected".into()),
        )
        .await
        .unwrap();
    app.services
        .sso
        .lock_user(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Username("locked".into()),
        )
        .await
        .unwrap();

    app.refused_both("default", creds("pending", pw), 401, "E005004").await;
    app.refused_both("default", creds("pending", "wrong one"), 401, "E005001")
        .await;
    app.refused_both("default", creds("rejected", pw), 401, "E005004").await;
    app.refused_both("default", creds("unconfirmed", pw), 401, "E005003")
        .await;
    app.refused_both("default", creds("locked", pw), 401, "E005002").await;
    app.refused_both("default", creds("locked", "wrong one"), 401, "E005001")
        .await;

    app.set("default", "login", "inform_if_not_approved", json!(false))
        .await;
    app.set("default", "login", "inform_if_not_confirmed", json!(false))
        .await;
    app.set("default", "login", "inform_if_locked", json!(false)).await;
    for name in ["pending", "rejected", "unconfirmed", "locked"] {
        app.refused_both("default", creds(name, pw), 401, "E005001").await;
    }
    // With the reason hidden, the answer is the same bytes as a wrong password's, apart from the cid.
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("cid");
        v
    };
    let (_, hidden) = app.native_login("default", APP, creds("locked", pw)).await;
    let (_, wrong) = app.native_login("default", APP, creds("nobody", pw)).await;
    assert_eq!(strip(hidden), strip(wrong));
}
both!(account_states_with_their_inform_flags);

async fn totp_missing_wrong_right_replayed_and_the_previous_step(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    app.user("default", "tina", "tina's passphrase", |u| {
        u.totp_key = Some(key.into())
    })
    .await;
    app.user("default", "tom", "tom's passphrase", |u| u.totp_key = Some(key.into()))
        .await;
    let now = app.services.sso.clock.now();
    let code = gatehouse::sso::totp::code_at(key, now).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };

    app.refused_both("default", creds("tina", "tina's passphrase"), 401, "E005008")
        .await;
    app.refused_both(
        "default",
        json!({"username": "tina", "password": "wrong", "totp_code": code}),
        401,
        "E005001",
    )
    .await;
    app.refused_both(
        "default",
        json!({"username": "tina", "password": "tina's passphrase", "totp_code": wrong}),
        401,
        "E005001",
    )
    .await;
    let body = json!({"username": "tina", "password": "tina's passphrase", "totp_code": code});
    let (status, reply) = app.native_login("default", APP, body.clone()).await;
    assert_eq!(status, 200, "{reply}");
    // The same code again is a replay, on either surface.
    app.refused_both("default", body, 401, "E005001").await;
    // The previous step is accepted within totp.valid_window (1), once.
    let previous = gatehouse::sso::totp::code_at(key, now - TimeDelta::seconds(30)).unwrap();
    let (status, zato) = app
        .zato_login(
            "default",
            json!({"username": "tom", "password": "tom's passphrase", "totp_code": previous}),
        )
        .await;
    assert_eq!((status, zato["status"].as_str()), (200, Some("ok")), "{zato}");
    // Two steps back is outside the window.
    app.services.sso.clock.advance(TimeDelta::seconds(90));
    let old = gatehouse::sso::totp::code_at(key, app.services.sso.clock.now() - TimeDelta::seconds(60)).unwrap();
    app.refused_both(
        "default",
        json!({"username": "tom", "password": "tom's passphrase", "totp_code": old}),
        401,
        "E005001",
    )
    .await;
    app.set("default", "login", "inform_if_totp_missing", json!(false))
        .await;
    app.refused_both("default", creds("tom", "tom's passphrase"), 401, "E005001")
        .await;
}
both!(totp_missing_wrong_right_replayed_and_the_previous_step);

async fn must_change_needs_a_valid_new_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "mia", "mia's passphrase", |u| u.must_change = true)
        .await;
    app.refused_both("default", creds("mia", "mia's passphrase"), 401, "E003007")
        .await;
    let invalid = json!({"username": "mia", "password": "mia's passphrase", "new_password": "short"});
    app.refused_both("default", invalid.clone(), 422, "E003002").await;
    let (status, reply) = app
        .native_login(
            "default",
            APP,
            json!({"username": "mia", "password": "mia's passphrase", "new_password": "qwerty-is-bad"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E003001".to_owned()));
    let (status, reply) = app
        .native_login(
            "default",
            APP,
            json!({"username": "mia", "password": "mia's passphrase", "new_password": "mia's new passphrase"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let mia = app.find("default", "mia").await;
    assert!(!mia.password_must_change);
    assert_eq!(mia.password_last_set, app.services.sso.clock.now());
    app.refused_both("default", creds("mia", "mia's passphrase"), 401, "E005001")
        .await;
    app.ok_both("default", creds("mia", "mia's new passphrase")).await;

    // Hidden reasons: the answer is E005001 and nothing changes.
    app.user("default", "max", "max's passphrase", |u| u.must_change = true)
        .await;
    app.set("default", "password", "inform_if_must_be_changed", json!(false))
        .await;
    app.set("default", "password", "inform_if_invalid", json!(false)).await;
    app.refused_both("default", creds("max", "max's passphrase"), 401, "E005001")
        .await;
    app.refused_both(
        "default",
        json!({"username": "max", "password": "max's passphrase", "new_password": "short"}),
        401,
        "E005001",
    )
    .await;
    assert!(app.find("default", "max").await.password_must_change);
}
both!(must_change_needs_a_valid_new_password);

async fn expired_and_about_to_expire_passwords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "eve", "eve's passphrase", |u| u.password_expired = true)
        .await;
    app.user("default", "ed", "ed's passphrase", |u| {
        u.password_expiry_days = Some(10)
    })
    .await;
    app.refused_both("default", creds("eve", "eve's passphrase"), 401, "E005001")
        .await;
    app.set("default", "password", "inform_if_expired", json!(true)).await;
    app.refused_both("default", creds("eve", "eve's passphrase"), 401, "E003004")
        .await;
    app.set("default", "password", "allow_change_if_expired", json!(false))
        .await;
    app.refused_both(
        "default",
        json!({"username": "eve", "password": "eve's passphrase", "new_password": "eve's new passphrase"}),
        401,
        "E003004",
    )
    .await;
    app.set("default", "password", "allow_change_if_expired", json!(true))
        .await;
    let (status, reply) = app
        .native_login(
            "default",
            APP,
            json!({"username": "eve", "password": "eve's passphrase", "new_password": "eve's new passphrase"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    app.ok_both("default", creds("eve", "eve's new passphrase")).await;

    // Ten days left, inside the 30-day threshold: a warning on success.
    let (status, reply) = app.native_login("default", APP, creds("ed", "ed's passphrase")).await;
    assert_eq!((status, reply["warnings"].clone()), (200, json!(["W003005"])));
    let (status, zato) = app.zato_login("default", creds("ed", "ed's passphrase")).await;
    assert_eq!(status, 200);
    assert_eq!(zato["status"], "warning");
    assert_eq!(zato["sub_status"], json!(["W003005"]));
    assert!(zato["ust"].as_str().unwrap().starts_with("gAAAAA"));
    app.set("default", "password", "inform_if_about_to_expire", json!(false))
        .await;
    app.refused_both("default", creds("ed", "ed's passphrase"), 401, "E003006")
        .await;
    // Time passes: the session's clock is the injected one, so expiry needs no sleeping.
    app.services.sso.clock.advance(TimeDelta::days(11));
    app.set("default", "password", "inform_if_expired", json!(false)).await;
    app.refused_both("default", creds("ed", "ed's passphrase"), 401, "E005001")
        .await;
}
both!(expired_and_about_to_expire_passwords);

async fn app_lists_and_login_metadata(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "ann", "ann's passphrase", |_| {}).await;
    app.set("default", "apps", "all", json!("CRM,ERP")).await;
    let (status, reply) = app
        .native_login("default", "HR", creds("ann", "ann's passphrase"))
        .await;
    assert_eq!((status, sub(&reply)), (401, "E004001".to_owned()), "not in apps.all");
    let (status, reply) = app
        .native_login("default", "ERP", creds("ann", "ann's passphrase"))
        .await;
    assert_eq!(
        (status, sub(&reply)),
        (401, "E004001".to_owned()),
        "in apps.all, not in login_allowed"
    );
    let (status, reply) = app
        .zato_login(
            "default",
            json!({"username": "ann", "password": "ann's passphrase", "current_app": "ERP"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E004001".to_owned()));
    app.set("default", "apps", "inform_if_app_invalid", json!(false)).await;
    let (status, reply) = app
        .native_login("default", "HR", creds("ann", "ann's passphrase"))
        .await;
    assert_eq!((status, sub(&reply)), (401, "E005001".to_owned()));

    // Login metadata from an app not allowed to send it, and from an allowed one without a key.
    let with_meta =
        json!({"username": "ann", "password": "ann's passphrase", "remote_addr": "203.0.113.9", "user_agent": "spoof"});
    app.refused_both("default", with_meta.clone(), 401, "E006001").await;
    app.set("default", "apps", "login_metadata_allowed", json!("CRM")).await;
    app.refused_both("default", with_meta, 401, "E006001").await;
}
both!(app_lists_and_login_metadata);

/// Only the web pages act as the web UI's app: a caller of the native or Zato surface naming it is a caller
/// naming an unknown app, even where the tenant lists that name, so it cannot skip `apps.require_key`,
/// `apps.login_allowed` or `login.require_totp_for_super_users`, at login or on a session's use.
async fn the_web_apps_name_is_reserved_for_the_web_ui(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "ann", "ann's passphrase", |_| {}).await;
    app.user("default", "boss", "boss's passphrase", |u| u.is_super_user = true)
        .await;
    async fn refused_as_web_ui(app: &TestApp, code: &str) {
        let (status, reply) = app
            .native_login("default", "gatehouse", creds("ann", "ann's passphrase"))
            .await;
        assert_eq!((status, sub(&reply)), (401, code.to_owned()), "native: {reply}");
        let web = json!({"username": "ann", "password": "ann's passphrase", "current_app": "gatehouse"});
        let (status, reply) = app.zato_login("default", web).await;
        assert_eq!((status, sub(&reply)), (403, code.to_owned()), "zato: {reply}");
    }
    refused_as_web_ui(&app, "E004001").await;
    // The name cannot be listed: it is reserved (and were it listed, by an override stored before, listing
    // would change nothing).
    let ctx = app.services.ctx("default").await;
    for key in ["all", "login_allowed", "signup_allowed", "login_metadata_allowed"] {
        let err = app
            .services
            .sso
            .set_setting(
                &app.services.sso.cli_admin(ctx.tenant.clone()),
                "apps",
                key,
                Some(json!("CRM,gatehouse")),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, gatehouse::sso::SsoError::Invalid { key: named, .. } if *named == format!("apps.{key}")),
            "{err:?}"
        );
    }
    refused_as_web_ui(&app, "E004001").await;
    app.set("default", "apps", "inform_if_app_invalid", json!(false)).await;
    refused_as_web_ui(&app, "E005001").await;
    app.set("default", "apps", "inform_if_app_invalid", json!(true)).await;

    // An unknown app without a key, where keys are required.
    app.set("default", "apps", "require_key", json!(true)).await;
    let (status, reply) = app
        .native_login("default", "gatehouse", creds("ann", "ann's passphrase"))
        .await;
    assert_eq!((status, sub(&reply)), (401, "E004003".to_owned()), "{reply}");
    app.set("default", "apps", "require_key", json!(false)).await;

    // A super-user without 2FA gets no API session through the web UI's name.
    app.set("default", "login", "require_totp_for_super_users", json!(true))
        .await;
    let (status, reply) = app
        .native_login("default", "gatehouse", creds("boss", "boss's passphrase"))
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005009".to_owned()), "{reply}");
    app.set("default", "login", "require_totp_for_super_users", json!(false))
        .await;

    // A session of a real app cannot be used under the web UI's name either.
    let ust = app.ok_both("default", creds("ann", "ann's passphrase")).await;
    let mut res = app
        .client
        .get(app.url("/api/v1/t/default/session"))
        .insert_header(("X-Current-App", "gatehouse"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!((status, sub(&json_body(&mut res).await)), (401, "E004001".to_owned()));
}
both!(the_web_apps_name_is_reserved_for_the_web_ui);

async fn ip_allow_lists(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.server.trusted_proxies = gatehouse::config::StringList::of(&["127.0.0.1"])
    })
    .await;
    for name in ["star", "empty", "v4", "v6", "unlisted"] {
        app.user("default", name, "a long passphrase", |_| {}).await;
    }
    app.set("default", "user_address_list", "star", json!("*")).await;
    app.set("default", "user_address_list", "empty", json!("")).await;
    app.set(
        "default",
        "user_address_list",
        "v4",
        json!("198.51.100.0/24, 192.0.2.1"),
    )
    .await;
    app.set("default", "user_address_list", "v6", json!(["2001:db8::/32"]))
        .await;
    // Each case runs on both surfaces; the native status is returned, and Zato must agree (200, or 403 with
    // the same code).
    let login = |name: &'static str, from: &'static str| {
        let app = &app;
        async move {
            let mut res = app
                .client
                .post(app.url("/api/v1/t/default/login"))
                .insert_header(("X-Current-App", APP))
                .insert_header(("X-Forwarded-For", from))
                .send_json(&creds(name, "a long passphrase"))
                .await
                .unwrap();
            let status = res.status().as_u16();
            let native = (status, sub(&json_body(&mut res).await));
            let mut body = creds(name, "a long passphrase");
            body["current_app"] = json!(APP);
            let mut res = app
                .client
                .post(app.url("/t/default/zato/sso/user/login"))
                .insert_header(("X-Forwarded-For", from))
                .send_body(body.to_string())
                .await
                .unwrap();
            let zato_status = res.status().as_u16();
            let zato = json_body(&mut res).await;
            if native.0 == 200 {
                assert_eq!(
                    (zato_status, zato["status"].as_str()),
                    (200, Some("ok")),
                    "{name} from {from}"
                );
            } else {
                assert_eq!((zato_status, sub(&zato)), (403, native.1.clone()), "{name} from {from}");
            }
            native
        }
    };
    assert_eq!(login("star", "203.0.113.1").await.0, 200);
    assert_eq!(login("empty", "203.0.113.1").await, (401, "E005001".to_owned()));
    assert_eq!(login("v4", "198.51.100.77").await.0, 200);
    assert_eq!(login("v4", "192.0.2.1").await.0, 200);
    assert_eq!(login("v4", "192.0.2.2").await, (401, "E005001".to_owned()));
    assert_eq!(login("v6", "2001:db8::42").await.0, 200);
    assert_eq!(login("v6", "2001:db9::42").await, (401, "E005001".to_owned()));
    assert_eq!(login("unlisted", "203.0.113.1").await.0, 200);
    app.set("default", "login", "reject_if_not_listed", json!(true)).await;
    assert_eq!(login("unlisted", "203.0.113.1").await, (401, "E005001".to_owned()));
    assert_eq!(login("star", "203.0.113.1").await.0, 200);
}
both!(ip_allow_lists);

async fn the_ust_check_and_what_ends_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "sam", "sam's passphrase", |_| {}).await;
    let login = || app.native_login("default", APP, creds("sam", "sam's passphrase"));
    let ust = login().await.1["ust"].as_str().unwrap().to_owned();
    assert_eq!(app.session("default", &ust).await.0, 200);

    // Logout ends it (and answers the same for anything).
    let res = app
        .client
        .post(app.url("/api/v1/t/default/logout"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, reply) = app.session("default", &ust).await;
    assert_eq!((status, sub(&reply)), (401, "E007001".to_owned()));
    let res = app
        .client
        .post(app.url("/api/v1/t/default/logout"))
        .insert_header(("Authorization", "Bearer junk"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let mut res = app
        .client
        .post(app.url("/zato/sso/user/logout"))
        .send_body(json!({"ust": "junk", "current_app": APP}).to_string())
        .await
        .unwrap();
    assert_eq!(json_body(&mut res).await["status"], "ok");

    // The Zato logout ends a session too.
    let ust = login().await.1["ust"].as_str().unwrap().to_owned();
    let mut res = app
        .client
        .post(app.url("/t/default/zato/sso/user/logout"))
        .send_body(json!({"ust": ust, "current_app": APP}).to_string())
        .await
        .unwrap();
    assert_eq!(json_body(&mut res).await["status"], "ok");
    assert_eq!(app.session("default", &ust).await.0, 401);

    // A lock ends it at once, for good: the session is gone, so unlocking does not bring it back.
    let ust = login().await.1["ust"].as_str().unwrap().to_owned();
    let ctx = app.services.ctx("default").await;
    let sam = UserRef::Username("sam".into());
    app.services
        .sso
        .lock_user(&app.services.sso.cli_admin(ctx.tenant.clone()), &sam)
        .await
        .unwrap();
    let (status, reply) = app.session("default", &ust).await;
    assert_eq!((status, sub(&reply)), (401, "E007001".to_owned()));
    app.services
        .sso
        .unlock_user(&app.services.sso.cli_admin(ctx.tenant.clone()), &sam)
        .await
        .unwrap();
    assert_eq!(app.session("default", &ust).await.0, 401);
    // So does a rejection.
    let ust = login().await.1["ust"].as_str().unwrap().to_owned();
    app.services
        .sso
        .reject_user(&app.services.sso.cli_admin(ctx.tenant.clone()), &sam)
        .await
        .unwrap();
    let (status, reply) = app.session("default", &ust).await;
    assert_eq!((status, sub(&reply)), (401, "E007001".to_owned()));
    app.services
        .sso
        .approve_user(&app.services.sso.cli_admin(ctx.tenant.clone()), &sam)
        .await
        .unwrap();
    assert_eq!(app.session("default", &ust).await.0, 401);
    let ust = login().await.1["ust"].as_str().unwrap().to_owned();
    assert_eq!(app.session("default", &ust).await.0, 200);
    // An address outside a newly set allow-list ends its use, and so does an expired password.
    app.set("default", "user_address_list", "sam", json!("10.0.0.0/8"))
        .await;
    let (status, reply) = app.session("default", &ust).await;
    assert_eq!((status, sub(&reply)), (401, "E005001".to_owned()));
    app.set("default", "user_address_list", "sam", json!("*")).await;
    assert_eq!(app.session("default", &ust).await.0, 200);
    let mut row = app.find("default", "sam").await;
    let keep = row.password_expiry;
    row.password_expiry = app.services.sso.clock.now() - TimeDelta::seconds(1);
    app.save_user(&row).await;
    let (status, reply) = app.session("default", &ust).await;
    assert_eq!(
        (status, sub(&reply)),
        (401, "E005001".to_owned()),
        "expired password, reason hidden by default"
    );
    row.password_expiry = keep;
    app.save_user(&row).await;
    assert_eq!(app.session("default", &ust).await.0, 200);

    // Expiry, by the injected clock.
    app.services.sso.clock.advance(TimeDelta::minutes(61));
    assert_eq!(app.session("default", &ust).await.0, 401);

    // Missing, malformed and raw tokens are all E007001.
    let res = app
        .client
        .get(app.url("/api/v1/t/default/session"))
        .insert_header(("X-Current-App", APP))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let raw = app.services.sso.keyring.open_text(&ust).unwrap();
    assert!(raw.starts_with("zust"));
    assert_eq!(app.session("default", &raw).await.0, 401, "the raw secret is not a UST");
    assert_eq!(app.session("default", "gAAAAAnot-a-token").await.0, 401);
}
both!(the_ust_check_and_what_ends_a_session);

async fn tenants_do_not_share_users_or_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.services
        .sso
        .create_tenant("acme", None, Actor::Auto, "t")
        .await
        .unwrap();
    app.user("default", "pat", "default's passphrase", |_| {}).await;
    app.user("acme", "pat", "acme's passphrase", |_| {}).await;
    let ust_default = app.ok_both("default", creds("pat", "default's passphrase")).await;
    let ust_acme = app.ok_both("acme", creds("pat", "acme's passphrase")).await;
    app.refused_both("default", creds("pat", "acme's passphrase"), 401, "E005001")
        .await;
    app.refused_both("acme", creds("pat", "default's passphrase"), 401, "E005001")
        .await;
    let (status, reply) = app.session("acme", &ust_default).await;
    assert_eq!(
        (status, sub(&reply)),
        (401, "E007001".to_owned()),
        "a UST of one tenant is invalid in another"
    );
    assert_eq!(app.session("default", &ust_acme).await.0, 401);
    assert_eq!(app.session("acme", &ust_acme).await.0, 200);
}
both!(tenants_do_not_share_users_or_sessions);

async fn a_zato_pbkdf2_hash_logs_in_and_becomes_argon2id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "zed", "placeholder passphrase", |_| {}).await;
    let mut zed = app.find("default", "zed").await;
    zed.password_hash = include_str!("../data/pbkdf2_sha512.txt").trim().to_owned();
    app.save_user(&zed).await;

    app.refused_both("default", creds("zed", "zato-password-2"), 401, "E005001")
        .await;
    assert!(
        app.find("default", "zed")
            .await
            .password_hash
            .starts_with("$pbkdf2-sha512$"),
        "a failed login changes nothing"
    );
    let (status, _) = app.native_login("default", APP, creds("zed", "zato-password-1")).await;
    assert_eq!(status, 200);
    let zed = app.find("default", "zed").await;
    assert!(
        zed.password_hash.starts_with("$argon2id$"),
        "rehashed after the successful login"
    );
    app.ok_both("default", creds("zed", "zato-password-1")).await;
}
both!(a_zato_pbkdf2_hash_logs_in_and_becomes_argon2id);

async fn every_refusal_costs_one_verification(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "val", "val's passphrase", |_| {}).await;
    app.user("default", "pen", "pen's passphrase", |u| u.auto_approve = false)
        .await;
    let counters = app.services.sso.hasher.counters();
    for body in [
        creds("nobody", "whatever passphrase"),
        creds("pen", "pen's passphrase"),
        creds("pen", "wrong passphrase"),
        creds("val", "wrong passphrase"),
        creds("val", ""),
        json!({"username": null, "password": null}),
    ] {
        let before = counters.verifications.load(Ordering::SeqCst);
        let hashes = counters.hashes.load(Ordering::SeqCst);
        let (status, _) = app.native_login("default", APP, body.clone()).await;
        assert_eq!(status, 401);
        assert_eq!(
            counters.verifications.load(Ordering::SeqCst) - before,
            1,
            "one verification for {body}"
        );
        assert_eq!(counters.hashes.load(Ordering::SeqCst), hashes);
    }
}
both!(every_refusal_costs_one_verification);

async fn every_attempt_is_audited_without_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user_id = app.user("default", "aud", "aud's passphrase", |_| {}).await;
    let res = app
        .client
        .post(app.url("/api/v1/t/default/login"))
        .insert_header(("X-Current-App", APP))
        .insert_header(("X-Correlation-ID", "audit-cid-1"))
        .send_json(&creds("aud", "wrong passphrase"))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (_, ok) = app.native_login("default", APP, creds("aud", "aud's passphrase")).await;
    let ust = ok["ust"].as_str().unwrap().to_owned();
    let ctx = app.services.ctx("default").await;
    let pk = ctx.tenant.pk;
    let rows = app
        .services
        .sso
        .store
        .tenant(pk, move |conn| gatehouse::store::audit::recent(conn, pk, 50))
        .await
        .unwrap();
    let logins: Vec<_> = rows.iter().filter(|r| r.op == "user.login").collect();
    assert_eq!(logins.len(), 2);
    let (good, bad) = (logins[0], logins[1]);
    assert_eq!(bad.cid, "audit-cid-1");
    assert_eq!(
        (bad.result.as_str(), bad.sub_status.as_deref()),
        ("error", Some("E005001"))
    );
    assert_eq!(bad.target_user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(bad.remote_addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(bad.current_app.as_deref(), Some(APP));
    assert_eq!((good.result.as_str(), good.sub_status.as_deref()), ("ok", None));
    let everything = format!("{rows:?}");
    for secret in ["wrong passphrase", "aud's passphrase", ust.as_str()] {
        assert!(!everything.contains(secret), "the audit log must not hold {secret}");
    }
}
both!(every_attempt_is_audited_without_secrets);

fn run_python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(crate::common::python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs (just setup installs the cryptography package)");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn usts_interoperate_with_pythons_fernet(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("default", "py", "py's passphrase", |_| {}).await;
    let (_, reply) = app.native_login("default", APP, creds("py", "py's passphrase")).await;
    let ust = reply["ust"].as_str().unwrap();
    let key = match backend {
        Backend::Postgres => app
            .services
            .sso
            .config
            .crypto
            .fernet_keys
            .iter()
            .next()
            .unwrap()
            .expose()
            .to_owned(),
        Backend::Sqlite => std::fs::read_to_string(&app.services.sso.config.crypto.key_file)
            .unwrap()
            .trim()
            .to_owned(),
    };
    let decrypted = run_python(
        "import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).decode())",
        &[&key, ust],
    );
    assert!(
        decrypted.starts_with("zust") && decrypted.len() > 20,
        "Python opened the UST: {decrypted}"
    );

    // And the other way: a token Python makes opens with the server's keyring.
    let token = run_python(
        "import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).encrypt(b'made by python').decode())",
        &[&key],
    );
    assert_eq!(
        app.services.sso.keyring.open_text(&token).as_deref(),
        Some("made by python")
    );
}
both!(usts_interoperate_with_pythons_fernet);

/// A login that needs another step hands back a continuation, so the web pages can ask for the code and then
/// a new password without ever holding the password or reusing a code.
async fn continuations_finish_a_login_without_the_password(backend: Backend) {
    use gatehouse::sso::error::{LoginStep, SsoError};
    use gatehouse::sso::login::LoginRequest;
    let app = TestApp::spawn(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    app.user("default", "cat", "cat's passphrase", |u| {
        u.totp_key = Some(key.into());
        u.must_change = true;
    })
    .await;
    let sso = &app.services.sso;
    let mut ctx = app.services.ctx("default").await;
    ctx.current_app = APP.into();
    let first = sso
        .login(
            &ctx,
            LoginRequest {
                username: Some("cat".into()),
                password: Some(Password::new("cat's passphrase")),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap_err();
    let SsoError::NeedsMore {
        step: LoginStep::Totp,
        continuation,
        ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert!(
        !format!("{continuation:?}").contains(&continuation.0),
        "never in Debug output"
    );
    let code = gatehouse::sso::totp::code_at(key, ctx.now).unwrap();
    let second = sso
        .login(
            &ctx,
            LoginRequest {
                continuation: Some(continuation.0.clone()),
                totp_code: Some(code),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap_err();
    let SsoError::NeedsMore {
        step: LoginStep::NewPassword,
        code: sub,
        continuation: after_totp,
        ..
    } = second
    else {
        panic!("{second:?}")
    };
    assert_eq!(sub.code(), "E003007");
    // The new password with the second continuation: no password, no (used-up) code needed.
    let done = sso
        .login(
            &ctx,
            LoginRequest {
                continuation: Some(after_totp.0.clone()),
                new_password: Some(Password::new("cat's new passphrase")),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(done.session.username, "cat");
    // The login finished: both continuations are used up (the domain's own check; the pages test replays them
    // through a browser).
    for used in [&continuation, &after_totp] {
        let err = sso
            .login(
                &ctx,
                LoginRequest {
                    continuation: Some(used.0.clone()),
                    totp_code: Some(gatehouse::sso::totp::code_at(key, ctx.now).unwrap()),
                    new_password: Some(Password::new("cat's third passphrase")),
                    ..LoginRequest::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.visible_code().map(|c| c.code()), Some("E005001"), "used up");
    }
    // A fresh one is worthless after five minutes; a forged one always.
    let third = sso
        .login(
            &ctx,
            LoginRequest {
                username: Some("cat".into()),
                password: Some(Password::new("cat's new passphrase")),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap_err();
    let SsoError::NeedsMore {
        continuation: third, ..
    } = third
    else {
        panic!("{third:?}")
    };
    app.services.sso.clock.advance(TimeDelta::seconds(5 * 60 + 1));
    let mut later = app.services.ctx("default").await;
    later.current_app = APP.into();
    let err = sso
        .login(
            &later,
            LoginRequest {
                continuation: Some(third.0.clone()),
                totp_code: Some(gatehouse::sso::totp::code_at(key, later.now).unwrap()),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.visible_code().map(|c| c.code()), Some("E005001"), "expired");
    let err = sso
        .login(
            &later,
            LoginRequest {
                continuation: Some("gAAAAAforged".into()),
                ..LoginRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.visible_code().map(|c| c.code()), Some("E005001"));
}
both!(continuations_finish_a_login_without_the_password);

async fn common_passwords_are_refused_and_can_force_a_change_at_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A new password from the breach lists is refused wherever one is set: at creation and at login.
    let ctx = app.services.ctx("default").await;
    let refused = app
        .services
        .sso
        .create_user(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            NewUser {
                username: "cole".into(),
                password: Some(Password::new("Sunshine1")),
                auto_approve: true,
                ..NewUser::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(SubStatus::PasswordTooCommon));
    app.user("default", "cole", "cole's placeholder passphrase", |u| {
        u.must_change = true
    })
    .await;
    app.refused_both(
        "default",
        json!({"username": "cole", "password": "cole's placeholder passphrase", "new_password": "iloveyou"}),
        422,
        "E003009",
    )
    .await;

    // An account imported with a common password: logins work until the tenant asks for the check.
    app.give_password("cole", "baseball").await;
    app.ok_both("default", creds("cole", "baseball")).await;
    app.set("default", "password", "check_breached_at_login", json!(true))
        .await;
    app.refused_both("default", creds("cole", "baseball"), 401, "E003009")
        .await;
    let (status, reply) = app
        .native_login(
            "default",
            APP,
            json!({"username": "cole", "password": "baseball", "new_password": "cole's own long phrase"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    app.ok_both("default", creds("cole", "cole's own long phrase")).await;
    app.refused_both("default", creds("cole", "baseball"), 401, "E005001")
        .await;
}
both!(common_passwords_are_refused_and_can_force_a_change_at_login);
