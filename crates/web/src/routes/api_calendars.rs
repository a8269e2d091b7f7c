//! Calendars: a group's meetings as iCalendar, and each person's secret feed URL.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as JsonBody, Router};
use hearth_domain::GroupId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::Json;
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/calendar.ics", get(group_calendar))
        .route("/me/calendar-feed", post(rotate_feed).delete(revoke_feed))
        .route("/me/calendar-settings", get(calendar_settings).put(set_calendar_settings))
}

fn ics(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response()
}

/// The group's meetings as iCalendar
#[utoipa::path(
    get,
    path = "/groups/{id}/calendar.ics",
    responses(
        (status = 200, description = "The calendar", body = String, content_type = "text/calendar"),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
pub(super) async fn group_calendar(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let base = &state.config.public_url;
    Ok(ics(state.app.group_calendar(&who, GroupId::new(id), base).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FeedJson {
    /// The secret iCalendar URL; anyone with it can read the caller's meetings.
    url: String,
}

/// Create or rotate the caller's secret iCal feed URL
#[utoipa::path(
    post,
    path = "/me/calendar-feed",
    responses((status = 201, description = "The new URL (any old one stops working)", body = FeedJson))
)]
pub(super) async fn rotate_feed(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let token = state.app.rotate_calendar_feed(&who, &meta.audit(Some(&who))).await?;
    let url = format!("{}/calendar/{token}.ics", state.config.public_url.trim_end_matches('/'));
    Ok((StatusCode::CREATED, JsonBody(FeedJson { url })))
}

/// Revoke the feed
#[utoipa::path(
    delete,
    path = "/me/calendar-feed",
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No feed", body = ErrorBody),
    )
)]
pub(super) async fn revoke_feed(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<StatusCode> {
    state.app.revoke_calendar_feed(&who, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(super) struct CalendarSettings {
    /// Events say only "Hearth session" (with the room link): no group, topic or therapist,
    /// for calendars other people can see.
    discreet: bool,
}

/// How the caller's calendar events are named
#[utoipa::path(
    get,
    path = "/me/calendar-settings",
    responses((status = 200, description = "The caller's choice", body = CalendarSettings))
)]
pub(super) async fn calendar_settings(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<JsonBody<CalendarSettings>> {
    Ok(JsonBody(CalendarSettings { discreet: state.app.calendar_discreet(&who).await? }))
}

/// Choose a discreet calendar, or the group's name on each event
#[utoipa::path(
    put,
    path = "/me/calendar-settings",
    request_body = CalendarSettings,
    responses((status = 200, description = "Saved; the feed follows at once", body = CalendarSettings))
)]
pub(super) async fn set_calendar_settings(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<CalendarSettings>,
) -> Result<JsonBody<CalendarSettings>> {
    state.app.set_calendar_discreet(&who, body.discreet, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(body))
}

/// The secret feed URL: the token in the path is the only credential.
pub async fn calendar_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response> {
    let token = file.strip_suffix(".ics").ok_or_else(Error::not_found)?;
    Ok(ics(state.app.calendar_feed(token, &state.config.public_url).await?))
}
