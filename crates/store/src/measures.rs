use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A scored questionnaire to store.
#[derive(Clone, Debug)]
pub struct NewMeasure {
    pub client_id: UserId,
    pub instrument: &'static str,
    /// The answers as given, in item order (JSON array).
    pub answers_json: String,
    pub total: Option<i32>,
    pub severity: Option<&'static str>,
    /// Subscale scores (JSON array of {slug, score, band}).
    pub subscales_json: String,
    /// `none`, or the risk's slug.
    pub risk: &'static str,
    pub taken_at: DateTime<Utc>,
}

/// A stored questionnaire.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MeasureRow {
    pub id: i64,
    pub client_id: i64,
    pub instrument: String,
    pub answers: String,
    pub total: Option<i32>,
    pub severity: Option<String>,
    pub subscales: String,
    pub risk: String,
    pub taken_at: DateTime<Utc>,
}

/// A risk flag as the care team's queue shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RiskFlagRow {
    pub id: i64,
    pub client_id: i64,
    pub measure_id: i64,
    pub level: String,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Sealed by the app's vault.
    pub disposition: Option<String>,
}

const MEASURE_COLUMNS: &str =
    "id, client_id, instrument, answers, total, severity, subscales, risk, taken_at";
const FLAG_COLUMNS: &str =
    "id, client_id, measure_id, level, raised_at, acknowledged_by, acknowledged_at, disposition";

impl Db {
    /// Stores a measure and, when it carries risk, raises a flag in the same transaction:
    /// no risky answer is ever stored without its flag. `record` commits with both: it gets
    /// (measure id, flag id).
    pub async fn insert_measure(
        &self,
        measure: &NewMeasure,
        flag_level: Option<&str>,
        record: AuditRecord<'_, (i64, Option<i64>)>,
    ) -> StoreResult<(i64, Option<i64>)> {
        let ids = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO measures (client_id, instrument, answers, total, severity, subscales, risk, taken_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(measure.client_id.get())
            .bind(measure.instrument)
            .bind(&measure.answers_json)
            .bind(measure.total)
            .bind(measure.severity)
            .bind(&measure.subscales_json)
            .bind(measure.risk)
            .bind(measure.taken_at)
            .fetch_one(&mut *tx)
            .await?;
            let flag = match flag_level {
                Some(level) => Some(
                    sqlx::query_scalar(
                        "INSERT INTO risk_flags (client_id, measure_id, level, raised_at) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(measure.client_id.get())
                    .bind(id)
                    .bind(level)
                    .bind(measure.taken_at)
                    .fetch_one(&mut *tx)
                    .await?,
                ),
                None => None,
            };
            (id, flag)
        }));
        Ok(ids)
    }

    /// A client's measures, oldest first.
    pub async fn list_measures(
        &self,
        client: UserId,
        instrument: Option<&str>,
    ) -> StoreResult<Vec<MeasureRow>> {
        let sql = format!(
            "SELECT {MEASURE_COLUMNS} FROM measures WHERE client_id = $1 AND ($2 IS NULL OR instrument = $2) \
             ORDER BY taken_at, id"
        );
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(client.get()).bind(instrument).fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Open flags first (oldest first), then the most recently acknowledged.
    pub async fn list_risk_flags(
        &self,
        include_acknowledged: bool,
    ) -> StoreResult<Vec<RiskFlagRow>> {
        let sql = format!(
            "SELECT {FLAG_COLUMNS} FROM risk_flags WHERE ($1 OR acknowledged_at IS NULL) \
             ORDER BY CASE WHEN acknowledged_at IS NULL THEN 0 ELSE 1 END, \
             CASE WHEN level = 'acute' THEN 0 ELSE 1 END, raised_at, id LIMIT 500"
        );
        let rows = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(include_acknowledged)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    pub async fn find_risk_flag(&self, id: i64) -> StoreResult<Option<RiskFlagRow>> {
        let sql = format!("SELECT {FLAG_COLUMNS} FROM risk_flags WHERE id = $1");
        let row = on_pool!(self, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
        Ok(row)
    }

    /// Acknowledges an open flag once; `NotFound` when it is already acknowledged.
    pub async fn acknowledge_risk_flag(
        &self,
        id: i64,
        by: UserId,
        at: DateTime<Utc>,
        sealed_disposition: &str,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query(
                "UPDATE risk_flags SET acknowledged_by = $1, acknowledged_at = $2, disposition = $3 \
                 WHERE id = $4 AND acknowledged_at IS NULL",
            )
            .bind(by.get())
            .bind(at)
            .bind(sealed_disposition)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }

    /// PHQ-9 and GAD-7 totals for outcome reports, by client then time; `clients` narrows it.
    pub async fn list_report_scores(
        &self,
        clients: Option<&[i64]>,
    ) -> StoreResult<Vec<(i64, String, i32, DateTime<Utc>)>> {
        let mut sql = "SELECT client_id, instrument, total, taken_at FROM measures \
                       WHERE instrument IN ('phq9', 'gad7') AND total IS NOT NULL"
            .to_owned();
        if let Some(ids) = clients {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // Integer ids we read from the database ourselves: safe to inline.
            let list = ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            sql = format!("{sql} AND client_id IN ({list})");
        }
        sql.push_str(" ORDER BY client_id, taken_at, id");
        let rows = on_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        Ok(rows)
    }

    /// Each client's first group membership (their first session), optionally only members
    /// (past or present) of one group, or of one therapist's groups.
    pub async fn list_first_memberships(
        &self,
        group: Option<i64>,
        therapist: Option<UserId>,
    ) -> StoreResult<Vec<(i64, DateTime<Utc>)>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT m.client_id, MIN(m.joined_at) FROM memberships m JOIN groups g ON g.id = m.group_id \
                 WHERE ($1 IS NULL OR m.group_id = $1) AND ($2 IS NULL OR g.therapist_id = $2) \
                 GROUP BY m.client_id ORDER BY m.client_id",
            )
            .bind(group)
            .bind(therapist.map(UserId::get))
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Whether the client is seated in any group (so has a therapist to handle their flags).
    pub async fn client_has_therapist(&self, client: UserId) -> StoreResult<bool> {
        let found: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships WHERE client_id = $1 AND status = 'seated'",
            )
            .bind(client.get())
            .fetch_one(pool)
            .await
        })?;
        Ok(found > 0)
    }

    /// Clients in any group led by `therapist` (their care team), current members only.
    pub async fn therapist_has_client(
        &self,
        therapist: UserId,
        client: UserId,
    ) -> StoreResult<bool> {
        let found: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships m JOIN groups g ON g.id = m.group_id \
                 WHERE g.therapist_id = $1 AND m.client_id = $2 AND m.status = 'seated'",
            )
            .bind(therapist.get())
            .bind(client.get())
            .fetch_one(pool)
            .await
        })?;
        Ok(found > 0)
    }
}
