//! The current time, injected so that expiry and lockout are testable without sleeping.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that moves only when told to (tests).
    Manual(Arc<Mutex<NaiveDateTime>>),
}

impl Clock {
    pub fn manual(start: NaiveDateTime) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(start)))
    }

    /// Now, naive UTC, truncated to microseconds so it reads back the same from both databases.
    pub fn now(&self) -> NaiveDateTime {
        let now = match self {
            Clock::System => Utc::now().naive_utc(),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        };
        crate::store::truncate_micros(now)
    }

    /// Moves a manual clock forward; the system clock ignores this.
    pub fn advance(&self, by: TimeDelta) {
        if let Clock::Manual(t) = self {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            *t += by;
        }
    }
}

/// The date that stands for "never" (a password that does not expire, a lock without end): the last second
/// of 9999, which both databases store and every client parses. Date arithmetic that would pass it stops there.
pub const NEVER: NaiveDateTime = match chrono::NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => match d.and_hms_opt(23, 59, 59) {
        Some(t) => t,
        None => NaiveDateTime::MIN,
    },
    None => NaiveDateTime::MIN,
};

/// `t + delta`, or [`NEVER`] when that is past it (or past what a date can hold).
pub fn later(t: NaiveDateTime, delta: Option<TimeDelta>) -> NaiveDateTime {
    delta
        .and_then(|d| t.checked_add_signed(d))
        .filter(|when| *when < NEVER)
        .unwrap_or(NEVER)
}

/// `days` days after `t`, saturating at [`NEVER`].
pub fn days_after(t: NaiveDateTime, days: impl Into<i64>) -> NaiveDateTime {
    later(t, TimeDelta::try_days(days.into()))
}

/// `minutes` minutes after `t`, saturating at [`NEVER`].
pub fn minutes_after(t: NaiveDateTime, minutes: impl Into<i64>) -> NaiveDateTime {
    later(t, TimeDelta::try_minutes(minutes.into()))
}

/// `days` days before `t`, saturating at the earliest date.
pub fn days_before(t: NaiveDateTime, days: impl Into<i64>) -> NaiveDateTime {
    TimeDelta::try_days(days.into())
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(NaiveDateTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_arithmetic_saturates_instead_of_panicking() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        assert_eq!(days_after(now, 1), now + TimeDelta::days(1));
        for extreme in [i64::from(u32::MAX), i64::MAX, i64::MIN / 2] {
            let after = days_after(now, extreme);
            assert!(after == NEVER || after < now, "{extreme}: {after}");
            assert_eq!(minutes_after(now, i64::MAX), NEVER);
            let _ = days_before(now, extreme);
        }
        assert_eq!(days_after(now, u32::MAX), NEVER);
        assert_eq!(days_before(now, u32::MAX), NaiveDateTime::MIN);
        assert_eq!(minutes_after(NEVER, 1), NEVER);
    }
}
