//! Password hashing: Argon2id with the configured parameters, on a dedicated pool of threads fed by a bounded
//! queue that serves tenants in turn ([`super::hash_queue`]), so hashing never runs on the async workers, a
//! flood cannot pile up unbounded work and one tenant's flood does not hold the others up.

use super::argon2_worker::Argon2Worker;
use super::hash_queue::{FairQueue, QueueCounters, Refusal};
use crate::config::HashingConfig;
use argon2::Params;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A password in the clear. `Debug` prints nothing of it; it is dropped as soon as it is hashed or verified.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The length in characters, as the password policy counts it.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The queue is full: the caller should answer 429 and try later.
    #[error("the hashing queue is full")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

enum Job {
    Hash {
        password: Password,
        reply: oneshot::Sender<Result<String, HashError>>,
    },
    Verify {
        password: Password,
        hash: String,
        reply: oneshot::Sender<Result<Verified, HashError>>,
    },
}

impl Job {
    /// Answers a job that will not be worked on.
    fn refuse(self, why: Refusal) {
        let error = match why {
            Refusal::Stopped => HashError::Failed("hashing pool stopped".to_owned()),
            Refusal::Full | Refusal::TooLong | Refusal::PushedOut => HashError::Busy,
        };
        match self {
            Job::Hash { reply, .. } => {
                let _ = reply.send(Err(error));
            }
            Job::Verify { reply, .. } => {
                let _ = reply.send(Err(error));
            }
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verified {
    pub matches: bool,
    /// The hash is of an older scheme (Zato's PBKDF2) and should be replaced after a successful login.
    pub needs_rehash: bool,
}

/// Counts of work done, for tests and metrics.
#[derive(Debug, Default)]
pub struct HashCounters {
    pub hashes: AtomicU64,
    pub verifications: AtomicU64,
}

/// The hashing pool. Cloning shares it; the threads stop when the last clone is dropped.
#[derive(Clone)]
pub struct Hasher {
    queue: Arc<FairQueue<Job>>,
    _stopper: Arc<Stopper>,
    counters: Arc<HashCounters>,
    /// An Argon2id hash of a random password with the configured parameters: verifying against it costs what a
    /// real verification costs, for accounts that do not exist or may not log in.
    dummy: Arc<str>,
}

/// Stops the queue (and so the threads) when the last [`Hasher`] goes.
struct Stopper(Arc<FairQueue<Job>>);

impl Drop for Stopper {
    fn drop(&mut self) {
        self.0.stop();
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    /// Starts `workers` threads. The parameters were checked when the configuration loaded.
    pub fn start(config: &HashingConfig) -> Result<Hasher, HashError> {
        let params = Params::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            None,
        )
        .map_err(|e| HashError::Failed(e.to_string()))?;
        let started = Instant::now();
        let dummy = Argon2Worker::new(params.clone())
            .hash(super::random_urlsafe(24).as_bytes())
            .map_err(HashError::Failed)?;
        let workers = config.effective_workers();
        let queue = Arc::new(FairQueue::new(
            config.queue_order,
            config.max_queue,
            workers,
            Duration::from_millis(config.max_wait_ms),
            started.elapsed(),
        ));
        let counters = Arc::new(HashCounters::default());
        for i in 0..workers {
            let queue = Arc::clone(&queue);
            let counters = Arc::clone(&counters);
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("gatehouse-hash-{i}"))
                .spawn(move || work(&queue, &params, &counters))
                .map_err(|e| HashError::Failed(e.to_string()))?;
        }
        Ok(Hasher {
            _stopper: Arc::new(Stopper(Arc::clone(&queue))),
            queue,
            counters,
            dummy: dummy.into(),
        })
    }

    pub fn counters(&self) -> &HashCounters {
        &self.counters
    }

    /// The queue's counts: queued, refused, waits.
    pub fn queue_counters(&self) -> &QueueCounters {
        self.queue.counters()
    }

    /// A place in `tenant`'s line for a verification to come ([`FairQueue::reserve`]), for a caller with work
    /// to do first; `None` (counted with the refusals) when the line has no room. The place is given back when
    /// the ticket is dropped unused.
    pub fn reserve(&self, tenant: i64) -> Option<Ticket> {
        match self.queue.reserve(tenant) {
            Ok(pushed_out) => {
                if let Some((out, why)) = pushed_out {
                    out.refuse(why);
                }
                Some(Ticket {
                    queue: Arc::clone(&self.queue),
                    tenant,
                    held: true,
                })
            }
            Err(_) => {
                self.queue.counters().refused_early.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Like [`Hasher::verify`], in the place `ticket` reserved.
    pub async fn verify_reserved(
        &self,
        ticket: Ticket,
        password: Password,
        hash: String,
    ) -> Result<Verified, HashError> {
        let (reply, answer) = oneshot::channel();
        ticket.use_for(Job::Verify { password, hash, reply });
        answer
            .await
            .map_err(|_| HashError::Failed("hashing worker stopped".to_owned()))?
    }

    /// Like [`Hasher::verify_dummy`], in the place `ticket` reserved.
    pub async fn verify_dummy_reserved(&self, ticket: Ticket, password: Password) -> Result<(), HashError> {
        self.verify_reserved(ticket, password, self.dummy.to_string())
            .await
            .map(|_| ())
    }

    /// Jobs waiting now, per tenant.
    pub fn queue_depths(&self) -> Vec<(i64, usize)> {
        self.queue.depths()
    }

    /// Hashes a password into a PHC string (`$argon2id$...`), in `tenant`'s line of the queue.
    pub async fn hash(&self, tenant: i64, password: Password) -> Result<String, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(tenant, Job::Hash { password, reply });
        answer
            .await
            .map_err(|_| HashError::Failed("hashing worker stopped".to_owned()))?
    }

    /// Whether `password` matches `hash` (Argon2id, or Zato's `$pbkdf2-sha512$`), in `tenant`'s line of the
    /// queue. A malformed hash never matches.
    pub async fn verify(&self, tenant: i64, password: Password, hash: String) -> Result<Verified, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(tenant, Job::Verify { password, hash, reply });
        answer
            .await
            .map_err(|_| HashError::Failed("hashing worker stopped".to_owned()))?
    }

    /// Does the work of a verification that cannot succeed, so a refusal costs the same whatever its reason.
    pub async fn verify_dummy(&self, tenant: i64, password: Password) -> Result<(), HashError> {
        self.verify(tenant, password, self.dummy.to_string()).await.map(|_| ())
    }

    fn submit(&self, tenant: i64, job: Job) {
        match self.queue.push(tenant, job) {
            Ok(None) => {}
            Ok(Some((out, why))) | Err((out, why)) => out.refuse(why),
        }
    }
}

/// A place reserved in a tenant's line of the hashing queue ([`Hasher::reserve`]); dropped unused, it is given
/// back.
pub struct Ticket {
    queue: Arc<FairQueue<Job>>,
    tenant: i64,
    held: bool,
}

impl Ticket {
    fn use_for(mut self, job: Job) {
        self.held = false;
        if let Err((job, why)) = self.queue.push_reserved(self.tenant, job) {
            job.refuse(why);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.held {
            self.queue.release(self.tenant);
        }
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket").field("tenant", &self.tenant).finish()
    }
}

/// Hashing threads run as batch work at a lower priority (nice 4): every other thread of the process and the
/// database get the cores first when they wake, so answering other requests (a tenant's login steps around
/// its own hashing, UST checks) is not held up by a busy pool, while an otherwise idle machine still gives the
/// pool all of its time. Lowering one's own priority needs no privilege; if it fails the thread runs as is.
fn lower_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    let lower = ThreadPriority::Crossplatform(HASHING_PRIORITY.try_into().unwrap_or_default());
    let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), lower, batch) {
        tracing::warn!(error = ?e, "could not lower the priority of a hashing thread");
    }
}

/// Of 0 (lowest) to 99 on the crate's cross-platform scale, which it maps onto nice values: 36 is nice 4.
const HASHING_PRIORITY: u8 = 36;

fn work(queue: &FairQueue<Job>, params: &Params, counters: &HashCounters) {
    lower_priority();
    let mut argon2 = Argon2Worker::new(params.clone());
    // Blocks are given back after a second without work, so an idle server holds no hashing memory.
    while let Some(next) = queue.pop(Duration::from_secs(1), || argon2.release()) {
        let job = match next {
            Ok(job) => job,
            Err((job, why)) => {
                job.refuse(why);
                continue;
            }
        };
        let started = Instant::now();
        match job {
            Job::Hash { password, reply } => {
                counters.hashes.fetch_add(1, Ordering::Relaxed);
                let result = argon2.hash(password.expose().as_bytes()).map_err(HashError::Failed);
                let _ = reply.send(result);
            }
            Job::Verify { password, hash, reply } => {
                counters.verifications.fetch_add(1, Ordering::Relaxed);
                let _ = reply.send(Ok(verify_any(&mut argon2, &password, &hash)));
            }
        }
        queue.took(started.elapsed());
    }
}

fn verify_any(argon2: &mut Argon2Worker, password: &Password, hash: &str) -> Verified {
    if hash.starts_with(PBKDF2_PREFIX) {
        return Verified {
            matches: verify_pbkdf2_sha512(password, hash),
            needs_rehash: true,
        };
    }
    // Argon2: verified with the parameters stored in the hash itself, so changing the configured cost does not
    // break existing hashes.
    Verified {
        matches: argon2.verify(password.expose().as_bytes(), hash),
        needs_rehash: false,
    }
}

const PBKDF2_PREFIX: &str = "$pbkdf2-sha512$";

/// The most PBKDF2 rounds a stored hash may ask for; beyond it the hash does not verify (Zato's template uses
/// 120 000).
pub const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;

/// Verifies passlib's `$pbkdf2-sha512$<rounds>$<salt>$<checksum>`, the format Zato stores (salt and checksum
/// in passlib's "adapted base64": `.` for `+`, no padding).
pub fn verify_pbkdf2_sha512(password: &Password, hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Some(rest) = hash.strip_prefix(PBKDF2_PREFIX) else {
        return false;
    };
    let mut parts = rest.split('$');
    let (Some(rounds), Some(salt), Some(checksum), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(rounds), Some(salt), Some(expected)) = (rounds.parse::<u32>(), ab64_decode(salt), ab64_decode(checksum))
    else {
        return false;
    };
    if rounds == 0 || rounds > MAX_PBKDF2_ROUNDS || expected.is_empty() || expected.len() > 64 {
        return false;
    }
    let mut derived = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password.expose().as_bytes(), &salt, rounds, &mut derived);
    derived[..expected.len()].ct_eq(&expected).into()
}

fn ab64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text.replace('.', "+"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Order;

    fn light() -> HashingConfig {
        HashingConfig {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            workers: 2,
            max_queue: 4,
            max_wait_ms: 1000,
            queue_order: Order::Fair,
        }
    }

    #[actix_rt::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = Hasher::start(&light()).unwrap();
        let hash = hasher.hash(1, Password::new("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let ok = hasher
            .verify(1, Password::new("correct horse"), hash.clone())
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!hasher.verify(1, Password::new("wrong"), hash).await.unwrap().matches);
        assert!(
            !hasher
                .verify(1, Password::new("x"), "not a hash".to_owned())
                .await
                .unwrap()
                .matches
        );
        hasher.verify_dummy(1, Password::new("anything")).await.unwrap();
        assert_eq!(hasher.counters().hashes.load(Ordering::Relaxed), 1);
        assert_eq!(hasher.counters().verifications.load(Ordering::Relaxed), 4);
    }

    // Made with Python's hashlib.pbkdf2_hmac("sha512", b"zato-password-1", salt, 1000), salt and checksum in
    // passlib's adapted base64: the shape Zato stores.
    const ZATO_HASH: &str = include_str!("../../tests/data/pbkdf2_sha512.txt");

    #[actix_rt::test]
    async fn zato_pbkdf2_hashes_verify_and_ask_for_a_rehash() {
        let hasher = Hasher::start(&light()).unwrap();
        let hash = ZATO_HASH.trim().to_owned();
        assert!(hash.starts_with("$pbkdf2-sha512$1000$"));
        let ok = hasher
            .verify(1, Password::new("zato-password-1"), hash.clone())
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(
            !hasher
                .verify(1, Password::new("zato-password-2"), hash.clone())
                .await
                .unwrap()
                .matches
        );
        let tampered = hash.replacen("$1000$", "$1001$", 1);
        assert!(!verify_pbkdf2_sha512(&Password::new("zato-password-1"), &tampered));
        assert!(!verify_pbkdf2_sha512(
            &Password::new("zato-password-1"),
            "$pbkdf2-sha512$x$y$z"
        ));
        assert!(!verify_pbkdf2_sha512(
            &Password::new("zato-password-1"),
            "$pbkdf2-sha512$1000$$"
        ));
    }

    #[actix_rt::test]
    async fn a_full_queue_is_refused_not_waited_for() {
        let mut config = light();
        config.workers = 1;
        config.max_queue = 1;
        config.argon2_memory_kib = 8192;
        config.argon2_iterations = 4;
        let hasher = Hasher::start(&config).unwrap();
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash(1, Password::new("p")).await })
            })
            .collect();
        let mut busy = 0;
        for job in jobs {
            if job.await.unwrap() == Err(HashError::Busy) {
                busy += 1;
            }
        }
        assert!(
            busy > 0,
            "with one worker and a queue of one, some of 8 jobs must be refused"
        );
    }

    #[actix_rt::test]
    async fn a_flooding_tenant_does_not_hold_up_another() {
        let mut config = light();
        config.workers = 1;
        config.max_queue = 64;
        config.max_wait_ms = 60_000;
        config.argon2_memory_kib = 4096;
        config.argon2_iterations = 2;
        let hasher = Hasher::start(&config).unwrap();
        let flood: Vec<_> = (0..40)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash(1, Password::new("p")).await })
            })
            .collect();
        tokio::task::yield_now().await;
        let other = hasher.hash(2, Password::new("q")).await;
        assert!(other.is_ok());
        let flood_done_before = flood.iter().filter(|j| j.is_finished()).count();
        assert!(
            flood_done_before < 10,
            "tenant 2 waited for {flood_done_before} of tenant 1's 40 jobs; its turn comes after one or two"
        );
        for job in flood {
            assert!(job.await.unwrap().is_ok());
        }
        assert_eq!(hasher.queue_counters().served.load(Ordering::Relaxed), 41);
    }

    /// The pool's threads run as SCHED_BATCH with a positive nice value (read back from /proc).
    #[test]
    fn hashing_threads_run_at_a_lower_priority() {
        let hasher = Hasher::start(&light()).unwrap();
        // Other tests of this process may run hashers of their own at the same time: every hashing thread
        // there is must run at the lower priority, and this hasher's two must be among them.
        let (mut total, mut low) = (0, 0);
        for _ in 0..100 {
            (total, low) = (0, 0);
            for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
                let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
                if !comm.starts_with("gatehouse-hash") {
                    continue;
                }
                let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                    continue; // a thread that ended meanwhile
                };
                total += 1;
                // Fields after the command's closing parenthesis: state is field 3, nice 19, policy 41.
                let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
                let (nice, policy): (i32, i32) = (fields[16].parse().unwrap(), fields[38].parse().unwrap());
                if nice > 0 && policy == 3 {
                    low += 1;
                }
            }
            if total >= 2 && low == total {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(
            total >= 2 && low == total,
            "every hashing thread runs as SCHED_BATCH (3) with a positive nice value: {low} of {total}"
        );
        drop(hasher);
    }

    #[test]
    fn password_debug_is_redacted() {
        assert_eq!(format!("{:?}", Password::new("s3cret")), "Password([redacted])");
        assert_eq!(Password::new("żółw").char_count(), 4);
    }
}
