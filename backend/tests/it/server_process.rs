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
    #[allow(dead_code)]
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
