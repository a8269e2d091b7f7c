//! Baselines and measurements for BENCHMARKS.md. They run in the same binary so a
//! benchmark compares like with like on one machine in one run.

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use hearth_app::PasswordHasher;
use hearth_domain::{
    AgeBand, BirthDate, DisplayName, Email, GroupId, License, LicenseKind, Password, Region, Role,
    TOPICS, TimeZone, WeeklySlot,
};
use hearth_store::{Db, Engine, GroupFilter, NewGroup, NewTherapist, NewUser, SeatOutcome};
use sqlx::Connection as _;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

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

/// Clients sent to each group in `hearth bench seats`: twice its capacity, so half of them
/// end up on its waitlist.
const CLIENTS_PER_GROUP: usize = 20;
/// Seats in each benchmark group.
const SEATS_PER_GROUP: i32 = 10;
/// A stand-in password hash: the benchmark signs nobody in, so it pays no argon2 cost.
const DUMMY_PASSWORD_HASH: &str = "$argon2id$bench-dummy-hash";

/// What `hearth bench seats` measured, and whether capacity held.
#[derive(Clone, Debug)]
pub struct SeatsReport {
    pub engine: Engine,
    pub clients: usize,
    pub groups: usize,
    pub concurrency: usize,
    /// Reservations that ended seated, and on a waitlist.
    pub seated: usize,
    pub waitlisted: usize,
    /// Reservations answered with anything else (already seated, closed…): a bug here.
    pub unexpected: usize,
    pub reservations_per_sec: f64,
    /// The baseline: single-row inserts, as many, on the same pool at the same concurrency.
    pub raw_inserts_per_sec: f64,
    /// Groups with more members, or more seats held, than seats.
    pub overbooked: usize,
    /// Groups whose members plus waitlist differ from the clients sent to them.
    pub miscounted: usize,
}

impl SeatsReport {
    /// Reservations per second over raw inserts per second.
    pub fn ratio(&self) -> f64 {
        self.reservations_per_sec / self.raw_inserts_per_sec
    }

    /// Whether every group kept its capacity and every reservation is accounted for.
    pub fn holds(&self) -> bool {
        self.overbooked == 0 && self.miscounted == 0 && self.unexpected == 0
    }
}

impl fmt::Display for SeatsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = match self.engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        };
        writeln!(
            f,
            "seats on {engine}: {} clients over {} groups of {SEATS_PER_GROUP} seats, \
             concurrency {}: {} seated, {} waitlisted, {} unexpected outcomes, \
             {} miscounted groups",
            self.clients,
            self.groups,
            self.concurrency,
            self.seated,
            self.waitlisted,
            self.unexpected,
            self.miscounted
        )?;
        write!(
            f,
            "seats: {:.0} reservations/s, raw insert: {:.0}/s, ratio {:.3}, overbooked groups: {}",
            self.reservations_per_sec,
            self.raw_inserts_per_sec,
            self.ratio(),
            self.overbooked
        )
    }
}

/// `hearth bench seats`: seat reservations under contention against raw single-row inserts,
/// on a fresh database that is removed afterwards.
///
/// `database_url` names a PostgreSQL server (a database `hearth_bench_<random>` is created
/// on it and dropped at the end); without it the benchmark runs on a temporary SQLite file.
/// Clients go to groups in blocks of [`CLIENTS_PER_GROUP`], so the concurrent tasks
/// compete for the same group's row.
pub async fn seats(
    database_url: Option<&str>,
    clients: usize,
    concurrency: usize,
) -> anyhow::Result<SeatsReport> {
    anyhow::ensure!(clients > 0, "--clients must be at least 1");
    anyhow::ensure!(concurrency > 0, "--concurrency must be at least 1");
    let (scratch, url) = Scratch::create(database_url).await?;
    let measured = async {
        let db = Db::connect(&url).await?;
        let measured = measure_seats(&db, clients, concurrency).await;
        db.close().await;
        measured
    }
    .await;
    let removed = scratch.remove().await;
    let report = measured?;
    removed?;
    Ok(report)
}

async fn measure_seats(db: &Db, clients: usize, concurrency: usize) -> anyhow::Result<SeatsReport> {
    db.migrate().await?;
    db.seed_catalog().await.context("seeding the catalog")?;
    let now = crate::system_clock().now();
    let groups = Arc::new(create_groups(db, clients.div_ceil(CLIENTS_PER_GROUP), now).await?);
    let (_, client_ids) = fan_out(clients, concurrency, {
        let db = db.clone();
        move |i| {
            let db = db.clone();
            async move {
                Ok(db.insert_user(&bench_user(&format!("client{i}"), Role::Client, now)?).await?)
            }
        }
    })
    .await
    .context("creating the clients")?;
    let client_ids = Arc::new(client_ids);

    // Open every pooled connection before either measurement.
    fan_out(clients.min(200), concurrency, {
        let db = db.clone();
        move |_| raw_insert(db.clone(), "bench-warm-up", now)
    })
    .await
    .context("warming up")?;

    // The baseline brackets the reservations, half before and half after, so a change in
    // the machine's load during the run weighs on both alike.
    let raw_before = raw_inserts(db, clients / 2, concurrency, now).await?;
    let (seat_time, outcomes) = fan_out(clients, concurrency, {
        let (db, groups, client_ids) = (db.clone(), Arc::clone(&groups), Arc::clone(&client_ids));
        move |i| {
            let db = db.clone();
            let (group, client) = (groups[i / CLIENTS_PER_GROUP], client_ids[i]);
            async move {
                let hold = hearth_app::DEFAULT_OFFER_HOLD;
                Ok(db.reserve_seat(group, client, now, None, hold).await?)
            }
        }
    })
    .await
    .context("reserving seats")?;
    let raw_after = raw_inserts(db, clients - clients / 2, concurrency, now).await?;

    let seated = outcomes.iter().filter(|o| matches!(o, SeatOutcome::Seated { .. })).count();
    let waitlisted =
        outcomes.iter().filter(|o| matches!(o, SeatOutcome::Waitlisted { .. })).count();
    let (overbooked, miscounted) = check_capacity(db, &groups, clients).await?;
    Ok(SeatsReport {
        engine: db.engine(),
        clients,
        groups: groups.len(),
        concurrency,
        seated,
        waitlisted,
        unexpected: outcomes.len() - seated - waitlisted,
        reservations_per_sec: per_second(clients, seat_time),
        raw_inserts_per_sec: per_second(clients, raw_before + raw_after),
        overbooked,
        miscounted,
    })
}

/// One therapist and `count` open weekly groups of [`SEATS_PER_GROUP`] seats.
async fn create_groups(db: &Db, count: usize, now: DateTime<Utc>) -> anyhow::Result<Vec<GroupId>> {
    let region = Region::parse("US-IL").context("bench region")?;
    let therapist = db
        .insert_therapist(&NewTherapist {
            user: bench_user("therapist", Role::Therapist, now)?,
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
        })
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
        groups.push(db.insert_group(&group).await?);
    }
    Ok(groups)
}

/// An adult account in Illinois with a stand-in password hash.
fn bench_user(local_part: &str, role: Role, now: DateTime<Utc>) -> anyhow::Result<NewUser> {
    let birth = NaiveDate::from_ymd_opt(1990, 5, 1).context("bench birth date")?;
    Ok(NewUser {
        email: Email::parse(&format!("{local_part}@bench.hearth.example"))
            .context("bench email")?,
        password_hash: DUMMY_PASSWORD_HASH.to_owned(),
        role,
        display_name: DisplayName::parse(&format!("Bench {local_part}")).context("bench name")?,
        timezone: TimeZone::parse("America/Chicago").context("bench zone")?,
        region: Some(Region::parse("US-IL").context("bench region")?),
        birth_date: Some(BirthDate::new(birth, now.date_naive()).context("bench birth date")?),
        created_at: now,
    })
}

/// The time `count` baseline inserts take at `concurrency`.
async fn raw_inserts(
    db: &Db,
    count: usize,
    concurrency: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Duration> {
    let db = db.clone();
    let (took, _) =
        fan_out(count, concurrency, move |_| raw_insert(db.clone(), "bench-baseline", now))
            .await
            .context("inserting the baseline rows")?;
    Ok(took)
}

/// The baseline: one autocommitted single-row insert.
async fn raw_insert(db: Db, key: &'static str, at: DateTime<Utc>) -> anyhow::Result<()> {
    const SQL: &str = "INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)";
    let inserted = match db {
        Db::Sqlite(pool) => {
            sqlx::query(SQL).bind(key).bind(at).execute(&pool).await?.rows_affected()
        }
        Db::Postgres(pool) => {
            sqlx::query(SQL).bind(key).bind(at).execute(&pool).await?.rows_affected()
        }
    };
    anyhow::ensure!(inserted == 1, "the baseline insert wrote {inserted} rows");
    Ok(())
}

/// (overbooked groups, groups whose members plus waitlist differ from the clients sent).
async fn check_capacity(
    db: &Db,
    groups: &[GroupId],
    clients: usize,
) -> anyhow::Result<(usize, usize)> {
    let mut sent: HashMap<GroupId, usize> = HashMap::new();
    for i in 0..clients {
        *sent.entry(groups[i / CLIENTS_PER_GROUP]).or_default() += 1;
    }
    let (mut overbooked, mut miscounted) = (0, 0);
    for group in db.list_groups(&GroupFilter::default()).await? {
        let members = db.list_group_members(group.id).await?.len();
        let capacity = usize::try_from(group.capacity).context("capacity")?;
        let held = usize::try_from(group.seats_taken).context("seats taken")?;
        let waiting = usize::try_from(group.waitlist).context("waitlist length")?;
        if members > capacity || held > capacity {
            overbooked += 1;
        }
        if members + waiting != sent.get(&group.id).copied().unwrap_or(0) {
            miscounted += 1;
        }
    }
    Ok((overbooked, miscounted))
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

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_bench_database_replaces_the_name_and_keeps_host_and_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b1"),
            "postgres://postgres@127.0.0.1:5432/b1"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "b2"),
            "postgres://u@h/b2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "b3"), "postgres://u@h/b3");
    }
}
