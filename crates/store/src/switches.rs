use chrono::{DateTime, Utc};
use hearth_domain::{GroupId, UserId};

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A request to switch groups; `reason` is sealed by the app's vault.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SwitchRequestRow {
    pub id: i64,
    pub client_id: i64,
    pub from_group: i64,
    pub to_group: i64,
    pub reason: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, client_id, from_group, to_group, reason, status, created_at, decided_by, decided_at";

impl Db {
    pub async fn insert_switch_request(
        &self,
        client: UserId,
        from: GroupId,
        to: GroupId,
        sealed_reason: &str,
        at: DateTime<Utc>,
        record: AuditRecord<'_, i64>,
    ) -> StoreResult<i64> {
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query_scalar(
                "INSERT INTO switch_requests (client_id, from_group, to_group, reason, status, created_at) \
                 VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
            )
            .bind(client.get())
            .bind(from.get())
            .bind(to.get())
            .bind(sealed_reason)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?
        }));
        Ok(id)
    }

    /// Pending requests, oldest first, or a client's requests when `client` is given.
    pub async fn list_switch_requests(
        &self,
        client: Option<UserId>,
    ) -> StoreResult<Vec<SwitchRequestRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM switch_requests WHERE ($1 IS NULL AND status = 'pending') OR client_id = $1 \
             ORDER BY created_at, id"
        );
        let rows = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(client.map(UserId::get))
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    pub async fn find_switch_request(&self, id: i64) -> StoreResult<Option<SwitchRequestRow>> {
        let sql = format!("SELECT {COLUMNS} FROM switch_requests WHERE id = $1");
        let row = on_pool!(self, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
        Ok(row)
    }

    /// Decides a pending request once; `NotFound` when it was already decided.
    pub async fn decide_switch_request(
        &self,
        id: i64,
        approved: bool,
        by: UserId,
        at: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query(
                "UPDATE switch_requests SET status = $1, decided_by = $2, decided_at = $3 \
                 WHERE id = $4 AND status = 'pending'",
            )
            .bind(if approved { "approved" } else { "declined" })
            .bind(by.get())
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }
}
