//! The machine's own ceilings, measured in the same run as Gatehouse, so that each of Gatehouse's figures is
//! read as a share of what the machine gives at that moment (a busy neighbour slows both alike):
//! - `pgbench -S` with 16 clients: one indexed read per transaction, the most a UST check could do on this
//!   PostgreSQL;
//! - `GET /healthz` through the same HTTP client: the most the server's HTTP stack answers with no work behind.

use crate::load::{self, Request};
use crate::seed::Db;
use crate::{Pick, RUNS, secs};
use std::process::Command;
use std::sync::Arc;

/// The database pgbench reads; created, filled and dropped here.
const PGBENCH_DATABASE: &str = "gatehouse_bench_pgbench";
/// pgbench's scale: 10 × 100 000 accounts, so its reads are indexed lookups in a table larger than a page.
const PGBENCH_SCALE: &str = "10";
pub const CLIENTS: usize = 16;

/// The ceilings of one run, each the median of its runs.
#[derive(Debug, Clone, Copy)]
pub struct Ceilings {
    pub pgbench_select: f64,
    pub healthz: f64,
}

/// `pgbench -S` transactions per second, `RUNS` times, against a scratch database of `admin_url`'s server.
pub fn pgbench_select(admin_url: &str, seconds: f64) -> Result<Vec<f64>, String> {
    let root = Db {
        admin_url: format!("{admin_url}/postgres"),
    };
    root.sql(&format!(
        "DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE); CREATE DATABASE {PGBENCH_DATABASE};"
    ))?;
    let url = format!("{admin_url}/{PGBENCH_DATABASE}");
    run_pgbench(&["-i", "-q", "-s", PGBENCH_SCALE, &url])?;
    let duration = (seconds.round() as u64).max(1).to_string();
    let clients = CLIENTS.to_string();
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let out = run_pgbench(&["-S", "-n", "-c", &clients, "-j", "2", "-T", &duration, &url])?;
        rates.push(tps(&out).ok_or_else(|| format!("pgbench printed no tps: {out}"))?);
    }
    root.sql(&format!("DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE);"))?;
    Ok(rates)
}

fn run_pgbench(args: &[&str]) -> Result<String, String> {
    let out = Command::new("pgbench")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run pgbench (Debian's postgresql package has it): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The rate of a pgbench report: its `tps = N (without initial connection time)` line.
fn tps(report: &str) -> Option<f64> {
    report
        .lines()
        .find(|l| l.starts_with("tps = "))?
        .trim_start_matches("tps = ")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `GET /healthz` answers per second, `RUNS` times, with the harness's own client and `CLIENTS` connections.
pub async fn healthz(addr: std::net::SocketAddr, seconds: f64) -> Result<Vec<f64>, String> {
    let pick: Pick = Arc::new(|_| Request::new("GET", "/healthz", &[], None));
    let _ = load::closed_loop(addr, CLIENTS, secs(1.0), Arc::clone(&pick)).await;
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let out = load::closed_loop(addr, CLIENTS, secs(seconds), Arc::clone(&pick)).await;
        crate::check_all(&out, 200, "GET /healthz")?;
        rates.push(out.rate(200));
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rate_of_a_pgbench_report() {
        let report = "pgbench (15.20)\ntransaction type: <builtin: select only>\nscaling factor: 10\n\
                      number of transactions actually processed: 226958\nlatency average = 0.421 ms\n\
                      initial connection time = 12.3 ms\ntps = 37826.123456 (without initial connection time)\n";
        assert_eq!(tps(report), Some(37826.123456));
        assert_eq!(tps("no rate here"), None);
    }
}
