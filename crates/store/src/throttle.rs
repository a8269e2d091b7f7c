use chrono::{DateTime, Utc};

use crate::db::on_pool;
use crate::{Db, StoreResult};

// Failures live in the database, not in memory, so several server nodes throttle together.
impl Db {
    pub async fn insert_login_failure(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// How many failures `key` had since `since`, and the oldest of them (which decides when
    /// the window reopens).
    pub async fn count_login_failures(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        let row: (i64, Option<DateTime<Utc>>) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(at) FROM login_failures WHERE throttle_key = $1 AND at > $2",
            )
            .bind(key)
            .bind(since)
            .fetch_one(pool)
            .await
        })?;
        Ok(row)
    }

    pub async fn delete_login_failures(&self, key: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
                .bind(key)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Forgets failures older than `before`; run from a background job.
    pub async fn delete_login_failures_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(before)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }
}
