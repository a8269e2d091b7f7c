//! `/api/v1` routes of the free consult call.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, put};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

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

#[derive(Deserialize)]
struct AvailabilityBody {
    windows: Vec<String>,
}

async fn set_availability(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<AvailabilityBody>,
) -> Result<StatusCode> {
    state.app.set_consult_availability(&who, &body.windows, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn slots(State(state): State<AppState>, ApiUser(who): ApiUser) -> Result<impl IntoResponse> {
    let zone = who.user.timezone.tz();
    let slots = state.app.consult_slots(&who).await?;
    Ok(JsonBody(
        slots
            .iter()
            .map(|s| json!({"starts_at": s, "local_start": s.with_timezone(&zone).to_rfc3339(), "minutes": hearth_app::CALL_MINUTES}))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize)]
struct BookBody {
    starts_at: DateTime<Utc>,
    #[serde(default)]
    phone: String,
    replaces: Option<i64>,
}

async fn book(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<BookBody>,
) -> Result<impl IntoResponse> {
    let id = state
        .app
        .book_consult(&who, body.starts_at, &body.phone, body.replaces, &meta.audit(Some(&who)))
        .await?;
    Ok((StatusCode::CREATED, JsonBody(json!({"id": id}))))
}

async fn upcoming(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let calls = state.app.upcoming_consults(&who).await?;
    Ok(JsonBody(
        calls
            .iter()
            .map(|c| json!({"id": c.id, "starts_at": c.starts_at, "coordinator": c.coordinator, "client": c.client, "phone": c.phone}))
            .collect::<Vec<_>>(),
    ))
}

async fn cancel(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.cancel_consult(&who, id, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}
