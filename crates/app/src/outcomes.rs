//! Outcome reports from stored measures: "share of members with significant progress within
//! N weeks", with its denominator, the published definitions and a Wilson interval.

use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::{OutcomeReport, PairedScores, Role, Trajectory, outcome_report};
use std::collections::{BTreeMap, HashMap};

use hearth_store::StoredTotal;

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// Which clients a report covers.
#[derive(Clone, Debug, Default)]
pub struct ReportScope {
    pub group: Option<i64>,
    /// One therapist's clients (a therapist's own report is always scoped to them).
    pub therapist: Option<i64>,
    /// A service line; only `group` has members so far.
    pub program: Option<String>,
}

/// Each day's PHQ-9 and GAD-7 of one client (the last of each that day), still sealed.
type Days = BTreeMap<NaiveDate, (Option<StoredTotal>, Option<StoredTotal>)>;

/// What a report judges one client on: the first session, and the first and last paired
/// days in the window with where their four totals sit among the totals to open.
struct Judged {
    first_session: NaiveDate,
    days: Option<(NaiveDate, NaiveDate, usize)>,
}

/// Picks, from plain dates alone, the paired days a report over `weeks` weeks judges each
/// client on (`Trajectory::judged_days`), and queues only those days' totals for opening:
/// at most four per client, however long their history.
fn judge(
    firsts: &HashMap<i64, DateTime<Utc>>,
    mut days: HashMap<i64, Days>,
    weeks: u32,
) -> (Vec<Judged>, Vec<StoredTotal>) {
    let mut judged = Vec::with_capacity(firsts.len());
    let mut to_open = Vec::new();
    for (client, joined) in firsts {
        let paired: Vec<(NaiveDate, StoredTotal, StoredTotal)> = days
            .remove(client)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(day, (phq9, gad7))| Some((day, phq9?, gad7?)))
            .collect();
        // The baseline is usually taken at intake, before the first session: count the
        // series from whichever comes first.
        let joined = joined.date_naive();
        let first_session = paired.first().map_or(joined, |(day, ..)| (*day).min(joined));
        let dates: Vec<NaiveDate> = paired.iter().map(|(day, ..)| *day).collect();
        let days = Trajectory::judged_days(first_session, &dates, weeks).map(|(a, b)| {
            let at = to_open.len();
            for (day, phq9, gad7) in paired {
                if day == a || day == b {
                    to_open.extend([phq9, gad7]);
                }
            }
            (a, b, at)
        });
        judged.push(Judged { first_session, days });
    }
    (judged, to_open)
}

/// The practice-wide 8-week report, kept for a few minutes: the admin dashboard shows it on
/// every visit, and over a large practice it takes seconds to compute.
#[derive(Debug, Default)]
pub(crate) struct HeadlineCache {
    latest: std::sync::Mutex<Option<(DateTime<Utc>, OutcomeReport)>>,
}

const HEADLINE_TTL: chrono::Duration = chrono::Duration::minutes(5);

impl App {
    /// The practice's 8-week outcome report for the admin dashboard (recomputed at most every
    /// five minutes).
    pub async fn practice_headline(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<OutcomeReport> {
        if who.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        if let Ok(latest) = self.headline_cache.latest.lock()
            && let Some((at, report)) = latest.as_ref()
            && now >= *at
            && now - *at < HEADLINE_TTL
        {
            return Ok(report.clone());
        }
        let report = self.outcome_report(who, 8, &ReportScope::default(), ctx).await?;
        if let Ok(mut latest) = self.headline_cache.latest.lock() {
            *latest = Some((now, report.clone()));
        }
        Ok(report)
    }

    /// The outcome report over `weeks` weeks (staff only; a therapist's covers their clients).
    pub async fn outcome_report(
        &self,
        who: &Authenticated,
        weeks: u32,
        scope: &ReportScope,
        ctx: &AuditContext,
    ) -> AppResult<OutcomeReport> {
        if who.user.role == Role::Client {
            return Err(AppError::Forbidden);
        }
        if !(1..=104).contains(&weeks) {
            return Err(AppError::invalid("weeks", "choose between 1 and 104 weeks"));
        }
        let therapist = if who.user.role == Role::Therapist {
            Some(who.user.id)
        } else {
            scope.therapist.map(hearth_domain::UserId::new)
        };
        let firsts: HashMap<i64, DateTime<Utc>> = match scope.program.as_deref() {
            None | Some("group") => {
                self.db.list_first_memberships(scope.group, therapist).await?.into_iter().collect()
            }
            Some(other) => {
                if !self.db.list_programs().await?.iter().any(|p| p.slug == other) {
                    return Err(AppError::invalid("program", format!("unknown program {other:?}")));
                }
                // No other service line enrols members yet: an honest empty report.
                HashMap::new()
            }
        };
        let clients: Vec<i64> = firsts.keys().copied().collect();
        let mut days: HashMap<i64, Days> = HashMap::new();
        for row in self.db.list_report_scores(Some(&clients)).await? {
            let day = days.entry(row.client_id).or_default().entry(row.taken_at.date_naive());
            let (phq9, gad7) = day.or_default();
            match row.instrument.as_str() {
                "phq9" => *phq9 = Some(row),
                "gad7" => *gad7 = Some(row),
                _ => {}
            }
        }
        // The totals are sealed: only the judged days' are opened, off the async workers.
        let (judged, to_open) = judge(&firsts, days, weeks);
        let totals: Vec<i32> =
            self.open_totals(to_open).await?.into_iter().map(|(_, _, total, _)| total).collect();
        let mut trajectories = Vec::with_capacity(judged.len());
        for Judged { first_session, days } in judged {
            let pairs = match days {
                None => Vec::new(),
                Some((a, b, at)) => {
                    let total = |k: usize| totals.get(at + k).copied().unwrap_or(-1);
                    let pair = |day, k| {
                        PairedScores::new(day, total(k), total(k + 1))
                            .map_err(|e| anyhow::anyhow!("a stored total: {e}"))
                    };
                    vec![pair(a, 0)?, pair(b, 2)?]
                }
            };
            trajectories
                .push(Trajectory::new(first_session, pairs).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        let report = outcome_report(&trajectories, weeks);
        let scope_text = match (&scope.group, &scope.program, therapist) {
            (Some(g), _, _) => format!("group={g}"),
            (None, Some(p), _) => format!("program={p}"),
            (None, None, Some(t)) => format!("therapist={t}"),
            (None, None, None) => "practice".to_owned(),
        };
        self.audit(ctx, "report.outcomes.read", "reports", format!("{scope_text} weeks={weeks}"))
            .await?;
        Ok(report)
    }
}
