use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A scored questionnaire to store. What was answered and what it scored are sealed by the
/// app (see [`Db::insert_measure`]); who, which instrument and when stay plain.
#[derive(Clone, Debug)]
pub struct NewMeasure {
    pub client_id: UserId,
    pub instrument: &'static str,
    pub taken_at: DateTime<Utc>,
    /// Whether the answers raise a risk flag (raised in the same transaction).
    pub raises_flag: bool,
}

/// A new measure's sealed values, made once the rows' ids are known.
#[derive(Clone, Debug)]
pub struct SealedMeasure {
    /// Answers, total, severity, subscales and risk, sealed for the measure's id.
    pub record: String,
    /// The total alone, sealed for the measure's id, for instruments that have one.
    pub total: Option<String>,
    /// The flag's level, sealed for the flag's id; present exactly when a flag is raised.
    pub flag_level: Option<String>,
}

/// A stored questionnaire, its answers and scores still sealed.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMeasure {
    pub id: i64,
    pub client_id: i64,
    pub instrument: String,
    pub taken_at: DateTime<Utc>,
    /// `None` only on a row written before migration 0017 and not sealed yet.
    pub sealed: Option<String>,
}

/// A stored PHQ-9 or GAD-7 total, for outcome reports: only the total is read, sealed.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredTotal {
    pub id: i64,
    pub client_id: i64,
    pub instrument: String,
    pub taken_at: DateTime<Utc>,
    /// `None` only on a row written before migration 0017 and not sealed yet.
    pub total_sealed: Option<String>,
}

/// A stored risk flag, its level and disposition sealed by the app's vault.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredRiskFlag {
    pub id: i64,
    pub client_id: i64,
    pub measure_id: i64,
    /// `None` only on a flag raised before migration 0017 and not sealed yet.
    pub level_sealed: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub disposition: Option<String>,
}

const MEASURE_COLUMNS: &str = "id, client_id, instrument, taken_at, sealed";
const FLAG_COLUMNS: &str = "id, client_id, measure_id, level_sealed, raised_at, acknowledged_by, \
                            acknowledged_at, disposition";
/// Acknowledged flags listed after the open ones, most recent first.
const ACKNOWLEDGED_SHOWN: i64 = 500;

impl Db {
    /// Stores a measure and, when it carries risk, raises a flag in the same transaction:
    /// no risky answer is ever stored without its flag. `seal` is given the measure's id and
    /// the flag's, and returns their sealed values, which are written before the commit.
    /// `record` commits with all of it: it gets (measure id, flag id).
    pub async fn insert_measure(
        &self,
        measure: &NewMeasure,
        seal: impl FnOnce(i64, Option<i64>) -> StoreResult<SealedMeasure>,
        record: AuditRecord<'_, (i64, Option<i64>)>,
    ) -> StoreResult<(i64, Option<i64>)> {
        let ids = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO measures (client_id, instrument, taken_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(measure.client_id.get())
            .bind(measure.instrument)
            .bind(measure.taken_at)
            .fetch_one(&mut *tx)
            .await?;
            let flag: Option<i64> = if measure.raises_flag {
                Some(
                    sqlx::query_scalar(
                        "INSERT INTO risk_flags (client_id, measure_id, raised_at) \
                         VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(measure.client_id.get())
                    .bind(id)
                    .bind(measure.taken_at)
                    .fetch_one(&mut *tx)
                    .await?,
                )
            } else {
                None
            };
            let sealed = seal(id, flag)?;
            sqlx::query("UPDATE measures SET sealed = $1, total_sealed = $2 WHERE id = $3")
                .bind(&sealed.record)
                .bind(&sealed.total)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            match (flag, &sealed.flag_level) {
                (Some(flag), Some(level)) => {
                    sqlx::query("UPDATE risk_flags SET level_sealed = $1 WHERE id = $2")
                        .bind(level)
                        .bind(flag)
                        .execute(&mut *tx)
                        .await?;
                }
                (None, None) => {}
                _ => {
                    return Err(StoreError::Other(anyhow::anyhow!(
                        "a risk flag and its sealed level go together"
                    )));
                }
            }
            (id, flag)
        }));
        Ok(ids)
    }

    /// A client's measures, oldest first.
    pub async fn list_measures(
        &self,
        client: UserId,
        instrument: Option<&str>,
    ) -> StoreResult<Vec<StoredMeasure>> {
        let sql = format!(
            "SELECT {MEASURE_COLUMNS} FROM measures WHERE client_id = $1 AND ($2 IS NULL OR instrument = $2) \
             ORDER BY taken_at, id"
        );
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(client.get()).bind(instrument).fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// When each of these clients answered a PHQ-9 or a GAD-7: (client, instrument, taken
    /// at), from plain columns, one statement per 500 clients.
    pub async fn list_check_in_times(
        &self,
        clients: &[UserId],
    ) -> StoreResult<Vec<(i64, String, DateTime<Utc>)>> {
        let mut out = Vec::new();
        for chunk in clients.chunks(crate::db::IN_CHUNK) {
            let sql = format!(
                "SELECT client_id, instrument, taken_at FROM measures \
                 WHERE instrument IN ('phq9', 'gad7') AND client_id IN ({}) ORDER BY taken_at, id",
                crate::db::in_list(1, chunk.len())
            );
            let rows: Vec<(i64, String, DateTime<Utc>)> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Every open flag (oldest first), then, when asked, the most recently acknowledged
    /// ones. The level is sealed, so the app puts acute flags first.
    pub async fn list_risk_flags(
        &self,
        include_acknowledged: bool,
    ) -> StoreResult<Vec<StoredRiskFlag>> {
        let open = format!(
            "SELECT {FLAG_COLUMNS} FROM risk_flags WHERE acknowledged_at IS NULL ORDER BY raised_at, id"
        );
        let acknowledged = format!(
            "SELECT {FLAG_COLUMNS} FROM risk_flags WHERE acknowledged_at IS NOT NULL \
             ORDER BY acknowledged_at DESC, id DESC LIMIT $1"
        );
        let rows = on_pool!(self, |pool| {
            let mut rows: Vec<StoredRiskFlag> = sqlx::query_as(&open).fetch_all(pool).await?;
            if include_acknowledged {
                rows.extend(
                    sqlx::query_as::<_, StoredRiskFlag>(&acknowledged)
                        .bind(ACKNOWLEDGED_SHOWN)
                        .fetch_all(pool)
                        .await?,
                );
            }
            rows
        });
        Ok(rows)
    }

    /// How many flags no clinician has acknowledged yet.
    pub async fn count_open_risk_flags(&self) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM risk_flags WHERE acknowledged_at IS NULL")
                .fetch_one(pool)
                .await
        })?;
        Ok(n)
    }

    /// One client's open flags, oldest first.
    pub async fn list_client_open_risk_flags(
        &self,
        client: UserId,
    ) -> StoreResult<Vec<StoredRiskFlag>> {
        let sql = format!(
            "SELECT {FLAG_COLUMNS} FROM risk_flags WHERE client_id = $1 AND acknowledged_at IS NULL \
             ORDER BY raised_at, id"
        );
        let rows =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(client.get()).fetch_all(pool).await)?;
        Ok(rows)
    }

    pub async fn find_risk_flag(&self, id: i64) -> StoreResult<Option<StoredRiskFlag>> {
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
    /// The totals are sealed: the app opens them.
    pub async fn list_report_scores(
        &self,
        clients: Option<&[i64]>,
    ) -> StoreResult<Vec<StoredTotal>> {
        let mut sql = "SELECT id, client_id, instrument, taken_at, total_sealed FROM measures \
                       WHERE instrument IN ('phq9', 'gad7')"
            .to_owned();
        if let Some(ids) = clients {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let list = crate::db::inline_ids(ids.iter().copied());
            sql = format!("{sql} AND client_id IN ({list})");
        }
        sql.push_str(" ORDER BY client_id, taken_at, id");
        let rows = on_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        Ok(rows)
    }

    /// For each of `clients` and each of PHQ-9 and GAD-7, only the first and the latest
    /// score (one row when there is only one), in [`Db::list_report_scores`]'s order: what a
    /// trend needs, without carrying and opening every check-in of every client.
    pub async fn list_first_and_last_scores(
        &self,
        clients: &[i64],
    ) -> StoreResult<Vec<StoredTotal>> {
        if clients.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::db::inline_ids(clients.iter().copied());
        // Each client's first and last day per instrument from the index on (client,
        // instrument, taken_at), then only those rows.
        let sql = format!(
            "SELECT m.id, m.client_id, m.instrument, m.taken_at, m.total_sealed FROM measures m \
             JOIN (SELECT client_id, instrument, MIN(taken_at) AS first_at, MAX(taken_at) AS last_at \
                   FROM measures WHERE instrument IN ('phq9', 'gad7') AND client_id IN ({list}) \
                   GROUP BY client_id, instrument) ends \
               ON m.client_id = ends.client_id AND m.instrument = ends.instrument \
              AND (m.taken_at = ends.first_at OR m.taken_at = ends.last_at) \
             ORDER BY m.client_id, m.taken_at, m.id"
        );
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

    /// Every client's first day in each group they have been in, with the group's therapist
    /// (only `therapist`'s groups when given): the cohorts of the outcome report's breakdowns.
    /// Rows are `(client, group, therapist, first joined)`.
    pub async fn list_report_memberships(
        &self,
        therapist: Option<UserId>,
    ) -> StoreResult<Vec<(i64, i64, i64, DateTime<Utc>)>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT m.client_id, m.group_id, g.therapist_id, MIN(m.joined_at) \
                 FROM memberships m JOIN groups g ON g.id = m.group_id \
                 WHERE ($1 IS NULL OR g.therapist_id = $1) \
                 GROUP BY m.client_id, m.group_id, g.therapist_id ORDER BY m.client_id, m.group_id",
            )
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
