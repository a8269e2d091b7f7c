//! How a store write commits its audit rows with the change it makes.

use hearth_domain::UserId;
use std::fmt;

use super::{AuditEntry, AuditKey, GENESIS, NewAuditEntry, truncate_to_micros};
use crate::{StoreError, StoreResult};

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
