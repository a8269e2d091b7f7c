//! `/api/v1` routes of measures and the risk path, and the outcomes report.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, Utc};
use hearth_app::{MeasureResult, RiskFlagView};
use hearth_domain::UserId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::{Json, Query};
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/measures/{instrument}", post(submit_measure))
        .route("/clients/{id}/measures", get(list_measures))
        .route("/risk-flags", get(risk_queue))
        .route("/risk-flags/{id}/acknowledge", post(acknowledge))
        .route("/reports/outcomes", get(outcomes_report))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct AnswersBody {
    /// One whole number per item, in the instrument's order.
    #[schema(value_type = Vec<i64>, example = json!([1, 0, 2, 1, 0, 1, 0, 0, 0]))]
    answers: Vec<Value>,
}

/// Whole numbers only; anything else names its place in the list.
fn numbers(answers: &[Value]) -> Result<Vec<f64>> {
    answers
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_f64().ok_or_else(|| {
                Error::bad_request(
                    Some("answers"),
                    format!("answer {} must be a whole number", i + 1),
                )
            })
        })
        .collect()
}

/// The instruments Hearth scores.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum Instrument {
    Phq9,
    Gad7,
    Proqol5,
    Asq,
}

impl From<hearth_domain::InstrumentId> for Instrument {
    fn from(id: hearth_domain::InstrumentId) -> Self {
        use hearth_domain::InstrumentId as I;
        match id {
            I::Phq9 => Instrument::Phq9,
            I::Gad7 => Instrument::Gad7,
            I::Proqol5 => Instrument::Proqol5,
            I::Asq => Instrument::Asq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SubscaleJson {
    slug: &'static str,
    name: &'static str,
    score: i32,
    band: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CrisisLineJson {
    name: &'static str,
    how: &'static str,
}

/// A scored questionnaire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MeasureResult)]
pub(super) struct MeasureResultJson {
    id: i64,
    instrument: Instrument,
    /// None for instruments without a total (ASQ, ProQOL-5).
    total: Option<i32>,
    severity: Option<&'static str>,
    /// ProQOL-5 only.
    subscales: Vec<SubscaleJson>,
    /// An answer signals risk: a risk flag was raised.
    risk: bool,
    /// Present when the answers signal risk.
    crisis_resources: Option<Vec<CrisisLineJson>>,
    /// A follow-up screen to offer at once (the ASQ after PHQ-9 item 9).
    follow_up: Option<&'static str>,
}

fn result_json(result: &MeasureResult) -> MeasureResultJson {
    let score = &result.score;
    MeasureResultJson {
        id: result.id,
        instrument: score.instrument.into(),
        total: score.total,
        severity: score.band.map(|b| b.slug),
        subscales: score
            .subscales
            .iter()
            .map(|s| SubscaleJson { slug: s.slug, name: s.name, score: s.score, band: s.band.slug })
            .collect(),
        risk: score.risk.is_flagged(),
        crisis_resources: result.crisis.map(|lines| {
            lines.iter().map(|l| CrisisLineJson { name: l.name, how: l.how }).collect()
        }),
        follow_up: result.follow_up.map(hearth_domain::InstrumentId::slug),
    }
}

/// Answer a questionnaire (client)
///
/// phq9, gad7, proqol5 or asq. Any risky answer returns crisis resources at once and raises a
/// risk flag.
#[utoipa::path(
    post,
    path = "/measures/{instrument}",
    params(("instrument" = Instrument, Path, description = "Which questionnaire")),
    responses(
        (status = 201, description = "Stored and scored", body = MeasureResultJson),
        (status = 400, description = "An answer is not a number, or a malformed body", body = ErrorBody),
        (status = 404, description = "Unknown instrument", body = ErrorBody),
        (status = 409, description = "Only clients answer questionnaires", body = ErrorBody),
        (status = 422, description = "Wrong number of answers or a value out of range, named \
            in fields.answers", body = ErrorBody),
    )
)]
pub(super) async fn submit_measure(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(instrument): Path<String>,
    Json(body): Json<AnswersBody>,
) -> Result<impl IntoResponse> {
    let answers = numbers(&body.answers)?;
    let result =
        state.app.submit_measure(&who, &instrument, &answers, &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(result_json(&result))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MeasureQuery {
    /// Only this instrument (phq9, gad7, proqol5, asq).
    instrument: Option<String>,
}

/// A subscale's score as stored with a measure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(super) struct StoredSubscale {
    slug: String,
    score: i32,
    band: String,
}

/// A stored questionnaire.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MeasureJson {
    id: i64,
    instrument: String,
    total: Option<i32>,
    severity: Option<String>,
    /// The ProQOL-5's subscales as scored (an empty list for the others).
    subscales: Option<Vec<StoredSubscale>>,
    risk: bool,
    taken_at: DateTime<Utc>,
}

/// A client's measures, oldest first (the client, their therapists, coordinators and admins; audited)
#[utoipa::path(
    get,
    path = "/clients/{id}/measures",
    params(("id" = i64, Path, description = "The client"), MeasureQuery),
    responses(
        (status = 200, description = "The client's measures", body = Vec<MeasureJson>),
        (status = 403, description = "Not this client's care team", body = ErrorBody),
    )
)]
pub(super) async fn list_measures(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Query(query): Query<MeasureQuery>,
) -> Result<impl IntoResponse> {
    let rows = state
        .app
        .list_measures(&who, UserId::new(id), query.instrument.as_deref(), &meta.audit(Some(&who)))
        .await?;
    Ok(JsonBody(
        rows.iter()
            .map(|m| MeasureJson {
                id: m.id,
                instrument: m.instrument.slug().to_owned(),
                total: m.total,
                severity: m.severity.clone(),
                subscales: serde_json::from_str(&m.subscales).ok(),
                risk: m.risk.is_some(),
                taken_at: m.taken_at,
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RiskFlagJson {
    id: i64,
    client_id: i64,
    client_name: String,
    /// self_harm_thoughts, positive_screen or acute.
    level: String,
    raised_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<i64>,
    disposition: Option<String>,
}

fn flag_json(v: &RiskFlagView) -> RiskFlagJson {
    RiskFlagJson {
        id: v.flag.id,
        client_id: v.flag.client_id,
        client_name: v.client_name.clone(),
        level: v.flag.level.as_str().to_owned(),
        raised_at: v.flag.raised_at,
        acknowledged_at: v.flag.acknowledged_at,
        acknowledged_by: v.flag.acknowledged_by,
        disposition: v.disposition.clone(),
    }
}

/// The care team's risk queue: open flags first, acute first (staff; audited)
#[utoipa::path(
    get,
    path = "/risk-flags",
    responses(
        (status = 200, description = "The queue", body = Vec<RiskFlagJson>),
        (status = 403, description = "Clients may not", body = ErrorBody),
    )
)]
pub(super) async fn risk_queue(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let queue = state.app.risk_queue(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(queue.iter().map(flag_json).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct AcknowledgeBody {
    /// What was done (stored encrypted).
    #[schema(min_length = 1, example = "Called the client; safety plan reviewed.")]
    disposition: String,
}

/// A clinician (therapist) acknowledges a flag with a disposition
#[utoipa::path(
    post,
    path = "/risk-flags/{id}/acknowledge",
    responses(
        (status = 204, description = "Acknowledged"),
        (status = 403, description = "Not this client's clinician", body = ErrorBody),
        (status = 404, description = "No such flag", body = ErrorBody),
        (status = 409, description = "Not a clinician, or already acknowledged", body = ErrorBody),
        (status = 422, description = "Empty or too long disposition", body = ErrorBody),
    )
)]
pub(super) async fn acknowledge(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<AcknowledgeBody>,
) -> Result<StatusCode> {
    state.app.acknowledge_risk_flag(&who, id, &body.disposition, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReportQuery {
    /// Weeks from each first session (default 8).
    #[param(minimum = 1, maximum = 104)]
    weeks: Option<u32>,
    /// One group's members.
    group: Option<i64>,
    /// One therapist's clients (coordinators and admins).
    therapist: Option<i64>,
    /// One program's (service line's) clients.
    program: Option<String>,
}

fn rate_json(rate: Option<&hearth_domain::Rate>) -> (Option<f64>, Option<[f64; 2]>) {
    match rate {
        Some(r) => (Some(r.rate), Some([r.ci95.0, r.ci95.1])),
        None => (None, None),
    }
}

/// One outcome's count.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct OutcomeJson {
    slug: &'static str,
    name: &'static str,
    numerator: u32,
    denominator: u32,
    /// numerator / denominator; null when nobody was eligible.
    rate: Option<f64>,
    /// The Wilson 95% interval, [low, high].
    ci95: Option<[f64; 2]>,
    definition: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ExcludedJson {
    fewer_than_two_scores: u32,
    not_at_caseness: u32,
}

/// The headline (reliable improvement) at the top level, every outcome below it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct OutcomeReportJson {
    weeks: u32,
    eligible: u32,
    reliably_improved: u32,
    rate: Option<f64>,
    ci95: Option<[f64; 2]>,
    definition: String,
    considered: u32,
    excluded: ExcludedJson,
    outcomes: Vec<OutcomeJson>,
}

/// Outcomes within N weeks of the first session
///
/// Staff; a therapist's report covers their clients. The headline is reliable improvement,
/// with its denominator and a Wilson 95% interval; every published outcome follows.
#[utoipa::path(
    get,
    path = "/reports/outcomes",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", body = OutcomeReportJson),
        (status = 403, description = "Clients may not", body = ErrorBody),
        (status = 422, description = "weeks out of range or unknown program", body = ErrorBody),
    )
)]
pub(super) async fn outcomes_report(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Query(query): Query<ReportQuery>,
) -> Result<impl IntoResponse> {
    let scope = hearth_app::ReportScope {
        group: query.group,
        therapist: query.therapist,
        program: query.program,
    };
    let report = state
        .app
        .outcome_report(&who, query.weeks.unwrap_or(8), &scope, &meta.audit(Some(&who)))
        .await?;
    let headline = report.count(hearth_domain::Outcome::ReliableImprovement);
    let (rate, ci95) = rate_json(headline.rate.as_ref());
    let outcomes: Vec<OutcomeJson> = report
        .outcomes
        .iter()
        .map(|c| {
            let (rate, ci95) = rate_json(c.rate.as_ref());
            OutcomeJson {
                slug: c.outcome.slug(),
                name: c.outcome.name(),
                numerator: c.numerator,
                denominator: c.denominator,
                rate,
                ci95,
                definition: c.outcome.definition(),
            }
        })
        .collect();
    Ok(JsonBody(OutcomeReportJson {
        weeks: report.window_weeks,
        eligible: report.eligible,
        reliably_improved: headline.numerator,
        rate,
        ci95,
        definition: format!(
            "{} Eligible: at caseness at the first score (PHQ-9 of 10 or more, or GAD-7 of 8 or more), with at least two paired PHQ-9 and GAD-7 scores within {} weeks of the first session.",
            hearth_domain::Outcome::ReliableImprovement.definition(),
            report.window_weeks
        ),
        considered: report.considered,
        excluded: ExcludedJson {
            fewer_than_two_scores: report.fewer_than_two_scores,
            not_at_caseness: report.not_at_caseness,
        },
        outcomes,
    }))
}
