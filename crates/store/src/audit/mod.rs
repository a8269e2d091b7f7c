//! The audit log: append-only (triggers refuse UPDATE and DELETE) and chained. Each row's hash
//! covers the previous row's hash and its own fields. Rows made since migration 0015 name the
//! key whose HMAC-SHA256 makes their hash, so whoever owns the database but not the key cannot
//! rewrite the chain; rows made before have no key id and keep their plain SHA-256.

mod append;
mod keys;
mod verify;

use chrono::{DateTime, SecondsFormat, Utc};
use hearth_domain::UserId;
use sha2::{Digest, Sha256};

use crate::db::on_pool;
use crate::{Db, StoreResult};

pub use append::AuditRecord;
pub(crate) use append::{AppendAudit, audited};
pub use keys::{AuditKey, AuditKeyring};

/// The hash the first row chains from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Tags the keyed row hash, so it can never be mistaken for another use of the same key.
const ROW_DOMAIN: &str = "hearth-audit-row-v1";

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
    /// The key whose HMAC made `hash`; `None` for the unkeyed SHA-256 of rows made before
    /// migration 0015.
    pub key_id: Option<String>,
}

/// The result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerification {
    /// Every row's hash matches its content and the row before it.
    Intact { rows: u64 },
    /// The first row whose content or link does not match.
    Broken { row_id: i64, reason: String },
}

/// Where the chain ends: what a checkpoint kept outside the database records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    /// Rows in the log, the newest included.
    pub rows: u64,
    pub last_id: i64,
    pub last_hash: String,
}

/// Length-prefixed fields, so no two different inputs serialise alike.
fn feed<S: AsRef<str>>(mut update: impl FnMut(&[u8]), fields: impl IntoIterator<Item = S>) {
    for field in fields {
        let field = field.as_ref();
        update(&(field.len() as u64).to_be_bytes());
        update(field.as_bytes());
    }
}

impl AuditEntry {
    /// The hash this row should carry given its `prev_hash`: HMAC-SHA256 with `key`, or with
    /// none the unkeyed SHA-256 of rows made before migration 0015 (kept byte for byte, so
    /// they still verify).
    pub fn chain_hash(&self, key: Option<&AuditKey>) -> String {
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let actor = self.actor_id.map(|a| a.to_string()).unwrap_or_default();
        let fields = [
            self.prev_hash.as_str(),
            &at,
            &actor,
            &self.action,
            &self.subject,
            self.source_ip.as_deref().unwrap_or("-"),
            &self.detail,
        ];
        if let Some(key) = key {
            return key.sign(ROW_DOMAIN, &fields);
        }
        let mut hasher = Sha256::new();
        feed(|bytes| hasher.update(bytes), fields);
        hex::encode(hasher.finalize())
    }
}

const SELECT_ROW: &str = "SELECT id, at, actor_id, action, subject, source_ip, detail, prev_hash, \
                          hash, key_id FROM audit_log";

impl Db {
    /// Appends a row chained to the last one, keyed with `key`, in a transaction of its own:
    /// for what changes nothing here (a read, say). A change hands its rows to the store write
    /// that makes it instead, as an [`AuditRecord`], to commit with it.
    pub async fn append_audit(&self, entry: &NewAuditEntry, key: &AuditKey) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            tx.append_audit(entry, key).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Appends `entries` in order, chained and keyed with `key`, in one transaction: one
    /// commit (one fsync) for many rows, which is how the app's audit writer batches them.
    pub async fn append_audit_batch(
        &self,
        entries: &[NewAuditEntry],
        key: &AuditKey,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for entry in entries {
                tx.append_audit(entry, key).await?;
            }
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
        let sql =
            format!("{SELECT_ROW} WHERE ($1 IS NULL OR subject = $1) ORDER BY id DESC LIMIT $2");
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(subject).bind(limit).fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// The newest row and the row count, read in one statement so they agree.
    pub async fn audit_head(&self) -> StoreResult<Option<AuditHead>> {
        let head: Option<(i64, i64, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT count FROM audit_head WHERE id = 1), id, hash \
                 FROM audit_log ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await
        })?;
        Ok(head.map(|(rows, last_id, last_hash)| AuditHead {
            rows: u64::try_from(rows).unwrap_or(0),
            last_id,
            last_hash,
        }))
    }
}

/// Both engines keep microseconds; hashing a finer time would not survive the round trip.
fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.timestamp_subsec_nanos();
    at - chrono::Duration::nanoseconds(i64::from(nanos % 1_000))
}
