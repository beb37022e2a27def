//! Passkeys end to end over the native API, with a software authenticator: enrolment, the username-less login,
//! the second step after a password, every login rule on the passkey path, forged and replayed answers, the
//! counter, tenants, removal with proof, and an administrator's view.

use crate::api::{Api, sub};
use crate::authenticator::Authenticator;
use crate::both;
use crate::common::{Backend, remember_secret};
use chrono::TimeDelta;
use serde_json::{Value, json};

impl Api {
    /// The proof of the account of `ust` (whose password, by the tests' convention, is "<name>'s passphrase"):
    /// the password, and an answer of `prover` to a proof ceremony when given.
    pub(crate) async fn proof(&self, tenant: &str, ust: &str, prover: Option<&mut Authenticator>) -> Value {
        let (_, me) = self.call("GET", tenant, "/users/me", Some(ust), None).await;
        let password = format!("{}'s passphrase", me["username"].as_str().unwrap());
        let Some(prover) = prover else {
            return json!({"password": password});
        };
        let (status, ceremony) = self
            .call("POST", tenant, "/users/me/passkeys/proof", Some(ust), None)
            .await;
        assert_eq!(status, 200, "{ceremony}");
        let credential = prover.get(&ceremony["options"]);
        json!({"password": password, "ceremony": ceremony["ceremony"], "credential": credential})
    }

    /// The options of adding a passkey to the account of `ust`, with `proof`.
    async fn registration_options(&self, tenant: &str, ust: &str, proof: Value) -> Value {
        let (status, ceremony) = self
            .call("POST", tenant, "/users/me/passkeys/options", Some(ust), Some(proof))
            .await;
        assert_eq!(status, 200, "{ceremony}");
        remember_secret(ceremony["ceremony"].as_str().unwrap());
        ceremony
    }

    /// Adds a first passkey made by `a` to the account of `ust` (the password is the proof); its id.
    async fn add_passkey(&self, tenant: &str, ust: &str, a: &mut Authenticator, name: &str) -> String {
        let proof = self.proof(tenant, ust, None).await;
        self.register_passkey(tenant, ust, a, name, proof).await
    }

    /// Adds another passkey, `prover` (one the account has) proving the account.
    async fn add_another_passkey(
        &self,
        tenant: &str,
        ust: &str,
        prover: &mut Authenticator,
        a: &mut Authenticator,
        name: &str,
    ) -> String {
        let proof = self.proof(tenant, ust, Some(prover)).await;
        self.register_passkey(tenant, ust, a, name, proof).await
    }

    /// Adds a passkey made by `a` to the account of `ust` with `proof`; its id.
    pub(crate) async fn register_passkey(
        &self,
        tenant: &str,
        ust: &str,
        a: &mut Authenticator,
        name: &str,
        proof: Value,
    ) -> String {
        let ceremony = self.registration_options(tenant, ust, proof).await;
        let credential = a.create(&ceremony["options"]);
        let (status, added) = self
            .call(
                "POST",
                tenant,
                "/users/me/passkeys",
                Some(ust),
                Some(json!({"ceremony": ceremony["ceremony"], "credential": credential, "name": name})),
            )
            .await;
        assert_eq!(status, 201, "{added}");
        added["passkey_id"].as_str().unwrap().to_owned()
    }

    /// The options of a login ceremony (`start` empty: username-less).
    async fn passkey_options(&self, tenant: &str, start: Value) -> (u16, Value) {
        self.call("POST", tenant, "/login/passkey/options", None, Some(start))
            .await
    }

    /// Answers a login ceremony with `a`.
    async fn passkey_login(&self, tenant: &str, ceremony: &Value, a: &mut Authenticator) -> (u16, Value) {
        let credential = a.get(&ceremony["options"]);
        self.call(
            "POST",
            tenant,
            "/login/passkey",
            None,
            Some(json!({"ceremony": ceremony["ceremony"], "credential": credential})),
        )
        .await
    }

    /// A username-less login with `a`.
    async fn login_with(&self, tenant: &str, a: &mut Authenticator) -> (u16, Value) {
        let (status, ceremony) = self.passkey_options(tenant, json!({})).await;
        assert_eq!(status, 200, "{ceremony}");
        self.passkey_login(tenant, &ceremony, a).await
    }

    /// The `amr` of the session of `ust`.
    async fn methods_of(&self, ust: &str) -> Vec<String> {
        let mut ctx = self.app.services.ctx("default").await;
        ctx.current_app = "CRM".to_owned();
        let current = self.app.services.sso.current_session(&ctx, ust).await.unwrap();
        current.session().auth_methods.clone()
    }

    async fn audit_ops(&self, root: &str, op: &str) -> Vec<Value> {
        let (status, page) = self
            .call("GET", "default", &format!("/audit?op={op}"), Some(root), None)
            .await;
        assert_eq!(status, 200, "{page}");
        page["result"].as_array().cloned().unwrap_or_default()
    }
}

/// The authenticator's answer to the options a page's passkey endpoint gave, as a form posts it.
fn answer_to(key: &mut Authenticator, options: &crate::pages::Page) -> String {
    key.get(&serde_json::from_str(&options.html).unwrap()).to_string()
}

fn ust_of(reply: &Value) -> String {
    let ust = reply["ust"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {reply}"))
        .to_owned();
    remember_secret(&ust);
    ust
}

async fn a_passkey_enrolled_over_rest_logs_in_without_a_username(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    // The registration asks for a discoverable credential and user verification, for this user.
    let proof = api.proof("default", &alice, None).await;
    let ceremony = api.registration_options("default", &alice, proof).await;
    let pk = &ceremony["options"]["publicKey"];
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required", "{pk}");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "alice");
    let mut key = Authenticator::new();
    let id = api.add_passkey("default", &alice, &mut key, "Laptop").await;
    assert!(id.starts_with("pk_"));
    let (status, list) = api
        .call("GET", "default", "/users/me/passkeys", Some(&alice), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Laptop");
    assert_eq!(list[0]["last_used_time"], Value::Null);
    assert_eq!(list[0]["backup_eligible"], false);

    // Nothing typed: the passkey names the user, and it counts as two factors.
    let (status, session) = api.login_with("default", &mut key).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["username"], "alice");
    let ust = ust_of(&session);
    assert_eq!(api.methods_of(&ust).await, ["hwk", "user", "mfa"]);
    let (_, list) = api.call("GET", "default", "/users/me/passkeys", Some(&ust), None).await;
    assert!(list[0]["last_used_time"].is_string(), "{list}");

    // A synchronised passkey is a software key in amr.
    let mut synced = Authenticator::new();
    synced.synced = true;
    api.add_another_passkey("default", &ust, &mut key, &mut synced, "Phone")
        .await;
    let (status, session) = api.login_with("default", &mut synced).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(api.methods_of(&ust_of(&session)).await, ["swk", "user", "mfa"]);

    // Renaming: the name's rules hold.
    let (status, renamed) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/me/passkeys/{id}"),
            Some(&ust),
            Some(json!({"name": "Work laptop"})),
        )
        .await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("Work laptop")));
    for bad in ["", "   ", "a\u{7}b", &"x".repeat(65)] {
        let (status, reply) = api
            .call(
                "PATCH",
                "default",
                &format!("/users/me/passkeys/{id}"),
                Some(&ust),
                Some(json!({"name": bad})),
            )
            .await;
        assert_eq!((status, sub(&reply).as_str()), (422, "E008002"), "{bad:?}");
    }
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/users/me/passkeys/pk_nope",
            Some(&ust),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (404, "E013004"));
    // Another user cannot name, see or remove it.
    let bob = api.login("default", "bob").await;
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/me/passkeys/{id}"),
            Some(&bob),
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(status, 404);
    let (_, list) = api.call("GET", "default", "/users/me/passkeys", Some(&bob), None).await;
    assert_eq!(list, json!([]));
    // The same credential cannot be registered twice.
    let proof = api.proof("default", &ust, Some(&mut key)).await;
    let ceremony = api.registration_options("default", &ust, proof).await;
    let credential = key.create(&ceremony["options"]);
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/users/me/passkeys",
            Some(&ust),
            Some(json!({"ceremony": ceremony["ceremony"], "credential": credential})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (409, "E013006"), "{reply}");
}
both!(a_passkey_enrolled_over_rest_logs_in_without_a_username);

async fn a_password_alone_no_longer_finishes_a_login_once_a_user_has_a_passkey(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let mut key = Authenticator::counting();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login",
            None,
            Some(json!({"username": "alice", "password": "alice's passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005008"), "{reply}");
    // A TOTP code for an account without TOTP is wrong, not a way around the passkey.
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login",
            None,
            Some(json!({"username": "alice", "password": "alice's passphrase", "totp_code": "123456"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005001"));

    // The password, then the passkey: the options name only alice's credentials.
    let (status, ceremony) = api
        .passkey_options(
            "default",
            json!({"username": "alice", "password": "alice's passphrase"}),
        )
        .await;
    assert_eq!(status, 200, "{ceremony}");
    let allowed = ceremony["options"]["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1);
    let (status, session) = api.passkey_login("default", &ceremony, &mut key).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(api.methods_of(&ust_of(&session)).await, ["pwd", "hwk", "user", "mfa"]);

    // A wrong password gets no ceremony; a user without a passkey gets E013008 (after the right password).
    let (status, reply) = api
        .passkey_options("default", json!({"username": "alice", "password": "wrong"}))
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005001"));
    let (status, reply) = api
        .passkey_options("default", json!({"username": "bob", "password": "bob's passphrase"}))
        .await;
    assert_eq!((status, sub(&reply).as_str()), (400, "E013008"), "{reply}");
    let (status, reply) = api
        .passkey_options("default", json!({"username": "bob", "password": "wrong"}))
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005001"));

    // A second-step ceremony of alice's answered by bob's passkey is refused: bob's key is not in it.
    let bob = api.login("default", "bob").await;
    let mut bobs = Authenticator::new();
    api.add_passkey("default", &bob, &mut bobs, "Bob's").await;
    let (_, ceremony) = api
        .passkey_options(
            "default",
            json!({"username": "alice", "password": "alice's passphrase"}),
        )
        .await;
    let credential = bobs.get(&json!({"publicKey": {
        "challenge": ceremony["options"]["publicKey"]["challenge"],
        "rpId": "localhost",
    }}));
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login/passkey",
            None,
            Some(json!({"ceremony": ceremony["ceremony"], "credential": credential})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013004"), "{reply}");
}
both!(a_password_alone_no_longer_finishes_a_login_once_a_user_has_a_passkey);

async fn forged_replayed_and_foreign_answers_are_refused_and_counted(backend: Backend) {
    let api = Api::new(backend).await;
    let clock = api.app.services.sso.clock.clone();
    let root = api.login("default", "root").await;
    let alice = api.login("default", "alice").await;
    let mut key = Authenticator::counting();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    api.app.set("default", "login", "max_failures", json!(50)).await;

    // A used ceremony, an expired one, an unknown one.
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    let (status, _) = api.passkey_login("default", &ceremony, &mut key).await;
    assert_eq!(status, 200);
    let (status, reply) = api.passkey_login("default", &ceremony, &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013002"), "replayed");
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    clock.advance(TimeDelta::minutes(5) + TimeDelta::seconds(1));
    let (status, reply) = api.passkey_login("default", &ceremony, &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013002"), "expired");
    let (status, reply) = api
        .passkey_login(
            "default",
            &json!({"ceremony": "nope", "options": {"publicKey": {"challenge": "AAAA", "rpId": "localhost"}}}),
            &mut key,
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013002"), "unknown");
    // The ceremony of another tenant is unknown here.
    let (_, other) = api.passkey_options("other", json!({})).await;
    let (status, reply) = api.passkey_login("default", &other, &mut key).await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (401, "E013002"),
        "another tenant's ceremony"
    );

    // Lies: a bad signature, another origin, another relying party, no user verification, a wrong type.
    type Lie = fn(&mut Authenticator);
    let lies: [(&str, Lie); 5] = [
        ("forged", |a| a.forge = true),
        ("origin", |a| a.origin = "http://evil.example:8080".to_owned()),
        ("rp", |a| a.rp_id = Some("evil.example".to_owned())),
        ("uv", |a| a.user_verified = false),
        ("type", |a| a.get_type = "webauthn.create".to_owned()),
    ];
    for (what, lie) in lies {
        let mut liar = Authenticator::counting();
        std::mem::swap(&mut liar, &mut key);
        lie(&mut liar);
        let (_, ceremony) = api.passkey_options("default", json!({})).await;
        let (status, reply) = api.passkey_login("default", &ceremony, &mut liar).await;
        assert_eq!((status, sub(&reply).as_str()), (401, "E013003"), "{what}: {reply}");
        std::mem::swap(&mut liar, &mut key);
        key.forge = false;
        key.origin = crate::authenticator::ORIGIN.to_owned();
        key.rp_id = None;
        key.user_verified = true;
        key.get_type = "webauthn.get".to_owned();
    }

    // Each refusal is audited as a failed login of the user whose passkey answered.
    let alice_id = api.app.find("default", "alice").await.user_id;
    let refused: Vec<_> = api
        .audit_ops(&root, "user.login")
        .await
        .into_iter()
        .filter(|e| e["sub_status"] == "E013003")
        .collect();
    assert!(
        refused.len() >= 5 && refused.iter().all(|e| e["target_user"] == alice_id.as_str()),
        "{refused:?}"
    );

    // An authenticator never registered, and a credential registered in another tenant, are unknown.
    let mut stranger = Authenticator::new();
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    // Its user handle is anyone's: pretend to be alice's.
    let _ = stranger.create(
        &json!({"publicKey": {"challenge": "AA", "rp": {"id": "localhost"}, "user": {"id": "AAAAAAAAAAAAAAAAAAAAAA"}}}),
    );
    let (status, reply) = api.passkey_login("default", &ceremony, &mut stranger).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013004"), "{reply}");
    let carol = api.login("other", "carol").await;
    let mut carols = Authenticator::new();
    api.add_passkey("other", &carol, &mut carols, "Carol's").await;
    let (status, reply) = api.login_with("default", &mut carols).await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (401, "E013004"),
        "another tenant's passkey"
    );
    let (status, _) = api.login_with("other", &mut carols).await;
    assert_eq!(status, 200, "in its own tenant");

    // A counter that goes backwards (a copied key) is refused and audited; the stored counter stays.
    key.counter = 1;
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013005"), "{reply}");
    let entries = api.audit_ops(&root, "user.passkey_counter_regressed").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    key.counter = 100;
    let (status, _) = api.login_with("default", &mut key).await;
    assert_eq!(status, 200, "a counter ahead of the stored one");

    // Every refused answer that named alice counts: in a new window, three lock her account.
    clock.advance(TimeDelta::minutes(16));
    api.app.set("default", "login", "max_failures", json!(3)).await;
    for _ in 0..3 {
        key.forge = true;
        let (status, _) = api.login_with("default", &mut key).await;
        assert_eq!(status, 401);
    }
    key.forge = false;
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005002"), "locked: {reply}");
    // Malformed answers are bad input, never a 500.
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    for credential in [json!({}), json!("text"), json!({"id": 1}), json!(null)] {
        let (status, reply) = api
            .call(
                "POST",
                "default",
                "/login/passkey",
                None,
                Some(json!({"ceremony": ceremony["ceremony"], "credential": credential})),
            )
            .await;
        assert!(status == 422 || status == 400, "{credential}: {status} {reply}");
    }
}
both!(forged_replayed_and_foreign_answers_are_refused_and_counted);

async fn two_answers_to_one_ceremony_give_one_session(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let mut key = Authenticator::new();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    let first = key.get(&ceremony["options"]);
    let second = key.get(&ceremony["options"]);
    let body = |c: Value| Some(json!({"ceremony": ceremony["ceremony"], "credential": c}));
    let (a, b) = futures_util::join!(
        api.call("POST", "default", "/login/passkey", None, body(first)),
        api.call("POST", "default", "/login/passkey", None, body(second)),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 401], "{a:?} {b:?}");
}
both!(two_answers_to_one_ceremony_give_one_session);

async fn every_login_rule_holds_on_the_passkey_path(backend: Backend) {
    let api = Api::new(backend).await;
    let sso = &api.app.services.sso;
    let root = api.login("default", "root").await;
    let alice = api.login("default", "alice").await;
    let alice_id = api.app.find("default", "alice").await.user_id;
    let mut key = Authenticator::new();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    // Locked by an administrator.
    let (status, _) = api
        .call("POST", "default", &format!("/users/{alice_id}/lock"), Some(&root), None)
        .await;
    assert_eq!(status, 200);
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005002"));
    api.call(
        "POST",
        "default",
        &format!("/users/{alice_id}/unlock"),
        Some(&root),
        None,
    )
    .await;
    // An app that may not log users in.
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    let credential = key.get(&ceremony["options"]);
    let mut res = api
        .app
        .client
        .post(api.app.url("/api/v1/t/default/login/passkey"))
        .insert_header(("X-Current-App", "Unknown"))
        .send_json(&json!({"ceremony": ceremony["ceremony"], "credential": credential}))
        .await
        .unwrap();
    let reply = crate::common::json_body(&mut res).await;
    assert_eq!((res.status().as_u16(), sub(&reply).as_str()), (401, "E004001"));
    // The IP allow-list.
    let (status, _) = api
        .call(
            "PUT",
            "default",
            &format!("/users/{alice_id}/address-list"),
            Some(&root),
            Some(json!({"addresses": ["10.0.0.0/8"]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (401, "E005001"),
        "not on the allow-list"
    );
    api.call(
        "DELETE",
        "default",
        &format!("/users/{alice_id}/address-list"),
        Some(&root),
        None,
    )
    .await;
    // A password that must change: the passkey login asks for the new one, and takes it.
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{alice_id}"),
            Some(&root),
            Some(json!({"password_must_change": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E003007"), "{reply}");
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    let credential = key.get(&ceremony["options"]);
    let (status, session) = api
        .call(
            "POST",
            "default",
            "/login/passkey",
            None,
            Some(json!({"ceremony": ceremony["ceremony"], "credential": credential, "new_password": "a brand new passphrase 42"})),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    remember_secret("a brand new passphrase 42");
    assert_eq!(api.methods_of(&ust_of(&session)).await, ["hwk", "user", "mfa"]);
    // The suspended tenant.
    let ops = sso.cli_operator().await.unwrap();
    let tenant = sso.resolve_tenant("default").await.unwrap();
    sso.set_tenant_status(&ops, tenant, gatehouse::sso::TenantStatus::Suspended)
        .await
        .unwrap();
    let (status, reply) = api.passkey_options("default", json!({})).await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E012002"), "{reply}");
}
both!(every_login_rule_holds_on_the_passkey_path);

async fn super_users_second_factor_rules_know_passkeys(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let mut key = Authenticator::new();
    api.add_passkey("default", &root, &mut key, "Root's key").await;
    // A passkey meets require_totp_for_super_users; a super-user without 2FA is refused.
    api.user("default", "admin1", "admin1's passphrase", true).await;
    api.app
        .set("default", "login", "require_totp_for_super_users", json!(true))
        .await;
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login",
            None,
            Some(json!({"username": "admin1", "password": "admin1's passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E005009"));
    let (status, session) = api.login_with("default", &mut key).await;
    assert_eq!(status, 200, "{session}");
    let (status, _) = api
        .call("GET", "default", "/users", Some(&ust_of(&session)), None)
        .await;
    assert_eq!(status, 200, "an administrator with a passkey is one");
    // require_passkey_for_super_users: TOTP alone does not meet it.
    api.app
        .set("default", "login", "require_passkey_for_super_users", json!(true))
        .await;
    api.user("default", "admin2", "admin2's passphrase", true).await;
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login",
            None,
            Some(json!({"username": "admin2", "password": "admin2's passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E005010"), "{reply}");
    let (status, _) = api.login_with("default", &mut key).await;
    assert_eq!(status, 200, "root has one");
}
both!(super_users_second_factor_rules_know_passkeys);

async fn removing_a_passkey_needs_the_password_and_a_fresh_proof(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let mut key = Authenticator::counting();
    let id = api.add_passkey("default", &alice, &mut key, "Key").await;
    let (_, session) = api.login_with("default", &mut key).await;
    let other = ust_of(&session);
    let path = format!("/users/me/passkeys/{id}");
    let (status, reply) = api
        .call(
            "DELETE",
            "default",
            &path,
            Some(&alice),
            Some(json!({"password": "alice's passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (400, "E008003"), "no proof: {reply}");
    // A code for an account without TOTP is wrong, and counts.
    let (status, reply) = api
        .call(
            "DELETE",
            "default",
            &path,
            Some(&alice),
            Some(json!({"password": "alice's passphrase", "code": "123456"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E005001"));
    // A wrong password with a good passkey: refused, and the proof's ceremony is not used up by it.
    let (_, proof) = api
        .call("POST", "default", "/users/me/passkeys/proof", Some(&alice), None)
        .await;
    let credential = key.get(&proof["options"]);
    let (status, _) = api
        .call(
            "DELETE",
            "default",
            &path,
            Some(&alice),
            Some(json!({"password": "wrong", "ceremony": proof["ceremony"], "credential": credential})),
        )
        .await;
    assert_eq!(status, 403);
    // Another user's proof does not prove alice's factor.
    let bob = api.login("default", "bob").await;
    let mut bobs = Authenticator::new();
    api.add_passkey("default", &bob, &mut bobs, "Bob's").await;
    let (_, bob_proof) = api
        .call("POST", "default", "/users/me/passkeys/proof", Some(&bob), None)
        .await;
    let credential = bobs.get(&bob_proof["options"]);
    let (status, _) = api
        .call(
            "DELETE",
            "default",
            &path,
            Some(&alice),
            Some(
                json!({"password": "alice's passphrase", "ceremony": bob_proof["ceremony"], "credential": credential}),
            ),
        )
        .await;
    assert_eq!(status, 403, "bob's ceremony");
    // The password and a fresh assertion of the passkey removed: done, and alice's other session ends.
    let (_, proof) = api
        .call("POST", "default", "/users/me/passkeys/proof", Some(&alice), None)
        .await;
    let credential = key.get(&proof["options"]);
    let (status, reply) = api
        .call(
            "DELETE",
            "default",
            &path,
            Some(&alice),
            Some(json!({"password": "alice's passphrase", "ceremony": proof["ceremony"], "credential": credential})),
        )
        .await;
    assert_eq!(status, 204, "{reply}");
    let (status, _) = api.call("GET", "default", "/session", Some(&other), None).await;
    assert_eq!(status, 401, "the other session ended");
    let (status, list) = api
        .call("GET", "default", "/users/me/passkeys", Some(&alice), None)
        .await;
    assert_eq!((status, list), (200, json!([])));
    // Without a passkey, the password alone logs in again, and the passkey is worthless.
    let (status, _) = api
        .call(
            "POST",
            "default",
            "/login",
            None,
            Some(json!({"username": "alice", "password": "alice's passphrase"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013004"));
}
both!(removing_a_passkey_needs_the_password_and_a_fresh_proof);

async fn administrators_see_remove_and_reset_a_users_passkeys(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let alice = api.login("default", "alice").await;
    let alice_id = api.app.find("default", "alice").await.user_id;
    let mut one = Authenticator::new();
    let mut two = Authenticator::new();
    let first = api.add_passkey("default", &alice, &mut one, "One").await;
    api.add_another_passkey("default", &alice, &mut one, &mut two, "Two")
        .await;
    let (status, list) = api
        .call(
            "GET",
            "default",
            &format!("/users/{alice_id}/passkeys"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A regular user, and another tenant's administrator, cannot.
    let (status, _) = api
        .call(
            "GET",
            "default",
            &format!("/users/{alice_id}/passkeys"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let carol = api.login("other", "carol").await;
    let (status, _) = api
        .call(
            "GET",
            "other",
            &format!("/users/{alice_id}/passkeys"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // Removing one ends alice's sessions.
    let (status, _) = api
        .call(
            "DELETE",
            "default",
            &format!("/users/{alice_id}/passkeys/{first}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = api.call("GET", "default", "/session", Some(&alice), None).await;
    assert_eq!(status, 401);
    let (status, reply) = api.login_with("default", &mut one).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013004"));
    // Resetting 2FA removes the rest.
    let (status, session) = api.login_with("default", &mut two).await;
    assert_eq!(status, 200);
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
    let (status, _) = api
        .call("GET", "default", "/session", Some(&ust_of(&session)), None)
        .await;
    assert_eq!(status, 401, "sessions end as for a 2FA reset");
    let (_, list) = api
        .call(
            "GET",
            "default",
            &format!("/users/{alice_id}/passkeys"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(list, json!([]));
    // One's own passkey is not an administrator's to remove without proof.
    let mut roots = Authenticator::new();
    let own = api.add_passkey("default", &root, &mut roots, "Root's").await;
    let root_id = api.app.find("default", "root").await.user_id;
    let (status, reply) = api
        .call(
            "DELETE",
            "default",
            &format!("/users/{root_id}/passkeys/{own}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E008001"));
}
both!(administrators_see_remove_and_reset_a_users_passkeys);

async fn passkeys_are_off_without_a_domain(backend: Backend) {
    let app = crate::common::TestApp::spawn_with(backend, |c| {
        c.server.public_url = "http://127.0.0.1:8080".to_owned();
    })
    .await;
    assert!(app.services.sso.relying_party.off_reason().is_some());
    let api = Api { app };
    let (status, reply) = api.passkey_options("default", json!({})).await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E013001"));
    let mut res = api
        .app
        .client
        .get(api.app.url("/t/default/login"))
        .send()
        .await
        .unwrap();
    let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(!html.contains("passkey"), "no passkey on the login page");
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        !html.contains(gatehouse_frontend::PASSKEY_SCRIPT_TAG),
        "no passkey script"
    );
    assert!(!csp.contains("connect-src"), "nothing on the page fetches: {csp}");
    // Behind a proxy: the RP ID and origins from [webauthn].
    let behind = crate::common::TestApp::spawn_with(backend, |c| {
        c.server.public_url = "http://127.0.0.1:8080".to_owned();
        c.webauthn.rp_id = "sso.example.com".to_owned();
        c.webauthn.origins = gatehouse::config::StringList(vec!["https://sso.example.com".to_owned()]);
    })
    .await;
    let api = Api { app: behind };
    api.user("default", "dave", "dave's passphrase", false).await;
    let dave = api.login("default", "dave").await;
    let mut key = Authenticator::new();
    key.origin = "https://sso.example.com".to_owned();
    api.add_passkey("default", &dave, &mut key, "Key").await;
    let (status, _) = api.login_with("default", &mut key).await;
    assert_eq!(status, 200);
}
both!(passkeys_are_off_without_a_domain);

async fn the_pages_enrol_log_in_and_remove_with_a_passkey_bound_to_the_browser(backend: Backend) {
    use crate::pages::Browser;
    let api = Api::new(backend).await;
    let mut b = Browser::new(&api.app);
    let done = b.login("alice", "alice's passphrase").await;
    assert_eq!(done.status, 303);
    let account = b.get("/t/default/account").await;
    assert!(account.html.contains("Add a passkey") && account.html.contains("You have no passkeys."));
    let csrf = account.csrf();
    // The options set the ceremony's cookie: HttpOnly, SameSite=Strict, on the tenant's path.
    let options = b
        .send("POST", "/t/default/account/passkeys/options", &[("csrf", &csrf)])
        .await;
    assert_eq!(options.status, 400, "the password is needed: {}", options.html);
    let options = b
        .send(
            "POST",
            "/t/default/account/passkeys/options",
            &[("csrf", &csrf), ("password", "wrong")],
        )
        .await;
    assert_eq!(options.status, 403, "{}", options.html);
    assert!(
        options
            .html
            .contains("The password, the code or the passkey is not right.")
    );
    let options = b
        .send(
            "POST",
            "/t/default/account/passkeys/options",
            &[("csrf", &csrf), ("password", "alice's passphrase")],
        )
        .await;
    assert_eq!(options.status, 200, "{}", options.html);
    let cookie = options
        .set_cookies
        .iter()
        .find(|c| c.starts_with("gh_passkey="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/t/default"));
    let mut key = Authenticator::new();
    let credential = key.create(&serde_json::from_str(&options.html).unwrap()).to_string();
    let added = b
        .send(
            "POST",
            "/t/default/account/passkeys",
            &[("csrf", &csrf), ("name", "Desk"), ("credential", &credential)],
        )
        .await;
    assert_eq!(
        (added.status, added.location.as_deref()),
        (303, Some("/t/default/account?done=passkey-added"))
    );
    let account = b.get("/t/default/account?done=passkey-added").await;
    assert!(account.html.contains("Your passkey is added.") && account.html.contains("Desk"));
    // Options without the form token are refused.
    let refused = b
        .send("POST", "/t/default/account/passkeys/options", &[("csrf", "nope")])
        .await;
    assert_eq!(refused.status, 403);

    // A username-less login in a fresh browser.
    let mut fresh = Browser::new(&api.app);
    let csrf = fresh.get("/t/default/login").await.csrf();
    let options = fresh
        .send("POST", "/t/default/login/passkey/options", &[("csrf", &csrf)])
        .await;
    assert_eq!(options.status, 200, "{}", options.html);
    let answer = answer_to(&mut key, &options);
    // The same answer from another browser, which does not hold the ceremony's cookie, is refused.
    let mut thief = Browser::new(&api.app);
    let thief_csrf = thief.get("/t/default/login").await.csrf();
    let stolen = thief
        .send(
            "POST",
            "/t/default/login/passkey",
            &[("csrf", &thief_csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(stolen.status, 401, "{}", stolen.html);
    assert!(
        stolen.html.contains("The passkey request is unknown, used or expired."),
        "{}",
        stolen.html
    );
    let signed_in = fresh
        .send(
            "POST",
            "/t/default/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(
        (signed_in.status, signed_in.location.as_deref()),
        (303, Some("/t/default/account")),
        "{}",
        signed_in.html
    );
    assert!(
        signed_in
            .set_cookies
            .iter()
            .any(|c| c.starts_with("gh_session=") && !c.contains("Max-Age=0"))
    );

    // The password, then the passkey step's page, then the passkey.
    let mut second = Browser::new(&api.app);
    let step = second.login("alice", "alice's passphrase").await;
    assert_eq!(step.location.as_deref(), Some("/t/default/login/passkey"));
    let page = second.get("/t/default/login/passkey").await;
    assert!(
        page.html.contains("Use a passkey") && page.html.contains("step=second"),
        "{}",
        page.html
    );
    let csrf = page.csrf();
    let options = second
        .send(
            "POST",
            "/t/default/login/passkey/options?step=second",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(options.status, 200, "{}", options.html);
    let answer = answer_to(&mut key, &options);
    let signed_in = second
        .send(
            "POST",
            "/t/default/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/t/default/account"),
        "{}",
        signed_in.html
    );

    // Removal with the password and the passkey's proof.
    let account = second.get("/t/default/account").await;
    let csrf = account.csrf();
    let id = crate::common::token_in(&account.html, r#"name="passkey_id" value=""#);
    let options = second
        .send("POST", "/t/default/account/passkeys/proof-options", &[("csrf", &csrf)])
        .await;
    let answer = answer_to(&mut key, &options);
    let removed = second
        .send(
            "POST",
            "/t/default/account/passkeys/remove",
            &[
                ("csrf", &csrf),
                ("passkey_id", &id),
                ("password", "alice's passphrase"),
                ("credential", &answer),
            ],
        )
        .await;
    assert_eq!(
        (removed.status, removed.location.as_deref()),
        (303, Some("/t/default/account?done=passkey-removed")),
        "{}",
        removed.html
    );
    // The first browser's session ended with the removal.
    let gone = b.get("/t/default/account").await;
    assert_eq!(gone.status, 303);
}
both!(the_pages_enrol_log_in_and_remove_with_a_passkey_bound_to_the_browser);

async fn a_passkey_login_serves_an_openid_connect_authorization(backend: Backend) {
    use crate::oidc::{exchange, follow, payload, provider_with, register, relying_party, start};
    use crate::pages::Browser;
    use openidconnect::{OAuth2TokenResponse, TokenResponse};
    let app = provider_with(backend, |c| {
        c.webauthn.rp_id = "localhost".to_owned();
        c.webauthn.origins = gatehouse::config::StringList(vec![crate::authenticator::ORIGIN.to_owned()]);
    })
    .await;
    let api = Api { app };
    api.user("default", "ann", "ann's passphrase", false).await;
    let ann = api.login("default", "ann").await;
    let mut key = Authenticator::new();
    api.add_passkey("default", &ann, &mut key, "Ann's").await;
    let secret = register(&api.app, "default", "shop", true, false).await;
    let rp = relying_party(&api.app, "default", "shop", secret).await;
    let started = start(&rp, None, None);

    // The authorization sends the browser to the login page, where the passkey logs in with nothing typed.
    let mut b = Browser::new(&api.app);
    let first = b.get(&crate::oidc::path_of(&started.url)).await;
    let login = first.location.clone().expect("to the login page");
    assert!(login.starts_with("/t/default/login?next="), "{login}");
    let form = b.get(&login).await;
    assert!(form.html.contains("Log in with a passkey") && form.html.contains("to continue to"));
    let (csrf, next) = (form.csrf(), crate::oidc::next_of(&form));
    let options = b
        .send("POST", "/t/default/login/passkey/options", &[("csrf", &csrf)])
        .await;
    let answer = answer_to(&mut key, &options);
    let signed_in = b
        .send(
            "POST",
            "/t/default/login/passkey",
            &[("csrf", &csrf), ("credential", &answer), ("next", &next)],
        )
        .await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some(next.as_str()),
        "back to the authorization"
    );
    // Signed in, the browser is not asked again: the authorization comes back with a code.
    let journey = follow(&mut b, &started.url, None, None).await;
    let (token, _) = exchange(&api.app, &rp, started, &journey).await;
    let raw = payload(&token.id_token().unwrap().to_string());
    assert_eq!(raw["amr"], json!(["hwk", "user", "mfa"]), "{raw}");
    // The application's access token is ann's session, but not one that may add a passkey, password or not.
    let access = token.access_token().secret().clone();
    let mut res = api
        .app
        .client
        .post(api.app.url("/api/v1/t/default/users/me/passkeys/options"))
        .insert_header(("X-Current-App", "shop"))
        .insert_header(("Authorization", format!("Bearer {access}")))
        .send_json(&json!({"password": "ann's passphrase"}))
        .await
        .unwrap();
    let reply = crate::common::json_body(&mut res).await;
    assert_eq!(
        (res.status().as_u16(), sub(&reply).as_str()),
        (403, "E008001"),
        "{reply}"
    );
}
both!(a_passkey_login_serves_an_openid_connect_authorization);

async fn a_session_alone_cannot_add_a_passkey(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let options = |body: Value| {
        let api = &api;
        let alice = alice.clone();
        async move {
            api.call(
                "POST",
                "default",
                "/users/me/passkeys/options",
                Some(&alice),
                Some(body),
            )
            .await
        }
    };
    let (status, reply) = options(json!({"password": ""})).await;
    assert_eq!((status, sub(&reply).as_str()), (400, "E008003"), "{reply}");
    let (status, reply) = options(json!({"password": "wrong"})).await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E005001"), "{reply}");
    // Once alice has a passkey, the password alone does not prove the account: her factor must too.
    let mut key = Authenticator::new();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    let (status, reply) = options(json!({"password": "alice's passphrase"})).await;
    assert_eq!((status, sub(&reply).as_str()), (400, "E008003"), "{reply}");
    let (status, reply) = options(json!({"password": "alice's passphrase", "code": "123456"})).await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (403, "E005001"),
        "a code without TOTP: {reply}"
    );
    // Each wrong proof counted: with login.max_failures at 3 the account is now locked.
    api.app.set("default", "login", "max_failures", json!(3)).await;
    let (status, _) = options(json!({"password": "wrong", "code": "000000"})).await;
    assert_eq!(status, 403);
    let (status, reply) = api.login_with("default", &mut key).await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005002"), "locked: {reply}");
}
both!(a_session_alone_cannot_add_a_passkey);

async fn a_new_password_after_a_passkey_login_must_be_new(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let alice = api.login("default", "alice").await;
    let alice_id = api.app.find("default", "alice").await.user_id;
    let mut key = Authenticator::new();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    api.call(
        "PATCH",
        "default",
        &format!("/users/{alice_id}"),
        Some(&root),
        Some(json!({"password_must_change": true})),
    )
    .await;
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    let credential = key.get(&ceremony["options"]);
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login/passkey",
            None,
            Some(json!({"ceremony": ceremony["ceremony"], "credential": credential, "new_password": "alice's passphrase"})),
        )
        .await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (422, "E003010"),
        "the current password again: {reply}"
    );
}
both!(a_new_password_after_a_passkey_login_must_be_new);

async fn a_passkey_is_required_of_super_users_at_each_login_where_the_tenant_says_so(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let mut key = Authenticator::new();
    api.add_passkey("default", &root, &mut key, "Root's").await;
    api.app
        .set("default", "login", "require_passkey_for_super_users", json!(true))
        .await;
    // A session made by password is no administrator's now; one made by passkey is.
    let (status, reply) = api.call("GET", "default", "/users", Some(&root), None).await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E005010"), "{reply}");
    let (status, session) = api.login_with("default", &mut key).await;
    assert_eq!(status, 200);
    let (status, _) = api
        .call("GET", "default", "/users", Some(&ust_of(&session)), None)
        .await;
    assert_eq!(status, 200);
    // The password step asks for the passkey, and a TOTP code does not replace it.
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login",
            None,
            Some(json!({"username": "root", "password": "root's passphrase", "totp_code": "123456"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005008"), "{reply}");
}
both!(a_passkey_is_required_of_super_users_at_each_login_where_the_tenant_says_so);

async fn passkey_login_starts_are_bounded_per_address_and_app(backend: Backend) {
    let api = Api::new(backend).await;
    api.app
        .set("default", "login", "max_passkey_starts_per_address", json!(3))
        .await;
    for _ in 0..3 {
        let (status, _) = api.passkey_options("default", json!({})).await;
        assert_eq!(status, 200);
    }
    let (status, reply) = api.passkey_options("default", json!({})).await;
    assert_eq!((status, sub(&reply).as_str()), (429, "E011001"), "{reply}");
    // An app that may not log users in starts no ceremony.
    let mut res = api
        .app
        .client
        .post(api.app.url("/api/v1/t/other/login/passkey/options"))
        .insert_header(("X-Current-App", "Unknown"))
        .send_json(&json!({}))
        .await
        .unwrap();
    let reply = crate::common::json_body(&mut res).await;
    assert_eq!((res.status().as_u16(), sub(&reply).as_str()), (401, "E004001"));
    // Where the missing second factor is not told, nor is a right password of an account without a passkey.
    api.app
        .set("other", "login", "inform_if_totp_missing", json!(false))
        .await;
    let (status, reply) = api
        .passkey_options("other", json!({"username": "carol", "password": "carol's passphrase"}))
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E005001"), "{reply}");
}
both!(passkey_login_starts_are_bounded_per_address_and_app);

async fn two_instances_behave_as_one(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    let mut key = Authenticator::new();
    api.add_passkey("default", &alice, &mut key, "Key").await;
    let (other, _sso) = api.app.second_instance().await;
    // The options from this instance, the answer to the other: the ceremony waits in the shared database.
    let (_, ceremony) = api.passkey_options("default", json!({})).await;
    let credential = key.get(&ceremony["options"]);
    let mut res = api
        .app
        .client
        .post(format!("{other}/api/v1/t/default/login/passkey"))
        .insert_header(("X-Current-App", "CRM"))
        .send_json(&json!({"ceremony": ceremony["ceremony"], "credential": credential}))
        .await
        .unwrap();
    let session = crate::common::json_body(&mut res).await;
    assert_eq!(res.status().as_u16(), 200, "{session}");
    ust_of(&session);
    // And taken there, it is used up here too.
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/login/passkey",
            None,
            Some(json!({"ceremony": ceremony["ceremony"], "credential": key.get(&ceremony["options"])})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (401, "E013002"));
}
both!(two_instances_behave_as_one);

async fn totp_goes_with_a_passkeys_proof_too(backend: Backend) {
    let api = Api::new(backend).await;
    let alice = api.login("default", "alice").await;
    // TOTP on, then a passkey (the password and a code prove the account).
    let (_, enrolment) = api.call("POST", "default", "/users/me/totp", Some(&alice), None).await;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    remember_secret(&secret);
    let clock = api.app.services.sso.clock.clone();
    let code = gatehouse::sso::totp::code_at(&secret, clock.now()).unwrap();
    let (status, _) = api
        .call(
            "POST",
            "default",
            "/users/me/totp/confirm",
            Some(&alice),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(status, 200);
    clock.advance(TimeDelta::seconds(30));
    let code = gatehouse::sso::totp::code_at(&secret, clock.now()).unwrap();
    let mut key = Authenticator::new();
    let proof = json!({"password": "alice's passphrase", "code": code});
    api.register_passkey("default", &alice, &mut key, "Key", proof).await;
    // The login after the password takes either factor.
    let (status, ceremony) = api
        .passkey_options(
            "default",
            json!({"username": "alice", "password": "alice's passphrase"}),
        )
        .await;
    assert_eq!(status, 200, "{ceremony}");
    let (status, session) = api.passkey_login("default", &ceremony, &mut key).await;
    assert_eq!(status, 200, "{session}");
    ust_of(&session);
    // On the pages, the code step offers the passkey too; then TOTP goes with a passkey's proof.
    let mut b = crate::pages::Browser::new(&api.app);
    let step = b.login("alice", "alice's passphrase").await;
    assert_eq!(step.location.as_deref(), Some("/t/default/login/code"));
    let page = b.get("/t/default/login/code").await;
    assert!(
        page.html.contains("Enter your code") && page.html.contains("Use a passkey"),
        "{}",
        page.html
    );
    let csrf = page.csrf();
    let options = b
        .send(
            "POST",
            "/t/default/login/passkey/options?step=second",
            &[("csrf", &csrf)],
        )
        .await;
    let answer = answer_to(&mut key, &options);
    let signed_in = b
        .send(
            "POST",
            "/t/default/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/t/default/account"),
        "{}",
        signed_in.html
    );
    let account = b.get("/t/default/account").await;
    assert_eq!(account.status, 200, "{}", account.html);
    assert!(account.html.contains("leave empty to use a passkey instead"));
    let csrf = account.csrf();
    let options = b
        .send("POST", "/t/default/account/passkeys/proof-options", &[("csrf", &csrf)])
        .await;
    let answer = answer_to(&mut key, &options);
    let off = b
        .send(
            "POST",
            "/t/default/account/totp/disable",
            &[
                ("csrf", &csrf),
                ("password", "alice's passphrase"),
                ("code", ""),
                ("credential", &answer),
            ],
        )
        .await;
    assert_eq!(
        off.location.as_deref(),
        Some("/t/default/account?done=totp-off"),
        "{}",
        off.html
    );
}
both!(totp_goes_with_a_passkeys_proof_too);

async fn many_passkey_logins_start_at_once_from_one_address(backend: Backend) {
    let api = Api::new(backend).await;
    // The first requests of a window race to make its counter: none of them may fail for it.
    let starts = (0..16).map(|_| api.passkey_options("default", json!({})));
    let answers = futures_util::future::join_all(starts).await;
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{answers:?}");
}
both!(many_passkey_logins_start_at_once_from_one_address);
