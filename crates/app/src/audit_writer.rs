//! Audit rows that stand alone (reads of clinical data, refusals), committed many at once.
//!
//! Every row of the chain is appended under one lock (the `audit_head` row), and with
//! `synchronous=FULL` each SQLite commit waits for the disk. One commit per row capped every
//! page that reads a client's data at the disk's flush rate (a client's dashboard: about 270
//! views a second). The writer is one task per `App` that takes every row waiting in its
//! queue and appends them in one transaction: rows that arrive while a commit is running
//! go in the next one, so under load a commit carries many rows and at rest it carries one,
//! with no timer and no added wait. Each caller still waits until its own row is committed,
//! so a page never shows data whose access is not on record.
//!
//! Rows that record a change are not written here: they go in the change's own transaction.

use hearth_store::{Db, NewAuditEntry};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};
use crate::vault::Vault;

/// The most rows one commit carries.
const MAX_BATCH: usize = 256;
/// Rows that may wait for the writer before callers wait to queue.
const QUEUE: usize = 4096;

struct Job {
    entry: NewAuditEntry,
    done: oneshot::Sender<Result<(), String>>,
}

/// The queue to this app's writer task, started at the first row (inside the runtime).
#[derive(Default)]
pub(crate) struct AuditWriter {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriter").field("started", &self.queue.get().is_some()).finish()
    }
}

impl AuditWriter {
    /// Appends `entry` and returns once it is committed.
    pub(crate) async fn append(
        &self,
        db: &Db,
        vault: &Arc<Vault>,
        entry: NewAuditEntry,
    ) -> AppResult<()> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run(db.clone(), Arc::clone(vault), receiver));
            sender
        });
        let (done, committed) = oneshot::channel();
        let stopped = || AppError::Unexpected(anyhow::anyhow!("the audit writer has stopped"));
        queue.send(Job { entry, done }).await.map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?.map_err(|err| {
            AppError::Unexpected(anyhow::anyhow!("appending to the audit log: {err}"))
        })
    }
}

async fn run(db: Db, vault: Arc<Vault>, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (entries, waiting): (Vec<_>, Vec<_>) =
            jobs.drain(..).map(|job| (job.entry, job.done)).unzip();
        let result = db
            .append_audit_batch(&entries, vault.audit_keys().current())
            .await
            .map_err(|err| format!("{err:#}"));
        for done in waiting {
            // A caller that gave up waiting no longer needs the answer.
            let _ = done.send(result.clone());
        }
    }
}
