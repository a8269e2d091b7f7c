//! The `hearth` binary's library: settings, start-up and the demo, so tests can start the
//! real application in-process.

pub mod bench;
pub mod bench_match;
mod bulk;
pub mod checkpoints;
pub mod demo;
pub mod scale;
pub mod settings;
pub mod telemetry;

use anyhow::Context as _;
use hearth_app::{
    App, AppParts, Clock, PasswordHasher, SessionPolicy, SystemClock, ThrottlePolicy, Vault,
};
use hearth_store::Db;
use hearth_web::WebConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use settings::Settings;

/// Opens the database named by the settings and applies migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        create_private_dir(&settings.data_dir)?;
    }
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    db.seed_catalog().await.context("seeding the catalog")?;
    Ok(db)
}

/// Builds the use-case layer over a database. The encryption keys must exist already
/// (see [`ensure_key_file`]). The caller keeps a clone of `db` for what the app does not
/// do: closing it, the demo seed, benchmarks.
pub fn build_app(settings: &Settings, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    let a = settings.argon2;
    let vault = load_vault(settings)?;
    Ok(App::new(AppParts {
        db,
        clock,
        hasher: PasswordHasher::with_pool(
            a.memory_kib,
            a.iterations,
            a.parallelism,
            a.max_concurrent.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
            }),
            std::time::Duration::from_millis(a.wait_ms),
        ),
        sessions: SessionPolicy::default(),
        throttle: ThrottlePolicy::default(),
        second_factor_policy: settings.auth.staff_second_factor,
        offer_hold: hearth_app::DEFAULT_OFFER_HOLD,
        vault,
    }))
}

/// Seals what an earlier version stored plain (answers and scores, risk levels, birth dates,
/// phone numbers), before anything is served: `serve` and `demo` run it at every start. It
/// costs one indexed look-up per kind once done, and is safe to interrupt and run again.
pub async fn seal_plain_fields(app: &App) -> anyhow::Result<()> {
    app.seal_plain_fields()
        .await
        .map_err(|e| anyhow::anyhow!("sealing fields stored plain by an earlier version: {e}"))?;
    Ok(())
}

/// Where the encryption keys live when the settings name none.
fn key_file(settings: &Settings) -> std::path::PathBuf {
    settings.data_dir.join("encryption.keys")
}

/// Makes `DATA_DIR/encryption.keys` with a fresh key (readable by this user only) when no
/// keys are configured and the file does not exist yet. Only commands that set up or start
/// a practice call this (`serve`, `demo`, `admin create`); the rest refuse in [`load_vault`]
/// rather than make a key that opens nothing already stored.
pub fn ensure_key_file(settings: &Settings) -> anyhow::Result<()> {
    let path = key_file(settings);
    if !settings.encryption.keys.is_empty() || path.exists() {
        return Ok(());
    }
    create_private_dir(&settings.data_dir)?;
    let id = format!("k{}", chrono::Utc::now().format("%Y%m%d"));
    write_private(&path, &format!("{}\n", Vault::generate_key(&id)))?;
    tracing::warn!(path = %path.display(), "made a new encryption key; back it up with the database");
    Ok(())
}

/// The vault over the encryption keys of [`encryption_keys`]; an error when there are none
/// (see [`ensure_key_file`]).
pub fn load_vault(settings: &Settings) -> anyhow::Result<Vault> {
    let (keys, current) = encryption_keys(settings)?;
    Vault::from_config(&keys, &current).context("loading the encryption keys")
}

/// The key CSRF tokens are signed with, derived from the current encryption key: every node
/// configured with the same keys accepts the others' forms. Rotating that key makes forms
/// open at the time fail once (the person reloads the page).
pub fn csrf_key(settings: &Settings) -> anyhow::Result<hearth_web::CsrfKey> {
    let (keys, current) = encryption_keys(settings)?;
    let entry = keys
        .iter()
        .find(|k| k.split_once(':').is_some_and(|(id, _)| id == current))
        .with_context(|| format!("the current encryption key {current:?} is not configured"))?;
    Ok(hearth_web::CsrfKey::derive(entry.as_bytes()))
}

/// The encryption keys (`ID:BASE64`) and the current key's id, from the settings or from
/// `DATA_DIR/encryption.keys` (made on first start with a fresh key, readable by this user
/// only).
fn encryption_keys(settings: &Settings) -> anyhow::Result<(Vec<String>, String)> {
    use secrecy::ExposeSecret as _;
    let keys: Vec<String> = if settings.encryption.keys.is_empty() {
        let path = key_file(settings);
        if !path.exists() {
            anyhow::bail!(
                "no encryption key: {} does not exist and encryption.keys is not set \
                 (is --data-dir the practice's data directory? `hearth serve` makes the key on first start)",
                path.display()
            );
        }
        make_private(&path)?;
        std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    } else {
        settings.encryption.keys.iter().map(|k| k.expose_secret().to_owned()).collect()
    };
    let current = match &settings.encryption.current {
        Some(id) => id.clone(),
        None => keys
            .first()
            .and_then(|k| k.split_once(':'))
            .map(|(id, _)| id.to_owned())
            .context("no encryption key is configured")?,
    };
    Ok((keys, current))
}

/// Creates `dir` (and missing parents) for this user only; an existing one is left as is.
fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).with_context(|| format!("creating the data directory {}", dir.display()))
}

/// Takes away other users' access to a key file an earlier version or a person left open.
fn make_private(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("making {} private", path.display()))?;
            tracing::warn!(path = %path.display(), was = format!("{:o}", mode & 0o777), "the key file was readable by other users; made it private (0600)");
        }
    }
    Ok(())
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: axum::Router,
    pub addr: SocketAddr,
    pub app: App,
    /// The database `app` was built over.
    db: Db,
    checkpoint_file: std::path::PathBuf,
    checkpoint_every: std::time::Duration,
}

impl Server {
    /// Binds the listener (port 0 picks a free port), starts the SFU on its UDP port, and
    /// builds the router. `db` is the database `app` was built over.
    pub async fn bind(settings: &Settings, db: Db, app: App) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let app = start_video(&settings.video, app)?;
        let checkpoint_file = settings.audit_checkpoint_file();
        checkpoints::prepare(&checkpoint_file)?;
        let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let csrf_key = csrf_key(settings)?;
        let router = hearth_web::router(
            app.clone(),
            WebConfig {
                secure_cookies: settings.secure_cookies,
                public_url,
                csrf_key,
                trusted_proxies: hearth_web::TrustedProxies::parse(&settings.trusted_proxies)
                    .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?,
            },
        );
        Ok(Self {
            listener,
            router,
            addr,
            app,
            db,
            checkpoint_file,
            checkpoint_every: std::time::Duration::from_secs(settings.audit.checkpoint_seconds),
        })
    }

    /// Every `(METHOD, /path)` this server routes (for the authorization matrix test).
    pub fn routes(&self) -> std::collections::BTreeSet<(String, String)> {
        hearth_web::served_routes(&format!("{:?}", self.router))
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and writes a last
    /// audit checkpoint.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %self.addr, engine = ?self.db.engine(), "serving");
        let jobs = tokio::spawn(run_jobs(self.app.clone()));
        let (stop_checkpoints, stopped) = tokio::sync::oneshot::channel();
        let checkpoints = tokio::spawn(checkpoints::run(
            self.app.clone(),
            self.checkpoint_file,
            self.checkpoint_every,
            stopped,
        ));
        let served = axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
        jobs.abort();
        let _ = stop_checkpoints.send(());
        if let Err(err) = checkpoints.await {
            tracing::error!(error = %err, "the audit checkpoint job failed");
        }
        served
    }
}

/// Binds the SFUs' UDP ports and attaches them to the app.
fn start_video(settings: &settings::VideoSettings, app: App) -> anyhow::Result<App> {
    let bind: SocketAddr = settings
        .bind
        .parse()
        .with_context(|| format!("video.bind {:?} is not an IP address and port", settings.bind))?;
    let public =
        match &settings.public_addr {
            Some(raw) => Some(raw.parse::<SocketAddr>().with_context(|| {
                format!("video.public_addr {raw:?} is not an IP address and port")
            })?),
            None => None,
        };
    anyhow::ensure!(
        public.is_some() || !bind.ip().is_unspecified(),
        "the video port is bound to {bind}: set video.public_addr to the address browsers can reach"
    );
    let shards = settings
        .shards
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let config = hearth_video::PoolConfig { bind, public, shards };
    let hearth_video::StartedPool { pool, events, tasks } =
        hearth_video::SfuPool::start(config).context("starting the SFUs")?;
    for task in tasks {
        tokio::spawn(async move {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "an SFU stopped"),
                Err(e) => tracing::error!(error = %e, "an SFU task failed"),
            }
        });
    }
    tracing::info!(addresses = ?pool.addresses(), "video SFUs listening");
    Ok(app.with_video(pool, events))
}

/// The background jobs, once a minute. Each job's `*_once(now)` is what tests drive directly.
async fn run_jobs(app: App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) = app.expire_offers_once(app.now()).await {
            tracing::error!(error = %err, "expiring waitlist offers");
        }
        if let Err(err) = app.forget_stale_login_strikes().await {
            tracing::error!(error = %err, "forgetting old login strikes");
        }
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is *called*, not
/// when first polled, so a signal that arrives right after `listening on` is printed is
/// not lost (and does not kill the process before a graceful shutdown).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (terminate, interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(terminate) => {},
                () = wait(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

/// The clock of a real server.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
