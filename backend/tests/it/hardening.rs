//! Rules that must hold on every path and under every value: a failed unit of work never poisons the pool, no
//! value makes date arithmetic panic, no write undoes another, an account change that ends sessions ends them
//! whichever surface made it, and a new password differs from the current one.

use crate::api::{Api, sub};
use crate::both;
use crate::common::{Backend, TestSso};
use gatehouse::config::DatabaseKind;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{NewUser, SsoError, UserRef};
use gatehouse::store::settings::{self as setting_rows, SettingRow};
use gatehouse::store::{Store, StoreError};
use gatehouse_shared::SubStatus;
use serde_json::{Value, json};

const APP: &str = "CRM";

/// A marker row written by a unit of work (a tenant setting nobody reads).
fn marker(conn: &mut gatehouse::store::AnyConnection, tenant: i64, name: &str) -> Result<(), StoreError> {
    setting_rows::put(
        conn,
        &SettingRow {
            tenant_id: tenant,
            section: "test_marker".into(),
            name: name.into(),
            value: "1".into(),
            modified_time: crate::common::start_time(),
        },
    )
}

/// The markers a fresh connection (outside the application's pool) sees committed.
async fn committed_markers(sso: &gatehouse::sso::Sso, tenant: i64) -> Vec<String> {
    let url = sso.config.database.url.expose().to_owned();
    let fresh = Store::open(&url, DatabaseKind::parse(&url).unwrap(), 1).unwrap();
    let mut names: Vec<String> = fresh
        .tenant(tenant, move |conn| setting_rows::for_tenant(conn, tenant))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.section == "test_marker")
        .map(|r| r.name)
        .collect();
    names.sort();
    names
}

async fn a_panicked_unit_of_work_leaves_no_open_transaction_in_the_pool(backend: Backend) {
    let services = TestSso::open(backend).await;
    let sso = services.sso.clone();
    let pk = sso.resolve_tenant("default").await.unwrap().pk;
    let pool_size = sso.config.database.pool_size as usize;
    for round in 0..2 {
        let lost = format!("lost{round}");
        let result: Result<(), StoreError> = sso
            .store
            .tenant(pk, move |conn| {
                marker(conn, pk, &lost)?;
                panic!("a unit of work fails half-way");
            })
            .await;
        assert!(matches!(result, Err(StoreError::Task(_))), "{result:?}");
    }
    // One at a time (the connection just returned would be handed out first), then enough at once to take
    // every pooled connection.
    for i in 0..pool_size {
        let name = format!("seq{i}");
        sso.store.tenant(pk, move |conn| marker(conn, pk, &name)).await.unwrap();
    }
    let together = (0..pool_size * 2).map(|i| {
        let (store, name) = (sso.store.clone(), format!("par{i:02}"));
        async move { store.tenant(pk, move |conn| marker(conn, pk, &name)).await }
    });
    for result in futures_util::future::join_all(together).await {
        result.unwrap();
    }
    let seen = committed_markers(&sso, pk).await;
    assert_eq!(
        seen.len(),
        pool_size * 3,
        "every acknowledged write is committed: {seen:?}"
    );
    assert!(
        !seen.iter().any(|n| n.starts_with("lost")),
        "the panicked work rolled back: {seen:?}"
    );
}
both!(a_panicked_unit_of_work_leaves_no_open_transaction_in_the_pool);

/// A connection that dies inside a unit of work (the server ended it) makes the call unavailable (503
/// `E008005`), whatever the work's own error type, and the dead connection is not handed out again.
/// Pooled connections the server ended while the pool was quiet cost no call: one idle for over a second is
/// asked (`SELECT 1`) before it is handed out, and replaced. One ended right after it proved itself (it is handed
/// out unasked, the price of not asking before every statement) costs at most the one call it fails, and the
/// pool heals.
#[actix_rt::test]
async fn connections_ended_by_the_server_are_replaced() {
    use diesel::RunQueryDsl;
    let services = TestSso::open(Backend::Postgres).await;
    let sso = services.sso.clone();
    let pk = sso.resolve_tenant("default").await.unwrap().pk;
    let read = |store: Store| async move {
        store
            .tenant_read(pk, |conn| {
                // Long enough that calls at once need connections of their own.
                diesel::sql_query("SELECT pg_sleep(0.05)")
                    .execute(conn)
                    .map_err(StoreError::from)?;
                Ok(())
            })
            .await
    };
    // Several connections open at once, then every one but the caller's ended by the server.
    let end_the_others = |store: Store| async move {
        store
            .tenant_read(pk, |conn| {
                diesel::sql_query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid()",
                )
                .execute(conn)
                .map_err(StoreError::from)
            })
            .await
            .unwrap()
    };
    let open_several = || futures_util::future::join_all((0..6).map(|_| read(sso.store.clone())));
    for result in open_several().await {
        result.unwrap();
    }
    assert!(end_the_others(sso.store.clone()).await > 0, "connections were ended");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for result in open_several().await {
        result.expect("a quiet pool asks before handing a connection out");
    }
    // Ended at once after proving themselves: a few calls may fail, each connection's once, then none.
    let ended = end_the_others(sso.store.clone()).await;
    let mut failed = 0;
    for _ in 0..2 {
        failed += open_several().await.iter().filter(|r| r.is_err()).count();
    }
    assert!(failed <= ended, "{failed} failed calls for {ended} ended connections");
    for result in open_several().await {
        result.expect("healed");
    }
}

#[actix_rt::test]
async fn a_connection_lost_inside_a_unit_of_work_is_unavailable() {
    use diesel::RunQueryDsl;
    let services = TestSso::open(Backend::Postgres).await;
    let sso = services.sso.clone();
    let pk = sso.resolve_tenant("default").await.unwrap().pk;
    for _ in 0..3 {
        let result: Result<(), SsoError> = sso
            .store
            .tenant_with(pk, move |conn| {
                marker(conn, pk, "before-the-loss")?;
                diesel::sql_query("SELECT pg_terminate_backend(pg_backend_pid())")
                    .execute(conn)
                    .map_err(StoreError::from)?;
                Ok(())
            })
            .await;
        let err = result.unwrap_err();
        assert_eq!(err.visible_code(), Some(SubStatus::CommonUnavailable), "{err:?}");
    }
    sso.store
        .tenant(pk, move |conn| marker(conn, pk, "after"))
        .await
        .unwrap();
    assert_eq!(committed_markers(&sso, pk).await, vec!["after".to_owned()]);
}

impl Api {
    /// A call on the Zato surface, `current_app` filled in.
    pub(crate) async fn zato(&self, method: &str, path: &str, mut body: Value) -> (u16, Value) {
        if body.get("current_app").is_none() {
            body["current_app"] = json!(APP);
        }
        let mut res = self
            .app
            .client
            .request(
                method.parse().unwrap(),
                self.app.url(&format!("/t/default/zato/sso{path}")),
            )
            .send_body(body.to_string())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let bytes = res.body().await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn alive(&self, ust: &str) -> bool {
        match self.call("GET", "default", "/session", Some(ust), None).await.0 {
            200 => true,
            401 => false,
            other => panic!("session check answered {other}"),
        }
    }

    /// A native login with the given password; the UST.
    async fn login_as(&self, name: &str, password: &str) -> String {
        let body = json!({"username": name, "password": password});
        let (status, reply) = self.call("POST", "default", "/login", None, Some(body)).await;
        assert_eq!(status, 200, "{reply}");
        let ust = reply["ust"].as_str().unwrap().to_owned();
        crate::common::remember_secret(&ust);
        ust
    }

    async fn row(&self, name: &str) -> gatehouse::store::users::UserRow {
        self.app.find("default", name).await
    }
}

/// The keys whose values become durations or dates, with the largest each takes.
const DURATION_KEYS: &[(&str, &str)] = &[
    ("password", "expiry"),
    ("password", "about_to_expire_threshold"),
    ("session", "expiry"),
    ("session", "max_lifetime_minutes"),
    ("login", "failure_window_minutes"),
    ("login", "lockout_minutes"),
    ("signup", "confirm_valid_for_minutes"),
    ("signup", "request_window_minutes"),
    ("password_reset", "valid_for"),
    ("password_reset", "password_change_session_duration"),
    ("password_reset", "request_window_minutes"),
];

const EXTREMES: [i64; 4] = [0, -1, u32::MAX as i64, i64::MAX];

async fn no_value_makes_date_arithmetic_panic(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let alice = api.row("alice").await.user_id;
    for (section, key) in DURATION_KEYS {
        for extreme in EXTREMES {
            let (status, reply) = api
                .call(
                    "PATCH",
                    "default",
                    "/settings",
                    Some(&root),
                    Some(json!({ *section: { *key: extreme } })),
                )
                .await;
            assert_eq!(
                (status, sub(&reply)),
                (422, "E008002".to_owned()),
                "{section}.{key} = {extreme}"
            );
            assert!(
                reply.to_string().contains(&format!("{section}.{key}")),
                "names the key: {reply}"
            );
        }
        // The largest valid value is taken, and a login still works under it.
        let (status, reply) = api.call("GET", "default", "/settings", Some(&root), None).await;
        assert_eq!(status, 200);
        assert!(reply["effective"][section][key].is_u64());
    }
    for (section, key, max) in [
        ("password", "about_to_expire_threshold", 36_500),
        ("password", "expiry", 36_500),
        ("session", "max_lifetime_minutes", 5_256_000),
        ("session", "expiry", 525_600),
    ] {
        let (status, reply) = api
            .call(
                "PATCH",
                "default",
                "/settings",
                Some(&root),
                Some(json!({ section: { key: max } })),
            )
            .await;
        assert_eq!(status, 200, "{section}.{key} = {max}: {reply}");
    }
    let bob = api.login("default", "bob").await;
    assert!(api.alive(&bob).await);

    // A password's validity given with a request: refused out of range, on both surfaces, naming the field.
    for extreme in EXTREMES {
        let (status, reply) = api
            .call(
                "PATCH",
                "default",
                &format!("/users/{alice}/password"),
                Some(&root),
                Some(json!({"new_password": "alice's second passphrase", "password_expiry": extreme})),
            )
            .await;
        assert!(
            (400..500).contains(&status) && sub(&reply) == "E008002",
            "native password_expiry = {extreme}: {status} {reply}"
        );
    }
    for extreme in [u32::MAX as i64, i64::MAX] {
        let (status, reply) = api
            .zato(
                "PATCH",
                "/user/password",
                json!({"ust": root, "user_id": alice, "new_password": "alice's second passphrase",
                       "password_expiry": extreme}),
            )
            .await;
        assert_eq!(
            (status, reply["sub_status"][0].as_str()),
            (403, Some("E008002")),
            "zato password_expiry = {extreme}: {reply}"
        );
    }
    // The password was never set, and the store took every later write.
    let ust = api.login("default", "alice").await;
    assert!(api.alive(&ust).await);

    // On Zato's surface 0 and below mean the default validity (password.expiry, here 36 500 days).
    for default in [0, -1, i64::MIN] {
        let (status, reply) = api
            .zato(
                "PATCH",
                "/user/password",
                json!({"ust": root, "user_id": alice, "new_password": format!("alice's passphrase {default}"),
                       "password_expiry": default}),
            )
            .await;
        assert_eq!(
            (status, reply["status"].as_str()),
            (200, Some("ok")),
            "{default}: {reply}"
        );
        let row = api.row("alice").await;
        assert_eq!((row.password_expiry - row.password_last_set).num_days(), 36_500);
    }

    // A password expiry given as a date: outside what the stores hold is refused, the far future is "never".
    for when in ["0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z"] {
        let (status, reply) = api
            .call(
                "PATCH",
                "default",
                &format!("/users/{alice}"),
                Some(&root),
                Some(json!({ "password_expiry": when })),
            )
            .await;
        assert_eq!(
            (status, sub(&reply)),
            (422, "E008002".to_owned()),
            "password_expiry = {when}: {reply}"
        );
        assert!(
            reply.to_string().contains("password_expiry"),
            "names the field: {reply}"
        );
    }
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{alice}"),
            Some(&root),
            Some(json!({ "password_expiry": "9999-12-31T23:59:59Z" })),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert!(api.alive(&api.login("default", "bob").await).await);
}
both!(no_value_makes_date_arithmetic_panic);

/// A value stored before its key had a range (here a threshold that made every login panic) is left out with
/// a warning: the tenant's users, its administrators among them, still log in.
async fn an_override_stored_out_of_range_does_not_take_the_tenant_down(backend: Backend) {
    let api = Api::new(backend).await;
    let sso = api.app.services.sso.clone();
    let pk = sso.resolve_tenant("default").await.unwrap().pk;
    sso.store
        .tenant(pk, move |conn| {
            setting_rows::put(
                conn,
                &SettingRow {
                    tenant_id: pk,
                    section: "password".into(),
                    name: "about_to_expire_threshold".into(),
                    value: u32::MAX.to_string(),
                    modified_time: crate::common::start_time(),
                },
            )?;
            gatehouse::store::tenants::bump_settings_version(conn, pk)
        })
        .await
        .unwrap();
    sso.clock.advance(chrono::TimeDelta::seconds(5));
    let root = api.login("default", "root").await;
    let (status, reply) = api.call("GET", "default", "/settings", Some(&root), None).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["effective"]["password"]["about_to_expire_threshold"],
        json!(30),
        "the default applies"
    );
    // And it can be mended: replaced by a value in range.
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            "/settings",
            Some(&root),
            Some(json!({"password": {"about_to_expire_threshold": 14}})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["effective"]["password"]["about_to_expire_threshold"], json!(14));
}
both!(an_override_stored_out_of_range_does_not_take_the_tenant_down);

/// What makes a user's sessions end, and the paths that can make it.
async fn account_changes_end_sessions_on_every_path(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let ctx = api.app.services.ctx("default").await;
    let sso = api.app.services.sso.clone();
    let cases = [
        "native lock",
        "native patch is_locked",
        "native reject",
        "native patch approval_status",
        "native delete",
        "native set password",
        "native 2fa reset",
        "zato lock",
        "zato patch is_locked",
        "zato reject",
        "zato patch approval_status",
        "zato delete",
        "zato set password",
        "cli lock",
        "cli reject",
        "cli set password",
        "cli 2fa reset",
    ];
    for (i, case) in cases.iter().enumerate() {
        let name = format!("victim{i}");
        let new = NewUser {
            username: name.clone(),
            password: Some(Password::new(format!("{name}'s passphrase"))),
            auto_approve: true,
            totp_key: Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()),
            totp_enabled: Some(false),
            ..NewUser::default()
        };
        let id = sso
            .create_user(&sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap()
            .user_id;
        let ust = api.login("default", &name).await;
        assert!(api.alive(&ust).await);
        let native = |method: &'static str, path: String, body: Option<Value>| {
            let (api, root) = (&api, root.clone());
            async move { api.call(method, "default", &path, Some(&root), body).await }
        };
        let (status, reply) = match *case {
            "native lock" => native("POST", format!("/users/{id}/lock"), None).await,
            "native patch is_locked" => native("PATCH", format!("/users/{id}"), Some(json!({"is_locked": true}))).await,
            "native reject" => native("POST", format!("/users/{id}/reject"), None).await,
            "native patch approval_status" => {
                native(
                    "PATCH",
                    format!("/users/{id}"),
                    Some(json!({"approval_status": "rejected"})),
                )
                .await
            }
            "native delete" => native("DELETE", format!("/users/{id}"), None).await,
            "native set password" => {
                native(
                    "PATCH",
                    format!("/users/{id}/password"),
                    Some(json!({"new_password": "a brand new passphrase"})),
                )
                .await
            }
            "native 2fa reset" => native("POST", format!("/users/{id}/totp/reset"), None).await,
            "zato lock" => {
                api.zato("POST", "/user/lock", json!({"ust": root, "user_id": id}))
                    .await
            }
            "zato patch is_locked" => {
                api.zato("PATCH", "/user", json!({"ust": root, "user_id": id, "is_locked": true}))
                    .await
            }
            "zato reject" => {
                api.zato("POST", "/user/reject", json!({"ust": root, "user_id": id}))
                    .await
            }
            "zato patch approval_status" => {
                api.zato(
                    "PATCH",
                    "/user",
                    json!({"ust": root, "user_id": id, "approval_status": "rejected"}),
                )
                .await
            }
            "zato delete" => api.zato("DELETE", "/user", json!({"ust": root, "user_id": id})).await,
            "zato set password" => {
                api.zato(
                    "PATCH",
                    "/user/password",
                    json!({"ust": root, "user_id": id, "new_password": "a brand new passphrase"}),
                )
                .await
            }
            "cli lock" => {
                sso.lock_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Id(id.clone()))
                    .await
                    .unwrap();
                (200, Value::Null)
            }
            "cli reject" => {
                sso.reject_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Id(id.clone()))
                    .await
                    .unwrap();
                (200, Value::Null)
            }
            "cli set password" => {
                let p = Password::new("a brand new passphrase");
                sso.set_password(
                    &sso.cli_admin(ctx.tenant.clone()),
                    &UserRef::Id(id.clone()),
                    p,
                    false,
                    None,
                )
                .await
                .unwrap();
                (200, Value::Null)
            }
            "cli 2fa reset" => {
                sso.reset_totp(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Id(id.clone()))
                    .await
                    .unwrap();
                (200, Value::Null)
            }
            other => unreachable!("{other}"),
        };
        assert!((200..300).contains(&status), "{case}: {status} {reply}");
        assert!(!api.alive(&ust).await, "{case}: the old UST is refused");
    }

    // A self-service password change keeps the session that made it and ends the others, on both surfaces.
    for surface in ["native", "zato"] {
        let name = format!("self_{surface}");
        api.user("default", &name, &format!("{name}'s passphrase"), false).await;
        let (this, other) = (api.login("default", &name).await, api.login("default", &name).await);
        let (status, reply) = if surface == "native" {
            api.call(
                "PATCH",
                "default",
                "/users/me/password",
                Some(&this),
                Some(json!({"old_password": format!("{name}'s passphrase"), "new_password": "a brand new passphrase"})),
            )
            .await
        } else {
            api.zato(
                "PATCH",
                "/user/password",
                json!({"ust": this, "old_password": format!("{name}'s passphrase"),
                       "new_password": "a brand new passphrase"}),
            )
            .await
        };
        assert!((200..300).contains(&status), "{surface}: {status} {reply}");
        assert!(api.alive(&this).await, "{surface}: the session that changed it stays");
        assert!(!api.alive(&other).await, "{surface}: every other session ends");
    }
    // A new password given at a must-change login ends the sessions from before it.
    api.user("default", "changer", "changer's passphrase", false).await;
    let before = api.login("default", "changer").await;
    let id = api.row("changer").await.user_id;
    let flag = json!({"password_must_change": true});
    let (status, reply) = api
        .call("PATCH", "default", &format!("/users/{id}"), Some(&root), Some(flag))
        .await;
    assert_eq!(status, 200, "{reply}");
    let body =
        json!({"username": "changer", "password": "changer's passphrase", "new_password": "a brand new passphrase"});
    let (status, reply) = api.call("POST", "default", "/login", None, Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        !api.alive(&before).await,
        "must-change login: the session from before ends"
    );
    assert!(api.alive(reply["ust"].as_str().unwrap()).await);
}
both!(account_changes_end_sessions_on_every_path);

/// A super-user's session alone neither removes their own second factor nor sets their own password through
/// the administrators' calls (`E008001`): those need the password and a code, or the old password.
async fn an_administrator_cannot_reset_their_own_factor_or_password_with_a_session_alone(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let id = api.row("root").await.user_id;
    let (status, reply) = api
        .call("POST", "default", &format!("/users/{id}/totp/reset"), Some(&root), None)
        .await;
    assert_eq!((status, sub(&reply)), (403, "E008001".to_owned()), "{reply}");
    let body = json!({"new_password": "a password chosen by a thief"});
    let (status, reply) = api
        .call(
            "PATCH",
            "default",
            &format!("/users/{id}/password"),
            Some(&root),
            Some(body),
        )
        .await;
    assert_eq!((status, sub(&reply)), (403, "E008001".to_owned()), "{reply}");
    assert!(api.alive(&root).await, "nothing changed");
    api.login("default", "root").await;
}
both!(an_administrator_cannot_reset_their_own_factor_or_password_with_a_session_alone);

/// Concurrent changes to different columns of one user all survive: an administrator's lock, 2FA reset or
/// rejection that lands while the user changes their own password is not reverted by it.
async fn no_write_undoes_another(backend: Backend) {
    let api = Api::new(backend).await;
    let root = api.login("default", "root").await;
    let ctx = api.app.services.ctx("default").await;
    let rounds = 16;
    for round in 0..rounds {
        let name = format!("racer{round}");
        let password = format!("{name}'s passphrase");
        let new = NewUser {
            username: name.clone(),
            password: Some(Password::new(password.clone())),
            auto_approve: true,
            totp_key: Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()),
            totp_enabled: Some(false),
            ..NewUser::default()
        };
        let id = api
            .app
            .services
            .sso
            .create_user(&api.app.services.sso.cli_admin(ctx.tenant.clone()), new)
            .await
            .unwrap()
            .user_id;
        let ust = api.login("default", &name).await;
        let change = api.call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&ust),
            Some(json!({"old_password": password, "new_password": format!("{name}'s next passphrase")})),
        );
        let admin = async {
            // Let the change read the row and start hashing first.
            actix_rt::time::sleep(std::time::Duration::from_millis(1)).await;
            let (method, path, body) = match round % 4 {
                0 => ("POST", format!("/users/{id}/lock"), None),
                1 => ("POST", format!("/users/{id}/reject"), None),
                2 => ("POST", format!("/users/{id}/totp/reset"), None),
                _ => (
                    "PATCH",
                    format!("/users/{id}"),
                    Some(json!({"display_name": "Renamed by an admin"})),
                ),
            };
            api.call(method, "default", &path, Some(&root), body).await
        };
        let ((changed, reply), (admin_status, admin_reply)) = futures_util::join!(change, admin);
        assert!((200..300).contains(&admin_status), "{admin_status} {admin_reply}");
        assert!(
            [204, 200, 401].contains(&changed),
            "the change succeeded or found its session ended: {changed} {reply}"
        );
        let row = api.row(&name).await;
        match round % 4 {
            0 => assert!(row.is_locked, "round {round}: the lock survived the password change"),
            1 => assert_eq!(row.approval_status, "rejected", "round {round}: the rejection survived"),
            2 => assert!(row.totp_key.is_none(), "round {round}: the 2FA reset survived"),
            _ => assert_eq!(
                row.display_name.as_deref(),
                Some("Renamed by an admin"),
                "round {round}"
            ),
        }
    }
}
both!(no_write_undoes_another);

/// `E003010`: a new password must differ from the current one at a must-change login and a self-service change,
/// hidden as `E005001` on the login where `password.inform_if_invalid` is off.
async fn a_new_password_differs_from_the_current_one(backend: Backend) {
    let api = Api::new(backend).await;
    let ctx = api.app.services.ctx("default").await;
    let sso = api.app.services.sso.clone();
    sso.set_password(
        &sso.cli_admin(ctx.tenant.clone()),
        &UserRef::Username("alice".into()),
        Password::new("alice's passphrase"),
        true,
        None,
    )
    .await
    .unwrap();
    let same = json!({"username": "alice", "password": "alice's passphrase", "new_password": "alice's passphrase"});
    let (status, reply) = api.call("POST", "default", "/login", None, Some(same.clone())).await;
    assert_eq!((status, sub(&reply)), (422, "E003010".to_owned()), "{reply}");
    let (status, reply) = api.zato("POST", "/user/login", same.clone()).await;
    assert_eq!(
        (status, reply["sub_status"][0].as_str()),
        (403, Some("E003010")),
        "{reply}"
    );

    let bob = api.login("default", "bob").await;
    let body = json!({"old_password": "bob's passphrase", "new_password": "bob's passphrase"});
    let (status, reply) = api
        .call("PATCH", "default", "/users/me/password", Some(&bob), Some(body.clone()))
        .await;
    assert_eq!((status, sub(&reply)), (422, "E003010".to_owned()), "{reply}");
    let mut zato_body = body;
    zato_body["ust"] = json!(bob);
    let (status, reply) = api.zato("PATCH", "/user/password", zato_body).await;
    assert_eq!(
        (status, reply["sub_status"][0].as_str()),
        (403, Some("E003010")),
        "{reply}"
    );

    api.app
        .set("default", "password", "inform_if_invalid", json!(false))
        .await;
    let (status, reply) = api.call("POST", "default", "/login", None, Some(same)).await;
    assert_eq!((status, sub(&reply)), (401, "E005001".to_owned()), "hidden: {reply}");
    // A different new password is taken.
    let other =
        json!({"username": "alice", "password": "alice's passphrase", "new_password": "alice's fresh passphrase"});
    assert_eq!(api.call("POST", "default", "/login", None, Some(other)).await.0, 200);
}
both!(a_new_password_differs_from_the_current_one);

/// Reset links as mailed, over a real SMTP server.
struct Mailed {
    api: Api,
    server: crate::common::SmtpServer,
    seen: Vec<String>,
}

impl Mailed {
    async fn new(backend: Backend) -> Mailed {
        let port = crate::common::free_port();
        let server = crate::common::SmtpServer::start(port);
        let app = crate::common::TestApp::spawn_with(backend, move |c| {
            c.mail.transport = gatehouse::config::MailTransport::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = port;
            c.mail.smtp_security = gatehouse::config::SmtpSecurity::None;
            c.mail.smtp_timeout_seconds = 2;
        })
        .await;
        let ctx = app.services.ctx("default").await;
        let dana = NewUser {
            username: "dana".into(),
            password: Some(Password::new("dana's passphrase")),
            email: Some("dana@example.com".into()),
            auto_approve: true,
            ..NewUser::default()
        };
        app.services
            .sso
            .create_user(&app.services.sso.cli_admin(ctx.tenant.clone()), dana)
            .await
            .unwrap();
        let api = Api { app };
        api.user("default", "root", "root's passphrase", true).await;
        Mailed {
            api,
            server,
            seen: Vec::new(),
        }
    }

    /// Asks for a reset of dana's password and returns the token of the link mailed for it.
    async fn reset_link(&mut self) -> String {
        let (status, _) = self
            .api
            .call(
                "POST",
                "default",
                "/password-reset",
                None,
                Some(json!({"credential": "dana"})),
            )
            .await;
        assert_eq!(status, 202);
        for _ in 0..100 {
            self.api.app.services.sso.deliver_due().await.unwrap();
            let marker = "/password-reset/complete?token=";
            let fresh = self
                .server
                .messages()
                .iter()
                .map(|m| crate::common::readable(m))
                .filter(|m| m.contains(marker))
                .map(|m| crate::common::token_in(&m, marker))
                .find(|token| !self.seen.contains(token));
            if let Some(token) = fresh {
                self.seen.push(token.clone());
                return token;
            }
            actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no new reset link arrived");
    }

    /// Opens a reset link: the reset key, or the refusal.
    async fn access(&self, token: &str) -> Result<String, (u16, String)> {
        let (status, reply) = self
            .api
            .call(
                "POST",
                "default",
                "/password-reset/access",
                None,
                Some(json!({"token": token})),
            )
            .await;
        match reply["reset_key"].as_str() {
            Some(key) if status == 200 => {
                crate::common::remember_secret(key);
                Ok(key.to_owned())
            }
            _ => Err((status, sub(&reply))),
        }
    }

    async fn complete(&self, token: &str, key: &str, password: &str) -> (u16, String) {
        let (status, reply) = self
            .api
            .call(
                "POST",
                "default",
                "/password-reset/complete",
                None,
                Some(json!({"token": token, "reset_key": key, "password": password})),
            )
            .await;
        (status, sub(&reply))
    }
}

/// A new password, however it is set, withdraws every reset link still outstanding; a reset cannot set the
/// password it replaces (`E003010`).
async fn a_new_password_withdraws_outstanding_reset_links(backend: Backend) {
    let mut m = Mailed::new(backend).await;
    let (first, second) = (m.reset_link().await, m.reset_link().await);
    let key = m.access(&first).await.unwrap();
    assert_eq!(
        m.complete(&first, &key, "dana's passphrase").await,
        (422, "E003010".to_owned()),
        "a reset cannot keep the current password"
    );
    assert_eq!(m.complete(&first, &key, "dana's second passphrase").await.0, 204);
    assert_eq!(
        m.access(&second).await,
        Err((403, "E010001".to_owned())),
        "the other link went with the reset"
    );

    // A self-service change withdraws them too.
    let third = m.reset_link().await;
    let ust = m.api.login_as("dana", "dana's second passphrase").await;
    let (status, reply) = m
        .api
        .call(
            "PATCH",
            "default",
            "/users/me/password",
            Some(&ust),
            Some(json!({"old_password": "dana's second passphrase", "new_password": "dana's third passphrase"})),
        )
        .await;
    assert_eq!(status, 204, "{reply}");
    assert_eq!(m.access(&third).await, Err((403, "E010001".to_owned())));

    // And so does an administrator's.
    let fourth = m.reset_link().await;
    let root = m.api.login("default", "root").await;
    let dana = m.api.row("dana").await.user_id;
    let (status, reply) = m
        .api
        .call(
            "PATCH",
            "default",
            &format!("/users/{dana}/password"),
            Some(&root),
            Some(json!({"new_password": "dana's fourth passphrase"})),
        )
        .await;
    assert!((200..300).contains(&status), "{reply}");
    assert_eq!(m.access(&fourth).await, Err((403, "E010001".to_owned())));

    // A request still waiting for the mail sender when the password changes is withdrawn with the rest.
    let (status, _) = m
        .api
        .call(
            "POST",
            "default",
            "/password-reset",
            None,
            Some(json!({"credential": "dana"})),
        )
        .await;
    assert_eq!(status, 202);
    let sso = m.api.app.services.sso.clone();
    sso.clock.advance(chrono::TimeDelta::seconds(1));
    let (status, reply) = m
        .api
        .call(
            "PATCH",
            "default",
            &format!("/users/{dana}/password"),
            Some(&root),
            Some(json!({"new_password": "dana's fifth passphrase"})),
        )
        .await;
    assert!((200..300).contains(&status), "{reply}");
    let links = crate::common::outbox_rows(&sso)
        .await
        .into_iter()
        .filter(|r| r.kind == "password_reset")
        .count();
    assert_eq!(links, m.seen.len(), "no link for the withdrawn request");
}
both!(a_new_password_withdraws_outstanding_reset_links);
