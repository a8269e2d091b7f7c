use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreResult};

/// A stored safety plan; `content` is sealed by the app's vault.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SafetyPlanRow {
    pub client_id: i64,
    pub content: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl Db {
    pub async fn find_safety_plan(&self, client: UserId) -> StoreResult<Option<SafetyPlanRow>> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT client_id, content, updated_at, updated_by FROM safety_plans WHERE client_id = $1",
            )
            .bind(client.get())
            .fetch_optional(pool)
            .await
        })?;
        Ok(row)
    }

    /// Creates or replaces the client's plan.
    pub async fn upsert_safety_plan(
        &self,
        client: UserId,
        sealed: &str,
        at: DateTime<Utc>,
        by: UserId,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO safety_plans (client_id, content, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (client_id) DO UPDATE SET content = excluded.content, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(client.get())
            .bind(sealed)
            .bind(at)
            .bind(by.get())
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }
}
