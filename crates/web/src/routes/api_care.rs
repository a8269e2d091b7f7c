//! `/api/v1` routes of a client's care record: the safety plan, the intake and check-ins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, Utc};
use hearth_domain::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::Json;
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clients/{id}/safety-plan", get(get_safety_plan).put(put_safety_plan))
        .route("/me/intake", put(put_intake))
        .route("/me/check-in", get(my_check_in))
        .route("/check-ins/overdue", get(overdue_check_ins))
        .route("/clients/{id}/intake", get(get_intake))
        .route("/clients/{id}/break-glass", post(post_break_glass))
}

/// Why a staff member outside the care team needs a client's clinical record.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct BreakGlassBody {
    #[serde(default)]
    #[schema(min_length = 10, max_length = 500)]
    reason: String,
}

/// Until when the record is open to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BreakGlassJson {
    expires_at: DateTime<Utc>,
}

/// Break the glass: a staff member outside the client's care team states a reason and may
/// read the client's clinical record for an hour (audited with the reason; admins review
/// every access). It never grants a change.
#[utoipa::path(
    post,
    path = "/clients/{id}/break-glass",
    request_body = BreakGlassBody,
    responses(
        (status = 201, description = "The record is open to the caller until expires_at", body = BreakGlassJson),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "The caller can already read this record", body = ErrorBody),
        (status = 422, description = "No reason, or one too short or too long", body = ErrorBody),
    )
)]
pub(super) async fn post_break_glass(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<BreakGlassBody>,
) -> Result<impl IntoResponse> {
    let expires_at =
        state.app.break_glass(&who, UserId::new(id), &body.reason, &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(BreakGlassJson { expires_at })))
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
