//! Outcome reports from stored measures: "share of members with significant progress within
//! N weeks", with its denominator, the published definitions and a Wilson interval.

use chrono::{DateTime, NaiveDate, Utc};

mod page;

use hearth_domain::{OutcomeReport, PairedScores, Role, Trajectory, outcome_report};
pub(crate) use page::ReportPageCache;
pub use page::{OutcomeReportPage, REPORT_SMALLEST_SHOWN, ReportLine};
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

/// The clients one report covers, each with the day of their first session in its scope.
pub(crate) type Cohort = Vec<(i64, NaiveDate)>;

/// What a report judges one client on: the first session, and the first and last paired
/// days in the window (`Trajectory::judged_days`), from plain dates alone.
struct Judged {
    client: i64,
    first_session: NaiveDate,
    days: Option<(NaiveDate, NaiveDate)>,
}

fn judge(client: i64, joined: NaiveDate, days: Option<&Days>, weeks: u32) -> Judged {
    let paired: Vec<NaiveDate> = days
        .map(|days| {
            days.iter().filter(|(_, (p, g))| p.is_some() && g.is_some()).map(|(d, _)| *d).collect()
        })
        .unwrap_or_default();
    // The baseline is usually taken at intake, before the first session: count the series
    // from whichever comes first.
    let first_session = paired.first().map_or(joined, |day| (*day).min(joined));
    let days = Trajectory::judged_days(first_session, &paired, weeks);
    Judged { client, first_session, days }
}

/// Loads every PHQ-9 and GAD-7 of `clients`, still sealed, by client and day.
async fn load_days(db: &hearth_store::Db, clients: &[i64]) -> AppResult<HashMap<i64, Days>> {
    let mut days: HashMap<i64, Days> = HashMap::new();
    for row in db.list_report_scores(Some(clients)).await? {
        let day = days.entry(row.client_id).or_default().entry(row.taken_at.date_naive());
        let (phq9, gad7) = day.or_default();
        match row.instrument.as_str() {
            "phq9" => *phq9 = Some(row),
            "gad7" => *gad7 = Some(row),
            _ => {}
        }
    }
    Ok(days)
}

/// The practice-wide 8-week report, kept for a few minutes: the admin dashboard shows it on
/// every visit, and over a large practice it takes seconds to compute.
#[derive(Debug, Default)]
pub(crate) struct HeadlineCache {
    latest: std::sync::Mutex<Option<(DateTime<Utc>, OutcomeReport)>>,
    /// Held while the headline is made: a burst of views makes it once.
    refill: tokio::sync::Mutex<()>,
}

impl HeadlineCache {
    fn fresh(&self, now: DateTime<Utc>) -> Option<OutcomeReport> {
        let latest = self.latest.lock().ok()?;
        let (at, report) = latest.as_ref()?;
        (now >= *at && now - *at < HEADLINE_TTL).then(|| report.clone())
    }
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
        if let Some(report) = self.headline_cache.fresh(self.clock.now()) {
            return Ok(report);
        }
        let _refilling = self.headline_cache.refill.lock().await;
        let now = self.clock.now();
        if let Some(report) = self.headline_cache.fresh(now) {
            return Ok(report);
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
        let cohort: Cohort = firsts.iter().map(|(c, at)| (*c, at.date_naive())).collect();
        let clients: Vec<i64> = firsts.keys().copied().collect();
        let days = load_days(&self.db, &clients).await?;
        let report = self
            .reports_over(&[cohort], &days, weeks)
            .await?
            .pop()
            .unwrap_or_else(|| outcome_report(&[], weeks));
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

    /// One report per cohort over the same clients' scores, opening each judged day's sealed
    /// totals once however many cohorts judge it, off the async workers.
    pub(crate) async fn reports_over(
        &self,
        cohorts: &[Cohort],
        days: &HashMap<i64, Days>,
        weeks: u32,
    ) -> AppResult<Vec<OutcomeReport>> {
        let mut wanted: HashMap<(i64, NaiveDate), usize> = HashMap::new();
        let mut to_open = Vec::new();
        let mut plans = Vec::with_capacity(cohorts.len());
        for cohort in cohorts {
            let mut plan = Vec::with_capacity(cohort.len());
            for &(client, joined) in cohort {
                let judged = judge(client, joined, days.get(&client), weeks);
                for day in judged.days.iter().flat_map(|(a, b)| [*a, *b]) {
                    if wanted.contains_key(&(client, day)) {
                        continue;
                    }
                    let Some((Some(phq9), Some(gad7))) =
                        days.get(&client).and_then(|d| d.get(&day))
                    else {
                        continue;
                    };
                    wanted.insert((client, day), to_open.len());
                    to_open.extend([phq9.clone(), gad7.clone()]);
                }
                plan.push(judged);
            }
            plans.push(plan);
        }
        let totals: Vec<i32> =
            self.open_totals(to_open).await?.into_iter().map(|(_, _, total, _)| total).collect();
        let pair = |client: i64, day: NaiveDate| -> AppResult<PairedScores> {
            let at = wanted.get(&(client, day)).copied().unwrap_or(usize::MAX);
            let total = |k: usize| totals.get(at.saturating_add(k)).copied().unwrap_or(-1);
            PairedScores::new(day, total(0), total(1))
                .map_err(|e| anyhow::anyhow!("a stored total: {e}").into())
        };
        let mut reports = Vec::with_capacity(plans.len());
        for plan in plans {
            let mut trajectories = Vec::with_capacity(plan.len());
            for Judged { client, first_session, days } in plan {
                let pairs = match days {
                    None => Vec::new(),
                    Some((a, b)) => vec![pair(client, a)?, pair(client, b)?],
                };
                trajectories.push(
                    Trajectory::new(first_session, pairs).map_err(|e| anyhow::anyhow!("{e}"))?,
                );
            }
            reports.push(outcome_report(&trajectories, weeks));
        }
        Ok(reports)
    }
}
