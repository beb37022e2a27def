//! First start: the tenants `system` and `default`, a super-user `admin` in each, a generated password printed
//! once that must be changed, or the password from `GATEHOUSE_BOOTSTRAP_PASSWORD`.

use crate::both;
use crate::common::{Backend, TestDb, start_time, test_config};
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Clock, Sso, UserRef};

async fn first_start_creates_both_tenants_and_admins_with_printed_passwords(backend: Backend) {
    let db = TestDb::new(backend);
    let startup = Sso::open(test_config(&db), Clock::manual(start_time()), None)
        .await
        .unwrap();
    let report = startup.bootstrap.as_ref().expect("first start ran");
    assert_eq!(report.tenants, ["system", "default"]);
    assert_eq!(report.generated.len(), 2);
    let text = report.announcement();
    let sso = startup.sso.clone();
    let slugs: Vec<String> = sso
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.slug.to_string())
        .collect();
    assert_eq!(slugs, ["default", "system"]);
    for (tenant, password) in &report.generated {
        assert!(text.contains(password.expose()), "the announcement shows the password");
        let ctx = sso.cli_ctx(sso.resolve_tenant(tenant).await.unwrap());
        let admin = sso
            .get_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Username("admin".into()))
            .await
            .unwrap();
        assert!(admin.is_super_user);
        assert_eq!(admin.approval_status, "approved");
        assert_eq!(admin.approval_status_mod_by, "auto");
        assert_eq!(admin.sign_up_status, "final");
        assert!(
            admin.password_must_change,
            "a generated password must be changed at the first login"
        );
        assert!(sso.verify_password(&ctx, &admin, password.clone()).await.unwrap());
        assert!(!sso.verify_password(&ctx, &admin, Password::new("wrong")).await.unwrap());
        // The printed password stops working once changed.
        sso.set_password(
            &sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Id(admin.user_id.clone()),
            Password::new("a new long passphrase"),
            false,
            None,
        )
        .await
        .unwrap();
        let admin = sso
            .get_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Id(admin.user_id))
            .await
            .unwrap();
        assert!(!sso.verify_password(&ctx, &admin, password.clone()).await.unwrap());
        assert!(!admin.password_must_change);
    }
    assert!(
        !format!("{report:?}").contains(report.generated[0].1.expose()),
        "Debug never shows it"
    );

    // A second start finds the system tenant and does nothing.
    drop(startup);
    let again = Sso::open(test_config(&db), Clock::manual(start_time()), None)
        .await
        .unwrap();
    assert!(again.bootstrap.is_none());
    assert_eq!(again.migrations_applied, 0);
}
both!(first_start_creates_both_tenants_and_admins_with_printed_passwords);

async fn the_bootstrap_password_from_the_environment_is_used_as_is(backend: Backend) {
    let db = TestDb::new(backend);
    let startup = Sso::open(
        test_config(&db),
        Clock::manual(start_time()),
        Some(Password::new("operator passphrase 1")),
    )
    .await
    .unwrap();
    let report = startup.bootstrap.as_ref().unwrap();
    assert!(
        report.generated.is_empty(),
        "nothing is printed when the password was given"
    );
    let sso = startup.sso.clone();
    for tenant in ["system", "default"] {
        let ctx = sso.cli_ctx(sso.resolve_tenant(tenant).await.unwrap());
        let admin = sso
            .get_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Username("admin".into()))
            .await
            .unwrap();
        assert!(!admin.password_must_change);
        assert!(
            sso.verify_password(&ctx, &admin, Password::new("operator passphrase 1"))
                .await
                .unwrap()
        );
    }
}
both!(the_bootstrap_password_from_the_environment_is_used_as_is);

async fn a_bootstrap_password_the_policy_rejects_stops_the_start(backend: Backend) {
    let db = TestDb::new(backend);
    let err = Sso::open(
        test_config(&db),
        Clock::manual(start_time()),
        Some(Password::new("short")),
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("GATEHOUSE_BOOTSTRAP_PASSWORD") && message.contains("E003002"),
        "{message}"
    );
    assert!(!message.contains("short\""), "the password is not echoed");
    // Nothing was half-written: a start with a good password completes the first start.
    let startup = Sso::open(
        test_config(&db),
        Clock::manual(start_time()),
        Some(Password::new("operator passphrase 2")),
    )
    .await
    .unwrap();
    assert_eq!(startup.bootstrap.as_ref().unwrap().tenants, ["system", "default"]);
    let sso = startup.sso.clone();
    let ctx = sso.cli_ctx(sso.resolve_tenant("system").await.unwrap());
    let admin = sso
        .get_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Username("admin".into()))
        .await
        .unwrap();
    assert!(
        sso.verify_password(&ctx, &admin, Password::new("operator passphrase 2"))
            .await
            .unwrap()
    );
}
both!(a_bootstrap_password_the_policy_rejects_stops_the_start);
