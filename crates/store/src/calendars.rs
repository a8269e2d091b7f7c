use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::db::on_pool;
use crate::{Db, StoreResult};

impl Db {
    /// Replaces the user's calendar feed with a new one (the old secret URL stops working).
    pub async fn replace_calendar_feed(
        &self,
        user: UserId,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(user.get())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user.get())
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Revokes the user's feed; returns whether one was live.
    pub async fn revoke_calendar_feed(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = on_pool!(self, |pool| {
            sqlx::query("UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(user.get())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// Whose live feed this token hash opens.
    pub async fn find_calendar_feed_owner(&self, token_hash: &str) -> StoreResult<Option<UserId>> {
        let owner: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT user_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await
        })?;
        Ok(owner.map(UserId::new))
    }
}
