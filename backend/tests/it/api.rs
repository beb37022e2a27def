//! The native SSO API: sessions, users, attributes and 2FA, with the failure cases every endpoint shares.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser};
use serde_json::{Value, json};

const APP: &str = "CRM";

struct Api {
    app: TestApp,
}

fn sub(v: &Value) -> String {
    v["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

impl Api {
    async fn new(backend: Backend) -> Api {
        let app = TestApp::spawn(backend).await;
        let api = Api { app };
        api.user("default", "root", "root's passphrase", true).await;
        api.user("default", "alice", "alice's passphrase", false).await;
        api.user("default", "bob", "bob's passphrase", false).await;
        api
    }

    async fn user(&self, tenant: &str, name: &str, password: &str, is_super: bool) -> String {
        let ctx = self.app.services.ctx(tenant).await;
        let new = NewUser {
            username: name.into(),
            password: Some(Password::new(password)),
            auto_approve: true,
            is_super_user: is_super,
            ..NewUser::default()
        };
        self.app.services.sso.create_user(&ctx, new).await.unwrap().user_id
    }

    async fn login(&self, tenant: &str, name: &str) -> String {
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
        body["ust"]
            .as_str()
            .unwrap_or_else(|| panic!("login {name}: {body}"))
            .to_owned()
    }

    /// A call to `/api/v1/t/{tenant}{path}` with a UST (or none) and a JSON body (or none).
    async fn call(
        &self,
        method: &str,
        tenant: &str,
        path: &str,
        ust: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = self.app.url(&format!("/api/v1/t/{tenant}{path}"));
        let mut req = self
            .app
            .client
            .request(method.parse().unwrap(), url)
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

async fn prepare_other_tenant(api: &Api) {
    api.app
        .services
        .sso
        .create_tenant("other", None, Actor::Auto, "t")
        .await
        .unwrap();
    api.user("other", "carol", "carol's passphrase", true).await;
}

async fn sessions_renew_verify_list_and_end(backend: Backend) {
    let api = Api::new(backend).await;
    prepare_other_tenant(&api).await;
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
