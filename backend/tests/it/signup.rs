//! Sign-up, confirmation, approval notices and password reset, end to end over a real SMTP server, and their
//! rules, codes and limits on both surfaces.

use crate::both;
use crate::common::{Backend, SmtpServer, TestApp, free_port, readable, token_in};
use chrono::TimeDelta;
use gatehouse::config::{Config, MailTransport, SmtpSecurity};
use gatehouse::crypto::password::Password;
use gatehouse::sso::NewUser;
use gatehouse::store::{outbox, password_resets};
use serde_json::{Value, json};

const APP: &str = "CRM";

fn sub(v: &Value) -> String {
    v["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

struct Flow {
    app: TestApp,
}

impl Flow {
    async fn new(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Flow {
        let app = TestApp::spawn_with(backend, adjust).await;
        let ctx = app.services.ctx("default").await;
        let root = NewUser {
            username: "root".into(),
            password: Some(Password::new("root's passphrase")),
            email: Some("root@example.com".into()),
            auto_approve: true,
            is_super_user: true,
            ..NewUser::default()
        };
        app.services
            .sso
            .create_user(&app.services.sso.cli_admin(ctx.tenant.clone()), root)
            .await
            .unwrap();
        Flow { app }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, None, body).await
    }

    async fn send(&self, method: &str, path: &str, ust: Option<&str>, body: Value) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method.parse().unwrap(), self.app.url(path))
            .insert_header(("X-Current-App", APP));
        if let Some(u) = ust {
            r = r.insert_header(("Authorization", format!("Bearer {u}")));
        }
        let mut res = r.send_json(&body).await.unwrap();
        let status = res.status().as_u16();
        let bytes = res.body().await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn login(&self, name: &str, password: &str) -> (u16, Value) {
        self.post(
            "/api/v1/t/default/login",
            json!({"username": name, "password": password}),
        )
        .await
    }

    /// Messages queued so far (newest last).
    async fn queued(&self) -> Vec<outbox::OutboxRow> {
        crate::common::outbox_rows(&self.app.services.sso).await
    }

    async fn last_to(&self, to: &str, kind: &str) -> outbox::OutboxRow {
        self.queued()
            .await
            .into_iter()
            .rev()
            .find(|m| m.recipient == to && m.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} to {to}"))
    }
}

fn smtp(port: u16) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.mail.transport = MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = port;
        c.mail.smtp_security = SmtpSecurity::None;
        c.mail.smtp_timeout_seconds = 2;
        c.server.public_url = "https://sso.example.com/".into();
    }
}

async fn sign_up_confirm_approve_and_log_in_over_smtp(backend: Backend) {
    let port = free_port();
    let server = SmtpServer::start(port);
    let f = Flow::new(backend, smtp(port)).await;
    let (status, reply) = f
        .post(
            "/api/v1/t/default/signup",
            json!({"username": "alice", "password": "alice's passphrase", "email": "alice@example.com"}),
        )
        .await;
    assert_eq!(
        (status, reply.clone()),
        (202, json!({"status": "awaiting_confirmation"})),
        "no token in the reply by default"
    );
    let sso = &f.app.services.sso;
    assert_eq!(sso.deliver_due().await.unwrap().sent, 1);
    let mail = readable(&server.messages()[0]);
    assert!(
        mail.contains("To: alice@example.com") && mail.contains("Confirm your e-mail address for Default"),
        "{mail}"
    );
    assert!(
        mail.contains("https://sso.example.com/t/default/signup/confirm?token="),
        "the link uses server.public_url"
    );
    let token = token_in(&mail, "/signup/confirm?token=");

    let (status, reply) = f.login("alice", "alice's passphrase").await;
    assert_eq!((status, sub(&reply)), (401, "E005004".to_owned()), "not approved yet");
    let (status, reply) = f
        .post("/api/v1/t/default/signup/confirm", json!({"confirm_token": token}))
        .await;
    assert_eq!((status, reply), (200, json!({"approval": "pending"})));
    assert_eq!(sso.deliver_due().await.unwrap().sent, 1);
    let notice = readable(
        &server
            .messages()
            .into_iter()
            .find(|m| m.contains("To: root@example.com"))
            .expect("the approver is told"),
    );
    assert!(notice.contains("alice") && notice.contains("waits for approval"));

    let (_, root) = f.login("root", "root's passphrase").await;
    let root = root["ust"].as_str().unwrap().to_owned();
    let alice_id = f.app.find("default", "alice").await.user_id;
    let (status, _) = f
        .send(
            "POST",
            &format!("/api/v1/t/default/users/{alice_id}/approve"),
            Some(&root),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(sso.deliver_due().await.unwrap().sent, 1);
    assert!(
        server
            .messages()
            .iter()
            .any(|m| m.contains("To: alice@example.com") && m.contains("Welcome to Default"))
    );
    let (status, _) = f.login("alice", "alice's passphrase").await;
    assert_eq!(status, 200, "confirmed and approved: alice logs in");
    let pk = f.app.services.ctx("default").await.tenant.pk;
    let ops: Vec<String> = sso
        .store
        .tenant(pk, move |conn| gatehouse::store::audit::recent(conn, pk, 50))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.op)
        .collect();
    for op in [
        "user.signup",
        "user.confirm_signup",
        "user.signup_approval_requested",
        "user.approve_user",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} audited: {ops:?}");
    }
}
both!(sign_up_confirm_approve_and_log_in_over_smtp);

async fn reset_a_forgotten_password_over_smtp(backend: Backend) {
    let port = free_port();
    let server = SmtpServer::start(port);
    let f = Flow::new(backend, smtp(port)).await;
    let (_, old) = f.login("root", "root's passphrase").await;
    let old = old["ust"].as_str().unwrap().to_owned();
    let (status, _) = f
        .post("/api/v1/t/default/password-reset", json!({"credential": "root"}))
        .await;
    assert_eq!(status, 202);
    f.app.services.sso.deliver_due().await.unwrap();
    let mail = readable(&server.messages()[0]);
    assert!(mail.contains("To: root@example.com") && mail.contains("Reset your password for Default"));
    let token = token_in(&mail, "/password-reset/complete?token=");

    let (status, reply) = f
        .post("/api/v1/t/default/password-reset/access", json!({"token": token}))
        .await;
    assert_eq!(status, 200);
    let key = reply["reset_key"].as_str().unwrap().to_owned();
    crate::common::remember_secret(&key);
    let (status, reply) = f
        .post("/api/v1/t/default/password-reset/access", json!({"token": token}))
        .await;
    assert_eq!((status, sub(&reply)), (403, "E010001".to_owned()), "accessed once");
    let (status, reply) = f
        .post(
            "/api/v1/t/default/password-reset/complete",
            json!({"token": token, "reset_key": "wrong", "password": "root's new passphrase"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E010001".to_owned()));
    let (status, reply) = f
        .post(
            "/api/v1/t/default/password-reset/complete",
            json!({"token": token, "reset_key": key, "password": "short"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E003002".to_owned()));
    let (status, _) = f
        .post(
            "/api/v1/t/default/password-reset/complete",
            json!({"token": token, "reset_key": key, "password": "root's new passphrase"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = f.send("GET", "/api/v1/t/default/session", Some(&old), json!({})).await;
    assert_eq!(status, 401, "old sessions are dead");
    assert_eq!(f.login("root", "root's passphrase").await.0, 401);
    assert_eq!(f.login("root", "root's new passphrase").await.0, 200);
    let (status, reply) = f
        .post(
            "/api/v1/t/default/password-reset/complete",
            json!({"token": token, "reset_key": key, "password": "root's third passphrase"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E010001".to_owned()), "completed once");
}
both!(reset_a_forgotten_password_over_smtp);

async fn a_sign_up_during_an_smtp_outage_is_delivered_later(backend: Backend) {
    let port = free_port();
    let f = Flow::new(backend, smtp(port)).await;
    let (status, _) = f
        .post(
            "/api/v1/t/default/signup",
            json!({"username": "bob", "password": "bob's passphrase", "email": "bob@example.com"}),
        )
        .await;
    assert_eq!(status, 202, "the sign-up succeeds while the mail server is down");
    let sso = &f.app.services.sso;
    assert_eq!(sso.deliver_due().await.unwrap().retried, 1);
    let server = SmtpServer::start(port);
    sso.clock.advance(TimeDelta::seconds(6));
    assert_eq!(sso.deliver_due().await.unwrap().sent, 1);
    assert!(server.messages()[0].contains("bob@example.com"));
}
both!(a_sign_up_during_an_smtp_outage_is_delivered_later);

async fn sign_up_rules_and_their_inform_flags(backend: Backend) {
    // Every attempt counts towards the abuse limits; this test makes many from one address.
    let f = Flow::new(backend, |c| {
        c.signup.max_requests_per_address = 1000;
        c.signup.max_requests_per_recipient = 1000;
    })
    .await;
    f.post(
        "/api/v1/t/default/signup",
        json!({"username": "taken", "password": "a long passphrase", "email": "taken@example.com"}),
    )
    .await;
    let long = "u".repeat(129);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"username": "taken", "password": "a long passphrase", "email": "new@example.com"}),
            409,
            "E001002",
        ),
        (
            json!({"username": "fresh", "password": "a long passphrase", "email": "taken@example.com"}),
            409,
            "E002002",
        ),
        (
            json!({"username": long, "password": "a long passphrase", "email": "a@example.com"}),
            422,
            "E001003",
        ),
        (
            json!({"username": "has space", "password": "a long passphrase", "email": "a@example.com"}),
            422,
            "E001004",
        ),
        (
            json!({"username": "myAdmin", "password": "a long passphrase", "email": "a@example.com"}),
            422,
            "E001001",
        ),
        (
            json!({"username": "fresh", "password": "short", "email": "a@example.com"}),
            422,
            "E003002",
        ),
        (
            json!({"username": "fresh", "password": "password123", "email": "a@example.com"}),
            422,
            "E003001",
        ),
        (
            json!({"username": "fresh", "password": "a long passphrase"}),
            422,
            "E002005",
        ),
        (
            json!({"username": "fresh", "password": "a long passphrase", "email": format!("{}@example.com", "e".repeat(130))}),
            422,
            "E002003",
        ),
        (
            json!({"username": "fresh", "password": "a long passphrase", "email": "a b@example.com"}),
            422,
            "E002004",
        ),
        (
            json!({"username": "fresh", "password": "a long passphrase", "email": "root@system.example"}),
            422,
            "E002001",
        ),
        (
            json!({"username": "fresh", "password": "a long passphrase", "email": "not-an-address"}),
            422,
            "E002001",
        ),
    ];
    // The inform flags default to off: every reason is hidden.
    for (body, _, _) in &cases {
        let (status, reply) = f.post("/api/v1/t/default/signup", body.clone()).await;
        let code = sub(&reply);
        // The password policy's own flag (password.inform_if_invalid) is on by default.
        if code.starts_with("E003") {
            continue;
        }
        assert_eq!((status, code), (403, "E005001".to_owned()), "{body}");
    }
    let root = f.login("root", "root's passphrase").await.1["ust"]
        .as_str()
        .unwrap()
        .to_owned();
    let flags = json!({"signup": {"inform_if_user_exists": true, "inform_if_user_invalid": true, "inform_if_email_exists": true, "inform_if_email_invalid": true}});
    let (status, _) = f.send("PATCH", "/api/v1/t/default/settings", Some(&root), flags).await;
    assert_eq!(status, 200);
    for (body, status, code) in cases {
        let (s, reply) = f.post("/api/v1/t/default/signup", body.clone()).await;
        assert_eq!((s, sub(&reply)), (status, code.to_owned()), "{body}");
    }
    // Nothing was created by any refused sign-up.
    assert!(
        crate::common::stored_user(
            &f.app.services.sso,
            &f.app.services.ctx("default").await,
            &gatehouse::sso::UserRef::Username("fresh".into())
        )
        .await
        .is_err()
    );

    // Apps: sign-up only through apps that allow it, and only for such apps.
    let apps = json!({"apps": {"all": "CRM,ERP", "signup_allowed": "CRM"}});
    f.send("PATCH", "/api/v1/t/default/settings", Some(&root), apps).await;
    let ok = json!({"username": "fresh", "password": "a long passphrase", "email": "fresh@example.com"});
    let mut with_list = ok.clone();
    with_list["app_list"] = json!(["CRM", "ERP"]);
    let (status, reply) = f.post("/api/v1/t/default/signup", with_list).await;
    assert_eq!((status, sub(&reply)), (422, "E004002".to_owned()));
    let mut res = f
        .app
        .client
        .post(f.app.url("/api/v1/t/default/signup"))
        .insert_header(("X-Current-App", "ERP"))
        .send_json(&ok)
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(sub(&body), "E004002");
    assert_eq!(f.post("/api/v1/t/default/signup", ok).await.0, 202);
}
both!(sign_up_rules_and_their_inform_flags);

async fn confirmation_tokens_expire_and_work_once(backend: Backend) {
    let f = Flow::new(backend, |c| c.signup.always_return_confirm_token = true).await;
    let (status, reply) = f
        .post(
            "/api/v1/t/default/signup",
            json!({"username": "cy", "password": "cy's passphrase", "email": "cy@example.com"}),
        )
        .await;
    assert_eq!(status, 202);
    let token = reply["confirm_token"]
        .as_str()
        .expect("returned when always_return_confirm_token")
        .to_owned();
    assert_eq!(
        token,
        token_in(&f.last_to("cy@example.com", "signup_confirm").await.body_text, "token=")
    );
    let (status, reply) = f
        .post("/api/v1/t/default/signup/confirm", json!({"confirm_token": "unknown"}))
        .await;
    assert_eq!((status, sub(&reply)), (404, "E005006".to_owned()));
    let (status, _) = f
        .post("/api/v1/t/default/signup/confirm", json!({"confirm_token": token}))
        .await;
    assert_eq!(status, 200);
    let (status, reply) = f
        .post("/api/v1/t/default/signup/confirm", json!({"confirm_token": token}))
        .await;
    assert_eq!((status, sub(&reply)), (409, "E005007".to_owned()), "reused");
    // Expired: three days by default.
    let (_, reply) = f
        .post(
            "/api/v1/t/default/signup",
            json!({"username": "di", "password": "di's passphrase", "email": "di@example.com"}),
        )
        .await;
    let late = reply["confirm_token"].as_str().unwrap().to_owned();
    f.app.services.sso.clock.advance(TimeDelta::minutes(4321));
    let (status, reply) = f
        .post("/api/v1/t/default/signup/confirm", json!({"confirm_token": late}))
        .await;
    assert_eq!((status, sub(&reply)), (404, "E005006".to_owned()));
}
both!(confirmation_tokens_expire_and_work_once);

async fn resets_leave_no_trace_for_unknown_users_and_keys_expire(backend: Backend) {
    let f = Flow::new(backend, |_| {}).await;
    let pk = f.app.services.ctx("default").await.tenant.pk;
    let counters = f.app.services.sso.hasher.counters();
    let hashes = counters.hashes.load(std::sync::atomic::Ordering::SeqCst)
        + counters.verifications.load(std::sync::atomic::Ordering::SeqCst);
    let (status, _) = f
        .post("/api/v1/t/default/password-reset", json!({"credential": "nobody"}))
        .await;
    assert_eq!(status, 202, "the same answer for an unknown user");
    assert!(f.queued().await.is_empty(), "no message");
    let resets = f
        .app
        .services
        .sso
        .store
        .tenant(pk, move |conn| password_resets::count_for_tenant(conn, pk))
        .await
        .unwrap();
    assert_eq!(resets, 0, "no token");
    let (status, _) = f
        .post("/api/v1/t/default/password-reset", json!({"credential": "root"}))
        .await;
    assert_eq!(status, 202);
    let after = counters.hashes.load(std::sync::atomic::Ordering::SeqCst)
        + counters.verifications.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        after, hashes,
        "neither request hashes anything: both cost the same work"
    );
    // By e-mail only when the tenant says so.
    f.post(
        "/api/v1/t/default/password-reset",
        json!({"credential": "root@example.com"}),
    )
    .await;
    assert_eq!(f.queued().await.len(), 1, "user_search_by = username by default");

    // The reset key lasts password_change_session_duration (1800 s).
    let token = token_in(
        &f.last_to("root@example.com", "password_reset").await.body_text,
        "token=",
    );
    let key = f
        .post("/api/v1/t/default/password-reset/access", json!({"token": token}))
        .await
        .1["reset_key"]
        .as_str()
        .unwrap()
        .to_owned();
    f.app.services.sso.clock.advance(TimeDelta::seconds(1801));
    let (status, reply) = f
        .post(
            "/api/v1/t/default/password-reset/complete",
            json!({"token": token, "reset_key": key, "password": "root's new passphrase"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E010001".to_owned()));
}
both!(resets_leave_no_trace_for_unknown_users_and_keys_expire);

async fn an_email_change_is_confirmed_from_the_new_address(backend: Backend) {
    let f = Flow::new(backend, |_| {}).await;
    let root = f.login("root", "root's passphrase").await.1["ust"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = f
        .send(
            "PATCH",
            "/api/v1/t/default/users/me",
            Some(&root),
            json!({"email": "new@example.com"}),
        )
        .await;
    assert_eq!(status, 200);
    let confirm = f.last_to("new@example.com", "email_change").await;
    // Until confirmed, resets go to the old address.
    f.post("/api/v1/t/default/password-reset", json!({"credential": "root"}))
        .await;
    f.last_to("root@example.com", "password_reset").await;
    let token = token_in(&confirm.body_text, "/email/confirm?token=");
    assert_eq!(
        f.post("/api/v1/t/default/email/confirm", json!({"token": token}))
            .await
            .0,
        204
    );
    f.post("/api/v1/t/default/password-reset", json!({"credential": "root"}))
        .await;
    f.last_to("new@example.com", "password_reset").await;
}
both!(an_email_change_is_confirmed_from_the_new_address);

/// A user's change of their own address waits for the new address and tells the old one; a super-user's
/// change of another's applies at once (and withdraws the user's unconfirmed change), with no confirmation.
async fn an_administrators_email_change_applies_at_once_and_a_users_own_is_told_to_the_old_address(backend: Backend) {
    let f = Flow::new(backend, |_| {}).await;
    let sso = &f.app.services.sso;
    let ctx = f.app.services.ctx("default").await;
    let alice = NewUser {
        username: "alice".into(),
        password: Some(Password::new("alice's passphrase")),
        email: Some("alice@example.com".into()),
        auto_approve: true,
        ..NewUser::default()
    };
    let alice_id = sso
        .create_user(&sso.cli_admin(ctx.tenant.clone()), alice)
        .await
        .unwrap()
        .user_id;
    let ust = |reply: (u16, Value)| reply.1["ust"].as_str().unwrap().to_owned();
    let root = ust(f.login("root", "root's passphrase").await);
    let alice = ust(f.login("alice", "alice's passphrase").await);

    let (status, _) = f
        .send(
            "PATCH",
            "/api/v1/t/default/users/me",
            Some(&alice),
            json!({"email": "alice.new@example.com"}),
        )
        .await;
    assert_eq!(status, 200);
    let pending = f.last_to("alice.new@example.com", "email_change").await;
    let notice = f.last_to("alice@example.com", "email_change_notice").await;
    assert!(
        notice.body_text.contains("alice") && !notice.body_text.contains("alice.new@example.com"),
        "the old address is told, without the new one: {}",
        notice.body_text
    );
    assert_eq!(
        f.app
            .find("default", "alice")
            .await
            .email
            .as_deref()
            .map(|e| sso.open_email(e))
            .as_deref(),
        Some("alice@example.com")
    );

    let (status, reply) = f
        .send(
            "PATCH",
            &format!("/api/v1/t/default/users/{alice_id}"),
            Some(&root),
            json!({"email": "alice@corp.example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["email"], "alice@corp.example.com", "applied at once");
    let row = f.app.find("default", "alice").await;
    assert!(row.email_confirmed);
    assert!(
        !f.queued().await.iter().any(|m| m.recipient == "alice@corp.example.com"),
        "no confirmation asked of an administrator's change"
    );
    // The user's own unconfirmed change can no longer undo the administrator's.
    let token = token_in(&pending.body_text, "/email/confirm?token=");
    let (status, _) = f.post("/api/v1/t/default/email/confirm", json!({"token": token})).await;
    assert_ne!(status, 204);
    f.post("/api/v1/t/default/password-reset", json!({"credential": "alice"}))
        .await;
    f.last_to("alice@corp.example.com", "password_reset").await;
    // An address another user has is refused.
    let (status, reply) = f
        .send(
            "PATCH",
            &format!("/api/v1/t/default/users/{alice_id}"),
            Some(&root),
            json!({"email": "root@example.com"}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (409, "E002002".to_owned()));
}
both!(an_administrators_email_change_applies_at_once_and_a_users_own_is_told_to_the_old_address);

async fn floods_are_throttled(backend: Backend) {
    let f = Flow::new(backend, |c| {
        c.signup.max_requests_per_address = 3;
        c.password_reset.max_requests_per_recipient = 2;
    })
    .await;
    for i in 0..3 {
        let body =
            json!({"username": format!("u{i}"), "password": "a long passphrase", "email": format!("u{i}@example.com")});
        assert_eq!(f.post("/api/v1/t/default/signup", body).await.0, 202);
    }
    let mut res = f
        .app
        .client
        .post(f.app.url("/api/v1/t/default/signup"))
        .insert_header(("X-Current-App", APP))
        .send_json(&json!({"username": "u9", "password": "a long passphrase", "email": "u9@example.com"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry: i64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "Retry-After {retry}");
    let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(sub(&body), "E011001");
    // Per recipient: the third reset for the same credential is refused.
    for _ in 0..2 {
        assert_eq!(
            f.post("/api/v1/t/default/password-reset", json!({"credential": "root"}))
                .await
                .0,
            202
        );
    }
    let (status, reply) = f
        .post("/api/v1/t/default/password-reset", json!({"credential": "ROOT"}))
        .await;
    assert_eq!((status, sub(&reply)), (429, "E011001".to_owned()));
    // The window passes.
    f.app.services.sso.clock.advance(TimeDelta::minutes(61));
    assert_eq!(
        f.post("/api/v1/t/default/password-reset", json!({"credential": "root"}))
            .await
            .0,
        202
    );
}
both!(floods_are_throttled);

async fn the_zato_surface_for_sign_up_and_reset(backend: Backend) {
    let f = Flow::new(backend, |c| c.signup.is_approval_needed = false).await;
    let zato = |method: &'static str, path: &'static str, body: Value| {
        let f = &f;
        async move {
            let mut body = body;
            body["current_app"] = json!(APP);
            let mut res = f
                .app
                .client
                .request(method.parse().unwrap(), f.app.url(&format!("/zato/sso{path}")))
                .send_body(body.to_string())
                .await
                .unwrap();
            let status = res.status().as_u16();
            (
                status,
                serde_json::from_slice::<Value>(&res.body().await.unwrap()).unwrap(),
            )
        }
    };
    let (status, reply) = zato(
        "POST",
        "/user/signup",
        json!({"username": "zoe", "password": "zoe's passphrase", "email": "zoe@example.com", "app_list": ["CRM"]}),
    )
    .await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("ok")));
    assert!(reply.get("confirm_token").is_none());
    let token = token_in(
        &f.last_to("zoe@example.com", "signup_confirm").await.body_text,
        "token=",
    );
    let (status, reply) = zato("PATCH", "/user/signup", json!({"confirm_token": "nope"})).await;
    assert_eq!(
        (status, sub(&reply)),
        (403, "E005006".to_owned()),
        "errors are reported, not swallowed"
    );
    let (status, reply) = zato("PATCH", "/user/signup", json!({"confirm_token": token})).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("ok")));
    let (status, reply) = zato("POST", "/user/signup/confirm", json!({"confirm_token": token})).await;
    assert_eq!((status, sub(&reply)), (403, "E005007".to_owned()));
    assert_eq!(
        f.login("zoe", "zoe's passphrase").await.0,
        200,
        "approval not needed here"
    );

    let (status, reply) = zato("POST", "/password/reset", json!({"credential": "zoe"})).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("ok")));
    let (_, reply) = zato("POST", "/password/reset", json!({"credential": "ghost"})).await;
    assert_eq!(reply["status"], "ok");
    let token = token_in(
        &f.last_to("zoe@example.com", "password_reset").await.body_text,
        "token=",
    );
    let (_, reply) = zato("PATCH", "/password/reset", json!({"token": token})).await;
    let key = reply["reset_key"].as_str().unwrap().to_owned();
    let (status, reply) = zato("PATCH", "/password/reset", json!({"token": token})).await;
    assert_eq!((status, sub(&reply)), (403, "E010001".to_owned()));
    let (status, reply) = zato(
        "DELETE",
        "/password/reset",
        json!({"token": token, "reset_key": key, "password": "zoe's new passphrase"}),
    )
    .await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("ok")));
    assert_eq!(f.login("zoe", "zoe's new passphrase").await.0, 200);
    let (status, reply) = zato("POST", "/user/signup", json!({"username": "zed"})).await;
    assert_eq!((status, reply["details"].as_str()), (400, Some("Bad request")));
}
both!(the_zato_surface_for_sign_up_and_reset);

async fn tenants_can_word_their_own_messages(backend: Backend) {
    let f = Flow::new(backend, |_| {}).await;
    let root = f.login("root", "root's passphrase").await.1["ust"]
        .as_str()
        .unwrap()
        .to_owned();
    let custom = json!({"mail_templates": {"welcome": {"subject": "Hi {username} from {tenant}", "html": "<p>Dear <b>{username}</b></p>"}}});
    let (status, reply) = f.send("PATCH", "/api/v1/t/default/settings", Some(&root), custom).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = f
        .send(
            "PATCH",
            "/api/v1/t/default/settings",
            Some(&root),
            json!({"mail_templates": {"nonsense": {"subject": "x"}}}),
        )
        .await;
    assert_eq!((status, sub(&reply)), (422, "E008002".to_owned()), "only known kinds");
    let (_, created) = f
        .send(
            "POST",
            "/api/v1/t/default/users",
            Some(&root),
            json!({"username": "<eve>", "email": "eve@example.com"}),
        )
        .await;
    let id = created["user_id"].as_str().unwrap().to_owned();
    f.send(
        "POST",
        &format!("/api/v1/t/default/users/{id}/approve"),
        Some(&root),
        json!({}),
    )
    .await;
    let welcome = f.last_to("eve@example.com", "welcome").await;
    assert_eq!(welcome.subject, "Hi <eve> from Default");
    assert_eq!(
        welcome.body_html, "<p>Dear <b>&lt;eve&gt;</b></p>",
        "values are escaped in HTML"
    );
    assert!(
        welcome.body_text.contains("has been approved"),
        "the built-in text where none is given"
    );
    // Rejecting sends the rejection notice.
    f.send(
        "POST",
        &format!("/api/v1/t/default/users/{id}/reject"),
        Some(&root),
        json!({}),
    )
    .await;
    let notice = f.last_to("eve@example.com", "rejected").await;
    assert!(notice.body_text.contains("was not approved") && notice.body_html.contains("<p>"));
}
both!(tenants_can_word_their_own_messages);

/// A reset request does the same work whoever its credential names: one waiting request (the credential sealed)
/// and nothing else, until the outbox worker resolves it and queues the link for a real user only.
async fn a_reset_request_stores_the_same_for_known_and_unknown_users(backend: Backend) {
    use gatehouse::store::reset_requests;
    let f = Flow::new(backend, |_| {}).await;
    let sso = &f.app.services.sso;
    let ctx = f.app.services.ctx("default").await;
    let pk = ctx.tenant.pk;
    let waiting = || async move {
        sso.store
            .tenant(pk, move |conn| reset_requests::oldest(conn, pk, 100))
            .await
            .unwrap()
    };
    let resets = || async move {
        sso.store
            .tenant(pk, move |conn| password_resets::count_for_tenant(conn, pk))
            .await
            .unwrap()
    };
    for credential in ["root", "nobody"] {
        let (status, _) = f
            .post("/api/v1/t/default/password-reset", json!({"credential": credential}))
            .await;
        assert_eq!(status, 202);
    }
    let rows = waiting().await;
    assert_eq!(rows.len(), 2, "one waiting request each");
    assert!(
        rows.iter()
            .all(|r| !r.credential_sealed.contains("root") && !r.credential_sealed.contains("nobody")),
        "sealed at rest"
    );
    assert_eq!(resets().await, 0, "no token made while answering");
    assert!(
        sso.all_mail().await.unwrap().is_empty(),
        "no message queued while answering"
    );

    assert_eq!(sso.resolve_reset_requests().await.unwrap(), 2);
    assert!(waiting().await.is_empty());
    assert_eq!(resets().await, 1, "a token for the real user only");
    let mail = sso.all_mail().await.unwrap();
    assert_eq!(
        mail.iter()
            .map(|m| (m.recipient.as_str(), m.kind.as_str()))
            .collect::<Vec<_>>(),
        [("root@example.com", "password_reset")]
    );
    assert_eq!(sso.resolve_reset_requests().await.unwrap(), 0, "each request once");
}
both!(a_reset_request_stores_the_same_for_known_and_unknown_users);

/// A sign-up with a taken username or address hashes its password as a new one does (and throws it away), so
/// the answer's time does not tell who exists.
async fn a_sign_up_for_a_taken_name_or_address_costs_a_hash(backend: Backend) {
    use std::sync::atomic::Ordering;
    let f = Flow::new(backend, |_| {}).await;
    let hashes = || f.app.services.sso.hasher.counters().hashes.load(Ordering::Relaxed);
    for (body, what) in [
        (
            json!({"username": "root", "password": "a fine passphrase", "email": "x@example.com"}),
            "taken name",
        ),
        (
            json!({"username": "rita", "password": "a fine passphrase", "email": "root@example.com"}),
            "taken address",
        ),
        (
            json!({"username": "sam", "password": "a fine passphrase", "email": "sam@example.com"}),
            "new",
        ),
    ] {
        let before = hashes();
        f.post("/api/v1/t/default/signup", body).await;
        assert_eq!(hashes() - before, 1, "{what}");
    }
    // The refused attempts are audited with their reason, and the address given hears that no account was made
    // (the owner of a taken one learns that someone tried).
    let sso = f.app.services.sso.clone();
    let pk = sso.resolve_tenant("default").await.unwrap().pk;
    let audited: Vec<(String, Option<String>)> = sso
        .store
        .tenant(pk, move |conn| {
            use diesel::prelude::*;
            use gatehouse::store::schema::audit_log;
            Ok(audit_log::table
                .filter(audit_log::tenant_id.eq(pk))
                .filter(audit_log::op.eq("user.signup"))
                .order(audit_log::id.asc())
                .select((audit_log::result, audit_log::sub_status))
                .load(conn)?)
        })
        .await
        .unwrap();
    let codes: Vec<Option<&str>> = audited.iter().map(|(_, code)| code.as_deref()).collect();
    assert_eq!(codes, vec![Some("E001002"), Some("E002002"), None], "{audited:?}");
    let notices: Vec<String> = f
        .queued()
        .await
        .into_iter()
        .filter(|m| m.kind == "signup_attempt")
        .map(|m| m.recipient)
        .collect();
    assert_eq!(notices, vec!["x@example.com".to_owned(), "root@example.com".to_owned()]);
    // No notice to an address that could not have signed up (malformed, or on the reject list).
    for email in ["not an address", "someone@admin.example"] {
        let body = json!({"username": "root", "password": "a fine passphrase", "email": email});
        f.post("/api/v1/t/default/signup", body).await;
    }
    let notices = f
        .queued()
        .await
        .into_iter()
        .filter(|m| m.kind == "signup_attempt")
        .count();
    assert_eq!(notices, 2);
}
both!(a_sign_up_for_a_taken_name_or_address_costs_a_hash);

async fn the_operators_tenant_takes_no_sign_ups(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut res = app
        .client
        .post(app.url("/api/v1/t/system/signup"))
        .insert_header(("X-Current-App", "CRM"))
        .send_json(&json!({"username": "mallory", "password": "a long passphrase 1", "email": "m@example.com"}))
        .await
        .unwrap();
    let reply = crate::common::json_body(&mut res).await;
    assert_eq!(
        (res.status().as_u16(), reply["sub_status"][0].as_str()),
        (422, Some("E004002")),
        "{reply}"
    );
    let mut b = crate::pages::Browser::new(&app);
    let login = b.get("/t/system/login").await;
    assert!(!login.html.contains("Create an account"), "{}", login.html);
    let form = b.get("/t/system/signup").await;
    assert_eq!(form.status, 404);
    assert!(form.html.contains("No sign-up here"));
    let posted = b
        .send(
            "POST",
            "/t/system/signup",
            &[
                ("csrf", &login.csrf()),
                ("username", "mallory"),
                ("password", "a long passphrase 1"),
            ],
        )
        .await;
    assert!(posted.status >= 400, "{}", posted.status);
    // Other tenants keep theirs.
    assert!(b.get("/t/default/login").await.html.contains("Create an account"));
}
both!(the_operators_tenant_takes_no_sign_ups);
