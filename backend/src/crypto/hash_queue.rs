//! The queue in front of the hashing threads. Jobs wait in one line per tenant and the workers take from the
//! lines in turn (round-robin), so a tenant flooding logins gets one turn in each round like any other tenant and
//! the others wait for no more than their own turn. The queue is bounded: when it is full, a job of a tenant
//! with a shorter line pushes out the newest job of the longest line, so one tenant cannot fill it for everybody.
//! A job is refused at once when its expected wait (jobs served before it, times the recent time per job, over the
//! workers) exceeds the longest allowed wait, and a job that has waited that long anyway is refused rather than
//! worked on for a caller that has given up. A caller with work to do before its job (a login's read of the
//! user) reserves its place first ([`FairQueue::reserve`]): a reserved place counts as a job in its tenant's
//! line, so a flooding tenant has at most as many requests doing that work as its line has room for, and the
//! rest are refused before they cost the database anything. [`Order::Fifo`] keeps one line for everybody, for
//! comparison.

use crate::config::Order;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Why a job was not worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The queue was full and the tenant's line was among the longest.
    Full,
    /// The job would wait, or has waited, longer than allowed.
    TooLong,
    /// A job of a tenant with a shorter line took its place.
    PushedOut,
    /// The pool has stopped.
    Stopped,
}

/// Counts for tests and metrics; every field only grows.
#[derive(Debug, Default)]
pub struct QueueCounters {
    pub queued: AtomicU64,
    pub refused_full: AtomicU64,
    pub refused_wait: AtomicU64,
    pub pushed_out: AtomicU64,
    /// Callers turned away before queuing anything, because [`FairQueue::admits`] said no.
    pub refused_early: AtomicU64,
    /// Sum of the waits of the jobs that reached a worker, in microseconds.
    pub wait_micros: AtomicU64,
    pub served: AtomicU64,
}

impl QueueCounters {
    pub fn refused(&self) -> u64 {
        self.refused_full.load(Ordering::Relaxed)
            + self.refused_wait.load(Ordering::Relaxed)
            + self.pushed_out.load(Ordering::Relaxed)
            + self.refused_early.load(Ordering::Relaxed)
    }
}

struct Waiting<J> {
    job: J,
    since: Instant,
}

struct Lines<J> {
    lines: HashMap<i64, VecDeque<Waiting<J>>>,
    /// Places reserved per line by callers whose job is not queued yet.
    reserved: HashMap<i64, usize>,
    reserved_len: usize,
    /// Reserved places taken back to make room for a shorter line: the next of the line's callers to come for
    /// its place is refused.
    revoked: HashMap<i64, usize>,
    /// Tenants with waiting jobs, in the order they will be served.
    turns: VecDeque<i64>,
    len: usize,
    /// Recent time per job, in microseconds (moving average).
    job_micros: u64,
    stopped: bool,
}

pub struct FairQueue<J> {
    lines: Mutex<Lines<J>>,
    ready: Condvar,
    order: Order,
    capacity: usize,
    workers: u64,
    max_wait: Duration,
    counters: QueueCounters,
}

/// What a refused job is handed back with, so its caller can be answered.
pub type Refused<J> = (J, Refusal);

impl<J> FairQueue<J> {
    /// `first_guess` is the time per job assumed until jobs have been measured.
    pub fn new(order: Order, capacity: usize, workers: usize, max_wait: Duration, first_guess: Duration) -> Self {
        FairQueue {
            lines: Mutex::new(Lines {
                lines: HashMap::new(),
                reserved: HashMap::new(),
                reserved_len: 0,
                revoked: HashMap::new(),
                turns: VecDeque::new(),
                len: 0,
                job_micros: u64::try_from(first_guess.as_micros()).unwrap_or(u64::MAX).max(1),
                stopped: false,
            }),
            ready: Condvar::new(),
            order,
            capacity: capacity.max(1),
            workers: workers.max(1) as u64,
            max_wait,
            counters: QueueCounters::default(),
        }
    }

    pub fn counters(&self) -> &QueueCounters {
        &self.counters
    }

    fn lock(&self) -> MutexGuard<'_, Lines<J>> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn line_of(&self, tenant: i64) -> i64 {
        match self.order {
            Order::Fair => tenant,
            Order::Fifo => 0,
        }
    }

    /// Queues a job of `tenant`. On refusal the job comes back with the reason; a job pushed out to make room
    /// comes back in the `Ok` so its caller can be told.
    pub fn push(&self, tenant: i64, job: J) -> Result<Option<Refused<J>>, Refused<J>> {
        let line = self.line_of(tenant);
        let mut lines = self.lock();
        let pushed_out = match self.make_room(&mut lines, line) {
            Ok(out) => out,
            Err(why) => {
                match why {
                    Refusal::TooLong => &self.counters.refused_wait,
                    _ => &self.counters.refused_full,
                }
                .fetch_add(1, Ordering::Relaxed);
                return Err((job, why));
            }
        };
        self.enqueue(lines, line, job);
        Ok(pushed_out)
    }

    /// Reserves a place in `tenant`'s line for a job to come, as [`FairQueue::push`] would queue it (a job
    /// pushed out to make room comes back in the `Ok`). The place is taken by [`FairQueue::push_reserved`] or
    /// given back by [`FairQueue::release`]. A refusal here is left to the caller to count.
    pub fn reserve(&self, tenant: i64) -> Result<Option<Refused<J>>, Refusal> {
        let line = self.line_of(tenant);
        let mut lines = self.lock();
        let pushed_out = self.make_room(&mut lines, line)?;
        *lines.reserved.entry(line).or_default() += 1;
        lines.reserved_len += 1;
        Ok(pushed_out)
    }

    /// Gives back a place reserved for `tenant`.
    pub fn release(&self, tenant: i64) {
        let line = self.line_of(tenant);
        let mut lines = self.lock();
        if !Self::take_revoked(&mut lines, line) {
            Self::unreserve(&mut lines, line);
        }
    }

    /// Queues a job in the place reserved for it: it is not judged again (the place was there when reserved).
    /// A place taken back meanwhile for a shorter line's job is refused as pushed out.
    pub fn push_reserved(&self, tenant: i64, job: J) -> Result<(), Refused<J>> {
        let line = self.line_of(tenant);
        let mut lines = self.lock();
        if Self::take_revoked(&mut lines, line) {
            self.counters.pushed_out.fetch_add(1, Ordering::Relaxed);
            return Err((job, Refusal::PushedOut));
        }
        Self::unreserve(&mut lines, line);
        if lines.stopped {
            return Err((job, Refusal::Stopped));
        }
        self.enqueue(lines, line, job);
        Ok(())
    }

    fn unreserve(lines: &mut Lines<J>, line: i64) {
        if let Some(count) = lines.reserved.get_mut(&line) {
            *count -= 1;
            lines.reserved_len -= 1;
            if *count == 0 {
                lines.reserved.remove(&line);
            }
        }
    }

    /// Whether one of `line`'s places had been taken back (and now its caller has been told).
    fn take_revoked(lines: &mut Lines<J>, line: i64) -> bool {
        let Some(count) = lines.revoked.get_mut(&line) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            lines.revoked.remove(&line);
        }
        true
    }

    /// Judges a job for `line` and, when the queue is full, pushes out the newest job of the longest line.
    fn make_room(&self, lines: &mut Lines<J>, line: i64) -> Result<Option<Refused<J>>, Refusal> {
        let Some(victim) = self.judge(lines, line)? else {
            return Ok(None);
        };
        // The newest of the victim's places goes: a reserved one (its caller is told when it comes for it), or
        // else its newest queued job.
        if lines.reserved.contains_key(&victim) {
            Self::unreserve(lines, victim);
            *lines.revoked.entry(victim).or_default() += 1;
            return Ok(None);
        }
        let out = lines
            .lines
            .get_mut(&victim)
            .and_then(VecDeque::pop_back)
            .map(|out| (out.job, Refusal::PushedOut));
        if out.is_some() {
            lines.len -= 1;
            self.counters.pushed_out.fetch_add(1, Ordering::Relaxed);
        }
        Ok(out)
    }

    fn enqueue(&self, mut lines: MutexGuard<'_, Lines<J>>, line: i64, job: J) {
        let waiting = lines.lines.entry(line).or_default();
        waiting.push_back(Waiting {
            job,
            since: Instant::now(),
        });
        if waiting.len() == 1 {
            lines.turns.push_back(line);
        }
        lines.len += 1;
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        drop(lines);
        self.ready.notify_one();
    }

    /// Whether a job for `line` may be queued: `Ok(Some(victim))` when the queue is full and the job takes the
    /// place of the newest job of the longest line, `victim`. Reserved places count as queued jobs.
    fn judge(&self, lines: &Lines<J>, line: i64) -> Result<Option<i64>, Refusal> {
        if lines.stopped {
            return Err(Refusal::Stopped);
        }
        let reserved = |l: &i64| lines.reserved.get(l).copied().unwrap_or(0);
        let own = lines.lines.get(&line).map_or(0, VecDeque::len) + reserved(&line);
        // Jobs served before this one: in a fair queue, each other line's first `own + 1` jobs at most.
        let ahead: usize = match self.order {
            Order::Fair => {
                let queued: usize = lines
                    .lines
                    .iter()
                    .map(|(l, jobs)| (jobs.len() + reserved(l)).min(own + 1))
                    .sum();
                let only_reserved: usize = lines
                    .reserved
                    .iter()
                    .filter(|(l, _)| !lines.lines.contains_key(l))
                    .map(|(_, n)| (*n).min(own + 1))
                    .sum();
                queued + only_reserved
            }
            Order::Fifo => lines.len + lines.reserved_len,
        };
        let expected = Duration::from_micros((ahead as u64 / self.workers).saturating_mul(lines.job_micros));
        if expected > self.max_wait {
            return Err(Refusal::TooLong);
        }
        if lines.len + lines.reserved_len < self.capacity {
            return Ok(None);
        }
        // The longest line, counting its reserved places, gives one up.
        let queued = lines.lines.iter().map(|(l, jobs)| (*l, jobs.len() + reserved(l)));
        let only_reserved = lines
            .reserved
            .iter()
            .filter(|(l, _)| !lines.lines.contains_key(l))
            .map(|(l, n)| (*l, *n));
        match queued.chain(only_reserved).max_by_key(|(_, len)| *len) {
            Some((victim, longest)) if longest > own + 1 => Ok(Some(victim)),
            _ => Err(Refusal::Full),
        }
    }

    /// Waits for the next job in turn. A job that waited too long comes back as an `Err` to be refused. `None`
    /// once the queue has stopped. When no job has come for `idle`, `on_idle` runs once (a worker gives back
    /// its memory) before waiting on.
    pub fn pop(&self, idle: Duration, mut on_idle: impl FnMut()) -> Option<Result<J, Refused<J>>> {
        let mut lines = self.lock();
        let mut idled = false;
        loop {
            if lines.stopped {
                return None;
            }
            if let Some(line) = lines.turns.pop_front() {
                let (waiting, more) = match lines.lines.get_mut(&line) {
                    Some(queue) => (queue.pop_front(), !queue.is_empty()),
                    None => (None, false),
                };
                if more {
                    lines.turns.push_back(line);
                } else {
                    lines.lines.remove(&line);
                }
                let Some(waiting) = waiting else { continue };
                lines.len -= 1;
                let waited = waiting.since.elapsed();
                if waited > self.max_wait {
                    self.counters.refused_wait.fetch_add(1, Ordering::Relaxed);
                    return Some(Err((waiting.job, Refusal::TooLong)));
                }
                self.counters.served.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .wait_micros
                    .fetch_add(u64::try_from(waited.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
                return Some(Ok(waiting.job));
            }
            if idled {
                lines = self.ready.wait(lines).unwrap_or_else(|e| e.into_inner());
            } else {
                let (next, timeout) = self.ready.wait_timeout(lines, idle).unwrap_or_else(|e| e.into_inner());
                lines = next;
                if timeout.timed_out() && lines.len == 0 {
                    idled = true;
                    drop(lines);
                    on_idle();
                    lines = self.lock();
                }
            }
        }
    }

    /// Records how long a job took, for the expected wait of later ones.
    pub fn took(&self, time: Duration) {
        let micros = u64::try_from(time.as_micros()).unwrap_or(u64::MAX).max(1);
        let mut lines = self.lock();
        lines.job_micros = (lines.job_micros * 7 + micros) / 8;
    }

    /// Jobs waiting now, per tenant (all under tenant 0 in a FIFO queue).
    pub fn depths(&self) -> Vec<(i64, usize)> {
        let lines = self.lock();
        let mut depths: Vec<_> = lines.lines.iter().map(|(t, l)| (*t, l.len())).collect();
        depths.sort_unstable();
        depths
    }

    /// Stops the workers; waiting jobs are dropped (their callers see the pool stopped).
    pub fn stop(&self) {
        let mut lines = self.lock();
        lines.stopped = true;
        lines.lines.clear();
        lines.turns.clear();
        lines.len = 0;
        lines.reserved.clear();
        lines.reserved_len = 0;
        lines.revoked.clear();
        drop(lines);
        self.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(60);
    const GUESS: Duration = Duration::from_millis(1);

    fn drain(queue: &FairQueue<(i64, u32)>) -> Vec<(i64, u32)> {
        let mut served = Vec::new();
        while queue.lock().len > 0 {
            served.push(queue.pop(LONG, || {}).unwrap().unwrap());
        }
        served
    }

    #[test]
    fn tenants_are_served_in_turn_whatever_their_backlog() {
        let queue = FairQueue::new(Order::Fair, 100, 1, LONG, GUESS);
        for i in 0..5 {
            queue.push(1, (1, i)).unwrap();
        }
        queue.push(2, (2, 0)).unwrap();
        queue.push(2, (2, 1)).unwrap();
        queue.push(3, (3, 0)).unwrap();
        let served = drain(&queue);
        assert_eq!(
            served,
            [(1, 0), (2, 0), (3, 0), (1, 1), (2, 1), (1, 2), (1, 3), (1, 4)],
            "one job per tenant per round, each tenant's jobs in their own order"
        );
    }

    #[test]
    fn a_fifo_queue_serves_in_arrival_order() {
        let queue = FairQueue::new(Order::Fifo, 100, 1, LONG, GUESS);
        for i in 0..3 {
            queue.push(1, (1, i)).unwrap();
        }
        queue.push(2, (2, 0)).unwrap();
        assert_eq!(drain(&queue), [(1, 0), (1, 1), (1, 2), (2, 0)]);
    }

    #[test]
    fn a_full_queue_refuses_the_longest_line_and_makes_room_for_a_short_one() {
        let queue = FairQueue::new(Order::Fair, 4, 1, LONG, GUESS);
        for i in 0..4 {
            assert!(queue.push(1, (1, i)).unwrap().is_none());
        }
        let (job, why) = queue.push(1, (1, 4)).unwrap_err();
        assert_eq!((job, why), ((1, 4), Refusal::Full), "the flooding tenant is refused");
        let out = queue.push(2, (2, 0)).unwrap().expect("room is made");
        assert_eq!(out, ((1, 3), Refusal::PushedOut), "the flooder's newest job gives way");
        assert_eq!(queue.depths(), [(1, 3), (2, 1)]);
        assert_eq!(drain(&queue), [(1, 0), (2, 0), (1, 1), (1, 2)]);
        assert_eq!(queue.counters().refused(), 2);
    }

    #[test]
    fn a_place_is_reserved_before_the_work_that_leads_to_hashing() {
        let queue = FairQueue::new(Order::Fair, 3, 1, LONG, GUESS);
        queue.push(1, (1, 0)).unwrap();
        assert!(queue.reserve(1).unwrap().is_none());
        assert!(queue.reserve(1).unwrap().is_none());
        assert_eq!(
            queue.reserve(1).unwrap_err(),
            Refusal::Full,
            "reserved places fill the queue as jobs do: a flood's callers doing their reads count"
        );
        assert!(
            queue.reserve(2).unwrap().is_none(),
            "a tenant with a shorter line still gets a place: the flooder's newest, a reserved one, is taken back"
        );
        assert_eq!(
            queue.push_reserved(1, (1, 1)).unwrap_err(),
            ((1, 1), Refusal::PushedOut),
            "the next of the flooder's callers to come for its place is told it is gone"
        );
        queue.push_reserved(1, (1, 2)).unwrap();
        assert_eq!(queue.depths(), [(1, 2)], "a taken place is a job");
        assert_eq!(
            queue.reserve(3).unwrap().expect("room is made"),
            ((1, 2), Refusal::PushedOut),
            "with no reserved place left in the longest line, its newest queued job goes"
        );
        assert_eq!(
            queue.reserve(3).unwrap_err(),
            Refusal::Full,
            "lines of one each: none is longer than the newcomer's by two"
        );
        queue.release(2);
        assert!(queue.reserve(3).is_ok(), "a released place is free again");
        queue.push_reserved(3, (3, 0)).unwrap();
        queue.push_reserved(3, (3, 1)).unwrap();
        assert_eq!(drain(&queue), [(1, 0), (3, 0), (3, 1)]);
        queue.stop();
        assert_eq!(queue.reserve(2).unwrap_err(), Refusal::Stopped);
        assert_eq!(queue.push_reserved(2, (2, 1)).unwrap_err().1, Refusal::Stopped);
    }

    #[test]
    fn reserved_places_count_in_the_expected_wait() {
        // 10 ms per job, 1 worker, at most 25 ms of waiting: the third place has two ahead of it (20 ms), the
        // fourth three (30 ms).
        let queue: FairQueue<u8> = FairQueue::new(
            Order::Fair,
            100,
            1,
            Duration::from_millis(25),
            Duration::from_millis(10),
        );
        for _ in 0..3 {
            queue.reserve(1).unwrap();
        }
        assert_eq!(queue.reserve(1).unwrap_err(), Refusal::TooLong);
        assert!(queue.reserve(2).is_ok(), "another tenant's first job waits one round");
    }

    #[test]
    fn a_fifo_queue_that_is_full_refuses_everybody() {
        let queue = FairQueue::new(Order::Fifo, 2, 1, LONG, GUESS);
        queue.push(1, (1, 0)).unwrap();
        queue.push(1, (1, 1)).unwrap();
        assert_eq!(queue.push(2, (2, 0)).unwrap_err().1, Refusal::Full);
    }

    #[test]
    fn a_job_expected_to_wait_too_long_is_refused_at_once() {
        // 10 ms per job, 2 workers, at most 30 ms of waiting; the wait counts whole rounds of the workers, so
        // with 7 jobs ahead (3 rounds, 30 ms) a job is queued, with 8 ahead (4 rounds) it is refused.
        let queue = FairQueue::new(
            Order::Fifo,
            100,
            2,
            Duration::from_millis(30),
            Duration::from_millis(10),
        );
        for i in 0..8 {
            queue.push(1, (1, i)).unwrap();
        }
        assert_eq!(queue.push(1, (1, 8)).unwrap_err().1, Refusal::TooLong);
        // In a fair queue another tenant's first job has only one job of each line ahead of it.
        let fair = FairQueue::new(
            Order::Fair,
            100,
            2,
            Duration::from_millis(30),
            Duration::from_millis(10),
        );
        for i in 0..8 {
            fair.push(1, (1, i)).unwrap();
        }
        assert_eq!(fair.push(1, (1, 8)).unwrap_err().1, Refusal::TooLong);
        assert!(fair.push(2, (2, 0)).is_ok());
    }

    #[test]
    fn a_job_that_waited_too_long_is_handed_back_not_worked_on() {
        let queue = FairQueue::new(Order::Fair, 10, 1, Duration::from_millis(5), GUESS);
        queue.push(1, (1, 0)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(queue.pop(LONG, || {}).unwrap().unwrap_err(), ((1, 0), Refusal::TooLong));
        assert_eq!(queue.counters().refused_wait.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_expected_wait_follows_measured_job_times() {
        let queue: FairQueue<u8> = FairQueue::new(Order::Fifo, 100, 1, Duration::from_millis(50), GUESS);
        for _ in 0..64 {
            queue.took(Duration::from_millis(20));
        }
        queue.push(1, 0).unwrap();
        queue.push(1, 1).unwrap();
        queue.push(1, 2).unwrap();
        assert_eq!(
            queue.push(1, 3).unwrap_err().1,
            Refusal::TooLong,
            "three jobs of ~20 ms ahead"
        );
    }

    #[test]
    fn stopping_wakes_the_workers() {
        let queue = std::sync::Arc::new(FairQueue::<u8>::new(Order::Fair, 10, 1, LONG, GUESS));
        let worker = {
            let queue = std::sync::Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut idled = 0;
                let stopped = queue.pop(Duration::from_millis(1), || idled += 1).is_none();
                (stopped, idled)
            })
        };
        std::thread::sleep(Duration::from_millis(10));
        queue.stop();
        assert_eq!(worker.join().unwrap(), (true, 1), "idle once, then stopped");
        assert_eq!(queue.push(1, 0).unwrap_err().1, Refusal::Stopped);
    }
}
