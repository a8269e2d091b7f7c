use chrono::{DateTime, SecondsFormat, Utc};
use hearth_domain::UserId;
use sha2::{Digest, Sha256};

use crate::db::on_pool;
use crate::{Db, StoreResult};

/// The hash the first row chains from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One thing that happened, to append to the audit log. `detail` must hold no health data
/// and no secrets: ids and outcomes only.
#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: String,
    pub subject: String,
    pub source_ip: Option<String>,
    pub detail: String,
}

/// A stored row of the audit log.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub subject: String,
    pub source_ip: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerification {
    /// Every row's hash matches its content and the row before it.
    Intact { rows: u64 },
    /// The first row whose content or link does not match.
    Broken { row_id: i64, reason: String },
}

fn chain_hash(
    prev_hash: &str,
    at: DateTime<Utc>,
    actor: Option<i64>,
    action: &str,
    subject: &str,
    source_ip: Option<&str>,
    detail: &str,
) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed fields, so no two different rows serialise alike.
    let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let actor = actor.map(|a| a.to_string()).unwrap_or_default();
    for field in [prev_hash, &at, &actor, action, subject, source_ip.unwrap_or("-"), detail] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl Db {
    /// Appends a row chained to the last one. Appenders are serialised by updating the single
    /// `audit_head` row first, which takes the write lock on SQLite and a row lock on PostgreSQL.
    pub async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<()> {
        let at = truncate_to_micros(entry.at);
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE audit_head SET count = count + 1 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            let prev: Option<String> =
                sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let prev = prev.unwrap_or_else(|| GENESIS.to_owned());
            let hash = chain_hash(
                &prev,
                at,
                entry.actor.map(UserId::get),
                &entry.action,
                &entry.subject,
                entry.source_ip.as_deref(),
                &entry.detail,
            );
            sqlx::query(
                "INSERT INTO audit_log (at, actor_id, action, subject, source_ip, detail, \
                 prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(at)
            .bind(entry.actor.map(UserId::get))
            .bind(&entry.action)
            .bind(&entry.subject)
            .bind(entry.source_ip.as_deref())
            .bind(&entry.detail)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest `limit` rows, optionally only those about `subject`.
    pub async fn list_audit(
        &self,
        subject: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, at, actor_id, action, subject, source_ip, detail, prev_hash, hash \
                 FROM audit_log WHERE ($1 IS NULL OR subject = $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(subject)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Walks the whole chain in order and names the first row that does not match.
    pub async fn verify_audit_chain(&self) -> StoreResult<AuditVerification> {
        let mut expected_prev = GENESIS.to_owned();
        let mut rows = 0_u64;
        let mut after = 0_i64;
        loop {
            let page: Vec<AuditEntry> = on_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT id, at, actor_id, action, subject, source_ip, detail, prev_hash, hash \
                     FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000",
                )
                .bind(after)
                .fetch_all(pool)
                .await
            })?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                if row.prev_hash != expected_prev {
                    return Ok(AuditVerification::Broken {
                        row_id: row.id,
                        reason:
                            "its link to the previous row does not match (a row was removed or \
                                 reordered)"
                                .to_owned(),
                    });
                }
                let recomputed = chain_hash(
                    &row.prev_hash,
                    row.at,
                    row.actor_id,
                    &row.action,
                    &row.subject,
                    row.source_ip.as_deref(),
                    &row.detail,
                );
                if recomputed != row.hash {
                    return Ok(AuditVerification::Broken {
                        row_id: row.id,
                        reason: "its content does not match its hash (the row was edited)"
                            .to_owned(),
                    });
                }
                expected_prev.clone_from(&row.hash);
                rows += 1;
            }
        }
        Ok(AuditVerification::Intact { rows })
    }
}

/// Both engines keep microseconds; hashing a finer time would not survive the round trip.
fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.timestamp_subsec_nanos();
    at - chrono::Duration::nanoseconds(i64::from(nanos % 1_000))
}
