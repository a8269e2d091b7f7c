use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreResult};

/// A stored intake. `sealed` holds the free text, sealed by the app's vault; service lines,
/// topics and availability are plain (matching reads them), comma- and semicolon-separated.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct IntakeRow {
    pub client_id: i64,
    pub sealed: String,
    pub service_lines: String,
    pub topics: String,
    pub availability: String,
    pub consent_version: String,
    pub consented_at: DateTime<Utc>,
    pub submitted_at: DateTime<Utc>,
}

impl Db {
    /// Creates or replaces a client's intake.
    pub async fn upsert_intake(
        &self,
        intake: &IntakeRow,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO intakes (client_id, sealed, service_lines, topics, availability, consent_version, \
                 consented_at, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (client_id) DO UPDATE SET sealed = excluded.sealed, \
                 service_lines = excluded.service_lines, topics = excluded.topics, \
                 availability = excluded.availability, consent_version = excluded.consent_version, \
                 consented_at = excluded.consented_at, submitted_at = excluded.submitted_at",
            )
            .bind(intake.client_id)
            .bind(&intake.sealed)
            .bind(&intake.service_lines)
            .bind(&intake.topics)
            .bind(&intake.availability)
            .bind(&intake.consent_version)
            .bind(intake.consented_at)
            .bind(intake.submitted_at)
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    pub async fn find_intake(&self, client: UserId) -> StoreResult<Option<IntakeRow>> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT client_id, sealed, service_lines, topics, availability, consent_version, consented_at, \
                 submitted_at FROM intakes WHERE client_id = $1",
            )
            .bind(client.get())
            .fetch_optional(pool)
            .await
        })?;
        Ok(row)
    }
}
