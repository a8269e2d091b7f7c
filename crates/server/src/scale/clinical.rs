//! The clinical side of the practice at scale: intakes, care assignments, weekly PHQ-9 and
//! GAD-7 check-ins and the risk flags a few of them raise, sealed as the app seals them.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use hearth_app::{BulkSealer, IntakePrivate};
use hearth_domain::{Answers, CONSENT_VERSION, GAD7, Instrument, PHQ9, TOPICS};
use hearth_store::Db;

use super::groups::EARLIER_GROUP_WEEKS;
use super::plan::{DEMO_COORDINATOR_CLIENTS, Fate};
use super::{Layout, as_id};
use crate::bulk::{execute_batches, stamp, text, text_or_null};

/// (PHQ-9 at the first check-in, PHQ-9 at the last, GAD-7 first, GAD-7 last): improving,
/// partly improving, flat, worsening, improving slowly.
const SHAPES: [(i32, i32, i32, i32); 5] =
    [(17, 5, 14, 4), (14, 6, 11, 5), (12, 11, 10, 10), (9, 17, 8, 15), (15, 9, 12, 8)];
const REASONS: [&str; 5] = [
    "Low mood for months and trouble getting out of bed.",
    "Worry that keeps me up at night.",
    "Grief after losing my father last year.",
    "Stress at work spilling into everything else.",
    "I want to understand my anger before it costs me my relationship.",
];
const GOALS: [&str; 4] =
    ["Feel like myself again.", "Sleep through the night.", "Cope without shutting down.", ""];

/// Weeks a seated client has been in their group (2 to 8).
fn weeks_in_group(i: usize) -> i64 {
    2 + i64::try_from(i % 7).unwrap_or(0)
}

/// Hours client `i` checks in before the time of day the seeding runs, so check-ins spread
/// over the day.
fn hours(i: usize) -> Duration {
    Duration::hours(i64::try_from(i % 10).unwrap_or(0))
}

/// When seated client `i` joined their group.
pub(super) fn joined_at(layout: &Layout, i: usize) -> DateTime<Utc> {
    layout.now - Duration::weeks(weeks_in_group(i)) - Duration::days(2) - hours(i)
}

/// When client `i` (who has done one) submitted their intake.
pub(super) fn intake_at(layout: &Layout, i: usize) -> DateTime<Utc> {
    let days = i64::try_from(i % 14).unwrap_or(0);
    match layout.fates[i] {
        Fate::Seated { earlier: None, .. } => joined_at(layout, i) - Duration::days(2),
        Fate::Seated { earlier: Some(_), .. } => {
            joined_at(layout, i) - Duration::weeks(EARLIER_GROUP_WEEKS) - Duration::days(2)
        }
        Fate::Waiting { .. } | Fate::Unplaced | Fate::Browsing => {
            layout.now - Duration::days(1 + days) - hours(i)
        }
    }
}

/// Intakes for every client past browsing, and the coordinators of those taken on: the demo
/// coordinator the first 2,000, the others the rest in turn. Returns how many the demo
/// coordinator has.
pub(super) async fn intakes_and_care(
    db: &Db,
    layout: &Layout,
    sealer: &BulkSealer,
) -> anyhow::Result<usize> {
    let with_intake: Vec<usize> =
        (0..layout.fates.len()).filter(|&i| layout.fates[i].has_intake()).collect();
    execute_batches(
        db,
        "INSERT INTO intakes (client_id, sealed, service_lines, topics, availability, \
         consent_version, consented_at, submitted_at) VALUES ",
        with_intake.len(),
        |row| {
            let i = with_intake[row];
            let id = layout.client_id(i);
            let private = IntakePrivate {
                reasons: REASONS[i % REASONS.len()].to_owned(),
                goals: GOALS[i % GOALS.len()].to_owned(),
                preferences: String::new(),
                emergency_contact_name: super::people::contact_name(i),
                emergency_contact_phone: format!("(555) 01{:02}-{:04}", i % 100, i % 10_000),
            };
            let topic = match layout.fates[i] {
                Fate::Seated { group, .. } | Fate::Waiting { group } => layout.groups[group].topic,
                Fate::Unplaced | Fate::Browsing => TOPICS[i % TOPICS.len()].slug,
            };
            let at = stamp(intake_at(layout, i));
            Ok(format!(
                "({id},{},'group',{},'mon 18:00-21:00;wed 18:00-21:00',{},{at},{at})",
                text(&sealer.intake(id, &private)?),
                text(topic),
                text(CONSENT_VERSION)
            ))
        },
    )
    .await
    .context("inserting the intakes")?;

    let taken_on: Vec<usize> =
        (0..layout.fates.len()).filter(|&i| layout.fates[i].taken_on()).collect();
    let others = layout.scale.coordinators() - 1;
    let coordinator_of = |q: usize| match q.checked_sub(DEMO_COORDINATOR_CLIENTS) {
        Some(rest) if others > 0 => 1 + rest % others,
        _ => 0,
    };
    execute_batches(
        db,
        "INSERT INTO care_assignments (client_id, coordinator_id, assigned_at, assigned_by) \
         VALUES ",
        taken_on.len(),
        |q| {
            let i = taken_on[q];
            let coordinator = layout.coordinator_id(coordinator_of(q));
            Ok(format!(
                "({},{coordinator},{},{coordinator})",
                layout.client_id(i),
                stamp(intake_at(layout, i) + Duration::hours(12))
            ))
        },
    )
    .await
    .context("inserting the care assignments")?;
    Ok((0..taken_on.len()).filter(|&q| coordinator_of(q) == 0).count())
}

/// One measure to write.
#[derive(Clone, Copy, Debug)]
struct Check {
    client: usize,
    at: DateTime<Utc>,
    gad7: bool,
    total: i32,
    /// A PHQ-9 with item 9 answered: it raises a risk flag.
    flagged: bool,
}

/// The check-ins: seated clients weekly since they joined (one in eight missed the last two,
/// so their check-in is overdue; one in 500 answered item 9 last time and waits in the risk
/// queue), four more in the earlier group some finished, and one at intake for those
/// waiting. Returns how many measures and risk flags were written.
pub(super) async fn measures(
    db: &Db,
    layout: &Layout,
    sealer: &BulkSealer,
) -> anyhow::Result<(usize, usize)> {
    let checks = plan_checks(layout);
    let answers = AnswerTables::new()?;
    let first = super::next_id(db, "measures").await?;
    execute_batches(
        db,
        "INSERT INTO measures (id, client_id, instrument, taken_at, sealed, total_sealed) VALUES ",
        checks.len(),
        |m| {
            let check = &checks[m];
            let id = first + as_id(m);
            let columns = sealer.measure(id, answers.get(check)?)?;
            anyhow::ensure!(columns.flag_level.is_some() == check.flagged, "measure {m}'s flag");
            Ok(format!(
                "({id},{},{},{},{},{})",
                layout.client_id(check.client),
                if check.gad7 { "'gad7'" } else { "'phq9'" },
                stamp(check.at),
                text(&columns.sealed),
                text_or_null(columns.total_sealed.as_deref())
            ))
        },
    )
    .await
    .context("inserting the measures")?;

    let flagged: Vec<usize> = (0..checks.len()).filter(|&m| checks[m].flagged).collect();
    let first_flag = super::next_id(db, "risk_flags").await?;
    execute_batches(
        db,
        "INSERT INTO risk_flags (id, client_id, measure_id, raised_at, level_sealed) VALUES ",
        flagged.len(),
        |row| {
            let m = flagged[row];
            let id = first_flag + as_id(row);
            let level = sealer.measure(first + as_id(m), answers.get(&checks[m])?)?.flag_level;
            let level = level.context("a flagged measure raises a flag")?;
            Ok(format!(
                "({id},{},{},{},{})",
                layout.client_id(checks[m].client),
                first + as_id(m),
                stamp(checks[m].at),
                text(&sealer.risk_level(id, level)?)
            ))
        },
    )
    .await
    .context("inserting the risk flags")?;
    Ok((checks.len(), flagged.len()))
}

fn plan_checks(layout: &Layout) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut pair = |client: usize, at: DateTime<Utc>, phq9: i32, gad7: i32, flagged: bool| {
        checks.push(Check { client, at, gad7: false, total: phq9, flagged });
        checks.push(Check { client, at, gad7: true, total: gad7, flagged: false });
    };
    for (i, fate) in layout.fates.iter().enumerate() {
        let (p0, p1, g0, g1) = SHAPES[i % SHAPES.len()];
        let wobble = |k: i64| [0, 1, -1, 0, 1][(i + usize::try_from(k).unwrap_or(0)) % 5];
        match *fate {
            Fate::Seated { earlier, .. } => {
                let joined = joined_at(layout, i);
                if earlier.is_some() {
                    let from = joined - Duration::weeks(EARLIER_GROUP_WEEKS) + Duration::days(1);
                    for k in 0..4 {
                        let at = from + Duration::weeks(k);
                        pair(
                            i,
                            at,
                            (p0 + wobble(k)).clamp(0, 24),
                            (g0 + wobble(k)).clamp(0, 21),
                            false,
                        );
                    }
                }
                let n = weeks_in_group(i);
                let overdue = i % 8 == 3;
                let last = if overdue { n - 2 } else { n };
                for k in 0..last {
                    let at = layout.now - Duration::days(1) - Duration::weeks(n - 1 - k) - hours(i);
                    let along = |from: i32, to: i32| {
                        from + (to - from) * i32::try_from(k).unwrap_or(0)
                            / i32::try_from(n - 1).unwrap_or(1).max(1)
                            + wobble(k)
                    };
                    let flagged = i % 500 == 17 && k == last - 1;
                    pair(i, at, along(p0, p1).clamp(1, 24), along(g0, g1).clamp(0, 21), flagged);
                }
            }
            Fate::Waiting { .. } | Fate::Unplaced => {
                let at = intake_at(layout, i) + Duration::minutes(10);
                pair(i, at, p0, g0, false);
            }
            Fate::Browsing => {}
        }
    }
    checks
}

/// Answers reaching every total, by instrument, scored by the instruments' own rules: the
/// points spread over the items, the PHQ-9's item 9 at 0 (or at 1 for a flagged check-in).
struct AnswerTables {
    phq9: Vec<Answers>,
    phq9_flagged: Vec<Answers>,
    gad7: Vec<Answers>,
}

impl AnswerTables {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            phq9: (0..=24).map(|t| spread(&PHQ9, 8, t, 0)).collect::<anyhow::Result<_>>()?,
            phq9_flagged: (0..=24)
                .map(|t| spread(&PHQ9, 8, t, 1))
                .collect::<anyhow::Result<_>>()?,
            gad7: (0..=21).map(|t| spread(&GAD7, 7, t, 0)).collect::<anyhow::Result<_>>()?,
        })
    }

    fn get(&self, check: &Check) -> anyhow::Result<&Answers> {
        let table = match (check.gad7, check.flagged) {
            (true, _) => &self.gad7,
            (false, false) => &self.phq9,
            (false, true) => &self.phq9_flagged,
        };
        usize::try_from(check.total)
            .ok()
            .and_then(|t| table.get(t))
            .with_context(|| format!("no answers for a total of {}", check.total))
    }
}

/// `total` points spread over the first `items` items, then `last` on the one after them.
fn spread(
    instrument: &'static Instrument,
    items: usize,
    total: usize,
    last: i64,
) -> anyhow::Result<Answers> {
    let values: Vec<i64> = (0..instrument.items.len())
        .map(|k| match k.cmp(&items) {
            std::cmp::Ordering::Less => total / items + usize::from(k < total % items),
            std::cmp::Ordering::Equal => usize::try_from(last).unwrap_or(0),
            std::cmp::Ordering::Greater => 0,
        })
        .map(|v| i64::try_from(v).unwrap_or(0))
        .collect();
    Answers::parse(instrument, &values)
        .map_err(|e| anyhow::anyhow!("seed answers for {} total {total}: {e}", instrument.slug()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_domain::Risk;

    #[test]
    fn every_seeded_total_scores_to_itself_and_only_flagged_answers_raise_a_flag() {
        let tables = AnswerTables::new().expect("answers");
        for (table, flagged) in
            [(&tables.phq9, false), (&tables.phq9_flagged, true), (&tables.gad7, false)]
        {
            for (t, answers) in table.iter().enumerate() {
                let score = answers.score();
                let expected = i32::try_from(t).expect("small") + i32::from(flagged);
                assert_eq!(score.total, Some(expected));
                assert_eq!(score.risk != Risk::None, flagged, "total {t}");
            }
        }
    }
}
