//! A recent read of what every ranking and catalogue view needs about the practice's groups
//! (the groups, their therapists' names, licenses and specialties, the topics' names), shared by
//! the requests of a moment, so that a view does not re-read thousands of groups. Seats and
//! waitlists shown from it may be up to [`PracticeSnapshot::TTL`] old; reserving a seat always
//! reads the group fresh under its lock. When it runs out, one request reads it again while
//! the others wait for that read instead of each making their own (a burst of views after it
//! expired costs one read, not one each).

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{Group, GroupFilter, License, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{App, AppResult};

/// The practice's groups and what ranking them needs.
#[derive(Debug, Default)]
pub(crate) struct Practice {
    /// Every group, by id.
    pub groups: Vec<Group>,
    /// Each therapist's licenses.
    pub licenses: HashMap<UserId, Vec<License>>,
    /// Each therapist's specialties (topic slugs).
    pub specialties: HashMap<UserId, Vec<String>>,
    /// Topic slug to name.
    pub topic_names: HashMap<String, String>,
    /// Each group's therapist's name.
    pub therapist_names: HashMap<UserId, String>,
}

/// The latest [`Practice`] read and when.
#[derive(Debug, Default)]
pub(crate) struct PracticeSnapshot {
    latest: Mutex<Option<(DateTime<Utc>, Arc<Practice>)>>,
    /// Held while the practice is read again.
    refill: tokio::sync::Mutex<()>,
}

impl PracticeSnapshot {
    pub(crate) const TTL: Duration = Duration::seconds(2);

    fn fresh(&self, now: DateTime<Utc>) -> Option<Arc<Practice>> {
        let latest = self.latest.lock().ok()?;
        let (at, practice) = latest.as_ref()?;
        (now >= *at && now - *at < Self::TTL).then(|| Arc::clone(practice))
    }
}

impl App {
    /// The practice as read at most [`PracticeSnapshot::TTL`] ago.
    pub(crate) async fn practice_snapshot(&self) -> AppResult<Arc<Practice>> {
        if let Some(practice) = self.practice_snapshot.fresh(self.clock.now()) {
            return Ok(practice);
        }
        let _refilling = self.practice_snapshot.refill.lock().await;
        let now = self.clock.now();
        if let Some(practice) = self.practice_snapshot.fresh(now) {
            return Ok(practice);
        }
        let groups = self.db.list_groups(&GroupFilter::default()).await?;
        let mut therapists: Vec<UserId> = groups.iter().map(|g| g.therapist_id).collect();
        therapists.sort_unstable();
        therapists.dedup();
        let mut licenses: HashMap<UserId, Vec<License>> = HashMap::new();
        for (holder, license) in self.db.list_licenses(&therapists).await? {
            licenses.entry(holder).or_default().push(license);
        }
        let mut specialties: HashMap<UserId, Vec<String>> = HashMap::new();
        for (holder, topic) in self.db.list_all_specialties().await? {
            specialties.entry(holder).or_default().push(topic);
        }
        let topic_names =
            self.topics().await?.iter().map(|t| (t.slug.clone(), t.name.clone())).collect();
        let therapist_names = self.display_names(therapists.iter().copied()).await?;
        let practice =
            Arc::new(Practice { groups, licenses, specialties, topic_names, therapist_names });
        if let Ok(mut latest) = self.practice_snapshot.latest.lock() {
            *latest = Some((now, Arc::clone(&practice)));
        }
        Ok(practice)
    }
}
