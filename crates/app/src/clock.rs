use chrono::{DateTime, Utc};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

/// The time, behind a port so tests can move it.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, truncated to microseconds (what both engines store).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_micros(Utc::now())
    }
}

/// A clock that only moves when told to.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(to_micros(start))))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().expect("the clock's lock is never poisoned");
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().expect("the clock's lock is never poisoned") = to_micros(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("the clock's lock is never poisoned")
    }
}

fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let extra = at.timestamp_subsec_nanos() % 1_000;
    at - chrono::Duration::nanoseconds(i64::from(extra))
}
