//! A value read from the database and kept for a short while, for what pages show on every
//! view and people change rarely (the therapists a group form offers, the coordinators' call
//! hours, how many accounts the practice has). Two rules bound how old a shown value may be:
//! a change made through this node forgets the kept value at once ([`Kept::clear`]), and a
//! change made through another node shows within the value's time to live. When the value has
//! run out, one request reads it again while the others wait for that read rather than each
//! making their own: a burst of views after it expired costs one read.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One kept value and when it was read.
#[derive(Debug)]
pub(crate) struct Kept<T> {
    ttl: Duration,
    latest: Mutex<Option<(Instant, Arc<T>)>>,
    /// Held while the value is read again.
    refill: tokio::sync::Mutex<()>,
}

impl<T> Kept<T> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, latest: Mutex::new(None), refill: tokio::sync::Mutex::new(()) }
    }

    /// The kept value, if read less than the time to live ago.
    pub(crate) fn fresh(&self) -> Option<Arc<T>> {
        let latest = self.latest.lock().ok()?;
        latest.as_ref().filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| Arc::clone(v))
    }

    /// Keeps `value`, read just now.
    pub(crate) fn keep(&self, value: Arc<T>) {
        if let Ok(mut latest) = self.latest.lock() {
            *latest = Some((Instant::now(), value));
        }
    }

    /// Forgets the kept value (it changed through this node).
    pub(crate) fn clear(&self) {
        if let Ok(mut latest) = self.latest.lock() {
            *latest = None;
        }
    }

    /// The kept value, or the one `read` makes (one read at a time).
    pub(crate) async fn get_or_read<E, F>(&self, read: impl FnOnce() -> F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        let _refilling = self.refill.lock().await;
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        let value = Arc::new(read().await?);
        self.keep(Arc::clone(&value));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Kept;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_kept_value_is_read_once_until_cleared_or_expired() {
        let reads = AtomicUsize::new(0);
        let read = || async { Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        let kept = Kept::new(Duration::from_secs(60));
        assert_eq!(*kept.get_or_read(read).await.expect("read"), 1);
        assert_eq!(*kept.get_or_read(read).await.expect("read"), 1, "kept, not read again");
        kept.clear();
        assert_eq!(*kept.get_or_read(read).await.expect("read"), 2, "cleared: read again");
        let expired = Kept::new(Duration::ZERO);
        assert_eq!(*expired.get_or_read(read).await.expect("read"), 3);
        assert_eq!(*expired.get_or_read(read).await.expect("read"), 4, "run out: read again");
    }

    #[tokio::test]
    async fn a_failed_read_keeps_nothing() {
        let kept: Kept<u8> = Kept::new(Duration::from_secs(60));
        assert_eq!(
            kept.get_or_read(|| async { Err::<u8, _>("down") }).await.expect_err("the read fails"),
            "down"
        );
        assert!(kept.fresh().is_none());
    }
}
