//! The `gatehouse` binary: every subcommand of this issue, their failure messages and exit codes, and
//! passwords read only from standard input.

use crate::both;
use crate::common::{Backend, TestDb};
use gatehouse::config::{Config, SecretList};
use gatehouse::crypto::password::Password;
use gatehouse::sso::{Clock, Sso, UserRef};
use std::io::Write;
use std::process::{Command, Stdio};

pub(crate) struct Cli {
    pub db: TestDb,
    pub key: Option<String>,
}

pub(crate) struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    pub fn new(backend: Backend) -> Cli {
        let db = TestDb::new(backend);
        let key = (backend == Backend::Postgres).then(gatehouse::crypto::keys::generate);
        Cli { db, key }
    }

    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        self.run_with(args, stdin, &[])
    }

    /// Like [`Cli::run`], with `env` on top.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Out {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run gatehouse");
        {
            let mut input = child.stdin.take().expect("stdin");
            if let Some(text) = stdin {
                input.write_all(text.as_bytes()).expect("write stdin");
            }
        }
        let out = child.wait_with_output().expect("wait for gatehouse");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The binary with `args` on this store, light hashing and quiet logs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.args(args)
            .current_dir(self.db.dir.path())
            .env("GATEHOUSE__DATABASE__URL", &self.db.url)
            .env("GATEHOUSE__HASHING__ARGON2_MEMORY_KIB", "256")
            .env("GATEHOUSE__HASHING__ARGON2_ITERATIONS", "1")
            .env("GATEHOUSE__LOG__LEVEL", "warn")
            .env_remove("GATEHOUSE_BOOTSTRAP_PASSWORD");
        if let Some(key) = &self.key {
            cmd.env("GATEHOUSE__CRYPTO__FERNET_KEYS", key);
        }
        cmd
    }

    /// Opens the same store in-process to check what the commands did.
    pub async fn sso(&self) -> Sso {
        let mut config = Config::default();
        config.database.url = gatehouse::config::Secret::new(self.db.url.clone());
        config.crypto.key_file = self.db.dir.path().join("data/fernet.key").display().to_string();
        config.server.bind = "127.0.0.1:0".to_owned();
        config.server.metrics_bind = String::new();
        config.hashing.argon2_memory_kib = 256;
        config.hashing.argon2_iterations = 1;
        if let Some(key) = &self.key {
            config.crypto.fernet_keys = SecretList::new(vec![key.clone()]);
        }
        Sso::open(config, Clock::System, None)
            .await
            .expect("open the CLI's store")
            .sso
    }
}

/// An error is one line on stderr.
pub(crate) fn one_line_error(out: &Out, code: i32, needle: &str) {
    assert_eq!(out.code, code, "exit code; stderr: {}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", out.stderr);
    assert!(lines[0].contains(needle), "{:?} should contain {needle:?}", lines[0]);
}

async fn tenant_commands_and_first_start(backend: Backend) {
    let cli = Cli::new(backend);
    let out = cli.run(&["migrate"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("First start"),
        "the first command runs first start: {}",
        out.stdout
    );
    assert_eq!(out.stdout.matches("admin password for tenant").count(), 2);
    // Where to go next: the login page at the public address (a domain, so passkeys work there).
    assert!(
        out.stdout.contains("open http://localhost:8080/t/default/login"),
        "{}",
        out.stdout
    );
    let printed: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.split("`: ").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(printed.len(), 2);
    assert!(out.stdout.contains("database schema is current"));
    if backend == Backend::Sqlite {
        assert!(
            cli.db.dir.path().join("data/fernet.key").exists(),
            "the key is generated under data/"
        );
    }

    let out = cli.run(&["migrate"], None);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("First start"), "the password is printed once only");

    let out = cli.run(&["tenant", "create", "acme", "--name", "Acme Inc."], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("created tenant `acme` (Acme Inc.)"));
    one_line_error(&cli.run(&["tenant", "create", "acme"], None), 4, "tenant `acme`");
    one_line_error(
        &cli.run(&["tenant", "create", "Bad_Slug"], None),
        1,
        "invalid tenant slug",
    );

    // With its first administrator: invited by e-mail, or given a password on standard input.
    let out = cli.run(
        &[
            "tenant",
            "create",
            "bravo",
            "--admin",
            "bea",
            "--admin-email",
            "bea@example.com",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("created administrator `bea`") && out.stdout.contains("invitation"),
        "{}",
        out.stdout
    );
    let out = cli.run(
        &["tenant", "create", "charlie", "--admin", "cy", "--admin-password-stdin"],
        Some("cy's first passphrase\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("first login"), "{}", out.stdout);
    one_line_error(
        &cli.run(&["tenant", "create", "delta", "--admin", "di"], None),
        1,
        "--admin-email",
    );
    one_line_error(
        &cli.run(
            &["tenant", "create", "delta", "--admin", "di", "--admin-password-stdin"],
            Some("short\n"),
        ),
        5,
        "password policy",
    );

    let out = cli.run(&["tenant", "list"], None);
    assert_eq!(out.code, 0);
    let slugs: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    assert_eq!(slugs, ["acme", "bravo", "charlie", "default", "system"], "and no delta");
    assert!(out.stdout.contains("acme\tactive\tAcme Inc."));

    let out = cli.run(&["tenant", "suspend", "acme"], None);
    assert_eq!((out.code, out.stdout.trim()), (0, "tenant `acme` is suspended"));
    assert!(cli.run(&["tenant", "list"], None).stdout.contains("acme\tsuspended"));
    let out = cli.run(&["tenant", "resume", "acme"], None);
    assert_eq!((out.code, out.stdout.trim()), (0, "tenant `acme` is active"));
    one_line_error(
        &cli.run(&["tenant", "suspend", "system"], None),
        1,
        "system tenant cannot be suspended",
    );
    one_line_error(&cli.run(&["tenant", "suspend", "ghost"], None), 3, "no such tenant");

    // The printed admin passwords work and must be changed.
    let sso = cli.sso().await;
    for (tenant, password) in ["system", "default"].iter().zip(&printed) {
        let ctx = sso.cli_ctx(sso.resolve_tenant(tenant).await.unwrap());
        let admin = sso
            .get_user(&sso.cli_admin(ctx.tenant.clone()), &UserRef::Username("admin".into()))
            .await
            .unwrap();
        assert!(admin.password_must_change);
        assert!(
            sso.verify_password(&ctx, &admin, Password::new(password.clone()))
                .await
                .unwrap(),
            "{tenant}"
        );
    }
}
both!(tenant_commands_and_first_start);

async fn user_commands_read_passwords_from_stdin_and_report_failures(backend: Backend) {
    let cli = Cli::new(backend);
    assert_eq!(cli.run(&["tenant", "create", "acme"], None).code, 0);
    let create = |extra: &[&str], stdin: Option<&str>| {
        let mut args = vec!["user", "create", "--tenant", "acme", "--password-stdin"];
        args.extend_from_slice(extra);
        cli.run(&args, stdin)
    };
    let out = create(
        &["--username", "alice", "--email", "alice@example.com"],
        Some("alice's long passphrase\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("created user `alice` in tenant `acme`: zusr") && out.stdout.contains("(approved)"));
    assert!(
        !out.stdout.contains("passphrase") && !out.stderr.contains("passphrase"),
        "the password is never printed"
    );

    one_line_error(
        &create(&["--username", "alice"], Some("another passphrase\n")),
        4,
        "already exists (E001002)",
    );
    one_line_error(&create(&["--username", "bob"], Some("short\n")), 5, "E003002");
    one_line_error(
        &create(&["--username", "bob"], Some("my password is long\n")),
        5,
        "E003001",
    );
    one_line_error(
        &create(&["--username", "bob"], Some("")),
        1,
        "no password on standard input",
    );
    one_line_error(
        &create(
            &["--username", "bob", "--totp-key", "TOOSHORT"],
            Some("bob's long passphrase\n"),
        ),
        1,
        "--totp-key",
    );
    one_line_error(
        &cli.run(
            &[
                "user",
                "create",
                "--tenant",
                "ghost",
                "--username",
                "x",
                "--password-stdin",
            ],
            Some("a long passphrase\n"),
        ),
        3,
        "no such tenant: tenant `ghost`",
    );
    // Passwords never come from the command line.
    let out = cli.run(
        &["user", "create", "--tenant", "acme", "--username", "x"],
        Some("a long passphrase\n"),
    );
    assert_eq!(out.code, 2, "clap refuses a create without --password-stdin");
    let out = cli.run(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--username",
            "x",
            "--password",
            "p",
        ],
        None,
    );
    assert_eq!(out.code, 2);

    let out = create(
        &[
            "--username",
            "bob",
            "--pending",
            "--super-user",
            "--must-change",
            "--password-expiry-days",
            "3",
            "--totp-key",
            "JBSWY3DPEHPK3PXP",
        ],
        Some("bob's long passphrase\r\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("(before_decision)"));
    assert_eq!(
        create(
            &["--username", "carol", "--password-expired"],
            Some("carol's long passphrase\n")
        )
        .code,
        0
    );

    let sso = cli.sso().await;
    let ctx = sso.cli_ctx(sso.resolve_tenant("acme").await.unwrap());
    let find = |name: &str| {
        let sso = sso.clone();
        let ctx = ctx.clone();
        let name = name.to_owned();
        async move {
            crate::common::stored_user(&sso, &ctx, &UserRef::Username(name))
                .await
                .unwrap()
        }
    };
    let bob = find("bob").await;
    assert!(bob.is_super_user && bob.password_must_change && bob.is_totp_enabled);
    assert_eq!(bob.approval_status, "before_decision");
    assert_eq!(bob.password_expiry, bob.password_last_set + chrono::TimeDelta::days(3));
    assert!(
        sso.verify_password(
            &ctx,
            &crate::common::as_user(&sso, &bob),
            Password::new("bob's long passphrase")
        )
        .await
        .unwrap(),
        "CRLF is stripped"
    );
    assert_ne!(
        bob.totp_key.as_deref(),
        Some("JBSWY3DPEHPK3PXP"),
        "the TOTP key is sealed at rest"
    );
    assert_eq!(
        sso.keyring.open_text(bob.totp_key.as_deref().unwrap()).as_deref(),
        Some("JBSWY3DPEHPK3PXP")
    );
    let carol = find("carol").await;
    assert!(carol.password_expiry < carol.password_last_set);
    let alice = find("alice").await;
    assert_ne!(
        alice.email.as_deref(),
        Some("alice@example.com"),
        "e-mails are sealed by default"
    );

    let target = ["--tenant", "acme", "--username", "bob"];
    let run_on = |verb: &str| {
        let mut args = vec!["user", verb];
        args.extend_from_slice(&target);
        cli.run(&args, None)
    };
    assert_eq!(run_on("approve").stdout.trim(), "approved user `bob` in tenant `acme`");
    assert_eq!(find("bob").await.approval_status, "approved");
    // bob is acme's only active super-user: the CLI cannot lock him either (the tenant keeps an administrator).
    let refused = run_on("lock");
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("E008001"), "{}", refused.stderr);
    let out = create(
        &["--username", "dora", "--super-user"],
        Some("dora's long passphrase\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(run_on("lock").code, 0);
    let locked = find("bob").await;
    assert!(locked.is_locked);
    assert!(
        locked.locked_by.as_deref().unwrap_or_default().contains('@'),
        "locked_by is user@host from the CLI"
    );
    assert_eq!(run_on("unlock").code, 0);
    assert!(!find("bob").await.is_locked);
    assert_eq!(run_on("reset-totp").code, 0);
    let reset = find("bob").await;
    assert!(!reset.is_totp_enabled && reset.totp_key.is_none());
    assert_eq!(run_on("reject").code, 0);
    assert_eq!(find("bob").await.approval_status, "rejected");

    let out = cli.run(
        &[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            "alice",
            "--password-stdin",
            "--must-change",
            "--password-expiry-days",
            "7",
        ],
        Some("alice's second passphrase\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let alice = find("alice").await;
    assert!(alice.password_must_change);
    assert!(
        sso.verify_password(
            &ctx,
            &crate::common::as_user(&sso, &alice),
            Password::new("alice's second passphrase")
        )
        .await
        .unwrap()
    );
    one_line_error(
        &cli.run(
            &[
                "user",
                "set-password",
                "--tenant",
                "acme",
                "--username",
                "alice",
                "--password-stdin",
            ],
            Some("123456789\n"),
        ),
        5,
        "E003001",
    );
    let out = cli.run(
        &[
            "user",
            "set-password",
            "--tenant",
            "acme",
            "--username",
            "alice",
            "--password-stdin",
            "--password-expiry-days",
            "4294967295",
        ],
        Some("alice's third passphrase\n"),
    );
    assert_ne!(out.code, 0, "a validity beyond the range is refused");
    assert!(
        out.stderr.contains("password_expiry") && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
    one_line_error(
        &cli.run(&["user", "lock", "--tenant", "acme", "--username", "ghost"], None),
        3,
        "no such user: user `ghost`",
    );
}
both!(user_commands_read_passwords_from_stdin_and_report_failures);

#[test]
fn keys_generate_prints_a_fernet_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["keys", "generate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap();
    assert!(fernet::Fernet::new(key.trim()).is_some());
}

#[test]
fn gatehouse_toml_in_the_working_directory_is_read_and_a_bad_value_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gatehouse.toml"),
        "[database]\nurl = \"sqlite://custom/store.db\"\n[hashing]\nargon2_memory_kib = 256\nargon2_iterations = 1\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("migrate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        dir.path().join("custom/store.db").exists(),
        "the file's database URL was used"
    );

    std::fs::write(dir.path().join("gatehouse.toml"), "[session]\nexpiry = \"an hour\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("migrate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("key `session.expiry`"), "{stderr}");
    assert!(!stderr.contains("panicked"));

    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["--config", "missing.toml", "migrate"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

/// `serve` (and no subcommand at all) runs the server until it is stopped.
async fn serve_answers_health_checks(backend: Backend) {
    let cli = Cli::new(backend);
    for args in [vec!["serve"], vec![]] {
        let bind = format!("127.0.0.1:{}", crate::common::free_port());
        let mut child = cli
            .command(&args)
            .env("GATEHOUSE__SERVER__BIND", &bind)
            .env("GATEHOUSE__SERVER__METRICS_BIND", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let healthy = comes_up(&bind).await;
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(healthy, "gatehouse {args:?} served /healthz");
    }
}

/// Whether `/healthz` at `bind` answers 200 within 15 s.
async fn comes_up(bind: &str) -> bool {
    let client = awc::Client::default();
    for _ in 0..150 {
        if let Ok(res) = client.get(format!("http://{bind}/healthz")).send().await
            && res.status() == 200
        {
            return true;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}
both!(serve_answers_health_checks);

/// A server's first start runs in a `gatehouse migrate` child: what it prints (the first administrator's
/// announcement) is seen once, and when it fails the server says so and does not serve.
async fn serve_runs_its_first_start_in_a_child_and_stops_when_it_fails(backend: Backend) {
    let cli = Cli::new(backend);
    let port = crate::common::free_port();
    let bind = format!("127.0.0.1:{port}");
    let serving = [
        ("GATEHOUSE__SERVER__BIND", bind.as_str()),
        ("GATEHOUSE__SERVER__METRICS_BIND", "127.0.0.1:0"),
    ];
    // A bootstrap password the policy refuses: the child's reason, then the server's, and no server.
    let refused = [serving.as_slice(), &[("GATEHOUSE_BOOTSTRAP_PASSWORD", "short")]].concat();
    let out = cli.run_with(&["serve"], None, &refused);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("GATEHOUSE_BOOTSTRAP_PASSWORD was refused"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("first start (`gatehouse migrate`) failed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("\"short\""),
        "the password is not echoed: {}",
        out.stderr
    );
    assert!(std::net::TcpStream::connect(&bind).is_err(), "nothing serves");

    // The next start completes it: the announcement once, not the child's own success line, then /healthz.
    // Its settings come from a file whose name begins with `-`, which the child is given as it was given.
    std::fs::write(
        cli.db.dir.path().join("-serve.toml"),
        format!("[server]\nbind = \"{bind}\"\nmetrics_bind = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let mut child = cli
        .command(&["--config=-serve.toml", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let healthy = comes_up(&bind).await;
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(healthy, "the server came up after its first start");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("First start: created the tenants").count(),
        1,
        "{stdout}"
    );
    assert!(!stdout.contains("database schema is current"), "{stdout}");
    assert_eq!(stdout.matches("admin password for tenant").count(), 2, "{stdout}");
    // The first start is done: the next command finds nothing to do and prints no password.
    let out = cli.run(&["migrate"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("First start"), "{}", out.stdout);
}
both!(serve_runs_its_first_start_in_a_child_and_stops_when_it_fails);

async fn mail_list_shows_failed_messages(backend: Backend) {
    let cli = Cli::new(backend);
    assert_eq!(cli.run(&["tenant", "create", "acme"], None).code, 0);
    let out = cli.run(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--username",
            "mo",
            "--pending",
            "--email",
            "not an address",
            "--password-stdin",
        ],
        Some("mo's long passphrase\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        cli.run(&["user", "approve", "--tenant", "acme", "--username", "mo"], None)
            .code,
        0
    );
    let sso = cli.sso().await;
    assert_eq!(
        sso.deliver_due().await.unwrap().failed,
        1,
        "the welcome cannot be delivered"
    );
    drop(sso);
    let out = cli.run(&["mail", "list", "--failed"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(
        lines[0].contains("\tacme\twelcome\tnot an address\tattempts=1\tfailed "),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("recipient"), "the error says why");
    assert!(!out.stdout.contains("approved. You can log in"), "never the bodies");
}
both!(mail_list_shows_failed_messages);

async fn audit_verify_finds_edited_and_removed_entries(backend: Backend) {
    use diesel::RunQueryDsl;
    let cli = Cli::new(backend);
    assert_eq!(cli.run(&["tenant", "create", "acme"], None).code, 0);
    for name in ["a1", "a2", "a3"] {
        let out = cli.run(
            &[
                "user",
                "create",
                "--tenant",
                "acme",
                "--username",
                name,
                "--password-stdin",
            ],
            Some("a long passphrase\n"),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            cli.run(&["user", "lock", "--tenant", "acme", "--username", name], None)
                .code,
            0
        );
    }
    let out = cli.run(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("tenant `acme`: 7 entries, chain intact"),
        "{}",
        out.stdout
    );

    let sso = cli.sso().await;
    let acme = sso.resolve_tenant("acme").await.unwrap();
    let pk = acme.pk;
    let ids: Vec<i64> = sso
        .store
        .tenant(pk, move |conn| {
            use diesel::prelude::*;
            use gatehouse::store::schema::audit_log;
            Ok(audit_log::table
                .filter(audit_log::tenant_id.eq(pk))
                .order(audit_log::id.asc())
                .select(audit_log::id)
                .load(conn)?)
        })
        .await
        .unwrap();
    // An edit: the content no longer matches its hash.
    let edited = ids[3];
    sso.store
        .tenant(pk, move |conn| {
            Ok(diesel::sql_query(format!(
                "UPDATE audit_log SET op = 'user.unlock_user' WHERE id = {edited}"
            ))
            .execute(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(
        sso.verify_audit(&acme).await.unwrap(),
        Err(gatehouse::sso::audit_log::BrokenLink {
            id: edited,
            reason: "its content was changed"
        })
    );
    let out = cli.run(&["audit", "verify", "--tenant", "acme"], None);
    assert_eq!(out.code, 6);
    assert!(
        out.stderr.contains(&format!("altered at entry {edited}")),
        "{}",
        out.stderr
    );
    // A removal: the next entry no longer follows.
    let (removed, next) = (ids[1], ids[2]);
    sso.store
        .tenant(pk, move |conn| {
            Ok(diesel::sql_query(format!("DELETE FROM audit_log WHERE id = {removed}")).execute(conn)?)
        })
        .await
        .unwrap();
    let broken = sso.verify_audit(&acme).await.unwrap().unwrap_err();
    assert_eq!(broken.id, next);
    // Other tenants' chains are unaffected.
    let default = sso.resolve_tenant("default").await.unwrap();
    assert!(sso.verify_audit(&default).await.unwrap().is_ok());
}
both!(audit_verify_finds_edited_and_removed_entries);

/// `config check` validates without starting anything: the first problem, with its key, on one line.
#[test]
fn config_check_names_the_first_problem_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let check = |toml: Option<&str>| {
        let path = dir.path().join("check.toml");
        if let Some(text) = toml {
            std::fs::write(&path, text).unwrap();
        }
        let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["config", "check", "--config", &path.display().to_string()])
            .current_dir(dir.path())
            .env_clear()
            .output()
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../gatehouse.example.toml")).unwrap();
    let ok = check(Some(&example));
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    // `config example` prints the reference file, as generated from the catalogue of descriptions.
    let printed = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["config", "example"])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&printed.stdout), example);
    assert!(ok.stdout.starts_with("configuration OK"), "{}", ok.stdout);
    assert!(!dir.path().join("data").exists(), "checking creates nothing");

    let key = gatehouse::crypto::keys::generate();
    for (toml, needle) in [
        ("[server]\nbind = \"nowhere\"\n", "`server.bind`"),
        ("[session]\nexpiri = 5\n", "`session.expiri`"),
        ("[session]\nexpiry = \"soon\"\n", "`session.expiry`"),
        ("[server]\nmetrics_bind = \"9090\"\n", "`server.metrics_bind`"),
        ("[mail]\ntransport = \"smtp\"\n", "`mail.smtp_host`"),
        (
            "[database]\nurl = \"postgres://gh@127.0.0.1/gh\"\n",
            "crypto.fernet_keys is not set",
        ),
        (
            "[crypto]\nfernet_keys = [\"not-a-key\"]\n",
            "crypto.fernet_keys: entry 1",
        ),
        (
            &format!("[crypto]\nfernet_keys = [\"{key}\", \"short\"]\n"),
            "crypto.fernet_keys: entry 2",
        ),
        ("[log]\nlevel = \"[[[\"\n", "`log.level`"),
        ("this is not toml", "check.toml"),
    ] {
        let out = check(Some(toml));
        one_line_error(&out, 1, needle);
        assert!(!out.stderr.contains(&key), "a key is never echoed");
    }
    let ignored = check(Some("[main]\nencrypt_password = true\n"));
    assert_eq!(ignored.code, 0, "{}", ignored.stderr);
    assert!(ignored.stderr.contains("main.encrypt_password"), "{}", ignored.stderr);

    std::fs::remove_file(dir.path().join("check.toml")).unwrap();
    one_line_error(&check(None), 1, "no such file");
}

/// `keys rotate` explains what to do with a single key, and with the new key first re-seals and reports.
async fn keys_rotate_explains_and_reseals(backend: Backend) {
    let old = gatehouse::crypto::keys::generate();
    let mut cli = Cli::new(backend);
    cli.key = Some(old.clone());
    let out = cli.run(
        &[
            "user",
            "create",
            "--tenant",
            "default",
            "--username",
            "rosa",
            "--password-stdin",
            "--email",
            "rosa@example.com",
            "--totp-key",
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        ],
        Some("rosa's long passphrase\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    one_line_error(&cli.run(&["keys", "rotate"], None), 1, "nothing to rotate to");

    let new = gatehouse::crypto::keys::generate();
    cli.key = Some(format!("{new},{old}"));
    let checked = cli.run(&["keys", "rotate", "--check"], None);
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert!(
        checked.stdout.contains("to re-seal under the first key: 2"),
        "{}",
        checked.stdout
    );
    assert!(checked.stdout.contains("nothing was written"));
    let rotated = cli.run(&["keys", "rotate"], None);
    assert_eq!(rotated.code, 0, "{}", rotated.stderr);
    assert!(
        rotated
            .stdout
            .contains("re-sealed under the first key: 2 (users.email 1, users.totp_key 1)"),
        "{}",
        rotated.stdout
    );
    assert!(!rotated.stdout.contains(&new) && !rotated.stdout.contains(&old));
    let again = cli.run(&["keys", "rotate", "--check"], None);
    assert!(
        again.stdout.contains("to re-seal under the first key: 0 (none)"),
        "{}",
        again.stdout
    );
}
both!(keys_rotate_explains_and_reseals);

/// `gatehouse oidc rotate-keys`: the next key of each algorithm a tenant signs with is published and signs later;
/// an unknown tenant is one line on stderr.
async fn oidc_rotate_keys_publishes_the_next_keys(backend: Backend) {
    let cli = Cli::new(backend);
    assert_eq!(cli.run(&["tenant", "create", "acme"], None).code, 0);
    let sso = cli.sso().await;
    let tenant = sso.resolve_tenant("acme").await.unwrap();
    let before = sso.jwks(&tenant).await.unwrap()["keys"].as_array().unwrap().len();
    assert_eq!(before, 3, "one key of each algorithm");
    drop(sso);
    let out = cli.run(&["oidc", "rotate-keys", "--tenant", "acme"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("tenant `acme`: {alg} key ")) && l.contains("signing from")),
            "{}",
            out.stdout
        );
    }
    let sso = cli.sso().await;
    let tenant = sso.resolve_tenant("acme").await.unwrap();
    assert_eq!(sso.jwks(&tenant).await.unwrap()["keys"].as_array().unwrap().len(), 6);
    drop(sso);
    one_line_error(
        &cli.run(&["oidc", "rotate-keys", "--tenant", "nosuch"], None),
        3,
        "no such tenant",
    );
}
both!(oidc_rotate_keys_publishes_the_next_keys);
