use anyhow::Context as _;
use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::StoreResult;

/// The database, on either engine.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which engine a [`Db`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs the same body against whichever pool the `Db` holds. The body is compiled once per
/// engine, so it may only use SQL and types both engines accept.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// How many ids one statement binds in an `IN (…)` list: well under SQLite's limit on
/// parameters, so a page about many clients costs one statement per this many.
pub(crate) const IN_CHUNK: usize = 500;

/// `$first, $first+1, …` for `count` parameters of an `IN (…)` list.
pub(crate) fn in_list(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Integer ids as the text of an `IN (…)` list, inlined rather than bound: safe because an
/// `i64` prints only digits and a sign, and one SQL text then serves both engines whatever
/// the number of ids (no parameter limit). Callers return early on an empty list.
pub(crate) fn inline_ids(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

/// How much of a SQLite file is read through a memory mapping (SQLite's own ceiling is
/// about 2 GiB; a larger file reads its tail through the cache as before).
const MMAP_SIZE: &str = "2147418112";

/// Statements slower than this are logged at `WARN` with their SQL text (placeholders and
/// ids, never bound values): `HEARTH_SLOW_SQL_MS`, 250 ms unless set.
fn slow_statement_threshold() -> Duration {
    let ms = std::env::var("HEARTH_SLOW_SQL_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(250);
    Duration::from_millis(ms)
}

/// A count or position (`LIMIT`, `OFFSET`) as the 64-bit integer both engines bind.
pub(crate) fn sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Db {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`). A SQLite file is created if
    /// missing, private to this user (it holds health data), and opened in WAL mode with
    /// `synchronous=FULL` (a commit survives an OS crash or power loss, not only a crash of
    /// Hearth), foreign keys on, `secure_delete` (freed space is zeroed) and a busy timeout.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .context("parsing the PostgreSQL URL")?
                .log_slow_statements(log::LevelFilter::Warn, slow_statement_threshold());
            let pool = PgPoolOptions::new()
                .max_connections(32)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .context("connecting to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .context("parsing the SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // Deleted and overwritten content is zeroed, not left in free space where a
                // copy of the file would still show it (plain values from before 0017).
                .pragma("secure_delete", "ON")
                // Pages are read straight from the file's mapping rather than copied into
                // each connection's 2 MiB cache by a `read` call, which showed in profiles at
                // 100,000 clients.
                .pragma("mmap_size", MMAP_SIZE)
                .log_slow_statements(log::LevelFilter::Warn, slow_statement_threshold())
                .busy_timeout(Duration::from_secs(10));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory {
                make_private(options.get_filename())?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .context("opening the SQLite database")?;
            Ok(Db::Sqlite(pool))
        } else {
            anyhow::bail!("the database URL must start with sqlite:// or postgres://")
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies every pending migration for this engine.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("applying database migrations")
    }

    /// Answers when the database does (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await);
    }
}

/// Creates the SQLite file readable and writable by this user only (0600) before SQLite
/// opens it; SQLite gives the `-wal` and `-shm` files it makes the database file's mode.
/// Files an earlier version left open to others are tightened, with a warning.
fn make_private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let created =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
        match created {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => {
                return Err(err).with_context(|| format!("creating {}", path.display()));
            }
        }
        let mut loose = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = PathBuf::from(name);
            let Ok(meta) = std::fs::metadata(&file) else { continue };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("making {} private", file.display()))?;
                loose.push(file.display().to_string());
            }
        }
        if !loose.is_empty() {
            tracing::warn!(files = ?loose, "database files were readable by other users; made them private (0600)");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
