//! Every group's meeting series for pages that show many groups (the catalog, a therapist's
//! groups, a client's groups): the slot changes and exceptions of all groups are read in two
//! statements and kept for at most [`SCHEDULE_TTL`]. A change made through this node clears
//! them at once; one made through another node shows within the minute. Decisions (the room
//! door, cancelling, moving) never read this copy: they read the group's own series fresh
//! ([`App::series_of`]).

use chrono::{DateTime, Duration, Utc};
use hearth_domain::Group;
use hearth_domain::GroupId;
use hearth_domain::Series;
use hearth_store::{ExceptionKind, SeriesChanges, SlotChange, StoredException};
use std::sync::Arc;

use crate::groups::{OccurrenceView, view};
use crate::{App, AppResult};

/// How long the series of every group are kept before they are read again.
pub const SCHEDULE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// A group's series from its stored row, slot changes and exceptions.
pub(crate) fn build_series(
    group: &Group,
    slot_changes: &[SlotChange],
    exceptions: &[StoredException],
) -> AppResult<Series> {
    let mut series = Series::new(group.slot, group.starts_on, group.ends_on)
        .map_err(|e| anyhow::anyhow!("stored group {} has an invalid series: {e}", group.id))?;
    for change in slot_changes {
        series
            .change_from(change.effective_from, change.slot)
            .map_err(|e| anyhow::anyhow!("stored slot change of group {}: {e}", group.id))?;
    }
    for exception in exceptions {
        // An exception on a date the series no longer meets (after a slot change) lapses.
        let _ = match exception.kind {
            ExceptionKind::Cancelled => series.cancel(exception.original_date),
            ExceptionKind::Moved(to) => series.move_occurrence(exception.original_date, to),
        };
    }
    Ok(series)
}

/// The next `count` meetings of `series` that have not ended by `now`, in `zone`.
pub(crate) fn upcoming(
    series: &Series,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
    count: usize,
) -> Vec<OccurrenceView> {
    let weeks = i64::try_from(count).unwrap_or(4) + 6;
    let mut found: Vec<OccurrenceView> = series
        .occurrences(now - Duration::hours(2), now + Duration::weeks(weeks))
        .iter()
        .filter(|o| o.occurrence.ends_at > now)
        .map(|o| view(o, zone))
        .collect();
    found.truncate(count);
    found
}

impl App {
    /// Every group's slot changes and exceptions, at most [`SCHEDULE_TTL`] old.
    pub(crate) async fn series_changes(&self) -> AppResult<Arc<SeriesChanges>> {
        self.schedule_cache
            .get_or_read(|| async { Ok(self.db.list_all_series_changes().await?) })
            .await
    }

    /// `group`'s series from the kept copy of every group's changes.
    pub(crate) fn series_from(group: &Group, changes: &SeriesChanges) -> AppResult<Series> {
        build_series(
            group,
            changes.slot_changes.get(&group.id).map_or(&[], Vec::as_slice),
            changes.exceptions.get(&group.id).map_or(&[], Vec::as_slice),
        )
    }

    /// The next meeting on each group's own slot (moved and cancelled meetings aside), for
    /// what the group's schedule says: one read of every group's series (kept a minute),
    /// however many groups.
    pub async fn regular_meeting_of_each(
        &self,
        zone: hearth_domain::TimeZone,
        groups: &[Group],
    ) -> AppResult<std::collections::HashMap<GroupId, OccurrenceView>> {
        let changes = self.series_changes().await?;
        let now = self.clock.now();
        let mut next = std::collections::HashMap::with_capacity(groups.len());
        for group in groups {
            let series = Self::series_from(group, &changes)?;
            if let Some(regular) = series.next_on_slot(now) {
                next.insert(group.id, view(&regular, zone.tz()));
            }
        }
        Ok(next)
    }
}
