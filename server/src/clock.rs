//! Sources of the current time, so tests can move time by hand.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// Source of the current time for the simulator.
pub trait Clock: Send + Sync + 'static {
    /// Returns the current instant.
    fn now(&self) -> OffsetDateTime;
}

/// Clock that reads the system time in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Clock that returns a fixed instant until a test sets or advances it.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// Creates a clock that reads `start` until it is changed.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Sets the current instant. Moving it backwards is allowed.
    pub fn set(&self, now: OffsetDateTime) {
        *self.lock() = now;
    }

    /// Moves the current instant forward by `step`.
    ///
    /// # Panics
    ///
    /// Panics if the result is past the largest date that `time` supports
    /// (the end of year 9999 by default).
    pub fn advance(&self, step: Duration) {
        let mut now = self.lock();
        *now += step;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // The guarded value is a plain instant that no panic can leave
        // half-written, so a poisoned lock is still safe to use.
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}
