//! `/api/v1` routes of the free consult call.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, put};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::Created;
use super::api_doc::Forbidden;
use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::Json;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/consult-availability", put(set_availability))
        .route("/consults/slots", get(slots))
        .route("/consults", get(upcoming).post(book))
        .route("/consults/{id}", delete(cancel))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct AvailabilityBody {
    /// Weekly windows in the coordinator's zone.
    #[schema(example = json!(["mon 09:00-12:00", "thu 13:00-17:00"]))]
    windows: Vec<String>,
}

/// A coordinator's weekly windows for consult calls, in their zone
#[utoipa::path(
    put,
    path = "/me/consult-availability",
    responses(
        (status = 204, description = "Saved"),
        (status = 403, description = "Not a coordinator", body = ErrorBody),
        (status = 422, description = "A window is malformed, named by index", body = ErrorBody),
    )
)]
pub(super) async fn set_availability(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<AvailabilityBody>,
) -> Result<StatusCode> {
    state.app.set_consult_availability(&who, &body.windows, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Slot {
    starts_at: DateTime<Utc>,
    /// The same time in the caller's zone, RFC 3339.
    local_start: String,
    minutes: i64,
}

/// Free 20-minute call times in the next two weeks, with the client's local time
#[utoipa::path(
    get,
    path = "/consults/slots",
    responses(
        (status = 200, description = "Free times, soonest first", body = Vec<Slot>),
        (status = 403, description = "Not a client", body = ErrorBody),
    )
)]
pub(super) async fn slots(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let zone = who.user.timezone.tz();
    let slots = state.app.consult_slots(&who).await?;
    Ok(JsonBody(
        slots
            .iter()
            .map(|s| Slot {
                starts_at: *s,
                local_start: s.with_timezone(&zone).to_rfc3339(),
                minutes: hearth_app::CALL_MINUTES,
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct BookBody {
    /// One of the free slots' `starts_at`.
    starts_at: DateTime<Utc>,
    /// A number a coordinator can call: 7 to 40 of digits, spaces and `+-().`.
    #[serde(default)]
    #[schema(pattern = "^[0-9 +()\\-.]{7,40}$", example = "+1 (312) 555-0134")]
    phone: String,
    /// An upcoming call of the client's to move to this time.
    replaces: Option<i64>,
}

/// Book a free consult call; spread across coordinators by load. With replaces, reschedules.
#[utoipa::path(
    post,
    path = "/consults",
    responses(
        (status = 201, description = "Booked", body = Created),
        (status = 409, description = "`slot_taken`, `already_booked` or `not_a_client`", body = ErrorBody),
        (status = 422, description = "Invalid phone, or `replaces` is not one of the client's \
            upcoming calls", body = ErrorBody),
    )
)]
pub(super) async fn book(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<BookBody>,
) -> Result<impl IntoResponse> {
    let id = state
        .app
        .book_consult(&who, body.starts_at, &body.phone, body.replaces, &meta.audit(Some(&who)))
        .await?;
    Ok((StatusCode::CREATED, JsonBody(Created { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ConsultCall {
    id: i64,
    starts_at: DateTime<Utc>,
    /// The coordinator's display name.
    coordinator: String,
    /// The client's display name.
    client: String,
    phone: String,
}

/// Upcoming calls: the client's own, a coordinator's, or all for admins
#[utoipa::path(
    get,
    path = "/consults",
    responses(
        (status = 200, description = "Upcoming calls, soonest first", body = Vec<ConsultCall>),
        (status = 403, response = Forbidden),
    )
)]
pub(super) async fn upcoming(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let calls = state.app.upcoming_consults(&who).await?;
    Ok(JsonBody(
        calls
            .iter()
            .map(|c| ConsultCall {
                id: c.id,
                starts_at: c.starts_at,
                coordinator: c.coordinator.clone(),
                client: c.client.clone(),
                phone: c.phone.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

/// Cancel one of the client's calls
#[utoipa::path(
    delete,
    path = "/consults/{id}",
    responses(
        (status = 204, description = "Cancelled"),
        (status = 404, description = "Not the client's booked call", body = ErrorBody),
    )
)]
pub(super) async fn cancel(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.cancel_consult(&who, id, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}
