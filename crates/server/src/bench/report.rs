//! `hearth bench report`: the practice outcome report at scale against a raw read of its rows.

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use hearth_app::ReportScope;
use hearth_domain::{Answers, GAD7, Instrument, Outcome, OutcomeReport, PHQ9, Risk};
use hearth_store::{Db, Engine};
use std::fmt;
use std::time::{Duration, Instant};

use super::*;
use crate::bulk::execute_batches;

/// The report window of `hearth bench report`: the practice's usual 8 weeks.
const REPORT_WINDOW_WEEKS: u32 = 8;
/// Groups the benchmark's clients are spread over (their first session is all the report
/// needs from a membership).
const REPORT_GROUPS: usize = 8;
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
            Ok(format!(
                "({email},{email},'{DUMMY_PASSWORD_HASH}','client','Bench client {i}',\
                 'America/Chicago','US-IL','1990-05-01',{created})"
            ))
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
            Ok(format!("({group},{},'seated',{})", ids[i], stamps[i % 28][0]))
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
            Ok(format!(
                "({},'{slug}','{answers}',{total},'{severity}','[]','none',{at})",
                ids[client]
            ))
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

#[cfg(test)]
mod tests {
    use super::super::with_database;
    use super::{REPORT_WINDOW_WEEKS, answer_table, course, total_in_week};
    use chrono::{Days, NaiveDate};
    use hearth_domain::{GAD7, PHQ9};
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
