//! Outcome reports from stored measures: "share of members with significant progress within
//! N weeks", with its denominator, the published definitions and a Wilson interval.

use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::{OutcomeReport, PairedScores, Role, Trajectory, outcome_report};
use std::collections::{BTreeMap, HashMap};

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

/// Pairs each day's PHQ-9 and GAD-7 (the last of each that day) into paired scores.
fn pair_by_day(scores: &[(String, i32, DateTime<Utc>)]) -> Vec<PairedScores> {
    let mut days: BTreeMap<NaiveDate, (Option<i32>, Option<i32>)> = BTreeMap::new();
    for (instrument, total, at) in scores {
        let day = days.entry(at.date_naive()).or_default();
        match instrument.as_str() {
            "phq9" => day.0 = Some(*total),
            "gad7" => day.1 = Some(*total),
            _ => {}
        }
    }
    days.into_iter()
        .filter_map(|(date, pair)| match pair {
            (Some(phq9), Some(gad7)) => PairedScores::new(date, phq9, gad7).ok(),
            _ => None,
        })
        .collect()
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
        // The totals are sealed: each is opened here, off the async workers.
        let rows = self.open_totals(self.db.list_report_scores(Some(&clients)).await?).await?;
        let mut by_client: HashMap<i64, Vec<(String, i32, DateTime<Utc>)>> = HashMap::new();
        for (client, instrument, total, at) in rows {
            by_client.entry(client).or_default().push((instrument, total, at));
        }
        let mut trajectories = Vec::with_capacity(firsts.len());
        for (client, joined) in &firsts {
            let pairs = by_client.get(client).map(|s| pair_by_day(s)).unwrap_or_default();
            // The baseline is usually taken at intake, before the first session: count the
            // series from whichever comes first.
            let first = pairs
                .first()
                .map_or(joined.date_naive(), |p| p.taken_on().min(joined.date_naive()));
            if let Ok(trajectory) = Trajectory::new(first, pairs) {
                trajectories.push(trajectory);
            }
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
