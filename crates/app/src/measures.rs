//! Measurement-based care and the risk path: a client answers a questionnaire; it is scored
//! by the published rules; an answer about self-harm returns crisis resources in the same
//! response and raises a flag that stays at the top of the care team's queue until a
//! clinician acknowledges it with a disposition. Every step is audit-logged.

use std::collections::HashMap;

use hearth_domain::access::{Action, Actor, Record, Ties, decide};
use hearth_domain::{Answers, Instrument, InstrumentId, Region, Risk, Role, Score, UserId};
use serde::Serialize;

use crate::sealed_fields::flag_level;
use crate::{App, AppError, AppResult, AuditContext, Authenticated, MeasureRow, RiskFlagRow};

/// A place to get help now.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CrisisLine {
    pub name: &'static str,
    pub how: &'static str,
    /// The link that reaches it from a phone (`tel:` or `sms:`) and its words.
    #[serde(skip)]
    pub reach: (&'static str, &'static str),
}

/// Shown at once whenever an answer signals risk, and on every page's footer in short.
pub const CRISIS_LINES: [CrisisLine; 3] = [
    CrisisLine {
        name: "988 Suicide & Crisis Lifeline",
        how: "Call or text 988 (US), any time, free and confidential.",
        reach: ("tel:988", "Call 988"),
    },
    CrisisLine {
        name: "Crisis Text Line",
        how: "Text HOME to 741741 to reach a trained crisis counselor.",
        reach: ("sms:741741", "Text 741741"),
    },
    CrisisLine {
        name: "Emergency services",
        how: "If you might act on these thoughts or are in danger now, call 911 or go to the nearest emergency room.",
        reach: ("tel:911", "Call 911"),
    },
];

/// A scored questionnaire, as the person who answered it sees it.
#[derive(Clone, Debug)]
pub struct MeasureResult {
    pub id: i64,
    pub score: Score,
    /// Present when the answers signal risk.
    pub crisis: Option<&'static [CrisisLine]>,
    /// A follow-up screen to offer at once (the ASQ after PHQ-9 item 9).
    pub follow_up: Option<InstrumentId>,
}

/// (first, latest) totals per measure; `None` before any score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScoreTrend {
    pub phq9: Option<(i32, i32)>,
    pub gad7: Option<(i32, i32)>,
}

impl ScoreTrend {
    /// "9 (down 5 since the first)" for a roster cell.
    pub fn describe(pair: Option<(i32, i32)>) -> String {
        match pair {
            None => "no scores".to_owned(),
            Some((first, latest)) if latest < first => {
                format!("{latest} (down {} since the first)", first - latest)
            }
            Some((first, latest)) if latest > first => {
                format!("{latest} (up {} since the first)", latest - first)
            }
            Some((_, latest)) => format!("{latest} (no change)"),
        }
    }
}

/// A risk flag with the person it concerns, for the care team's queue.
#[derive(Clone, Debug)]
pub struct RiskFlagView {
    pub flag: RiskFlagRow,
    /// The client's display name and region (the flag holds their id).
    pub client_name: String,
    pub client_region: Option<Region>,
    /// The opened disposition, once acknowledged, for those who may read it.
    pub disposition: Option<String>,
    /// The signed-in clinician may acknowledge it (an open flag of a client they treat, or
    /// of a client without a therapist).
    pub can_acknowledge: bool,
    /// Who to call about it: the client's therapist (name and email), if they have one.
    pub therapist: Option<(String, String)>,
    /// Who acknowledged it, by name.
    pub acknowledged_by: Option<String>,
}

const DISPOSITION_MAX: usize = 4000;

impl App {
    /// A client answers a questionnaire. Nothing is stored unless every answer is valid.
    pub async fn submit_measure(
        &self,
        who: &Authenticated,
        slug: &str,
        answers: &[f64],
        ctx: &AuditContext,
    ) -> AppResult<MeasureResult> {
        if who.user.role != Role::Client {
            return Err(AppError::refused("not_a_client", "only clients answer questionnaires"));
        }
        let instrument = Instrument::by_slug(slug).ok_or(AppError::NotFound)?;
        let parsed = Answers::parse_numbers(instrument, answers)
            .map_err(|e| AppError::invalid("answers", e))?;
        let subject = format!("client:{}", who.user.id);
        let record = self.audited_with(|&(id, flag): &(i64, Option<i64>)| {
            let detail = format!("measure={id} instrument={}", instrument.slug());
            let submitted = self.audit_entry(ctx, "measure.submitted", subject.clone(), detail);
            let raised = flag.map(|flag| {
                let detail = format!("flag={flag} measure={id}");
                self.audit_entry(ctx, "risk.flag.raised", subject, detail)
            });
            std::iter::once(submitted).chain(raised).collect()
        });
        let (score, id, _) =
            self.record_measure(who.user.id, &parsed, self.clock.now(), record).await?;
        let level = flag_level(score.risk);
        let follow_up =
            matches!(score.risk, Risk::SelfHarmThoughts { .. }).then_some(InstrumentId::Asq);
        Ok(MeasureResult { id, crisis: level.map(|_| &CRISIS_LINES[..]), follow_up, score })
    }

    /// A client's measures, oldest first (audited).
    pub async fn list_measures(
        &self,
        who: &Authenticated,
        client: UserId,
        instrument: Option<&str>,
        ctx: &AuditContext,
    ) -> AppResult<Vec<MeasureRow>> {
        self.authorize(who, client, Record::Measures, Action::Read).await?;
        let rows = self.opened_measures(client, instrument).await?;
        self.audit(
            ctx,
            "measure.read",
            format!("client:{client}"),
            format!("count={}", rows.len()),
        )
        .await?;
        Ok(rows)
    }

    /// First and latest PHQ-9 and GAD-7 totals of a client, for rosters (audited as a read).
    pub async fn score_trend(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<ScoreTrend> {
        let rows = self.list_measures(who, client, None, ctx).await?;
        Ok(trend_of(&rows))
    }

    /// [`App::score_trend`] with no check and no audit row: for callers that decided and
    /// audit the read themselves.
    pub(crate) async fn read_score_trend(&self, client: UserId) -> AppResult<ScoreTrend> {
        Ok(trend_of(&self.opened_measures(client, None).await?))
    }

    /// First and latest PHQ-9 and GAD-7 totals of each of `clients` the caller may read, for
    /// a roster of many: one batch of facts, one read of the totals, one audit row naming
    /// every client read. Clients the caller may not read are left out.
    pub async fn score_trends(
        &self,
        who: &Authenticated,
        clients: &[UserId],
        ctx: &AuditContext,
    ) -> AppResult<HashMap<UserId, ScoreTrend>> {
        let trends = self.score_trends_unaudited(who, clients).await?;
        if !trends.is_empty() {
            let mut ids: Vec<i64> = trends.keys().map(|c| c.get()).collect();
            ids.sort_unstable();
            let ids = ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            self.audit(ctx, "measure.read", "clients", format!("scores of clients={ids}")).await?;
        }
        Ok(trends)
    }

    /// [`App::score_trends`] for a page that writes its own one audit row naming the clients
    /// whose scores it read (the keys of the answer).
    pub(crate) async fn score_trends_unaudited(
        &self,
        who: &Authenticated,
        clients: &[UserId],
    ) -> AppResult<HashMap<UserId, ScoreTrend>> {
        let decisions = self.authorize_many(who, clients, Record::Measures, Action::Read).await?;
        let readable: Vec<i64> = clients
            .iter()
            .filter(|c| decisions.get(c).is_some_and(|d| d.allowed()))
            .map(|c| c.get())
            .collect();
        self.read_score_trends(readable).await
    }

    /// Score trends of members seated in groups `who` leads. Leading a client's group is the
    /// policy's "treats" tie, so the members need no facts read about each: one decision for
    /// all of them (a roster of 140 spent 3 ms gathering facts the roster already implied).
    pub(crate) async fn member_score_trends(
        &self,
        who: &Authenticated,
        members: &[UserId],
    ) -> AppResult<HashMap<UserId, ScoreTrend>> {
        let ties = Ties { treats: true, has_therapist: true, ..Ties::default() };
        if !decide(&Actor { role: who.user.role, ties }, Record::Measures, Action::Read).allowed() {
            return Ok(HashMap::new());
        }
        self.read_score_trends(members.iter().map(|c| c.get()).collect()).await
    }

    /// The first and latest PHQ-9 and GAD-7 totals of each of `readable` (already allowed).
    async fn read_score_trends(
        &self,
        mut readable: Vec<i64>,
    ) -> AppResult<HashMap<UserId, ScoreTrend>> {
        readable.sort_unstable();
        readable.dedup();
        if readable.is_empty() {
            return Ok(HashMap::new());
        }
        let totals = self.open_totals(self.db.list_first_and_last_scores(&readable).await?).await?;
        let mut trends: HashMap<UserId, ScoreTrend> =
            readable.iter().map(|&c| (UserId::new(c), ScoreTrend::default())).collect();
        // The rows come by client, then time: the first seen is the first, the last the latest.
        for (client, instrument, total, _) in totals {
            let Some(trend) = trends.get_mut(&UserId::new(client)) else { continue };
            let slot = match instrument.as_str() {
                "phq9" => &mut trend.phq9,
                "gad7" => &mut trend.gad7,
                _ => continue,
            };
            *slot = Some(slot.map_or((total, total), |(first, _)| (first, total)));
        }
        Ok(trends)
    }

    /// Open risk flags the caller can see (for dashboards and the queue's badge).
    pub async fn open_risk_flag_count(&self, who: &Authenticated) -> AppResult<usize> {
        if !who.user.role.is_staff() {
            return Ok(0);
        }
        // Who may see a flag depends on the role alone for staff today: then the count is one
        // COUNT, not every open flag with facts about each client.
        match hearth_domain::access::decide_regardless_of_ties(
            who.user.role,
            Record::RiskSignal,
            Action::Read,
        ) {
            Some(false) => return Ok(0),
            Some(true) => return Ok(crate::paging::total(self.db.count_open_risk_flags().await?)),
            None => {}
        }
        let open = self.db.list_risk_flags(false).await?;
        let clients: Vec<UserId> = open.iter().map(|f| UserId::new(f.client_id)).collect();
        let allowed = self.authorize_many(who, &clients, Record::RiskSignal, Action::Read).await?;
        Ok(clients.iter().filter(|c| allowed.get(c).is_some_and(|d| d.allowed())).count())
    }

    /// A clinician (a therapist) acknowledges a flag with a disposition: what was done.
    pub async fn acknowledge_risk_flag(
        &self,
        who: &Authenticated,
        flag: i64,
        disposition: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if !who.user.role.is_staff() {
            return Err(AppError::Forbidden);
        }
        if who.user.role != Role::Therapist {
            return Err(AppError::refused(
                "clinician_required",
                "a licensed clinician acknowledges risk flags; coordinators see them and call the on-duty therapist",
            ));
        }
        let found = self.db.find_risk_flag(flag).await?.ok_or(AppError::NotFound)?;
        self.authorize(who, UserId::new(found.client_id), Record::RiskResponse, Action::Sign)
            .await?;
        let disposition = disposition.trim();
        if disposition.is_empty() {
            return Err(AppError::invalid(
                "disposition",
                "describe what was done: contact made, safety plan, referral",
            ));
        }
        if disposition.chars().count() > DISPOSITION_MAX {
            return Err(AppError::invalid(
                "disposition",
                format!("at most {DISPOSITION_MAX} characters"),
            ));
        }
        let sealed = self
            .vault
            .seal(disposition, &format!("risk_flag:{}", found.id))
            .map_err(|e| anyhow::anyhow!("sealing a disposition: {e}"))?;
        let record = self.audited(
            ctx,
            "risk.flag.acknowledged",
            format!("client:{}", found.client_id),
            format!("flag={}", found.id),
        );
        self.db
            .acknowledge_risk_flag(found.id, who.user.id, self.clock.now(), &sealed, record)
            .await
            .map_err(|e| match e {
                hearth_store::StoreError::NotFound => {
                    AppError::refused("already_acknowledged", "this flag was already acknowledged")
                }
                other => other.into(),
            })?;
        Ok(())
    }
}

/// First and latest PHQ-9 and GAD-7 totals among `rows` (oldest first).
fn trend_of(rows: &[MeasureRow]) -> ScoreTrend {
    let trend = |instrument: InstrumentId| {
        let mut totals = rows.iter().filter(|m| m.instrument == instrument).filter_map(|m| m.total);
        let first = totals.next()?;
        Some((first, totals.next_back().unwrap_or(first)))
    };
    ScoreTrend { phq9: trend(InstrumentId::Phq9), gad7: trend(InstrumentId::Gad7) }
}
