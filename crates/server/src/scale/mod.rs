//! The demo practice at the size of `hearth bench report` (100,000 clients, 5,000 groups by
//! default), for measuring pages at scale: the normal demo (`demo::seed`) first, then, straight
//! into the tables in multi-row inserts ([`crate::bulk`]), about 600 therapists with their
//! licenses and groups across topics, states, weekdays and times, about 50 coordinators with
//! their consult hours and the clients they took on, and the clients: most seated, with weeks
//! of PHQ-9 and GAD-7 check-ins (some overdue, a few with an open risk flag), thousands on
//! waitlists, hundreds in the care queue, the rest still browsing.
//!
//! The demo logins sit inside it under a heavy but realistic load: the demo therapist leads
//! 12 more full groups of 8 to 12 members, the demo coordinator has taken on 2,000 clients,
//! and the demo client's catalog holds hundreds of groups among thousands. Sealed fields
//! (birth dates, intakes, measures, risk levels) are sealed with the practice's vault for the
//! row ids the loader picks ([`hearth_app::BulkSealer`]), as the app itself writes them.

mod clinical;
mod groups;
mod people;
mod plan;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hearth_app::App;
use hearth_domain::Email;
use hearth_store::Db;
use std::fmt;
use std::time::{Duration, Instant};

pub use plan::Scale;
use plan::{Fate, GroupPlan, Leader};

/// The tables the loader writes with ids of its own; PostgreSQL's sequences are moved past
/// them afterwards.
const OWN_IDS: [&str; 8] = [
    "users",
    "licenses",
    "coordinator_availability",
    "groups",
    "memberships",
    "waitlist_entries",
    "measures",
    "risk_flags",
];

/// What [`seed`] wrote.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    pub clients: usize,
    pub therapists: usize,
    pub coordinators: usize,
    pub groups: usize,
    pub seated: usize,
    pub waiting: usize,
    pub unplaced: usize,
    pub measures: usize,
    pub risk_flags: usize,
    pub assigned_to_demo_coordinator: usize,
    pub took: Duration,
}

impl fmt::Display for Seeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seeded the practice at scale in {:.1} s: {} clients ({} seated, {} waiting, {} in \
             the care queue), {} groups, {} therapists, {} coordinators ({} clients for the demo \
             coordinator), {} measures, {} open risk flags",
            self.took.as_secs_f64(),
            self.clients,
            self.seated,
            self.waiting,
            self.unplaced,
            self.groups,
            self.therapists,
            self.coordinators,
            self.assigned_to_demo_coordinator,
            self.measures,
            self.risk_flags
        )
    }
}

/// The demo accounts the practice at scale is built around.
struct DemoAccounts {
    coordinator: i64,
    therapist: i64,
    /// The demo password's hash: every account seeded here signs in with it too.
    password_hash: String,
}

/// Everything decided before writing: the plan, the demo accounts and the first free id of
/// each table written with ids of its own.
struct Layout {
    scale: Scale,
    now: DateTime<Utc>,
    groups: Vec<GroupPlan>,
    fates: Vec<Fate>,
    demo: DemoAccounts,
    first_user: i64,
    first_group: i64,
}

impl Layout {
    fn therapist_id(&self, t: usize) -> i64 {
        self.first_user + as_id(t)
    }

    /// Coordinator `c`; the demo coordinator is coordinator 0.
    fn coordinator_id(&self, c: usize) -> i64 {
        if c == 0 {
            self.demo.coordinator
        } else {
            self.first_user + as_id(self.scale.therapists() + c - 1)
        }
    }

    fn client_id(&self, i: usize) -> i64 {
        self.first_user + as_id(self.scale.therapists() + self.scale.coordinators() - 1 + i)
    }

    fn group_id(&self, g: usize) -> i64 {
        self.first_group + as_id(g)
    }

    fn leader_id(&self, g: usize) -> i64 {
        match self.groups[g].leader {
            Leader::Demo => self.demo.therapist,
            Leader::Scaled(t) => self.therapist_id(t),
        }
    }
}

/// An index as an id offset (indexes here are far below `i64::MAX`).
fn as_id(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// Seeds the practice at `scale` around the demo (which must be seeded already). Returns
/// `None` without writing anything when it is there already.
pub async fn seed(app: &App, db: &Db, scale: Scale) -> anyhow::Result<Option<Seeded>> {
    anyhow::ensure!(scale.clients >= 100, "--clients must be at least 100");
    anyhow::ensure!(scale.groups >= 8, "--groups must be at least 8");
    anyhow::ensure!(scale.clients <= 10_000_000, "--clients must be at most 10,000,000");
    anyhow::ensure!(scale.groups <= scale.clients, "--groups must be at most --clients");
    let started = Instant::now();
    if user_id(db, &people::client_email(0)).await?.is_some() {
        return Ok(None);
    }
    let demo = demo_accounts(db).await?;
    let groups = plan::groups(scale);
    let fates = plan::fates(scale, &groups);
    let layout = Layout {
        scale,
        now: app.now(),
        first_user: next_id(db, "users").await?,
        first_group: next_id(db, "groups").await?,
        groups,
        fates,
        demo,
    };
    people::staff(db, &layout).await.context("seeding the staff")?;
    let sealer = app.bulk_sealer();
    people::clients(db, &layout, &sealer).await.context("seeding the clients")?;
    let (seated, waiting) = groups::seed(db, &layout).await.context("seeding the groups")?;
    let assigned = clinical::intakes_and_care(db, &layout, &sealer)
        .await
        .context("seeding intakes and care assignments")?;
    let (measures, risk_flags) =
        clinical::measures(db, &layout, &sealer).await.context("seeding the check-ins")?;
    if let Db::Postgres(pool) = db {
        for table in OWN_IDS {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            );
            sqlx::query(&sql)
                .execute(pool)
                .await
                .with_context(|| format!("moving {table}'s ids"))?;
        }
        // What autovacuum would do soon after a bulk load: statistics for the planner.
        sqlx::raw_sql("VACUUM (ANALYZE)").execute(pool).await.context("vacuuming")?;
    }
    Ok(Some(Seeded {
        clients: scale.clients,
        therapists: scale.therapists(),
        coordinators: scale.coordinators(),
        groups: scale.groups,
        seated,
        waiting,
        unplaced: layout.fates.iter().filter(|f| **f == Fate::Unplaced).count(),
        measures,
        risk_flags,
        assigned_to_demo_coordinator: assigned,
        took: started.elapsed(),
    }))
}

/// The id of the account with `email`, if there is one.
async fn user_id(db: &Db, email: &str) -> anyhow::Result<Option<i64>> {
    const SQL: &str = "SELECT id FROM users WHERE email_normalized = $1";
    let normalized = Email::parse(email).context("a seed email")?.normalized();
    Ok(match db {
        Db::Sqlite(pool) => sqlx::query_scalar(SQL).bind(normalized).fetch_optional(pool).await?,
        Db::Postgres(pool) => sqlx::query_scalar(SQL).bind(normalized).fetch_optional(pool).await?,
    })
}

async fn demo_accounts(db: &Db) -> anyhow::Result<DemoAccounts> {
    const SQL: &str = "SELECT password_hash FROM users WHERE id = $1";
    let find = |email: &'static str| async move {
        user_id(db, email).await?.with_context(|| format!("the demo has no {email}: seed it first"))
    };
    let therapist = find("therapist@demo.hearth.example").await?;
    let coordinator = find("coordinator@demo.hearth.example").await?;
    let password_hash: String = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(SQL).bind(therapist).fetch_one(pool).await?,
        Db::Postgres(pool) => sqlx::query_scalar(SQL).bind(therapist).fetch_one(pool).await?,
    };
    Ok(DemoAccounts { coordinator, therapist, password_hash })
}

/// The id after the highest in `table` (one of [`OWN_IDS`]).
async fn next_id(db: &Db, table: &str) -> anyhow::Result<i64> {
    anyhow::ensure!(OWN_IDS.contains(&table), "not a table the loader numbers: {table}");
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    let max: i64 = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await?,
        Db::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await?,
    };
    Ok(max + 1)
}
