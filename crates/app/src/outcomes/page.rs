//! The outcome report as staff read it: the practice's figures, then the same report for each
//! group, each therapist and each service line, made from one read of the memberships and
//! one of the scores, and kept for a few minutes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::{GroupFilter, GroupId, OutcomeReport, Role, UserId, outcome_report};

use super::{Cohort, load_days};
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// A breakdown with fewer eligible members than this shows its counts of who was considered
/// but no rates: a rate from so few people says little, and could point to one person.
pub const REPORT_SMALLEST_SHOWN: u32 = 5;

/// How long a computed report page is served before it is made again.
const REPORT_PAGE_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// One line of a breakdown.
#[derive(Clone, Debug)]
pub struct ReportLine {
    /// E.g. "Anger management with Dana Reyes (group 37)".
    pub label: String,
    /// The group the line is about, for a link.
    pub group: Option<GroupId>,
    pub report: OutcomeReport,
}

impl ReportLine {
    /// Whether the line has enough eligible members to show its rates.
    pub fn shows_rates(&self) -> bool {
        self.report.eligible >= REPORT_SMALLEST_SHOWN
    }
}

/// Everything the outcome report page shows.
#[derive(Clone, Debug)]
pub struct OutcomeReportPage {
    pub weeks: u32,
    /// Every client in scope (the practice, or a therapist's own clients).
    pub overall: OutcomeReport,
    /// Whether `overall` covers only the viewing therapist's clients.
    pub own_clients_only: bool,
    /// Groups with anyone considered, most eligible first.
    pub by_group: Vec<ReportLine>,
    pub by_therapist: Vec<ReportLine>,
    /// Every service line; only weekly groups enrol members so far.
    pub by_program: Vec<ReportLine>,
    /// When the figures were computed.
    pub as_of: DateTime<Utc>,
}

/// A report page's scope (a therapist's own clients, or the practice) and its weeks.
type PageKey = (Option<UserId>, u32);

/// Recently made report pages, by (therapist scope, weeks), and one lock per key held while
/// that page is made: a burst of views of one page makes it once, and a therapist's page is
/// not kept waiting while the practice's is made.
#[derive(Debug, Default)]
pub(crate) struct ReportPageCache {
    pages: std::sync::Mutex<HashMap<PageKey, Arc<OutcomeReportPage>>>,
    making: std::sync::Mutex<HashMap<PageKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl ReportPageCache {
    fn fresh(&self, key: PageKey, now: DateTime<Utc>) -> Option<Arc<OutcomeReportPage>> {
        let pages = self.pages.lock().ok()?;
        pages.get(&key).filter(|p| now >= p.as_of && now - p.as_of < REPORT_PAGE_TTL).cloned()
    }

    fn lock_for(&self, key: PageKey) -> Arc<tokio::sync::Mutex<()>> {
        self.making
            .lock()
            .map(|mut making| Arc::clone(making.entry(key).or_default()))
            .unwrap_or_default()
    }
}

/// The cohorts of one report page: everyone, then each group, then each therapist.
struct Cohorts {
    overall: Cohort,
    groups: Vec<(GroupId, Cohort)>,
    therapists: Vec<(UserId, Cohort)>,
}

fn cohorts(rows: Vec<(i64, i64, i64, DateTime<Utc>)>) -> Cohorts {
    let mut overall: BTreeMap<i64, NaiveDate> = BTreeMap::new();
    let mut groups: BTreeMap<i64, BTreeMap<i64, NaiveDate>> = BTreeMap::new();
    let mut therapists: BTreeMap<i64, BTreeMap<i64, NaiveDate>> = BTreeMap::new();
    for (client, group, therapist, joined) in rows {
        let day = joined.date_naive();
        for (map, key) in [(&mut groups, group), (&mut therapists, therapist)] {
            let first = map.entry(key).or_default().entry(client).or_insert(day);
            *first = (*first).min(day);
        }
        let first = overall.entry(client).or_insert(day);
        *first = (*first).min(day);
    }
    let flatten = |m: BTreeMap<i64, NaiveDate>| m.into_iter().collect::<Cohort>();
    Cohorts {
        overall: flatten(overall),
        groups: groups.into_iter().map(|(g, m)| (GroupId::new(g), flatten(m))).collect(),
        therapists: therapists.into_iter().map(|(t, m)| (UserId::new(t), flatten(m))).collect(),
    }
}

impl App {
    /// The outcome report page over `weeks` weeks: staff only; a therapist's covers their own
    /// clients. Figures are at most five minutes old (the page says when they were made).
    pub async fn outcome_report_page(
        &self,
        who: &Authenticated,
        weeks: u32,
        ctx: &AuditContext,
    ) -> AppResult<Arc<OutcomeReportPage>> {
        if who.user.role == Role::Client {
            return Err(AppError::Forbidden);
        }
        if !(1..=104).contains(&weeks) {
            return Err(AppError::invalid("weeks", "choose between 1 and 104 weeks"));
        }
        let scope = (who.user.role == Role::Therapist).then_some(who.user.id);
        let page = self.report_page(scope, weeks).await?;
        let scope_text = scope.map_or("practice".to_owned(), |t| format!("therapist={t}"));
        self.audit(ctx, "report.outcomes.read", "reports", format!("{scope_text} weeks={weeks}"))
            .await?;
        Ok(page)
    }

    /// The report page for `scope` and `weeks`: the kept one if fresh, else made once.
    async fn report_page(
        &self,
        scope: Option<UserId>,
        weeks: u32,
    ) -> AppResult<Arc<OutcomeReportPage>> {
        let key = (scope, weeks);
        if let Some(page) = self.report_pages.fresh(key, self.clock.now()) {
            return Ok(page);
        }
        let making = self.report_pages.lock_for(key);
        let _making = making.lock().await;
        let now = self.clock.now();
        if let Some(page) = self.report_pages.fresh(key, now) {
            return Ok(page);
        }
        let page = Arc::new(self.make_report_page(scope, weeks, now).await?);
        if let Ok(mut pages) = self.report_pages.pages.lock() {
            pages.insert(key, Arc::clone(&page));
        }
        Ok(page)
    }

    async fn make_report_page(
        &self,
        scope: Option<UserId>,
        weeks: u32,
        now: DateTime<Utc>,
    ) -> AppResult<OutcomeReportPage> {
        let Cohorts { overall, groups, therapists } =
            cohorts(self.db.list_report_memberships(scope).await?);
        let clients: Vec<i64> = overall.iter().map(|(c, _)| *c).collect();
        let days = load_days(&self.db, &clients).await?;
        let mut all = Vec::with_capacity(1 + groups.len() + therapists.len());
        all.push(overall);
        all.extend(groups.iter().map(|(_, c)| c.clone()));
        all.extend(therapists.iter().map(|(_, c)| c.clone()));
        let mut reports = self.reports_over(&all, &days, weeks).await?.into_iter();
        let overall = reports.next().unwrap_or_else(|| outcome_report(&[], weeks));
        let group_reports: Vec<OutcomeReport> = reports.by_ref().take(groups.len()).collect();
        let therapist_reports: Vec<OutcomeReport> = reports.collect();

        let ids: Vec<GroupId> = groups.iter().map(|(g, _)| *g).collect();
        let filter = GroupFilter { ids: Some(ids), ..GroupFilter::default() };
        let group_rows = self.db.list_groups(&filter).await?;
        let topics: HashMap<String, String> =
            self.topics().await?.iter().map(|t| (t.slug.clone(), t.name.clone())).collect();
        let names = self
            .display_names(
                therapists.iter().map(|(t, _)| *t).chain(group_rows.iter().map(|g| g.therapist_id)),
            )
            .await?;
        let name_of = |id: &UserId| names.get(id).cloned().unwrap_or_else(|| "a therapist".into());
        let by_id: HashMap<GroupId, &hearth_domain::Group> =
            group_rows.iter().map(|g| (g.id, g)).collect();

        let mut by_group: Vec<ReportLine> = groups
            .iter()
            .zip(group_reports)
            .map(|((id, _), report)| {
                let label = by_id.get(id).map_or_else(
                    || format!("Group {id}"),
                    |g| {
                        let topic = topics.get(&g.topic).map_or(g.topic.as_str(), String::as_str);
                        format!("{topic} with {} (group {id})", name_of(&g.therapist_id))
                    },
                );
                ReportLine { label, group: Some(*id), report }
            })
            .collect();
        by_group.sort_by_key(|l| std::cmp::Reverse(l.report.eligible));
        let mut by_therapist: Vec<ReportLine> = therapists
            .iter()
            .zip(therapist_reports)
            .map(|((id, _), report)| ReportLine { label: name_of(id), group: None, report })
            .collect();
        by_therapist.sort_by_key(|l| std::cmp::Reverse(l.report.eligible));
        let by_program = self
            .db
            .list_programs()
            .await?
            .into_iter()
            .map(|p| ReportLine {
                report: if p.slug == "group" {
                    overall.clone()
                } else {
                    outcome_report(&[], weeks)
                },
                label: p.name,
                group: None,
            })
            .collect();
        Ok(OutcomeReportPage {
            weeks,
            overall,
            own_clients_only: scope.is_some(),
            by_group,
            by_therapist,
            by_program,
            as_of: now,
        })
    }
}
