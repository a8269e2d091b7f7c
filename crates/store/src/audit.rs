//! The audit log: append-only (triggers refuse UPDATE and DELETE) and chained. Each row's hash
//! covers the previous row's hash and its own fields. Rows made since migration 0015 name the
//! key whose HMAC-SHA256 makes their hash, so whoever owns the database but not the key cannot
//! rewrite the chain; rows made before have no key id and keep their plain SHA-256.

use chrono::{DateTime, SecondsFormat, Utc};
use hearth_domain::UserId;
use hmac::{Hmac, Mac as _};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

use crate::db::on_pool;
use crate::{Db, StoreError, StoreResult};

type HmacSha256 = Hmac<Sha256>;

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

/// A secret key for the audit chain and its checkpoints, named by an id that each row records
/// so keys can rotate. `Debug` shows the id only.
#[derive(Clone)]
pub struct AuditKey {
    id: String,
    /// HMAC state already keyed; cloned for each message.
    keyed: HmacSha256,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl AuditKey {
    pub fn new(id: impl Into<String>, secret: &[u8; 32]) -> Self {
        let keyed = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
        Self { id: id.into(), keyed }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256, in hex, over `domain`, this key's id and the length-prefixed `fields`.
    pub fn sign(&self, domain: &str, fields: &[impl AsRef<str>]) -> String {
        hex::encode(self.mac(domain, fields).finalize().into_bytes())
    }

    /// Whether `mac_hex` is [`AuditKey::sign`] of the same input (compared in constant time).
    pub fn verifies(&self, domain: &str, fields: &[impl AsRef<str>], mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|mac| self.mac(domain, fields).verify_slice(&mac).is_ok())
    }

    fn mac(&self, domain: &str, fields: &[impl AsRef<str>]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        feed(|bytes| mac.update(bytes), [domain, self.id.as_str()]);
        feed(|bytes| mac.update(bytes), fields);
        mac
    }
}

/// The audit keys by id, and the current one that signs new rows.
#[derive(Clone, Debug)]
pub struct AuditKeyring {
    current: AuditKey,
    older: HashMap<String, AuditKey>,
}

impl AuditKeyring {
    /// `None` when no key has the id `current`.
    pub fn new(keys: impl IntoIterator<Item = AuditKey>, current: &str) -> Option<Self> {
        let mut older: HashMap<String, AuditKey> =
            keys.into_iter().map(|k| (k.id.clone(), k)).collect();
        let current = older.remove(current)?;
        Some(Self { current, older })
    }

    pub fn current(&self) -> &AuditKey {
        &self.current
    }

    pub fn get(&self, id: &str) -> Option<&AuditKey> {
        if id == self.current.id { Some(&self.current) } else { self.older.get(id) }
    }
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

/// The audit rows a store write commits with the change it makes. The app says what the rows
/// are; the store method appends them inside its own transaction, after the change and just
/// before the commit, so the change and its rows stand or fall together. The rows are made
/// from what the write did (an inserted row's id usually goes into them), and may be none
/// when it changed nothing worth recording (a refused seat request, say).
pub struct AuditRecord<'a, T> {
    rows: Option<(&'a AuditKey, RowsFor<'a, T>)>,
}

type RowsFor<'a, T> = Box<dyn FnOnce(&T) -> Vec<NewAuditEntry> + Send + 'a>;

impl<'a, T> AuditRecord<'a, T> {
    /// The rows `rows` makes from the write's result, keyed with `key`.
    pub fn new(key: &'a AuditKey, rows: impl FnOnce(&T) -> Vec<NewAuditEntry> + Send + 'a) -> Self {
        Self { rows: Some((key, Box::new(rows))) }
    }

    /// One row, whatever the write returns.
    pub fn row(key: &'a AuditKey, entry: NewAuditEntry) -> Self {
        Self::new(key, move |_| vec![entry])
    }

    /// No row: for a write that another write of the same step records, and for data seeded
    /// outside any use case (the demo, benchmarks and tests).
    pub fn none() -> Self {
        Self { rows: None }
    }

    /// The same rows for a write whose result `U` holds this one's: `part` picks it out, or
    /// answers `None` when there is nothing to record.
    pub(crate) fn within<U>(
        self,
        part: impl FnOnce(&U) -> Option<T> + Send + 'a,
    ) -> AuditRecord<'a, U>
    where
        T: 'a,
    {
        match self.rows {
            Some((key, rows)) => AuditRecord::new(key, move |done: &U| match part(done) {
                Some(mine) => rows(&mine),
                None => Vec::new(),
            }),
            None => AuditRecord::none(),
        }
    }

    /// The rows for `done` and the key that signs them.
    pub(crate) fn rows_for(self, done: &T) -> (Vec<NewAuditEntry>, Option<&'a AuditKey>) {
        match self.rows {
            Some((key, rows)) => (rows(done), Some(key)),
            None => (Vec::new(), None),
        }
    }
}

impl<T> fmt::Debug for AuditRecord<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.rows.as_ref().map(|(key, _)| key.id());
        f.debug_struct("AuditRecord").field("key", &key).finish_non_exhaustive()
    }
}

/// A connection that can take an audit row: store methods call this inside their own
/// transaction, so a change and the row that records it commit together.
pub(crate) trait AppendAudit {
    /// Appends `entry` chained to the newest row and keyed with `key`. Appenders are
    /// serialised by updating the single `audit_head` row first, which takes the write lock on
    /// SQLite and a row lock on PostgreSQL; the same statement reads the newest row's hash,
    /// which the head keeps (a trigger copies it from each new row, migration 0018). Without
    /// that row nothing is appended (an error): an append that took no lock could fork the
    /// chain.
    async fn append_audit(&mut self, entry: &NewAuditEntry, key: &AuditKey) -> StoreResult<()>;

    /// Appends the rows `record` makes from `done` (none, one or several), in order.
    async fn append_record<T>(&mut self, record: AuditRecord<'_, T>, done: &T) -> StoreResult<()> {
        let (rows, key) = record.rows_for(done);
        if let Some(key) = key {
            for row in &rows {
                self.append_audit(row, key).await?;
            }
        }
        Ok(())
    }
}

/// Runs `$body` in a transaction on `$pool` (called `$tx` inside it), then appends the audit
/// rows `$record` makes from the body's value and commits: the change and its rows commit
/// together or not at all. The rows come last, so `audit_head` is the last lock any
/// transaction takes (see ARCHITECTURE.md). An early `return Err(…)` or a `?` in the body
/// rolls everything back.
macro_rules! audited {
    ($pool:expr, $record:expr, |$tx:ident| $body:expr) => {{
        use $crate::audit::AppendAudit as _;
        let mut $tx = $pool.begin().await?;
        let done = $body;
        $tx.append_record($record, &done).await?;
        $tx.commit().await?;
        done
    }};
}
pub(crate) use audited;

/// The same body for each engine's connection, as `on_pool!` does for pools.
macro_rules! impl_append_audit {
    ($($conn:ty),+) => {$(
        impl AppendAudit for $conn {
            async fn append_audit(
                &mut self,
                entry: &NewAuditEntry,
                key: &AuditKey,
            ) -> StoreResult<()> {
                // After waiting for the lock, RETURNING gives the row as the last appender
                // committed it, on PostgreSQL too.
                let head: Option<Option<String>> = sqlx::query_scalar(
                    "UPDATE audit_head SET count = count + 1 WHERE id = 1 RETURNING last_hash",
                )
                .fetch_optional(&mut *self)
                .await?;
                let Some(prev) = head else {
                    return Err(StoreError::corrupt(
                        "the audit log's head row is missing, so no row can be appended",
                    ));
                };
                let mut row = AuditEntry {
                    id: 0,
                    at: truncate_to_micros(entry.at),
                    actor_id: entry.actor.map(UserId::get),
                    action: entry.action.clone(),
                    subject: entry.subject.clone(),
                    source_ip: entry.source_ip.clone(),
                    detail: entry.detail.clone(),
                    prev_hash: prev.unwrap_or_else(|| GENESIS.to_owned()),
                    hash: String::new(),
                    key_id: Some(key.id().to_owned()),
                };
                row.hash = row.chain_hash(Some(key));
                sqlx::query(
                    "INSERT INTO audit_log (at, actor_id, action, subject, source_ip, detail, \
                     prev_hash, hash, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(row.at)
                .bind(row.actor_id)
                .bind(&row.action)
                .bind(&row.subject)
                .bind(&row.source_ip)
                .bind(&row.detail)
                .bind(&row.prev_hash)
                .bind(&row.hash)
                .bind(&row.key_id)
                .execute(&mut *self)
                .await?;
                Ok(())
            }
        }
    )+};
}
impl_append_audit!(sqlx::SqliteConnection, sqlx::PgConnection);

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

    /// Walks the whole chain in order and names the first row that does not match: a keyed
    /// row by its key from `keys`, an older row by its plain SHA-256. With a `checkpoint`
    /// (the head as it was recorded outside the database), its row must still be there with
    /// its hash and at least as many rows before it, so deleting the newest rows shows.
    pub async fn verify_audit_chain(
        &self,
        keys: &AuditKeyring,
        checkpoint: Option<&AuditHead>,
    ) -> StoreResult<AuditVerification> {
        let mut walk = ChainWalk::new(keys, checkpoint);
        let mut after = 0_i64;
        let sql = format!("{SELECT_ROW} WHERE id > $1 ORDER BY id LIMIT {PAGE}");
        loop {
            let page: Vec<AuditEntry> =
                on_pool!(self, |pool| sqlx::query_as(&sql).bind(after).fetch_all(pool).await)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                if let Err(broken) = walk.step(row) {
                    return Ok(broken);
                }
            }
        }
        Ok(walk.finish())
    }
}

/// Rows read per query while verifying: keyset pages keep memory flat on any log size.
const PAGE: usize = 5_000;

/// The state of a walk down the chain, one row at a time.
struct ChainWalk<'a> {
    keys: &'a AuditKeyring,
    checkpoint: Option<&'a AuditHead>,
    expected_prev: String,
    rows: u64,
    last_id: Option<i64>,
    keyed_since: Option<i64>,
    checkpoint_seen: bool,
}

impl<'a> ChainWalk<'a> {
    fn new(keys: &'a AuditKeyring, checkpoint: Option<&'a AuditHead>) -> Self {
        Self {
            keys,
            checkpoint,
            expected_prev: GENESIS.to_owned(),
            rows: 0,
            last_id: None,
            keyed_since: None,
            checkpoint_seen: false,
        }
    }

    fn step(&mut self, row: &AuditEntry) -> Result<(), AuditVerification> {
        let broken = |reason: String| AuditVerification::Broken { row_id: row.id, reason };
        if row.prev_hash != self.expected_prev {
            return Err(broken(
                "its link to the previous row does not match (a row before it was removed, \
                 reordered or rewritten)"
                    .to_owned(),
            ));
        }
        match (&row.key_id, self.keyed_since) {
            (Some(id), _) => {
                let Some(key) = self.keys.get(id) else {
                    return Err(broken(format!(
                        "it is signed with the audit key {id:?}, which is not among the \
                         configured keys (the encryption key it derives from is missing)"
                    )));
                };
                if row.chain_hash(Some(key)) != row.hash {
                    return Err(broken(
                        "its HMAC does not match its content (the row was edited, or rewritten \
                         without the audit key)"
                            .to_owned(),
                    ));
                }
                self.keyed_since.get_or_insert(row.id);
            }
            (None, Some(first)) => {
                return Err(broken(format!(
                    "it carries no key although row {first} before it does (it was rewritten \
                     with the old unkeyed hash)"
                )));
            }
            (None, None) => {
                if row.chain_hash(None) != row.hash {
                    return Err(broken(
                        "its content does not match its hash (the row was edited)".to_owned(),
                    ));
                }
            }
        }
        self.rows += 1;
        self.last_id = Some(row.id);
        self.expected_prev.clone_from(&row.hash);
        if let Some(checkpoint) = self.checkpoint.filter(|c| c.last_id == row.id) {
            self.checkpoint_seen = true;
            if row.hash != checkpoint.last_hash {
                return Err(broken(
                    "its hash differs from the one the checkpoint recorded (the log was \
                     rewritten)"
                        .to_owned(),
                ));
            }
            if self.rows < checkpoint.rows {
                return Err(broken(format!(
                    "only {} rows lead up to it, but the checkpoint recorded {} (rows were \
                     deleted)",
                    self.rows, checkpoint.rows
                )));
            }
        }
        Ok(())
    }

    fn finish(self) -> AuditVerification {
        match self.checkpoint {
            Some(checkpoint) if !self.checkpoint_seen => {
                let now = match self.last_id {
                    Some(id) => format!("the log now ends at row {id}"),
                    None => "the log is now empty".to_owned(),
                };
                AuditVerification::Broken {
                    row_id: checkpoint.last_id,
                    reason: format!(
                        "it is missing, but the checkpoint recorded it as the newest of {} rows \
                         (the newest rows were deleted: {now})",
                        checkpoint.rows
                    ),
                }
            }
            _ => AuditVerification::Intact { rows: self.rows },
        }
    }
}

/// Both engines keep microseconds; hashing a finer time would not survive the round trip.
fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.timestamp_subsec_nanos();
    at - chrono::Duration::nanoseconds(i64::from(nanos % 1_000))
}
