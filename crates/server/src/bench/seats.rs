//! `hearth bench seats`: seat reservations under contention against raw inserts.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hearth_domain::{GroupFilter, GroupId, Role};
use hearth_store::{AuditKey, AuditRecord, Db, Engine, NewAuditEntry, SeatOutcome};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::*;

/// Clients sent to each group in `hearth bench seats`: twice its capacity, so half of them
/// end up on its waitlist.
const CLIENTS_PER_GROUP: usize = 20;

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
