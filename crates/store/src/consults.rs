use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::db::on_pool;
use crate::{Db, StoreError, StoreResult};

/// A booked (or cancelled) free consult call.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsultRow {
    pub id: i64,
    pub client_id: i64,
    pub coordinator_id: i64,
    pub starts_at: DateTime<Utc>,
    pub phone: String,
    pub status: String,
}

const COLUMNS: &str = "id, client_id, coordinator_id, starts_at, phone, status";

impl Db {
    /// Replaces a coordinator's weekly windows (`weekday`, `HH:MM`, `HH:MM` in their zone).
    pub async fn replace_availability(
        &self,
        coordinator: UserId,
        windows: &[(String, String, String)],
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM coordinator_availability WHERE coordinator_id = $1")
                .bind(coordinator.get())
                .execute(&mut *tx)
                .await?;
            for (weekday, from, to) in windows {
                sqlx::query(
                    "INSERT INTO coordinator_availability (coordinator_id, weekday, from_time, to_time) VALUES ($1, $2, $3, $4)",
                )
                .bind(coordinator.get())
                .bind(weekday)
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every coordinator's windows: (coordinator, weekday, from, to).
    pub async fn list_availability(&self) -> StoreResult<Vec<(i64, String, String, String)>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT coordinator_id, weekday, from_time, to_time FROM coordinator_availability ORDER BY coordinator_id, id",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Booked calls from `from` on.
    pub async fn list_booked_consults(&self, from: DateTime<Utc>) -> StoreResult<Vec<ConsultRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM consult_calls WHERE status = 'booked' AND starts_at >= $1 ORDER BY starts_at"
        );
        let rows = on_pool!(self, |pool| sqlx::query_as(&sql).bind(from).fetch_all(pool).await)?;
        Ok(rows)
    }

    /// A client's calls, newest first.
    pub async fn list_client_consults(&self, client: UserId) -> StoreResult<Vec<ConsultRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM consult_calls WHERE client_id = $1 ORDER BY starts_at DESC"
        );
        let rows =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(client.get()).fetch_all(pool).await)?;
        Ok(rows)
    }

    /// Books a call; `Conflict` on `consult_calls_coordinator_id_starts_at_key` when that
    /// coordinator was just booked at that time by someone else.
    pub async fn insert_consult(
        &self,
        client: UserId,
        coordinator: UserId,
        starts_at: DateTime<Utc>,
        phone: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let id = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO consult_calls (client_id, coordinator_id, starts_at, phone, status, created_at) \
                 VALUES ($1, $2, $3, $4, 'booked', $5) RETURNING id",
            )
            .bind(client.get())
            .bind(coordinator.get())
            .bind(starts_at)
            .bind(phone)
            .bind(at)
            .fetch_one(pool)
            .await
        })?;
        Ok(id)
    }

    /// Cancels one of the client's booked calls; `NotFound` otherwise.
    pub async fn cancel_consult(&self, id: i64, client: UserId) -> StoreResult<()> {
        let done = on_pool!(self, |pool| {
            sqlx::query("UPDATE consult_calls SET status = 'cancelled' WHERE id = $1 AND client_id = $2 AND status = 'booked'")
                .bind(id)
                .bind(client.get())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
