use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::{
    AgeBand, Group, GroupFilter, GroupId, GroupStatus, TimeZone, UserId, WeeklySlot,
    parse_local_time, parse_weekday, weekday_slug,
};

use crate::audit::audited;
use crate::db::{on_pool, sql_count};
use crate::{AuditRecord, Db, StoreError, StoreResult};

#[derive(Debug)]
pub struct NewGroup {
    pub topic: String,
    pub therapist_id: UserId,
    pub slot: WeeklySlot,
    pub capacity: i32,
    pub age_band: AgeBand,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

/// The slot in force from a date on.
#[derive(Clone, Debug)]
pub struct SlotChange {
    pub effective_from: NaiveDate,
    pub slot: WeeklySlot,
}

/// One meeting cancelled or moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExceptionKind {
    Cancelled,
    Moved(DateTime<Utc>),
}

#[derive(Clone, Debug)]
pub struct StoredException {
    pub original_date: NaiveDate,
    pub kind: ExceptionKind,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    topic: String,
    therapist_id: i64,
    weekday: String,
    local_time: String,
    timezone: String,
    duration_minutes: i32,
    capacity: i32,
    age_band: String,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    status: String,
    seats_taken: i32,
    waitlist: i64,
    created_at: DateTime<Utc>,
}

pub(crate) fn slot_from(
    weekday: &str,
    local_time: &str,
    zone: &str,
    minutes: i32,
) -> StoreResult<WeeklySlot> {
    let weekday = parse_weekday(weekday).map_err(StoreError::corrupt)?;
    let time = parse_local_time(local_time).map_err(StoreError::corrupt)?;
    let zone = TimeZone::parse(zone).map_err(StoreError::corrupt)?;
    let minutes = u32::try_from(minutes).map_err(StoreError::corrupt)?;
    WeeklySlot::new(weekday, time, zone, minutes).map_err(StoreError::corrupt)
}

fn minutes_of(slot: &WeeklySlot) -> i32 {
    i32::try_from(slot.duration().num_minutes()).unwrap_or(i32::MAX)
}

impl TryFrom<GroupRow> for Group {
    type Error = StoreError;

    fn try_from(row: GroupRow) -> Result<Self, StoreError> {
        Ok(Group {
            id: GroupId::new(row.id),
            topic: row.topic,
            therapist_id: UserId::new(row.therapist_id),
            slot: slot_from(&row.weekday, &row.local_time, &row.timezone, row.duration_minutes)?,
            capacity: row.capacity,
            age_band: AgeBand::parse(&row.age_band).map_err(StoreError::corrupt)?,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            status: GroupStatus::parse(&row.status).map_err(StoreError::corrupt)?,
            seats_taken: row.seats_taken,
            waitlist: row.waitlist,
            created_at: row.created_at,
        })
    }
}

const GROUP_SELECT: &str = "SELECT g.id, g.topic, g.therapist_id, g.weekday, g.local_time, g.timezone, \
     g.duration_minutes, g.capacity, g.age_band, g.starts_on, g.ends_on, g.status, g.seats_taken, \
     (SELECT COUNT(*) FROM waitlist_entries w WHERE w.group_id = g.id \
        AND w.status IN ('waiting', 'offered')) AS waitlist, g.created_at FROM groups g";

impl Db {
    /// Creates a group, open and empty; `record` commits with it.
    pub async fn insert_group(
        &self,
        group: &NewGroup,
        record: AuditRecord<'_, GroupId>,
    ) -> StoreResult<GroupId> {
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO groups (topic, therapist_id, weekday, local_time, timezone, duration_minutes, \
                 capacity, age_band, starts_on, ends_on, status, seats_taken, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', 0, $11) RETURNING id",
            )
            .bind(&group.topic)
            .bind(group.therapist_id.get())
            .bind(weekday_slug(group.slot.weekday()))
            .bind(group.slot.local_time().format("%H:%M").to_string())
            .bind(group.slot.zone().name())
            .bind(minutes_of(&group.slot))
            .bind(group.capacity)
            .bind(group.age_band.as_str())
            .bind(group.starts_on)
            .bind(group.ends_on)
            .bind(group.created_at)
            .fetch_one(&mut *tx)
            .await?;
            GroupId::new(id)
        }));
        Ok(id)
    }

    pub async fn find_group(&self, id: GroupId) -> StoreResult<Option<Group>> {
        let sql = format!("{GROUP_SELECT} WHERE g.id = $1");
        let row: Option<GroupRow> =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(id.get()).fetch_optional(pool).await)?;
        row.map(Group::try_from).transpose()
    }

    /// Groups matching the filter, by topic then id.
    pub async fn list_groups(&self, filter: &GroupFilter) -> StoreResult<Vec<Group>> {
        let mut sql = format!(
            "{GROUP_SELECT} WHERE ($1 IS NULL OR g.topic = $1) AND ($2 IS NULL OR g.therapist_id = $2)"
        );
        if let Some(ids) = &filter.ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let list = crate::db::inline_ids(ids.iter().map(|g| g.get()));
            sql = format!("{sql} AND g.id IN ({list})");
        }
        sql.push_str(" ORDER BY g.topic, g.id");
        let rows: Vec<GroupRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(filter.topic.as_deref())
                .bind(filter.therapist.map(UserId::get))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// How many groups the catalogue lists: of `topic` if given, with a free seat if
    /// `with_seats`.
    pub async fn count_catalog(&self, topic: Option<&str>, with_seats: bool) -> StoreResult<i64> {
        let seats = if with_seats { " AND g.seats_taken < g.capacity" } else { "" };
        let sql =
            format!("SELECT COUNT(*) FROM groups g WHERE ($1 IS NULL OR g.topic = $1){seats}");
        let n: i64 =
            on_pool!(self, |pool| sqlx::query_scalar(&sql).bind(topic).fetch_one(pool).await)?;
        Ok(n)
    }

    /// `limit` groups from the `offset`-th of those [`Db::count_catalog`] counts, in
    /// [`Db::list_groups`]' order (topic, then id).
    pub async fn catalog_page(
        &self,
        topic: Option<&str>,
        with_seats: bool,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Vec<Group>> {
        let seats = if with_seats { " AND g.seats_taken < g.capacity" } else { "" };
        let sql = format!(
            "{GROUP_SELECT} WHERE ($1 IS NULL OR g.topic = $1){seats} \
             ORDER BY g.topic, g.id LIMIT $2 OFFSET $3"
        );
        let rows: Vec<GroupRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(topic)
                .bind(sql_count(limit))
                .bind(sql_count(offset))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// Changes the group's slot from `from` on (meetings before stay as they were).
    pub async fn insert_slot_change(
        &self,
        group: GroupId,
        from: NaiveDate,
        slot: &WeeklySlot,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            // A change replaces any later one, as the series does.
            sqlx::query(
                "DELETE FROM group_slot_changes WHERE group_id = $1 AND effective_from >= $2",
            )
            .bind(group.get())
            .bind(from)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO group_slot_changes (group_id, effective_from, weekday, local_time, timezone, \
                 duration_minutes) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(group.get())
            .bind(from)
            .bind(weekday_slug(slot.weekday()))
            .bind(slot.local_time().format("%H:%M").to_string())
            .bind(slot.zone().name())
            .bind(minutes_of(slot))
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    pub async fn list_slot_changes(&self, group: GroupId) -> StoreResult<Vec<SlotChange>> {
        let rows: Vec<(NaiveDate, String, String, String, i32)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT effective_from, weekday, local_time, timezone, duration_minutes \
                 FROM group_slot_changes WHERE group_id = $1 ORDER BY effective_from",
            )
            .bind(group.get())
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|(from, wd, lt, tz, m)| {
                Ok(SlotChange { effective_from: from, slot: slot_from(&wd, &lt, &tz, m)? })
            })
            .collect()
    }

    /// Cancels or moves one meeting (replacing an earlier exception for the same date).
    pub async fn upsert_exception(
        &self,
        group: GroupId,
        exception: &StoredException,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        let (kind, moved_to) = match exception.kind {
            ExceptionKind::Cancelled => ("cancelled", None),
            ExceptionKind::Moved(to) => ("moved", Some(to)),
        };
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO occurrence_exceptions (group_id, original_date, kind, moved_to) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, original_date) \
                 DO UPDATE SET kind = excluded.kind, moved_to = excluded.moved_to",
            )
            .bind(group.get())
            .bind(exception.original_date)
            .bind(kind)
            .bind(moved_to)
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    pub async fn delete_exception(
        &self,
        group: GroupId,
        original_date: NaiveDate,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "DELETE FROM occurrence_exceptions WHERE group_id = $1 AND original_date = $2",
            )
            .bind(group.get())
            .bind(original_date)
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    pub async fn list_exceptions(&self, group: GroupId) -> StoreResult<Vec<StoredException>> {
        let rows: Vec<(NaiveDate, String, Option<DateTime<Utc>>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT original_date, kind, moved_to FROM occurrence_exceptions WHERE group_id = $1 \
                 ORDER BY original_date",
            )
            .bind(group.get())
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|(date, kind, moved_to)| {
                let kind = match (kind.as_str(), moved_to) {
                    ("cancelled", _) => ExceptionKind::Cancelled,
                    ("moved", Some(to)) => ExceptionKind::Moved(to),
                    _ => return Err(StoreError::corrupt("an occurrence exception")),
                };
                Ok(StoredException { original_date: date, kind })
            })
            .collect()
    }
}
