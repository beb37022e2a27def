//! Background passes over every tenant (the gauges, the cleanup) spread their tenants over half their
//! interval: with 10 000 tenants a pass is a steady trickle of small transactions, not a burst every interval
//! that the requests arriving meanwhile queue behind. With few tenants a pass runs at once.

use std::time::Duration;

/// Below this many tenants a pass is not spread.
pub const SPREAD_FROM: usize = 100;

/// The part of its interval a spread pass takes.
pub fn spread_of(interval: Duration) -> Duration {
    interval / 2
}

/// The pause after each tenant of a pass over `tenants` that is to take about `within`.
pub fn gap(tenants: usize, within: Duration) -> Duration {
    if tenants < SPREAD_FROM {
        return Duration::ZERO;
    }
    within / u32::try_from(tenants).unwrap_or(u32::MAX)
}

/// When the tenant after the first `done` is due, from the pass's start.
fn due_after(gap: Duration, done: u32) -> Duration {
    gap.saturating_mul(done)
}

/// Where a spread pass stands: the `i`-th of `n` tenants is due `within * i / n` after the start. Waiting for
/// each one's due time, rather than a fixed gap after each, keeps the pass to `within` whatever each tenant's
/// own work took and however coarse the timer (a tenant already late is not waited for).
pub struct Pace {
    start: tokio::time::Instant,
    gap: Duration,
    done: u32,
}

impl Pace {
    pub fn new(tenants: usize, within: Duration) -> Pace {
        Pace {
            start: tokio::time::Instant::now(),
            gap: gap(tenants, within),
            done: 0,
        }
    }

    /// After a tenant's turn: waits until the next one is due.
    pub async fn next(&mut self) {
        self.done = self.done.saturating_add(1);
        if self.gap.is_zero() {
            return;
        }
        let due = self.start + due_after(self.gap, self.done);
        if due > tokio::time::Instant::now() {
            tokio::time::sleep_until(due).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_tenants_are_not_spread_and_many_share_the_time() {
        let fifteen = Duration::from_secs(15);
        assert_eq!(gap(0, fifteen), Duration::ZERO);
        assert_eq!(gap(SPREAD_FROM - 1, fifteen), Duration::ZERO);
        assert_eq!(gap(SPREAD_FROM, fifteen), Duration::from_millis(150));
        assert_eq!(gap(10_000, fifteen), Duration::from_micros(1_500));
        // However many, the pass never takes longer than asked (and a huge count does not overflow).
        assert_eq!(
            gap(usize::MAX, Duration::from_secs(u64::from(u32::MAX))),
            Duration::from_secs(1)
        );
        assert_eq!(spread_of(Duration::from_secs(30)), fifteen);
    }

    #[test]
    fn the_last_of_many_tenants_is_due_at_the_end_of_the_spread() {
        // 1.5 ms apart, which a millisecond timer would round up to 2 ms a pause (20 s in all): the due times
        // are counted from the start, so the last is due at 15 s.
        let fifteen = Duration::from_secs(15);
        let g = gap(10_000, fifteen);
        assert_eq!(due_after(g, 10_000), fifteen);
        assert_eq!(due_after(g, 1), Duration::from_micros(1_500));
        assert_eq!(due_after(Duration::MAX, u32::MAX), Duration::MAX, "saturates");
    }
}
