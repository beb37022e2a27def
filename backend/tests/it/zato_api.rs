//! The Zato-compatible SSO API: parameters in the body for every verb, the `{"status", "sub_status", "cid"}`
//! envelope, 200 / 403 / 400, naive ISO datetimes and empty fields left out.

use crate::both;
use crate::common::{Backend, TestApp};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser};
use serde_json::{Value, json};

const APP: &str = "CRM";

struct Zato {
    app: TestApp,
}

fn sub(v: &Value) -> String {
    v["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

impl Zato {
    async fn new(backend: Backend) -> Zato {
        let app = TestApp::spawn(backend).await;
        let z = Zato { app };
        for (name, is_super) in [("root", true), ("alice", false), ("bob", false)] {
            z.user("default", name, is_super).await;
        }
        z.app
            .services
            .sso
            .create_tenant("other", None, Actor::Auto, "t")
            .await
            .unwrap();
        z.user("other", "carol", true).await;
        z
    }

    async fn user(&self, tenant: &str, name: &str, is_super: bool) -> String {
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
            .unwrap()
            .user_id
    }

    /// A call with the body's `current_app` filled in, on `/t/{tenant}/zato/sso{path}`.
    async fn call(&self, method: &str, tenant: &str, path: &str, mut body: Value) -> (u16, Value) {
        if body.get("current_app").is_none() {
            body["current_app"] = json!(APP);
        }
        let url = self.app.url(&format!("/t/{tenant}/zato/sso{path}"));
        let mut res = self
            .app
            .client
            .request(method.parse().unwrap(), url)
            .send_body(body.to_string())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let bytes = res.body().limit(1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn login(&self, tenant: &str, name: &str) -> String {
        let (_, reply) = self
            .call(
                "POST",
                tenant,
                "/user/login",
                json!({"username": name, "password": format!("{name}'s passphrase")}),
            )
            .await;
        reply["ust"].as_str().unwrap_or_else(|| panic!("{reply}")).to_owned()
    }

    /// Asserts an envelope error: 403, `status: error`, the code, a cid.
    fn refused(&self, (status, reply): (u16, Value), code: &str, what: &str) {
        assert_eq!(
            (status, reply["status"].as_str(), sub(&reply)),
            (403, Some("error"), code.to_owned()),
            "{what}: {reply}"
        );
        assert!(reply["cid"].is_string());
    }

    fn bad_request(&self, (status, reply): (u16, Value), what: &str) {
        assert_eq!(
            (status, reply["result"].as_str(), reply["details"].as_str()),
            (400, Some("Error"), Some("Bad request")),
            "{what}"
        );
    }
}

fn ok(reply: &(u16, Value)) -> &Value {
    assert_eq!((reply.0, reply.1["status"].as_str()), (200, Some("ok")), "{}", reply.1);
    assert!(reply.1["cid"].is_string());
    &reply.1
}

async fn zato_users(backend: Backend) {
    let z = Zato::new(backend).await;
    let root = z.login("default", "root").await;
    let alice = z.login("default", "alice").await;
    let carol = z.login("other", "carol").await;

    // GET /user: regular fields plus user_id for a regular caller, empty ones left out.
    let me = z.call("GET", "default", "/user", json!({"ust": alice})).await;
    let me = ok(&me).clone();
    let mut keys: Vec<&str> = me.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["cid", "is_totp_enabled", "status", "user_id", "username"]);
    let alice_id = me["user_id"].as_str().unwrap().to_owned();
    let full = z
        .call("GET", "default", "/user", json!({"ust": root, "user_id": alice_id}))
        .await;
    let full = ok(&full);
    assert_eq!(full["approval_status"], "approved");
    assert_eq!(full["sign_up_time"], "2026-11-28T10:00:00", "naive ISO datetimes");
    z.refused(
        z.call("GET", "default", "/user", json!({"ust": alice, "user_id": "zusr0"}))
            .await,
        "E005001",
        "regular asks for another",
    );
    z.refused(
        z.call("GET", "other", "/user", json!({"ust": carol, "user_id": alice_id}))
            .await,
        "E001100",
        "another tenant's user",
    );
    z.refused(
        z.call("GET", "default", "/user", json!({"ust": "junk"})).await,
        "E007001",
        "bad UST",
    );
    z.refused(
        z.call("GET", "default", "/user", json!({"ust": carol})).await,
        "E007001",
        "foreign UST",
    );
    z.bad_request(z.call("GET", "default", "/user", json!({})).await, "no ust");
    z.bad_request(
        z.call("GET", "default", "/user", json!({"ust": alice, "current_app": null}))
            .await,
        "no current_app",
    );

    // POST /user: super-users create regular users.
    let created = z.call("POST", "default", "/user", json!({"ust": root, "username": "dave", "password": "dave's passphrase", "email": "dave@example.com", "auto_approve": true})).await;
    let created = ok(&created).clone();
    assert_eq!(
        (created["username"].as_str(), created["is_super_user"].as_bool()),
        (Some("dave"), Some(false))
    );
    let dave_id = created["user_id"].as_str().unwrap().to_owned();
    z.refused(
        z.call("POST", "default", "/user", json!({"ust": root, "username": "dave"}))
            .await,
        "E001002",
        "duplicate",
    );
    z.refused(
        z.call("POST", "default", "/user", json!({"ust": alice, "username": "eve"}))
            .await,
        "E005001",
        "not super",
    );
    z.refused(
        z.call(
            "POST",
            "default",
            "/user",
            json!({"ust": root, "username": "eve", "password": "short"}),
        )
        .await,
        "E003002",
        "policy",
    );
    z.bad_request(
        z.call("POST", "default", "/user", json!({"ust": root})).await,
        "no username",
    );

    // PATCH /user: own regular fields, a super-user's on anyone; is_totp_enabled as Zato allowed.
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "display_name": "Alice"}),
        )
        .await);
    assert_eq!(
        z.app.find("default", "alice").await.display_name.as_deref(),
        Some("Alice")
    );
    z.refused(
        z.call("PATCH", "default", "/user", json!({"ust": alice, "is_locked": true}))
            .await,
        "E008002",
        "super field",
    );
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "user_id": dave_id, "display_name": "x"}),
        )
        .await,
        "E005001",
        "someone else",
    );
    z.refused(
        z.call("PATCH", "default", "/user", json!({"ust": alice})).await,
        "E008003",
        "nothing to change",
    );
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": root, "user_id": dave_id, "password_expiry": "2031-02-03T04:05:06", "is_locked": true}),
        )
        .await);
    let dave = z.app.find("default", "dave").await;
    assert_eq!(dave.password_expiry.to_string(), "2031-02-03 04:05:06");
    assert!(dave.is_locked);
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user/totp",
            json!({"ust": alice, "totp_key": "JBSWY3DPEHPK3PXP", "totp_label": "phone"}),
        )
        .await);
    // Zato's own-toggle needs zato_compat.allow_totp_toggle, off by default.
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "is_totp_enabled": true}),
        )
        .await,
        "E008002",
        "toggle off by default",
    );
    z.app
        .set("default", "zato_compat", "allow_totp_toggle", json!(true))
        .await;
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "is_totp_enabled": true}),
        )
        .await);
    assert!(z.app.find("default", "alice").await.is_totp_enabled);
    let (status, reply) = z
        .call(
            "POST",
            "default",
            "/user/login",
            json!({"username": "alice", "password": "alice's passphrase"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E005008".to_owned()));
    let label = z.call("GET", "default", "/user", json!({"ust": alice})).await;
    assert_eq!(ok(&label)["totp_label"], "phone");
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "is_totp_enabled": false}),
        )
        .await);
    // (Turning 2FA off ended alice's sessions, the one that did it included.)
    let alice = z.login("default", "alice").await;
    // With the toggle allowed, re-keying one's own active factor needs no code either, as in Zato.
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "is_totp_enabled": true}),
        )
        .await);
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user/totp",
            json!({"ust": alice, "totp_key": "JBSWY3DPEHPK3PXP"}),
        )
        .await);
    z.app
        .set("default", "zato_compat", "allow_totp_toggle", json!(false))
        .await;
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "is_totp_enabled": false}),
        )
        .await,
        "E008002",
        "toggle off",
    );
    // Without it, re-keying the active factor proves it: the password and a current code.
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user/totp",
            json!({"ust": alice, "totp_key": "KRSXG5CTMVRXEZLU"}),
        )
        .await,
        "E008003",
        "re-key without proof",
    );
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user/totp",
            json!({"ust": alice, "totp_key": "KRSXG5CTMVRXEZLU", "password": "alice's passphrase", "totp_code": "zzzzz-zzzzz"}),
        )
        .await,
        "E005001",
        "re-key with a wrong code",
    );
    let code = gatehouse::sso::totp::code_at("JBSWY3DPEHPK3PXP", z.app.services.sso.clock.now()).unwrap();
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user/totp",
            json!({"ust": alice, "totp_key": "KRSXG5CTMVRXEZLU", "password": "alice's passphrase", "totp_code": code}),
        )
        .await);
    // A super-user may still switch someone else's.
    let alice_id = z.app.find("default", "alice").await.user_id;
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": root, "user_id": alice_id, "is_totp_enabled": false}),
        )
        .await);
    assert!(!z.app.find("default", "alice").await.is_totp_enabled);
    let alice = z.login("default", "alice").await;
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user/totp",
            json!({"ust": alice, "totp_key": "SHORT"}),
        )
        .await,
        "E008002",
        "short key",
    );

    // Approve, reject, lock (POST) and unlock (DELETE).
    for (method, path, check) in [("POST", "/user/lock", true), ("DELETE", "/user/lock", false)] {
        ok(&z
            .call(method, "default", path, json!({"ust": root, "user_id": dave_id}))
            .await);
        assert_eq!(z.app.find("default", "dave").await.is_locked, check);
    }
    ok(&z
        .call(
            "POST",
            "default",
            "/user/reject",
            json!({"ust": root, "user_id": dave_id}),
        )
        .await);
    assert_eq!(z.app.find("default", "dave").await.approval_status, "rejected");
    ok(&z
        .call(
            "POST",
            "default",
            "/user/approve",
            json!({"ust": root, "user_id": dave_id}),
        )
        .await);
    z.refused(
        z.call(
            "POST",
            "default",
            "/user/approve",
            json!({"ust": alice, "user_id": dave_id}),
        )
        .await,
        "E005001",
        "approve by regular",
    );
    z.refused(
        z.call("POST", "other", "/user/lock", json!({"ust": carol, "user_id": dave_id}))
            .await,
        "E001100",
        "cross tenant",
    );
    z.bad_request(
        z.call("POST", "default", "/user/approve", json!({"ust": root})).await,
        "no user_id",
    );

    // Passwords: one's own with the old one; another's by a super-user.
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user/password",
            json!({"ust": alice, "old_password": "nope", "new_password": "alice's new passphrase"}),
        )
        .await,
        "E005001",
        "wrong old",
    );
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user/password",
            json!({"ust": alice, "old_password": "alice's passphrase", "new_password": "alice's new passphrase"}),
        )
        .await);
    ok(&z.call("PATCH", "default", "/user/password", json!({"ust": root, "user_id": dave_id, "new_password": "dave's new passphrase", "must_change": true, "password_expiry": -1})).await);
    let dave = z.app.find("default", "dave").await;
    assert!(dave.password_must_change);
    assert_eq!(
        dave.password_expiry,
        dave.password_last_set + TimeDelta::days(730),
        "below 0 means the default"
    );

    // Search.
    let page = z
        .call(
            "GET",
            "default",
            "/user/search",
            json!({"ust": root, "username": "dave"}),
        )
        .await;
    let page = ok(&page);
    assert_eq!(
        (page["total"].clone(), page["result"][0]["user_id"].clone()),
        (json!(1), json!(dave_id))
    );
    assert!(page.get("next_page").is_none(), "empty fields are left out");
    z.refused(
        z.call("GET", "default", "/user/search", json!({"ust": alice})).await,
        "E005001",
        "search by regular",
    );

    // DELETE /user.
    let root_id = ok(&z.call("GET", "default", "/user", json!({"ust": root})).await)["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    z.refused(
        z.call("DELETE", "default", "/user", json!({"ust": root, "user_id": root_id}))
            .await,
        "E008001",
        "delete self",
    );
    ok(&z
        .call("DELETE", "default", "/user", json!({"ust": root, "user_id": dave_id}))
        .await);
    z.refused(
        z.call("DELETE", "default", "/user", json!({"ust": root, "user_id": dave_id}))
            .await,
        "E001100",
        "gone",
    );
}
both!(zato_users);

async fn zato_sessions_and_attributes(backend: Backend) {
    let z = Zato::new(backend).await;
    let root = z.login("default", "root").await;
    let alice = z.login("default", "alice").await;
    let bob = z.login("default", "bob").await;
    z.app.services.sso.clock.advance(TimeDelta::minutes(10));

    let v = z
        .call(
            "POST",
            "default",
            "/user/session",
            json!({"current_ust": root, "target_ust": alice}),
        )
        .await;
    assert_eq!(ok(&v)["is_valid"], true);
    let v = z
        .call(
            "POST",
            "default",
            "/user/session",
            json!({"current_ust": root, "target_ust": "junk"}),
        )
        .await;
    assert_eq!(ok(&v)["is_valid"], false);
    z.refused(
        z.call(
            "POST",
            "default",
            "/user/session",
            json!({"current_ust": bob, "target_ust": alice}),
        )
        .await,
        "E005001",
        "verify by regular",
    );
    let got = z
        .call(
            "GET",
            "default",
            "/user/session",
            json!({"current_ust": root, "target_ust": alice}),
        )
        .await;
    let got = ok(&got);
    assert_eq!(
        (got["creation_time"].as_str(), got["expiration_time"].as_str()),
        (Some("2026-11-28T10:00:00"), Some("2026-11-28T11:00:00"))
    );
    assert_eq!(got["remote_addr"], "127.0.0.1");
    z.refused(
        z.call(
            "GET",
            "default",
            "/user/session",
            json!({"current_ust": bob, "target_ust": alice}),
        )
        .await,
        "E005001",
        "get another's",
    );
    let renewed = z.call("PATCH", "default", "/user/session", json!({"ust": alice})).await;
    assert_eq!(ok(&renewed)["expiration_time"], "2026-11-28T11:10:00");
    let list = z
        .call("GET", "default", "/user/session/list", json!({"ust": alice}))
        .await;
    let list = ok(&list).clone();
    assert_eq!(list["result"].as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(&alice) && !list.to_string().contains("zust"),
        "no raw or sealed UST in a list"
    );
    let list = z
        .call(
            "GET",
            "default",
            "/user/session/list",
            json!({"current_ust": root, "target_ust": alice}),
        )
        .await;
    assert_eq!(
        ok(&list)["result"][0]["expiration_time"],
        "2026-11-28T11:10:00",
        "the super-user variant works"
    );

    // User attributes: own by default, another's for a super-user.
    ok(&z
        .call(
            "POST",
            "default",
            "/user/attr",
            json!({"ust": alice, "name": "a", "value": {"x": 1}}),
        )
        .await);
    z.refused(
        z.call(
            "POST",
            "default",
            "/user/attr",
            json!({"ust": alice, "name": "a", "value": 2}),
        )
        .await,
        "E009001",
        "exists",
    );
    ok(&z.call("POST", "default", "/user/attr", json!({"ust": alice, "data": [{"name": "b", "value": 2, "encrypt": true}, {"name": "c", "value": "three", "expiration": 5}]})).await);
    let got = z
        .call("GET", "default", "/user/attr", json!({"ust": alice, "name": "a"}))
        .await;
    let got = ok(&got);
    assert_eq!(
        (got["found"].clone(), got["value"].clone(), got["is_encrypted"].clone()),
        (json!(true), json!({"x": 1}), json!(false))
    );
    // Never updated: last_modified is the creation time, a date Zato's clients can parse (not left out).
    assert_eq!(
        (got["creation_time"].as_str(), got["last_modified"].as_str()),
        (Some("2026-11-28T10:10:00"), Some("2026-11-28T10:10:00"))
    );
    let got = z
        .call("GET", "default", "/user/attr", json!({"ust": alice, "name": "zzz"}))
        .await;
    assert_eq!(ok(&got)["found"], false);
    let many = z
        .call(
            "GET",
            "default",
            "/user/attr",
            json!({"ust": alice, "data": ["b", "zzz"]}),
        )
        .await;
    let many = ok(&many);
    assert_eq!(
        (many["result"]["b"]["value"].clone(), many["result"]["zzz"].clone()),
        (json!(2), Value::Null)
    );
    let exists = z
        .call(
            "GET",
            "default",
            "/user/attr/exists",
            json!({"ust": alice, "data": ["a", "zzz"]}),
        )
        .await;
    assert_eq!(ok(&exists)["result"], json!({"a": true, "zzz": false}));
    let names = z
        .call("GET", "default", "/user/attr/names", json!({"ust": alice}))
        .await;
    assert_eq!(ok(&names)["result"], json!(["a", "b", "c"]));
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user/attr",
            json!({"ust": alice, "name": "nope", "value": 1}),
        )
        .await,
        "E009002",
        "update absent",
    );
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user/attr",
            json!({"ust": alice, "name": "a", "value": "new"}),
        )
        .await);
    ok(&z
        .call(
            "PUT",
            "default",
            "/user/attr",
            json!({"ust": alice, "name": "d", "value": 4}),
        )
        .await);
    ok(&z
        .call(
            "DELETE",
            "default",
            "/user/attr",
            json!({"ust": alice, "data": ["d", "nope"]}),
        )
        .await);
    z.app.services.sso.clock.advance(TimeDelta::seconds(6));
    let names = z
        .call("GET", "default", "/user/attr/names", json!({"ust": alice}))
        .await;
    assert_eq!(ok(&names)["result"], json!(["a", "b"]), "c expired, d deleted");
    let alice_id = z.app.find("default", "alice").await.user_id;
    let by_root = z
        .call(
            "GET",
            "default",
            "/user/attr",
            json!({"ust": root, "user_id": alice_id, "name": "a"}),
        )
        .await;
    assert_eq!(ok(&by_root)["value"], "new");
    z.refused(
        z.call(
            "GET",
            "default",
            "/user/attr",
            json!({"ust": bob, "user_id": alice_id, "name": "a"}),
        )
        .await,
        "E005001",
        "another's attrs",
    );
    z.refused(
        z.call("GET", "default", "/user/attr", json!({"ust": alice})).await,
        "E008002",
        "neither name nor data",
    );

    // Session attributes through current_ust and target_ust.
    ok(&z
        .call(
            "POST",
            "default",
            "/session/attr",
            json!({"current_ust": alice, "target_ust": alice, "name": "s", "value": true}),
        )
        .await);
    let got = z
        .call(
            "GET",
            "default",
            "/session/attr",
            json!({"current_ust": root, "target_ust": alice, "name": "s"}),
        )
        .await;
    assert_eq!(ok(&got)["value"], true);
    let names = z
        .call(
            "GET",
            "default",
            "/session/attr/names",
            json!({"current_ust": alice, "target_ust": alice}),
        )
        .await;
    assert_eq!(ok(&names)["result"], json!(["s"]));
    z.refused(
        z.call(
            "GET",
            "default",
            "/session/attr",
            json!({"current_ust": bob, "target_ust": alice, "name": "s"}),
        )
        .await,
        "E005001",
        "another's session",
    );
    z.bad_request(
        z.call(
            "GET",
            "default",
            "/session/attr",
            json!({"current_ust": alice, "name": "s"}),
        )
        .await,
        "no target_ust",
    );

    // Logout ends only that session.
    ok(&z.call("POST", "default", "/user/logout", json!({"ust": alice})).await);
    z.refused(
        z.call("GET", "default", "/user", json!({"ust": alice})).await,
        "E007001",
        "logged out",
    );
    ok(&z.call("GET", "default", "/user", json!({"ust": bob})).await);
    // The bare /zato/sso path works the same for the default tenant.
    let mut res = z
        .app
        .client
        .get(z.app.url("/zato/sso/user"))
        .send_body(json!({"ust": bob, "current_app": APP}).to_string())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(body["username"], "bob");
}
both!(zato_sessions_and_attributes);

/// Every authenticated Zato path refuses a junk UST with 403 E007001, and a body without its UST key with 400.
/// Every Zato path with a UST, and the body keys that carry its USTs.
pub const ZATO_PATHS: &[(&str, &str, &[&str])] = &[
    ("GET", "/user", &["ust"]),
    ("POST", "/user", &["ust"]),
    ("PATCH", "/user", &["ust"]),
    ("DELETE", "/user", &["ust"]),
    ("PATCH", "/user/password", &["ust"]),
    ("POST", "/user/approve", &["ust"]),
    ("POST", "/user/reject", &["ust"]),
    ("POST", "/user/lock", &["ust"]),
    ("DELETE", "/user/lock", &["ust"]),
    ("PATCH", "/user/totp", &["ust"]),
    ("GET", "/user/search", &["ust"]),
    ("POST", "/user/session", &["current_ust", "target_ust"]),
    ("GET", "/user/session", &["current_ust", "target_ust"]),
    ("PATCH", "/user/session", &["ust"]),
    ("GET", "/user/session/list", &["ust"]),
    ("POST", "/user/attr", &["ust"]),
    ("PATCH", "/user/attr", &["ust"]),
    ("PUT", "/user/attr", &["ust"]),
    ("GET", "/user/attr", &["ust"]),
    ("DELETE", "/user/attr", &["ust"]),
    ("GET", "/user/attr/exists", &["ust"]),
    ("GET", "/user/attr/names", &["ust"]),
    ("POST", "/session/attr", &["current_ust", "target_ust"]),
    ("GET", "/session/attr/names", &["current_ust", "target_ust"]),
];

async fn every_zato_path_checks_its_ust(backend: Backend) {
    let z = Zato::new(backend).await;
    let paths = ZATO_PATHS;
    let filler = json!({"user_id": "zusr1", "username": "u", "new_password": "a long passphrase", "totp_key": "JBSWY3DPEHPK3PXP", "totp_label": "l", "name": "n", "value": 1});
    for (method, path, keys) in paths {
        let mut body = filler.clone();
        for k in *keys {
            body[*k] = json!("gAAAAAjunk");
        }
        z.refused(
            z.call(method, "default", path, body).await,
            "E007001",
            &format!("{method} {path} with a junk UST"),
        );
        let (status, reply) = z.call(method, "default", path, filler.clone()).await;
        assert_eq!(
            (status, reply["details"].as_str()),
            (400, Some("Bad request")),
            "{method} {path} without its UST key"
        );
    }
}
both!(every_zato_path_checks_its_ust);

/// Zato's services copy the keys they know and ignore the rest: `PATCH /user` with an unknown key or with
/// `totp_key` (silently ignored there, reference §9) applies the known keys; so does `POST /user`. The native
/// API keeps refusing unknown keys.
async fn zato_ignores_keys_its_services_do_not_copy(backend: Backend) {
    let z = Zato::new(backend).await;
    let root = z.login("default", "root").await;
    let alice = z.login("default", "alice").await;
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "display_name": "Alice A.", "favourite_colour": "teal", "totp_key": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}),
        )
        .await);
    let row = z.app.find("default", "alice").await;
    assert_eq!(row.display_name.as_deref(), Some("Alice A."), "the known key applies");
    assert!(row.totp_key.is_none(), "totp_key is ignored on PATCH /user");
    z.refused(
        z.call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": alice, "favourite_colour": "teal"}),
        )
        .await,
        "E008003",
        "nothing known to change",
    );
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": root, "user_id": row.user_id, "is_locked": true, "rate_limit_def": "*=1/m"}),
        )
        .await);
    assert!(z.app.find("default", "alice").await.is_locked);
    let created = z
        .call(
            "POST",
            "default",
            "/user",
            json!({"ust": root, "username": "dave", "is_rate_limit_active": true, "favourite_colour": "teal"}),
        )
        .await;
    assert_eq!(ok(&created)["username"], "dave");

    // The native API still refuses a key it does not know.
    let mut res = z
        .app
        .client
        .patch(z.app.url("/api/v1/t/default/users/me"))
        .insert_header(("X-Current-App", APP))
        .insert_header(("Authorization", format!("Bearer {root}")))
        .send_json(&json!({"display_name": "Root", "favourite_colour": "teal"}))
        .await
        .unwrap();
    let reply: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(
        (res.status().as_u16(), reply["sub_status"][0].as_str()),
        (400, Some("E008002")),
        "{reply}"
    );
}
both!(zato_ignores_keys_its_services_do_not_copy);

/// `POST /zato/sso/user` asking for 2FA without a key gets a generated one, as Zato's create_user does.
async fn zato_create_with_totp_and_no_key_generates_one(backend: Backend) {
    let z = Zato::new(backend).await;
    let root = z.login("default", "root").await;
    let created = z
        .call(
            "POST",
            "default",
            "/user",
            json!({"ust": root, "username": "tess", "password": "tess's passphrase", "is_totp_enabled": true, "auto_approve": true}),
        )
        .await;
    assert_eq!(ok(&created)["is_totp_enabled"], true);
    let row = z.app.find("default", "tess").await;
    assert!(row.is_totp_enabled);
    let key = z
        .app
        .services
        .sso
        .keyring
        .open_text(row.totp_key.as_deref().expect("a key was generated"))
        .expect("sealed with the keyring");
    assert!(
        gatehouse::sso::totp::decode_key(&key).is_some_and(|k| k.len() == 20),
        "a 160-bit key"
    );
    // It is a real second factor: a login without a code is asked for one.
    let (_, reply) = z
        .call(
            "POST",
            "default",
            "/user/login",
            json!({"username": "tess", "password": "tess's passphrase"}),
        )
        .await;
    assert!(reply["ust"].is_null(), "{reply}");
}
both!(zato_create_with_totp_and_no_key_generates_one);

/// A rename follows the sign-up rules (reserved names, length, whitespace anywhere) on both surfaces, with the
/// sign-up's codes; keeping one's name as it is stays allowed.
async fn a_rename_follows_the_signup_rules_on_every_surface(backend: Backend) {
    let z = Zato::new(backend).await;
    let root = z.login("default", "root").await;
    let alice = z.login("default", "alice").await;
    let bob_id = z.app.find("default", "bob").await.user_id;
    let long = "a".repeat(129);
    for (name, code) in [
        ("superadmin", "E001001"),
        (" alice2", "E001004"),
        ("alice2 ", "E001004"),
        ("alice 2", "E001004"),
        (long.as_str(), "E001003"),
    ] {
        z.refused(
            z.call("PATCH", "default", "/user", json!({"ust": alice, "username": name}))
                .await,
            code,
            name,
        );
        z.refused(
            z.call(
                "PATCH",
                "default",
                "/user",
                json!({"ust": root, "user_id": bob_id, "username": name}),
            )
            .await,
            code,
            name,
        );
        for path in [
            "/api/v1/t/default/users/me".to_owned(),
            format!("/api/v1/t/default/users/{bob_id}"),
        ] {
            let mut res = z
                .app
                .client
                .patch(z.app.url(&path))
                .insert_header(("X-Current-App", APP))
                .insert_header((
                    "Authorization",
                    format!("Bearer {}", if path.ends_with("me") { &alice } else { &root }),
                ))
                .send_json(&json!({"username": name}))
                .await
                .unwrap();
            let reply: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
            assert_eq!(
                (res.status().as_u16(), reply["sub_status"][0].as_str()),
                (422, Some(code)),
                "{path} {name:?}: {reply}"
            );
        }
    }
    assert_eq!(z.app.find("default", "alice").await.username, "alice");
    assert_eq!(z.app.find("default", "bob").await.username, "bob");
    // A name the rules allow goes through; a super-user named "root" may keep the name the rules now refuse.
    ok(&z
        .call("PATCH", "default", "/user", json!({"ust": alice, "username": "alicia"}))
        .await);
    ok(&z
        .call(
            "PATCH",
            "default",
            "/user",
            json!({"ust": root, "username": "root", "display_name": "Root"}),
        )
        .await);
    assert_eq!(z.app.find("default", "alicia").await.username, "alicia");
    assert_eq!(
        z.app.find("default", "root").await.display_name.as_deref(),
        Some("Root")
    );
}
both!(a_rename_follows_the_signup_rules_on_every_surface);
