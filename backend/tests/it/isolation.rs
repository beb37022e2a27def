//! The tenant isolation matrix: tenant A's UST, app key and ids are presented against tenant B on every native
//! and Zato endpoint, and B's ids under A's path; every answer is a denial that carries none of B's data, and
//! nothing of B's changes.

use crate::both;
use crate::common::{Backend, TestApp};
use crate::zato_api::ZATO_PATHS;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, NewUser};
use serde_json::{Value, json};

struct Matrix {
    app: TestApp,
}

impl Matrix {
    async fn user(&self, tenant: &str, name: &str, is_super: bool, email: Option<&str>) -> String {
        let ctx = self.app.services.ctx(tenant).await;
        let new = NewUser {
            username: name.into(),
            password: Some(Password::new(format!("{name}'s passphrase"))),
            auto_approve: true,
            is_super_user: is_super,
            email: email.map(str::to_owned),
            display_name: Some(format!("{name} of {tenant}")),
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

    async fn native(
        &self,
        method: &str,
        url_path: &str,
        ust: Option<&str>,
        key: Option<&str>,
        body: Value,
    ) -> (u16, String) {
        let mut req = self
            .app
            .client
            .request(method.parse().unwrap(), self.app.url(url_path))
            .insert_header(("X-Current-App", "CRM"));
        if let Some(ust) = ust {
            req = req.insert_header(("Authorization", format!("Bearer {ust}")));
        }
        if let Some(key) = key {
            req = req.insert_header(("X-App-Key", key));
        }
        let mut res = req.send_json(&body).await.unwrap();
        let bytes = res.body().limit(1 << 20).await.unwrap();
        (res.status().as_u16(), String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn login(&self, tenant: &str, name: &str) -> Value {
        let (status, body) = self
            .native(
                "POST",
                &format!("/api/v1/t/{tenant}/login"),
                None,
                None,
                json!({"username": name, "password": format!("{name}'s passphrase")}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        crate::common::remember_secret(v["ust"].as_str().unwrap());
        v
    }
}

const ANONYMOUS: &[&str] = &[
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
];

async fn tenants_never_see_each_other(backend: Backend) {
    let m = Matrix {
        app: TestApp::spawn(backend).await,
    };
    let sso = &m.app.services.sso;
    sso.create_tenant("bravo", None, Actor::Auto, "t").await.unwrap();
    m.user("default", "ana", true, None).await;
    m.user("bravo", "ben", true, None).await;
    let bea_id = m.user("bravo", "bea", false, Some("bea-mail@bravo.example")).await;
    let ana = m.login("default", "ana").await;
    let ust_a = ana["ust"].as_str().unwrap().to_owned();
    let ben = m.login("bravo", "ben").await;
    let ust_b = ben["ust"].as_str().unwrap().to_owned();
    let bea = m.login("bravo", "bea").await;
    let (ust_bea, bea_session) = (
        bea["ust"].as_str().unwrap().to_owned(),
        bea["session_id"].as_str().unwrap().to_owned(),
    );
    let b_user_attrs = format!("/api/v1/t/bravo/users/{bea_id}/attrs");
    let (status, _) = m
        .native(
            "POST",
            &b_user_attrs,
            Some(&ust_b),
            None,
            json!({"name": "bravo-attr", "value": "bravo-value"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, key_b) = m
        .native("POST", "/api/v1/t/bravo/apps/CRM/keys", Some(&ust_b), None, json!({}))
        .await;
    assert_eq!(status, 201);
    let key_b: Value = serde_json::from_str(&key_b).unwrap();
    let (key_id_b, secret_b) = (key_b["key_id"].as_str().unwrap(), key_b["key"].as_str().unwrap());
    // What must never be seen from default: B's ids, names, e-mail, attribute value, session and key.
    let markers = [
        bea_id.as_str(),
        "bea of bravo",
        "ben of bravo",
        "bea-mail",
        "bravo-value",
        bea_session.as_str(),
        key_id_b,
    ];
    let clean = |what: &str, body: &str| {
        for marker in markers {
            assert!(!body.contains(marker), "{what} shows {marker}: {body}");
        }
    };

    let body = json!({"name": "bravo-attr", "value": "x", "user_id": bea_id, "username": "bea", "password": "a long passphrase 1",
                      "email": "x@example.com", "session_id": bea_session, "ust": ust_bea, "reason": "r"});
    for (method, template) in gatehouse::http::api_v1::TENANT_ROUTES {
        if ANONYMOUS.contains(template) {
            continue;
        }
        let method = method.to_uppercase();
        let with_b_ids = template
            .replace("{user_id}", &bea_id)
            .replace("{session_id}", &bea_session)
            .replace("{name}", "bravo-attr")
            .replace("{key_id}", key_id_b);
        // A's super-user on A's path with B's ids: no 2xx for anything naming B's ids, and none of B's data.
        let (status, reply) = m
            .native(
                &method,
                &format!("/api/v1/t/default{with_b_ids}"),
                Some(&ust_a),
                None,
                body.clone(),
            )
            .await;
        let own_session_attr = template.starts_with("/session/attrs/{name}");
        if template.contains('{') && !own_session_attr {
            assert!(status >= 400, "{method} {template} with B's ids: {status} {reply}");
        }
        clean(&format!("{method} {template} under A with B's ids"), &reply);
        // A's UST on B's path: not a session of B.
        let (status, reply) = m
            .native(
                &method,
                &format!("/api/v1/t/bravo{with_b_ids}"),
                Some(&ust_a),
                None,
                body.clone(),
            )
            .await;
        assert_eq!(status, 401, "{method} {template} on B with A's UST: {reply}");
        // The random correlation id can spell anything: B's name is looked for in the rest of the reply.
        let without_cid = serde_json::from_str::<serde_json::Value>(&reply)
            .map(|mut v| {
                v.as_object_mut().map(|o| o.remove("cid"));
                v.to_string()
            })
            .unwrap_or_else(|_| reply.clone());
        assert!(reply.contains("E007001") && !without_cid.contains("bea"), "{reply}");
    }

    // The Zato surface: A's UST in every UST key against B, and B's user and session under A.
    for (method, path, keys) in ZATO_PATHS {
        let mut body = json!({"current_app": "CRM", "user_id": bea_id, "username": "bea", "name": "bravo-attr",
                              "value": 1, "new_password": "a long passphrase 2", "totp_key": "JBSWY3DPEHPK3PXP"});
        for k in *keys {
            body[*k] = json!(ust_a);
        }
        for tenant in ["bravo", "default"] {
            if tenant == "default" && keys.contains(&"target_ust") {
                body["target_ust"] = json!(ust_bea);
            }
            let mut res = m
                .app
                .client
                .request(
                    method.parse().unwrap(),
                    m.app.url(&format!("/t/{tenant}/zato/sso{path}")),
                )
                .send_body(body.to_string())
                .await
                .unwrap();
            let reply = String::from_utf8_lossy(&res.body().limit(1 << 20).await.unwrap()).into_owned();
            clean(&format!("zato {method} {path} in {tenant}"), &reply);
            if tenant == "bravo" || keys.contains(&"target_ust") {
                // Denied, or (verifying a session) reported as no valid session here.
                assert!(
                    reply.contains("\"status\":\"error\"") || reply.contains("\"is_valid\":false"),
                    "zato {method} {path} in {tenant}: {reply}"
                );
            }
        }
    }

    // B's app key means nothing to A, and A's none to B.
    let (status, _) = m
        .native(
            "PATCH",
            "/api/v1/t/default/settings",
            Some(&ust_a),
            None,
            json!({"apps": {"require_key": true}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = m
        .native(
            "POST",
            "/api/v1/t/default/login",
            None,
            Some(secret_b),
            json!({"username": "ana", "password": "ana's passphrase"}),
        )
        .await;
    assert_eq!(status, 401, "{reply}");
    assert!(reply.contains("E004003") && !reply.contains("ust"), "{reply}");

    // Nothing of B's changed: bea is there, unlocked, with her attribute and her session.
    let (status, reply) = m
        .native(
            "GET",
            &format!("/api/v1/t/bravo/users/{bea_id}"),
            Some(&ust_b),
            None,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let user: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(user["is_locked"], json!(false), "{reply}");
    assert_eq!(user["display_name"], json!("bea of bravo"), "{reply}");
    let (status, reply) = m
        .native(
            "GET",
            &format!("{b_user_attrs}/bravo-attr"),
            Some(&ust_b),
            None,
            json!({}),
        )
        .await;
    assert!(status == 200 && reply.contains("bravo-value"), "{status} {reply}");
    let (status, _) = m
        .native("GET", "/api/v1/t/bravo/session", Some(&ust_bea), None, json!({}))
        .await;
    assert_eq!(status, 200, "bea's session lives");
}
both!(tenants_never_see_each_other);
