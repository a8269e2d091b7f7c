//! Values the app seals with its vault (the keys never reach the database), and the rows an
//! earlier version wrote plain, which the app seals once at start-up.
//!
//! A sealed value binds its row's identity, which for a new row exists only once the row is
//! inserted: the store calls [`SealForRow`] (or a sealing closure) inside the transaction that
//! inserts the row, so no row is ever committed without its sealed values.

use chrono::NaiveDate;
use std::fmt;

use crate::db::on_pool;
use crate::{Db, StoreError, StoreResult};

/// Seals one value for the row whose id it is given.
pub struct SealForRow(Box<dyn Fn(i64) -> anyhow::Result<String> + Send + Sync>);

impl SealForRow {
    pub fn new(seal: impl Fn(i64) -> anyhow::Result<String> + Send + Sync + 'static) -> Self {
        Self(Box::new(seal))
    }

    pub(crate) fn seal(&self, id: i64) -> StoreResult<String> {
        Ok((self.0)(id)?)
    }
}

impl fmt::Debug for SealForRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the value it seals.
        f.write_str("SealForRow(..)")
    }
}

/// A measure written plain before migration 0017.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PlainMeasureRow {
    pub id: i64,
    pub client_id: i64,
    pub instrument: String,
    pub answers: Option<String>,
    pub total: Option<i32>,
    pub severity: Option<String>,
    pub subscales: Option<String>,
    pub risk: Option<String>,
}

/// A risk flag whose level was written plain before migration 0017.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PlainRiskLevelRow {
    pub id: i64,
    pub level: Option<String>,
}

/// Up to this many plain rows are read, sealed and written back per transaction, so an
/// interrupted start-up keeps what it sealed and a large practice does not hold one long lock.
pub const SEAL_BATCH: i64 = 500;

impl Db {
    /// Measures still plain with ids above `after`, lowest first, at most [`SEAL_BATCH`].
    pub async fn list_plain_measures(&self, after: i64) -> StoreResult<Vec<PlainMeasureRow>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, client_id, instrument, answers, total, severity, subscales, risk \
                 FROM measures WHERE sealed IS NULL AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(SEAL_BATCH)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Stores each measure's sealed record and total (id, record, total) and empties its
    /// plain columns, in one transaction; a row sealed meanwhile (by another node starting)
    /// is left as it is. Returns how many rows this call sealed.
    pub async fn seal_plain_measures(
        &self,
        sealed: &[(i64, String, Option<String>)],
    ) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut done = 0;
            for (id, record, total) in sealed {
                done += sqlx::query(
                    "UPDATE measures SET sealed = $1, total_sealed = $2, answers = NULL, total = NULL, \
                     severity = NULL, subscales = NULL, risk = NULL WHERE id = $3 AND sealed IS NULL",
                )
                .bind(record)
                .bind(total)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// Risk flags whose level is still plain, ids above `after`, at most [`SEAL_BATCH`].
    pub async fn list_plain_risk_levels(&self, after: i64) -> StoreResult<Vec<PlainRiskLevelRow>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, level FROM risk_flags WHERE level_sealed IS NULL AND id > $1 \
                 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(SEAL_BATCH)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Stores each flag's sealed level and empties the plain one, in one transaction.
    pub async fn seal_plain_risk_levels(&self, sealed: &[(i64, String)]) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut done = 0;
            for (id, value) in sealed {
                done += sqlx::query(
                    "UPDATE risk_flags SET level_sealed = $1, level = NULL \
                     WHERE id = $2 AND level_sealed IS NULL",
                )
                .bind(value)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// Accounts whose birth date is still plain, ids above `after`, at most [`SEAL_BATCH`].
    pub async fn list_plain_birth_dates(&self, after: i64) -> StoreResult<Vec<(i64, NaiveDate)>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, birth_date FROM users WHERE birth_date IS NOT NULL AND id > $1 \
                 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(SEAL_BATCH)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Stores each account's sealed birth date and empties the plain one.
    pub async fn seal_plain_birth_dates(&self, sealed: &[(i64, String)]) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut done = 0;
            for (id, value) in sealed {
                done += sqlx::query(
                    "UPDATE users SET birth_date_sealed = $1, birth_date = NULL \
                     WHERE id = $2 AND birth_date IS NOT NULL",
                )
                .bind(value)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// Consult calls whose phone number is still plain: (id, client, phone), ids above
    /// `after`, at most [`SEAL_BATCH`]. The number is sealed in its own column: a sealed value
    /// starts with its version, `v1.` (`app/vault.rs`); a number (digits, spaces and `+-().`)
    /// never starts with a `v`.
    pub async fn list_plain_phones(&self, after: i64) -> StoreResult<Vec<(i64, i64, String)>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, client_id, phone FROM consult_calls \
                 WHERE phone NOT LIKE 'v%' AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(SEAL_BATCH)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Replaces each call's plain phone number (as read) with its sealed value.
    pub async fn seal_plain_phones(&self, sealed: &[(i64, String, String)]) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut done = 0;
            for (id, plain, value) in sealed {
                done +=
                    sqlx::query("UPDATE consult_calls SET phone = $1 WHERE id = $2 AND phone = $3")
                        .bind(value)
                        .bind(id)
                        .bind(plain)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// After rows were sealed: removes the copies of their plain values the engine still
    /// keeps. SQLite zeroes freed space itself (`secure_delete`), so its WAL is checkpointed
    /// and truncated; PostgreSQL keeps old row versions until a vacuum, so each of `tables`
    /// is rewritten with `VACUUM FULL` (an exclusive lock on it while that runs, once).
    pub async fn scrub_after_sealing(&self, tables: &[&str]) -> StoreResult<()> {
        const SEALED_TABLES: [&str; 4] = ["measures", "risk_flags", "users", "consult_calls"];
        if let Some(other) = tables.iter().find(|t| !SEALED_TABLES.contains(t)) {
            return Err(StoreError::Other(anyhow::anyhow!("{other} holds no sealed fields")));
        }
        match self {
            Db::Sqlite(pool) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await?;
            }
            Db::Postgres(pool) => {
                for table in tables {
                    // A name from the list above, never input.
                    sqlx::raw_sql(&format!("VACUUM FULL {table}")).execute(pool).await?;
                }
            }
        }
        Ok(())
    }
}
