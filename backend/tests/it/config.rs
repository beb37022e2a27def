//! Configuration: defaults, the file, environment overrides (lists included), malformed values, unknown keys,
//! Fernet keys generated on SQLite and required on PostgreSQL.

use crate::common::{Backend, TestDb, test_config};
use gatehouse::config::{Config, ConfigError, Sources, StringList};
use gatehouse::crypto::keys::{self, KeyError};
use std::collections::HashMap;
use std::io::Write;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn file(contents: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    f
}

#[test]
fn defaults_apply_without_file_or_environment() {
    let loaded = Config::load(Sources {
        file: None,
        env: env(&[("PATH", "/usr/bin"), ("GATEHOUSE_BOOTSTRAP_PASSWORD", "x")]),
    })
    .unwrap();
    assert_eq!(loaded.config, Config::default());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c.server.bind, "127.0.0.1:8080");
    // A domain, so that passkeys work on a fresh start (the bind address stays on loopback).
    assert_eq!(c.server.public_url, "http://localhost:8080");
    assert!(c.webauthn.rp_id.is_empty() && c.webauthn.origins.0.is_empty());
    assert_eq!(c.database.url.expose(), "sqlite://data/gatehouse.db");
    assert_eq!(c.database.pool_size, 10);
    assert_eq!(
        (
            c.hashing.argon2_memory_kib,
            c.hashing.argon2_iterations,
            c.hashing.argon2_parallelism
        ),
        (19456, 2, 1)
    );
    assert_eq!(
        c.hashing.effective_workers(),
        std::thread::available_parallelism().unwrap().get()
    );
    assert_eq!(c.session.max_lifetime_minutes, 720);
    assert_eq!(c.session.max_per_user, 0);
    assert_eq!(
        (
            c.login.max_failures,
            c.login.failure_window_minutes,
            c.login.lockout_minutes
        ),
        (5, 15, 15)
    );
    assert_eq!(c.login.max_failures_per_address, 50);
    assert_eq!(c.signup.confirm_valid_for_minutes, 4320);
    assert!(!c.signup.always_return_confirm_token);
    assert_eq!(c.mail.smtp_port, 587);
    assert_eq!(c.cleanup.interval_seconds, 300);
    assert_eq!(c.zato_compat.default_tenant, "default");
    assert_eq!(c.log.level, "info");
    // Zato's template defaults for the tenant sections.
    assert_eq!(c.apps.all, StringList::of(&["CRM"]));
    assert_eq!(c.apps.login_allowed, StringList::of(&["CRM"]));
    assert!(c.password.allow_change_if_expired);
    assert_eq!(c.totp.valid_window, 1);
    assert_eq!(c.password_reset.valid_for, 1440);
    assert_eq!(c.search.max_page_size, 100);
}

#[test]
fn file_overrides_defaults_and_environment_overrides_the_file() {
    let f = file(
        r#"
        [server]
        bind = "0.0.0.0:9000"
        [session]
        expiry = 30
        [apps]
        all = ["CRM", "ERP"]
        login_allowed = "CRM, ERP"
        [password]
        reject_list = "secret, hunter2"
        [user_address_list]
        alice = "10.0.0.0/8, ::1"
        bob = "*"
        "#,
    );
    let loaded = Config::load(Sources {
        file: Some(f.path()),
        env: env(&[
            ("GATEHOUSE__SESSION__EXPIRY", "45"),
            ("GATEHOUSE__APPS__ALL", "CRM,ERP,HR"),
            ("GATEHOUSE__LOGIN__INFORM_IF_LOCKED", "false"),
            ("GATEHOUSE__PASSWORD__REJECT_LIST", "123456"),
            ("GATEHOUSE__DATABASE__POOL_SIZE", "3"),
        ]),
    })
    .unwrap();
    let c = loaded.config;
    assert_eq!(c.server.bind, "0.0.0.0:9000", "from the file");
    assert_eq!(c.session.expiry, 45, "the environment wins over the file");
    assert_eq!(
        c.apps.all,
        StringList::of(&["CRM", "ERP", "HR"]),
        "a comma-separated list from the environment"
    );
    assert_eq!(
        c.apps.login_allowed,
        StringList::of(&["CRM", "ERP"]),
        "a comma-separated list in the file"
    );
    assert!(!c.login.inform_if_locked);
    assert_eq!(
        c.password.reject_list,
        StringList::of(&["123456"]),
        "a numeric-looking item stays text"
    );
    assert_eq!(c.database.pool_size, 3);
    assert_eq!(c.user_address_list["alice"], StringList::of(&["10.0.0.0/8", "::1"]));
    assert_eq!(c.user_address_list["bob"], StringList::of(&["*"]));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn a_malformed_value_is_an_error_naming_its_key() {
    let err = Config::load(Sources {
        file: None,
        env: env(&[("GATEHOUSE__SESSION__EXPIRY", "soon")]),
    })
    .unwrap_err();
    match &err {
        ConfigError::Value { key, .. } => assert_eq!(key, "session.expiry"),
        other => panic!("expected a value error, got {other:?}"),
    }
    assert!(err.to_string().contains("session.expiry"));

    let f = file("[password]\nmin_length = -3\n");
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if key == "password.min_length"),
        "{err}"
    );

    let err = Config::load(Sources {
        file: None,
        env: env(&[("GATEHOUSE__SERVER__REQUEST_TIMEOUT_SECONDS", "0")]),
    })
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if key == "server.request_timeout_seconds"),
        "{err}"
    );

    let f = file("[server]\nbind = \"not an address\"\n");
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if key == "server.bind"),
        "{err}"
    );

    let f = file("[log]\nformat = \"xml\"\n");
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if key == "log.format"),
        "{err}"
    );

    let f = file("[user_address_list]\nalice = \"10.0.0.300\"\n");
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if key == "user_address_list.alice"),
        "{err}"
    );

    let f = file("[database]\nurl = \"mysql://localhost/x\"\n");
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if key == "database.url"),
        "{err}"
    );

    let f = file("[server\nbind = 1");
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(
        matches!(err, ConfigError::File { .. }),
        "a broken file is reported as such"
    );

    let err = Config::load(Sources {
        file: Some(std::path::Path::new("/nonexistent/gatehouse.toml")),
        env: HashMap::new(),
    })
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/gatehouse.toml"));
}

/// Asserts that a file setting `section.key` to `value` is refused with an error naming that key.
fn refused_naming(section: &str, key: &str, value: &str) {
    let f = file(&format!("[{section}]\n{key} = {value}\n"));
    let err = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap_err();
    let dotted = format!("{section}.{key}");
    assert!(
        matches!(&err, ConfigError::Value { key, .. } if *key == dotted),
        "{dotted} = {value}: {err}"
    );
}

#[test]
fn a_duration_out_of_its_range_is_an_error_naming_its_key() {
    for (section, key) in [
        ("password", "expiry"),
        ("password", "about_to_expire_threshold"),
        ("session", "expiry"),
        ("session", "max_lifetime_minutes"),
        ("login", "lockout_minutes"),
        ("login", "failure_window_minutes"),
        ("signup", "confirm_valid_for_minutes"),
        ("password_reset", "valid_for"),
        ("password_reset", "password_change_session_duration"),
    ] {
        for value in ["0".to_owned(), u32::MAX.to_string()] {
            refused_naming(section, key, &value);
        }
    }
    for (section, key) in [
        ("server", "request_timeout_seconds"),
        ("server", "keep_alive_seconds"),
        ("server", "tenant_cache_ms"),
        ("database", "pool_wait_ms"),
        ("hashing", "max_wait_ms"),
        ("mail", "poll_interval_seconds"),
    ] {
        refused_naming(section, key, &i64::MAX.to_string());
    }
    let f = file("[password]\nexpiry = 36500\nabout_to_expire_threshold = 36500\n");
    let loaded = Config::load(Sources {
        file: Some(f.path()),
        env: HashMap::new(),
    })
    .unwrap();
    assert_eq!(loaded.config.password.expiry, 36_500, "the top of the range is taken");
}

#[test]
fn unknown_keys_are_warned_about_not_fatal() {
    let f = file(
        r#"
        [session]
        expiry = 10
        expirey = 20
        [nonsense]
        a = 1
        [hash_secret]
        rounds = 120000
        "#,
    );
    let loaded = Config::load(Sources {
        file: Some(f.path()),
        env: env(&[("GATEHOUSE__LOGIN__MAX_FAILURE", "3")]),
    })
    .unwrap();
    assert_eq!(loaded.config.session.expiry, 10);
    let w = loaded.warnings.join("\n");
    assert!(w.contains("`session.expirey`"), "{w}");
    assert!(w.contains("`nonsense`"), "{w}");
    assert!(w.contains("`login.max_failure`"), "{w}");
    assert!(w.contains("`hash_secret.rounds` is a Zato setting"), "{w}");
    assert_eq!(loaded.warnings.len(), 4, "{w}");
}

#[test]
fn a_key_is_generated_once_on_sqlite_with_owner_only_permissions() {
    let db = TestDb::new(Backend::Sqlite);
    let config = test_config(&db);
    let first = keys::load(&config).unwrap();
    let path = first.generated_into.clone().expect("a key was generated");
    assert!(path.ends_with("fernet.key"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(fernet::Fernet::new(&first.keys[0]).is_some());
    let second = keys::load(&config).unwrap();
    assert!(second.generated_into.is_none(), "the existing key is reused");
    assert_eq!(second.keys, first.keys);
    assert!(
        !format!("{second:?}").contains(&first.keys[0]),
        "keys never reach Debug output"
    );
}

#[test]
fn postgres_without_keys_refuses_to_start_and_bad_keys_are_named() {
    let mut config = Config::default();
    config.database.url = gatehouse::config::Secret::new("postgres://u@127.0.0.1/x");
    let err = keys::load(&config).unwrap_err();
    assert!(matches!(err, KeyError::MissingOnPostgres));
    assert!(err.to_string().contains("crypto.fernet_keys"));

    config.crypto.fernet_keys = gatehouse::config::SecretList::new(vec![keys::generate(), "not-a-key".to_owned()]);
    let err = keys::load(&config).unwrap_err();
    assert!(matches!(err, KeyError::Invalid(2)), "{err}");
    assert!(!err.to_string().contains("not-a-key"), "the key itself is not echoed");
}

#[actix_rt::test]
async fn postgres_startup_without_keys_fails_before_touching_the_database() {
    let mut config = Config::default();
    config.database.url = gatehouse::config::Secret::new("postgres://nobody@127.0.0.1:1/none");
    let err = gatehouse::sso::Sso::open(config, gatehouse::sso::Clock::System, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("crypto.fernet_keys is not set"), "{err}");
}
