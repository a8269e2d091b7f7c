//! `/api/v1` routes of groups: creating and listing them, their meetings and their series.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, NaiveDate, Utc};
use hearth_app::{GroupInput, OccurrenceView};
use hearth_domain::{Group, GroupFilter, GroupId, OccurrenceStatus, UserId, weekday_slug};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::Created;
use super::api_doc::Forbidden;
use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::{Json, Query};
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(group_detail))
        .route("/groups/{id}/occurrences", get(occurrences))
        .route("/groups/{id}/occurrences/{date}/cancel", post(cancel_occurrence))
        .route("/groups/{id}/occurrences/{date}/move", post(move_occurrence))
        .route("/groups/{id}/series", post(change_series))
}

/// A weekly group.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Group)]
pub(super) struct GroupJson {
    id: i64,
    /// The topic's slug.
    topic: String,
    therapist_id: i64,
    /// mon … sun.
    weekday: &'static str,
    /// HH:MM in the group's zone.
    local_time: String,
    /// The group's IANA zone.
    timezone: String,
    duration_minutes: i64,
    capacity: i32,
    seats_left: i32,
    /// People waiting or holding an offer.
    waitlist: i64,
    /// adult or teen.
    age_band: &'static str,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
}

pub(super) fn group_json(g: &Group) -> GroupJson {
    GroupJson {
        id: g.id.get(),
        topic: g.topic.clone(),
        therapist_id: g.therapist_id.get(),
        weekday: weekday_slug(g.slot.weekday()),
        local_time: g.slot.local_time().format("%H:%M").to_string(),
        timezone: g.slot.zone().name().to_owned(),
        duration_minutes: g.slot.duration().num_minutes(),
        capacity: g.capacity,
        seats_left: g.seats_left(),
        waitlist: g.waitlist,
        age_band: g.age_band.as_str(),
        starts_on: g.starts_on,
        ends_on: g.ends_on,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct GroupQuery {
    /// A topic's slug.
    topic: Option<String>,
    therapist_id: Option<i64>,
}

/// Groups, optionally by topic or therapist
#[utoipa::path(
    get,
    path = "/groups",
    params(GroupQuery),
    responses((status = 200, description = "The groups", body = Vec<GroupJson>))
)]
pub(super) async fn list_groups(
    State(state): State<AppState>,
    ApiUser(_who): ApiUser,
    Query(query): Query<GroupQuery>,
) -> Result<impl IntoResponse> {
    let filter = GroupFilter {
        topic: query.topic,
        therapist: query.therapist_id.map(UserId::new),
        ids: None,
    };
    let groups = state.app.list_groups(&filter).await?;
    Ok(JsonBody(groups.iter().map(group_json).collect::<Vec<_>>()))
}

/// A group as an admin submits it.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct GroupBody {
    /// A topic's slug.
    #[schema(required = true, nullable = false, example = "anxiety-depression")]
    topic: Option<String>,
    #[schema(required = true, nullable = false, example = 2)]
    therapist_id: Option<i64>,
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(mon|tue|wed|thu|fri|sat|sun)$",
        example = "tue"
    )]
    weekday: Option<String>,
    /// HH:MM.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        example = "18:30"
    )]
    local_time: Option<String>,
    /// An IANA zone; defaults to the therapist's.
    #[schema(nullable = false, example = "America/Chicago")]
    timezone: Option<String>,
    /// Defaults to 60.
    #[schema(nullable = false, example = 60)]
    duration_minutes: Option<i64>,
    /// Defaults to 10.
    #[schema(nullable = false, minimum = 1, example = 10)]
    capacity: Option<i64>,
    /// Defaults to adult.
    #[schema(nullable = false, pattern = "^(adult|teen)$", example = "adult")]
    age_band: Option<String>,
    #[schema(required = true, nullable = false, format = Date, example = "2030-01-08")]
    starts_on: Option<String>,
    #[schema(nullable = false, format = Date)]
    ends_on: Option<String>,
}

impl From<GroupBody> for GroupInput {
    fn from(body: GroupBody) -> Self {
        let GroupBody {
            topic,
            therapist_id,
            weekday,
            local_time,
            timezone,
            duration_minutes,
            capacity,
            age_band,
            starts_on,
            ends_on,
        } = body;
        GroupInput {
            topic,
            therapist_id,
            weekday,
            local_time,
            timezone,
            duration_minutes,
            capacity,
            age_band,
            starts_on,
            ends_on,
        }
    }
}

/// Create a weekly group (admin)
#[utoipa::path(
    post,
    path = "/groups",
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 403, response = Forbidden),
    )
)]
pub(super) async fn create_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<GroupBody>,
) -> Result<impl IntoResponse> {
    let id = state.app.create_group(&who, &body.into(), &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(Created { id: id.get() })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ShiftNoticeJson {
    /// The meeting's date in the viewer's zone.
    date: NaiveDate,
    /// The previous meeting's start on the viewer's clock (HH:MM).
    before: String,
    /// This meeting's start on the viewer's clock (HH:MM).
    after: String,
}

/// A group with its next meetings in the viewer's zone and shift notices.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct GroupDetail {
    #[serde(flatten)]
    group: GroupJson,
    next_meetings: Vec<OccurrenceJson>,
    shift_notices: Vec<ShiftNoticeJson>,
}

/// A group with its next meetings in the viewer's zone and shift notices
#[utoipa::path(
    get,
    path = "/groups/{id}",
    responses(
        (status = 200, description = "The group", body = GroupDetail),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
pub(super) async fn group_detail(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let group = state.app.find_group(GroupId::new(id)).await?;
    let zone = who.user.timezone;
    let next_meetings =
        state.app.next_meetings(zone, &group, 4).await?.iter().map(occurrence_json).collect();
    let shift_notices = state
        .app
        .shift_notices(zone, &group)
        .await?
        .iter()
        .map(|s| ShiftNoticeJson {
            date: s.local_date_of_meeting,
            before: s.before.format("%H:%M").to_string(),
            after: s.after.format("%H:%M").to_string(),
        })
        .collect();
    Ok(JsonBody(GroupDetail { group: group_json(&group), next_meetings, shift_notices }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Window {
    /// The first local date, YYYY-MM-DD.
    #[param(required = true, format = Date, value_type = String)]
    from: Option<String>,
    /// The last local date, YYYY-MM-DD; at most two years after `from`.
    #[param(required = true, format = Date, value_type = String)]
    to: Option<String>,
}

fn date_param(name: &str, raw: Option<&str>) -> Result<NaiveDate> {
    let raw = raw.ok_or_else(|| {
        Error::bad_request(Some(name), format!("{name} is required (YYYY-MM-DD)"))
    })?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Error::bad_request(Some(name), format!("{name} must be a date as YYYY-MM-DD")))
}

fn status_str(status: OccurrenceStatus) -> &'static str {
    match status {
        OccurrenceStatus::Scheduled => "scheduled",
        OccurrenceStatus::Cancelled => "cancelled",
        OccurrenceStatus::Moved => "moved",
    }
}

/// One meeting.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Occurrence)]
pub(super) struct OccurrenceJson {
    /// UTC, RFC 3339.
    #[schema(format = DateTime)]
    starts_at: String,
    #[schema(format = DateTime)]
    ends_at: String,
    /// In the viewer's zone, RFC 3339 with its offset.
    #[schema(format = DateTime)]
    local_start: String,
    /// The viewer's IANA zone.
    local_zone: &'static str,
    /// The local date the series puts it on (before any move).
    original_date: NaiveDate,
    /// scheduled, cancelled or moved.
    status: &'static str,
}

fn occurrence_json(o: &OccurrenceView) -> OccurrenceJson {
    OccurrenceJson {
        starts_at: o.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ends_at: o.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        local_start: o.local_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        local_zone: o.local_start.timezone().name(),
        original_date: o.original_date,
        status: status_str(o.status),
    }
}

/// Meetings between two dates (inclusive, in the viewer's zone)
#[utoipa::path(
    get,
    path = "/groups/{id}/occurrences",
    params(("id" = i64, Path, description = "The group"), Window),
    responses(
        (status = 200, description = "The meetings", body = Vec<OccurrenceJson>),
        (status = 400, description = "Missing or malformed dates", body = ErrorBody),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 422, description = "A window longer than two years, or a control character", body = ErrorBody),
    )
)]
pub(super) async fn occurrences(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Query(window): Query<Window>,
) -> Result<impl IntoResponse> {
    let from = date_param("from", window.from.as_deref())?;
    let to = date_param("to", window.to.as_deref())?;
    let found = state.app.group_occurrences(&who, GroupId::new(id), from, to).await?;
    Ok(JsonBody(found.iter().map(occurrence_json).collect::<Vec<_>>()))
}

fn path_date(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Error::bad_request(Some("date"), "the date must be YYYY-MM-DD"))
}

/// Cancel one meeting (the group's therapist or an admin)
#[utoipa::path(
    post,
    path = "/groups/{id}/occurrences/{date}/cancel",
    params(
        ("id" = i64, Path, description = "The group"),
        ("date" = String, Path, format = Date, description = "The meeting's original local date"),
    ),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 400, description = "The date is not YYYY-MM-DD", body = ErrorBody),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 422, description = "The group does not meet that day", body = ErrorBody),
    )
)]
pub(super) async fn cancel_occurrence(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path((id, date)): Path<(i64, String)>,
) -> Result<StatusCode> {
    let date = path_date(&date)?;
    state.app.cancel_occurrence(&who, GroupId::new(id), date, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct MoveBody {
    /// The new start.
    starts_at: DateTime<Utc>,
}

/// Move one meeting (the group's therapist or an admin)
#[utoipa::path(
    post,
    path = "/groups/{id}/occurrences/{date}/move",
    params(
        ("id" = i64, Path, description = "The group"),
        ("date" = String, Path, format = Date, description = "The meeting's original local date"),
    ),
    responses(
        (status = 204, description = "Moved"),
        (status = 400, description = "The date is not YYYY-MM-DD, or a malformed body", body = ErrorBody),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 422, description = "The group does not meet that day, or the new time is not \
            allowed", body = ErrorBody),
    )
)]
pub(super) async fn move_occurrence(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path((id, date)): Path<(i64, String)>,
    Json(body): Json<MoveBody>,
) -> Result<StatusCode> {
    let date = path_date(&date)?;
    state
        .app
        .move_occurrence(&who, GroupId::new(id), date, body.starts_at, &meta.audit(Some(&who)))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SeriesBody {
    /// The first local date the new slot applies to.
    from: NaiveDate,
    #[schema(pattern = "^(mon|tue|wed|thu|fri|sat|sun)$", example = "wed")]
    weekday: String,
    /// HH:MM.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "19:00")]
    local_time: String,
}

/// Change the weekly slot from a date on
#[utoipa::path(
    post,
    path = "/groups/{id}/series",
    responses(
        (status = 204, description = "Changed"),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
pub(super) async fn change_series(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<SeriesBody>,
) -> Result<StatusCode> {
    state
        .app
        .change_series(
            &who,
            GroupId::new(id),
            body.from,
            &body.weekday,
            &body.local_time,
            &meta.audit(Some(&who)),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
