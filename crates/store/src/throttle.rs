use chrono::{DateTime, Duration, Utc};
use hearth_domain::{Admission, Backoff, Strikes, UserId};

use crate::db::on_pool;
use crate::{Db, StoreResult};

/// The lock-and-read of one key: creates its row if missing and takes the write lock (SQLite)
/// or the row lock (PostgreSQL) before reading, so admissions of one key run one at a time.
const LOCK_KEY: &str = "INSERT INTO login_throttle (throttle_key, strikes) VALUES ($1, 0) \
     ON CONFLICT (throttle_key) DO UPDATE SET strikes = login_throttle.strikes \
     RETURNING strikes, last_at, blocked_until";

const WRITE_KEY: &str = "UPDATE login_throttle SET strikes = $2, last_at = $3, blocked_until = $4 \
     WHERE throttle_key = $1";

type Row = (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn strikes_of((count, last_at, blocked_until): Row) -> Strikes {
    Strikes { count: u32::try_from(count).unwrap_or(u32::MAX), last_at, blocked_until }
}

// Strikes live in the database, not in memory, so several server nodes throttle together.
impl Db {
    /// Decides one login attempt against every key at once, in one transaction: either every
    /// key counts it (the attempt goes ahead) or none does and the longest wait is returned.
    /// Keys are locked in sorted order, so two attempts never wait on each other in a cycle.
    pub async fn admit_login_attempt(
        &self,
        keys: &[(String, Backoff)],
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), Duration>> {
        let mut keys: Vec<&(String, Backoff)> = keys.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let verdict = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut admitted = Vec::with_capacity(keys.len());
            let mut wait: Option<Duration> = None;
            for (key, rule) in &keys {
                let row: Row = sqlx::query_as(LOCK_KEY).bind(key).fetch_one(&mut *tx).await?;
                match rule.admit(strikes_of(row), now) {
                    Admission::Admitted(next) => admitted.push((key, next)),
                    Admission::Refused { retry_after } => {
                        wait = Some(wait.map_or(retry_after, |w| w.max(retry_after)));
                    }
                }
            }
            if wait.is_none() {
                for (key, next) in &admitted {
                    sqlx::query(WRITE_KEY)
                        .bind(key)
                        .bind(i64::from(next.count))
                        .bind(next.last_at)
                        .bind(next.blocked_until)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            wait.map_or(Ok(()), Err)
        });
        Ok(verdict)
    }

    /// After an admitted attempt proved the right password: the keys in `clear` hold nothing
    /// against it any more; the keys in `forgive` have that one attempt taken back.
    pub async fn settle_login_success(&self, clear: &[&str], forgive: &[&str]) -> StoreResult<()> {
        let mut keys: Vec<(&str, bool)> =
            clear.iter().map(|k| (*k, true)).chain(forgive.iter().map(|k| (*k, false))).collect();
        keys.sort_unstable();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (key, clears) in &keys {
                let row: Row = sqlx::query_as(LOCK_KEY).bind(key).fetch_one(&mut *tx).await?;
                let next = if *clears { Strikes::cleared() } else { strikes_of(row).forgiven() };
                sqlx::query(WRITE_KEY)
                    .bind(key)
                    .bind(i64::from(next.count))
                    .bind(next.last_at)
                    .bind(next.blocked_until)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// What `key` has on record (for tests and the operator).
    pub async fn find_login_strikes(&self, key: &str) -> StoreResult<Option<Strikes>> {
        let row: Option<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT strikes, last_at, blocked_until FROM login_throttle WHERE throttle_key = $1",
            )
            .bind(key)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(strikes_of))
    }

    /// Forgets keys whose last strike is older than `before` and that wait for nothing; run
    /// from a background job so unknown emails and passing addresses do not pile up.
    pub async fn delete_stale_login_strikes(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "DELETE FROM login_throttle WHERE (last_at IS NULL OR last_at < $1) \
                 AND (blocked_until IS NULL OR blocked_until < $1)",
            )
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }
}

// Browsers that signed in before.
impl Db {
    pub async fn insert_login_device(
        &self,
        user: UserId,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO login_devices (token_hash, user_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(token_hash)
            .bind(user.get())
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The account a device token was issued to, if it was issued after `since`.
    pub async fn find_login_device(
        &self,
        token_hash: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        let id: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT user_id FROM login_devices WHERE token_hash = $1 AND created_at > $2",
            )
            .bind(token_hash)
            .bind(since)
            .fetch_optional(pool)
            .await
        })?;
        Ok(id.map(UserId::new))
    }
}
