//! Baselines and measurements for BENCHMARKS.md. They run in the same binary so a
//! benchmark compares like with like on one machine in one run.

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc, Weekday};
use hearth_app::{
    App, AuditContext, Authenticated, LoginAttempt, NewStaff, PasswordHasher, ReportScope,
    SessionKind,
};
use hearth_domain::{
    AgeBand, Answers, BirthDate, DisplayName, Email, GAD7, GroupId, Instrument, License,
    LicenseKind, Outcome, OutcomeReport, PHQ9, Password, PasswordContext, Region, Risk, Role,
    TOPICS, TimeZone, WeeklySlot,
};
use hearth_store::{
    AuditKey, AuditRecord, Db, Engine, GroupFilter, NewAuditEntry, NewGroup, NewTherapist, NewUser,
    SeatOutcome,
};
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
        let engine = engine_name(self.engine);
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

/// `hearth bench seats`: seat reservations under contention, each committing its audit row
/// as the app's do, against raw single-row inserts, on a fresh database that is removed
/// afterwards.
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
    on_scratch(database_url, |db| async move { measure_seats(&db, clients, concurrency).await })
        .await
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
                let client = bench_user(&format!("client{i}"), Role::Client, now, None)?;
                Ok(db.insert_user(&client, AuditRecord::none()).await?)
            }
        }
    })
    .await
    .context("creating the clients")?;
    let client_ids = Arc::new(client_ids);

    // Open every pooled connection before either measurement.
    fan_out(clients.min(200), concurrency, {
        let db = db.clone();
        move |i| raw_insert(db.clone(), format!("bench-warm-up-{i}"), now)
    })
    .await
    .context("warming up")?;

    // The baseline brackets the reservations, half before and half after, so a change in
    // the machine's load during the run weighs on both alike.
    let raw_before = raw_inserts(db, "before", clients / 2, concurrency, now).await?;
    // Each reservation commits its audit row with it, as the app's do.
    let key = Arc::new(AuditKey::new("bench", &[7; 32]));
    let (seat_time, outcomes) = fan_out(clients, concurrency, {
        let (db, groups, client_ids) = (db.clone(), Arc::clone(&groups), Arc::clone(&client_ids));
        move |i| {
            let (db, key) = (db.clone(), Arc::clone(&key));
            let (group, client) = (groups[i / CLIENTS_PER_GROUP], client_ids[i]);
            async move {
                let hold = hearth_app::DEFAULT_OFFER_HOLD;
                let record = AuditRecord::new(&key, move |outcome: &SeatOutcome| {
                    seat_row(now, client, group, outcome).into_iter().collect()
                });
                Ok(db.reserve_seat(group, client, now, None, hold, record).await?)
            }
        }
    })
    .await
    .context("reserving seats")?;
    let raw_after = raw_inserts(db, "after", clients - clients / 2, concurrency, now).await?;

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

/// The audit row the app commits with a seat request's outcome.
fn seat_row(
    now: DateTime<Utc>,
    client: hearth_domain::UserId,
    group: GroupId,
    outcome: &SeatOutcome,
) -> Option<NewAuditEntry> {
    let (action, detail) = match outcome {
        SeatOutcome::Seated { membership } => {
            ("group.seat.taken", format!("membership={membership}"))
        }
        SeatOutcome::Waitlisted { entry, .. } => {
            ("group.waitlist.joined", format!("entry={entry}"))
        }
        _ => return None,
    };
    Some(NewAuditEntry {
        at: now,
        actor: Some(client),
        action: action.to_owned(),
        subject: format!("group:{group}"),
        source_ip: None,
        detail,
    })
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

/// The time `count` baseline inserts take at `concurrency`.
async fn raw_inserts(
    db: &Db,
    label: &'static str,
    count: usize,
    concurrency: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Duration> {
    let db = db.clone();
    let (took, _) = fan_out(count, concurrency, move |i| {
        raw_insert(db.clone(), format!("bench-baseline-{label}-{i}"), now)
    })
    .await
    .context("inserting the baseline rows")?;
    Ok(took)
}

/// The baseline: one autocommitted single-row insert (into a small keyed table).
async fn raw_insert(db: Db, key: String, at: DateTime<Utc>) -> anyhow::Result<()> {
    const SQL: &str =
        "INSERT INTO login_throttle (throttle_key, strikes, last_at) VALUES ($1, 0, $2)";
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

/// The report window of `hearth bench report`: the practice's usual 8 weeks.
const REPORT_WINDOW_WEEKS: u32 = 8;
/// Groups the benchmark's clients are spread over (their first session is all the report
/// needs from a membership).
const REPORT_GROUPS: usize = 8;
/// Rows per multi-row `INSERT` while seeding.
const SEED_BATCH_ROWS: usize = 1000;
/// Timed runs of the report and of the raw read; the median of each is printed.
const REPORT_RUNS: usize = 3;
/// The first clients' first session; later clients start up to 27 days after it.
const REPORT_START: &str = "2025-01-06T15:00:00Z";
/// The baseline: every PHQ-9 and GAD-7 row the report has to read, in the report's order
/// (the totals sealed).
const RAW_READ_SQL: &str = "SELECT client_id, instrument, total_sealed, taken_at FROM measures \
                            WHERE instrument IN ('phq9','gad7') ORDER BY client_id, taken_at, id";

/// What `hearth bench report` measured.
#[derive(Clone, Debug)]
pub struct ReportBench {
    pub engine: Engine,
    pub clients: usize,
    pub weeks: u32,
    /// Inserting users, memberships and measures (and on PostgreSQL `VACUUM (ANALYZE)`).
    pub seeding: Duration,
    /// Median of [`REPORT_RUNS`] calls of `App::outcome_report`.
    pub report_time: Duration,
    /// The baseline: median of [`REPORT_RUNS`] full reads of the same rows through sqlx.
    pub raw_read_time: Duration,
    /// Rows the raw read returned: 2 × weeks × clients.
    pub raw_rows: usize,
    /// The last report.
    pub outcome: OutcomeReport,
}

impl ReportBench {
    /// Raw read time over report time: 1.0 means the report costs no more than the read.
    pub fn ratio(&self) -> f64 {
        self.raw_read_time.as_secs_f64() / self.report_time.as_secs_f64()
    }

    /// Whether the report considered every client and the raw read saw every row.
    pub fn holds(&self) -> bool {
        usize::try_from(self.outcome.considered).is_ok_and(|n| n == self.clients)
            && Some(self.raw_rows) == measure_rows(self.clients, self.weeks)
    }
}

impl fmt::Display for ReportBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let improved = self.outcome.count(Outcome::ReliableImprovement);
        write!(
            f,
            "report: {} clients x {} weeks on {}: report {:.2} s, raw read {:.2} s, \
             ratio {:.2} (eligible {}, reliable improvement {}",
            self.clients,
            self.weeks,
            engine_name(self.engine),
            self.report_time.as_secs_f64(),
            self.raw_read_time.as_secs_f64(),
            self.ratio(),
            self.outcome.eligible,
            improved.numerator,
        )?;
        match improved.rate {
            Some(rate) => write!(
                f,
                " = {:.1}%, CI [{:.1}%, {:.1}%])",
                rate.rate * 100.0,
                rate.ci95.0 * 100.0,
                rate.ci95.1 * 100.0
            ),
            None => write!(f, ", no rate: nobody eligible)"),
        }
    }
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

/// 2 × `weeks` × `clients`, if it fits.
fn measure_rows(clients: usize, weeks: u32) -> Option<usize> {
    clients.checked_mul(usize::try_from(weeks).ok()?)?.checked_mul(2)
}

/// `hearth bench report`: the practice outcome report over `clients` clients, each with a
/// weekly PHQ-9 and GAD-7 for `weeks` weeks, against a raw read of the same rows, on a
/// fresh database that is removed afterwards (see [`seats`] for `database_url`).
///
/// Seeding goes straight to the tables in multi-row inserts; its time is printed as soon
/// as it is done and kept out of the ratio.
pub async fn report(
    database_url: Option<&str>,
    clients: usize,
    weeks: u32,
) -> anyhow::Result<ReportBench> {
    anyhow::ensure!(clients > 0, "--clients must be at least 1");
    anyhow::ensure!(u32::try_from(clients).is_ok(), "--clients must fit in 32 bits");
    anyhow::ensure!((1..=104).contains(&weeks), "--weeks must be between 1 and 104");
    anyhow::ensure!(measure_rows(clients, weeks).is_some(), "too many measures to count");
    on_scratch(database_url, |db| async move { measure_report(&db, clients, weeks).await }).await
}

async fn measure_report(db: &Db, clients: usize, weeks: u32) -> anyhow::Result<ReportBench> {
    db.migrate().await?;
    db.seed_catalog().await.context("seeding the catalog")?;
    let engine = engine_name(db.engine());
    let started = Instant::now();
    seed_outcomes(db, clients, weeks).await.context("seeding the clients and measures")?;
    let seeding = started.elapsed();
    println!(
        "seeded {clients} clients x {weeks} weeks ({} measures) on {engine} in {:.1} s",
        measure_rows(clients, weeks).unwrap_or_default(),
        seeding.as_secs_f64()
    );

    let mut settings = crate::Settings::default();
    settings.encryption.keys = vec![hearth_app::Vault::generate_key("bench").into()];
    let app = crate::build_app(&settings, db.clone(), crate::system_clock())?;
    // The rows went in plain, as an earlier version wrote them: start-up seals them.
    let started = Instant::now();
    let sealed = app.seal_plain_fields().await.map_err(|e| anyhow::anyhow!("sealing: {e}"))?;
    println!(
        "sealed {} measures and {} birth dates stored plain in {:.1} s (once, at start-up)",
        sealed.measures,
        sealed.birth_dates,
        started.elapsed().as_secs_f64()
    );
    let (who, ctx) = bench_admin(&app).await?;

    // Interleaved, so a change in the machine's load weighs on both alike.
    let (mut report_times, mut raw_times) = (Vec::new(), Vec::new());
    let (mut last, mut raw_rows) = (None, 0);
    for _ in 0..REPORT_RUNS {
        let started = Instant::now();
        raw_rows = raw_read(db).await.context("reading the rows raw")?;
        raw_times.push(started.elapsed());
        let started = Instant::now();
        let outcome = app
            .outcome_report(&who, REPORT_WINDOW_WEEKS, &ReportScope::default(), &ctx)
            .await
            .map_err(|e| anyhow::anyhow!("building the outcome report: {e}"))?;
        report_times.push(started.elapsed());
        last = Some(outcome);
    }
    Ok(ReportBench {
        engine: db.engine(),
        clients,
        weeks,
        seeding,
        report_time: median(report_times),
        raw_read_time: median(raw_times),
        raw_rows,
        outcome: last.context("no report was run")?,
    })
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// An admin signed in through the app, with the audit context of their requests.
async fn bench_admin(app: &App) -> anyhow::Result<(Authenticated, AuditContext)> {
    const EMAIL: &str = "admin@bench.hearth.example";
    const PASSWORD: &str = "lantern orchard violet benchmark";
    let staff = NewStaff {
        email: EMAIL.to_owned(),
        password: PASSWORD.to_owned(),
        role: "admin".to_owned(),
        display_name: Some("Bench admin".to_owned()),
        timezone: None,
    };
    app.create_staff(&staff).await.map_err(|e| anyhow::anyhow!("creating the admin: {e}"))?;
    let attempt = LoginAttempt {
        email: EMAIL,
        password: PASSWORD,
        kind: SessionKind::Api,
        user_agent: "hearth-bench",
        ip: "127.0.0.1",
        device: None,
        totp: None,
    };
    let signed_in =
        app.log_in(&attempt).await.map_err(|e| anyhow::anyhow!("logging the admin in: {e}"))?;
    let who = app
        .authenticate(&signed_in.token)
        .await
        .map_err(|e| anyhow::anyhow!("authenticating the admin: {e}"))?;
    let ctx = AuditContext::by(who.user.id, Some(attempt.ip.to_owned()));
    Ok((who, ctx))
}

/// The baseline: fetches every PHQ-9 and GAD-7 row, decoded to the types the store uses;
/// returns how many there were.
async fn raw_read(db: &Db) -> anyhow::Result<usize> {
    type Row = (i64, String, Option<String>, DateTime<Utc>);
    let rows: Vec<Row> = match db {
        Db::Sqlite(pool) => sqlx::query_as(RAW_READ_SQL).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(RAW_READ_SQL).fetch_all(pool).await?,
    };
    Ok(rows.len())
}

/// A client's PHQ-9 and GAD-7 totals at the first session and at the end of the report
/// window, each `(first, last)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Course {
    phq9: (i32, i32),
    gad7: (i32, i32),
}

/// A deterministic mix, by the client's index: 30% improving into remission or recovery,
/// 10% improving partly, 20% flat, 10% worsening, 10% mixed (PHQ-9 down, GAD-7 up) and
/// 20% not at caseness at baseline. Baselines vary a little within each kind.
fn course(client: usize) -> Course {
    let v = i32::try_from((client / 10) % 5).expect("below 5");
    let (phq9, gad7) = match client % 10 {
        0..=2 => ((14 + v, 3 + v), (10 + v, 4 + v / 2)),
        3 => ((16 + v, 11 + v / 2), (12, 9)),
        4 | 5 => ((12 + v / 2, 12 + v / 2), (9 + v / 2, 9 + v / 2)),
        6 => ((11 + v, 18 + v), (8, 13)),
        7 => ((15, 8), (9, 14)),
        _ => ((5 + v / 2, 5 + v / 2), (4 + v / 2, 4 + v / 2)),
    };
    Course { phq9, gad7 }
}

/// The total in `week`: along a straight line from first to last over the report window,
/// then level; a wobble of one point either way between the ends.
fn total_in_week((first, last): (i32, i32), client: usize, week: u32, max: i32) -> i32 {
    let at = i32::try_from(week.min(REPORT_WINDOW_WEEKS)).expect("at most the window");
    let window = i32::try_from(REPORT_WINDOW_WEEKS).expect("a small window");
    let mut total = first + (last - first) * at / window;
    if week != 0 && week != REPORT_WINDOW_WEEKS {
        let wobble = (client + usize::try_from(week).expect("a small week")) % 3;
        total += i32::try_from(wobble).expect("below 3") - 1;
    }
    total.clamp(0, max)
}

/// Answers (as stored: a JSON array) and severity for every total an instrument can reach
/// with its first `items` items, scored by the instrument's own rules. The PHQ-9 leaves
/// item 9 at 0, so no answer raises a risk flag.
fn answer_table(
    instrument: &'static Instrument,
    items: usize,
) -> anyhow::Result<Vec<(String, &'static str)>> {
    let all = instrument.items.len();
    let (_, top) = instrument.value_range();
    let max = items * usize::from(top);
    (0..=max)
        .map(|total| {
            let values: Vec<i64> = (0..all)
                .map(|k| if k < items { total / items + usize::from(k < total % items) } else { 0 })
                .map(|v| i64::try_from(v).expect("an item value"))
                .collect();
            let score = Answers::parse(instrument, &values)
                .map_err(|e| anyhow::anyhow!("bench answers for {}: {e}", instrument.slug()))?
                .score();
            anyhow::ensure!(
                score.total == Some(i32::try_from(total)?) && score.risk == Risk::None,
                "bench answers for {} total {total} score {:?}",
                instrument.slug(),
                score.total
            );
            let severity = score.band.context("a banded instrument")?.slug;
            let json = values.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            Ok((format!("[{json}]"), severity))
        })
        .collect()
}

/// Seeds `clients` clients, each seated in one of [`REPORT_GROUPS`] groups from their start
/// date with a PHQ-9 and a GAD-7 every week from then on, straight into the tables, plain as
/// versions before migration 0017 stored them (the start-up step seals them).
async fn seed_outcomes(db: &Db, clients: usize, weeks: u32) -> anyhow::Result<()> {
    let start: DateTime<Utc> = REPORT_START.parse().context("the bench start")?;
    let stamp = |days: u64| -> anyhow::Result<String> {
        let at = start.checked_add_days(chrono::Days::new(days)).context("a bench date")?;
        Ok(format!("'{}'", at.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
    };
    let groups = create_groups(db, REPORT_GROUPS, start).await?;

    let created = stamp(0)?;
    execute_batches(
        db,
        "INSERT INTO users (email, email_normalized, password_hash, role, display_name, \
         timezone, region, birth_date, created_at) VALUES ",
        clients,
        |i| {
            let email = format!("'client{i}@bench.hearth.example'");
            format!(
                "({email},{email},'{DUMMY_PASSWORD_HASH}','client','Bench client {i}',\
                 'America/Chicago','US-IL','1990-05-01',{created})"
            )
        },
    )
    .await
    .context("inserting the clients")?;
    let ids: Vec<i64> = {
        const SQL: &str = "SELECT id FROM users WHERE role = 'client' ORDER BY id";
        match db {
            Db::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_all(pool).await?,
            Db::Postgres(pool) => sqlx::query_scalar(SQL).fetch_all(pool).await?,
        }
    };
    anyhow::ensure!(ids.len() == clients, "inserted {} clients, not {clients}", ids.len());

    // Client i starts on day i mod 28, and answers both questionnaires on that weekday.
    let stamps: Vec<Vec<String>> = (0..28)
        .map(|day| (0..u64::from(weeks)).map(|week| stamp(day + 7 * week)).collect())
        .collect::<anyhow::Result<_>>()?;
    execute_batches(
        db,
        "INSERT INTO memberships (group_id, client_id, status, joined_at) VALUES ",
        clients,
        |i| {
            let group = groups[i % groups.len()].get();
            format!("({group},{},'seated',{})", ids[i], stamps[i % 28][0])
        },
    )
    .await
    .context("inserting the memberships")?;

    let phq9 = answer_table(&PHQ9, 8)?;
    let gad7 = answer_table(&GAD7, GAD7.items.len())?;
    let per_client = 2 * usize::try_from(weeks)?;
    let rows = measure_rows(clients, weeks).context("too many measures")?;
    execute_batches(
        db,
        "INSERT INTO measures (client_id, instrument, answers, total, severity, subscales, \
         risk, taken_at) VALUES ",
        rows,
        |row| {
            let (client, within) = (row / per_client, row % per_client);
            let week = u32::try_from(within / 2).expect("below --weeks");
            let course = course(client);
            let (slug, table, first_last) = if within % 2 == 0 {
                ("phq9", &phq9, course.phq9)
            } else {
                ("gad7", &gad7, course.gad7)
            };
            let max = i32::try_from(table.len() - 1).expect("a small table");
            let total = total_in_week(first_last, client, week, max);
            let (answers, severity) = &table[usize::try_from(total).expect("clamped at 0")];
            let at = &stamps[client % 28][usize::try_from(week).expect("a small week")];
            format!("({},'{slug}','{answers}',{total},'{severity}','[]','none',{at})", ids[client])
        },
    )
    .await
    .context("inserting the measures")?;

    // What autovacuum would do soon after a bulk load: statistics for the planner and the
    // visibility map, so the first timed read does not pay for setting hint bits.
    if let Db::Postgres(pool) = db {
        sqlx::raw_sql("VACUUM (ANALYZE)").execute(pool).await.context("vacuuming")?;
    }
    Ok(())
}

/// Inserts `count` rows, [`SEED_BATCH_ROWS`] to a statement, all in one transaction.
/// `row(i)` gives the parenthesised values of row `i`, as SQL literals (they are the
/// benchmark's own numbers and fixed strings, never input).
async fn execute_batches(
    db: &Db,
    insert: &str,
    count: usize,
    row: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    let statements = (0..count).step_by(SEED_BATCH_ROWS).map(|from| {
        let mut sql = insert.to_owned();
        for i in from..(from + SEED_BATCH_ROWS).min(count) {
            if i > from {
                sql.push(',');
            }
            sql.push_str(&row(i));
        }
        sql
    });
    let mut inserted = 0;
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for sql in statements {
                inserted += sqlx::raw_sql(&sql).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for sql in statements {
                inserted += sqlx::raw_sql(&sql).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
    }
    anyhow::ensure!(
        usize::try_from(inserted).is_ok_and(|n| n == count),
        "inserted {inserted} rows, not {count}"
    );
    Ok(())
}

/// A measure's sealed record as the app writes it (`app/sealed_fields.rs`): a PHQ-9 of 20
/// with item 9 answered.
const SEAL_BENCH_RECORD: &str = r#"{"answers":[3,2,3,1,2,3,1,2,3],"total":20,"severity":"severe","subscales":[],"risk":"self-harm-thoughts"}"#;
/// Operations per timed batch of `hearth bench seal`, and batches (the median is printed).
const SEAL_BENCH_OPS: u32 = 20_000;
const SEAL_BENCH_BATCHES: usize = 11;

/// What `hearth bench seal` measured: nanoseconds per operation, medians over batches.
#[derive(Clone, Debug)]
pub struct SealBench {
    /// The baseline: reading one measure row by id through the pool (SQLite, warm cache).
    pub row_read_ns: f64,
    /// Parsing the plain record, what a read costs with nothing sealed.
    pub parse_ns: f64,
    /// (what, ns per operation).
    pub costs: Vec<(&'static str, f64)>,
}

impl fmt::Display for SealBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seal: baseline: read one measure row by id {:.2} µs; parse the plain record {:.2} µs",
            self.row_read_ns / 1000.0,
            self.parse_ns / 1000.0
        )?;
        for (what, ns) in &self.costs {
            writeln!(
                f,
                "seal: {what}: {:.2} µs, ratio to the row read {:.2}",
                ns / 1000.0,
                ns / self.row_read_ns
            )?;
        }
        Ok(())
    }
}

/// Times one `op` over [`SEAL_BENCH_OPS`] calls in [`SEAL_BENCH_BATCHES`] batches; ns per call.
fn time_per_op(mut op: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut batches = Vec::with_capacity(SEAL_BENCH_BATCHES);
    for _ in 0..SEAL_BENCH_BATCHES {
        let started = Instant::now();
        for _ in 0..SEAL_BENCH_OPS {
            op()?;
        }
        batches.push(started.elapsed());
    }
    Ok(median(batches).as_secs_f64() * 1e9 / f64::from(SEAL_BENCH_OPS))
}

/// `hearth bench seal`: what sealing and opening one value costs (a measure's record, its
/// total alone, a risk level, a birth date), against reading one row by id from SQLite in
/// the same run.
pub async fn seal() -> anyhow::Result<SealBench> {
    #[derive(serde::Deserialize)]
    struct Total {
        total: Option<i32>,
    }
    let vault =
        hearth_app::Vault::from_config(&[hearth_app::Vault::generate_key("bench")], "bench")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sealed_record =
        vault.seal(SEAL_BENCH_RECORD, "measure:1").map_err(|e| anyhow::anyhow!("{e}"))?;
    let sealed_level = vault
        .seal("self_harm_thoughts", "risk_flag_level:1")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sealed_birth =
        vault.seal("1987-11-23", "birth_date:user:1").map_err(|e| anyhow::anyhow!("{e}"))?;
    let open = |sealed: &str, context: &str| {
        vault.open(sealed, context).map_err(|e| anyhow::anyhow!("{e}"))
    };
    let parse_ns = time_per_op(|| {
        let v: serde_json::Value = serde_json::from_str(SEAL_BENCH_RECORD)?;
        std::hint::black_box(v);
        Ok(())
    })?;
    let costs = vec![
        (
            "seal a measure record (JSON, 105 bytes)",
            time_per_op(|| {
                std::hint::black_box(
                    vault
                        .seal(SEAL_BENCH_RECORD, "measure:1")
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                Ok(())
            })?,
        ),
        (
            "open a measure record and parse it whole",
            time_per_op(|| {
                let v: serde_json::Value =
                    serde_json::from_str(&open(&sealed_record, "measure:1")?)?;
                std::hint::black_box(v);
                Ok(())
            })?,
        ),
        (
            "open a measure record for its total (the outcome report)",
            time_per_op(|| {
                let t: Total = serde_json::from_str(&open(&sealed_record, "measure:1")?)?;
                std::hint::black_box(t.total);
                Ok(())
            })?,
        ),
        (
            "seal a risk level",
            time_per_op(|| {
                std::hint::black_box(
                    vault
                        .seal("self_harm_thoughts", "risk_flag_level:1")
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                Ok(())
            })?,
        ),
        (
            "open a risk level",
            time_per_op(|| {
                std::hint::black_box(open(&sealed_level, "risk_flag_level:1")?);
                Ok(())
            })?,
        ),
        (
            "open a birth date and parse it",
            time_per_op(|| {
                let day: NaiveDate = open(&sealed_birth, "birth_date:user:1")?.parse()?;
                std::hint::black_box(day);
                Ok(())
            })?,
        ),
    ];
    let row_read_ns = row_read_ns(&sealed_record).await?;
    Ok(SealBench { row_read_ns, parse_ns, costs })
}

/// The baseline of `hearth bench seal`: reading one measure row by id through the pool, on a
/// scratch SQLite file with the page cached; ns per read.
async fn row_read_ns(sealed_record: &str) -> anyhow::Result<f64> {
    let sealed_record = sealed_record.to_owned();
    on_scratch(None, |db| async move {
        db.migrate().await?;
        let Db::Sqlite(pool) = &db else { anyhow::bail!("the scratch database is SQLite") };
        sqlx::query(
            "INSERT INTO users (email, email_normalized, password_hash, role, display_name, timezone, created_at) \
             VALUES ('a@b.example', 'a@b.example', 'x', 'client', 'A', 'UTC', '2027-01-01T00:00:00Z')",
        )
        .execute(pool)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO measures (client_id, instrument, taken_at, sealed) \
             VALUES (1, 'phq9', '2027-01-01T00:00:00Z', $1) RETURNING id",
        )
        .bind(&sealed_record)
        .fetch_one(pool)
        .await?;
        let ops = SEAL_BENCH_OPS / 10;
        let mut batches = Vec::with_capacity(SEAL_BENCH_BATCHES);
        for _ in 0..SEAL_BENCH_BATCHES {
            let started = Instant::now();
            for _ in 0..ops {
                let row: (i64, String, Option<String>, DateTime<Utc>) = sqlx::query_as(
                    "SELECT client_id, instrument, sealed, taken_at FROM measures WHERE id = $1",
                )
                .bind(id)
                .fetch_one(pool)
                .await?;
                std::hint::black_box(row);
            }
            batches.push(started.elapsed());
        }
        Ok(median(batches).as_secs_f64() * 1e9 / f64::from(ops))
    })
    .await
}

/// `hearth bench recommend`: one client's recommendations against `groups` groups, against
/// a raw read of the same groups. Returns (median recommendation, median raw read).
pub async fn recommend(groups: usize) -> anyhow::Result<(Duration, Duration)> {
    anyhow::ensure!(groups > 0, "--groups must be at least 1");
    on_scratch(None, |db| async move {
        db.migrate().await?;
        db.seed_catalog().await?;
        let now = Utc::now();
        create_groups(&db, groups, now).await?;
        let mut settings = crate::Settings::default();
        settings.encryption.keys = vec![hearth_app::Vault::generate_key("bench").into()];
        let app = crate::build_app(&settings, db.clone(), crate::system_clock())?;
        let client = bench_user("client", Role::Client, now, Some(&app))?;
        let client = db.insert_user(&client, AuditRecord::none()).await?;
        let (who, ctx) = bench_admin(&app).await?;
        let (mut ours, mut raw) = (Vec::new(), Vec::new());
        for _ in 0..21 {
            let started = Instant::now();
            let ranked = app
                .recommendations(&who, client, &ctx)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            ours.push(started.elapsed());
            anyhow::ensure!(
                ranked.len() == groups,
                "{} of {groups} groups recommended",
                ranked.len()
            );
            let started = Instant::now();
            let read = db.list_groups(&hearth_store::GroupFilter::default()).await?;
            raw.push(started.elapsed());
            anyhow::ensure!(read.len() == groups, "read {} groups", read.len());
        }
        Ok((median(ours), median(raw)))
    })
    .await
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

#[cfg(test)]
mod tests {
    use super::{
        GAD7, PHQ9, REPORT_WINDOW_WEEKS, answer_table, course, total_in_week, with_database,
    };
    use chrono::{Days, NaiveDate};
    use hearth_domain::{Outcome, PairedScores, Trajectory, outcome_report};

    #[test]
    fn every_bench_total_has_answers_that_score_to_it_without_a_risk_flag() {
        let phq9 = answer_table(&PHQ9, 8).expect("PHQ-9 answers");
        let gad7 = answer_table(&GAD7, 7).expect("GAD-7 answers");
        assert_eq!((phq9.len(), gad7.len()), (25, 22));
        assert_eq!(phq9[14], ("[2,2,2,2,2,2,1,1,0]".to_owned(), "moderate"));
        assert_eq!(gad7[21], ("[3,3,3,3,3,3,3]".to_owned(), "severe"));
    }

    #[test]
    fn the_bench_mix_gives_the_report_real_numerators() {
        let start = NaiveDate::from_ymd_opt(2025, 1, 6).expect("date");
        let trajectories: Vec<Trajectory> = (0..1000)
            .map(|client| {
                let c = course(client);
                let scores = (0..12).map(|week| {
                    let on = start + Days::new(7 * u64::from(week));
                    let phq9 = total_in_week(c.phq9, client, week, 24);
                    let gad7 = total_in_week(c.gad7, client, week, 21);
                    PairedScores::new(on, phq9, gad7).expect("in range")
                });
                Trajectory::new(start, scores).expect("from the first session")
            })
            .collect();
        let report = outcome_report(&trajectories, REPORT_WINDOW_WEEKS);
        assert_eq!((report.considered, report.eligible, report.not_at_caseness), (1000, 800, 200));
        let met = |o| report.count(o).numerator;
        assert_eq!(met(Outcome::ReliableImprovement), 380);
        assert_eq!(met(Outcome::ReliableDeterioration), 100);
        assert!(met(Outcome::Recovery) > 0 && met(Outcome::Remission) > 0);
    }

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
