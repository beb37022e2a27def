//! The server under test: the release binary started on the bench database with the harness's settings, its
//! readiness awaited, its resident memory read from `/proc`.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `binary serve` with `GATEHOUSE__…` settings; waits for `/healthz`.
    pub fn start(binary: &str, addr: SocketAddr, settings: &[(&str, String)]) -> Result<Server, String> {
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GATEHOUSE__SERVER__BIND", addr.to_string())
            .env("GATEHOUSE__SERVER__METRICS_BIND", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in settings {
            command.env(format!("GATEHOUSE__{}", key.replace('.', "__").to_uppercase()), value);
        }
        let child = command.spawn().map_err(|e| format!("cannot start {binary}: {e}"))?;
        let mut server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the server exited at start: {status}"));
            }
            if healthy(addr) {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.stop();
        Err("the server did not answer /healthz within 60 s".to_owned())
    }

    /// Resident memory in MiB.
    pub fn rss_mib(&self) -> f64 {
        rss_mib_of(self.child.id())
    }

    /// The part of the resident memory that is the process's own (heap, stacks, relocated data), in MiB: the
    /// rest is pages of the binary and its libraries mapped from the page cache.
    pub fn rss_anon_mib(&self) -> f64 {
        status_mib(self.child.id(), "RssAnon:")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A process's resident memory in MiB (0 if it cannot be read).
pub fn rss_mib_of(pid: u32) -> f64 {
    status_mib(pid, "VmRSS:")
}

/// A field of `/proc/PID/status` given in kB, in MiB (0 if it cannot be read).
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn healthy(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// Samples the server's memory every 100 ms while `during` runs; returns its result and the peak in MiB.
pub async fn peak_rss<T>(pid: u32, during: impl std::future::Future<Output = T>) -> (T, f64) {
    let peak = std::sync::Arc::new(std::sync::Mutex::new(0.0f64));
    let sampler = {
        let peak = std::sync::Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                let now = rss_mib_of(pid);
                if let Ok(mut p) = peak.lock() {
                    *p = p.max(now);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let result = during.await;
    sampler.abort();
    let peak = peak.lock().map(|p| *p).unwrap_or(0.0);
    (result, peak)
}
