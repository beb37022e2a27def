//! Security notices, read from a real SMTP server: every change to an account that its owner should hear of is
//! told on every surface (native, Zato, CLI, self-service, links), once, to the right address, saying when, by
//! whom and from where and what to do if it was not them; what changes nothing of the kind sends nothing.

use crate::api::{Api, sub};
use crate::authenticator::Authenticator;
use crate::both;
use crate::common::{Backend, SmtpServer, TestApp, free_port, readable, remember_secret, token_in};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::domain::UserRef;
use gatehouse::sso::NewUser;
use serde_json::{Value, json};

const PASSWORD_CHANGED: &str = "Subject: Your password for Default was changed";
const LOCKED: &str = "Subject: Your account at Default was locked";
const AUTO_LOCKED: &str = "Subject: Your account at Default was locked after failed logins";
const TWO_FACTOR_ON: &str = "Subject: Two-step verification for Default was set up";
const TWO_FACTOR_OFF: &str = "Subject: Two-step verification for Default was turned off";
const PASSKEY_ADDED: &str = "Subject: A passkey was added to your account at Default";
const PASSKEY_REMOVED: &str = "Subject: A passkey was removed from your account at Default";
const EMAIL_CHANGED: &str = "Subject: The e-mail address of your account at Default was changed";
/// The words every notice but the e-mail change ends with: where to choose a new password.
const RESET_PAGE: &str = "/t/default/password-reset";

/// The API of an instance that mails through a real SMTP server.
struct Inbox {
    api: Api,
    server: SmtpServer,
}

impl Inbox {
    async fn new(backend: Backend) -> Inbox {
        let port = free_port();
        let server = SmtpServer::start(port);
        let app = TestApp::spawn_with(backend, move |c| {
            c.mail.transport = gatehouse::config::MailTransport::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = port;
            c.mail.smtp_security = gatehouse::config::SmtpSecurity::None;
            c.mail.smtp_timeout_seconds = 2;
        })
        .await;
        let api = Api { app };
        api.user("default", "root", "root's passphrase", true).await;
        Inbox { api, server }
    }

    /// A user whose password is "<name>'s passphrase" and address <name>@example.com; their id.
    async fn person(&self, name: &str, totp: bool) -> String {
        let ctx = self.api.app.services.ctx("default").await;
        let new = NewUser {
            username: name.into(),
            password: Some(Password::new(format!("{name}'s passphrase"))),
            email: Some(format!("{name}@example.com")),
            auto_approve: true,
            totp_key: totp.then(|| "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned()),
            totp_enabled: Some(totp),
            ..NewUser::default()
        };
        let sso = &self.api.app.services.sso;
        sso.create_user(&sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap()
            .user_id
    }

    /// Every message received for `to` so far, readable, after the outbox is delivered.
    async fn mail_to(&self, to: &str) -> Vec<String> {
        let sso = &self.api.app.services.sso;
        while sso.deliver_due().await.unwrap().sent > 0 {}
        let header = format!("To: {to}");
        self.server
            .messages()
            .iter()
            .map(|m| readable(m))
            .filter(|m| m.lines().any(|l| l.trim() == header))
            .collect()
    }

    /// The one message with `subject` received for `to`: there must be exactly one.
    async fn the_notice(&self, to: &str, subject: &str, case: &str) -> String {
        let found: Vec<String> = self
            .mail_to(to)
            .await
            .into_iter()
            .filter(|m| m.lines().any(|l| l.trim() == subject))
            .collect();
        assert_eq!(found.len(), 1, "{case}: one notice {subject:?} to {to}, got {found:#?}");
        found.into_iter().next().unwrap()
    }

    /// How many security notices (any of them) `to` received.
    async fn notices_to(&self, to: &str) -> usize {
        let subjects = [
            PASSWORD_CHANGED,
            LOCKED,
            AUTO_LOCKED,
            TWO_FACTOR_ON,
            TWO_FACTOR_OFF,
            PASSKEY_ADDED,
            PASSKEY_REMOVED,
            EMAIL_CHANGED,
        ];
        self.mail_to(to)
            .await
            .iter()
            .filter(|m| m.lines().any(|l| subjects.contains(&l.trim())))
            .count()
    }
}

async fn every_account_change_is_told_on_every_surface(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    let root = api.login("default", "root").await;
    let sso = api.app.services.sso.clone();
    let ctx = api.app.services.ctx("default").await;
    let cli = sso.cli_admin(ctx.tenant.clone());
    // (surface, the notice, who it says acted)
    let cases = [
        ("native lock", LOCKED, "by an administrator"),
        ("native patch is_locked", LOCKED, "by an administrator"),
        ("zato lock", LOCKED, "by an administrator"),
        ("cli lock", LOCKED, "by an administrator"),
        ("native set password", PASSWORD_CHANGED, "by an administrator"),
        ("zato set password", PASSWORD_CHANGED, "by an administrator"),
        ("cli set password", PASSWORD_CHANGED, "by an administrator"),
        ("native 2fa reset", TWO_FACTOR_OFF, "by an administrator"),
        ("cli 2fa reset", TWO_FACTOR_OFF, "by an administrator"),
        ("zato totp rekey", TWO_FACTOR_ON, "by an administrator"),
        ("native patch email", EMAIL_CHANGED, "by an administrator"),
        ("zato patch email", EMAIL_CHANGED, "by an administrator"),
    ];
    for (i, (case, subject, by)) in cases.iter().enumerate() {
        let name = format!("victim{i}");
        let id = inbox.person(&name, case.contains("2fa") || case.contains("totp")).await;
        let target = UserRef::Id(id.clone());
        let native = |method: &'static str, path: String, body: Option<Value>| {
            let root = root.clone();
            async move { api.call(method, "default", &path, Some(&root), body).await }
        };
        let new_password = "a brand new passphrase";
        let (status, reply) = match *case {
            "native lock" => native("POST", format!("/users/{id}/lock"), None).await,
            "native patch is_locked" => native("PATCH", format!("/users/{id}"), Some(json!({"is_locked": true}))).await,
            "zato lock" => {
                api.zato("POST", "/user/lock", json!({"ust": root, "user_id": id}))
                    .await
            }
            "cli lock" => {
                sso.lock_user(&cli, &target).await.unwrap();
                (200, Value::Null)
            }
            "native set password" => {
                let body = json!({"new_password": new_password});
                native("PATCH", format!("/users/{id}/password"), Some(body)).await
            }
            "zato set password" => {
                let body = json!({"ust": root, "user_id": id, "new_password": new_password});
                api.zato("PATCH", "/user/password", body).await
            }
            "cli set password" => {
                sso.set_password(&cli, &target, Password::new(new_password), false, None)
                    .await
                    .unwrap();
                (200, Value::Null)
            }
            "native 2fa reset" => native("POST", format!("/users/{id}/totp/reset"), None).await,
            "cli 2fa reset" => {
                sso.reset_totp(&cli, &target).await.unwrap();
                (200, Value::Null)
            }
            "zato totp rekey" => {
                let body = json!({"ust": root, "user_id": id, "totp_key": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"});
                api.zato("PATCH", "/user/totp", body).await
            }
            "native patch email" => {
                let body = json!({"email": format!("{name}.new@example.com")});
                native("PATCH", format!("/users/{id}"), Some(body)).await
            }
            "zato patch email" => {
                let body = json!({"ust": root, "user_id": id, "email": format!("{name}.new@example.com")});
                api.zato("PATCH", "/user", body).await
            }
            other => unreachable!("{other}"),
        };
        assert!((200..300).contains(&status), "{case}: {status} {reply}");
        // The e-mail change goes to the address the account had; the others to the one it has.
        let to = format!("{name}@example.com");
        let notice = inbox.the_notice(&to, subject, case).await;
        assert!(notice.contains(&format!("Hello {name},")), "{case}: {notice}");
        assert!(notice.contains(by), "{case}: says who: {notice}");
        assert!(
            notice.contains("on 2026-11-28 10:00 UTC"),
            "{case}: says when: {notice}"
        );
        // An administrator's own address and browser are not the user's to know.
        let from = if case.starts_with("cli") {
            "the command line on the server"
        } else {
            "from an administrator's session"
        };
        if *subject != LOCKED {
            assert!(notice.contains(from), "{case}: says from where: {notice}");
        }
        assert!(
            !notice.contains("address 127.0.0.1"),
            "{case}: no administrator's address: {notice}"
        );
        if *subject == EMAIL_CHANGED {
            assert!(notice.contains("tell your administrator at once"), "{case}: {notice}");
            assert_eq!(
                inbox.notices_to(&format!("{name}.new@example.com")).await,
                0,
                "{case}: the new address is not told its own change"
            );
        } else if *subject != LOCKED {
            assert!(notice.contains(RESET_PAGE), "{case}: says what to do: {notice}");
        } else {
            assert!(notice.contains("ask your administrator"), "{case}: {notice}");
        }
        assert!(!notice.contains(new_password), "{case}: no password in a notice");
        assert_eq!(inbox.notices_to(&to).await, 1, "{case}: one notice, no other");
    }
}
both!(every_account_change_is_told_on_every_surface);

async fn a_person_hears_of_what_they_changed_themselves(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    let clock = api.app.services.sso.clock.clone();
    inbox.person("alice", false).await;
    let to = "alice@example.com";
    let alice = api.login("default", "alice").await;

    // A password change from a browser names the browser and the system.
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    let mut res = api
        .app
        .client
        .patch(api.app.url("/api/v1/t/default/users/me/password"))
        .insert_header(("X-Current-App", "CRM"))
        .insert_header(("Authorization", format!("Bearer {alice}")))
        .insert_header(("User-Agent", firefox))
        .send_json(&json!({"old_password": "alice's passphrase", "new_password": "alice's new passphrase"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204, "{:?}", res.body().await);
    let notice = inbox.the_notice(to, PASSWORD_CHANGED, "own password").await;
    assert!(notice.contains("from your account"), "{notice}");
    assert!(
        notice.contains("from the address 127.0.0.1 (Firefox 128 on Linux)"),
        "{notice}"
    );
    assert!(notice.contains(RESET_PAGE), "{notice}");
    assert!(!notice.contains("alice's new passphrase"));

    // Two-step verification on, then off.
    let (_, enrolment) = api.call("POST", "default", "/users/me/totp", Some(&alice), None).await;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    remember_secret(&secret);
    let code = gatehouse::sso::totp::code_at(&secret, clock.now()).unwrap();
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
    let notice = inbox.the_notice(to, TWO_FACTOR_ON, "2fa on").await;
    assert!(notice.contains("from your account") && notice.contains("someone knows your password"));
    assert!(!notice.contains(&secret), "the key stays out of the notice");
    clock.advance(TimeDelta::seconds(30));
    let code = gatehouse::sso::totp::code_at(&secret, clock.now()).unwrap();
    let proof = json!({"password": "alice's new passphrase", "code": code});
    let (status, reply) = api
        .call("DELETE", "default", "/users/me/totp", Some(&alice), Some(proof))
        .await;
    assert_eq!(status, 204, "{reply}");
    let notice = inbox.the_notice(to, TWO_FACTOR_OFF, "2fa off").await;
    assert!(notice.contains("A login now needs your password only"), "{notice}");

    // A passkey added, then removed: each named.
    let mut key = Authenticator::new();
    let proof = json!({"password": "alice's new passphrase"});
    let passkey = api
        .register_passkey("default", &alice, &mut key, "Work laptop", proof)
        .await;
    let notice = inbox.the_notice(to, PASSKEY_ADDED, "passkey added").await;
    assert!(
        notice.contains("a passkey was added to your account at Default from your account"),
        "{notice}"
    );
    assert!(
        notice.contains("The name it was given (by whoever added it): \"Work laptop\""),
        "{notice}"
    );
    let mut proof = api.proof("default", &alice, Some(&mut key)).await;
    proof["password"] = json!("alice's new passphrase");
    let (status, reply) = api
        .call(
            "DELETE",
            "default",
            &format!("/users/me/passkeys/{passkey}"),
            Some(&alice),
            Some(proof),
        )
        .await;
    assert_eq!(status, 204, "{reply}");
    let notice = inbox.the_notice(to, PASSKEY_REMOVED, "passkey removed").await;
    assert!(notice.contains("Removed: \"Work laptop\""), "{notice}");

    // A new address: the old one hears of the request, and of the change once confirmed from the new one.
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/users/me",
            Some(&alice),
            Some(json!({"email": "alice@new.example"})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(inbox.notices_to(to).await, 5, "a request changes nothing yet");
    let confirmation = inbox
        .mail_to("alice@new.example")
        .await
        .into_iter()
        .find(|m| m.contains("/email/confirm?token="))
        .expect("a confirmation to the new address");
    let token = token_in(&confirmation, "/email/confirm?token=");
    let (status, _) = api
        .call("POST", "default", "/email/confirm", None, Some(json!({"token": token})))
        .await;
    assert_eq!(status, 204);
    let notice = inbox.the_notice(to, EMAIL_CHANGED, "own e-mail").await;
    assert!(
        notice.contains("with the confirmation link sent to the new address"),
        "{notice}"
    );
    assert_eq!(inbox.notices_to("alice@new.example").await, 0);

    // A reset by link: told at the new address, saying how.
    let (status, _) = api
        .call(
            "POST",
            "default",
            "/password-reset",
            None,
            Some(json!({"credential": "alice"})),
        )
        .await;
    assert_eq!(status, 202);
    api.app.services.sso.resolve_reset_requests().await.unwrap();
    let link = inbox
        .mail_to("alice@new.example")
        .await
        .into_iter()
        .find(|m| m.contains("/password-reset/complete?token="))
        .expect("a reset link");
    let token = token_in(&link, "/password-reset/complete?token=");
    let (status, reply) = api
        .call(
            "POST",
            "default",
            "/password-reset/access",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let reset_key = reply["reset_key"].as_str().unwrap().to_owned();
    remember_secret(&reset_key);
    let body = json!({"token": token, "reset_key": reset_key, "password": "alice's third passphrase"});
    let (status, reply) = api
        .call("POST", "default", "/password-reset/complete", None, Some(body))
        .await;
    assert_eq!(status, 204, "{reply}");
    let notice = inbox.the_notice("alice@new.example", PASSWORD_CHANGED, "reset").await;
    assert!(notice.contains("with a password reset link sent by e-mail"), "{notice}");
    assert_eq!(inbox.notices_to(to).await, 6, "the old address hears no more");

    // A must-change login that sets a new password.
    let root = api.login("default", "root").await;
    let id = api.app.find("default", "alice").await.user_id;
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}"),
            Some(&root),
            Some(json!({"password_must_change": true})),
        )
        .await;
    assert_eq!(status, 200);
    let body = json!({"username": "alice", "password": "alice's third passphrase",
                      "new_password": "alice's fourth passphrase"});
    let (status, reply) = api.call("POST", "default", "/login", None, Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    remember_secret(reply["ust"].as_str().unwrap());
    let changed: Vec<String> = inbox
        .mail_to("alice@new.example")
        .await
        .into_iter()
        .filter(|m| m.contains(PASSWORD_CHANGED))
        .collect();
    assert_eq!(changed.len(), 2, "the reset and the login");
    assert!(
        changed
            .iter()
            .any(|m| m.contains("at a login, as the account had to choose a new password"))
    );
}
both!(a_person_hears_of_what_they_changed_themselves);

async fn an_automatic_lock_is_told_once_with_when_it_ends(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    let clock = api.app.services.sso.clock.clone();
    api.app.set("default", "login", "max_failures", json!(3)).await;
    api.app.set("default", "login", "lockout_minutes", json!(30)).await;
    api.app.set("default", "main", "time_zone", json!("Asia/Tokyo")).await;
    let id = inbox.person("dana", false).await;
    let wrong = json!({"username": "dana", "password": "not dana's passphrase"});
    for _ in 0..6 {
        api.call("POST", "default", "/login", None, Some(wrong.clone())).await;
    }
    let notice = inbox.the_notice("dana@example.com", AUTO_LOCKED, "auto lock").await;
    // 10:00 UTC is 19:00 in Tokyo; the lock ends 30 minutes later, told in the tenant's time zone.
    assert!(notice.contains("was locked on 2026-11-28 19:00 JST"), "{notice}");
    assert!(
        notice.contains("It unlocks by itself on 2026-11-28 19:30 JST"),
        "{notice}"
    );
    assert!(notice.contains("the last from the address 127.0.0.1"), "{notice}");
    assert!(notice.contains(RESET_PAGE));
    assert_eq!(
        inbox.notices_to("dana@example.com").await,
        1,
        "failures while locked add none"
    );

    // Once the automatic lock has ended, an administrator's lock is a new lock, and is told.
    clock.advance(TimeDelta::minutes(31));
    let root = api.login("default", "root").await;
    let (status, reply) = api
        .call("POST", "default", &format!("/users/{id}/lock"), Some(&root), None)
        .await;
    assert_eq!(status, 200, "{reply}");
    let notice = inbox
        .the_notice("dana@example.com", LOCKED, "lock after an auto lock")
        .await;
    assert!(
        notice.contains("by an administrator on 2026-11-28 19:31 JST"),
        "{notice}"
    );
}
both!(an_automatic_lock_is_told_once_with_when_it_ends);

/// Someone who keeps guessing a password locks the account again each time its lock ends: its owner hears of
/// it once a day, not once a lock. An administrator's lock of an account under an automatic lock makes it last,
/// and is told; so is a lock by a patch once an automatic lock has ended.
async fn automatic_locks_are_told_once_a_day(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    let clock = api.app.services.sso.clock.clone();
    api.app.set("default", "login", "max_failures", json!(3)).await;
    api.app.set("default", "login", "lockout_minutes", json!(15)).await;
    let id = inbox.person("hana", false).await;
    let to = "hana@example.com";
    let wrong = json!({"username": "hana", "password": "not hana's passphrase"});
    let guess = || async {
        for _ in 0..3 {
            api.call("POST", "default", "/login", None, Some(wrong.clone())).await;
        }
    };
    for _ in 0..5 {
        guess().await;
        assert!(api.app.find("default", "hana").await.is_locked);
        clock.advance(TimeDelta::minutes(16));
    }
    assert_eq!(inbox.notices_to(to).await, 1, "five locks in 80 minutes, one notice");
    clock.advance(TimeDelta::days(1));
    guess().await;
    assert_eq!(inbox.notices_to(to).await, 2, "the next day's lock is told");

    // Locked by an administrator while the automatic lock holds: the lock no longer ends by itself; told.
    let root = api.login("default", "root").await;
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}"),
            Some(&root),
            Some(json!({"is_locked": true})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    clock.advance(TimeDelta::minutes(16));
    assert!(
        api.app.find("default", "hana").await.locked_until.is_none(),
        "a lasting lock"
    );
    let body = json!({"username": "hana", "password": "hana's passphrase"});
    let (status, reply) = api.call("POST", "default", "/login", None, Some(body)).await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (401, "E005002"),
        "still locked: {reply}"
    );
    inbox
        .the_notice(to, LOCKED, "a lasting lock over an automatic one")
        .await;
    assert_eq!(inbox.notices_to(to).await, 3);

    // An automatic lock that has ended is no lock: a patch locking the account locks it, and is told.
    let (status, _) = api
        .call("POST", "default", &format!("/users/{id}/unlock"), Some(&root), None)
        .await;
    assert_eq!(status, 200);
    clock.advance(TimeDelta::days(1));
    guess().await;
    clock.advance(TimeDelta::minutes(16));
    let root = api.login("default", "root").await;
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}"),
            Some(&root),
            Some(json!({"is_locked": true})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let body = json!({"username": "hana", "password": "hana's passphrase"});
    let (status, reply) = api.call("POST", "default", "/login", None, Some(body)).await;
    assert_eq!(
        (status, sub(&reply).as_str()),
        (401, "E005002"),
        "the patch locked it: {reply}"
    );
    let locks = inbox
        .mail_to(to)
        .await
        .into_iter()
        .filter(|m| m.lines().any(|l| l.trim() == LOCKED))
        .count();
    assert_eq!(locks, 2, "the two administrator's locks");
}
both!(automatic_locks_are_told_once_a_day);

/// An address typed into a sign-up form and never confirmed is nobody's yet: failed logins lock the account
/// all the same, and nothing is mailed there but the confirmation itself.
async fn an_unconfirmed_address_gets_no_notice(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    api.app.set("default", "login", "max_failures", json!(3)).await;
    let body = json!({"username": "ivan", "password": "ivan's passphrase", "email": "stranger@example.com"});
    let (status, reply) = api.call("POST", "default", "/signup", None, Some(body)).await;
    assert!((200..300).contains(&status), "{status} {reply}");
    let wrong = json!({"username": "ivan", "password": "not ivan's passphrase"});
    for _ in 0..4 {
        api.call("POST", "default", "/login", None, Some(wrong.clone())).await;
    }
    let mail = inbox.mail_to("stranger@example.com").await;
    assert_eq!(mail.len(), 1, "the confirmation only: {mail:#?}");
    assert_eq!(inbox.notices_to("stranger@example.com").await, 0);
}
both!(an_unconfirmed_address_gets_no_notice);

async fn what_changes_no_security_sends_no_notice(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    let root = api.login("default", "root").await;
    let id = inbox.person("erin", false).await;
    let to = "erin@example.com";
    // Names, an unlock, a renewal of the session: nothing to tell.
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}"),
            Some(&root),
            Some(json!({"display_name": "Erin E."})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .call("POST", "default", &format!("/users/{id}/unlock"), Some(&root), None)
        .await;
    assert_eq!(status, 200);
    let erin = api.login("default", "erin").await;
    assert_eq!(api.call("PATCH", "default", "/session", Some(&erin), None).await.0, 200);
    // A refused change tells nothing: a password the policy refuses, a wrong old password, another tenant's call.
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}/password"),
            Some(&root),
            Some(json!({"new_password": "short"})),
        )
        .await;
    assert!(status >= 400, "{reply}");
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&erin),
            Some(json!({"old_password": "wrong", "new_password": "erin's new passphrase"})),
        )
        .await;
    assert_eq!((status, sub(&reply).as_str()), (403, "E005001"), "{reply}");
    api.app
        .services
        .sso
        .create_tenant("other", None, gatehouse::sso::Actor::Auto, "t")
        .await
        .unwrap();
    api.user("other", "mallory", "mallory's passphrase", true).await;
    let mallory = api.login("other", "mallory").await;
    let (status, _) = api
        .call("POST", "other", &format!("/users/{id}/lock"), Some(&mallory), None)
        .await;
    assert_eq!(status, 404, "tenant A's user is not found at tenant B");
    assert!(!api.app.find("default", "erin").await.is_locked);
    assert_eq!(inbox.notices_to(to).await, 0);
    // A user without an address is changed all the same, and nobody is mailed.
    api.user("default", "frank", "frank's passphrase", false).await;
    let frank = api.app.find("default", "frank").await.user_id;
    let (status, _) = api
        .call("POST", "default", &format!("/users/{frank}/lock"), Some(&root), None)
        .await;
    assert_eq!(status, 200);
    assert!(api.app.find("default", "frank").await.is_locked);
    let sso = &api.app.services.sso;
    let kinds: Vec<String> = crate::common::outbox_rows(sso)
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert!(!kinds.iter().any(|k| k == "account_locked"), "{kinds:?}");
}
both!(what_changes_no_security_sends_no_notice);

async fn a_tenant_words_its_notices(backend: Backend) {
    let inbox = Inbox::new(backend).await;
    let api = &inbox.api;
    let template = json!({
        "subject": "Security: {username}'s password",
        "text": "Changed {by} on {when} from {from}. Not you? {link}",
    });
    api.app
        .set("default", "mail_templates", "password_changed", template)
        .await;
    let id = inbox.person("gwen", false).await;
    let root = api.login("default", "root").await;
    let (status, _) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}/password"),
            Some(&root),
            Some(json!({"new_password": "gwen's other passphrase"})),
        )
        .await;
    assert_eq!(status, 204);
    let mail = inbox
        .mail_to("gwen@example.com")
        .await
        .into_iter()
        .find(|m| m.contains("Subject: Security: gwen's password"))
        .expect("the tenant's wording");
    assert!(
        mail.contains("Changed by an administrator on 2026-11-28 10:00 UTC from an administrator's session. Not you?"),
        "{mail}"
    );
    assert!(mail.contains(RESET_PAGE), "{mail}");
}
both!(a_tenant_words_its_notices);
