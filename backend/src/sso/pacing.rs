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

/// Waits `gap` (no yield at all when it is zero).
pub async fn pause(gap: Duration) {
    if !gap.is_zero() {
        actix_web::rt::time::sleep(gap).await;
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
}
