//! The people of the practice at scale: therapists (with their profiles, licenses and
//! specialties), coordinators (with their consult hours) and clients (with their birth dates
//! sealed).

use anyhow::Context as _;
use chrono::{Duration, NaiveDate};
use hearth_app::BulkSealer;
use hearth_domain::{Email, LicenseKind, Role};
use hearth_store::Db;

use super::plan::{PLACES, client_place, specialties};
use super::{Layout, as_id};
use crate::bulk::{date, execute_batches, stamp, text};

const FIRST_NAMES: [&str; 30] = [
    "Sam", "Priya", "Marcus", "Elena", "Kofi", "Ava", "Mateo", "Yuki", "Zoe", "Omar", "Lena",
    "Ravi", "Nora", "Diego", "Maya", "Ethan", "Aisha", "Leo", "Chloe", "Tariq", "Ivy", "Jonah",
    "Sofia", "Kai", "Hana", "Felix", "Amir", "Ruth", "Owen", "Lucia",
];
const LAST_NAMES: [&str; 23] = [
    "Alvarez",
    "Brooks",
    "Chen",
    "Diallo",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreno",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Tanaka",
    "Underwood",
    "Varga",
    "Walsh",
];
const LICENSE_KINDS: [&str; 6] = ["LCSW", "LPC", "LMFT", "LMHC", "PsyD", "PhD"];
const USER_COLUMNS: &str = "INSERT INTO users (id, email, email_normalized, password_hash, role, \
                            display_name, timezone, region, birth_date_sealed, created_at) VALUES ";

pub(super) fn client_email(i: usize) -> String {
    format!("client{}@scale.hearth.example", i + 1)
}

fn therapist_email(t: usize) -> String {
    format!("therapist{}@scale.hearth.example", t + 1)
}

fn coordinator_email(c: usize) -> String {
    format!("coordinator{}@scale.hearth.example", c + 1)
}

/// A name for person `i`: 690 combinations, repeated in a large practice as in life.
fn name(i: usize) -> String {
    format!("{} {}", FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / 7) % LAST_NAMES.len()])
}

/// The emergency contact client `i` gives at intake.
pub(super) fn contact_name(i: usize) -> String {
    name(i + 17)
}

/// `(email, email_normalized)` as SQL literals.
fn emails(email: &str) -> anyhow::Result<String> {
    let parsed = Email::parse(email).with_context(|| format!("the seed email {email}"))?;
    Ok(format!("{},{}", text(parsed.as_str()), text(&parsed.normalized())))
}

/// The therapists seeded at scale and the coordinators besides the demo's.
pub(super) async fn staff(db: &Db, layout: &Layout) -> anyhow::Result<()> {
    let (therapists, scaled_coordinators) =
        (layout.scale.therapists(), layout.scale.coordinators() - 1);
    let hash = text(&layout.demo.password_hash);
    let hired = stamp(layout.now - Duration::weeks(52));
    let mut staff = Vec::with_capacity(therapists + scaled_coordinators);
    for t in 0..therapists {
        let zone = PLACES[t % PLACES.len()].1;
        let kind = LICENSE_KINDS[t % LICENSE_KINDS.len()];
        let title = if matches!(kind, "PsyD" | "PhD") { "Dr. " } else { "" };
        staff.push(format!(
            "({},{},{hash},{},{},{},NULL,NULL,{hired})",
            layout.therapist_id(t),
            emails(&therapist_email(t))?,
            text(Role::Therapist.as_str()),
            text(&format!("{title}{}", name(t + 3))),
            text(zone),
        ));
    }
    for c in 0..scaled_coordinators {
        staff.push(format!(
            "({},{},{hash},{},{},{},NULL,NULL,{hired})",
            layout.coordinator_id(c + 1),
            emails(&coordinator_email(c))?,
            text(Role::Coordinator.as_str()),
            text(&name(c + 11)),
            text(PLACES[c % PLACES.len()].1),
        ));
    }
    execute_batches(db, USER_COLUMNS, staff.len(), |i| Ok(staff[i].clone()))
        .await
        .context("inserting the staff accounts")?;
    therapist_details(db, layout).await?;
    consult_hours(db, layout).await
}

/// The therapists' profiles, licenses (their home state and the next one in the list) and
/// specialties.
async fn therapist_details(db: &Db, layout: &Layout) -> anyhow::Result<()> {
    let therapists = layout.scale.therapists();
    execute_batches(
        db,
        "INSERT INTO therapist_profiles (user_id, license_kind, years_of_practice, bio) VALUES ",
        therapists,
        |t| {
            let kind = LicenseKind::parse(LICENSE_KINDS[t % LICENSE_KINDS.len()])?;
            let years = 2 + t % 30;
            let bio = format!(
                "{} has led therapy groups for {years} years and believes people heal in good company.",
                name(t + 3)
            );
            Ok(format!(
                "({},{},{years},{})",
                layout.therapist_id(t),
                text(kind.as_str()),
                text(&bio)
            ))
        },
    )
    .await
    .context("inserting the therapist profiles")?;

    let first_license = super::next_id(db, "licenses").await?;
    let expires = NaiveDate::from_ymd_opt(2030, 12, 31).context("a license expiry")?;
    execute_batches(
        db,
        "INSERT INTO licenses (id, therapist_id, region, kind, number, expires_on) VALUES ",
        therapists * 2,
        |row| {
            let (t, k) = (row / 2, row % 2);
            let (state, _) = PLACES[(t + k) % PLACES.len()];
            let kind = LicenseKind::parse(LICENSE_KINDS[t % LICENSE_KINDS.len()])?;
            Ok(format!(
                "({},{},{},{},{},{})",
                first_license + as_id(row),
                layout.therapist_id(t),
                text(&format!("US-{state}")),
                text(kind.as_str()),
                text(&format!("{state}-S{:05}", t + 1)),
                date(expires)
            ))
        },
    )
    .await
    .context("inserting the licenses")?;

    execute_batches(
        db,
        "INSERT INTO therapist_specialties (therapist_id, topic) VALUES ",
        therapists * 3,
        |row| {
            let (t, k) = (row / 3, row % 3);
            Ok(format!("({},{})", layout.therapist_id(t), text(specialties(t)[k])))
        },
    )
    .await
    .context("inserting the specialties")
}

/// Consult calls on weekdays, 9 to 5 in each coordinator's zone.
async fn consult_hours(db: &Db, layout: &Layout) -> anyhow::Result<()> {
    let scaled_coordinators = layout.scale.coordinators() - 1;
    let first_window = super::next_id(db, "coordinator_availability").await?;
    let days = ["mon", "tue", "wed", "thu", "fri"];
    execute_batches(
        db,
        "INSERT INTO coordinator_availability (id, coordinator_id, weekday, from_time, to_time) \
         VALUES ",
        scaled_coordinators * days.len(),
        |row| {
            let (c, d) = (row / days.len(), row % days.len());
            Ok(format!(
                "({},{},{},'09:00','17:00')",
                first_window + as_id(row),
                layout.coordinator_id(c + 1),
                text(days[d])
            ))
        },
    )
    .await
    .context("inserting the consult hours")
}

/// The clients, adults between 22 and 66 and teens of 14 to 16, each in their place's zone,
/// signed up when their story at the practice began.
pub(super) async fn clients(db: &Db, layout: &Layout, sealer: &BulkSealer) -> anyhow::Result<()> {
    let today = layout.now.date_naive();
    let hash = text(&layout.demo.password_hash);
    let role = text(Role::Client.as_str());
    execute_batches(db, USER_COLUMNS, layout.scale.clients, |i| {
        let (place, teen) = client_place(i);
        let (state, zone) = PLACES[place];
        let k = i64::try_from(i)?;
        let age_days = if teen { 14 * 365 + (k % 3) * 300 } else { (22 + (k * 7) % 45) * 365 };
        let id = layout.client_id(i);
        let birth = sealer.birth_date(id, today - Duration::days(age_days))?;
        let signed_up = if layout.fates[i].has_intake() {
            super::clinical::intake_at(layout, i) - Duration::days(1)
        } else {
            layout.now - Duration::days(1 + k % 60)
        };
        Ok(format!(
            "({id},{},{hash},{role},{},{},{},{},{})",
            emails(&client_email(i))?,
            text(&name(i)),
            text(zone),
            text(&format!("US-{state}")),
            text(&birth),
            stamp(signed_up)
        ))
    })
    .await
    .context("inserting the clients")
}
