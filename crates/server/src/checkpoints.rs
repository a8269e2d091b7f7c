//! Signed checkpoints of the audit log's head, appended to a file outside the database
//! (`DATA_DIR/audit.checkpoints` by default, one line each, mode 0600, fsynced) and logged,
//! so `hearth audit verify` sees rows deleted after them. Each node keeps its own file.

use anyhow::Context as _;
use hearth_app::{App, AuditCheckpoint, CheckpointError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Appends the log's head to `path` unless the newest row is still `last_written`; returns
/// the head as it is now (`None` while the log is empty).
pub async fn write(
    app: &App,
    path: &Path,
    last_written: Option<i64>,
) -> anyhow::Result<Option<AuditCheckpoint>> {
    let checkpoint = app
        .audit_checkpoint()
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .context("reading the audit log's head")?;
    let Some(checkpoint) = checkpoint else { return Ok(None) };
    if Some(checkpoint.head.last_id) == last_written {
        return Ok(Some(checkpoint));
    }
    let line = checkpoint.to_line();
    let target = path.to_owned();
    tokio::task::spawn_blocking(move || append_line(&target, &line))
        .await
        .context("joining the checkpoint writer")??;
    // Also an event, so a log shipper can keep a copy further away still.
    tracing::info!(
        target: "hearth::audit::checkpoint",
        checkpoint = %checkpoint.to_line(),
        path = %path.display(),
        "audit checkpoint"
    );
    Ok(Some(checkpoint))
}

/// Writes a checkpoint every `every` while the log grows, and a last one when `stop` fires.
pub async fn run(
    app: App,
    path: PathBuf,
    every: Duration,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut stop => true,
        };
        match write(&app, &path, last).await {
            Ok(written) => last = written.map(|c| c.head.last_id),
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "writing the audit checkpoint");
            }
        }
        if stopping {
            return;
        }
    }
}

/// What a checkpoint file says.
#[derive(Debug)]
pub enum CheckpointFile {
    /// The newest checkpoint, every line's signature checked.
    Latest(AuditCheckpoint),
    /// The file is missing or holds no checkpoint yet.
    Missing,
    /// A line does not verify: the file itself was tampered with.
    Broken(CheckpointError),
}

/// Reads and checks the checkpoint file at `path`.
pub fn read(app: &App, path: &Path) -> anyhow::Result<CheckpointFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(CheckpointFile::Missing);
        }
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    Ok(match app.latest_audit_checkpoint(&text) {
        Ok(Some(latest)) => CheckpointFile::Latest(latest),
        Ok(None) => CheckpointFile::Missing,
        Err(err) => CheckpointFile::Broken(err),
    })
}

/// Makes the directory the checkpoint file goes in (once, at start-up: a write never
/// recreates a directory that was removed).
pub fn prepare(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// Appends one line in a single write, then fsyncs; a new file is made readable by this
/// user only.
fn append_line(path: &Path, line: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("opening {}", path.display()))?;
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_data())
        .with_context(|| format!("appending to {}", path.display()))
}
