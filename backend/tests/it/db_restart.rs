//! PostgreSQL restarts under load. A private cluster (`initdb` into a temporary directory, on a free port, run
//! as the `postgres` user when the tests run as root, since `initdb` refuses root) keeps the machine's shared
//! server out of it. Requests during the outage are answered 503 `E008005` within the request timeout, never
//! 500; every session committed before the restart verifies after it; the service answers normally within 5 s
//! of the database being back.

use crate::server_process::{ServerProcess, add_user, call, login, setup_sso, sub_status};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A PostgreSQL cluster of the test's own.
struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn postgres_bin() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    // The newest major version: 16 after 9.6, so by number, not by name.
    let major = |bin: &PathBuf| -> u32 {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    versions.sort_by_key(major);
    versions.pop().expect("an initdb")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivateCluster {
    fn init() -> PrivateCluster {
        let dir = tempfile::tempdir().expect("cluster dir");
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres", &dir.path().display().to_string()])
                .status()
                .expect("chown");
            assert!(status.success(), "chown the cluster directory to postgres");
        }
        let cluster = PrivateCluster {
            dir,
            bin: postgres_bin(),
            port: crate::common::free_port(),
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    fn url(&self, role: &str, database: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}?sslmode=disable", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = pg_ctl(&self.bin, is_root())
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

/// `pg_ctl`, run as the cluster's owner.
fn pg_ctl(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join("pg_ctl"));
        c
    } else {
        Command::new(bin.join("pg_ctl"))
    }
}

/// What one request of the load got.
#[derive(Debug, Clone)]
struct Outcome {
    started: Instant,
    took: Duration,
    what: &'static str,
    status: u16,
    sub_status: String,
}

#[actix_rt::test]
async fn sessions_survive_a_database_restart_and_the_outage_is_503() {
    let cluster = PrivateCluster::init();
    {
        let mut admin = PgConnection::establish(&cluster.url("postgres", "postgres")).unwrap();
        admin
            .batch_execute("CREATE ROLE gatehouse LOGIN NOSUPERUSER NOBYPASSRLS")
            .unwrap();
        admin
            .batch_execute("CREATE DATABASE gatehouse OWNER gatehouse")
            .unwrap();
    }
    let url = cluster.url("gatehouse", "gatehouse");
    // A temporary directory and this URL: the database itself belongs to the private cluster.
    let mut db = crate::common::TestDb::new(crate::common::Backend::Sqlite);
    db.url = url.clone();
    db.backend = crate::common::Backend::Postgres;
    let key = gatehouse::crypto::keys::generate();
    {
        let sso = setup_sso(&db, &key).await;
        for i in 0..4 {
            add_user(&sso, "default", &format!("user{i}"), false).await;
        }
    }
    let mut server = ServerProcess::start(
        db.dir.path(),
        &[
            ("GATEHOUSE__DATABASE__URL", url.clone()),
            ("GATEHOUSE__CRYPTO__FERNET_KEYS", key),
            ("GATEHOUSE__LOG__LEVEL", "warn".to_owned()),
            ("GATEHOUSE__SERVER__READINESS_TIMEOUT_MS", "500".to_owned()),
            ("GATEHOUSE__DATABASE__POOL_WAIT_MS", "2000".to_owned()),
        ],
    )
    .await;
    let client = awc::Client::default();
    let login_body = |i: usize| json!({"username": format!("user{i}"), "password": format!("user{i}'s passphrase")});

    // Sessions committed before the restart.
    let mut usts = Vec::new();
    for i in 0..20 {
        let (status, reply) = login(&client, &server.base, login_body(i % 4)).await;
        assert_eq!(status, 200, "{reply}");
        usts.push(reply["ust"].as_str().unwrap().to_owned());
    }

    // Steady load: each worker logs in and verifies in turn.
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let mut workers = Vec::new();
    for (w, ust) in usts.iter().take(4).enumerate() {
        let (client, base, stop, outcomes, ust) = (
            client.clone(),
            server.base.clone(),
            stop.clone(),
            outcomes.clone(),
            ust.clone(),
        );
        workers.push(actix_rt::spawn(async move {
            let mut turn = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let (what, (status, reply)) = if turn.is_multiple_of(2) {
                    ("login", login(&client, &base, login_body(w)).await)
                } else {
                    (
                        "verify",
                        call(&client, &base, "GET", "/api/v1/t/default/session", Some(&ust), None).await,
                    )
                };
                outcomes.lock().unwrap().push(Outcome {
                    started,
                    took: started.elapsed(),
                    what,
                    status,
                    sub_status: sub_status(&reply),
                });
                turn += 1;
                actix_rt::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    actix_rt::time::sleep(Duration::from_secs(1)).await;

    let down = Instant::now();
    actix_rt::task::spawn_blocking({
        let data = cluster.data();
        let (bin, root) = (cluster.bin.clone(), is_root());
        move || stop_cluster(&bin, &data, root)
    })
    .await
    .unwrap();
    let stopped = Instant::now();
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    let (status, ready) = call(&client, &server.base, "GET", "/readyz", None, None).await;
    assert_eq!(status, 503, "not ready while the database is down: {ready}");
    assert_eq!(ready["reason"], "database_unavailable");
    // Longer than the pool's wait for a connection (database.pool_wait_ms, 2 s here), so requests caught by the
    // outage are answered in it.
    actix_rt::time::sleep(Duration::from_millis(6000)).await;
    cluster.start();
    let up = Instant::now();
    actix_rt::time::sleep(Duration::from_secs(9)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    assert!(server.alive(), "the server survived the restart");

    let outcomes = outcomes.lock().unwrap().clone();
    let request_timeout = Duration::from_secs(10);
    for o in &outcomes {
        assert!(
            o.status == 200 || (o.status == 503 && o.sub_status == "E008005"),
            "only successes and 503 E008005: {o:?}"
        );
        assert!(o.took < request_timeout, "answered within the request timeout: {o:?}");
    }
    let during: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started + o.took > stopped && o.started + o.took < up)
        .collect();
    let timeline: Vec<String> = outcomes
        .iter()
        .map(|o| {
            format!(
                "{} at {:+} ms took {} ms: {} {}",
                o.what,
                o.started.duration_since(down.min(o.started)).as_millis() as i64
                    - down.duration_since(o.started.min(down)).as_millis() as i64,
                o.took.as_millis(),
                o.status,
                o.sub_status
            )
        })
        .collect();
    assert!(
        !during.is_empty(),
        "requests were made during the outage (stopped at +{} ms, up at +{} ms): {timeline:#?}",
        (stopped - down).as_millis(),
        (up - down).as_millis()
    );
    assert!(during.iter().all(|o| o.status == 503), "{during:?}");
    assert!(
        during.iter().all(|o| o.took < Duration::from_millis(3500)),
        "answered within database.pool_wait_ms (2 s), give or take: {during:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.started < down && o.status == 200),
        "the load succeeded before the restart"
    );
    let back = up + Duration::from_secs(5);
    let late: Vec<&Outcome> = outcomes.iter().filter(|o| o.started >= back).collect();
    assert!(late.len() >= 8, "load went on after recovery: {}", late.len());
    assert!(
        late.iter().all(|o| o.status == 200),
        "normal answers from 5 s after the database is back: {late:?}"
    );
    assert!(late.iter().any(|o| o.what == "login") && late.iter().any(|o| o.what == "verify"));

    // Every session committed before the restart still verifies.
    for ust in &usts {
        let (status, reply) = call(
            &client,
            &server.base,
            "GET",
            "/api/v1/t/default/session",
            Some(ust),
            None,
        )
        .await;
        assert_eq!(status, 200, "{reply}");
    }
    let (status, _) = call(&client, &server.base, "GET", "/readyz", None, None).await;
    assert_eq!(status, 200);
    drop(server);
    drop(cluster);
}

fn stop_cluster(bin: &Path, data: &str, root: bool) {
    let out = pg_ctl(bin, root)
        .args(["-D", data, "-m", "fast", "-w", "-t", "60", "stop"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_ctl stop: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
