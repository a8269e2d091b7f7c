//! Occurrence expansion throughput: one year of weekly meetings for 1,000 groups spread over
//! varied IANA zones, against a baseline measured in the same run: the naive approach that
//! stores a UTC start and adds 7 days (which drifts by the offset change at every
//! daylight-saving transition, the reason Hearth computes each meeting from its wall-clock
//! time instead).
//!
//! `cargo bench -p hearth-domain --bench occurrences` prints criterion's timings for both
//! (with throughput in elements, i.e. occurrences, per second), then a last line from a
//! quick interleaved timing of both: `occurrence expansion: N occurrences/s (naive UTC +7d:
//! M/s, ratio X)`, where X = ours / naive. Only the ratio is comparable across machines.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{Criterion, Throughput};
use hearth_domain::{Series, TimeZone, WeeklySlot, parse_local_time, parse_weekday};
use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

const GROUPS: usize = 1_000;

/// Zones with and without daylight saving, half-hour and 45-minute offsets, both hemispheres.
const ZONES: [&str; 24] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Havana",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Moscow",
    "Africa/Cairo",
    "Africa/Casablanca",
    "Asia/Tehran",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Apia",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Includes small-hours times that fall in gaps and folds on transition Sundays.
const TIMES: [&str; 10] =
    ["00:30", "01:30", "02:30", "06:00", "09:15", "12:00", "17:45", "18:00", "20:30", "23:30"];

/// Samples per side in the final ratio, and the least time one sample runs for.
const RATIO_SAMPLES: usize = 15;
const RATIO_SAMPLE_TIME: StdDuration = StdDuration::from_millis(40);

struct Workload {
    series: Vec<Series>,
    /// For the naive loop: each group's first meeting in the window, and how many it has.
    naive: Vec<(DateTime<Utc>, usize)>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// Occurrences one expansion of every group yields (the same for both approaches).
    total: usize,
    /// Meetings the naive loop puts at a different instant than the slot's wall-clock time.
    drifted: usize,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn workload() -> Workload {
    let from = date(2026, 1, 1).and_hms_opt(0, 0, 0).expect("valid time").and_utc();
    let to = date(2027, 1, 1).and_hms_opt(0, 0, 0).expect("valid time").and_utc();
    let week = Duration::weeks(1);
    let mut series = Vec::with_capacity(GROUPS);
    let mut naive = Vec::with_capacity(GROUPS);
    let (mut total, mut drifted) = (0, 0);
    for i in 0..GROUPS {
        let zone = TimeZone::parse(ZONES[i % ZONES.len()]).expect("known zone");
        let weekday = parse_weekday(WEEKDAYS[i % WEEKDAYS.len()]).expect("valid weekday");
        let time = parse_local_time(TIMES[(i / WEEKDAYS.len()) % TIMES.len()]).expect("valid time");
        let minutes = [45, 60, 90, 120][i % 4];
        let slot = WeeklySlot::new(weekday, time, zone, minutes).expect("valid slot");
        let one = Series::new(slot, date(2025, 12, 1), None).expect("open-ended series");
        let meetings = one.occurrences(from, to);
        let first = meetings.first().expect("a weekly group meets within a year").occurrence;
        let mut at = first.starts_at;
        for meeting in &meetings {
            drifted += usize::from(meeting.occurrence.starts_at != at);
            at += week;
        }
        total += meetings.len();
        naive.push((first.starts_at, meetings.len()));
        series.push(one);
    }
    Workload { series, naive, from, to, total, drifted }
}

/// Hearth's way: every meeting computed from the slot's wall-clock time in its zone.
fn expand_series(w: &Workload) -> usize {
    w.series.iter().map(|s| black_box(s.occurrences(black_box(w.from), w.to)).len()).sum()
}

/// The naive way: a stored UTC start plus 7 days, as many instants as the series yields.
fn expand_naive(w: &Workload) -> usize {
    let week = Duration::weeks(1);
    w.naive
        .iter()
        .map(|(first, count)| {
            let mut found = Vec::new();
            let mut at = black_box(*first);
            for _ in 0..*count {
                found.push(at);
                at += week;
            }
            black_box(found).len()
        })
        .sum()
}

fn criterion_benches(c: &mut Criterion, w: &Workload) {
    let mut group = c.benchmark_group("occurrence_expansion");
    group.throughput(Throughput::Elements(u64::try_from(w.total).expect("fits in u64")));
    group.sample_size(20);
    group.warm_up_time(StdDuration::from_secs(1));
    group.measurement_time(StdDuration::from_secs(3));
    group.bench_function("hearth_series", |b| b.iter(|| expand_series(w)));
    group.bench_function("naive_utc_plus_7d", |b| b.iter(|| expand_naive(w)));
    group.finish();
}

#[allow(clippy::cast_precision_loss, reason = "a rate needs no more than 52 bits")]
fn per_second(count: usize, elapsed: StdDuration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// Occurrences per second of one sample: `expand` repeated for at least `RATIO_SAMPLE_TIME`.
fn sample(w: &Workload, expand: fn(&Workload) -> usize) -> f64 {
    let started = Instant::now();
    let mut count = 0;
    while started.elapsed() < RATIO_SAMPLE_TIME {
        count += expand(w);
    }
    per_second(count, started.elapsed())
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Both approaches sampled alternately, so drifts in machine load hit both alike.
fn ratio_line(w: &Workload) -> String {
    let (mut ours, mut naive) = (Vec::new(), Vec::new());
    for _ in 0..RATIO_SAMPLES {
        ours.push(sample(w, expand_series));
        naive.push(sample(w, expand_naive));
    }
    let (ours, naive) = (median(ours), median(naive));
    format!(
        "occurrence expansion: {ours:.0} occurrences/s (naive UTC +7d: {naive:.0}/s, ratio {:.3})",
        ours / naive
    )
}

fn main() {
    let w = workload();
    assert_eq!(expand_series(&w), expand_naive(&w), "both approaches yield as many instants");
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &w);
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` runs each routine once, without it.
    if std::env::args().any(|arg| arg == "--bench") {
        println!(
            "workload: {GROUPS} groups over {} zones, {} occurrences in 2026; the naive loop \
             puts {} of them at the wrong instant",
            ZONES.len(),
            w.total,
            w.drifted
        );
        println!("{}", ratio_line(&w));
    }
}
