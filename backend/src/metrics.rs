//! Prometheus metrics, one registry per running service, rendered in the text exposition format at `/metrics`.
//!
//! Counted where they happen: HTTP requests (by route template, never by path, which carries ids and tokens),
//! login outcomes (by tenant and sub-status). Read when scraped: the hashing queue's counters and the pool's
//! state. Refreshed in the background (see [`crate::sso::gauges`]): live sessions per tenant and the outbox.

use crate::crypto::hash_queue::QueueCounters;
use crate::store::PoolState;
use prometheus::{
    Counter, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// What the cache of verified sessions holds and has done, read at each scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheReading {
    pub entries: usize,
    /// Its change feed is up and vouched for, so it serves.
    pub up: bool,
    /// Checks answered from memory, and checks that had to read, while it serves.
    pub hits: u64,
    pub misses: u64,
}

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every metric Gatehouse exports.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    logins: IntCounterVec,
    hash_queue_depth: IntGauge,
    hash_jobs: IntCounterVec,
    hash_wait_seconds: Counter,
    hash_refused: IntCounterVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    outbox: IntGaugeVec,
    oidc: IntCounterVec,
    sessions: IntGaugeVec,
    session_cache: IntGaugeVec,
    session_cache_lookups: IntCounterVec,
    /// Scrapes copy the queue's own counters into the exported ones one at a time.
    mirror: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Registration can only fail on a name or label clash, which is a programming error caught by every test.
fn must<T>(made: prometheus::Result<T>) -> T {
    match made {
        Ok(metric) => metric,
        Err(e) => panic!("metric definition: {e}"),
    }
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = must(IntCounterVec::new(Opts::new(name, help), labels));
    must(registry.register(Box::new(metric.clone())));
    metric
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let metric = must(IntGaugeVec::new(Opts::new(name, help), labels));
    must(registry.register(Box::new(metric.clone())));
    metric
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let metric = must(IntGauge::new(name, help));
    must(registry.register(Box::new(metric.clone())));
    metric
}

/// HTTP methods become labels only when they are standard ones: anything else shares one label value.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

impl Metrics {
    /// The metrics, with the store's pool-wait histogram registered among them.
    pub fn new(pool_wait: &prometheus::Histogram) -> Metrics {
        let registry = Registry::new();
        must(registry.register(Box::new(pool_wait.clone())));
        let http_seconds = must(HistogramVec::new(
            HistogramOpts::new(
                "gatehouse_http_request_duration_seconds",
                "Time from a request's arrival to its response, by route template and method.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        ));
        must(registry.register(Box::new(http_seconds.clone())));
        let hash_wait_seconds = must(Counter::new(
            "gatehouse_hash_queue_wait_seconds_total",
            "Total time hash jobs waited for a worker; divide by served jobs for the mean wait.",
        ));
        must(registry.register(Box::new(hash_wait_seconds.clone())));
        Metrics {
            http_requests: counter_vec(
                &registry,
                "gatehouse_http_requests_total",
                "HTTP requests by route template, method and status.",
                &["route", "method", "status"],
            ),
            http_seconds,
            logins: counter_vec(
                &registry,
                "gatehouse_logins_total",
                "Login attempts by tenant and outcome (ok, or the sub-status of the refusal).",
                &["tenant", "outcome"],
            ),
            hash_queue_depth: gauge(
                &registry,
                "gatehouse_hash_queue_depth",
                "Hash jobs waiting for a worker.",
            ),
            hash_jobs: counter_vec(
                &registry,
                "gatehouse_hash_jobs_total",
                "Hash jobs by stage: queued, or served by a worker.",
                &["stage"],
            ),
            hash_wait_seconds,
            hash_refused: counter_vec(
                &registry,
                "gatehouse_hash_rejections_total",
                "Hash jobs refused (answered 429) by reason: queue full, waited too long, pushed out by a \
                 tenant with a shorter line, or turned away before queuing.",
                &["reason"],
            ),
            pool_connections: gauge_vec(
                &registry,
                "gatehouse_db_pool_connections",
                "Database connections of the pool by state: in_use or idle.",
                &["state"],
            ),
            pool_max: gauge(&registry, "gatehouse_db_pool_max_connections", "The pool's size limit."),
            outbox: gauge_vec(
                &registry,
                "gatehouse_mail_outbox_messages",
                "Messages in the outbox by state: waiting to be delivered, or failed (given up on).",
                &["state"],
            ),
            oidc: counter_vec(
                &registry,
                "gatehouse_oidc_requests_total",
                "OpenID Connect requests by tenant, client, endpoint (authorize, token, userinfo) and outcome (ok, \
                 or the protocol's error code).",
                &["tenant", "client", "endpoint", "outcome"],
            ),
            sessions: gauge_vec(
                &registry,
                "gatehouse_active_sessions",
                "Live sessions per tenant, as of the last refresh.",
                &["tenant"],
            ),
            session_cache: gauge_vec(
                &registry,
                "gatehouse_session_cache",
                "The cache of verified sessions: entries held, and feed_up (1 while its change feed is up and \
                 vouched for, so it serves).",
                &["what"],
            ),
            session_cache_lookups: counter_vec(
                &registry,
                "gatehouse_session_cache_lookups_total",
                "UST checks while the cache serves, by result: hit (answered from memory) or miss (read).",
                &["result"],
            ),
            registry,
            mirror: Mutex::new(()),
        }
    }

    /// Counts one answered request. `route` is the matched template, or `unmatched`.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.http_seconds.with_label_values(&[route, method]).observe(seconds);
    }

    /// Counts one OpenID Connect request. `client` is a known client's id or `-`, so no label takes raw input.
    pub fn observe_oidc(&self, tenant: &str, client: &str, endpoint: &str, outcome: &str) {
        self.oidc.with_label_values(&[tenant, client, endpoint, outcome]).inc();
    }

    /// Counts one login outcome: `ok` or a sub-status code.
    pub fn observe_login(&self, tenant: &str, outcome: &str) {
        self.logins.with_label_values(&[tenant, outcome]).inc();
    }

    /// Sets the per-tenant live-session gauges; tenants no longer listed are dropped, from the login counts too.
    pub fn set_sessions(&self, by_tenant: &[(String, i64)]) {
        self.sessions.reset();
        for (tenant, count) in by_tenant {
            self.sessions.with_label_values(&[tenant.as_str()]).set(*count);
        }
        let known: std::collections::HashSet<&str> = by_tenant.iter().map(|(t, _)| t.as_str()).collect();
        let families = prometheus::core::Collector::collect(&self.logins);
        for metric in families.iter().flat_map(|f| f.get_metric()) {
            let label = |name: &str| {
                metric
                    .get_label()
                    .iter()
                    .find(|l| l.name() == name)
                    .map(|l| l.value().to_owned())
            };
            if let (Some(tenant), Some(outcome)) = (label("tenant"), label("outcome"))
                && !known.contains(tenant.as_str())
            {
                let _ = self.logins.remove_label_values(&[tenant.as_str(), outcome.as_str()]);
            }
        }
    }

    pub fn set_outbox(&self, waiting: i64, failed: i64) {
        self.outbox.with_label_values(&["waiting"]).set(waiting);
        self.outbox.with_label_values(&["failed"]).set(failed);
    }

    /// Reads the hashing queue and the pool, then renders every metric.
    pub fn render(&self, queue: &QueueCounters, depth: usize, pool: PoolState, cache: CacheReading) -> String {
        {
            let _one_at_a_time = self.mirror.lock().unwrap_or_else(|e| e.into_inner());
            let catch_up = |counter: prometheus::IntCounter, now: u64| {
                let seen = counter.get();
                if now > seen {
                    counter.inc_by(now - seen);
                }
            };
            let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            catch_up(self.hash_jobs.with_label_values(&["queued"]), load(&queue.queued));
            catch_up(self.hash_jobs.with_label_values(&["served"]), load(&queue.served));
            catch_up(self.session_cache_lookups.with_label_values(&["hit"]), cache.hits);
            catch_up(self.session_cache_lookups.with_label_values(&["miss"]), cache.misses);
            for (reason, value) in [
                ("queue_full", &queue.refused_full),
                ("waited_too_long", &queue.refused_wait),
                ("pushed_out", &queue.pushed_out),
                ("not_admitted", &queue.refused_early),
            ] {
                catch_up(self.hash_refused.with_label_values(&[reason]), load(value));
            }
            let waited = load(&queue.wait_micros) as f64 / 1e6;
            let seen = self.hash_wait_seconds.get();
            if waited > seen {
                self.hash_wait_seconds.inc_by(waited - seen);
            }
        }
        self.hash_queue_depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.open.saturating_sub(pool.idle)));
        self.pool_connections
            .with_label_values(&["idle"])
            .set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        self.session_cache
            .with_label_values(&["entries"])
            .set(i64::try_from(cache.entries).unwrap_or(i64::MAX));
        self.session_cache
            .with_label_values(&["feed_up"])
            .set(i64::from(cache.up));
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| format!("# metrics could not be encoded: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        let wait = prometheus::Histogram::with_opts(HistogramOpts::new("gatehouse_db_pool_wait_seconds", "w"))
            .expect("histogram");
        Metrics::new(&wait)
    }

    #[test]
    fn queue_counters_are_mirrored_without_double_counting() {
        let m = metrics();
        let queue = QueueCounters::default();
        queue.queued.store(5, Ordering::Relaxed);
        queue.refused_full.store(2, Ordering::Relaxed);
        queue.wait_micros.store(1_500_000, Ordering::Relaxed);
        let pool = PoolState {
            open: 3,
            idle: 1,
            max: 10,
        };
        let first = m.render(&queue, 4, pool, CacheReading::default());
        let second = m.render(&queue, 4, pool, CacheReading::default());
        assert_eq!(first, second, "a scrape changes nothing by itself");
        assert!(
            first.contains("gatehouse_hash_jobs_total{stage=\"queued\"} 5\n"),
            "{first}"
        );
        assert!(first.contains("gatehouse_hash_rejections_total{reason=\"queue_full\"} 2\n"));
        assert!(first.contains("gatehouse_hash_queue_wait_seconds_total 1.5\n"));
        assert!(first.contains("gatehouse_hash_queue_depth 4\n"));
        assert!(first.contains("gatehouse_db_pool_connections{state=\"in_use\"} 2\n"));
        let cache = CacheReading {
            entries: 12,
            up: true,
            hits: 40,
            misses: 2,
        };
        let text = m.render(&queue, 4, pool, cache);
        assert!(
            text.contains("gatehouse_session_cache{what=\"entries\"} 12\n"),
            "{text}"
        );
        assert!(text.contains("gatehouse_session_cache{what=\"feed_up\"} 1\n"));
        assert!(text.contains("gatehouse_session_cache_lookups_total{result=\"hit\"} 40\n"));
        assert_eq!(text, m.render(&queue, 4, pool, cache), "mirrored once");
        queue.queued.store(7, Ordering::Relaxed);
        assert!(
            m.render(&queue, 0, pool, CacheReading::default())
                .contains("gatehouse_hash_jobs_total{stage=\"queued\"} 7\n")
        );
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let m = metrics();
        m.observe_request("/healthz", "BREW", 404, 0.001);
        m.observe_request("/healthz", "GET", 200, 0.001);
        let text = m.render(
            &QueueCounters::default(),
            0,
            PoolState {
                open: 0,
                idle: 0,
                max: 1,
            },
            CacheReading::default(),
        );
        assert!(text.contains("gatehouse_http_requests_total{method=\"OTHER\",route=\"/healthz\",status=\"404\"} 1"));
        assert!(text.contains("gatehouse_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"));
        assert!(!text.contains("BREW"));
    }

    #[test]
    fn stale_tenants_leave_the_session_gauge_and_the_login_counts() {
        let m = metrics();
        let pool = PoolState {
            open: 0,
            idle: 0,
            max: 1,
        };
        m.observe_login("acme", "ok");
        m.observe_login("globex", "E005001");
        m.set_sessions(&[("acme".to_owned(), 3), ("globex".to_owned(), 1)]);
        let text = m.render(&QueueCounters::default(), 0, pool, CacheReading::default());
        assert!(text.contains("gatehouse_logins_total{outcome=\"E005001\",tenant=\"globex\"} 1\n"));
        m.set_sessions(&[("acme".to_owned(), 2)]);
        let text = m.render(&QueueCounters::default(), 0, pool, CacheReading::default());
        assert!(text.contains("gatehouse_active_sessions{tenant=\"acme\"} 2\n"));
        assert!(text.contains("gatehouse_logins_total{outcome=\"ok\",tenant=\"acme\"} 1\n"));
        assert!(!text.contains("globex"), "{text}");
    }
}
