//! `just bench`: measures Gatehouse against the targets of `docs/benchmarks.md` — the hashing limit and login
//! throughput, UST verification on both surfaces, memory, fairness between tenants, many tenants and a tenant with
//! a million users — against the release binary on a fresh PostgreSQL database. Every figure is measured three
//! times; the table shows the median and the spread, and is appended to `docs/benchmarks.md` with a description
//! of the machine. Nothing here is asserted: the figures are read against the targets by people.

mod ceilings;
mod figures;
mod load;
mod passkeys;
mod seed;
mod server;

use figures::{Figure, Report};
use gatehouse::crypto::argon2_worker::Argon2Worker;
use gatehouse::crypto::keyring::Keyring;
use load::{Outcome, Request};
use seed::Db;
use server::Server;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-password-1";
const ROLE: &str = "gatehouse_bench";
const DATABASE: &str = "gatehouse_bench";
const MEMORY_KIB: u32 = 19456;
const ITERATIONS: u32 = 2;
const RUNS: usize = 3;
/// The session cache holds every seeded session (10 000, and the checker's own).
const CACHED: &[(&str, &str)] = &[("server.session_cache_entries", "20000")];
/// Every UST check reads the database.
const UNCACHED: &[(&str, &str)] = &[("server.session_cache_entries", "0")];

/// Where a server under test finds the sessions it checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reads {
    Memory,
    Database,
}

impl Reads {
    fn words(self) -> &'static str {
        match self {
            Reads::Memory => "from memory",
            Reads::Database => "database read",
        }
    }
}

type Pick = Arc<dyn Fn(u64) -> Request + Send + Sync>;
/// The query string of the i-th search.
type QueryOf = fn(u64) -> String;

struct Bench {
    db: Db,
    binary: String,
    app_url: String,
    key: String,
    keyring: Keyring,
    workers: usize,
    /// Seconds of one run of a fast measurement (UST checks, searches); logins run twice as long.
    seconds: f64,
    report: Report,
    /// The administrator's URL of the PostgreSQL server, without a database.
    pg_admin: String,
    /// The machine's ceilings in this run, once measured: Gatehouse's figures are read as shares of them.
    ceilings: Option<ceilings::Ceilings>,
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let admin =
        std::env::var("GATEHOUSE_BENCH_PG_ADMIN").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let seconds: f64 = std::env::var("GATEHOUSE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let binary = std::env::var("GATEHOUSE_BENCH_BINARY").unwrap_or_else(|_| "target/release/gatehouse".into());
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let key = gatehouse::crypto::keys::generate();
    let keyring = Keyring::new(std::slice::from_ref(&key)).ok_or("a generated key does not load")?;
    let root = Db {
        admin_url: format!("{admin}/postgres"),
    };
    root.sql(&format!(
        "DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE);\n\
         DO $$ BEGIN CREATE ROLE {ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
         CREATE DATABASE {DATABASE} OWNER {ROLE};"
    ))?;
    let host = admin.rsplit('@').next().unwrap_or("127.0.0.1:5432");
    let mut bench = Bench {
        db: Db {
            admin_url: format!("{admin}/{DATABASE}"),
        },
        binary,
        app_url: format!("postgres://{ROLE}@{host}/{DATABASE}?sslmode=disable"),
        key,
        keyring,
        workers,
        seconds,
        report: Report::default(),
        pg_admin: admin.clone(),
        ceilings: None,
    };
    println!("bench: {workers} hashing workers, Argon2id m={MEMORY_KIB} t={ITERATIONS} p=1, runs of {seconds} s");

    // GATEHOUSE_BENCH_ONLY=PART measures one part alone (after a change to it), on a fresh database; without it,
    // every part runs, in the order below, and a part run alone is measured as it is in the full run.
    match std::env::var("GATEHOUSE_BENCH_ONLY").ok().as_deref() {
        None => bench.everything().await?,
        // A server started once creates the schema the seeding needs.
        Some("search") => {
            drop(bench.start("fair")?);
            bench.search().await?;
        }
        Some("enumeration") => {
            drop(bench.start("fair")?);
            bench.enumeration().await?;
        }
        Some("refresh") => {
            let server = bench.started().await?;
            bench.seed_main()?;
            bench.refresh(&server).await?;
        }
        Some("ust") => {
            let server = bench.started().await?;
            bench.ceilings(&server).await?;
            let seeded = bench.seed_main()?;
            bench.checks(&server, &seeded).await?;
        }
        Some("passkey") => {
            let (server, seeded, capacity) = bench.logins().await?;
            bench.passkey_logins(&server, &seeded, Some(capacity)).await?;
        }
        Some("login") => {
            let (server, seeded, capacity) = bench.logins().await?;
            bench.fairness(server, capacity).await;
            bench.scale(capacity, &seeded).await?;
        }
        Some(other) => {
            return Err(format!(
                "GATEHOUSE_BENCH_ONLY={other}: one of search, enumeration, refresh, ust, passkey, login"
            ));
        }
    }
    bench.finish(&root)
}

impl Bench {
    /// Every part, the machine's ceilings and the server's memory with them.
    async fn everything(&mut self) -> Result<(), String> {
        let raw = self.hashing_limit()?;
        let server = self.started().await?;
        let idle = server.rss_mib();
        let idle_anon = server.rss_anon_mib();
        self.ceilings(&server).await?;
        self.report
            .add(Figure::single("RSS idle", "MiB", idle).target("≤ 30", idle <= 30.0));
        self.report
            .add(Figure::single("RSS idle, the process's own pages (RssAnon)", "MiB", idle_anon).target("—", true));

        let seeded = self.seed_main()?;
        self.checks(&server, &seeded).await?;
        let after = server.rss_mib();
        self.report
            .add(Figure::single("RSS after 10 000 sessions verified", "MiB", after).target("—", true));
        let capacity = self.login(&server, raw).await?;
        self.passkey_logins(&server, &seeded, Some(capacity)).await?;
        let alone_p99 = self.fairness(server, capacity).await;
        let fifo = self.start("fifo")?;
        self.flood(&fifo, capacity, alone_p99, "fifo").await;
        drop(fifo);
        let refresh = self.start("fair")?;
        self.refresh(&refresh).await?;
        drop(refresh);
        self.scale(capacity, &seeded).await?;
        self.enumeration().await?;
        self.search().await
    }

    /// A server with the harness's settings, given two seconds to settle (its pool, its first start).
    async fn started(&self) -> Result<Server, String> {
        let server = self.start("fair")?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(server)
    }

    /// The raw hashing rate, then logins at saturation on a seeded server: the server, what was seeded and the
    /// login capacity.
    async fn logins(&mut self) -> Result<(Server, Seeded, f64), String> {
        let raw = self.hashing_limit()?;
        let server = self.started().await?;
        let seeded = self.seed_main()?;
        let capacity = self.login(&server, raw).await?;
        Ok((server, seeded, capacity))
    }

    /// Tenant B alone, then under tenant A's flood with the fair queue; the server stops after. B's p99 alone.
    async fn fairness(&mut self, server: Server, capacity: f64) -> f64 {
        let (alone_p99, alone) = self.tenant_alone(&server, capacity).await;
        self.report.add(alone);
        self.flood(&server, capacity, alone_p99, "fair").await;
        drop(server);
        alone_p99
    }

    /// Prints the table, appends it to the docs, and drops the database (unless GATEHOUSE_BENCH_KEEP is set).
    fn finish(&self, root: &Db) -> Result<(), String> {
        let machine = self.machine();
        if std::env::var_os("GATEHOUSE_BENCH_KEEP").is_none() {
            // Two million users: gone when done, unless they are wanted for a look.
            root.sql(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE);"))?;
        }
        let table = self.report.markdown();
        println!("\n{table}");
        figures::append_to_docs("docs/benchmarks.md", &table, &machine)?;
        println!("bench: appended to docs/benchmarks.md");
        Ok(())
    }
}

/// USTs and requests of the main tenant.
struct Seeded {
    usts: Vec<String>,
    boss: String,
    logins: Vec<Request>,
}

impl Bench {
    fn start(&self, order: &str) -> Result<Server, String> {
        self.start_with(order, CACHED)
    }

    /// A server with the harness's settings and `extra` ones (which come last, so they win).
    fn start_with(&self, order: &str, extra: &[(&str, &str)]) -> Result<Server, String> {
        let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?;
        let mut settings: Vec<(&str, String)> = vec![
            ("database.url", self.app_url.clone()),
            ("database.pool_size", "16".into()),
            ("crypto.fernet_keys", self.key.clone()),
            ("hashing.workers", self.workers.to_string()),
            ("hashing.queue_order", order.into()),
            ("login.max_failures_per_address", "1000000".into()),
            ("login.max_passkey_starts_per_address", "100000000".into()),
            // The enumeration figures send thousands of resets and sign-ups from one address.
            ("password_reset.max_requests_per_address", "100000000".into()),
            ("password_reset.max_requests_per_recipient", "100000000".into()),
            ("signup.max_requests_per_address", "100000000".into()),
            ("signup.max_requests_per_recipient", "100000000".into()),
            ("log.level", "warn".into()),
        ];
        settings.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        Server::start(&self.binary, addr, &settings)
    }

    /// Raw Argon2id verifications per second on the pool's threads, and per core against the C reference.
    fn hashing_limit(&mut self) -> Result<f64, String> {
        let hash = phc_hash(PASSWORD)?;
        let per_core: Vec<f64> = (0..RUNS).map(|_| verify_rate(&hash, 1, self.seconds)).collect();
        let pool: Vec<f64> = (0..RUNS)
            .map(|_| verify_rate(&hash, self.workers, self.seconds))
            .collect();
        let reference = reference_rate(self.seconds);
        let pool_median = figures::median(&pool);
        self.report.add(Figure::runs(
            "Argon2id verify, argon2 crate, 1 thread",
            "/s",
            per_core.clone(),
        ));
        match reference {
            Ok(c) => {
                let ratio = figures::median(&per_core) / figures::median(&c);
                self.report.add(Figure::runs(
                    "Argon2id verify, C reference (argon2-cffi), 1 thread",
                    "/s",
                    c,
                ));
                self.report
                    .add(Figure::single("crate / C reference per core", "×", ratio).target("≈ 1", ratio >= 0.9));
            }
            Err(e) => println!("bench: the C reference could not be measured: {e}"),
        }
        self.report.add(Figure::runs(
            &format!("Argon2id verify, {} threads (the physical limit)", self.workers),
            "/s",
            pool,
        ));
        Ok(pool_median)
    }

    fn seed_main(&self) -> Result<Seeded, String> {
        let started = Instant::now();
        let hash = phc_hash(PASSWORD)?;
        for slug in ["bench", "flood", "steady"] {
            self.db.tenants(slug, 0)?;
        }
        self.db.users("bench", 1000, &hash)?;
        self.db.users("flood", 200, &hash)?;
        self.db.users("steady", 200, &hash)?;
        self.db.make_super("bench", "user0")?;
        let names: Vec<String> = (0..10_000).map(|i| format!("user{}", i % 1000)).collect();
        let usts = self.db.sessions(&self.keyring, "bench", &names)?;
        let boss = usts[0].clone();
        println!(
            "bench: seeded 3 tenants, 1 400 users, 10 000 sessions in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(Seeded {
            usts,
            boss,
            logins: login_requests("bench", 1000),
        })
    }

    /// The machine's ceilings, measured now: `pgbench -S` and `GET /healthz`, with the clients the UST checks
    /// use.
    async fn ceilings(&mut self, server: &Server) -> Result<ceilings::Ceilings, String> {
        let clients = ceilings::CLIENTS;
        let pgbench = ceilings::pgbench_select(&self.pg_admin, self.seconds)?;
        let healthz = ceilings::healthz(server.addr, self.seconds).await?;
        let found = ceilings::Ceilings {
            pgbench_select: figures::median(&pgbench),
            healthz: figures::median(&healthz),
        };
        self.report.add(Figure::runs(
            &format!("Ceiling: pgbench -S, {clients} clients (one indexed read a transaction)"),
            "/s",
            pgbench,
        ));
        self.report.add(Figure::runs(
            &format!("Ceiling: GET /healthz, {clients} clients"),
            "/s",
            healthz,
        ));
        self.ceilings = Some(found);
        Ok(found)
    }

    /// UST checks on both surfaces by `server` (which keeps sessions in memory) and by a server that reads each
    /// from the database, and how long a session ended on one instance stays usable on the other.
    async fn checks(&mut self, server: &Server, seeded: &Seeded) -> Result<(), String> {
        self.verify(server, seeded, false, Reads::Memory).await?;
        self.verify(server, seeded, true, Reads::Memory).await?;
        let reading = self.start_with("fair", UNCACHED)?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.verify(&reading, seeded, false, Reads::Database).await?;
        self.verify(&reading, seeded, true, Reads::Database).await?;
        self.invalidation(&reading, server).await
    }

    /// From a logout's answer on one instance to the first refusal of the same UST by another that had the
    /// session in memory: the time another instance takes to hear of the change.
    async fn invalidation(&mut self, writer: &Server, reader: &Server) -> Result<(), String> {
        let names: Vec<String> = (0..200).map(|i| format!("user{i}")).collect();
        let usts = self.db.sessions(&self.keyring, "bench", &names)?;
        let open = |addr| async move { load::Conn::open(addr).await.map_err(|e| e.to_string()) };
        let (mut a, mut b) = (open(writer.addr).await?, open(reader.addr).await?);
        let mut heard = Vec::with_capacity(usts.len());
        for ust in &usts {
            let auth = format!("Bearer {ust}");
            let headers = [("Authorization", auth.as_str()), ("X-Current-App", "CRM")];
            let check = Request::new("GET", "/api/v1/t/bench/session", &headers, None);
            let logout = Request::new("POST", "/api/v1/t/bench/logout", &headers, None);
            for _ in 0..2 {
                let (status, _) = b.send(&check).await.map_err(|e| e.to_string())?;
                if status != 200 {
                    return Err(format!("invalidation: a seeded session answered {status}"));
                }
            }
            let (status, _) = a.send(&logout).await.map_err(|e| e.to_string())?;
            if status != 204 {
                return Err(format!("invalidation: the logout answered {status}"));
            }
            let ended = Instant::now();
            loop {
                let (status, _) = b.send(&check).await.map_err(|e| e.to_string())?;
                if status == 401 {
                    break;
                }
                if status != 200 || ended.elapsed() > Duration::from_secs(10) {
                    return Err(format!("invalidation: still {status} after {:?}", ended.elapsed()));
                }
            }
            heard.push(ended.elapsed().as_secs_f64() * 1000.0);
        }
        heard.sort_by(f64::total_cmp);
        let at = |q: f64| heard[((heard.len() as f64 - 1.0) * q).round() as usize];
        let (p50, p99) = (at(0.5), at(0.99));
        self.report.add(Figure::single(
            "A session ended on one instance, refused by another that kept it: p50",
            "ms",
            p50,
        ));
        self.report.add(
            Figure::single(
                "A session ended on one instance, refused by another that kept it: p99",
                "ms",
                p99,
            )
            .target("≤ 100", p99 <= 100.0),
        );
        Ok(())
    }

    /// UST checks at saturation and at half of it, by a server that keeps sessions in memory or reads each.
    async fn verify(&mut self, server: &Server, seeded: &Seeded, zato: bool, reads: Reads) -> Result<(), String> {
        let pick = if zato {
            cycle(
                seeded
                    .usts
                    .iter()
                    .map(|ust| {
                        let body =
                            serde_json::json!({"current_ust": seeded.boss, "target_ust": ust, "current_app": "CRM"});
                        Request::new("POST", "/t/bench/zato/sso/user/session", &[], Some(&body.to_string()))
                    })
                    .collect(),
            )
        } else {
            native_verify(&seeded.usts)
        };
        let surface = format!(
            "{}, {}",
            if zato {
                "Zato POST /zato/sso/user/session"
            } else {
                "native GET /session"
            },
            reads.words()
        );
        let surface = surface.as_str();
        warm_up(server.addr, &pick).await;
        let mut rates = Vec::new();
        for _ in 0..RUNS {
            let out = load::closed_loop(server.addr, 16, secs(self.seconds), Arc::clone(&pick)).await;
            check_all(&out, 200, surface)?;
            rates.push(out.rate(200));
        }
        let saturation = figures::median(&rates);
        let native = !zato;
        let (from_memory, from_database) = (native && reads == Reads::Memory, native && reads == Reads::Database);
        self.report.add(
            Figure::runs(&format!("UST verify, {surface}, saturation"), "/s", rates).target(
                if from_memory { "≥ 10 000" } else { "—" },
                !from_memory || saturation >= 10_000.0,
            ),
        );
        if let Some(c) = self.ceilings {
            // A read from the database is held against the database's own rate, one from memory against the
            // HTTP stack's.
            let share = saturation / c.pgbench_select;
            let figure = Figure::single(&format!("UST verify, {surface} / pgbench -S"), "×", share);
            self.report.add(if from_database {
                figure.target("≥ 0.5", share >= 0.5)
            } else {
                figure
            });
            let share = saturation / c.healthz;
            let figure = Figure::single(&format!("UST verify, {surface} / GET /healthz"), "×", share);
            self.report.add(if from_memory {
                figure.target("≥ 0.5", share >= 0.5)
            } else {
                figure
            });
        }
        let (p50, p99) = self
            .latency(server.addr, saturation / 2.0, self.seconds, &pick, 200)
            .await;
        self.report.add(Figure::runs(
            &format!("UST verify, {surface}, p50 at half load"),
            "ms",
            p50,
        ));
        let p99_median = figures::median(&p99);
        self.report.add(
            Figure::runs(&format!("UST verify, {surface}, p99 at half load"), "ms", p99).target(
                if from_database { "≤ 5" } else { "—" },
                !from_database || p99_median <= 5.0,
            ),
        );
        Ok(())
    }

    /// The token endpoint's refresh grant at saturation: each request uses up one seeded refresh token (of its
    /// own offline grant), so every run has fresh ones: a replay would be refused and end its family.
    async fn refresh(&mut self, server: &Server) -> Result<(), String> {
        const PER_RUN: u64 = 60_000;
        let secret = "ghcs_bench-secret";
        let started = Instant::now();
        self.db.refresh_grants(
            "bench",
            "CRM",
            &gatehouse::crypto::sha256_hex(secret),
            u32::try_from(PER_RUN * (RUNS as u64 + 1)).unwrap_or(u32::MAX),
        )?;
        println!(
            "bench: seeded {} refresh grants in {:.1} s",
            PER_RUN * (RUNS as u64 + 1),
            started.elapsed().as_secs_f64()
        );
        let basic = {
            use base64::Engine;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("CRM:{secret}"))
            )
        };
        let range = |run: u64| -> Pick {
            let basic = basic.clone();
            Arc::new(move |i| {
                let token = run * PER_RUN + i % PER_RUN;
                Request::typed(
                    "POST",
                    "/t/bench/oidc/token",
                    &[("Authorization", basic.as_str())],
                    Some(&format!("grant_type=refresh_token&refresh_token=ghrt_bench{token}")),
                    "application/x-www-form-urlencoded",
                )
            })
        };
        warm_up(server.addr, &range(RUNS as u64)).await;
        let mut rates = Vec::new();
        for run in 0..RUNS as u64 {
            let out = load::closed_loop(server.addr, 16, secs(self.seconds), range(run)).await;
            check_all(&out, 200, "refresh grant")?;
            rates.push(out.rate(200));
        }
        self.report
            .add(Figure::runs("OpenID Connect refresh grants at saturation", "/s", rates));
        Ok(())
    }

    /// Open-loop runs at `rate`; the p50s and p99s of answers with `status`.
    async fn latency(
        &self,
        addr: SocketAddr,
        rate: f64,
        seconds: f64,
        pick: &Pick,
        status: u16,
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut p50, mut p99) = (Vec::new(), Vec::new());
        warm_up(addr, pick).await;
        for _ in 0..RUNS {
            let out = load::open_loop(addr, rate, secs(seconds), 512, Arc::clone(pick)).await;
            p50.push(out.quantile_ms(status, 0.5));
            p99.push(out.quantile_ms(status, 0.99));
        }
        (p50, p99)
    }

    /// Login at saturation (with memory sampled), its ratio to the raw limit, and latency at half of it. Each
    /// login run follows a raw run of its own (the server idle meanwhile), and the ratio is taken run by run: the
    /// machine's speed drifts over minutes, by more than the gap the ratio is about.
    async fn login(&mut self, server: &Server, raw: f64) -> Result<f64, String> {
        let pick = cycle(login_requests("bench", 1000));
        let hash = phc_hash(PASSWORD)?;
        let mut rates = Vec::new();
        let mut adjacent = Vec::new();
        let mut ratios = Vec::new();
        let mut peak = 0.0f64;
        for _ in 0..RUNS {
            let limit = verify_rate(&hash, self.workers, self.seconds);
            adjacent.push(limit);
            let clients = 4 * self.workers;
            let (out, rss) = server::peak_rss(
                server.pid(),
                load::closed_loop(server.addr, clients, secs(2.0 * self.seconds), Arc::clone(&pick)),
            )
            .await;
            check_all(&out, 200, "login")?;
            rates.push(out.rate(200));
            ratios.push(out.rate(200) / limit);
            peak = peak.max(rss);
        }
        let capacity = figures::median(&rates);
        let ratio = figures::median(&ratios);
        self.report.add(Figure::runs(
            &format!("Argon2id verify, {} threads, just before each login run", self.workers),
            "/s",
            adjacent,
        ));
        self.report
            .add(Figure::runs("Login through HTTP at saturation", "/s", rates));
        self.report
            .add(Figure::runs("login / raw verify of the same minute", "×", ratios).target("≥ 0.97", ratio >= 0.97));
        let first = capacity / raw;
        self.report
            .add(Figure::single("login / raw verify measured at the start of the run", "×", first).target("—", true));
        self.report
            .add(Figure::single("RSS at login saturation (peak)", "MiB", peak).target("≤ 120", peak <= 120.0));
        let (p50, p99) = self
            .latency(server.addr, capacity / 2.0, 2.0 * self.seconds, &pick, 200)
            .await;
        self.report.add(Figure::runs("Login p50 at half load", "ms", p50));
        self.report.add(Figure::runs("Login p99 at half load", "ms", p99));
        Ok(capacity)
    }

    /// Username-less passkey logins at saturation (16 clients, one passkey each: options, then the signed
    /// answer), next to the password logins' rate on the same cores when it was measured.
    async fn passkey_logins(
        &mut self,
        server: &Server,
        seeded: &Seeded,
        password_rate: Option<f64>,
    ) -> Result<(), String> {
        let mut keys = Vec::new();
        for ust in seeded.usts.iter().skip(1).take(16) {
            keys.push(passkeys::enrol(server.addr, "bench", ust, PASSWORD).await?);
        }
        let mut rates = Vec::new();
        for _ in 0..RUNS {
            // The authenticators move into the run and come back with their counters.
            let (rate, back) = passkeys::logins(server.addr, "bench", keys, secs(self.seconds)).await?;
            rates.push(rate);
            keys = back;
        }
        let median = figures::median(&rates);
        self.report.add(Figure::runs(
            "Passkey login (username-less) through HTTP at saturation",
            "/s",
            rates,
        ));
        if let Some(password) = password_rate {
            self.report
                .add(Figure::single("passkey login / password login", "×", median / password).target("—", true));
        }
        Ok(())
    }

    /// Tenant B alone at 10 % of capacity: its p99.
    async fn tenant_alone(&self, server: &Server, capacity: f64) -> (f64, Figure) {
        let steady = cycle(login_requests("steady", 200));
        let mut p99 = Vec::new();
        for _ in 0..RUNS {
            let out = load::open_loop(
                server.addr,
                capacity / 10.0,
                secs(2.0 * self.seconds),
                64,
                Arc::clone(&steady),
            )
            .await;
            p99.push(out.quantile_ms(200, 0.99));
        }
        let median = figures::median(&p99);
        (
            median,
            Figure::runs("Tenant B alone (10 % of capacity), p99", "ms", p99),
        )
    }

    /// Tenant A floods at 10× capacity while B sends 10 % of capacity: B's p99 and successes.
    async fn flood(&mut self, server: &Server, capacity: f64, alone_p99: f64, order: &str) {
        let flood = cycle(login_requests("flood", 200));
        let steady = cycle(login_requests("steady", 200));
        let (mut p99, mut failed, mut flood_refused) = (Vec::new(), 0usize, 0usize);
        let mut sent = 0usize;
        for _ in 0..RUNS {
            let duration = secs(2.0 * self.seconds);
            let a = load::open_loop(server.addr, 10.0 * capacity, duration, 2000, Arc::clone(&flood));
            let b = load::open_loop(server.addr, capacity / 10.0, duration, 64, Arc::clone(&steady));
            let (a, b): (Outcome, Outcome) = tokio::join!(a, b);
            p99.push(b.quantile_ms(200, 0.99));
            sent += b.samples.len() + b.errors as usize;
            failed += b.samples.len() - b.count(200) + b.errors as usize;
            flood_refused += a.count(429);
        }
        let median = figures::median(&p99);
        let ratio = median / alone_p99;
        let name = format!("Tenant B under A's flood ({order} queue), p99");
        let figure = Figure::runs(&name, "ms", p99);
        self.report.add(if order == "fair" {
            figure.target("≤ 3× alone", ratio <= 3.0)
        } else {
            figure.target("(comparison)", true)
        });
        self.report.add(
            Figure::single(&format!("B's p99 under flood / alone ({order})"), "×", ratio).target(
                if order == "fair" { "≤ 3" } else { "—" },
                order != "fair" || ratio <= 3.0,
            ),
        );
        self.report.add(
            Figure::single(
                &format!("B's requests failed under flood ({order}), of {sent}"),
                "",
                failed as f64,
            )
            .target(if order == "fair" { "0" } else { "—" }, order != "fair" || failed == 0),
        );
        println!("bench: A's flood ({order}): {flood_refused} logins refused with 429 over the runs");
    }

    /// Login and verify latency with 10 000 tenants of 100 users each, against the figures with few tenants.
    async fn scale(&mut self, capacity: f64, seeded: &Seeded) -> Result<(), String> {
        let server = self.start("fair")?;
        let login = cycle(seeded.logins.clone());
        let verify = native_verify(&seeded.usts);
        // The same server state before and after: measured here with 3 tenants, then with 10 003.
        let (_, login_few) = self
            .latency(server.addr, capacity / 2.0, 2.0 * self.seconds, &login, 200)
            .await;
        let (_, verify_few) = self.latency(server.addr, 2000.0, self.seconds, &verify, 200).await;
        let started = Instant::now();
        self.db.tenants("scale", 10_000)?;
        self.db.users("scale%", 100, &phc_hash(PASSWORD)?)?;
        self.db.sql("VACUUM ANALYZE;\nCHECKPOINT;")?;
        println!(
            "bench: seeded 10 000 tenants with 100 users each in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // Spread the tenant cache and the connections over many tenants before measuring.
        // (a junk UST is refused after the tenant is resolved, without hashing).
        let spread: Pick = Arc::new(|i| {
            let path = format!("/api/v1/t/scale{:05}/session", 1 + i % 10_000);
            Request::new(
                "GET",
                &path,
                &[("Authorization", "Bearer junk"), ("X-Current-App", "CRM")],
                None,
            )
        });
        let _ = load::open_loop(server.addr, 2000.0, secs(5.0), 64, spread).await;
        let (_, login_many) = self
            .latency(server.addr, capacity / 2.0, 2.0 * self.seconds, &login, 200)
            .await;
        let (_, verify_many) = self.latency(server.addr, 2000.0, self.seconds, &verify, 200).await;
        for (what, few, many) in [
            ("Login", login_few, login_many),
            ("UST verify (2 000/s)", verify_few, verify_many),
        ] {
            let ratio = figures::median(&many) / figures::median(&few);
            self.report
                .add(Figure::runs(&format!("{what} p99, 3 tenants"), "ms", few));
            self.report
                .add(Figure::runs(&format!("{what} p99, 10 003 tenants"), "ms", many));
            self.report.add(
                Figure::single(&format!("{what} p99, many / few tenants"), "×", ratio).target("≤ 1.10", ratio <= 1.10),
            );
        }
        Ok(())
    }

    /// User search in a tenant with a million users.
    async fn search(&mut self) -> Result<(), String> {
        let started = Instant::now();
        self.db.tenants("big", 0)?;
        self.db.users("big", 1_000_000, &phc_hash(PASSWORD)?)?;
        self.db.make_super("big", "user0")?;
        self.db.sql("VACUUM ANALYZE;\nCHECKPOINT;")?;
        let boss = self.db.sessions(&self.keyring, "big", &["user0".to_owned()])?.remove(0);
        println!(
            "bench: seeded a tenant of 1 000 000 users in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let server = self.start("fair")?;
        let auth = format!("Bearer {boss}");
        let kinds: [(&str, QueryOf); 4] = [
            ("username, exact", |i| {
                format!("username=user{}", (i * 7919) % 1_000_000)
            }),
            ("display name, exact", |i| {
                format!("display_name=User%20{}", (i * 7919) % 1_000_000)
            }),
            ("display name, substring", |i| {
                format!("display_name={}&is_name_exact=false", 10_000 + (i * 7919) % 90_000)
            }),
            ("last name, exact (5 % of the tenant)", |i| {
                format!("last_name={}", ["Smith", "Jones", "Brown", "Taylor"][i as usize % 4])
            }),
        ];
        for (name, query) in kinds {
            let auth = auth.clone();
            let pick: Pick = Arc::new(move |i| {
                Request::new(
                    "GET",
                    &format!("/api/v1/t/big/users?{}", query(i)),
                    &[("Authorization", auth.as_str()), ("X-Current-App", "CRM")],
                    None,
                )
            });
            let mut p95 = Vec::new();
            for _ in 0..RUNS {
                let out = load::closed_loop(server.addr, 1, secs(self.seconds), Arc::clone(&pick)).await;
                check_all(&out, 200, name)?;
                p95.push(out.quantile_ms(200, 0.95));
            }
            let median = figures::median(&p95);
            self.report.add(
                Figure::runs(&format!("Search in 1 M users: {name}, p95"), "ms", p95).target("≤ 50", median <= 50.0),
            );
        }
        Ok(())
    }

    /// Whether answers tell who exists: the median time of a password-reset request for an unknown credential
    /// over that for a user with an address, and of a sign-up with a new username over one with a taken
    /// username (target 1.00 ± 0.05), one client, runs alternating.
    async fn enumeration(&mut self) -> Result<(), String> {
        self.db.tenants("enum", 0)?;
        self.db.users("enum", 10_000, &phc_hash(PASSWORD)?)?;
        self.db.sql("UPDATE users SET email = username || '@example.com' WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'enum');")?;
        let server = self.start("fair")?;
        let headers: &[(&str, &str)] = &[("X-Current-App", "CRM")];
        let reset = |known: bool| -> Pick {
            Arc::new(move |i| {
                let credential = if known {
                    format!("user{}", (i * 7919) % 10_000)
                } else {
                    format!("nobody{i}")
                };
                let body = serde_json::json!({ "credential": credential }).to_string();
                Request::new("POST", "/api/v1/t/enum/password-reset", headers, Some(&body))
            })
        };
        // Unknown names must stay unknown across runs: each run draws from its own range.
        let signup = |known: bool, run: u64| -> Pick {
            Arc::new(move |i| {
                let username = if known {
                    format!("user{}", (i * 7919) % 10_000)
                } else {
                    format!("new{run}x{i}")
                };
                let body = serde_json::json!({
                    "username": username,
                    "password": "a fine bench passphrase",
                    "email": format!("{username}.s{run}@example.org"),
                })
                .to_string();
                Request::new("POST", "/api/v1/t/enum/signup", headers, Some(&body))
            })
        };
        let mut reset_ratios = Vec::new();
        let mut signup_ratios = Vec::new();
        for run in 0..RUNS as u64 {
            let known = load::closed_loop(server.addr, 1, secs(self.seconds), reset(true)).await;
            let unknown = load::closed_loop(server.addr, 1, secs(self.seconds), reset(false)).await;
            check_all(&known, 202, "reset, known")?;
            check_all(&unknown, 202, "reset, unknown")?;
            reset_ratios.push(unknown.quantile_ms(202, 0.5) / known.quantile_ms(202, 0.5));
            let known = load::closed_loop(server.addr, 1, secs(self.seconds), signup(true, run)).await;
            let unknown = load::closed_loop(server.addr, 1, secs(self.seconds), signup(false, run)).await;
            check_all(&unknown, 202, "sign-up, new name")?;
            signup_ratios.push(median_any(&unknown) / median_any(&known));
        }
        for (name, ratios) in [
            ("Password reset: unknown / known credential, median time", reset_ratios),
            ("Sign-up: new / taken username, median time", signup_ratios),
        ] {
            let median = figures::median(&ratios);
            self.report
                .add(Figure::runs(name, "×", ratios).target("1.00 ± 0.05", (median - 1.0).abs() <= 0.05));
        }
        Ok(())
    }

    fn machine(&self) -> String {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                c.lines().find_map(|l| {
                    l.strip_prefix("model name")
                        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
                })
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .next()
                    .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
            })
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or_else(
                || "unknown memory".into(),
                |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0),
            );
        let postgres = self.db.sql("SHOW server_version;").unwrap_or_else(|_| "unknown".into());
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        format!(
            "{} cores ({cpu}), {memory}, PostgreSQL {postgres}; client, server and database on the same machine; \
             commit {commit}; runs of {} s (logins {} s)",
            self.workers,
            self.seconds,
            2.0 * self.seconds
        )
    }
}

/// One unmeasured second of the same requests: the pool's connections opened, the caches filled.
async fn warm_up(addr: SocketAddr, pick: &Pick) {
    let _ = load::closed_loop(addr, 16, secs(1.0), Arc::clone(pick)).await;
}

/// The median latency of every answer, whatever its status (a taken name is refused), in milliseconds.
fn median_any(out: &Outcome) -> f64 {
    let mut v: Vec<u32> = out.samples.iter().map(|s| s.0).collect();
    load::quantile(&mut v, 0.5) / 1000.0
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// An Argon2id hash of `password` with the server's default parameters.
fn phc_hash(password: &str) -> Result<String, String> {
    Argon2Worker::new(default_params()?).hash(password.as_bytes())
}

fn default_params() -> Result<argon2::Params, String> {
    argon2::Params::new(MEMORY_KIB, ITERATIONS, 1, None).map_err(|e| e.to_string())
}

/// Verifications per second on `threads` threads for `seconds`, done as the server's hashing threads do them.
fn verify_rate(hash: &str, threads: usize, seconds: f64) -> f64 {
    let deadline = Instant::now() + secs(seconds);
    let started = Instant::now();
    let done: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let Ok(params) = default_params() else { return 0 };
                    let mut worker = Argon2Worker::new(params);
                    let mut n = 0;
                    while Instant::now() < deadline {
                        if worker.verify(PASSWORD.as_bytes(), hash) {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    done as f64 / started.elapsed().as_secs_f64()
}

/// The C reference implementation's rate on one thread, through Python's argon2-cffi (installed into
/// `.venv-bench` when missing).
fn reference_rate(seconds: f64) -> Result<Vec<f64>, String> {
    let venv = ".venv-bench";
    let python = format!("{venv}/bin/python");
    let has = |python: &str| {
        std::process::Command::new(python)
            .args(["-c", "import argon2"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has(&python) {
        let made = std::process::Command::new("python3")
            .args(["-m", "venv", venv])
            .status();
        let installed = std::process::Command::new(format!("{venv}/bin/pip"))
            .args(["install", "-q", "argon2-cffi"])
            .status();
        if !made.is_ok_and(|s| s.success()) || !installed.is_ok_and(|s| s.success()) || !has(&python) {
            return Err("argon2-cffi could not be installed".into());
        }
    }
    let script = format!(
        "import time, argon2\n\
         ph = argon2.PasswordHasher(time_cost={ITERATIONS}, memory_cost={MEMORY_KIB}, parallelism=1)\n\
         h = ph.hash('{PASSWORD}')\n\
         n = 0\n\
         t = time.perf_counter()\n\
         while time.perf_counter() - t < {seconds}:\n    ph.verify(h, '{PASSWORD}'); n += 1\n\
         print(n / (time.perf_counter() - t))\n"
    );
    (0..RUNS)
        .map(|_| {
            let out = std::process::Command::new(&python)
                .args(["-c", &script])
                .output()
                .map_err(|e| e.to_string())?;
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("argon2-cffi said: {}", String::from_utf8_lossy(&out.stderr).trim()))
        })
        .collect()
}

fn login_requests(tenant: &str, users: u32) -> Vec<Request> {
    (0..users)
        .map(|i| {
            let body = serde_json::json!({"username": format!("user{i}"), "password": PASSWORD});
            Request::new(
                "POST",
                &format!("/api/v1/t/{tenant}/login"),
                &[("X-Current-App", "CRM")],
                Some(&body.to_string()),
            )
        })
        .collect()
}

/// Picks the requests in turn, round and round.
fn cycle(requests: Vec<Request>) -> Pick {
    Arc::new(move |i| requests[i as usize % requests.len()].clone())
}

/// The native UST check of each session, in turn.
fn native_verify(usts: &[String]) -> Pick {
    cycle(
        usts.iter()
            .map(|ust| {
                let auth = format!("Bearer {ust}");
                Request::new(
                    "GET",
                    "/api/v1/t/bench/session",
                    &[("Authorization", auth.as_str()), ("X-Current-App", "CRM")],
                    None,
                )
            })
            .collect(),
    )
}

/// Every answer must have the expected status: a benchmark of errors measures nothing.
fn check_all(out: &Outcome, status: u16, what: &str) -> Result<(), String> {
    let wrong = out.samples.len() - out.count(status);
    if wrong > 0 || out.errors > 0 || out.samples.is_empty() {
        let other = out.samples.iter().find(|s| s.1 != status).map(|s| s.1);
        return Err(format!(
            "{what}: {wrong} answers other than {status} (e.g. {other:?}) and {} connection errors of {}",
            out.errors,
            out.samples.len()
        ));
    }
    Ok(())
}
