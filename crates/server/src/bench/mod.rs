//! Baselines and measurements for BENCHMARKS.md. They run in the same binary so a
//! benchmark compares like with like on one machine in one run.

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use hearth_app::{App, AuditContext, Authenticated, LoginAttempt, NewStaff, PasswordHasher};
use hearth_domain::{
    AgeBand, BirthDate, DisplayName, Email, GroupId, License, LicenseKind, Password,
    PasswordContext, Region, Role, SessionKind, TOPICS, TimeZone, WeeklySlot,
};
use hearth_store::{AuditRecord, Db, Engine, NewGroup, NewTherapist, NewUser};
use sqlx::Connection as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::settings::Argon2Settings;

mod command;
mod practice;
mod recommend;
mod report;
mod seal;
mod seats;

pub use command::BenchCommand;
pub use practice::practice;
pub use recommend::recommend;
pub use report::{ReportBench, report};
pub use seal::{SealBench, seal};
pub use seats::{SeatsReport, seats};

/// Seats in each benchmark group.
const SEATS_PER_GROUP: i32 = 10;
/// A stand-in password hash: the benchmark signs nobody in, so it pays no argon2 cost.
const DUMMY_PASSWORD_HASH: &str = "$argon2id$bench-dummy-hash";

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
    let password = Password::parse_new("lantern orchard violet", &PasswordContext::default())
        .context("sample password")?;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        hasher.hash(&password).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// One therapist and `count` open weekly groups of [`SEATS_PER_GROUP`] seats.
async fn create_groups(db: &Db, count: usize, now: DateTime<Utc>) -> anyhow::Result<Vec<GroupId>> {
    let region = Region::parse("US-IL").context("bench region")?;
    let therapist = db
        .insert_therapist(
            &NewTherapist {
                user: bench_user("therapist", Role::Therapist, now, None)?,
                license_kind: LicenseKind::Lcsw,
                years_of_practice: 10,
                bio: "Runs the benchmark's groups.".to_owned(),
                licenses: vec![License {
                    region,
                    kind: LicenseKind::Lcsw,
                    number: "BENCH-1".to_owned(),
                    expires_on: now.date_naive() + chrono::Days::new(365),
                }],
                specialties: vec![TOPICS[0].slug.to_owned()],
            },
            AuditRecord::none(),
        )
        .await?;
    let zone = TimeZone::parse("America/Chicago").context("bench zone")?;
    let time = NaiveTime::from_hms_opt(18, 0, 0).context("bench time")?;
    let slot = WeeklySlot::new(Weekday::Tue, time, zone, 60).context("bench slot")?;
    let mut groups = Vec::with_capacity(count);
    for i in 0..count {
        let group = NewGroup {
            topic: TOPICS[i % TOPICS.len()].slug.to_owned(),
            therapist_id: therapist,
            slot,
            capacity: SEATS_PER_GROUP,
            age_band: AgeBand::Adult,
            starts_on: now.date_naive(),
            ends_on: None,
            created_at: now,
        };
        groups.push(db.insert_group(&group, AuditRecord::none()).await?);
    }
    Ok(groups)
}

/// An account in Illinois with a stand-in password hash; an adult when `app` is given to
/// seal its birth date.
fn bench_user(
    local_part: &str,
    role: Role,
    now: DateTime<Utc>,
    app: Option<&App>,
) -> anyhow::Result<NewUser> {
    let birth = NaiveDate::from_ymd_opt(1990, 5, 1).context("bench birth date")?;
    let birth = BirthDate::new(birth, now.date_naive()).context("bench birth date")?;
    Ok(NewUser {
        email: Email::parse(&format!("{local_part}@bench.hearth.example"))
            .context("bench email")?,
        password_hash: DUMMY_PASSWORD_HASH.to_owned(),
        role,
        display_name: DisplayName::parse(&format!("Bench {local_part}")).context("bench name")?,
        timezone: TimeZone::parse("America/Chicago").context("bench zone")?,
        region: Some(Region::parse("US-IL").context("bench region")?),
        birth_date: app.map(|app| app.seal_birth_date(birth)),
        created_at: now,
    })
}

/// Runs `job(i)` for every `i` in `0..count` on `concurrency` tasks, each taking the next
/// index as it finishes one; returns the wall time of the whole and every result.
async fn fan_out<T, F, Fut>(
    count: usize,
    concurrency: usize,
    job: F,
) -> anyhow::Result<(Duration, Vec<T>)>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency.min(count) {
        let (job, next) = (Arc::clone(&job), Arc::clone(&next));
        tasks.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                done.push(job(i).await?);
            }
            anyhow::Ok(done)
        });
    }
    let mut results = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        results.extend(joined.context("a benchmark task panicked")??);
    }
    Ok((started.elapsed(), results))
}

#[allow(clippy::cast_precision_loss, reason = "a rate needs no more than 52 bits")]
fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// An admin signed in through the app, with the audit context of their requests.
async fn bench_admin(app: &App) -> anyhow::Result<(Authenticated, AuditContext)> {
    bench_staff(app, "admin").await
}

/// A staff member of `role` signed in through the app, with the audit context of their
/// requests (a coordinator reads clients' intakes; an admin does not).
async fn bench_staff(app: &App, role: &str) -> anyhow::Result<(Authenticated, AuditContext)> {
    const PASSWORD: &str = "lantern orchard violet benchmark";
    let email = format!("{role}@bench.hearth.example");
    let staff = NewStaff {
        email: email.clone(),
        password: PASSWORD.to_owned(),
        role: role.to_owned(),
        display_name: Some(format!("Bench {role}")),
        timezone: None,
    };
    app.create_staff(&staff).await.map_err(|e| anyhow::anyhow!("creating the {role}: {e}"))?;
    let attempt = LoginAttempt {
        email: &email,
        password: PASSWORD,
        kind: SessionKind::Api,
        user_agent: "hearth-bench",
        ip: "127.0.0.1",
        device: None,
        totp: None,
    };
    let signed_in =
        app.log_in(&attempt).await.map_err(|e| anyhow::anyhow!("logging the {role} in: {e}"))?;
    let who = app
        .authenticate(&signed_in.token)
        .await
        .map_err(|e| anyhow::anyhow!("authenticating the {role}: {e}"))?;
    let ctx = AuditContext::by(who.user.id, Some(attempt.ip.to_owned()));
    Ok((who, ctx))
}

/// Runs `measure` on a fresh scratch database (see [`seats`] for `database_url`), then
/// closes and removes it whether or not the measurement succeeded.
async fn on_scratch<T, F, Fut>(database_url: Option<&str>, measure: F) -> anyhow::Result<T>
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let (scratch, url) = Scratch::create(database_url).await?;
    let measured = async {
        let db = Db::connect(&url).await?;
        let measured = measure(db.clone()).await;
        db.close().await;
        measured
    }
    .await;
    let removed = scratch.remove().await;
    let result = measured?;
    removed?;
    Ok(result)
}

/// A database that exists only for one benchmark run.
enum Scratch {
    /// A temporary directory holding the SQLite file.
    Sqlite { dir: PathBuf },
    /// A database created on the server `server_url` points at.
    Postgres { server_url: String, name: String },
}

impl Scratch {
    /// Creates the database; returns it with the URL to connect to.
    async fn create(database_url: Option<&str>) -> anyhow::Result<(Self, String)> {
        let suffix = format!("{:016x}", rand::random::<u64>());
        match database_url {
            None => {
                let dir = std::env::temp_dir().join(format!("hearth-bench-{suffix}"));
                std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
                let url = format!("sqlite://{}", dir.join("bench.db").display());
                Ok((Self::Sqlite { dir }, url))
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let name = format!("hearth_bench_{suffix}");
                let mut conn = sqlx::PgConnection::connect(url)
                    .await
                    .context("connecting to the PostgreSQL server")?;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("creating the database {name}"))?;
                conn.close().await.ok();
                let bench_url = with_database(url, &name);
                Ok((Self::Postgres { server_url: url.to_owned(), name }, bench_url))
            }
            Some(_) => anyhow::bail!(
                "--database-url must name a PostgreSQL server (postgres://…); \
                 without it the benchmark uses a temporary SQLite file"
            ),
        }
    }

    async fn remove(self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite { dir } => {
                std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))
            }
            Self::Postgres { server_url, name } => {
                let mut conn = sqlx::PgConnection::connect(&server_url)
                    .await
                    .context("connecting to the PostgreSQL server")?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("dropping the database {name}"))?;
                conn.close().await.ok();
                Ok(())
            }
        }
    }
}

/// `url` with its database name replaced by `name`, keeping host and options.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let host = base[host_end..].find('/').map_or(base, |i| &base[..host_end + i]);
    match query {
        Some(query) => format!("{host}/{name}?{query}"),
        None => format!("{host}/{name}"),
    }
}
