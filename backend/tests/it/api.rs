//! The native SSO API: sessions, users, attributes and 2FA, with the failure cases every endpoint shares.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser};
use serde_json::{Value, json};

const APP: &str = "CRM";

pub(crate) struct Api {
    pub(crate) app: TestApp,
}

pub(crate) fn sub(v: &Value) -> String {
    v["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

/// A native call to the instance at `base` (this app's, or a second instance's), as the app `CRM`.
pub(crate) async fn call_base(
    app: &TestApp,
    base: &str,
    method: &str,
    tenant: &str,
    path: &str,
    ust: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), format!("{base}/api/v1/t/{tenant}{path}"))
        .insert_header(("X-Current-App", APP));
    if let Some(ust) = ust {
        req = req.insert_header(("Authorization", format!("Bearer {ust}")));
    }
    let mut res = match body {
        Some(b) => req.send_json(&b).await.unwrap(),
        None => req.send().await.unwrap(),
    };
    let status = res.status().as_u16();
    let bytes = res.body().limit(1 << 20).await.unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

impl Api {
    pub(crate) async fn new(backend: Backend) -> Api {
        let app = TestApp::spawn(backend).await;
        let api = Api { app };
        api.user("default", "root", "root's passphrase", true).await;
        api.user("default", "alice", "alice's passphrase", false).await;
        api.user("default", "bob", "bob's passphrase", false).await;
        api.app
            .services
            .sso
            .create_tenant("other", None, Actor::Auto, "t")
            .await
            .unwrap();
        api.user("other", "carol", "carol's passphrase", true).await;
        api
    }

    pub(crate) async fn user(&self, tenant: &str, name: &str, password: &str, is_super: bool) -> String {
        let ctx = self.app.services.ctx(tenant).await;
        let new = NewUser {
            username: name.into(),
            password: Some(Password::new(password)),
            auto_approve: true,
            is_super_user: is_super,
            ..NewUser::default()
        };
        self.app
            .services
            .sso
            .create_user(&self.app.services.sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap()
            .user_id
    }

    pub(crate) async fn login(&self, tenant: &str, name: &str) -> String {
        let password = format!("{name}'s passphrase");
        let mut res = self
            .app
            .client
            .post(self.app.url(&format!("/api/v1/t/{tenant}/login")))
            .insert_header(("X-Current-App", APP))
            .send_json(&json!({"username": name, "password": password}))
            .await
            .unwrap();
        let body = json_body(&mut res).await;
        let ust = body["ust"]
            .as_str()
            .unwrap_or_else(|| panic!("login {name}: {body}"))
            .to_owned();
        crate::common::remember_secret(&ust);
        crate::common::remember_secret(body["session_id"].as_str().unwrap_or_default());
        ust
    }

    /// A call to `/api/v1/t/{tenant}{path}` with a UST (or none) and a JSON body (or none).
    pub(crate) async fn call(
        &self,
        method: &str,
        tenant: &str,
        path: &str,
        ust: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call_base(&self.app, &self.app.base, method, tenant, path, ust, body).await
    }

    /// The failures every authenticated endpoint shares: no UST, a garbage one, one of another tenant, one that
    /// has expired or was logged out.
    async fn rejects_bad_usts(&self, method: &str, path: &str, body: Option<Value>) {
        let (status, reply) = self.call(method, "default", path, None, body.clone()).await;
        assert_eq!(
            (status, sub(&reply)),
            (401, "E007001".to_owned()),
            "{method} {path} without a UST"
        );
        let (status, _) = self
            .call(method, "default", path, Some("gAAAAAjunk"), body.clone())
            .await;
        assert_eq!(status, 401, "{method} {path} with junk");
        let foreign = self.login("other", "carol").await;
        let (status, reply) = self.call(method, "default", path, Some(&foreign), body.clone()).await;
        assert_eq!(
            (status, sub(&reply)),
            (401, "E007001".to_owned()),
            "{method} {path} with a foreign UST"
        );
        let gone = self.login("default", "root").await;
        self.call("POST", "default", "/logout", Some(&gone), None).await;
        let (status, _) = self.call(method, "default", path, Some(&gone), body).await;
        assert_eq!(status, 401, "{method} {path} after logout");
    }
}

async fn sessions_renew_verify_list_and_end(backend: Backend) {
    let api = Api::new(backend).await;
    let clock = api.app.services.sso.clock.clone();
    let alice = api.login("default", "alice").await;
    let alice2 = api.login("default", "alice").await;
    let root = api.login("default", "root").await;

    // Renew slides the expiry; get and verify do not.
    clock.advance(TimeDelta::minutes(30));
    let (status, reply) = api.call("PATCH", "default", "/session", Some(&alice), None).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["expiration_time"], "2026-11-28T11:30:00Z");
    let (_, session) = api.call("GET", "default", "/session", Some(&alice), None).await;
    assert_eq!(session["expiration_time"], "2026-11-28T11:30:00Z");
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/sessions/verify",
            Some(&root),
            Some(json!({"target_ust": alice})),
        )
        .await;
    assert_eq!((status, reply), (200, json!({"is_valid": true})));
    let (_, session) = api.call("GET", "default", "/session", Some(&alice), None).await;
    assert_eq!(
        session["expiration_time"], "2026-11-28T11:30:00Z",
        "verify does not renew"
    );
    let (_, reply) = api
        .call(
            "POST",
            "default",
            "/sessions/verify",
            Some(&root),
            Some(json!({"target_ust": "junk"})),
        )
        .await;
    assert_eq!(reply["is_valid"], false);
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/sessions/verify",
            Some(&alice),
            Some(json!({"target_ust": root})),
        )
        .await;
    assert_eq!(
        (status, sub(&reply)),
        (403, "E005001".to_owned()),
        "verify is a super-user's call"
    );
    let (status, reply) = api
        .call("POST", "default", "/sessions/verify", Some(&root), Some(json!({})))
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()));

    // Renew never passes the absolute lifetime (720 minutes).
    for _ in 0..15 {
        clock.advance(TimeDelta::minutes(50));
        api.call("PATCH", "default", "/session", Some(&alice), None).await;
    }
    let (status, _) = api.call("GET", "default", "/session", Some(&alice), None).await;
    assert_eq!(status, 401, "past the absolute lifetime");
    let alice = api.login("default", "alice").await;
    let root = api.login("default", "root").await;

    // Lists carry public ids only, and mark the current session.
    let (status, list) = api.call("GET", "default", "/sessions", Some(&alice), None).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "alice2 has expired; one live session: {list:?}");
    assert_eq!(list[0]["current"], true);
    let text = serde_json::to_string(&list).unwrap();
    assert!(
        !text.contains(&alice) && !text.contains("zust"),
        "no UST or secret in a list"
    );
    let alice_id = api.call("GET", "default", "/users/me", Some(&alice), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, list) = api
        .call(
            "GET",
            "default",
            &format!("/sessions?user_id={alice_id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1));
    let (status, reply) = api
        .call(
            "GET",
            "default",
            &format!("/sessions?user_id={alice_id}"),
            Some(&alice2),
            None,
        )
        .await;
    assert_eq!(status, 401, "an expired session: {reply}");
    let bob = api.login("default", "bob").await;
    let (status, reply) = api
        .call(
            "GET",
            "default",
            &format!("/sessions?user_id={alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));

    // Ending by id: one's own, or a super-user's; another's is unknown to a regular user.
    let second = api.login("default", "alice").await;
    let (_, list) = api.call("GET", "default", "/sessions", Some(&alice), None).await;
    let other_id = list.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = api
        .call("DELETE", "default", &format!("/sessions/{other_id}"), Some(&bob), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(
            "DELETE",
            "default",
            &format!("/sessions/{other_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.call("GET", "default", "/session", Some(&second), None).await.0,
        401,
        "that session ended"
    );
    assert_eq!(
        api.call("GET", "default", "/session", Some(&alice), None).await.0,
        200,
        "only that one"
    );
    let (_, list) = api.call("GET", "default", "/sessions", Some(&alice), None).await;
    let own_id = list[0]["session_id"].as_str().unwrap().to_owned();
    let (status, _) = api
        .call("DELETE", "default", &format!("/sessions/{own_id}"), Some(&root), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(api.call("GET", "default", "/session", Some(&alice), None).await.0, 401);
    let carol = api.login("other", "carol").await;
    let (_, list) = api.call("GET", "default", "/sessions", Some(&root), None).await;
    let root_sid = list[0]["session_id"].as_str().unwrap().to_owned();
    let (status, _) = api
        .call("DELETE", "other", &format!("/sessions/{root_sid}"), Some(&carol), None)
        .await;
    assert_eq!(status, 404, "a session of another tenant is unknown");

    for (method, path) in [("PATCH", "/session"), ("GET", "/sessions"), ("GET", "/session")] {
        api.rejects_bad_usts(method, path, None).await;
    }
    api.rejects_bad_usts("POST", "/sessions/verify", Some(json!({"target_ust": "x"})))
        .await;
}
both!(sessions_renew_verify_list_and_end);

async fn users_me_update_and_passwords(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let (status, me) = api.call("GET", "default", "/users/me", Some(&alice), None).await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = me.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "display_name",
            "email",
            "first_name",
            "is_totp_enabled",
            "last_name",
            "middle_name",
            "totp_label",
            "user_id",
            "username"
        ],
        "a regular caller sees the regular fields and their own user_id"
    );
    let root = api.login("default", "root").await;
    let (_, root_me) = api.call("GET", "default", "/users/me", Some(&root), None).await;
    assert_eq!(root_me["is_super_user"], true);
    assert_eq!(root_me["approval_status"], "approved");
    assert!(root_me.get("password_expiry").is_some() && root_me.get("totp_key").is_none());

    let (status, updated) = api
        .call(
            "PATCH",
            "default",
            "/users/me",
            Some(&alice),
            Some(json!({"display_name": "Alice A.", "email": "Alice@Example.com"})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["display_name"], "Alice A.");
    assert_eq!(
        updated["email"],
        Value::Null,
        "a new address waits for its confirmation"
    );
    // The confirmation goes to the new address; its link confirms it.
    let queued = crate::common::outbox_rows(&api.app.services.sso).await;
    let message = queued
        .iter()
        .find(|m| m.kind == "email_change")
        .expect("a confirmation message");
    assert_eq!(message.recipient, "Alice@Example.com");
    let token = crate::common::token_in(&message.body_text, "/email/confirm?token=");
    let (status, _) = api
        .call("POST", "default", "/email/confirm", None, Some(json!({"token": token})))
        .await;
    assert_eq!(status, 204);
    let (status, reply) = api
        .call("POST", "default", "/email/confirm", None, Some(json!({"token": token})))
        .await;
    assert_eq!((status, sub(&reply)), (409, "E005007".to_owned()), "a link works once");
    let (_, me) = api.call("GET", "default", "/users/me", Some(&alice), None).await;
    assert_eq!(me["email"], "Alice@Example.com");
    let row = api.app.find("default", "alice").await;
    assert!(row.email_confirmed);
    assert_ne!(row.email.as_deref(), Some("Alice@Example.com"), "sealed at rest");
    for (body, status, code) in [
        (json!({}), 400, "E008003"),
        (json!({"is_super_user": true}), 400, "E008002"),
        (json!({"approval_status": "approved"}), 400, "E008002"),
        (json!({"is_totp_enabled": true}), 400, "E008002"),
        (json!({"display_name": 5}), 400, "E008002"),
        (json!({"username": "bob"}), 409, "E001002"),
    ] {
        let (s, reply) = api
            .call("PATCH", "default", "/users/me", Some(&alice), Some(body.clone()))
            .await;
        assert_eq!((s, sub(&reply)), (status, code.to_owned()), "{body}");
    }
    let (status, renamed) = api
        .call(
            "PATCH",
            "default",
            "/users/me",
            Some(&alice),
            Some(json!({"username": "alicia"})),
        )
        .await;
    assert_eq!((status, renamed["username"].as_str()), (200, Some("alicia")));
    assert_eq!(
        api.app.find("default", "alicia").await.user_id,
        me["user_id"].as_str().unwrap()
    );
    api.call(
        "PATCH",
        "default",
        "/users/me",
        Some(&alice),
        Some(json!({"username": "alice"})),
    )
    .await;

    // Changing one's own password: the old one is required; other sessions end, this one stays.
    let other = api.login("default", "alice").await;
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&alice),
            Some(json!({"new_password": "alice's new passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()));
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&alice),
            Some(json!({"old_password": "wrong", "new_password": "alice's new passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&alice),
            Some(json!({"old_password": "alice's passphrase", "new_password": "short"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E003002".to_owned()));
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&alice),
            Some(json!({"old_password": "alice's passphrase", "new_password": "alice's new passphrase"})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(api.call("GET", "default", "/session", Some(&alice), None).await.0, 200);
    assert_eq!(
        api.call("GET", "default", "/session", Some(&other), None).await.0,
        401,
        "other sessions ended"
    );

    // An expired password can still be changed with the old one (quirk Q6), though the session can do
    // nothing else.
    let bob = api.login("default", "bob").await;
    let mut row = api.app.find("default", "bob").await;
    row.password_expiry = api.app.services.sso.clock.now() - TimeDelta::seconds(1);
    api.app.save_user(&row).await;
    assert_eq!(api.call("GET", "default", "/users/me", Some(&bob), None).await.0, 401);
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&bob),
            Some(json!({"old_password": "bob's passphrase", "new_password": "bob's new passphrase"})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.call("GET", "default", "/users/me", Some(&bob), None).await.0,
        200,
        "the session works again"
    );

    api.rejects_bad_usts("GET", "/users/me", None).await;
    api.rejects_bad_usts("PATCH", "/users/me", Some(json!({"display_name": "x"})))
        .await;
    api.rejects_bad_usts(
        "PATCH",
        "/users/me/password",
        Some(json!({"old_password": "x", "new_password": "y"})),
    )
    .await;
}
both!(users_me_update_and_passwords);

async fn super_users_manage_users(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let alice = api.login("default", "alice").await;

    let (status, created) = api
        .call("POST", "default", "/users", Some(&root), Some(json!({"username": "dave", "password": "dave's passphrase", "email": "dave@example.com", "display_name": "Dave D", "totp_label": "phone"})))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["approval_status"], "before_decision",
        "approval is needed by default"
    );
    assert_eq!(created["is_approval_needed"], true);
    assert_eq!(created["is_super_user"], false);
    assert_eq!(created["totp_label"], "phone");
    let dave = created["user_id"].as_str().unwrap().to_owned();
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users",
            Some(&root),
            Some(json!({"username": "dave"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (409, "E001002".to_owned()));
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users",
            Some(&root),
            Some(json!({"username": "x", "password": "short"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E003002".to_owned()));
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users",
            Some(&root),
            Some(json!({"password": "a long passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()));
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users",
            Some(&root),
            Some(json!({"username": "y", "is_super_user": true})),
        )
        .await;
    assert_eq!(
        (status, sub(&reply)),
        (400, "E008002".to_owned()),
        "super-users are not made over REST"
    );
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users",
            Some(&alice),
            Some(json!({"username": "eve"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let (status, auto) = api
        .call(
            "POST",
            "default",
            "/users",
            Some(&root),
            Some(json!({"username": "erin", "auto_approve": true})),
        )
        .await;
    assert_eq!((status, auto["approval_status"].as_str()), (201, Some("approved")));

    let path = format!("/users/{dave}");
    let (status, got) = api.call("GET", "default", &path, Some(&root), None).await;
    assert_eq!((status, got["email"].as_str()), (200, Some("dave@example.com")));
    for (verb, field, value) in [
        ("approve", "approval_status", json!("approved")),
        ("lock", "is_locked", json!(true)),
        ("unlock", "is_locked", json!(false)),
        ("reject", "approval_status", json!("rejected")),
    ] {
        let (status, reply) = api
            .call("POST", "default", &format!("{path}/{verb}"), Some(&root), None)
            .await;
        assert_eq!((status, reply[field].clone()), (200, value), "{verb}");
        let (status, reply) = api
            .call("POST", "default", &format!("{path}/{verb}"), Some(&alice), None)
            .await;
        assert_eq!(
            (status, sub(&reply)),
            (403, "E005001".to_owned()),
            "{verb} by a regular user"
        );
    }
    let (status, updated) = api
        .call("PATCH", "default", &path, Some(&root), Some(json!({"approval_status": "approved", "password_must_change": true, "password_expiry": "2030-01-01T00:00:00Z", "last_name": "Doe"})))
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["password_expiry"], "2030-01-01T00:00:00Z");
    assert_eq!(
        (updated["password_must_change"].clone(), updated["last_name"].clone()),
        (json!(true), json!("Doe"))
    );
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &path,
            Some(&root),
            Some(json!({"approval_status": "maybe"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));

    // Setting another's password ends that user's sessions.
    api.call(
        "PATCH",
        "default",
        &path,
        Some(&root),
        Some(json!({"password_must_change": false})),
    )
    .await;
    let dave_ust = api.login("default", "dave").await;
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("{path}/password"),
            Some(&root),
            Some(json!({"new_password": "dave's second passphrase", "must_change": true, "password_expiry": 5})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.call("GET", "default", "/session", Some(&dave_ust), None).await.0,
        401
    );
    let row = api.app.find("default", "dave").await;
    assert!(row.password_must_change);
    assert_eq!(
        row.password_expiry,
        api.app.services.sso.clock.now() + TimeDelta::days(5)
    );
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("{path}/password"),
            Some(&root),
            Some(json!({"new_password": "123456789"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E003001".to_owned()));

    // Deleting: not oneself; a deleted user's sessions stop at once.
    let root_id = api.call("GET", "default", "/users/me", Some(&root), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, reply) = api
        .call("DELETE", "default", &format!("/users/{root_id}"), Some(&root), None)
        .await;
    assert_eq!((status, sub(&reply)), (403, "E008001".to_owned()));
    let bob_ust = api.login("default", "bob").await;
    let bob_id = api.call("GET", "default", "/users/me", Some(&bob_ust), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = api
        .call("DELETE", "default", &format!("/users/{bob_id}"), Some(&root), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        api.call("GET", "default", "/session", Some(&bob_ust), None).await.0,
        401
    );
    let (status, _) = api
        .call("DELETE", "default", &format!("/users/{bob_id}"), Some(&root), None)
        .await;
    assert_eq!(status, 404);

    // A super-user of another tenant learns nothing of this one's users.
    let carol = api.login("other", "carol").await;
    for (method, suffix) in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/lock"),
        ("GET", "/address-list"),
    ] {
        let body = (method == "PATCH").then(|| json!({"last_name": "x"}));
        let (status, reply) = api
            .call(method, "other", &format!("{path}{suffix}"), Some(&carol), body)
            .await;
        assert_eq!((status, sub(&reply)), (404, "E001100".to_owned()), "{method} {suffix}");
    }
    api.rejects_bad_usts("GET", &path, None).await;
    api.rejects_bad_usts("POST", "/users", Some(json!({"username": "z"})))
        .await;
}
both!(super_users_manage_users);

async fn search_pages_and_criteria(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    for (name, display, first, last, email) in [
        ("u1", "Anna Smith", "Anna", "Smith", "anna@example.com"),
        ("u2", "Annabel Jones", "Annabel", "Jones", "annabel@example.com"),
        ("u3", "Bert Smith", "Bert", "Smith", "bert@example.com"),
        ("u4", "Carl Young", "Carl", "Young", "carl@example.com"),
    ] {
        let (status, _) = api
            .call("POST", "default", "/users", Some(&root), Some(json!({"username": name, "display_name": display, "first_name": first, "last_name": last, "email": email, "auto_approve": true})))
            .await;
        assert_eq!(status, 201);
    }
    let search = |query: &'static str| {
        let api = &api;
        let root = root.clone();
        async move {
            let (status, page) = api
                .call("GET", "default", &format!("/users?{query}"), Some(&root), None)
                .await;
            assert_eq!(status, 200, "{query}: {page}");
            let names: Vec<String> = page["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned())
                .collect();
            (page, names)
        }
    };
    // A Smith in the other tenant is never counted nor found here.
    let carol = api.login("other", "carol").await;
    let (status, _) = api
        .call("POST", "other", "/users", Some(&carol), Some(json!({"username": "os", "display_name": "Otto Smith", "first_name": "Otto", "last_name": "Smith", "auto_approve": true})))
        .await;
    assert_eq!(status, 201);
    let (page, names) = search("last_name=smith").await;
    assert_eq!(names, ["u1", "u3"], "exact, case-insensitive");
    assert_eq!(page["total"], 2, "names only: counted among the names of this tenant");
    let (page, names) = search("last_name=smith&approval_status=approved").await;
    assert_eq!(
        (page["total"].clone(), names.len()),
        (json!(2), 2),
        "names and a user criterion: counted through the join"
    );
    let (page, names) = search("first_name=ann&is_name_exact=false").await;
    assert_eq!(names, ["u1", "u2"], "substring");
    assert_eq!(page["total"], 2);
    // A renamed user is found by the new name only (the trigger keeps the names current).
    let u4 = api.app.find("default", "u4").await.user_id;
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{u4}"),
            Some(&root),
            Some(json!({"last_name": "Smith-Young"})),
        )
        .await;
    assert_eq!(status, 200);
    let (page, names) = search("last_name=young").await;
    assert_eq!((page["total"].clone(), names.len()), (json!(0), 0));
    let (_, names) = search("last_name=SMITH-YOUNG").await;
    assert_eq!(names, ["u4"]);
    let (_, names) = search("first_name=anna&last_name=smith-young&name_op=or").await;
    assert_eq!(names, ["u1", "u4"]);
    let (_, names) = search("first_name=anna&last_name=smith-young&name_op=and").await;
    assert!(names.is_empty());
    let (_, names) = search("email=BERT@example.com").await;
    assert_eq!(names, ["u3"], "e-mail search works with sealed e-mails");
    let (_, names) = search("username=u2&last_name=smith").await;
    assert_eq!(names, ["u2"], "username wins over names");
    // Paging: 8 users (the bootstrap admin, root, alice, bob and four more), pages of 3.
    let (page, names) = search("page_size=3").await;
    assert_eq!(
        (
            page["total"].clone(),
            page["num_pages"].clone(),
            page["cur_page"].clone()
        ),
        (json!(8), json!(3), json!(1))
    );
    assert_eq!(
        (
            page["has_prev_page"].clone(),
            page["prev_page"].clone(),
            page["next_page"].clone()
        ),
        (json!(false), Value::Null, json!(2))
    );
    assert_eq!(
        names,
        ["u1", "u2", "u3"],
        "ordered by display name; users without one last"
    );
    let (page, names) = search("page_size=3&cur_page=3").await;
    assert_eq!(
        (
            page["has_next_page"].clone(),
            page["next_page"].clone(),
            page["prev_page"].clone()
        ),
        (json!(false), Value::Null, json!(2))
    );
    assert_eq!(names.len(), 2);
    let (page, names) = search("page_size=3&cur_page=9").await;
    assert!(names.is_empty());
    assert_eq!(page["cur_page"], 9);
    let (page, _) = search("page_size=1000&cur_page=0").await;
    assert_eq!(
        (page["page_size"].clone(), page["cur_page"].clone()),
        (json!(100), json!(1)),
        "capped and floored"
    );
    let (status, reply) = api
        .call("GET", "default", "/users?name_op=xor&first_name=a", Some(&root), None)
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));
    let (status, reply) = api
        .call("GET", "default", "/users?cur_page=abc", Some(&root), None)
        .await;
    assert_eq!(status, 400, "{reply}");
    let alice = api.login("default", "alice").await;
    let (status, reply) = api.call("GET", "default", "/users", Some(&alice), None).await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
}
both!(search_pages_and_criteria);

async fn the_stored_address_list_overrides_the_tenant_setting(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let alice = api.login("default", "alice").await;
    let alice_id = api.call("GET", "default", "/users/me", Some(&alice), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/users/{alice_id}/address-list");
    assert_eq!(
        api.call("GET", "default", &path, Some(&root), None).await.1,
        json!({"addresses": null})
    );
    let (status, reply) = api
        .call(
            "PUT",
            "default",
            &path,
            Some(&root),
            Some(json!({"addresses": ["10.0.0.0/8"]})),
        )
        .await;
    assert_eq!((status, reply), (200, json!({"addresses": ["10.0.0.0/8"]})));
    assert_eq!(
        api.call("GET", "default", "/session", Some(&alice), None).await.0,
        401,
        "live sessions re-checked"
    );
    let (status, reply) = api
        .call(
            "PUT",
            "default",
            &path,
            Some(&root),
            Some(json!({"addresses": ["127.0.0.0/8", "::1"]})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(api.call("GET", "default", "/session", Some(&alice), None).await.0, 200);
    // The stored list wins over the tenant's setting.
    api.app.set("default", "user_address_list", "alice", json!("")).await;
    assert_eq!(api.call("GET", "default", "/session", Some(&alice), None).await.0, 200);
    let (status, _) = api.call("DELETE", "default", &path, Some(&root), None).await;
    assert_eq!(status, 204);
    assert_eq!(
        api.call("GET", "default", "/session", Some(&alice), None).await.0,
        401,
        "back to the tenant's (empty: deny)"
    );
    let (status, reply) = api
        .call(
            "PUT",
            "default",
            &path,
            Some(&root),
            Some(json!({"addresses": ["not-an-ip"]})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E008002".to_owned()));
    let (status, reply) = api
        .call(
            "PUT",
            "default",
            &path,
            Some(&root),
            Some(json!({"addresses": "10.0.0.1"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));
}
both!(the_stored_address_list_overrides_the_tenant_setting);

async fn user_and_session_attributes(backend: Backend) {
    let api = Api::new(backend).await;
    let clock = api.app.services.sso.clock.clone();
    let alice = api.login("default", "alice").await;
    let bob = api.login("default", "bob").await;
    let root = api.login("default", "root").await;
    let alice_id = api.call("GET", "default", "/users/me", Some(&alice), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("/users/{alice_id}/attrs");

    let (status, _) = api
        .call(
            "POST",
            "default",
            &base,
            Some(&alice),
            Some(json!({"name": "theme", "value": {"dark": true, "size": 3}})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, reply) = api
        .call(
            "POST",
            "default",
            &base,
            Some(&alice),
            Some(json!({"name": "theme", "value": 1})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (409, "E009001".to_owned()));
    let (status, attr) = api
        .call("GET", "default", &format!("{base}/theme"), Some(&alice), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(attr["value"], json!({"dark": true, "size": 3}));
    assert_eq!(attr["is_encrypted"], false);
    assert_eq!(attr["expiration_time"], "9999-12-31T00:00:00Z");
    // Until the first update, last_modified is the creation time (Zato's clients parse it as a date).
    assert_eq!(attr["last_modified"], attr["creation_time"]);

    // Encrypted at rest: the stored value is not the plaintext.
    let (status, _) = api
        .call(
            "POST",
            "default",
            "/users/me/attrs",
            Some(&alice),
            Some(json!({"name": "secret", "value": "s3cr3t-value", "encrypt": true, "expiration": 60})),
        )
        .await;
    assert_eq!(status, 201);
    let stored: Vec<(String, bool)> = {
        let pk = api.app.services.ctx("default").await.tenant.pk;
        api.app
            .services
            .sso
            .store
            .tenant(pk, move |conn| {
                use diesel::prelude::*;
                use gatehouse::store::schema::attrs;
                Ok(attrs::table
                    .filter(attrs::name.eq("secret"))
                    .select((attrs::value, attrs::is_encrypted))
                    .load(conn)?)
            })
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert!(stored[0].1 && !stored[0].0.contains("s3cr3t") && stored[0].0.starts_with("gAAAAA"));
    // An expiration beyond what a time can hold (found by the API fuzzer: it panicked) means never.
    let (status, _) = api
        .call(
            "POST",
            "default",
            "/users/me/attrs",
            Some(&alice),
            Some(json!({"name": "forever", "value": 1, "expiration": i64::MAX - 1})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, forever) = api
        .call("GET", "default", &format!("{base}/forever"), Some(&alice), None)
        .await;
    assert_eq!(forever["expiration_time"], "9999-12-31T00:00:00Z");
    let (status, _) = api
        .call("DELETE", "default", &format!("{base}/forever"), Some(&alice), None)
        .await;
    assert!((200..300).contains(&status), "{status}");
    let (_, attr) = api
        .call("GET", "default", &format!("{base}/secret"), Some(&alice), None)
        .await;
    assert_eq!(
        (attr["value"].clone(), attr["is_encrypted"].clone()),
        (json!("s3cr3t-value"), json!(true))
    );
    assert_eq!(attr["expiration_time"], "2026-11-28T10:01:00Z");

    // Many at once, all or nothing.
    let (status, reply) = api
        .call(
            "POST",
            "default",
            &base,
            Some(&alice),
            Some(json!({"attrs": [{"name": "a", "value": 1}, {"name": "theme", "value": 2}]})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (409, "E009001".to_owned()));
    assert_eq!(
        api.call("GET", "default", &format!("{base}/a"), Some(&alice), None)
            .await
            .0,
        404,
        "rolled back"
    );
    let (status, _) = api
        .call(
            "POST",
            "default",
            &base,
            Some(&alice),
            Some(json!({"attrs": [{"name": "a", "value": 1}, {"name": "b", "value": [1, 2]}]})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, all) = api
        .call(
            "GET",
            "default",
            &format!("{base}?name=a&name=b&name=zzz"),
            Some(&alice),
            None,
        )
        .await;
    let names: Vec<&String> = all["attrs"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["a", "b"]);

    // Update needs the attribute (E009002); set creates or replaces; PATCH with only an expiration sets expiry.
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("{base}/nope"),
            Some(&alice),
            Some(json!({"value": 1})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (404, "E009002".to_owned()));
    let (status, attr) = api
        .call(
            "PATCH",
            "default",
            &format!("{base}/a"),
            Some(&alice),
            Some(json!({"value": "one"})),
        )
        .await;
    assert_eq!((status, attr["value"].clone()), (200, json!("one")));
    assert_eq!(attr["last_modified"], "2026-11-28T10:00:00Z");
    let (status, attr) = api
        .call(
            "PUT",
            "default",
            &format!("{base}/c"),
            Some(&alice),
            Some(json!({"value": null})),
        )
        .await;
    assert_eq!((status, attr["value"].clone()), (200, Value::Null));
    let (status, attr) = api
        .call(
            "PATCH",
            "default",
            &format!("{base}/a"),
            Some(&alice),
            Some(json!({"expiration": 30})),
        )
        .await;
    assert_eq!(
        (status, attr["value"].clone(), attr["expiration_time"].clone()),
        (200, json!("one"), json!("2026-11-28T10:00:30Z"))
    );
    let (status, reply) = api
        .call(
            "PUT",
            "default",
            &format!("{base}/d"),
            Some(&alice),
            Some(json!({"value": 1, "expiration": -5})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008002".to_owned()));
    let (status, reply) = api
        .call("POST", "default", &base, Some(&alice), Some(json!({"value": 1})))
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()));

    // Expired attributes are invisible, and their names free again.
    clock.advance(TimeDelta::seconds(61));
    let (status, reply) = api
        .call("GET", "default", &format!("{base}/a"), Some(&alice), None)
        .await;
    assert_eq!((status, sub(&reply)), (404, "E009002".to_owned()));
    let (_, all) = api.call("GET", "default", &base, Some(&alice), None).await;
    let names: Vec<&String> = all["attrs"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["b", "c", "theme"], "a and secret expired");
    let (status, _) = api
        .call(
            "POST",
            "default",
            &base,
            Some(&alice),
            Some(json!({"name": "a", "value": "again"})),
        )
        .await;
    assert_eq!(status, 201, "an expired name can be created again");

    // Delete.
    assert_eq!(
        api.call("DELETE", "default", &format!("{base}/b"), Some(&alice), None)
            .await
            .0,
        204
    );
    let (status, reply) = api
        .call("DELETE", "default", &format!("{base}/b"), Some(&alice), None)
        .await;
    assert_eq!((status, sub(&reply)), (404, "E009002".to_owned()));

    // The owner or a super-user of the tenant; nobody else.
    let (status, reply) = api.call("GET", "default", &base, Some(&bob), None).await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let (status, reply) = api
        .call(
            "PUT",
            "default",
            &format!("{base}/x"),
            Some(&bob),
            Some(json!({"value": 1})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let (status, all) = api.call("GET", "default", &base, Some(&root), None).await;
    assert_eq!(
        (status, all["attrs"]["theme"]["value"]["size"].clone()),
        (200, json!(3))
    );
    let carol = api.login("other", "carol").await;
    let (status, reply) = api.call("GET", "other", &base, Some(&carol), None).await;
    assert_eq!(
        (status, sub(&reply)),
        (404, "E001100".to_owned()),
        "another tenant's user is unknown"
    );

    // Session attributes: their own namespace, gone with the session.
    let (status, _) = api
        .call(
            "POST",
            "default",
            "/session/attrs",
            Some(&alice),
            Some(json!({"name": "theme", "value": "session"})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, attr) = api
        .call("GET", "default", "/session/attrs/theme", Some(&alice), None)
        .await;
    assert_eq!(attr["value"], "session");
    let (_, attr) = api
        .call("GET", "default", &format!("{base}/theme"), Some(&alice), None)
        .await;
    assert_eq!(
        attr["value"]["dark"], true,
        "the user's attribute of the same name is separate"
    );
    let other = api.login("default", "alice").await;
    assert_eq!(
        api.call("GET", "default", "/session/attrs/theme", Some(&other), None)
            .await
            .0,
        404,
        "per session"
    );
    let (status, attr) = api
        .call(
            "PATCH",
            "default",
            "/session/attrs/theme",
            Some(&alice),
            Some(json!({"value": "changed", "encrypt": true})),
        )
        .await;
    assert_eq!(
        (status, attr["value"].clone(), attr["is_encrypted"].clone()),
        (200, json!("changed"), json!(true))
    );
    assert_eq!(
        api.call("DELETE", "default", "/session/attrs/theme", Some(&alice), None)
            .await
            .0,
        204
    );
    api.call(
        "PUT",
        "default",
        "/session/attrs/k",
        Some(&alice),
        Some(json!({"value": 1})),
    )
    .await;
    api.call("POST", "default", "/logout", Some(&alice), None).await;
    let pk = api.app.services.ctx("default").await.tenant.pk;
    let left: i64 = api
        .app
        .services
        .sso
        .store
        .tenant(pk, move |conn| {
            use diesel::prelude::*;
            use gatehouse::store::schema::attrs;
            Ok(attrs::table.filter(attrs::name.eq("k")).count().get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0, "a session's attributes go with it");

    api.rejects_bad_usts("GET", "/session/attrs", None).await;
    api.rejects_bad_usts("GET", &base, None).await;
    api.rejects_bad_usts("POST", &base, Some(json!({"name": "n", "value": 1})))
        .await;
}
both!(user_and_session_attributes);

async fn two_factor_enrolment_recovery_and_reset(backend: Backend) {
    let api = Api::new(backend).await;
    let clock = api.app.services.sso.clock.clone();
    let alice = api.login("default", "alice").await;
    let (status, enrolment) = api.call("POST", "default", "/users/me/totp", Some(&alice), None).await;
    assert_eq!(status, 200);
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    crate::common::remember_secret(&secret);
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Default:alice?"), "{uri}");
    assert!(
        uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Default"),
        "{uri}"
    );
    let svg = enrolment["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
    // The QR code encodes exactly the URI: rendering the URI again gives the same picture.
    let expected = qrcode::QrCode::new(uri.as_bytes())
        .unwrap()
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    assert_eq!(svg, expected);
    assert!(
        !api.app.find("default", "alice").await.is_totp_enabled,
        "not on before confirmation"
    );

    let now = clock.now();
    let code = gatehouse::sso::totp::code_at(&secret, now).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users/me/totp/confirm",
            Some(&alice),
            Some(json!({"code": wrong})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users/me/totp/confirm",
            Some(&alice),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let codes: Vec<String> = reply["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    codes.iter().for_each(|c| crate::common::remember_secret(c));
    assert!(api.app.find("default", "alice").await.is_totp_enabled);

    // Login now needs a second factor; a recovery code works once.
    let login = |totp: Option<&str>| {
        let mut body = json!({"username": "alice", "password": "alice's passphrase"});
        if let Some(t) = totp {
            body["totp_code"] = json!(t);
        }
        let api = &api;
        async move {
            let mut res = api
                .app
                .client
                .post(api.app.url("/api/v1/t/default/login"))
                .insert_header(("X-Current-App", APP))
                .send_json(&body)
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, json_body(&mut res).await)
        }
    };
    assert_eq!(sub(&login(None).await.1), "E005008");
    assert_eq!(login(Some(&codes[0])).await.0, 200);
    assert_eq!(
        sub(&login(Some(&codes[0])).await.1),
        "E005001",
        "a recovery code works once"
    );
    assert_eq!(
        login(Some(&codes[1].to_uppercase())).await.0,
        200,
        "case does not matter"
    );
    assert_eq!(login(Some("zzzzz-zzzzz")).await.0, 401);

    // Disabling needs proof on the native API: the password and a code.
    let (status, reply) = api
        .call(
            "DELETE",
            "default",
            "/users/me/totp",
            Some(&alice),
            Some(json!({"code": "bogus-code", "password": "alice's passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let (status, reply) = api
        .call("DELETE", "default", "/users/me/totp", Some(&alice), Some(json!({})))
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()));
    let (status, _) = api
        .call(
            "DELETE",
            "default",
            "/users/me/totp",
            Some(&alice),
            Some(json!({"code": codes[2], "password": "alice's passphrase"})),
        )
        .await;
    assert_eq!(status, 204);
    assert!(!api.app.find("default", "alice").await.is_totp_enabled);
    assert_eq!(login(None).await.0, 200);

    // Enrol again with new codes, then a super-user resets it.
    let (_, enrolment) = api.call("POST", "default", "/users/me/totp", Some(&alice), None).await;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    clock.advance(TimeDelta::seconds(30));
    let code = gatehouse::sso::totp::code_at(&secret, clock.now()).unwrap();
    let (_, reply) = api
        .call(
            "POST",
            "default",
            "/users/me/totp/confirm",
            Some(&alice),
            Some(json!({"code": code})),
        )
        .await;
    let new_codes = reply["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(
        sub(&login(Some(&codes[3])).await.1),
        "E005001",
        "a new set replaces the old"
    );
    assert_eq!(login(Some(new_codes[0].as_str().unwrap())).await.0, 200);
    let alice_id = api.app.find("default", "alice").await.user_id;
    let bob = api.login("default", "bob").await;
    let (status, reply) = api
        .call(
            "POST",
            "default",
            &format!("/users/{alice_id}/totp/reset"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()));
    let root = api.login("default", "root").await;
    let (status, _) = api
        .call(
            "POST",
            "default",
            &format!("/users/{alice_id}/totp/reset"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(login(None).await.0, 200, "2FA is off after the reset");
    let (status, _) = api.call("GET", "default", "/session", Some(&alice), None).await;
    assert_eq!(status, 401, "a 2FA reset ends the user's sessions");
    let alice = api.login("default", "alice").await;
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users/me/totp/confirm",
            Some(&alice),
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!((status, sub(&reply)), (400, "E008001".to_owned()), "nothing to confirm");

    api.rejects_bad_usts("POST", "/users/me/totp", None).await;
    api.rejects_bad_usts(
        "DELETE",
        "/users/me/totp",
        Some(json!({"code": "123456", "password": "x"})),
    )
    .await;
}
both!(two_factor_enrolment_recovery_and_reset);

/// A session alone can neither replace nor remove an active factor: that needs the password and a current code,
/// and every wrong one counts toward `login.max_failures` (here 5), so guessing locks the account. Fumbling the
/// code that confirms a new secret counts toward nothing.
async fn replacing_or_removing_2fa_needs_the_password_and_a_code_and_guesses_count(backend: Backend) {
    let api = Api::new(backend).await;
    let clock = api.app.services.sso.clock.clone();
    let alice = api.login("default", "alice").await;
    let call = |method: &'static str, path: &'static str, body: Option<Value>| {
        let (api, alice) = (&api, alice.clone());
        async move { api.call(method, "default", path, Some(&alice), body).await }
    };
    let enrol = || async {
        let (status, e) = call("POST", "/users/me/totp", None).await;
        assert_eq!(status, 200);
        let secret = e["secret"].as_str().unwrap().to_owned();
        crate::common::remember_secret(&secret);
        secret
    };
    let first = enrol().await;
    for _ in 0..6 {
        let (status, _) = call("POST", "/users/me/totp/confirm", Some(json!({"code": "zzzzzz"}))).await;
        assert_eq!(status, 403);
    }
    let code = gatehouse::sso::totp::code_at(&first, clock.now()).unwrap();
    let (status, reply) = call("POST", "/users/me/totp/confirm", Some(json!({"code": code}))).await;
    assert_eq!(status, 200, "six fumbled confirmations lock nobody out: {reply}");
    let recovery = reply["recovery_codes"][0].as_str().unwrap().to_owned();
    crate::common::remember_secret(&recovery);

    // Re-enrolment replaces the factor only with the password and a current code of it.
    let second = enrol().await;
    clock.advance(TimeDelta::seconds(30));
    let new_code = gatehouse::sso::totp::code_at(&second, clock.now()).unwrap();
    let (status, reply) = call("POST", "/users/me/totp/confirm", Some(json!({"code": new_code}))).await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()), "a session alone");
    let (status, reply) = call(
        "POST",
        "/users/me/totp/confirm",
        Some(json!({"code": new_code, "password": "wrong", "current_code": recovery})),
    )
    .await;
    assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()), "wrong password");
    let old_code = gatehouse::sso::totp::code_at(&first, clock.now()).unwrap();
    let (status, reply) = call(
        "POST",
        "/users/me/totp/confirm",
        Some(json!({"code": new_code, "password": "alice's passphrase", "current_code": old_code})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let row = api.app.find("default", "alice").await;
    let key = api
        .app
        .services
        .sso
        .keyring
        .open_text(row.totp_key.as_deref().unwrap())
        .unwrap();
    assert_eq!(key, second, "the factor is replaced");

    // Removal: the password alone is not enough, and wrong codes are failures: with the one above, four more
    // reach the limit, the account locks and the session ends.
    let (status, reply) = call("DELETE", "/users/me/totp", Some(json!({"code": "123456"}))).await;
    assert_eq!((status, sub(&reply)), (400, "E008003".to_owned()), "no password");
    for attempt in 0..4 {
        let (status, reply) = call(
            "DELETE",
            "/users/me/totp",
            Some(json!({"code": format!("00000{attempt}"), "password": "alice's passphrase"})),
        )
        .await;
        assert_eq!((status, sub(&reply)), (403, "E005001".to_owned()), "guess {attempt}");
    }
    let row = api.app.find("default", "alice").await;
    assert!(row.is_locked && row.is_totp_enabled, "locked, 2FA still on");
    let (status, _) = call("GET", "/session", None).await;
    assert_eq!(status, 401, "the lock ended the session");
}
both!(replacing_or_removing_2fa_needs_the_password_and_a_code_and_guesses_count);

async fn cleanup_deletes_only_what_has_expired(backend: Backend) {
    let api = Api::new(backend).await;
    let clock = api.app.services.sso.clock.clone();
    let old = api.login("default", "alice").await;
    api.call(
        "PUT",
        "default",
        "/users/me/attrs/short",
        Some(&old),
        Some(json!({"value": 1, "expiration": 10})),
    )
    .await;
    api.call(
        "PUT",
        "default",
        "/users/me/attrs/long",
        Some(&old),
        Some(json!({"value": 2})),
    )
    .await;
    api.call(
        "PUT",
        "default",
        "/session/attrs/s",
        Some(&old),
        Some(json!({"value": 3})),
    )
    .await;
    clock.advance(TimeDelta::minutes(45));
    let fresh = api.login("default", "bob").await;
    clock.advance(TimeDelta::minutes(20));
    // Nothing expired is visible before the cleanup runs.
    assert_eq!(api.call("GET", "default", "/session", Some(&old), None).await.0, 401);
    let cleaned = api.app.services.sso.cleanup_once().await.unwrap();
    assert_eq!(cleaned.sessions, 1, "alice's session expired; bob's has not");
    assert_eq!(
        cleaned.attrs, 1,
        "the short-lived attribute (the session's went with the session)"
    );
    assert_eq!(api.call("GET", "default", "/session", Some(&fresh), None).await.0, 200);
    let alice = api.login("default", "alice").await;
    let (_, all) = api.call("GET", "default", "/users/me/attrs", Some(&alice), None).await;
    assert_eq!(all["attrs"].as_object().unwrap().keys().collect::<Vec<_>>(), ["long"]);
    assert_eq!(
        api.app.services.sso.cleanup_once().await.unwrap(),
        gatehouse::sso::cleanup::Cleaned::default()
    );
}
both!(cleanup_deletes_only_what_has_expired);

/// Every authenticated native route refuses a missing, junk, foreign, logged-out and expired UST with 401
/// E007001, and every super-user route refuses a regular user with 403 E005001.
async fn every_route_checks_the_ust_and_the_super_user(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let foreign = api.login("other", "carol").await;
    let gone = api.login("default", "bob").await;
    api.call("POST", "default", "/logout", Some(&gone), None).await;
    let expired = api.login("default", "bob").await;
    api.app.services.sso.clock.advance(TimeDelta::minutes(61));
    assert_eq!(
        api.call("GET", "default", "/session", Some(&alice), None).await.0,
        401,
        "expired with bob's"
    );
    // A fresh session for the super-user checks.
    let alice = api.login("default", "alice").await;
    let super_only = [
        ("post", "/sessions/verify"),
        ("post", "/users"),
        ("get", "/users"),
        ("get", "/users/{user_id}"),
        ("patch", "/users/{user_id}"),
        ("delete", "/users/{user_id}"),
        ("post", "/users/{user_id}/approve"),
        ("post", "/users/{user_id}/reject"),
        ("post", "/users/{user_id}/lock"),
        ("post", "/users/{user_id}/unlock"),
        ("patch", "/users/{user_id}/password"),
        ("get", "/users/{user_id}/address-list"),
        ("put", "/users/{user_id}/address-list"),
        ("delete", "/users/{user_id}/address-list"),
        ("post", "/users/{user_id}/totp/reset"),
        ("get", "/settings"),
        ("patch", "/settings"),
        ("get", "/apps"),
        ("post", "/apps"),
        ("delete", "/apps/{name}"),
        ("post", "/apps/{name}/keys"),
        ("delete", "/apps/{name}/keys/{key_id}"),
        ("get", "/audit"),
    ];
    let root_id = api.app.find("default", "root").await.user_id;
    for (method, template) in gatehouse::http::api_v1::TENANT_ROUTES {
        // The anonymous flows.
        if [
            "/login",
            "/login/passkey/options",
            "/login/passkey",
            "/logout",
            "/signup",
            "/signup/confirm",
            "/password-reset",
            "/password-reset/access",
            "/password-reset/complete",
            "/email/confirm",
        ]
        .contains(template)
        {
            continue;
        }
        let path = template
            .replace("{user_id}", &root_id)
            .replace("{name}", "n")
            .replace("{session_id}", "zses1");
        let method = method.to_uppercase();
        let body = Some(json!({}));
        for (ust, what) in [
            (None, "no UST"),
            (Some("gAAAAAjunk"), "junk"),
            (Some(foreign.as_str()), "foreign"),
            (Some(gone.as_str()), "logged out"),
            (Some(expired.as_str()), "expired"),
        ] {
            let (status, reply) = api.call(&method, "default", &path, ust, body.clone()).await;
            assert_eq!(
                (status, sub(&reply)),
                (401, "E007001".to_owned()),
                "{method} {template} with {what}: {reply}"
            );
        }
        if super_only.contains(&(method.to_lowercase().as_str(), *template)) {
            let (status, reply) = api.call(&method, "default", &path, Some(&alice), body.clone()).await;
            assert_eq!(
                (status, sub(&reply)),
                (403, "E005001".to_owned()),
                "{method} {template} by a regular user: {reply}"
            );
        }
    }
}
both!(every_route_checks_the_ust_and_the_super_user);

async fn no_one_locks_rejects_or_deletes_their_own_account_or_the_last_administrator(backend: Backend) {
    use gatehouse::sso::UserRef;
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let root_id = api.app.find("default", "root").await.user_id;
    for (method, path, body) in [
        ("POST", format!("/users/{root_id}/lock"), None),
        ("POST", format!("/users/{root_id}/reject"), None),
        ("DELETE", format!("/users/{root_id}"), None),
        ("PATCH", format!("/users/{root_id}"), Some(json!({"is_locked": true}))),
        (
            "PATCH",
            format!("/users/{root_id}"),
            Some(json!({"approval_status": "rejected"})),
        ),
    ] {
        let (status, reply) = api.call(method, "default", &path, Some(&root), body).await;
        assert_eq!(
            (status, sub(&reply)),
            (403, "E008001".to_owned()),
            "{method} {path}: {reply}"
        );
    }
    let (status, _) = api.call("GET", "default", "/session", Some(&root), None).await;
    assert_eq!(status, 200, "still signed in, not locked");

    // In `other`, carol is the only super-user: no administrator, the CLI included, takes her away.
    let sso = &api.app.services.sso;
    let tenant = sso.resolve_tenant("other").await.unwrap();
    let cli = sso.cli_admin(tenant.clone());
    let carol = UserRef::Username("carol".into());
    fn last<T>(r: Result<T, gatehouse::sso::SsoError>) -> Option<&'static str> {
        r.err().and_then(|e| e.code()).map(|c| c.code())
    }
    assert_eq!(last(sso.lock_user(&cli, &carol).await), Some("E008001"));
    assert_eq!(last(sso.reject_user(&cli, &carol).await), Some("E008001"));
    let carol_id = sso.get_user(&cli, &carol).await.unwrap().user_id;
    assert_eq!(last(sso.delete_user(&cli, &carol_id).await), Some("E008001"));
    let lock = gatehouse::domain::UserPatch {
        is_locked: Some(true),
        ..Default::default()
    };
    assert_eq!(last(sso.update_user(&cli, &carol_id, lock).await), Some("E008001"));
    // With a second super-user, either may go, but not both.
    api.user("other", "dan", "dan's passphrase", true).await;
    sso.lock_user(&cli, &carol).await.unwrap();
    let dan = UserRef::Username("dan".into());
    assert_eq!(last(sso.lock_user(&cli, &dan).await), Some("E008001"));
    sso.unlock_user(&cli, &carol).await.unwrap();
    sso.delete_user(&cli, &carol_id).await.unwrap();
    assert_eq!(last(sso.reject_user(&cli, &dan).await), Some("E008001"));
    // An automatic lock is no administrator's: failed logins still lock the last super-user.
    api.app.set("other", "login", "max_failures", json!(2)).await;
    for _ in 0..2 {
        let (status, _) = api
            .call(
                "POST",
                "other",
                "/login",
                None,
                Some(json!({"username": "dan", "password": "wrong"})),
            )
            .await;
        assert_eq!(status, 401);
    }
    assert!(sso.get_user(&cli, &dan).await.unwrap().lock.is_locked);
}
both!(no_one_locks_rejects_or_deletes_their_own_account_or_the_last_administrator);
