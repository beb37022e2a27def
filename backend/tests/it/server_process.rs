//! The real `gatehouse serve` as a child process, for what only a process shows: its log output, several
//! instances on one database, a database that goes away under it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    child: Child,
    pub base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `gatehouse serve` in `dir` on a free port with light hashing and `env` on top, and waits (up to
    /// 20 s) until `/healthz` answers.
    pub async fn start(dir: &Path, env: &[(&str, String)]) -> ServerProcess {
        let port = crate::common::free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.arg("serve")
            .current_dir(dir)
            .env("GATEHOUSE__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE__SERVER__METRICS_BIND", "127.0.0.1:0")
            .env("GATEHOUSE__HASHING__ARGON2_MEMORY_KIB", "256")
            .env("GATEHOUSE__HASHING__ARGON2_ITERATIONS", "1")
            .env("GATEHOUSE__HASHING__WORKERS", "2")
            .env("GATEHOUSE__DATABASE__POOL_SIZE", "4")
            .env_remove("GATEHOUSE_BOOTSTRAP_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            cmd.env(key, value);
        }
        let mut child = cmd.spawn().expect("start gatehouse serve");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line);
            }
        });
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
            lines,
        };
        let client = awc::Client::default();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(res) = client.get(server.url("/healthz")).send().await
                && res.status() == 200
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "gatehouse serve did not come up: {:?}",
                server.stderr_lines()
            );
            actix_rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// What the process has written to standard error so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request to a running server: method, path, UST (as a bearer), JSON body; the status and JSON reply
/// (`Null` when the reply is not JSON).
pub async fn call(
    client: &awc::Client,
    base: &str,
    method: &str,
    path: &str,
    ust: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = client
        .request(method.parse().expect("a method"), format!("{base}{path}"))
        .insert_header(("X-Current-App", "CRM"))
        .timeout(Duration::from_secs(30));
    if let Some(ust) = ust {
        req = req.insert_header(("Authorization", format!("Bearer {ust}")));
    }
    let sent = match body {
        Some(body) => req.send_json(&body).await,
        None => req.send().await,
    };
    let mut res = match sent {
        Ok(res) => res,
        Err(e) => panic!("{method} {path}: no response: {e}"),
    };
    let bytes = res.body().limit(1 << 20).await.unwrap_or_default();
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A native login in the `default` tenant as the app `CRM`: the status and JSON reply.
pub async fn login(client: &awc::Client, base: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    call(client, base, "POST", "/api/v1/t/default/login", None, Some(body)).await
}

/// The first sub-status of an error reply.
pub fn sub_status(reply: &serde_json::Value) -> String {
    reply["sub_status"][0].as_str().unwrap_or_default().to_owned()
}

/// The services opened in this process on a database the server processes share, to create what they need.
pub async fn setup_sso(db: &crate::common::TestDb, key: &str) -> gatehouse::sso::Sso {
    let mut config = crate::common::test_config(db);
    config.crypto.fernet_keys = gatehouse::config::SecretList::new(vec![key.to_owned()]);
    gatehouse::sso::Sso::open(config, gatehouse::sso::Clock::System, None)
        .await
        .expect("open the shared store")
        .sso
}

/// Creates an approved user whose password is `<name>'s passphrase`.
pub async fn add_user(sso: &gatehouse::sso::Sso, tenant: &str, name: &str, super_user: bool) {
    let tenant = sso.resolve_tenant(tenant).await.expect("tenant");
    let ctx = sso.cli_ctx(tenant);
    let new = gatehouse::sso::NewUser {
        username: name.into(),
        password: Some(gatehouse::crypto::password::Password::new(format!(
            "{name}'s passphrase"
        ))),
        auto_approve: true,
        is_super_user: super_user,
        ..gatehouse::sso::NewUser::default()
    };
    sso.create_user(&sso.cli_admin(ctx.tenant.clone()), new)
        .await
        .expect("create a user");
}
