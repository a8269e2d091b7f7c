//! The seat rule is written twice: PostgreSQL's `hearth_reserve_seat` (migration 0011, one
//! round trip for the common case) and the general Rust path that applies
//! `hearth_domain::seats`. Random sequences of joins, switches, leaves, direct offers,
//! declines, withdrawals, accepts, expiries, raised capacities and closed groups run on
//! fresh databases, one per path, and on an in-memory model built from the domain's
//! functions alone; after every step the outcomes and the whole state must be equal.
//!
//! On SQLite (no function) the Rust path is compared with the model; on PostgreSQL both
//! paths and the model.

mod model;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use hearth_domain::{
    AgeBand, DisplayName, Email, GroupId, MembershipId, PlaceRelease, Role, TimeZone, UserId,
    WeeklySlot,
};
use hearth_store::{AuditRecord, Db, NewGroup, NewUser, StoreError};
use hearth_testkit::TestDatabase;

use model::{Model, NotFound};

const SEQUENCES: u64 = 20;
const STEPS: usize = 60;
const CLIENTS: usize = 8;
const CAPACITIES: [i32; 3] = [2, 2, 3];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub capacity: i64,
    pub seats_taken: i64,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub id: i64,
    pub group: i64,
    pub client: i64,
    pub status: String,
    pub joined_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub group: i64,
    pub client: i64,
    pub status: String,
    pub replaces: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub offered_at: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A client's place as `list_client_waitlists` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub client: i64,
    pub group: i64,
    pub entry: i64,
    pub status: String,
    pub position: i64,
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// Everything about seats, as stored, in id order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct State {
    pub groups: Vec<Group>,
    pub memberships: Vec<Membership>,
    pub entries: Vec<Entry>,
}

/// How a database takes seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// `Db::reserve_seat`: PostgreSQL's function where it can decide.
    Function,
    /// `Db::reserve_seat_in_rust`: always the general path.
    Rust,
}

/// One step of a sequence, on clients and groups by index.
#[derive(Clone, Copy, Debug)]
enum Step {
    Join { client: usize, group: usize },
    Switch { client: usize, membership: i64, to: usize },
    Leave { client: usize, group: usize },
    Offer { client: usize, group: usize },
    Decline { client: usize, group: usize },
    Withdraw { client: usize, group: usize },
    Accept { client: usize, group: usize },
    Expire,
    Grow { group: usize },
    Toggle { group: usize },
}

/// splitmix64: a few lines, no dependency, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("small")).expect("small")
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("valid instant")
}

/// The next step, aimed at what the model holds so most steps change something.
fn next_step(rng: &mut Rng, model: &Model, clients: &[UserId], groups: &[GroupId]) -> Step {
    let client = rng.below(CLIENTS);
    let group = rng.below(groups.len());
    // Earlier sequences' rows stay in the database; this one touches only its own.
    let ours = |id: i64| groups.iter().any(|g| g.get() == id);
    let index_of_group = |id: i64| groups.iter().position(|g| g.get() == id).expect("group");
    let index_of_client = |id: i64| clients.iter().position(|c| c.get() == id).expect("client");
    let pick = |rng: &mut Rng, status: &str| {
        let held: Vec<&Entry> =
            model.state.entries.iter().filter(|e| e.status == status && ours(e.group)).collect();
        (!held.is_empty() && rng.below(5) > 0).then(|| {
            let e = held[rng.below(held.len())];
            (index_of_client(e.client), index_of_group(e.group))
        })
    };
    let seated: Vec<&Membership> =
        model.state.memberships.iter().filter(|m| m.status == "seated" && ours(m.group)).collect();
    match rng.below(100) {
        0..30 => Step::Join { client, group },
        30..38 => match seated.get(rng.below(seated.len().max(1))) {
            Some(m) => Step::Switch {
                client: index_of_client(m.client),
                membership: m.id,
                to: (index_of_group(m.group) + 1 + rng.below(groups.len() - 1)) % groups.len(),
            },
            None => Step::Join { client, group },
        },
        38..50 => match seated.get(rng.below(seated.len().max(1))) {
            Some(m) if rng.below(5) > 0 => {
                Step::Leave { client: index_of_client(m.client), group: index_of_group(m.group) }
            }
            _ => Step::Leave { client, group },
        },
        50..58 => Step::Offer { client, group },
        58..66 => {
            let (client, group) = pick(rng, "offered").unwrap_or((client, group));
            Step::Decline { client, group }
        }
        66..72 => {
            let (client, group) = pick(rng, "waiting").unwrap_or((client, group));
            Step::Withdraw { client, group }
        }
        72..86 => {
            let (client, group) = pick(rng, "offered").unwrap_or((client, group));
            Step::Accept { client, group }
        }
        86..94 => Step::Expire,
        94..97 => Step::Grow { group },
        _ => Step::Toggle { group },
    }
}

/// "not found" as a value to compare; any other error fails the test.
fn found<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Ok(value) => format!("{value:?}"),
        Err(StoreError::NotFound) => "not found".to_owned(),
        Err(other) => panic!("unexpected store error: {other:?}"),
    }
}

fn modelled<T: std::fmt::Debug>(result: Result<T, NotFound>) -> String {
    match result {
        Ok(value) => format!("{value:?}"),
        Err(NotFound) => "not found".to_owned(),
    }
}

/// Runs one statement on either engine.
async fn execute(db: &Db, sql: &str, group: i64) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(group).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(group).execute(pool).await.map(drop),
    }
    .expect("statement");
}

const GROW: &str = "UPDATE groups SET capacity = capacity + 1 WHERE id = $1";
const TOGGLE: &str = "UPDATE groups SET status = CASE status WHEN 'open' THEN 'closed' ELSE 'open' END WHERE id = $1";

/// Applies one step to a database; the outcome as text.
async fn apply(
    db: &Db,
    path: Path,
    step: Step,
    ids: &Ids,
    now: DateTime<Utc>,
    hold: Duration,
) -> String {
    let (c, g) = (|i: usize| ids.clients[i], |i: usize| ids.groups[i]);
    let reserve = async |group: GroupId, client: UserId, replaces: Option<MembershipId>| match path
    {
        Path::Function => {
            db.reserve_seat(group, client, now, replaces, hold, AuditRecord::none()).await
        }
        Path::Rust => {
            db.reserve_seat_in_rust(group, client, now, replaces, hold, AuditRecord::none()).await
        }
    };
    match step {
        Step::Join { client, group } => found(reserve(g(group), c(client), None).await),
        Step::Switch { client, membership, to } => {
            found(reserve(g(to), c(client), Some(MembershipId::new(membership))).await)
        }
        Step::Leave { client, group } => {
            found(db.leave_group(g(group), c(client), now, hold, AuditRecord::none()).await)
        }
        Step::Offer { client, group } => {
            found(db.offer_free_seat(g(group), c(client), now, hold, AuditRecord::none()).await)
        }
        Step::Decline { client, group } => {
            found(db.decline_offer(g(group), c(client), now, hold, AuditRecord::none()).await)
        }
        Step::Withdraw { client, group } => {
            let done =
                db.withdraw_from_waitlist(g(group), c(client), now, hold, AuditRecord::none());
            found(done.await)
        }
        Step::Accept { client, group } => {
            found(db.accept_offer(g(group), c(client), now, hold, AuditRecord::none()).await)
        }
        Step::Expire => {
            let mut expired = 0_u64;
            for (entry, group) in db.list_due_offers(now).await.expect("due offers") {
                let done = db.expire_offer(entry, group, now, hold, AuditRecord::none());
                expired += u64::from(done.await.expect("expire"));
            }
            format!("{expired:?}")
        }
        Step::Grow { group } => {
            execute(db, GROW, g(group).get()).await;
            "()".to_owned()
        }
        Step::Toggle { group } => {
            execute(db, TOGGLE, g(group).get()).await;
            "()".to_owned()
        }
    }
}

/// Applies one step to the model.
fn apply_to_model(model: &mut Model, step: Step, ids: &Ids, now: DateTime<Utc>) -> String {
    let (c, g) = (|i: usize| ids.clients[i].get(), |i: usize| ids.groups[i].get());
    match step {
        Step::Join { client, group } => {
            format!("{:?}", model.reserve(g(group), c(client), None, now))
        }
        Step::Switch { client, membership, to } => {
            format!("{:?}", model.reserve(g(to), c(client), Some(membership), now))
        }
        Step::Leave { client, group } => modelled(model.leave(g(group), c(client), now)),
        Step::Offer { client, group } => {
            format!("{:?}", model.offer_directly(g(group), c(client), now))
        }
        Step::Decline { client, group } => {
            modelled(model.release(g(group), c(client), PlaceRelease::Decline, now))
        }
        Step::Withdraw { client, group } => {
            modelled(model.release(g(group), c(client), PlaceRelease::Withdraw, now))
        }
        Step::Accept { client, group } => modelled(model.accept(g(group), c(client), now)),
        Step::Expire => format!("{:?}", model.expire_due(now)),
        Step::Grow { group } => {
            let id = g(group);
            model.state.groups.iter_mut().find(|g| g.id == id).expect("group").capacity += 1;
            "()".to_owned()
        }
        Step::Toggle { group } => {
            let id = g(group);
            let g = model.state.groups.iter_mut().find(|g| g.id == id).expect("group");
            let toggled = if g.status == "open" { "closed" } else { "open" };
            toggled.clone_into(&mut g.status);
            "()".to_owned()
        }
    }
}

/// The clients and groups of one sequence (the same ids on every fresh database).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ids {
    clients: Vec<UserId>,
    groups: Vec<GroupId>,
}

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).expect("valid email"),
        password_hash: "$argon2id$stub-for-store-tests".to_owned(),
        role,
        display_name: DisplayName::parse("Sam").expect("valid name"),
        timezone: TimeZone::parse("America/Chicago").expect("valid zone"),
        region: None,
        birth_date: None,
        created_at: t0(),
    }
}

/// A new practice in `db` for sequence `seed`: a therapist, the clients, and the groups.
async fn practice(db: &Db, seed: u64) -> Ids {
    let therapist = new_user(&format!("t{seed}@example.org"), Role::Therapist);
    let therapist = db.insert_user(&therapist, AuditRecord::none()).await.expect("therapist");
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let client = new_user(&format!("c{i}.{seed}@example.org"), Role::Client);
        clients.push(db.insert_user(&client, AuditRecord::none()).await.expect("client"));
    }
    let mut groups = Vec::new();
    for capacity in CAPACITIES {
        let time = chrono::NaiveTime::from_hms_opt(18, 0, 0).expect("time");
        let zone = TimeZone::parse("America/Chicago").expect("zone");
        let group = NewGroup {
            topic: hearth_domain::TOPICS[0].slug.to_owned(),
            therapist_id: therapist,
            slot: WeeklySlot::new(chrono::Weekday::Tue, time, zone, 60).expect("slot"),
            capacity,
            age_band: AgeBand::Adult,
            starts_on: t0().date_naive(),
            ends_on: None,
            created_at: t0(),
        };
        groups.push(db.insert_group(&group, AuditRecord::none()).await.expect("group"));
    }
    Ids { clients, groups }
}

type At = DateTime<Utc>;
type MembershipColumns = (i64, i64, i64, String, At, Option<At>);
type EntryColumns = (i64, i64, i64, String, Option<i64>, At, Option<At>, Option<At>, Option<At>);

/// Reads everything about seats straight from the tables.
async fn snapshot(db: &Db) -> State {
    macro_rules! rows {
        ($sql:expr) => {
            match db {
                Db::Sqlite(pool) => sqlx::query_as($sql).fetch_all(pool).await,
                Db::Postgres(pool) => sqlx::query_as($sql).fetch_all(pool).await,
            }
            .expect("snapshot")
        };
    }
    let groups: Vec<(i64, i32, i32, String)> =
        rows!("SELECT id, capacity, seats_taken, status FROM groups ORDER BY id");
    let memberships: Vec<MembershipColumns> = rows!(
        "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships ORDER BY id"
    );
    let entries: Vec<EntryColumns> = rows!(
        "SELECT id, group_id, client_id, status, replaces_membership_id, created_at, offered_at, \
         offer_expires_at, resolved_at FROM waitlist_entries ORDER BY id"
    );
    State {
        groups: groups
            .into_iter()
            .map(|(id, capacity, taken, status)| Group {
                id,
                capacity: capacity.into(),
                seats_taken: taken.into(),
                status,
            })
            .collect(),
        memberships: memberships
            .into_iter()
            .map(|(id, group, client, status, joined_at, ended_at)| Membership {
                id,
                group,
                client,
                status,
                joined_at,
                ended_at,
            })
            .collect(),
        entries: entries
            .into_iter()
            .map(|(id, group, client, status, replaces, created_at, offered, expires, resolved)| {
                Entry {
                    id,
                    group,
                    client,
                    status,
                    replaces,
                    created_at,
                    offered_at: offered,
                    offer_expires_at: expires,
                    resolved_at: resolved,
                }
            })
            .collect(),
    }
}

/// The places and seats as the store's typed queries report them, client by client.
async fn places(db: &Db, ids: &Ids) -> (Vec<Place>, Vec<(i64, i64, i64, String)>) {
    let mut places = Vec::new();
    let mut seats = Vec::new();
    for client in &ids.clients {
        for (group, place) in db.list_client_waitlists(*client).await.expect("places") {
            places.push(Place {
                client: client.get(),
                group: group.get(),
                entry: place.entry.get(),
                status: place.status.as_str().to_owned(),
                position: place.position,
                offer_expires_at: place.offer_expires_at,
            });
        }
        for m in db.list_client_memberships(*client).await.expect("memberships") {
            seats.push((
                m.id.get(),
                m.group_id.get(),
                m.client_id.get(),
                m.status.as_str().to_owned(),
            ));
        }
    }
    places.sort_by_key(|p| (p.client, p.entry));
    seats.sort();
    (places, seats)
}

/// What a step came to, without ids: to show the sequences reach every case.
fn outcome_kind(step: Step, outcome: &str) -> String {
    let step = format!("{step:?}");
    let step = step.split_whitespace().next().unwrap_or_default();
    let outcome = match outcome.split_once(" {") {
        Some((kind, rest)) if kind == "Waitlisted" && rest.contains("position: 0 ") => {
            "Waitlisted and offered at once"
        }
        Some((kind, _)) => kind,
        None if outcome.starts_with("MembershipId") => "accepted",
        None if outcome.parse::<u64>().is_ok_and(|n| n > 0) => "expired some",
        None => outcome,
    };
    format!("{step} -> {outcome}")
}

/// One random sequence on each database and the model, compared after every step; adds
/// the kinds of outcome it met to `met`.
async fn run_sequence(seed: u64, dbs: &[(Db, Path)], met: &mut BTreeSet<String>) {
    let hold = Duration::hours(5);
    let mut ids = None;
    for (db, _) in dbs {
        let made = practice(db, seed).await;
        assert!(ids.as_ref().is_none_or(|ids| *ids == made), "the databases give the same ids");
        ids = Some(made);
    }
    let ids = ids.expect("at least one database");
    let mut model = Model { state: snapshot(&dbs[0].0).await, hold };
    let mut rng = Rng(seed);
    let mut now = t0();
    for n in 0..STEPS {
        now += Duration::hours(1);
        let step = next_step(&mut rng, &model, &ids.clients, &ids.groups);
        let expected = apply_to_model(&mut model, step, &ids, now);
        let ours = |client: i64| ids.clients.iter().any(|c| c.get() == client);
        let model_seats: Vec<(i64, i64, i64, String)> = {
            let mut seats: Vec<_> = model
                .state
                .memberships
                .iter()
                .filter(|m| ours(m.client))
                .map(|m| (m.id, m.group, m.client, m.status.clone()))
                .collect();
            seats.sort();
            seats
        };
        for (db, path) in dbs {
            let at = format!("seed {seed}, step {n} ({step:?}) on the {path:?} path");
            let outcome = apply(db, *path, step, &ids, now, hold).await;
            assert_eq!(outcome, expected, "{at}: outcome");
            assert_eq!(snapshot(db).await, model.state, "{at}: state");
            // The typed reads (a few statements per client) are checked every few steps:
            // the positions they report follow from the state compared above.
            if n % 5 == 4 {
                let (places, seats) = places(db, &ids).await;
                let expected: Vec<Place> =
                    model.places().into_iter().filter(|p| ours(p.client)).collect();
                assert_eq!(places, expected, "{at}: places");
                assert_eq!(seats, model_seats, "{at}: memberships");
            }
        }
        met.insert(outcome_kind(step, &expected));
    }
}

#[tokio::test]
async fn the_rust_path_keeps_the_domain_rule_on_sqlite() {
    let database = TestDatabase::sqlite().expect("temp database");
    let db = Db::connect(&database.url).await.expect("connect");
    let dbs = [(db.clone(), Path::Rust)];
    run_sequences(&dbs).await;
    db.close().await;
}

#[tokio::test]
async fn the_function_and_the_rust_path_keep_the_same_rule_on_postgres() {
    let Some(url) = TestDatabase::postgres_url() else {
        hearth_testkit::skip(
            "the_function_and_the_rust_path_keep_the_same_rule_on_postgres",
            "TEST_DATABASE_URL is not set",
        );
        return;
    };
    let function = TestDatabase::postgres(&url).await.expect("fresh database");
    let rust = TestDatabase::postgres(&url).await.expect("fresh database");
    let function_db = Db::connect(&function.url).await.expect("connect");
    let rust_db = Db::connect(&rust.url).await.expect("connect");
    let dbs = [(function_db.clone(), Path::Function), (rust_db.clone(), Path::Rust)];
    run_sequences(&dbs).await;
    function_db.close().await;
    rust_db.close().await;
}

/// Every sequence, one after another in the same fresh databases (each with its own
/// clients and groups), then a check that they met every case.
async fn run_sequences(dbs: &[(Db, Path)]) {
    for (db, _) in dbs {
        db.migrate().await.expect("migrations apply");
        db.seed_catalog().await.expect("catalog");
    }
    let mut met = BTreeSet::new();
    for seed in 0..SEQUENCES {
        run_sequence(seed, dbs, &mut met).await;
    }
    assert_every_case_met(&met);
}

/// The sequences must reach every decision, the rare ones included, or they prove little.
fn assert_every_case_met(met: &BTreeSet<String>) {
    for case in [
        "Join -> Seated",
        "Join -> Waitlisted",
        // A free seat owed to people already waiting: PostgreSQL's function hands it back.
        "Join -> Waitlisted and offered at once",
        "Join -> AlreadySeated",
        "Join -> AlreadyWaiting",
        "Join -> Closed",
        "Switch -> Seated",
        "Switch -> Waitlisted",
        "Leave -> ()",
        "Leave -> not found",
        "Offer -> true",
        "Offer -> false",
        "Decline -> ()",
        "Decline -> not found",
        "Withdraw -> ()",
        "Accept -> accepted",
        "Accept -> not found",
        "Expire -> expired some",
    ] {
        assert!(met.contains(case), "no sequence reached {case:?}; met: {met:#?}");
    }
}
