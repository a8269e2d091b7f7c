use chrono::{DateTime, SecondsFormat, Utc};
use hearth_domain::UserId;
use hearth_store::{AuditHead, AuditKeyring, AuditRecord, AuditVerification, NewAuditEntry};

use crate::{App, AppResult};

/// Who is acting and from where, carried from the request into every audited use case.
#[derive(Clone, Debug, Default)]
pub struct AuditContext {
    pub actor: Option<UserId>,
    pub source_ip: Option<String>,
}

impl AuditContext {
    pub fn anonymous(source_ip: Option<String>) -> Self {
        Self { actor: None, source_ip }
    }

    pub fn by(actor: UserId, source_ip: Option<String>) -> Self {
        Self { actor: Some(actor), source_ip }
    }
}

/// The audit log's head as this node saw it, signed with the audit key, to keep outside the
/// database: rows deleted after it, or a chain rebuilt without the key, no longer match it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCheckpoint {
    pub at: DateTime<Utc>,
    pub head: AuditHead,
    pub key_id: String,
    mac: String,
}

/// Tags a checkpoint's signature apart from the rows' HMACs made with the same key.
const CHECKPOINT_DOMAIN: &str = "hearth-audit-checkpoint-v1";
/// How each checkpoint line starts.
const CHECKPOINT_TAG: &str = "hearth-audit-checkpoint v1";

/// Why a checkpoint file cannot be trusted; `line` counts from 1.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("line {line} is not a checkpoint")]
    Malformed { line: usize },
    #[error("line {line} is signed with the audit key {key:?}, which is not configured")]
    UnknownKey { line: usize, key: String },
    #[error("line {line}: its signature does not verify (the checkpoint was edited)")]
    BadSignature { line: usize },
}

impl AuditCheckpoint {
    /// One line, without its newline:
    /// `hearth-audit-checkpoint v1 at=… rows=… last_id=… last_hash=… key=… mac=…`.
    pub fn to_line(&self) -> String {
        let [at, rows, last_id] = self.signed_fields();
        format!(
            "{CHECKPOINT_TAG} at={at} rows={rows} last_id={last_id} last_hash={} key={} mac={}",
            self.head.last_hash, self.key_id, self.mac
        )
    }

    fn signed_fields(&self) -> [String; 3] {
        [
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.head.rows.to_string(),
            self.head.last_id.to_string(),
        ]
    }

    fn sign_input(&self) -> Vec<String> {
        let mut fields = self.signed_fields().to_vec();
        fields.push(self.head.last_hash.clone());
        fields
    }

    /// Parses one line and checks its signature with its own key from `keys`.
    fn parse(line: &str, number: usize, keys: &AuditKeyring) -> Result<Self, CheckpointError> {
        let malformed = || CheckpointError::Malformed { line: number };
        let rest = line.strip_prefix(CHECKPOINT_TAG).ok_or_else(malformed)?;
        let mut fields = rest.split_whitespace();
        let mut field = |name: &str| {
            fields
                .next()
                .and_then(|f| f.strip_prefix(name))
                .and_then(|f| f.strip_prefix('='))
                .ok_or_else(malformed)
        };
        let (at, rows, last_id) = (field("at")?, field("rows")?, field("last_id")?);
        let (last_hash, key_id, mac) = (field("last_hash")?, field("key")?, field("mac")?);
        if fields.next().is_some() {
            return Err(malformed());
        }
        let checkpoint = Self {
            at: DateTime::parse_from_rfc3339(at).map_err(|_| malformed())?.to_utc(),
            head: AuditHead {
                rows: rows.parse().map_err(|_| malformed())?,
                last_id: last_id.parse().map_err(|_| malformed())?,
                last_hash: last_hash.to_owned(),
            },
            key_id: key_id.to_owned(),
            mac: mac.to_owned(),
        };
        let key = keys
            .get(key_id)
            .ok_or_else(|| CheckpointError::UnknownKey { line: number, key: key_id.to_owned() })?;
        if !key.verifies(CHECKPOINT_DOMAIN, &checkpoint.sign_input(), &checkpoint.mac) {
            return Err(CheckpointError::BadSignature { line: number });
        }
        Ok(checkpoint)
    }
}

impl App {
    /// Appends one row to the audit log through the group-commit writer (`audit_writer.rs`:
    /// rows waiting together share one transaction) and returns once it is committed.
    /// `detail` holds ids and outcomes, never health data.
    ///
    /// Only for what changes nothing in the database: a change is recorded by the store
    /// write that makes it, in the same transaction ([`App::audited`]), so no change is ever
    /// committed without its row nor a row without its change. What stays here:
    /// - reads of clinical or personal data (an intake, a plan, measures, notes, a roster, the
    ///   risk and care queues, reports, the room's safety panel): the row is appended after
    ///   the read and before anything is shown, so if it fails nothing is shown;
    /// - entering a live room, staff entries with their reason ("break the glass") included:
    ///   access, held in this node's memory, not in the database;
    /// - failed and throttled logins and wrong second-factor codes: attempts that change
    ///   nothing (the throttle's own bookkeeping is not what the row records);
    /// - a host's controls in a live room (admit, mute, remove, lock): the change is to the
    ///   room's state in this node's memory, so there is no transaction to join; the row
    ///   follows the change.
    pub async fn audit(
        &self,
        ctx: &AuditContext,
        action: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> AppResult<()> {
        let entry = self.audit_entry(ctx, action, subject, detail);
        self.audit_writer.append(&self.db, &self.vault, entry).await
    }

    /// One audit row by `ctx`, now.
    pub(crate) fn audit_entry(
        &self,
        ctx: &AuditContext,
        action: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> NewAuditEntry {
        NewAuditEntry {
            at: self.clock.now(),
            actor: ctx.actor,
            action: action.to_owned(),
            subject: subject.into(),
            source_ip: ctx.source_ip.clone(),
            detail: detail.into(),
        }
    }

    /// The audit row of a change, for the store write that makes it to commit with it.
    pub(crate) fn audited<T>(
        &self,
        ctx: &AuditContext,
        action: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> AuditRecord<'_, T> {
        let entry = self.audit_entry(ctx, action, subject, detail);
        AuditRecord::row(self.vault.audit_keys().current(), entry)
    }

    /// The audit row of a write that answers whether it changed anything: the row commits
    /// only when it did.
    pub(crate) fn audited_if(
        &self,
        ctx: &AuditContext,
        action: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> AuditRecord<'_, bool> {
        let entry = self.audit_entry(ctx, action, subject, detail);
        self.audited_with(move |done: &bool| done.then_some(entry).into_iter().collect())
    }

    /// The audit rows of a change made from what the write did (an inserted row's id, say),
    /// for the store write to commit with it; none when `rows` finds nothing to record.
    pub(crate) fn audited_with<'a, T>(
        &'a self,
        rows: impl FnOnce(&T) -> Vec<NewAuditEntry> + Send + 'a,
    ) -> AuditRecord<'a, T> {
        AuditRecord::new(self.vault.audit_keys().current(), rows)
    }

    /// Walks the chain of the audit log, checking each keyed row with its own key.
    pub async fn verify_audit_log(&self) -> AppResult<AuditVerification> {
        self.verify_audit_log_against(None).await
    }

    /// Walks the chain and, given a checkpoint, also checks that the log still reaches it.
    pub async fn verify_audit_log_against(
        &self,
        checkpoint: Option<&AuditCheckpoint>,
    ) -> AppResult<AuditVerification> {
        let head = checkpoint.map(|c| &c.head);
        Ok(self.db.verify_audit_chain(self.vault.audit_keys(), head).await?)
    }

    /// The log's head now, signed with the current audit key; `None` while the log is empty.
    pub async fn audit_checkpoint(&self) -> AppResult<Option<AuditCheckpoint>> {
        let Some(head) = self.db.audit_head().await? else { return Ok(None) };
        let key = self.vault.audit_keys().current();
        Ok(Some(AuditCheckpoint::signed(self.clock.now(), head, key)))
    }

    /// The newest checkpoint in the text of a checkpoint file, after checking every line's
    /// signature with the configured audit keys.
    pub fn latest_audit_checkpoint(
        &self,
        file: &str,
    ) -> Result<Option<AuditCheckpoint>, CheckpointError> {
        AuditCheckpoint::latest_in(file, self.vault.audit_keys())
    }
}

impl AuditCheckpoint {
    /// The newest checkpoint in `file`, every line's signature checked. An unterminated last
    /// line is a write cut short by a crash and is skipped (each checkpoint is written as one
    /// line with its newline in a single write).
    fn latest_in(file: &str, keys: &AuditKeyring) -> Result<Option<Self>, CheckpointError> {
        let mut latest = None;
        for (index, line) in file.split_inclusive('\n').enumerate() {
            let Some(line) = line.strip_suffix('\n') else { break };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            latest = Some(Self::parse(line, index + 1, keys)?);
        }
        Ok(latest)
    }

    fn signed(at: DateTime<Utc>, head: AuditHead, key: &hearth_store::AuditKey) -> Self {
        let mut checkpoint = Self { at, head, key_id: key.id().to_owned(), mac: String::new() };
        checkpoint.mac = key.sign(CHECKPOINT_DOMAIN, &checkpoint.sign_input());
        checkpoint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_store::AuditKey;

    fn keys() -> AuditKeyring {
        AuditKeyring::new([AuditKey::new("k1", &[1; 32]), AuditKey::new("k2", &[2; 32])], "k2")
            .expect("keyring")
    }

    fn checkpoint(rows: u64, key: &AuditKey) -> AuditCheckpoint {
        let at = DateTime::parse_from_rfc3339("2026-03-01T12:00:00.123456Z").expect("time");
        let head = AuditHead {
            rows,
            last_id: 40 + i64::try_from(rows).expect("small"),
            last_hash: "ab".repeat(32),
        };
        AuditCheckpoint::signed(at.to_utc(), head, key)
    }

    #[test]
    fn the_newest_line_counts_and_lines_signed_by_older_keys_still_verify() {
        let keys = keys();
        let old = checkpoint(3, keys.get("k1").expect("k1"));
        let new = checkpoint(5, keys.current());
        let file = format!("{}\n{}\n", old.to_line(), new.to_line());
        assert_eq!(AuditCheckpoint::latest_in(&file, &keys), Ok(Some(new)));
        assert_eq!(AuditCheckpoint::latest_in("", &keys), Ok(None));
    }

    #[test]
    fn an_edited_line_or_an_unknown_key_is_refused_by_line() {
        let keys = keys();
        let line = checkpoint(5, keys.current()).to_line();
        let edited = format!("{line}\n{}\n", line.replace("rows=5", "rows=4"));
        assert_eq!(
            AuditCheckpoint::latest_in(&edited, &keys),
            Err(CheckpointError::BadSignature { line: 2 })
        );
        let stranger = checkpoint(5, &AuditKey::new("k9", &[9; 32])).to_line();
        assert_eq!(
            AuditCheckpoint::latest_in(&format!("{stranger}\n"), &keys),
            Err(CheckpointError::UnknownKey { line: 1, key: "k9".to_owned() })
        );
        let forged = line.replace(&line[line.len() - 4..], "0000");
        assert!(AuditCheckpoint::latest_in(&format!("{forged}\n"), &keys).is_err());
        assert_eq!(
            AuditCheckpoint::latest_in("rows=5\n", &keys),
            Err(CheckpointError::Malformed { line: 1 })
        );
    }

    #[test]
    fn a_last_line_cut_short_by_a_crash_is_skipped() {
        let keys = keys();
        let whole = checkpoint(5, keys.current());
        let line = whole.to_line();
        let file = format!("{line}\n{}", &line[..30]);
        assert_eq!(AuditCheckpoint::latest_in(&file, &keys), Ok(Some(whole)));
    }
}
