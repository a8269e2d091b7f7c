//! Demo data: a practice to look around in. Twelve therapists licensed across US states and
//! time zones, groups over every topic (some full with waitlists, some for teens), and a few
//! hundred clients. Each area of Hearth adds its part here.

use chrono::{Duration, NaiveDate, Timelike as _, Utc};
use hearth_app::{App, AppError, AppResult, NewStaff};
use hearth_domain::{
    AgeBand, BirthDate, DisplayName, Email, GroupId, License, LicenseKind, Password,
    PasswordContext, Region, Role, TOPICS, TimeZone, UserId, WeeklySlot, parse_local_time,
    parse_weekday,
};
use hearth_store::{AuditRecord, Db, NewGroup, NewTherapist, NewUser};

/// One password for every demo account, so the printed logins are easy to use.
pub const DEMO_PASSWORD: &str = "copper kettle meadow";

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub email: String,
}

/// (name, zone, licensed states, license kind, years)
const THERAPISTS: [(&str, &str, &[&str], &str, i32); 12] = [
    ("Dr. Robin Reyes", "America/Denver", &["CO", "AZ", "UT"], "PsyD", 14),
    ("Jordan Lee", "America/Los_Angeles", &["CA", "WA", "OR"], "LCSW", 9),
    ("Amara Okafor", "America/New_York", &["NY", "NJ", "FL"], "LMFT", 11),
    ("Sam Whitfield", "America/Chicago", &["IL", "TX", "WI"], "LPC", 7),
    ("Dr. Mei Tanaka", "America/Los_Angeles", &["CA", "NV"], "PhD", 19),
    ("Luis Herrera", "America/Chicago", &["TX", "IL"], "LCSW", 6),
    ("Hannah Brooks", "America/New_York", &["NY", "PA", "MA"], "LMHC", 8),
    ("Dev Patel", "America/Denver", &["CO", "NM"], "LPC", 5),
    ("Grace Kim", "America/Phoenix", &["AZ", "CA"], "LMFT", 12),
    ("Dr. Noah Fischer", "America/New_York", &["FL", "GA", "NY"], "PsyD", 16),
    ("Ines Duarte", "America/Chicago", &["IL", "MN"], "LCSW", 10),
    ("Theo Nakamura", "America/Los_Angeles", &["WA", "OR", "CA"], "LPC", 4),
];

/// States clients live in, with a zone each (all inside some therapist's licenses).
const CLIENT_PLACES: [(&str, &str); 12] = [
    ("CA", "America/Los_Angeles"),
    ("NY", "America/New_York"),
    ("TX", "America/Chicago"),
    ("IL", "America/Chicago"),
    ("FL", "America/New_York"),
    ("CO", "America/Denver"),
    ("WA", "America/Los_Angeles"),
    ("AZ", "America/Phoenix"),
    ("OR", "America/Los_Angeles"),
    ("PA", "America/New_York"),
    ("NJ", "America/New_York"),
    ("MN", "America/Chicago"),
];

const FIRST_NAMES: [&str; 30] = [
    "Sam", "Priya", "Marcus", "Elena", "Kofi", "Ava", "Mateo", "Yuki", "Zoe", "Omar", "Lena",
    "Ravi", "Nora", "Diego", "Maya", "Ethan", "Aisha", "Leo", "Chloe", "Tariq", "Ivy", "Jonah",
    "Sofia", "Kai", "Hana", "Felix", "Amir", "Ruth", "Owen", "Lucia",
];

const TEEN_TOPICS: [&str; 4] =
    ["anxiety-depression", "dbt-skills", "self-compassion", "grief-loss"];
const CLIENTS: usize = 320;

fn corrupt(what: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("demo data: {what}"))
}

fn therapist_email(i: usize) -> String {
    if i == 0 {
        "therapist@demo.hearth.example".to_owned()
    } else {
        format!("therapist{}@demo.hearth.example", i + 1)
    }
}

fn client_email(i: usize) -> String {
    if i == 0 {
        "client@demo.hearth.example".to_owned()
    } else {
        format!("client{}@demo.hearth.example", i + 1)
    }
}

/// Seeds the demo practice once; running the demo again keeps what is there.
pub async fn seed(app: &App, db: &Db) -> AppResult<Vec<DemoLogin>> {
    if app.count_users(Role::Admin).await? == 0 {
        seed_practice(app, db).await?;
    }
    Ok(vec![
        DemoLogin { role: "admin", email: "admin@demo.hearth.example".to_owned() },
        DemoLogin { role: "coordinator", email: "coordinator@demo.hearth.example".to_owned() },
        DemoLogin { role: "therapist", email: therapist_email(0) },
        DemoLogin { role: "client", email: client_email(0) },
    ])
}

async fn seed_practice(app: &App, db: &Db) -> AppResult<()> {
    for (role, email, name, tz) in [
        ("admin", "admin@demo.hearth.example", "Avery Admin", "America/New_York"),
        ("coordinator", "coordinator@demo.hearth.example", "Casey Coordinator", "America/Chicago"),
    ] {
        let id = app
            .create_staff(&NewStaff {
                email: email.to_owned(),
                password: DEMO_PASSWORD.to_owned(),
                role: role.to_owned(),
                display_name: Some(name.to_owned()),
                timezone: Some(tz.to_owned()),
            })
            .await?;
        if role == "coordinator" {
            // Consult calls on weekdays, 9 to 5 in the coordinator's zone.
            let windows: Vec<(String, String, String)> = ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| ((*d).to_owned(), "09:00".to_owned(), "17:00".to_owned()))
                .collect();
            db.replace_availability(id, &windows, AuditRecord::none()).await?;
        }
    }
    // One hash for every other demo account: hashing hundreds would make start-up slow.
    let password =
        Password::parse_new(DEMO_PASSWORD, &PasswordContext::default()).map_err(corrupt)?;
    let hash = app.hash_password(&password).await?;
    let now = app.now();
    let therapists = seed_therapists(db, &hash, now).await?;
    let clients = seed_clients(app, db, &hash, now).await?;
    let groups = seed_groups(db, &therapists, now).await?;
    let joined = now - Duration::weeks(13);
    seat_clients(db, &groups, &clients, joined).await?;
    seed_measures(app, db, &clients, now).await
}

async fn seed_therapists(
    db: &Db,
    hash: &str,
    now: chrono::DateTime<Utc>,
) -> AppResult<Vec<(UserId, Vec<String>)>> {
    let expires = NaiveDate::from_ymd_opt(2030, 12, 31).ok_or_else(|| corrupt("date"))?;
    let mut made = Vec::new();
    for (i, (name, tz, states, kind, years)) in THERAPISTS.iter().enumerate() {
        let kind = LicenseKind::parse(kind).map_err(corrupt)?;
        let licenses = states
            .iter()
            .map(|s| {
                Ok(License {
                    region: Region::parse(&format!("US-{s}")).map_err(corrupt)?,
                    kind,
                    number: format!("{s}-{:05}", 1000 + i * 37),
                    expires_on: expires,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let specialties = TOPICS.iter().skip(i % 5).step_by(4).map(|t| t.slug.to_owned()).collect();
        let id = db
            .insert_therapist(&NewTherapist {
                user: NewUser {
                    email: Email::parse(&therapist_email(i)).map_err(corrupt)?,
                    password_hash: hash.to_owned(),
                    role: Role::Therapist,
                    display_name: DisplayName::parse(name).map_err(corrupt)?,
                    timezone: TimeZone::parse(tz).map_err(corrupt)?,
                    region: None,
                    birth_date: None,
                    created_at: now,
                },
                license_kind: kind,
                years_of_practice: *years,
                bio: format!(
                    "{name} has led therapy groups for {years} years and believes people heal in good company."
                ),
                licenses,
                specialties,
            }, AuditRecord::none())
            .await?;
        made.push((id, states.iter().map(|s| format!("US-{s}")).collect()));
    }
    Ok(made)
}

async fn seed_clients(
    app: &App,
    db: &Db,
    hash: &str,
    now: chrono::DateTime<Utc>,
) -> AppResult<Vec<(UserId, String, bool)>> {
    let today = now.date_naive();
    let mut made = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let k = i64::try_from(i).map_err(corrupt)?;
        let (state, tz) = CLIENT_PLACES[i % CLIENT_PLACES.len()];
        let teen = i % 16 == 5;
        let age_days = if teen { 14 * 365 + (k % 3) * 300 } else { (22 + (k * 7) % 45) * 365 };
        let birth = BirthDate::new(today - Duration::days(age_days), today).map_err(corrupt)?;
        let name = FIRST_NAMES[i % FIRST_NAMES.len()];
        let region = format!("US-{state}");
        let id = db
            .insert_user(
                &NewUser {
                    email: Email::parse(&client_email(i)).map_err(corrupt)?,
                    password_hash: hash.to_owned(),
                    role: Role::Client,
                    display_name: DisplayName::parse(name).map_err(corrupt)?,
                    timezone: TimeZone::parse(tz).map_err(corrupt)?,
                    region: Some(Region::parse(&region).map_err(corrupt)?),
                    birth_date: Some(app.seal_birth_date(birth)),
                    created_at: now,
                },
                AuditRecord::none(),
            )
            .await?;
        made.push((id, region, teen));
    }
    Ok(made)
}

/// (group, therapist's states, teen, capacity)
type SeededGroup = (GroupId, Vec<String>, bool, i32);

async fn seed_groups(
    db: &Db,
    therapists: &[(UserId, Vec<String>)],
    now: chrono::DateTime<Utc>,
) -> AppResult<Vec<SeededGroup>> {
    let weekdays = ["mon", "tue", "wed", "thu", "mon", "tue", "wed", "thu", "sat", "sun"];
    let times = ["09:00", "12:00", "17:30", "18:00", "19:00", "19:30", "10:30", "20:00"];
    let starts_on = now.date_naive() - Duration::weeks(14);
    let mut made = Vec::new();
    let mut n = 0_usize;
    for round in 0..4 {
        for (t, topic) in TOPICS.iter().enumerate() {
            // Every topic gets three adult groups, the teen topics a teen group too.
            let teen = round == 3;
            if teen && !TEEN_TOPICS.contains(&topic.slug) {
                continue;
            }
            let (therapist, states) = &therapists[(t + round * 5) % therapists.len()];
            let zone =
                db.find_user(*therapist).await?.ok_or_else(|| corrupt("therapist"))?.timezone;
            let slot = WeeklySlot::new(
                parse_weekday(weekdays[n % weekdays.len()]).map_err(corrupt)?,
                parse_local_time(times[(n * 3) % times.len()]).map_err(corrupt)?,
                zone,
                if topic.slug == "dbt-skills" { 90 } else { 60 },
            )
            .map_err(corrupt)?;
            let capacity = if n.is_multiple_of(4) { 8 } else { 10 };
            let id = db
                .insert_group(
                    &NewGroup {
                        topic: topic.slug.to_owned(),
                        therapist_id: *therapist,
                        slot,
                        capacity,
                        age_band: if teen { AgeBand::Teen } else { AgeBand::Adult },
                        starts_on,
                        ends_on: None,
                        created_at: now,
                    },
                    AuditRecord::none(),
                )
                .await?;
            made.push((id, states.clone(), teen, capacity));
            n += 1;
        }
    }
    Ok(made)
}

/// Fills groups with eligible clients: every fifth group is full with a waitlist, the rest
/// part-full. Each client joins at most two groups.
async fn seat_clients(
    db: &Db,
    groups: &[SeededGroup],
    clients: &[(UserId, String, bool)],
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    let mut joined = vec![0_u8; clients.len()];
    for (g, (group, states, teen, capacity)) in groups.iter().enumerate() {
        let wanted = if g % 5 == 0 {
            capacity + 4
        } else {
            (capacity * (3 + i32::try_from(g % 5).unwrap_or(0))) / 10
        };
        let mut taken = 0;
        for (c, (client, region, is_teen)) in
            clients.iter().enumerate().skip(g * 7 % clients.len()).chain(clients.iter().enumerate())
        {
            if taken >= wanted {
                break;
            }
            if joined[c] >= 2 || is_teen != teen || !states.contains(region) {
                continue;
            }
            db.reserve_seat(
                *group,
                *client,
                now,
                None,
                hearth_app::DEFAULT_OFFER_HOLD,
                AuditRecord::none(),
            )
            .await?;
            joined[c] += 1;
            taken += 1;
        }
    }
    Ok(())
}

/// Answers to `items` questions adding up to `total` (the last item, PHQ-9's item 9, stays 0
/// so that only the deliberate flag below reaches the risk queue).
fn answers_summing_to(total: i32, items: usize) -> Vec<u8> {
    let mut left = total;
    (0..items)
        .map(|i| {
            if i + 1 == items && items == 9 {
                return 0;
            }
            let v = left.clamp(0, 3);
            left -= v;
            u8::try_from(v).unwrap_or(0)
        })
        .collect()
}

/// Twelve-plus weeks of weekly PHQ-9 and GAD-7 check-ins for every seated adult client:
/// some improving, some flat, some worsening, so reports and charts show real shapes. One
/// client has an open item-9 flag for the risk queue.
async fn seed_measures(
    app: &App,
    db: &Db,
    clients: &[(UserId, String, bool)],
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    // (PHQ-9 at intake, PHQ-9 after 12 weeks, GAD-7 at intake, GAD-7 after 12 weeks)
    const SHAPES: [(i32, i32, i32, i32); 5] =
        [(17, 5, 14, 4), (14, 6, 11, 5), (12, 11, 10, 10), (9, 17, 8, 15), (15, 9, 12, 8)];
    let seated: std::collections::HashSet<UserId> = db
        .list_first_memberships(None, None)
        .await?
        .into_iter()
        .map(|(client, _)| UserId::new(client))
        .collect();
    let weeks = 13;
    for (i, (client, _, teen)) in clients.iter().enumerate() {
        if *teen || !seated.contains(client) {
            continue;
        }
        let (p0, p1, g0, g1) = SHAPES[i % SHAPES.len()];
        for week in 0..=weeks {
            // A straight line with a little week-to-week wobble.
            let wobble = [0, 1, -1, 0, 1][(i + week) % 5];
            let step = |from: i32, to: i32, max: i32| -> i32 {
                (from
                    + (to - from) * i32::try_from(week).unwrap_or(0)
                        / i32::try_from(weeks).unwrap_or(1)
                    + wobble)
                    .clamp(0, max)
            };
            let at =
                now - Duration::weeks(i64::try_from(weeks - week).unwrap_or(0)) - Duration::days(1);
            for (instrument, total) in
                [(&hearth_domain::PHQ9, step(p0, p1, 24)), (&hearth_domain::GAD7, step(g0, g1, 21))]
            {
                // Scored by the same rules as a client's own answers.
                let answers: Vec<i64> = answers_summing_to(total, instrument.items.len())
                    .into_iter()
                    .map(i64::from)
                    .collect();
                let answers =
                    hearth_domain::Answers::parse(instrument, &answers).map_err(corrupt)?;
                app.record_measure(*client, &answers, at, AuditRecord::none()).await?;
            }
        }
    }
    // One recent check-in with item 9 answered, waiting in the risk queue.
    if let Some((client, _, _)) = clients.iter().find(|(c, _, teen)| !teen && seated.contains(c)) {
        let answers =
            hearth_domain::Answers::parse(&hearth_domain::PHQ9, &[2, 2, 1, 1, 1, 1, 1, 0, 1])
                .map_err(corrupt)?;
        app.record_measure(*client, &answers, now - Duration::hours(3), AuditRecord::none())
            .await?;
    }
    Ok(())
}

/// Makes sure the demo has a group session about to start, so the session room can be tried
/// at once: the demo client gets a seat in one of the demo therapist's groups, and that
/// group's next meeting moves to five minutes from now (unless one is already that close).
/// Returns the room's path.
pub async fn session_about_to_start(app: &App, db: &Db) -> AppResult<Option<String>> {
    let find = |email: String| async move {
        let email = Email::parse(&email).map_err(corrupt)?;
        Ok::<_, AppError>(db.find_user_by_email(&email).await?.map(|u| u.id))
    };
    let (Some(therapist), Some(client)) =
        (find(therapist_email(0)).await?, find(client_email(0)).await?)
    else {
        return Ok(None);
    };
    let filter = hearth_domain::GroupFilter {
        therapist: Some(therapist),
        ..hearth_domain::GroupFilter::default()
    };
    let groups = db.list_groups(&filter).await?;
    let mut chosen = None;
    for group in &groups {
        let members = db.list_group_members(group.id).await?;
        if members.iter().any(|m| m.client_id == client) {
            chosen = Some(group.clone());
            break;
        }
        if chosen.is_none() && group.seats_left() > 0 && group.age_band == AgeBand::Adult {
            chosen = Some(group.clone());
        }
    }
    let Some(group) = chosen else { return Ok(None) };
    let now = app.now();
    let members = db.list_group_members(group.id).await?;
    if !members.iter().any(|m| m.client_id == client) {
        let hold = hearth_app::DEFAULT_OFFER_HOLD;
        db.reserve_seat(group.id, client, now, None, hold, AuditRecord::none()).await?;
    }
    let zone = db.find_user(client).await?.ok_or_else(|| corrupt("client"))?.timezone;
    let next = app.next_meetings(zone, &group, 1).await?;
    let Some(meeting) = next.first() else { return Ok(None) };
    let date = meeting.original_date;
    if meeting.starts_at > now + Duration::minutes(10) {
        let starts = now + Duration::minutes(5);
        let starts = starts - Duration::seconds(i64::from(starts.second()));
        let moved = hearth_store::StoredException {
            original_date: date,
            kind: hearth_store::ExceptionKind::Moved(starts),
        };
        db.upsert_exception(group.id, &moved, AuditRecord::none()).await?;
    }
    Ok(Some(format!("/groups/{}/meetings/{date}/room", group.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_demo_password_meets_the_policy_for_every_demo_account() {
        let staff = [
            ("admin@demo.hearth.example".to_owned(), "Avery Admin"),
            ("coordinator@demo.hearth.example".to_owned(), "Casey Coordinator"),
        ];
        let therapists = THERAPISTS.iter().enumerate().map(|(i, t)| (therapist_email(i), t.0));
        // Every first name once; client emails differ only by their number.
        let clients = FIRST_NAMES.iter().enumerate().map(|(i, name)| (client_email(i), *name));
        for (email, name) in staff.into_iter().chain(therapists).chain(clients) {
            let context = PasswordContext { email: Some(&email), display_name: Some(name) };
            assert!(Password::parse_new(DEMO_PASSWORD, &context).is_ok(), "{email} ({name})");
        }
    }
}
