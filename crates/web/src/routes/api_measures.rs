//! `/api/v1` routes of measures and the risk path.

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
        .route("/clients/{id}/safety-plan", get(get_safety_plan).put(put_safety_plan))
        .route("/me/intake", axum::routing::put(put_intake))
        .route("/me/check-in", get(my_check_in))
        .route("/check-ins/overdue", get(overdue_check_ins))
        .route("/clients/{id}/intake", get(get_intake))
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
                instrument: m.instrument.clone(),
                total: m.total,
                severity: m.severity.clone(),
                subscales: serde_json::from_str(&m.subscales).ok(),
                risk: m.risk != "none",
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
        client_name: v.client.display_name.as_str().to_owned(),
        level: v.flag.level.clone(),
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

/// A safety plan's sections, in the order the plan is read in a crisis; at most 4,000
/// characters each.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(super) struct SafetyPlanBody {
    #[serde(default)]
    #[schema(max_length = 4000)]
    warning_signs: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    coping_steps: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    people_and_places: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    professionals_and_crisis_lines: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    making_the_environment_safe: String,
}

impl From<SafetyPlanBody> for hearth_app::SafetyPlan {
    fn from(body: SafetyPlanBody) -> Self {
        let SafetyPlanBody {
            warning_signs,
            coping_steps,
            people_and_places,
            professionals_and_crisis_lines,
            making_the_environment_safe,
        } = body;
        hearth_app::SafetyPlan {
            warning_signs,
            coping_steps,
            people_and_places,
            professionals_and_crisis_lines,
            making_the_environment_safe,
        }
    }
}

/// A safety plan with who last changed it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct StoredSafetyPlanJson {
    #[serde(flatten)]
    plan: SafetyPlanBody,
    updated_at: DateTime<Utc>,
    updated_by: i64,
}

/// The client's safety plan (the client and their care team; audited; stored encrypted)
#[utoipa::path(
    get,
    path = "/clients/{id}/safety-plan",
    responses(
        (status = 200, description = "The plan", body = StoredSafetyPlanJson),
        (status = 403, description = "Not the client or their care team", body = ErrorBody),
        (status = 404, description = "No such client, or no plan written yet", body = ErrorBody),
    )
)]
pub(super) async fn get_safety_plan(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let stored = state.app.safety_plan(&who, UserId::new(id), &meta.audit(Some(&who))).await?;
    let stored = stored.ok_or_else(Error::not_found)?;
    let hearth_app::SafetyPlan {
        warning_signs,
        coping_steps,
        people_and_places,
        professionals_and_crisis_lines,
        making_the_environment_safe,
    } = stored.plan;
    Ok(JsonBody(StoredSafetyPlanJson {
        plan: SafetyPlanBody {
            warning_signs,
            coping_steps,
            people_and_places,
            professionals_and_crisis_lines,
            making_the_environment_safe,
        },
        updated_at: stored.updated_at,
        updated_by: stored.updated_by.get(),
    }))
}

/// Write the whole plan (the client and their care team)
#[utoipa::path(
    put,
    path = "/clients/{id}/safety-plan",
    responses(
        (status = 204, description = "Saved"),
        (status = 403, description = "Not the client or their care team", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 422, description = "A section is too long, or a control character", body = ErrorBody),
    )
)]
pub(super) async fn put_safety_plan(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(plan): Json<SafetyPlanBody>,
) -> Result<StatusCode> {
    let plan = plan.into();
    state.app.save_safety_plan(&who, UserId::new(id), &plan, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An intake as a client submits it.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct IntakeBody {
    #[schema(
        required = true,
        nullable = false,
        max_length = 4000,
        example = "Worry that keeps me up at night."
    )]
    reasons: Option<String>,
    #[schema(nullable = false, max_length = 4000)]
    goals: Option<String>,
    /// Program slugs (see GET /programs).
    #[serde(default)]
    service_lines: Vec<String>,
    /// Topic slugs (see GET /topics).
    #[serde(default)]
    topics: Vec<String>,
    #[schema(nullable = false, max_length = 4000)]
    preferences: Option<String>,
    /// Weekly windows in the client's zone.
    #[serde(default)]
    #[schema(example = json!(["mon 18:00-21:00"]))]
    availability: Vec<String>,
    #[schema(required = true, nullable = false, max_length = 200, example = "Alex Rivera")]
    emergency_contact_name: Option<String>,
    /// Digits, spaces and `+-()`.
    #[schema(required = true, nullable = false, max_length = 200, example = "+1 312 555 0199")]
    emergency_contact_phone: Option<String>,
    /// The consent version the client saw and agreed to.
    #[schema(required = true, nullable = false, example = json!(hearth_domain::CONSENT_VERSION))]
    consent_version: Option<String>,
    /// Must be true.
    #[serde(default)]
    telehealth_consent: bool,
    /// Must be true.
    #[serde(default)]
    group_agreement: bool,
}

impl From<IntakeBody> for hearth_app::IntakeInput {
    fn from(body: IntakeBody) -> Self {
        let IntakeBody {
            reasons,
            goals,
            service_lines,
            topics,
            preferences,
            availability,
            emergency_contact_name,
            emergency_contact_phone,
            consent_version,
            telehealth_consent,
            group_agreement,
        } = body;
        hearth_app::IntakeInput {
            reasons,
            goals,
            service_lines,
            topics,
            preferences,
            availability,
            emergency_contact_name,
            emergency_contact_phone,
            consent_version,
            telehealth_consent,
            group_agreement,
        }
    }
}

/// The client submits or updates their intake (free text stored encrypted)
#[utoipa::path(
    put,
    path = "/me/intake",
    responses(
        (status = 204, description = "Saved"),
        (status = 409, description = "Not a client", body = ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = ErrorBody),
    )
)]
pub(super) async fn put_intake(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(input): Json<IntakeBody>,
) -> Result<StatusCode> {
    state.app.submit_intake(&who, &input.into(), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct EmergencyContact {
    name: String,
    phone: String,
}

/// An intake as the care team reads it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct IntakeJson {
    reasons: String,
    goals: String,
    preferences: String,
    emergency_contact: EmergencyContact,
    service_lines: Vec<String>,
    topics: Vec<String>,
    /// Weekly windows in the client's zone, e.g. `mon 18:00-21:00`.
    availability: Vec<String>,
    consent_version: String,
    consented_at: DateTime<Utc>,
    submitted_at: DateTime<Utc>,
}

/// A client's intake (the client and their care team; audited)
#[utoipa::path(
    get,
    path = "/clients/{id}/intake",
    responses(
        (status = 200, description = "The intake", body = IntakeJson),
        (status = 403, description = "Not the client or their care team", body = ErrorBody),
        (status = 404, description = "No intake yet", body = ErrorBody),
    )
)]
pub(super) async fn get_intake(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let intake = state
        .app
        .intake(&who, UserId::new(id), &meta.audit(Some(&who)))
        .await?
        .ok_or_else(Error::not_found)?;
    let availability = intake.availability.iter().map(ToString::to_string).collect();
    let private = intake.private;
    Ok(JsonBody(IntakeJson {
        reasons: private.reasons,
        goals: private.goals,
        preferences: private.preferences,
        emergency_contact: EmergencyContact {
            name: private.emergency_contact_name,
            phone: private.emergency_contact_phone,
        },
        service_lines: intake.service_lines,
        topics: intake.topics,
        availability,
        consent_version: intake.consent_version,
        consented_at: intake.consented_at,
        submitted_at: intake.submitted_at,
    }))
}

/// Where a client stands with their check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CheckInJson {
    /// The last day with both a PHQ-9 and a GAD-7.
    last: Option<DateTime<Utc>>,
    previous_meeting: Option<DateTime<Utc>>,
    next_meeting: Option<DateTime<Utc>>,
    /// A check-in is expected before the next meeting.
    due: bool,
    /// The previous meeting went by without one.
    overdue: bool,
}

fn check_in_json(status: &hearth_app::CheckInStatus) -> CheckInJson {
    CheckInJson {
        last: status.last,
        previous_meeting: status.previous_meeting,
        next_meeting: status.next_meeting,
        due: status.due,
        overdue: status.overdue,
    }
}

/// The caller's check-in status: last paired PHQ-9 + GAD-7, previous and next meeting, due, overdue
#[utoipa::path(
    get,
    path = "/me/check-in",
    responses((status = 200, description = "The status", body = CheckInJson))
)]
pub(super) async fn my_check_in(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    Ok(JsonBody(check_in_json(&state.app.check_in_status(&who.user).await?)))
}

/// A client whose previous session went by without a check-in.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct OverdueJson {
    #[serde(flatten)]
    status: CheckInJson,
    client_id: i64,
    client_name: String,
}

/// Clients whose previous session went by without a check-in (staff; a therapist sees their own clients)
#[utoipa::path(
    get,
    path = "/check-ins/overdue",
    responses(
        (status = 200, description = "Overdue clients", body = Vec<OverdueJson>),
        (status = 403, description = "Clients may not", body = ErrorBody),
    )
)]
pub(super) async fn overdue_check_ins(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let overdue = state.app.overdue_check_ins(&who).await?;
    Ok(JsonBody(
        overdue
            .iter()
            .map(|(user, status)| OverdueJson {
                status: check_in_json(status),
                client_id: user.id.get(),
                client_name: user.display_name.as_str().to_owned(),
            })
            .collect::<Vec<_>>(),
    ))
}
