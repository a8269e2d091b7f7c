use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::{GroupId, UserId};

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreResult};

/// One person's attendance at one meeting.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AttendanceRow {
    pub group_id: i64,
    pub meeting_date: NaiveDate,
    pub user_id: i64,
    pub first_joined_at: Option<DateTime<Utc>>,
    pub last_left_at: Option<DateTime<Utc>>,
    pub connected_since: Option<DateTime<Utc>>,
    pub connected_seconds: i64,
    pub status: String,
    pub corrected_by: Option<i64>,
    pub corrected_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "group_id, meeting_date, user_id, first_joined_at, last_left_at, \
                       connected_since, connected_seconds, status, corrected_by, corrected_at";

impl Db {
    /// The person's media connected at `at`: the first time makes them present (unless the
    /// therapist already set their status); later times start a new stretch.
    pub async fn attendance_connected(
        &self,
        group: GroupId,
        date: NaiveDate,
        user: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO attendance (group_id, meeting_date, user_id, first_joined_at, connected_since, status) \
                 VALUES ($1, $2, $3, $4, $4, 'present') \
                 ON CONFLICT (group_id, meeting_date, user_id) DO UPDATE SET \
                 first_joined_at = COALESCE(attendance.first_joined_at, excluded.first_joined_at), \
                 connected_since = excluded.connected_since",
            )
            .bind(group.get())
            .bind(date)
            .bind(user.get())
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The person's media dropped at `at`: the stretch since it connected is added up.
    pub async fn attendance_left(
        &self,
        group: GroupId,
        date: NaiveDate,
        user: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let Some(row) = self.find_attendance(group, date, user).await? else {
            return Ok(());
        };
        let Some(since) = row.connected_since else {
            return Ok(());
        };
        let seconds = row.connected_seconds + (at - since).num_seconds().max(0);
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE attendance SET connected_since = NULL, connected_seconds = $4, last_left_at = $5 \
                 WHERE group_id = $1 AND meeting_date = $2 AND user_id = $3",
            )
            .bind(group.get())
            .bind(date)
            .bind(user.get())
            .bind(seconds)
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The therapist sets people's statuses for a meeting (creating the row for someone who
    /// never connected), every line in one transaction with its audit row: all or nothing.
    pub async fn correct_attendance(
        &self,
        group: GroupId,
        date: NaiveDate,
        lines: &[(UserId, &str)],
        by: UserId,
        at: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            for (user, status) in lines {
                sqlx::query(
                    "INSERT INTO attendance (group_id, meeting_date, user_id, status, corrected_by, corrected_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (group_id, meeting_date, user_id) DO UPDATE SET \
                     status = excluded.status, corrected_by = excluded.corrected_by, \
                     corrected_at = excluded.corrected_at",
                )
                .bind(group.get())
                .bind(date)
                .bind(user.get())
                .bind(*status)
                .bind(by.get())
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
        }));
        Ok(())
    }

    pub async fn find_attendance(
        &self,
        group: GroupId,
        date: NaiveDate,
        user: UserId,
    ) -> StoreResult<Option<AttendanceRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM attendance WHERE group_id = $1 AND meeting_date = $2 AND user_id = $3"
        );
        let row = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(group.get())
                .bind(date)
                .bind(user.get())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row)
    }

    /// Everyone recorded for a meeting.
    pub async fn list_attendance(
        &self,
        group: GroupId,
        date: NaiveDate,
    ) -> StoreResult<Vec<AttendanceRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM attendance WHERE group_id = $1 AND meeting_date = $2 ORDER BY user_id"
        );
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(group.get()).bind(date).fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Records that the meeting's session was ended (the first end counts).
    pub async fn end_meeting(
        &self,
        group: GroupId,
        date: NaiveDate,
        by: UserId,
        at: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO meeting_ends (group_id, meeting_date, ended_at, ended_by) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, meeting_date) DO NOTHING",
            )
            .bind(group.get())
            .bind(date)
            .bind(at)
            .bind(by.get())
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    /// When the meeting's session was ended, if it was.
    pub async fn meeting_ended_at(
        &self,
        group: GroupId,
        date: NaiveDate,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let at = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT ended_at FROM meeting_ends WHERE group_id = $1 AND meeting_date = $2",
            )
            .bind(group.get())
            .bind(date)
            .fetch_optional(pool)
            .await
        })?;
        Ok(at)
    }
}
