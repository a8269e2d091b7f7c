//! The groups of the practice at scale, their members (present and past) and waitlists.

use anyhow::Context as _;
use chrono::Duration;
use hearth_domain::{AgeBand, weekday_slug};
use hearth_store::Db;

use super::clinical::joined_at;
use super::plan::{Fate, PLACES};
use super::{Layout, as_id};
use crate::bulk::{date, execute_batches, stamp, text};

/// An earlier group lasted this long before the client moved on.
pub(super) const EARLIER_GROUP_WEEKS: i64 = 12;

/// Inserts the groups, memberships and waitlist entries; returns how many clients are seated
/// and how many wait.
pub(super) async fn seed(db: &Db, layout: &Layout) -> anyhow::Result<(usize, usize)> {
    let mut members = vec![0_i32; layout.groups.len()];
    for fate in &layout.fates {
        if let Fate::Seated { group, .. } = fate {
            members[*group] += 1;
        }
    }
    let today = layout.now.date_naive();
    execute_batches(
        db,
        "INSERT INTO groups (id, topic, therapist_id, weekday, local_time, timezone, \
         duration_minutes, capacity, age_band, starts_on, ends_on, status, seats_taken, \
         created_at) VALUES ",
        layout.groups.len(),
        |g| {
            let group = &layout.groups[g];
            let starts_on = today - Duration::weeks(group.started_weeks_ago);
            let band = if group.teen { AgeBand::Teen } else { AgeBand::Adult };
            anyhow::ensure!(members[g] <= group.capacity, "group {g} is overfull");
            Ok(format!(
                "({},{},{},{},{},{},{},{},{},{},NULL,'open',{},{})",
                layout.group_id(g),
                text(group.topic),
                layout.leader_id(g),
                text(weekday_slug(group.weekday)),
                text(group.time),
                text(PLACES[group.place].1),
                group.minutes,
                group.capacity,
                text(band.as_str()),
                date(starts_on),
                members[g],
                stamp(layout.now - Duration::weeks(group.started_weeks_ago + 2)),
            ))
        },
    )
    .await
    .context("inserting the groups")?;
    let seated = memberships(db, layout).await?;
    let waiting = waitlists(db, layout).await?;
    Ok((seated, waiting))
}

/// A seat for every seated client; returns how many.
async fn memberships(db: &Db, layout: &Layout) -> anyhow::Result<usize> {
    // A seat for every seated client, and before it the earlier group some finished.
    let mut rows = Vec::new();
    for (i, fate) in layout.fates.iter().enumerate() {
        if let Fate::Seated { group, earlier } = *fate {
            let joined = joined_at(layout, i);
            if let Some(earlier) = earlier {
                let from = joined - Duration::weeks(EARLIER_GROUP_WEEKS);
                let to = joined - Duration::days(1);
                rows.push((earlier, i, "left", from, Some(to)));
            }
            rows.push((group, i, "seated", joined, None));
        }
    }
    let first = super::next_id(db, "memberships").await?;
    execute_batches(
        db,
        "INSERT INTO memberships (id, group_id, client_id, status, joined_at, ended_at) VALUES ",
        rows.len(),
        |row| {
            let (group, client, status, joined, ended) = rows[row];
            Ok(format!(
                "({},{},{},{},{},{})",
                first + as_id(row),
                layout.group_id(group),
                layout.client_id(client),
                text(status),
                stamp(joined),
                ended.map_or_else(|| "NULL".to_owned(), stamp)
            ))
        },
    )
    .await
    .context("inserting the memberships")?;
    Ok(rows.iter().filter(|r| r.2 == "seated").count())
}

/// The waitlists of full groups; returns how many wait.
async fn waitlists(db: &Db, layout: &Layout) -> anyhow::Result<usize> {
    let waiting: Vec<(usize, usize)> = layout
        .fates
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f {
            Fate::Waiting { group } => Some((*group, i)),
            _ => None,
        })
        .collect();
    let first = super::next_id(db, "waitlist_entries").await?;
    execute_batches(
        db,
        "INSERT INTO waitlist_entries (id, group_id, client_id, status, created_at) VALUES ",
        waiting.len(),
        |row| {
            let (group, client) = waiting[row];
            let joined = super::clinical::intake_at(layout, client) + Duration::hours(2);
            Ok(format!(
                "({},{},{},'waiting',{})",
                first + as_id(row),
                layout.group_id(group),
                layout.client_id(client),
                stamp(joined)
            ))
        },
    )
    .await
    .context("inserting the waitlists")?;
    Ok(waiting.len())
}
