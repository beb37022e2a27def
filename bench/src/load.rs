//! The load generator: plain HTTP/1.1 over keep-alive connections, written out so that its own cost stays small
//! and known. A closed loop (a fixed number of clients, each sending its next request when the last is answered)
//! finds the saturation rate; an open loop (requests sent on a fixed schedule whatever the answers) measures
//! latency at a given rate, timing each request from when it was due so that a slow answer cannot hide the
//! requests that queued behind it.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A request written out once and sent many times.
#[derive(Clone)]
pub struct Request(Arc<[u8]>);

impl Request {
    pub fn new(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Request {
        Request::typed(method, path, headers, body, "application/json")
    }

    /// A request whose body is of `content_type` (a form, for the OpenID Connect endpoints).
    pub fn typed(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        content_type: &str,
    ) -> Request {
        let mut text = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n");
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            text.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            text.push_str("\r\n");
        }
        Request(text.into_bytes().into())
    }
}

/// One keep-alive connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        })
    }

    /// Sends a request and reads the whole answer; returns its status and whether the connection stays open.
    pub async fn send(&mut self, request: &Request) -> io::Result<(u16, bool)> {
        self.stream.get_mut().write_all(&request.0).await?;
        let (status, keep) = self.read_head().await?;
        Ok((status, keep))
    }

    /// The body of the last answer.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    async fn read_head(&mut self) -> io::Result<(u16, bool)> {
        self.line.clear();
        if self.stream.read_line(&mut self.line).await? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        let status = parse_status(&self.line)?;
        let mut length = 0usize;
        let mut keep = true;
        loop {
            self.line.clear();
            if self.stream.read_line(&mut self.line).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed in a head",
                ));
            }
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().map_err(|_| bad("a bad content-length"))?;
                } else if name.eq_ignore_ascii_case("connection") && value.trim().eq_ignore_ascii_case("close") {
                    keep = false;
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(bad("chunked answers are not expected"));
                }
            }
        }
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body).await?;
        Ok((status, keep))
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn parse_status(line: &str) -> io::Result<u16> {
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => {
            code.parse().map_err(|_| bad("a bad status code"))
        }
        _ => Err(bad("not an HTTP/1 status line")),
    }
}

/// What a run recorded.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Latency of every answered request, in microseconds, with its status.
    pub samples: Vec<(u32, u16)>,
    pub errors: u64,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn count(&self, status: u16) -> usize {
        self.samples.iter().filter(|s| s.1 == status).count()
    }

    /// Answers with this status per second.
    pub fn rate(&self, status: u16) -> f64 {
        self.count(status) as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q` quantile (0..=1) of the latencies of answers with this status, in milliseconds.
    pub fn quantile_ms(&self, status: u16, q: f64) -> f64 {
        let mut v: Vec<u32> = self.samples.iter().filter(|s| s.1 == status).map(|s| s.0).collect();
        quantile(&mut v, q) / 1000.0
    }
}

/// The `q` quantile by the nearest-rank method; 0 for no values.
pub fn quantile(values: &mut [u32], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    f64::from(values[rank - 1])
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// `clients` connections each send requests back to back for `duration`; `pick(i)` chooses the i-th request.
pub async fn closed_loop(
    addr: SocketAddr,
    clients: usize,
    duration: Duration,
    pick: Arc<dyn Fn(u64) -> Request + Send + Sync>,
) -> Outcome {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let pick = Arc::clone(&pick);
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut conn: Option<Conn> = None;
            let mut i = c as u64;
            while Instant::now() < deadline {
                let request = pick(i);
                i += clients as u64;
                let sent = Instant::now();
                let result = match conn.as_mut() {
                    Some(c) => c.send(&request).await,
                    None => match Conn::open(addr).await {
                        Ok(c) => conn.insert(c).send(&request).await,
                        Err(e) => Err(e),
                    },
                };
                match result {
                    Ok((status, keep)) => {
                        out.samples.push((micros(sent.elapsed()), status));
                        if !keep {
                            conn = None;
                        }
                    }
                    Err(_) => {
                        out.errors += 1;
                        conn = None;
                    }
                }
            }
            out
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        if let Ok(out) = task.await {
            all.samples.extend(out.samples);
            all.errors += out.errors;
        }
    }
    all.elapsed = started.elapsed();
    all
}

/// Sends `rate` requests per second for `duration` on a fixed schedule, over as many keep-alive connections as
/// the answers' latency needs (up to `max_conns`; a request finding none free is counted as an error).
pub async fn open_loop(
    addr: SocketAddr,
    rate: f64,
    duration: Duration,
    max_conns: usize,
    pick: Arc<dyn Fn(u64) -> Request + Send + Sync>,
) -> Outcome {
    let idle: Arc<Mutex<Vec<Conn>>> = Arc::default();
    let opened = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Outcome>> = Arc::default();
    let started = Instant::now();
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let gap = Duration::from_secs_f64(1.0 / rate);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = started + gap.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (idle, opened, results, pick) = (
            Arc::clone(&idle),
            Arc::clone(&opened),
            Arc::clone(&results),
            Arc::clone(&pick),
        );
        tasks.push(tokio::spawn(async move {
            let reused = idle.lock().ok().and_then(|mut v| v.pop());
            let conn = match reused {
                Some(c) => Some(c),
                None if opened.fetch_add(1, Ordering::Relaxed) < max_conns => {
                    let fresh = Conn::open(addr).await.ok();
                    if fresh.is_none() {
                        opened.fetch_sub(1, Ordering::Relaxed);
                    }
                    fresh
                }
                None => {
                    opened.fetch_sub(1, Ordering::Relaxed);
                    None
                }
            };
            let Some(mut conn) = conn else {
                if let Ok(mut r) = results.lock() {
                    r.errors += 1;
                }
                return;
            };
            let result = conn.send(&pick(i)).await;
            let latency = micros(due.elapsed());
            match result {
                Ok((status, keep)) => {
                    if let Ok(mut r) = results.lock() {
                        r.samples.push((latency, status));
                    }
                    if keep && let Ok(mut v) = idle.lock() {
                        v.push(conn);
                    } else {
                        opened.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                Err(_) => {
                    opened.fetch_sub(1, Ordering::Relaxed);
                    if let Ok(mut r) = results.lock() {
                        r.errors += 1;
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut out = results.lock().map(|r| r.clone()).unwrap_or_default();
    out.elapsed = started.elapsed();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut v: Vec<u32> = (1..=100).rev().collect();
        assert_eq!(quantile(&mut v, 0.5), 50.0);
        assert_eq!(quantile(&mut v, 0.99), 99.0);
        assert_eq!(quantile(&mut v, 1.0), 100.0);
        assert_eq!(quantile(&mut [], 0.5), 0.0);
        assert_eq!(quantile(&mut [7], 0.01), 7.0);
    }

    #[test]
    fn requests_are_written_as_http_1_1_with_their_length() {
        let r = Request::new("POST", "/x", &[("X-A", "b")], Some("{}"));
        assert_eq!(
            std::str::from_utf8(&r.0).unwrap(),
            "POST /x HTTP/1.1\r\nHost: bench\r\nX-A: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
        assert_eq!(parse_status("HTTP/1.1 429 Too Many Requests\r\n").unwrap(), 429);
        assert!(parse_status("SSH-2.0\r\n").is_err());
    }

    /// Against a real listener: answers are read whole (so the next one on the connection parses), and a
    /// `Connection: close` answer is reported.
    #[tokio::test]
    async fn answers_on_one_connection_are_read_one_after_another() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                .await
                .unwrap();
            let _ = socket.read(&mut buf).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 2\r\n\r\nno")
                .await
                .unwrap();
        });
        let mut conn = Conn::open(addr).await.unwrap();
        let get = Request::new("GET", "/", &[], None);
        assert_eq!(conn.send(&get).await.unwrap(), (200, true));
        assert_eq!(conn.body(), b"hello");
        assert_eq!(conn.send(&get).await.unwrap(), (503, false));
        assert_eq!(conn.body(), b"no");
    }
}
