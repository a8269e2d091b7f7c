//! Every group's series changes at once (slot changes and cancelled or moved meetings), for
//! pages that show many groups' next meetings: two statements, however many groups.

use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::GroupId;
use std::collections::HashMap;

use crate::db::on_pool;
use crate::groups::slot_from;
use crate::{Db, ExceptionKind, SlotChange, StoreError, StoreResult, StoredException};

/// Each group's slot changes and exceptions, keyed by group; a group with neither is absent.
#[derive(Clone, Debug, Default)]
pub struct SeriesChanges {
    pub slot_changes: HashMap<GroupId, Vec<SlotChange>>,
    pub exceptions: HashMap<GroupId, Vec<StoredException>>,
}

impl Db {
    /// The slot changes and exceptions of every group, in date order within each group.
    pub async fn list_all_series_changes(&self) -> StoreResult<SeriesChanges> {
        let changes: Vec<(i64, NaiveDate, String, String, String, i32)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT group_id, effective_from, weekday, local_time, timezone, duration_minutes \
                 FROM group_slot_changes ORDER BY group_id, effective_from",
            )
            .fetch_all(pool)
            .await
        })?;
        let exceptions: Vec<(i64, NaiveDate, String, Option<DateTime<Utc>>)> =
            on_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT group_id, original_date, kind, moved_to FROM occurrence_exceptions \
                     ORDER BY group_id, original_date",
                )
                .fetch_all(pool)
                .await
            })?;
        let mut all = SeriesChanges::default();
        for (group, from, weekday, local_time, zone, minutes) in changes {
            let slot = slot_from(&weekday, &local_time, &zone, minutes)?;
            all.slot_changes
                .entry(GroupId::new(group))
                .or_default()
                .push(SlotChange { effective_from: from, slot });
        }
        for (group, date, kind, moved_to) in exceptions {
            let kind = match (kind.as_str(), moved_to) {
                ("cancelled", _) => ExceptionKind::Cancelled,
                ("moved", Some(to)) => ExceptionKind::Moved(to),
                _ => return Err(StoreError::corrupt("an occurrence exception")),
            };
            all.exceptions
                .entry(GroupId::new(group))
                .or_default()
                .push(StoredException { original_date: date, kind });
        }
        Ok(all)
    }
}
