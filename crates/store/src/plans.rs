use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A stored treatment plan; `content` is sealed by the app's vault.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanRow {
    pub client_id: i64,
    pub content: String,
    pub target_instrument: String,
    pub target_below: i32,
    pub target_by: NaiveDate,
    pub review_on: NaiveDate,
    pub updated_by: i64,
    pub updated_at: DateTime<Utc>,
    pub client_signed_at: Option<DateTime<Utc>>,
    pub therapist_signed_by: Option<i64>,
    pub therapist_signed_at: Option<DateTime<Utc>>,
}

impl Db {
    /// Writes the plan and clears both signatures.
    pub async fn upsert_plan(
        &self,
        plan: &PlanRow,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO treatment_plans (client_id, content, target_instrument, target_below, target_by, \
                 review_on, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (client_id) DO UPDATE SET content = excluded.content, \
                 target_instrument = excluded.target_instrument, target_below = excluded.target_below, \
                 target_by = excluded.target_by, review_on = excluded.review_on, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at, client_signed_at = NULL, therapist_signed_by = NULL, \
                 therapist_signed_at = NULL",
            )
            .bind(plan.client_id)
            .bind(&plan.content)
            .bind(&plan.target_instrument)
            .bind(plan.target_below)
            .bind(plan.target_by)
            .bind(plan.review_on)
            .bind(plan.updated_by)
            .bind(plan.updated_at)
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    pub async fn find_plan(&self, client: UserId) -> StoreResult<Option<PlanRow>> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT client_id, content, target_instrument, target_below, target_by, review_on, updated_by, \
                 updated_at, client_signed_at, therapist_signed_by, therapist_signed_at \
                 FROM treatment_plans WHERE client_id = $1",
            )
            .bind(client.get())
            .fetch_optional(pool)
            .await
        })?;
        Ok(row)
    }

    /// Signs the plan as it stands (the version written at `updated_at`).
    pub async fn sign_plan(
        &self,
        client: UserId,
        therapist: Option<UserId>,
        version: DateTime<Utc>,
        at: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = match therapist {
                None => sqlx::query("UPDATE treatment_plans SET client_signed_at = $1 WHERE client_id = $2 AND updated_at = $3")
                    .bind(at)
                    .bind(client.get())
                    .bind(version)
                    .execute(&mut *tx)
                    .await?,
                Some(t) => sqlx::query(
                    "UPDATE treatment_plans SET therapist_signed_by = $1, therapist_signed_at = $2 \
                     WHERE client_id = $3 AND updated_at = $4",
                )
                .bind(t.get())
                .bind(at)
                .bind(client.get())
                .bind(version)
                .execute(&mut *tx)
                .await?,
            };
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }
}
