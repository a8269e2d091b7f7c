//! The outcome report for staff: a page that says the practice's figures in plain words with
//! their definitions and breakdowns, and the same figures as a CSV file.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_app::{OutcomeReportPage, REPORT_SMALLEST_SHOWN, ReportLine};
use hearth_domain::{CASENESS_DEFINITION, Outcome, OutcomeReport};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::json::Query;
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

/// At most this many groups are listed on the page; the CSV has them all.
const GROUPS_SHOWN: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/outcomes", get(report_page))
        .route("/reports/outcomes.csv", get(report_csv))
}

#[derive(Deserialize)]
struct WeeksQuery {
    weeks: Option<u32>,
}

/// The practice's headline in one sentence, with its denominator and interval.
pub(crate) fn headline_sentence(report: &OutcomeReport) -> String {
    let improved = report.count(Outcome::ReliableImprovement);
    match &improved.rate {
        Some(rate) => format!(
            "Of {} members at clinical levels when they started, {} ({:.0}%, 95% CI {:.0}–{:.0}%) made reliable improvement within {} weeks of their first session.",
            improved.denominator,
            improved.numerator,
            rate.rate * 100.0,
            rate.ci95.0 * 100.0,
            rate.ci95.1 * 100.0,
            report.window_weeks
        ),
        None => format!(
            "No member has two paired check-ins within {} weeks of their first session yet, so there is no outcome figure.",
            report.window_weeks
        ),
    }
}

/// One outcome as a table row.
struct OutcomeRow {
    name: &'static str,
    definition: &'static str,
    count: String,
    rate: String,
}

/// One breakdown line as a table row.
struct LineRow {
    label: String,
    href: Option<String>,
    considered: u32,
    eligible: u32,
    /// The headline outcome, or why it is not shown.
    improved: String,
    recovered: String,
}

fn percent(count: &hearth_domain::OutcomeCount) -> String {
    match &count.rate {
        Some(r) => format!(
            "{:.0}% (95% CI {:.0}–{:.0}%)",
            r.rate * 100.0,
            r.ci95.0 * 100.0,
            r.ci95.1 * 100.0
        ),
        None => "no one eligible".to_owned(),
    }
}

fn line_row(line: &ReportLine) -> LineRow {
    let r = &line.report;
    let figure = |outcome| {
        if line.shows_rates() {
            let count = r.count(outcome);
            format!("{} of {}: {}", count.numerator, count.denominator, percent(count))
        } else {
            format!("too few to show (under {REPORT_SMALLEST_SHOWN} eligible)")
        }
    };
    LineRow {
        label: line.label.clone(),
        href: line.group.map(|g| format!("/groups/{g}")),
        considered: r.considered,
        eligible: r.eligible,
        improved: figure(Outcome::ReliableImprovement),
        recovered: figure(Outcome::Recovery),
    }
}

#[derive(Template)]
#[template(path = "outcome_report.html")]
struct ReportTemplate {
    layout: Layout,
    weeks: u32,
    headline: String,
    own_clients_only: bool,
    as_of: String,
    considered: u32,
    eligible: u32,
    fewer_than_two: u32,
    not_at_caseness: u32,
    caseness: &'static str,
    outcomes: Vec<OutcomeRow>,
    by_program: Vec<LineRow>,
    by_therapist: Vec<LineRow>,
    by_group: Vec<LineRow>,
    groups_not_shown: usize,
    smallest: u32,
}

async fn report_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Query(query): Query<WeeksQuery>,
) -> Result<Response> {
    let weeks = query.weeks.unwrap_or(8);
    let report = state.app.outcome_report_page(&who, weeks, &meta.audit(Some(&who))).await?;
    let overall = &report.overall;
    let zone = who.user.timezone.tz();
    Ok(page(&ReportTemplate {
        layout: Layout::new("Outcome report", Some(&who), &csrf),
        weeks,
        headline: headline_sentence(overall),
        own_clients_only: report.own_clients_only,
        as_of: when.at(report.as_of, zone),
        considered: overall.considered,
        eligible: overall.eligible,
        fewer_than_two: overall.fewer_than_two_scores,
        not_at_caseness: overall.not_at_caseness,
        caseness: CASENESS_DEFINITION,
        outcomes: overall
            .outcomes
            .iter()
            .map(|c| OutcomeRow {
                name: c.outcome.name(),
                definition: c.outcome.definition(),
                count: format!("{} of {}", c.numerator, c.denominator),
                rate: percent(c),
            })
            .collect(),
        by_program: report.by_program.iter().map(line_row).collect(),
        by_therapist: report.by_therapist.iter().map(line_row).collect(),
        by_group: report.by_group.iter().take(GROUPS_SHOWN).map(line_row).collect(),
        groups_not_shown: report.by_group.len().saturating_sub(GROUPS_SHOWN),
        smallest: REPORT_SMALLEST_SHOWN,
    }))
}

/// The report as CSV: one row per scope and outcome. Small breakdowns carry their counts of
/// who was considered but no numerators or rates, as on the page.
fn csv_of(report: &OutcomeReportPage) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "scope",
        "name",
        "weeks",
        "outcome",
        "considered",
        "eligible",
        "met",
        "rate",
        "ci95_low",
        "ci95_high",
    ])?;
    let practice = ReportLine {
        label: if report.own_clients_only { "My clients" } else { "Practice" }.to_owned(),
        group: None,
        report: report.overall.clone(),
    };
    let scopes = std::iter::once(("overall", &practice, true))
        .chain(report.by_program.iter().map(|l| ("program", l, l.shows_rates())))
        .chain(report.by_therapist.iter().map(|l| ("therapist", l, l.shows_rates())))
        .chain(report.by_group.iter().map(|l| ("group", l, l.shows_rates())));
    for (scope, line, shown) in scopes {
        for count in &line.report.outcomes {
            let (met, rate, low, high) = match (&count.rate, shown) {
                (Some(r), true) => (
                    count.numerator.to_string(),
                    format!("{:.4}", r.rate),
                    format!("{:.4}", r.ci95.0),
                    format!("{:.4}", r.ci95.1),
                ),
                (None, true) => {
                    (count.numerator.to_string(), String::new(), String::new(), String::new())
                }
                (_, false) => Default::default(),
            };
            out.write_record([
                scope,
                &spreadsheet_safe(&line.label),
                &report.weeks.to_string(),
                count.outcome.slug(),
                &line.report.considered.to_string(),
                &line.report.eligible.to_string(),
                &met,
                &rate,
                &low,
                &high,
            ])?;
        }
    }
    out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// A cell a spreadsheet would read as a formula starts with a quote mark instead.
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

async fn report_csv(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Query(query): Query<WeeksQuery>,
) -> Result<Response> {
    let weeks = query.weeks.unwrap_or(8);
    let report = state.app.outcome_report_page(&who, weeks, &meta.audit(Some(&who))).await?;
    let body = csv_of(&report).map_err(hearth_app::AppError::Unexpected)?;
    let name = format!("attachment; filename=\"hearth-outcomes-{weeks}-weeks.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_look_like_formulas_are_quoted() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe("Anger management"), "Anger management");
    }
}
