//! `/api/v1` routes of the catalog (topics, programs), therapists, and the recommendations
//! that match clients to groups and therapists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json as JsonBody, Router};
use chrono::NaiveDate;
use hearth_app::{LicenseInput, TherapistInput};
use hearth_domain::{FitReason, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::Created;
use super::api_doc::{Busy, Forbidden};
use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::Json;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/topics", get(list_topics))
        .route("/topics/{slug}", patch(edit_topic))
        .route("/programs", get(list_programs))
        .route("/programs/{slug}", patch(edit_program))
        .route("/therapists", post(create_therapist))
        .route("/therapists/{id}", get(therapist_profile))
        .route("/therapists/{id}/licenses", post(add_license))
        .route("/clients/{id}/recommendations", get(recommendations))
        .route("/clients/{id}/therapist-recommendations", get(therapist_recommendations))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TopicJson {
    slug: String,
    name: String,
}

/// Group topics
#[utoipa::path(
    get,
    path = "/topics",
    security(()),
    responses((status = 200, description = "Every topic", body = Vec<TopicJson>))
)]
pub(super) async fn list_topics(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let topics = state.app.list_topics().await?;
    Ok(JsonBody(
        topics
            .iter()
            .map(|t| TopicJson { slug: t.slug.clone(), name: t.name.clone() })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct TopicEdit {
    #[schema(min_length = 1, max_length = 80, example = "Anxiety and depression")]
    name: String,
    #[serde(default)]
    #[schema(max_length = 600)]
    description: String,
    /// Programs only: weeks between check-ins, 1 to 12.
    #[schema(minimum = 1, maximum = 12)]
    check_in_cadence_weeks: Option<i32>,
}

/// Rename a topic or rewrite its description (admin)
#[utoipa::path(
    patch,
    path = "/topics/{slug}",
    responses(
        (status = 204, description = "Saved"),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such topic", body = ErrorBody),
    )
)]
pub(super) async fn edit_topic(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(slug): Path<String>,
    Json(body): Json<TopicEdit>,
) -> Result<StatusCode> {
    state
        .app
        .edit_topic(&who, &slug, &body.name, &body.description, &meta.audit(Some(&who)))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rename a service line or rewrite its description (admin)
#[utoipa::path(
    patch,
    path = "/programs/{slug}",
    responses(
        (status = 204, description = "Saved"),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such program", body = ErrorBody),
    )
)]
pub(super) async fn edit_program(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(slug): Path<String>,
    Json(body): Json<TopicEdit>,
) -> Result<StatusCode> {
    let ctx = meta.audit(Some(&who));
    if let Some(weeks) = body.check_in_cadence_weeks {
        state.app.set_check_in_cadence(&who, &slug, weeks, &ctx).await?;
    }
    state.app.edit_program(&who, &slug, &body.name, &body.description, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProgramJson {
    slug: String,
    name: String,
    description: String,
}

/// Service lines
#[utoipa::path(
    get,
    path = "/programs",
    security(()),
    responses((status = 200, description = "Every service line", body = Vec<ProgramJson>))
)]
pub(super) async fn list_programs(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let programs = state.app.list_programs().await?;
    Ok(JsonBody(
        programs
            .iter()
            .map(|p| ProgramJson {
                slug: p.slug.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

/// A license as submitted.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct LicenseBody {
    /// Where it is valid.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
        example = "US-CA"
    )]
    region: Option<String>,
    /// A license kind, e.g. LCSW, LPC, LMFT, PsyD.
    #[schema(required = true, nullable = false, example = "LCSW")]
    kind: Option<String>,
    #[schema(required = true, nullable = false, max_length = 40, example = "LCS 12345")]
    number: Option<String>,
    #[schema(required = true, nullable = false, format = Date, example = "2030-06-30")]
    expires_on: Option<String>,
}

impl From<LicenseBody> for LicenseInput {
    fn from(body: LicenseBody) -> Self {
        let LicenseBody { region, kind, number, expires_on } = body;
        LicenseInput { region, kind, number, expires_on }
    }
}

/// A therapist as an admin submits them.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct TherapistBody {
    #[schema(required = true, nullable = false, max_length = 254, example = "robin@example.org")]
    email: Option<String>,
    /// A passphrase: long, and not a common password.
    #[schema(required = true, nullable = false, example = "lantern orchard violet")]
    password: Option<String>,
    #[schema(required = true, nullable = false, max_length = 60, example = "Robin Reyes")]
    display_name: Option<String>,
    /// IANA name.
    #[schema(required = true, nullable = false, example = "America/Denver")]
    timezone: Option<String>,
    #[serde(default)]
    licenses: Vec<LicenseBody>,
    /// Topic slugs.
    #[serde(default)]
    #[schema(example = json!(["anxiety-depression"]))]
    specialties: Vec<String>,
    /// A license kind, e.g. LCSW, LPC, LMFT, PsyD.
    #[schema(nullable = false, example = "LCSW")]
    license_kind: Option<String>,
    #[schema(nullable = false, minimum = 0, example = 9)]
    years_of_practice: Option<i32>,
    #[schema(nullable = false, max_length = 2000)]
    bio: Option<String>,
}

impl From<TherapistBody> for TherapistInput {
    fn from(body: TherapistBody) -> Self {
        let TherapistBody {
            email,
            password,
            display_name,
            timezone,
            licenses,
            specialties,
            license_kind,
            years_of_practice,
            bio,
        } = body;
        TherapistInput {
            email,
            password,
            display_name,
            timezone,
            licenses: licenses.into_iter().map(Into::into).collect(),
            specialties,
            license_kind,
            years_of_practice,
            bio,
        }
    }
}

/// Add a therapist with licenses and specialties (admin)
#[utoipa::path(
    post,
    path = "/therapists",
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 403, response = Forbidden),
        (status = 422, description = "Invalid fields, e.g. licenses[0].region", body = ErrorBody),
        (status = 503, response = Busy),
    )
)]
pub(super) async fn create_therapist(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<TherapistBody>,
) -> Result<impl IntoResponse> {
    let id = state.app.create_therapist(&who, &body.into(), &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(Created { id: id.get() })))
}

/// Add a license to a therapist: another state, or a renewal (admin)
#[utoipa::path(
    post,
    path = "/therapists/{id}/licenses",
    responses(
        (status = 201, description = "Added"),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such therapist", body = ErrorBody),
        (status = 422, description = "Invalid fields (region, kind, number, expires_on)", body = ErrorBody),
    )
)]
pub(super) async fn add_license(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<LicenseBody>,
) -> Result<StatusCode> {
    state.app.add_license(&who, UserId::new(id), &body.into(), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct LicensedIn {
    region: String,
    expires_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TherapistJson {
    id: i64,
    display_name: String,
    timezone: String,
    license_kind: &'static str,
    years_of_practice: i32,
    bio: String,
    licensed_in: Vec<LicensedIn>,
    specialties: Vec<String>,
}

/// A therapist's profile
#[utoipa::path(
    get,
    path = "/therapists/{id}",
    responses(
        (status = 200, description = "The profile", body = TherapistJson),
        (status = 404, description = "No such therapist", body = ErrorBody),
    )
)]
pub(super) async fn therapist_profile(
    State(state): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let (user, profile) = state.app.therapist_profile(UserId::new(id)).await?;
    Ok(JsonBody(TherapistJson {
        id: user.id.get(),
        display_name: user.display_name.as_str().to_owned(),
        timezone: user.timezone.name().to_owned(),
        license_kind: profile.license_kind.as_str(),
        years_of_practice: profile.years_of_practice,
        bio: profile.bio,
        licensed_in: profile
            .licenses
            .iter()
            .map(|l| LicensedIn { region: l.region.as_str().to_owned(), expires_on: l.expires_on })
            .collect(),
        specialties: profile.specialties,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RecommendationJson {
    group_id: i64,
    score: i32,
    /// Why, for people: topic, schedule in the client's zone, specialties, seats.
    reasons: Vec<String>,
    /// The topic's slug.
    topic: String,
}

/// Groups the client may join, best first, each with its reasons
///
/// Reasons: topic, schedule in the client's zone, specialties, seats. Never a group the
/// client may not join (licensure, age band). A client sees the top three; staff see all.
#[utoipa::path(
    get,
    path = "/clients/{id}/recommendations",
    responses(
        (status = 200, description = "Ranked groups", body = Vec<RecommendationJson>),
        (status = 403, description = "Another client, or not their care team", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
    )
)]
pub(super) async fn recommendations(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let ranked = state.app.recommendations(&who, UserId::new(id), &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        ranked
            .iter()
            .map(|r| RecommendationJson {
                group_id: r.group.id.get(),
                score: r.score,
                // A stable wording: the meeting hour on a 24-hour clock.
                reasons: r.reasons.iter().map(FitReason::words).collect(),
                topic: r.group.topic.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TherapistRecommendationJson {
    therapist_id: i64,
    display_name: String,
    score: i32,
    reasons: Vec<String>,
}

/// Therapists for one-to-one care
///
/// Licensed where the client lives, ranked by shared topics and experience, with reasons
/// (top three for the client).
#[utoipa::path(
    get,
    path = "/clients/{id}/therapist-recommendations",
    responses(
        (status = 200, description = "Ranked therapists", body = Vec<TherapistRecommendationJson>),
        (status = 403, description = "Another client, or not their care team", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
    )
)]
pub(super) async fn therapist_recommendations(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let ranked =
        state.app.therapist_recommendations(&who, UserId::new(id), &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        ranked
            .iter()
            .map(|r| TherapistRecommendationJson {
                therapist_id: r.therapist.id.get(),
                display_name: r.therapist.display_name.as_str().to_owned(),
                score: r.score,
                reasons: r.reasons.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}
