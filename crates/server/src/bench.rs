//! Baselines and measurements for BENCHMARKS.md. They run in the same binary so a
//! benchmark compares like with like on one machine in one run.

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use hearth_app::PasswordHasher;
use hearth_domain::Password;
use std::time::Instant;
use tokio::net::TcpListener;

use crate::settings::Argon2Settings;

/// A bare axum handler returning a small static JSON body: the throughput ceiling that
/// `GET /api/v1/me` is compared against.
pub async fn bare_http(
    bind: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind).await.with_context(|| format!("binding {bind}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    let router = Router::new().route(
        "/api/v1/me",
        get(|| async { axum::Json(serde_json::json!({"id": 1, "role": "client"})) }),
    );
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await.context("serving")
}

/// Times `rounds` argon2id hashes with the given parameters; returns the median in ms.
pub async fn argon2(params: Argon2Settings, rounds: usize) -> anyhow::Result<f64> {
    let hasher = PasswordHasher::new(params.memory_kib, params.iterations, params.parallelism);
    let password =
        Password::parse_new("lantern orchard violet", None).context("sample password")?;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        hasher.hash(&password).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
