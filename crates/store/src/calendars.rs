use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreResult};

impl Db {
    /// Replaces the user's calendar feed with a new one (the old secret URL stops working).
    pub async fn replace_calendar_feed(
        &self,
        user: UserId,
        token_hash: &str,
        now: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
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
        }));
        Ok(())
    }

    /// Revokes the user's feed; returns whether one was live. `record` commits with the
    /// answer.
    pub async fn revoke_calendar_feed(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        record: AuditRecord<'_, bool>,
    ) -> StoreResult<bool> {
        let revoked = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query("UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(user.get())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        }));
        Ok(revoked)
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

impl Db {
    /// Whether the user asked for a discreet calendar (no row: not discreet).
    pub async fn find_calendar_discreet(&self, user: UserId) -> StoreResult<bool> {
        let discreet: Option<bool> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT discreet FROM calendar_preferences WHERE user_id = $1")
                .bind(user.get())
                .fetch_optional(pool)
                .await
        })?;
        Ok(discreet.unwrap_or(false))
    }

    /// Records whether the user's calendar events are discreet.
    pub async fn set_calendar_discreet(
        &self,
        user: UserId,
        discreet: bool,
        now: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO calendar_preferences (user_id, discreet, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET discreet = excluded.discreet, \
                 updated_at = excluded.updated_at",
            )
            .bind(user.get())
            .bind(discreet)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }
}
