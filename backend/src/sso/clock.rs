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
