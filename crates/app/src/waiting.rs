//! Who is waiting for a place, as a list kept for a short while. Reading every intake against
//! every seat and waitlist place costs tens of milliseconds at 100,000 clients, too much for
//! each view of a home page; the list is made at most once per [`WAITING_TTL`] (one refill at
//! a time), and the people shown from it are checked again before they are shown, so a
//! client placed a moment ago never appears. New arrivals appear at the next refill, or at
//! once on this node: submitting an intake or giving up a seat or place empties the list.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{User, UserId};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::{App, AppResult};

/// How old the kept list may be.
pub const WAITING_TTL: Duration = Duration::seconds(60);

/// (client, waiting since), longest waiting first.
pub(crate) type WaitingList = Arc<Vec<(i64, DateTime<Utc>)>>;

#[derive(Debug, Default)]
pub(crate) struct WaitingCache {
    latest: Mutex<Option<(DateTime<Utc>, WaitingList)>>,
    refill: tokio::sync::Mutex<()>,
}

impl WaitingCache {
    fn fresh(&self, now: DateTime<Utc>) -> Option<(WaitingList, DateTime<Utc>)> {
        let latest = self.latest.lock().ok()?;
        let (at, list) = latest.as_ref()?;
        (*at <= now && now - *at < WAITING_TTL).then(|| (Arc::clone(list), *at))
    }

    /// Forgets the list: the next reader makes it again.
    pub(crate) fn clear(&self) {
        if let Ok(mut latest) = self.latest.lock() {
            *latest = None;
        }
    }
}

impl App {
    /// Everyone waiting for a place since their intake, and when the list was made.
    pub(crate) async fn waiting_list(&self) -> AppResult<(WaitingList, DateTime<Utc>)> {
        if let Some(found) = self.waiting_cache.fresh(self.clock.now()) {
            return Ok(found);
        }
        let _refilling = self.waiting_cache.refill.lock().await;
        let now = self.clock.now();
        if let Some(found) = self.waiting_cache.fresh(now) {
            return Ok(found);
        }
        let list = Arc::new(self.db.list_unplaced_intakes().await?);
        if let Ok(mut latest) = self.waiting_cache.latest.lock() {
            *latest = Some((now, Arc::clone(&list)));
        }
        Ok((list, now))
    }

    /// The `n` people waiting longest for a place (each checked to be still waiting), how
    /// many were waiting when the list was made, and when that was.
    pub(crate) async fn longest_waiting(
        &self,
        n: usize,
    ) -> AppResult<(Vec<(User, DateTime<Utc>)>, usize, DateTime<Utc>)> {
        let (list, as_of) = self.waiting_list().await?;
        // Twice as many candidates as shown: a few may have been placed since.
        let candidates: Vec<(UserId, DateTime<Utc>)> =
            list.iter().take(2 * n).map(|(c, since)| (UserId::new(*c), *since)).collect();
        let ids: Vec<UserId> = candidates.iter().map(|(c, _)| *c).collect();
        let placed: HashSet<UserId> = self.db.placed_among(&ids).await?.into_iter().collect();
        let still: Vec<(UserId, DateTime<Utc>)> =
            candidates.into_iter().filter(|(c, _)| !placed.contains(c)).take(n).collect();
        let ids: Vec<UserId> = still.iter().map(|(c, _)| *c).collect();
        let mut people: HashMap<UserId, User> =
            self.db.find_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let shown = still.into_iter().filter_map(|(c, since)| Some((people.remove(&c)?, since)));
        Ok((shown.collect(), list.len().saturating_sub(placed.len()), as_of))
    }
}
