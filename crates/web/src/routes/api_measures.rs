//! `/api/v1` routes of measures and the risk path.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json as JsonBody, Router};
use hearth_app::{MeasureResult, RiskFlagView};
use hearth_domain::UserId;
use serde::Deserialize;
use serde_json::{Value, json};

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

#[derive(Deserialize)]
struct AnswersBody {
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

pub fn result_json(result: &MeasureResult) -> Value {
    let score = &result.score;
    json!({
        "id": result.id,
        "instrument": score.instrument,
        "total": score.total,
        "severity": score.band.map(|b| b.slug),
        "subscales": score.subscales.iter().map(|s| json!({"slug": s.slug, "name": s.name, "score": s.score, "band": s.band.slug})).collect::<Vec<_>>(),
        "risk": score.risk.is_flagged(),
        "crisis_resources": result.crisis.map(|lines| lines.iter().map(|l| json!({"name": l.name, "how": l.how})).collect::<Vec<_>>()),
        "follow_up": result.follow_up.map(hearth_domain::InstrumentId::slug),
    })
}

async fn submit_measure(
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

#[derive(Deserialize)]
struct MeasureQuery {
    instrument: Option<String>,
}

async fn list_measures(
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
            .map(|m| {
                json!({
                    "id": m.id,
                    "instrument": m.instrument,
                    "total": m.total,
                    "severity": m.severity,
                    "subscales": serde_json::from_str::<Value>(&m.subscales).unwrap_or(Value::Null),
                    "risk": m.risk != "none",
                    "taken_at": m.taken_at,
                })
            })
            .collect::<Vec<_>>(),
    ))
}

fn flag_json(v: &RiskFlagView) -> Value {
    json!({
        "id": v.flag.id,
        "client_id": v.flag.client_id,
        "client_name": v.client.display_name.as_str(),
        "level": v.flag.level,
        "raised_at": v.flag.raised_at,
        "acknowledged_at": v.flag.acknowledged_at,
        "acknowledged_by": v.flag.acknowledged_by,
        "disposition": v.disposition,
    })
}

async fn risk_queue(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let queue = state.app.risk_queue(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(queue.iter().map(flag_json).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct AcknowledgeBody {
    disposition: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<AcknowledgeBody>,
) -> Result<StatusCode> {
    state.app.acknowledge_risk_flag(&who, id, &body.disposition, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ReportQuery {
    weeks: Option<u32>,
    group: Option<i64>,
    therapist: Option<i64>,
    program: Option<String>,
}

fn rate_json(rate: Option<&hearth_domain::Rate>) -> (Value, Value) {
    match rate {
        Some(r) => (json!(r.rate), json!([r.ci95.0, r.ci95.1])),
        None => (Value::Null, Value::Null),
    }
}

/// The headline (reliable improvement) at the top level, every outcome below it.
async fn outcomes_report(
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
    let outcomes: Vec<Value> = report
        .outcomes
        .iter()
        .map(|c| {
            let (rate, ci95) = rate_json(c.rate.as_ref());
            json!({"slug": c.outcome.slug(), "name": c.outcome.name(), "numerator": c.numerator, "denominator": c.denominator, "rate": rate, "ci95": ci95, "definition": c.outcome.definition()})
        })
        .collect();
    Ok(JsonBody(json!({
        "weeks": report.window_weeks,
        "eligible": report.eligible,
        "reliably_improved": headline.numerator,
        "rate": rate,
        "ci95": ci95,
        "definition": format!(
            "{} Eligible: at caseness at the first score (PHQ-9 of 10 or more, or GAD-7 of 8 or more), with at least two paired PHQ-9 and GAD-7 scores within {} weeks of the first session.",
            hearth_domain::Outcome::ReliableImprovement.definition(),
            report.window_weeks
        ),
        "considered": report.considered,
        "excluded": {"fewer_than_two_scores": report.fewer_than_two_scores, "not_at_caseness": report.not_at_caseness},
        "outcomes": outcomes,
    })))
}

async fn get_safety_plan(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let stored = state.app.safety_plan(&who, UserId::new(id), &meta.audit(Some(&who))).await?;
    let stored = stored.ok_or_else(Error::not_found)?;
    let mut body = serde_json::to_value(&stored.plan)
        .map_err(|e| hearth_app::AppError::Unexpected(e.into()))?;
    body["updated_at"] = json!(stored.updated_at);
    body["updated_by"] = json!(stored.updated_by.get());
    Ok(JsonBody(body))
}

async fn put_safety_plan(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(plan): Json<hearth_app::SafetyPlan>,
) -> Result<StatusCode> {
    state.app.save_safety_plan(&who, UserId::new(id), &plan, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_intake(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(input): Json<hearth_app::IntakeInput>,
) -> Result<StatusCode> {
    state.app.submit_intake(&who, &input, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_intake(
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
    Ok(JsonBody(json!({
        "reasons": intake.private.reasons,
        "goals": intake.private.goals,
        "preferences": intake.private.preferences,
        "emergency_contact": {"name": intake.private.emergency_contact_name, "phone": intake.private.emergency_contact_phone},
        "service_lines": intake.service_lines,
        "topics": intake.topics,
        "availability": intake.availability.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "consent_version": intake.consent_version,
        "consented_at": intake.consented_at,
        "submitted_at": intake.submitted_at,
    })))
}

fn check_in_json(status: &hearth_app::CheckInStatus) -> Value {
    json!({
        "last": status.last,
        "previous_meeting": status.previous_meeting,
        "next_meeting": status.next_meeting,
        "due": status.due,
        "overdue": status.overdue,
    })
}

async fn my_check_in(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    Ok(JsonBody(check_in_json(&state.app.check_in_status(&who.user).await?)))
}

async fn overdue_check_ins(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let overdue = state.app.overdue_check_ins(&who).await?;
    Ok(JsonBody(
        overdue
            .iter()
            .map(|(user, status)| {
                let mut v = check_in_json(status);
                v["client_id"] = json!(user.id.get());
                v["client_name"] = json!(user.display_name.as_str());
                v
            })
            .collect::<Vec<_>>(),
    ))
}
