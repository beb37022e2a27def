//! Tenants and users in the domain layer: slug rules, isolation of usernames, duplicates, the password policy
//! with each code, approval at creation, state changes, and per-tenant settings.

use crate::both;
use crate::common::{Backend, TestSso};
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Actor, Kind, NewUser, SsoError, TenantStatus, UserRef};
use gatehouse::store::audit;
use gatehouse_shared::SubStatus;
use serde_json::json;

fn user(name: &str, password: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        password: Some(Password::new(password)),
        auto_approve: true,
        ..NewUser::default()
    }
}

fn refusal(e: SsoError) -> (Kind, SubStatus, bool) {
    match e {
        SsoError::Refused { kind, code, inform } => (kind, code, inform),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn tenant_slugs_follow_the_rules_and_are_unique(backend: Backend) {
    let t = TestSso::open(backend).await;
    let acme = t
        .sso
        .create_tenant("acme", Some("Acme Inc."), Actor::Auto, "t")
        .await
        .unwrap();
    assert_eq!(acme.slug.as_str(), "acme");
    assert_eq!(acme.display_name, "Acme Inc.");
    assert_eq!(acme.status, TenantStatus::Active);
    let plain = t.sso.create_tenant("b-2", None, Actor::Auto, "t").await.unwrap();
    assert_eq!(
        plain.display_name, "b-2",
        "the slug names a tenant without a display name"
    );
    for bad in ["", "Acme", "-acme", "ac_me", "ac me", &"a".repeat(64)] {
        let (kind, code, _) = refusal(t.sso.create_tenant(bad, None, Actor::Auto, "t").await.unwrap_err());
        assert_eq!(
            (kind, code),
            (Kind::BadInput, SubStatus::CommonInvalidInput),
            "slug {bad:?}"
        );
    }
    let (kind, _, _) = refusal(t.sso.create_tenant("acme", None, Actor::Auto, "t").await.unwrap_err());
    assert_eq!(kind, Kind::Conflict);
    let (kind, code, _) = refusal(t.sso.resolve_tenant("nope").await.unwrap_err());
    assert_eq!((kind, code), (Kind::NotFound, SubStatus::TenantNoSuchTenant));
    let (_, code, _) = refusal(t.sso.resolve_tenant("NOT A SLUG").await.unwrap_err());
    assert_eq!(code, SubStatus::TenantNoSuchTenant);
}
both!(tenant_slugs_follow_the_rules_and_are_unique);

async fn suspending_a_tenant_and_the_system_tenant_rule(backend: Backend) {
    let t = TestSso::open(backend).await;
    t.sso.create_tenant("acme", None, Actor::Auto, "t").await.unwrap();
    let ctx = t.ctx("acme").await;
    let op = t.sso.cli_operator().await.unwrap();
    let suspended = t
        .sso
        .set_tenant_status(&op, ctx.tenant.clone(), TenantStatus::Suspended)
        .await
        .unwrap();
    assert_eq!(suspended.status, TenantStatus::Suspended);
    let (kind, code, _) = refusal(t.sso.active_tenant("acme").await.unwrap_err());
    assert_eq!((kind, code), (Kind::Forbidden, SubStatus::TenantSuspended));
    let ctx = t.ctx("acme").await;
    t.sso
        .set_tenant_status(&op, ctx.tenant.clone(), TenantStatus::Active)
        .await
        .unwrap();
    assert!(t.sso.active_tenant("acme").await.is_ok());
    let system = t.ctx("system").await;
    let (_, code, _) = refusal(
        t.sso
            .set_tenant_status(&op, system.tenant.clone(), TenantStatus::Suspended)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, SubStatus::CommonInvalidOperation);
}
both!(suspending_a_tenant_and_the_system_tenant_rule);

async fn the_same_username_lives_in_two_tenants_but_not_twice_in_one(backend: Backend) {
    let t = TestSso::open(backend).await;
    t.sso.create_tenant("acme", None, Actor::Auto, "t").await.unwrap();
    t.sso.create_tenant("globex", None, Actor::Auto, "t").await.unwrap();
    let acme = t.ctx("acme").await;
    let globex = t.ctx("globex").await;
    let a = t
        .sso
        .create_user(&t.sso.cli_admin(acme.tenant.clone()), user("alice", "acme passphrase"))
        .await
        .unwrap();
    let g = t
        .sso
        .create_user(
            &t.sso.cli_admin(globex.tenant.clone()),
            user("alice", "globex passphrase"),
        )
        .await
        .unwrap();
    assert_ne!(a.user_id, g.user_id);
    assert!(a.user_id.starts_with("zusr") && gatehouse_shared::UserId::parse(&a.user_id).is_ok());
    assert!(
        t.sso
            .verify_password(&acme, &a, Password::new("acme passphrase"))
            .await
            .unwrap()
    );
    assert!(
        !t.sso
            .verify_password(&globex, &g, Password::new("acme passphrase"))
            .await
            .unwrap()
    );
    // A user id of one tenant is unknown in the other.
    let (kind, _, _) = refusal(
        t.sso
            .get_user(&t.sso.cli_admin(globex.tenant.clone()), &UserRef::Id(a.user_id.clone()))
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, Kind::NotFound);

    let (kind, code, inform) = refusal(
        t.sso
            .create_user(
                &t.sso.cli_admin(acme.tenant.clone()),
                user("alice", "another passphrase"),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((kind, code, inform), (Kind::Conflict, SubStatus::UsernameExists, true));
    // Usernames are case-sensitive, as in the reference.
    t.sso
        .create_user(
            &t.sso.cli_admin(acme.tenant.clone()),
            user("Alice", "another passphrase"),
        )
        .await
        .unwrap();
    let (kind, code, _) = refusal(
        t.sso
            .create_user(
                &t.sso.cli_admin(acme.tenant.clone()),
                user(" bob", "another passphrase"),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((kind, code), (Kind::BadInput, SubStatus::UsernameInvalid));
}
both!(the_same_username_lives_in_two_tenants_but_not_twice_in_one);

async fn each_password_policy_rule_has_its_code(backend: Backend) {
    let t = TestSso::open(backend).await;
    let ctx = t.ctx("default").await;
    let cases = [
        ("short", SubStatus::PasswordTooShort),
        (&"p".repeat(257) as &str, SubStatus::PasswordTooLong),
        ("my-Password-here", SubStatus::PasswordInvalid),
        ("xx123456xx", SubStatus::PasswordInvalid),
    ];
    for (i, (password, expected)) in cases.iter().enumerate() {
        let (kind, code, inform) = refusal(
            t.sso
                .create_user(&t.sso.cli_admin(ctx.tenant.clone()), user(&format!("u{i}"), password))
                .await
                .unwrap_err(),
        );
        assert_eq!((kind, code, inform), (Kind::Policy, *expected, true), "password #{i}");
    }
    // Complexity, once the tenant asks for it.
    t.sso
        .set_setting(
            &t.sso.cli_admin(ctx.tenant.clone()),
            "password",
            "min_complexity",
            Some(json!(3)),
        )
        .await
        .unwrap();
    let ctx = t.ctx("default").await;
    let (_, code, _) = refusal(
        t.sso
            .create_user(&t.sso.cli_admin(ctx.tenant.clone()), user("weak", "aaaaaaaaaa"))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, SubStatus::PasswordNotComplexEnough);
    t.sso
        .create_user(
            &t.sso.cli_admin(ctx.tenant.clone()),
            user("strong", "correct-horse-battery-staple-77"),
        )
        .await
        .unwrap();
    t.sso
        .set_setting(&t.sso.cli_admin(ctx.tenant.clone()), "password", "min_complexity", None)
        .await
        .unwrap();
    // With inform_if_invalid off the reason is hidden from callers (the real code stays for trusted ones).
    t.sso
        .set_setting(
            &t.sso.cli_admin(ctx.tenant.clone()),
            "password",
            "inform_if_invalid",
            Some(json!(false)),
        )
        .await
        .unwrap();
    let ctx = t.ctx("default").await;
    let err = t
        .sso
        .create_user(&t.sso.cli_admin(ctx.tenant.clone()), user("hidden", "short"))
        .await
        .unwrap_err();
    assert_eq!(err.visible_code(), Some(SubStatus::AuthNotAllowed));
    assert_eq!(err.code(), Some(SubStatus::PasswordTooShort));
    // Nothing was written for any refused user.
    for name in ["u0", "u1", "u2", "u3", "weak", "hidden"] {
        assert!(
            t.sso
                .get_user(&t.sso.cli_admin(ctx.tenant.clone()), &UserRef::Username(name.into()))
                .await
                .is_err(),
            "{name} must not exist"
        );
    }
}
both!(each_password_policy_rule_has_its_code);

async fn approval_at_creation_follows_the_setting(backend: Backend) {
    let t = TestSso::open(backend).await;
    let ctx = t.ctx("default").await;
    let pending = NewUser {
        auto_approve: false,
        ..user("pending", "a long passphrase")
    };
    let row = t
        .sso
        .create_user(&t.sso.cli_admin(ctx.tenant.clone()), pending)
        .await
        .unwrap();
    assert_eq!(
        row.approval_status, "before_decision",
        "signup.is_approval_needed defaults to true"
    );
    let row = t
        .sso
        .create_user(&t.sso.cli_admin(ctx.tenant.clone()), user("auto", "a long passphrase"))
        .await
        .unwrap();
    assert_eq!(row.approval_status, "approved");
    assert_eq!(row.approval_status_mod_by, "auto", "approved by the CLI counts as auto");
    t.sso
        .set_setting(
            &t.sso.cli_admin(ctx.tenant.clone()),
            "signup",
            "is_approval_needed",
            Some(json!(false)),
        )
        .await
        .unwrap();
    let ctx = t.ctx("default").await;
    let row = t
        .sso
        .create_user(
            &t.sso.cli_admin(ctx.tenant.clone()),
            NewUser {
                auto_approve: false,
                ..user("free", "a long passphrase")
            },
        )
        .await
        .unwrap();
    assert_eq!(row.approval_status, "approved");
}
both!(approval_at_creation_follows_the_setting);

async fn lock_unlock_approve_reject_change_state_and_are_audited(backend: Backend) {
    let t = TestSso::open(backend).await;
    let ctx = t.ctx("default").await;
    let created = t
        .sso
        .create_user(
            &t.sso.cli_admin(ctx.tenant.clone()),
            NewUser {
                auto_approve: false,
                ..user("carol", "a long passphrase")
            },
        )
        .await
        .unwrap();
    let who = UserRef::Username("carol".into());
    let row = t
        .sso
        .approve_user(&t.sso.cli_admin(ctx.tenant.clone()), &who)
        .await
        .unwrap();
    assert_eq!(row.approval_status, "approved");
    assert_eq!(row.approval_status_mod_time, ctx.now);
    let row = t
        .sso
        .lock_user(&t.sso.cli_admin(ctx.tenant.clone()), &who)
        .await
        .unwrap();
    assert!(row.lock.is_locked);
    assert_eq!(
        row.lock.by.as_deref(),
        Some(gatehouse::sso::Actor::cli().as_locker().as_str())
    );
    assert_eq!(row.lock.time, Some(ctx.now));
    let row = t
        .sso
        .unlock_user(&t.sso.cli_admin(ctx.tenant.clone()), &who)
        .await
        .unwrap();
    assert!(!row.lock.is_locked);
    assert_eq!(row.lock.by, None);
    let row = t
        .sso
        .reject_user(
            &t.sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Id(created.user_id.clone()),
        )
        .await
        .unwrap();
    assert_eq!(row.approval_status, "rejected");
    let (kind, _, _) = refusal(
        t.sso
            .lock_user(
                &t.sso.cli_admin(ctx.tenant.clone()),
                &UserRef::Username("nobody".into()),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, Kind::NotFound);

    let pk = ctx.tenant.pk;
    let entries = t
        .sso
        .store
        .tenant(pk, move |conn| audit::recent(conn, pk, 10))
        .await
        .unwrap();
    let ops: Vec<&str> = entries.iter().map(|e| e.op.as_str()).collect();
    assert_eq!(
        &ops[..5],
        [
            "user.reject_user",
            "user.unlock_user",
            "user.lock_user",
            "user.approve_user",
            "user.create_user"
        ]
    );
    assert!(
        entries
            .iter()
            .take(5)
            .all(|e| e.target_user_id.as_deref() == Some(created.user_id.as_str()) && e.cid == "cli")
    );
}
both!(lock_unlock_approve_reject_change_state_and_are_audited);

async fn set_password_sets_expiry_and_must_change(backend: Backend) {
    let t = TestSso::open(backend).await;
    let ctx = t.ctx("default").await;
    t.sso
        .create_user(&t.sso.cli_admin(ctx.tenant.clone()), user("dave", "a long passphrase"))
        .await
        .unwrap();
    let who = UserRef::Username("dave".into());
    let row = t
        .sso
        .set_password(
            &t.sso.cli_admin(ctx.tenant.clone()),
            &who,
            Password::new("another passphrase"),
            true,
            Some(10),
        )
        .await
        .unwrap();
    assert!(row.password_must_change);
    assert_eq!(row.password_expiry, ctx.now + chrono::TimeDelta::days(10));
    assert_eq!(row.password_last_set, ctx.now);
    assert!(
        t.sso
            .verify_password(&ctx, &row, Password::new("another passphrase"))
            .await
            .unwrap()
    );
    let row = t
        .sso
        .set_password(
            &t.sso.cli_admin(ctx.tenant.clone()),
            &who,
            Password::new("third passphrase"),
            false,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        row.password_expiry,
        ctx.now + chrono::TimeDelta::days(730),
        "password.expiry days by default"
    );
    let (_, code, _) = refusal(
        t.sso
            .set_password(
                &t.sso.cli_admin(ctx.tenant.clone()),
                &who,
                Password::new("qwerty123"),
                false,
                None,
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(code, SubStatus::PasswordInvalid);
}
both!(set_password_sets_expiry_and_must_change);

async fn a_tenant_override_changes_one_tenant_only(backend: Backend) {
    let t = TestSso::open(backend).await;
    t.sso.create_tenant("acme", None, Actor::Auto, "t").await.unwrap();
    let acme = t.ctx("acme").await;
    let default = t.ctx("default").await;
    t.sso
        .set_setting(
            &t.sso.cli_admin(acme.tenant.clone()),
            "session",
            "expiry",
            Some(json!(5)),
        )
        .await
        .unwrap();
    t.sso
        .set_setting(
            &t.sso.cli_admin(acme.tenant.clone()),
            "apps",
            "all",
            Some(json!("CRM,ERP")),
        )
        .await
        .unwrap();
    let acme = t.ctx("acme").await;
    let p = t.sso.policy(&acme.tenant).await.unwrap();
    assert_eq!(p.session.expiry, 5);
    assert!(p.apps.all.contains("ERP"));
    let d = t.sso.policy(&default.tenant).await.unwrap();
    assert_eq!(d.session.expiry, 60);
    assert!(!d.apps.all.contains("ERP"));
    // Removing the override returns to the default; a bad value or key is refused and changes nothing.
    t.sso
        .set_setting(&t.sso.cli_admin(acme.tenant.clone()), "session", "expiry", None)
        .await
        .unwrap();
    let acme = t.ctx("acme").await;
    assert_eq!(t.sso.policy(&acme.tenant).await.unwrap().session.expiry, 60);
    for (section, key, value) in [
        ("session", "expiry", json!("soon")),
        ("server", "bind", json!("0.0.0.0:1")),
    ] {
        match t
            .sso
            .set_setting(&t.sso.cli_admin(acme.tenant.clone()), section, key, Some(value))
            .await
            .unwrap_err()
        {
            SsoError::Invalid { key: named, .. } => assert_eq!(named, format!("{section}.{key}")),
            other => panic!("expected an invalid setting, got {other:?}"),
        }
    }
    let acme = t.ctx("acme").await;
    assert_eq!(t.sso.policy(&acme.tenant).await.unwrap().session.expiry, 60);
}
both!(a_tenant_override_changes_one_tenant_only);

async fn concurrent_creations_do_not_trip_over_each_other(backend: Backend) {
    let t = TestSso::open(backend).await;
    let ctx = t.ctx("default").await;
    let jobs: Vec<_> = (0..16)
        .map(|i| {
            let sso = t.sso.clone();
            let ctx = ctx.clone();
            actix_rt::spawn(async move {
                sso.create_user(
                    &sso.cli_admin(ctx.tenant.clone()),
                    user(&format!("c{i}"), "a long passphrase"),
                )
                .await
            })
        })
        .collect();
    for job in jobs {
        job.await.unwrap().unwrap();
    }
    // And the same username raced from several tasks is created exactly once.
    let jobs: Vec<_> = (0..6)
        .map(|_| {
            let sso = t.sso.clone();
            let ctx = ctx.clone();
            actix_rt::spawn(async move {
                sso.create_user(&sso.cli_admin(ctx.tenant.clone()), user("racer", "a long passphrase"))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for job in jobs {
        match job.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), Some(SubStatus::UsernameExists)),
        }
    }
    assert_eq!(ok, 1);
}
both!(concurrent_creations_do_not_trip_over_each_other);
