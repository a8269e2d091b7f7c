//! `hearth bench practice`: the demo practice seeded at scale ([`crate::scale`]) on a scratch
//! database, served until stopped, then removed: what `bench/pages.sh --scale` measures.

use std::io::Write as _;
use std::time::Instant;

use super::{engine_name, on_scratch};
use crate::scale::Scale;
use crate::{Settings, demo};
use hearth_store::Db;

/// Seeds the demo and then the practice at `scale` (none when `scale.clients` is 0: the demo
/// alone, on either engine) on a fresh database (see [`super::seats`]
/// for `database_url`), serves it with the demo's settings until `shutdown` completes, and
/// removes the database and the data directory (the audit checkpoints) afterwards. The
/// encryption key lives only in memory: nothing it sealed outlives the run.
pub async fn practice(
    mut settings: Settings,
    database_url: Option<&str>,
    scale: Scale,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let data = std::env::temp_dir().join(format!("hearth-practice-{:016x}", rand::random::<u64>()));
    settings.data_dir.clone_from(&data);
    settings.encryption.keys = vec![hearth_app::Vault::generate_key("practice").into()];
    let served = on_scratch(database_url, |db| serve(settings, db, scale, shutdown)).await;
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    served
}

async fn serve(
    settings: Settings,
    db: Db,
    scale: Scale,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    db.migrate().await?;
    db.seed_catalog().await?;
    let app = crate::build_app(&settings, db.clone(), crate::system_clock())?;
    let engine = engine_name(db.engine());
    let started = Instant::now();
    let logins =
        demo::seed(&app, &db).await.map_err(|e| anyhow::anyhow!("seeding the demo: {e}"))?;
    println!("seeded the demo on {engine} in {:.1} s", started.elapsed().as_secs_f64());
    if scale.clients > 0
        && let Some(seeded) = crate::scale::seed(&app, &db, scale).await?
    {
        println!("{seeded} on {engine}");
    }
    demo::session_about_to_start(&app, &db)
        .await
        .map_err(|e| anyhow::anyhow!("setting up the demo session: {e}"))?;
    let server = crate::Server::bind(&settings, db.clone(), app).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Demo logins (password for all: \"{}\"):", demo::DEMO_PASSWORD)?;
    for login in logins {
        writeln!(out, "  {:<12} {}", login.role, login.email)?;
    }
    writeln!(out, "listening on http://{}", server.addr)?;
    out.flush()?;
    drop(out);
    server.run(shutdown).await
}
