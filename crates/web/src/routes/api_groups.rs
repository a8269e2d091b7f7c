//! `/api/v1` routes of the catalog, therapists, groups, seats and calendars.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, NaiveDate, Utc};
use hearth_app::{
    GroupFilter, GroupInput, LicenseInput, OccurrenceView, Reservation, TherapistInput,
};
use hearth_domain::{GroupId, OccurrenceStatus, UserId, weekday_slug};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::Created;
use super::api_doc::{Busy, Forbidden};
use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::{Json, Query};
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/topics", get(list_topics))
        .route("/topics/{slug}", patch(edit_topic))
        .route("/programs", get(list_programs))
        .route("/programs/{slug}", patch(edit_program))
        .route("/therapists", post(create_therapist))
        .route("/therapists/{id}", get(therapist_profile))
        .route("/therapists/{id}/licenses", post(add_license))
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(group_detail))
        .route("/groups/{id}/occurrences", get(occurrences))
        .route("/groups/{id}/occurrences/{date}/cancel", post(cancel_occurrence))
        .route("/groups/{id}/occurrences/{date}/move", post(move_occurrence))
        .route("/groups/{id}/series", post(change_series))
        .route("/groups/{id}/seats", post(reserve_seat))
        .route("/groups/{id}/seats/me", delete(leave_group))
        .route("/groups/{id}/waitlist/me", delete(leave_waitlist))
        .route("/groups/{id}/offer/accept", post(accept_offer))
        .route("/groups/{id}/offer/decline", post(decline_offer))
        .route("/groups/{id}/switch", post(switch_group))
        .route("/groups/{id}/roster", get(roster))
        .route("/groups/{id}/calendar.ics", get(group_calendar))
        .route("/me/groups", get(my_groups))
        .route("/switch-requests", get(list_switch_requests).post(create_switch_request))
        .route("/switch-requests/{id}/approve", post(approve_switch))
        .route("/switch-requests/{id}/decline", post(decline_switch))
        .route("/clients/{id}/recommendations", get(recommendations))
        .route("/clients/{id}/therapist-recommendations", get(therapist_recommendations))
        .route("/me/calendar-feed", post(rotate_feed).delete(revoke_feed))
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

fn group_json(g: &hearth_app::Group) -> GroupJson {
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

/// A seat: `seated`, or `offered` (held for the client to accept).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Seated {
    /// seated or offered.
    status: &'static str,
}

/// A waitlist place.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Waitlisted {
    /// waitlisted.
    status: &'static str,
    /// 1 for the first in line.
    position: i64,
}

fn reservation_response(reservation: Reservation) -> Response {
    match reservation {
        Reservation::Seated => {
            (StatusCode::CREATED, JsonBody(Seated { status: "seated" })).into_response()
        }
        Reservation::Offered => {
            (StatusCode::CREATED, JsonBody(Seated { status: "offered" })).into_response()
        }
        Reservation::Waitlisted { position } => {
            (StatusCode::OK, JsonBody(Waitlisted { status: "waitlisted", position }))
                .into_response()
        }
    }
}

/// Reserve a seat (client)
#[utoipa::path(
    post,
    path = "/groups/{id}/seats",
    responses(
        (status = 201, description = "Seated (or a seat offered)", body = Seated),
        (status = 200, description = "Full: on the waitlist", body = Waitlisted),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Refused: error is not_licensed, age_band, \
            already_member, already_waiting, closed or not_a_client", body = ErrorBody),
    )
)]
pub(super) async fn reserve_seat(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let reservation =
        state.app.reserve_seat(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(reservation_response(reservation))
}

/// Leave the group; the seat is offered to the first person waiting
#[utoipa::path(
    delete,
    path = "/groups/{id}/seats/me",
    responses(
        (status = 204, description = "Left"),
        (status = 404, description = "Not a member", body = ErrorBody),
    )
)]
pub(super) async fn leave_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.leave_group(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leave the waitlist
#[utoipa::path(
    delete,
    path = "/groups/{id}/waitlist/me",
    responses(
        (status = 204, description = "Left"),
        (status = 404, description = "Not waiting", body = ErrorBody),
    )
)]
pub(super) async fn leave_waitlist(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.leave_waitlist(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept a held seat
#[utoipa::path(
    post,
    path = "/groups/{id}/offer/accept",
    responses(
        (status = 201, description = "Seated", body = Seated),
        (status = 404, description = "No live offer", body = ErrorBody),
    )
)]
pub(super) async fn accept_offer(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    state.app.accept_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(Seated { status: "seated" })))
}

/// Decline a held seat
#[utoipa::path(
    post,
    path = "/groups/{id}/offer/decline",
    responses(
        (status = 204, description = "Declined"),
        (status = 404, description = "No offer", body = ErrorBody),
    )
)]
pub(super) async fn decline_offer(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.decline_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SwitchBody {
    /// The group to move to.
    to: i64,
}

/// Move to another group; the current seat is kept until the new one is confirmed
#[utoipa::path(
    post,
    path = "/groups/{id}/switch",
    responses(
        (status = 201, description = "Seated in the new group (or a seat offered)", body = Seated),
        (status = 200, description = "The new group is full: on its waitlist", body = Waitlisted),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Refused, with the reason's code", body = ErrorBody),
        (status = 422, description = "Not a member of this group, or the same group", body = ErrorBody),
    )
)]
pub(super) async fn switch_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<SwitchBody>,
) -> Result<Response> {
    let reservation = state
        .app
        .switch_group(&who, GroupId::new(id), GroupId::new(body.to), &meta.audit(Some(&who)))
        .await?;
    Ok(reservation_response(reservation))
}

/// Someone in a roster: the care team sees who they are (every field), fellow members only
/// the display name.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RosterEntryJson {
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    client_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    email: Option<String>,
    /// Where the client lives; null when not on file.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    #[expect(
        clippy::option_option,
        reason = "absent for fellow members; null for a client with no region on file"
    )]
    region: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    joined_at: Option<DateTime<Utc>>,
}

/// Members: display names for fellow members, full details for the care team
#[utoipa::path(
    get,
    path = "/groups/{id}/roster",
    responses(
        (status = 200, description = "The roster", body = Vec<RosterEntryJson>),
        (status = 403, description = "Neither member nor care team", body = ErrorBody),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
pub(super) async fn roster(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let roster = state.app.roster(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        roster
            .iter()
            .map(|r| {
                // The care team sees who the member is; fellow members only the name.
                let client = r.client.as_ref();
                RosterEntryJson {
                    display_name: r.display_name.clone(),
                    client_id: client.map(|c| c.id.get()),
                    email: client.map(|c| c.email.as_str().to_owned()),
                    region: client.map(|c| c.region.as_ref().map(|g| g.as_str().to_owned())),
                    joined_at: client.map(|_| r.joined_at),
                }
            })
            .collect::<Vec<_>>(),
    ))
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
    ApiUser(_who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    Ok(ics(state.app.group_calendar(GroupId::new(id)).await?))
}

/// A group the client waits for.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WaitingJson {
    #[serde(flatten)]
    group: GroupJson,
    /// 1 for the first in line; 0 while a seat is offered.
    position: i64,
    /// When an offered seat goes to the next person.
    offer_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MyGroupsJson {
    seated: Vec<GroupJson>,
    waiting: Vec<WaitingJson>,
}

/// The caller's groups and waitlist places
#[utoipa::path(
    get,
    path = "/me/groups",
    responses((status = 200, description = "Groups and waitlist places", body = MyGroupsJson))
)]
pub(super) async fn my_groups(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let mine = state.app.my_groups(&who).await?;
    let seated = mine.seated.iter().map(|(g, _)| group_json(g)).collect();
    let waiting = mine
        .waiting
        .iter()
        .map(|(g, p)| WaitingJson {
            group: group_json(g),
            position: p.position,
            offer_expires_at: p.offer_expires_at,
        })
        .collect();
    Ok(JsonBody(MyGroupsJson { seated, waiting }))
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

/// The secret feed URL: the token in the path is the only credential.
pub async fn calendar_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response> {
    let token = file.strip_suffix(".ics").ok_or_else(Error::not_found)?;
    Ok(ics(state.app.calendar_feed(token).await?))
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
                reasons: r.reasons.clone(),
                topic: r.group.topic.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SwitchRequestBody {
    /// The client's current group.
    from: i64,
    /// The group to move to.
    to: i64,
    /// Why (stored encrypted); required.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "The evening time no longer works for me."
    )]
    reason: String,
}

/// A client asks to move from one of their groups to another, with a reason (sealed at rest)
#[utoipa::path(
    post,
    path = "/switch-requests",
    responses(
        (status = 201, description = "Asked", body = Created),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Not a member of `from`, or may not join `to`", body = ErrorBody),
        (status = 422, description = "No reason, or a reason too long", body = ErrorBody),
    )
)]
pub(super) async fn create_switch_request(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<SwitchRequestBody>,
) -> Result<impl IntoResponse> {
    let id = state
        .app
        .request_switch(
            &who,
            GroupId::new(body.from),
            GroupId::new(body.to),
            &body.reason,
            &meta.audit(Some(&who)),
        )
        .await?;
    Ok((StatusCode::CREATED, JsonBody(Created { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SwitchRequestJson {
    id: i64,
    client_id: i64,
    client_name: String,
    from: i64,
    to: i64,
    reason: String,
    /// pending, approved or declined.
    status: String,
    created_at: DateTime<Utc>,
}

/// Pending switch requests (coordinators, admins) or the caller's own (client)
#[utoipa::path(
    get,
    path = "/switch-requests",
    responses(
        (status = 200, description = "Switch requests", body = Vec<SwitchRequestJson>),
        (status = 403, description = "Therapists may not", body = ErrorBody),
    )
)]
pub(super) async fn list_switch_requests(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let requests = state.app.switch_requests(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        requests
            .iter()
            .map(|r| SwitchRequestJson {
                id: r.id,
                client_id: r.client.get(),
                client_name: r.client_name.clone(),
                from: r.from.get(),
                to: r.to.get(),
                reason: r.reason.clone(),
                status: r.status.clone(),
                created_at: r.created_at,
            })
            .collect::<Vec<_>>(),
    ))
}

/// A coordinator approves: the switch happens now (the old seat is kept until the new one is confirmed)
#[utoipa::path(
    post,
    path = "/switch-requests/{id}/approve",
    responses(
        (status = 201, description = "Seated in the new group (or a seat offered)", body = Seated),
        (status = 200, description = "The new group is full: on its waitlist", body = Waitlisted),
        (status = 204, description = "Approved; nothing left to move"),
        (status = 403, description = "Not a coordinator or admin", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already decided, or the move is refused", body = ErrorBody),
        (status = 422, description = "The move is not possible as asked", body = ErrorBody),
    )
)]
pub(super) async fn approve_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    match state.app.decide_switch(&who, id, true, &meta.audit(Some(&who))).await? {
        Some(reservation) => Ok(reservation_response(reservation)),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// A coordinator declines
#[utoipa::path(
    post,
    path = "/switch-requests/{id}/decline",
    responses(
        (status = 204, description = "Declined"),
        (status = 403, description = "Not a coordinator or admin", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody),
    )
)]
pub(super) async fn decline_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.decide_switch(&who, id, false, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
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
