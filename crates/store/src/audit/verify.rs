//! Walking the chain: every row against its key and the row before it, and the newest
//! checkpoint kept outside the database.

use super::{AuditEntry, AuditHead, AuditKeyring, AuditVerification, GENESIS, SELECT_ROW};
use crate::db::on_pool;
use crate::{Db, StoreResult};

impl Db {
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
