use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A booked (or cancelled) free consult call.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsultRow {
    pub id: i64,
    pub client_id: i64,
    pub coordinator_id: i64,
    pub starts_at: DateTime<Utc>,
    /// Sealed by the app's vault (plain only in rows from before migration 0017 that
    /// start-up has not sealed yet).
    pub phone: String,
    pub status: String,
}

/// A call a client asks for; `replaces` is the call it moves, cancelled in the same step.
#[derive(Clone, Copy, Debug)]
pub struct NewConsult<'a> {
    pub client: UserId,
    pub starts_at: DateTime<Utc>,
    /// Sealed by the app's vault.
    pub phone: &'a str,
    /// Now: calls before this are past and do not count.
    pub at: DateTime<Utc>,
    pub replaces: Option<i64>,
}

/// What a booking came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingOutcome {
    Booked {
        id: i64,
        coordinator: UserId,
    },
    /// The client already has an upcoming call (and did not say it is the one replaced).
    AlreadyBooked,
    /// `replaces` is not one of the client's own booked, upcoming calls.
    NotReplaceable,
    /// Every coordinator offered was booked at that time a moment ago.
    SlotTaken,
}

const COLUMNS: &str = "id, client_id, coordinator_id, starts_at, phone, status";

impl Db {
    /// Replaces a coordinator's weekly windows (`weekday`, `HH:MM`, `HH:MM` in their zone).
    pub async fn replace_availability(
        &self,
        coordinator: UserId,
        windows: &[(String, String, String)],
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
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
        }));
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

    /// Books a call with the first of `coordinators` still free at `starts_at`, and cancels
    /// the call it replaces, in one transaction that first locks the client's row: two
    /// bookings by one client run one after the other, so the one-call rule cannot be raced.
    /// `record` commits with the outcome.
    pub async fn book_consult(
        &self,
        booking: &NewConsult<'_>,
        coordinators: &[UserId],
        record: AuditRecord<'_, BookingOutcome>,
    ) -> StoreResult<BookingOutcome> {
        let NewConsult { client, starts_at, phone, at, replaces } = *booking;
        let outcome = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query("UPDATE users SET role = role WHERE id = $1")
                .bind(client.get())
                .execute(&mut *tx)
                .await?;
            let upcoming: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM consult_calls WHERE client_id = $1 AND status = 'booked' AND starts_at >= $2",
            )
            .bind(client.get())
            .bind(at)
            .fetch_all(&mut *tx)
            .await?;
            if replaces.is_some_and(|old| !upcoming.contains(&old)) {
                BookingOutcome::NotReplaceable
            } else if upcoming.iter().any(|id| Some(*id) != replaces) {
                BookingOutcome::AlreadyBooked
            } else {
                let mut booked = None;
                for coordinator in coordinators {
                    // DO NOTHING, not an error: a failed statement would end a PostgreSQL
                    // transaction, and the next coordinator may still be free.
                    booked = sqlx::query_scalar(
                        "INSERT INTO consult_calls (client_id, coordinator_id, starts_at, phone, status, created_at) \
                         VALUES ($1, $2, $3, $4, 'booked', $5) ON CONFLICT DO NOTHING RETURNING id",
                    )
                    .bind(client.get())
                    .bind(coordinator.get())
                    .bind(starts_at)
                    .bind(phone)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|id: i64| (id, *coordinator));
                    if booked.is_some() {
                        break;
                    }
                }
                match booked {
                    Some((id, coordinator)) => {
                        if let Some(old) = replaces {
                            sqlx::query(
                                "UPDATE consult_calls SET status = 'cancelled' WHERE id = $1",
                            )
                            .bind(old)
                            .execute(&mut *tx)
                            .await?;
                        }
                        BookingOutcome::Booked { id, coordinator }
                    }
                    None => BookingOutcome::SlotTaken,
                }
            }
        }));
        Ok(outcome)
    }

    /// Cancels one of the client's booked calls; `NotFound` otherwise.
    pub async fn cancel_consult(
        &self,
        id: i64,
        client: UserId,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query("UPDATE consult_calls SET status = 'cancelled' WHERE id = $1 AND client_id = $2 AND status = 'booked'")
                .bind(id)
                .bind(client.get())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }
}
