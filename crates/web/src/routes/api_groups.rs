//! `/api/v1` routes of the catalog, therapists, groups, seats and calendars.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, NaiveDate, Utc};
use hearth_app::{GroupFilter, GroupInput, OccurrenceView, Reservation, TherapistInput};
use hearth_domain::{GroupId, OccurrenceStatus, UserId, weekday_slug};
use serde::Deserialize;
use serde_json::{Value, json};

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

async fn list_topics(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let topics = state.app.list_topics().await?;
    Ok(JsonBody(topics.iter().map(|t| json!({"slug": t.slug, "name": t.name})).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct TopicEdit {
    name: String,
    #[serde(default)]
    description: String,
    /// Programs only: weeks between check-ins.
    check_in_cadence_weeks: Option<i32>,
}

async fn edit_topic(
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

async fn edit_program(
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

async fn list_programs(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let programs = state.app.list_programs().await?;
    Ok(JsonBody(
        programs
            .iter()
            .map(|p| json!({"slug": p.slug, "name": p.name, "description": p.description}))
            .collect::<Vec<_>>(),
    ))
}

async fn create_therapist(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<TherapistInput>,
) -> Result<impl IntoResponse> {
    let id = state.app.create_therapist(&who, &body, &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(json!({"id": id.get()}))))
}

async fn add_license(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<hearth_app::LicenseInput>,
) -> Result<StatusCode> {
    state.app.add_license(&who, UserId::new(id), &body, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::CREATED)
}

async fn therapist_profile(
    State(state): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let (user, profile) = state.app.therapist_profile(UserId::new(id)).await?;
    Ok(JsonBody(json!({
        "id": user.id.get(),
        "display_name": user.display_name.as_str(),
        "timezone": user.timezone.name(),
        "license_kind": profile.license_kind.as_str(),
        "years_of_practice": profile.years_of_practice,
        "bio": profile.bio,
        "licensed_in": profile.licenses.iter().map(|l| json!({"region": l.region.as_str(), "expires_on": l.expires_on})).collect::<Vec<_>>(),
        "specialties": profile.specialties,
    })))
}

fn group_json(g: &hearth_app::Group) -> Value {
    json!({
        "id": g.id.get(),
        "topic": g.topic,
        "therapist_id": g.therapist_id.get(),
        "weekday": weekday_slug(g.slot.weekday()),
        "local_time": g.slot.local_time().format("%H:%M").to_string(),
        "timezone": g.slot.zone().name(),
        "duration_minutes": g.slot.duration().num_minutes(),
        "capacity": g.capacity,
        "seats_left": g.seats_left(),
        "waitlist": g.waitlist,
        "age_band": g.age_band.as_str(),
        "starts_on": g.starts_on,
        "ends_on": g.ends_on,
    })
}

#[derive(Deserialize)]
struct GroupQuery {
    topic: Option<String>,
    therapist_id: Option<i64>,
}

async fn list_groups(
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

async fn create_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<GroupInput>,
) -> Result<impl IntoResponse> {
    let id = state.app.create_group(&who, &body, &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(json!({"id": id.get()}))))
}

async fn group_detail(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let group = state.app.find_group(GroupId::new(id)).await?;
    let zone = who.user.timezone;
    let next: Vec<Value> =
        state.app.next_meetings(zone, &group, 4).await?.iter().map(occurrence_json).collect();
    let shifts: Vec<Value> = state
        .app
        .shift_notices(zone, &group)
        .await?
        .iter()
        .map(|s| json!({"date": s.local_date_of_meeting, "before": s.before.format("%H:%M").to_string(), "after": s.after.format("%H:%M").to_string()}))
        .collect();
    let mut body = group_json(&group);
    body["next_meetings"] = json!(next);
    body["shift_notices"] = json!(shifts);
    Ok(JsonBody(body))
}

#[derive(Deserialize)]
struct Window {
    from: Option<String>,
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

fn occurrence_json(o: &OccurrenceView) -> Value {
    json!({
        "starts_at": o.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "ends_at": o.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "local_start": o.local_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        "local_zone": o.local_start.timezone().name(),
        "original_date": o.original_date,
        "status": status_str(o.status),
    })
}

async fn occurrences(
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

async fn cancel_occurrence(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path((id, date)): Path<(i64, String)>,
) -> Result<StatusCode> {
    let date = path_date(&date)?;
    state.app.cancel_occurrence(&who, GroupId::new(id), date, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct MoveBody {
    starts_at: DateTime<Utc>,
}

async fn move_occurrence(
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

#[derive(Deserialize)]
struct SeriesBody {
    from: NaiveDate,
    weekday: String,
    local_time: String,
}

async fn change_series(
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

fn reservation_response(reservation: Reservation) -> Response {
    match reservation {
        Reservation::Seated => {
            (StatusCode::CREATED, JsonBody(json!({"status": "seated"}))).into_response()
        }
        Reservation::Offered => {
            (StatusCode::CREATED, JsonBody(json!({"status": "offered"}))).into_response()
        }
        Reservation::Waitlisted { position } => {
            (StatusCode::OK, JsonBody(json!({"status": "waitlisted", "position": position})))
                .into_response()
        }
    }
}

async fn reserve_seat(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let reservation =
        state.app.reserve_seat(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(reservation_response(reservation))
}

async fn leave_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.leave_group(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave_waitlist(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.leave_waitlist(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn accept_offer(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    state.app.accept_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(json!({"status": "seated"}))))
}

async fn decline_offer(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.decline_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct SwitchBody {
    to: i64,
}

async fn switch_group(
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

async fn roster(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let roster = state.app.roster(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        roster
            .iter()
            .map(|r| match &r.client {
                Some(c) => json!({"display_name": r.display_name, "client_id": c.id.get(), "email": c.email.as_str(), "region": c.region.as_ref().map(hearth_domain::Region::as_str), "joined_at": r.joined_at}),
                None => json!({"display_name": r.display_name}),
            })
            .collect::<Vec<_>>(),
    ))
}

fn ics(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response()
}

async fn group_calendar(
    State(state): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    Ok(ics(state.app.group_calendar(GroupId::new(id)).await?))
}

async fn my_groups(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let mine = state.app.my_groups(&who).await?;
    let seated: Vec<Value> = mine.seated.iter().map(|(g, _)| group_json(g)).collect();
    let waiting: Vec<Value> = mine
        .waiting
        .iter()
        .map(|(g, p)| {
            let mut v = group_json(g);
            v["position"] = json!(p.position);
            v["offer_expires_at"] = json!(p.offer_expires_at);
            v
        })
        .collect();
    Ok(JsonBody(json!({"seated": seated, "waiting": waiting})))
}

async fn rotate_feed(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let token = state.app.rotate_calendar_feed(&who, &meta.audit(Some(&who))).await?;
    let url = format!("{}/calendar/{token}.ics", state.config.public_url.trim_end_matches('/'));
    Ok((StatusCode::CREATED, JsonBody(json!({"url": url}))))
}

async fn revoke_feed(
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

async fn recommendations(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let ranked = state.app.recommendations(&who, UserId::new(id), &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        ranked
            .iter()
            .map(|r| json!({"group_id": r.group.id.get(), "score": r.score, "reasons": r.reasons, "topic": r.group.topic}))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize)]
struct SwitchRequestBody {
    from: i64,
    to: i64,
    #[serde(default)]
    reason: String,
}

async fn create_switch_request(
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
    Ok((StatusCode::CREATED, JsonBody(json!({"id": id}))))
}

async fn list_switch_requests(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let requests = state.app.switch_requests(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        requests
            .iter()
            .map(|r| json!({"id": r.id, "client_id": r.client.get(), "client_name": r.client_name, "from": r.from.get(), "to": r.to.get(), "reason": r.reason, "status": r.status, "created_at": r.created_at}))
            .collect::<Vec<_>>(),
    ))
}

async fn approve_switch(
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

async fn decline_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.decide_switch(&who, id, false, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn therapist_recommendations(
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
            .map(|r| json!({"therapist_id": r.therapist.id.get(), "display_name": r.therapist.display_name.as_str(), "score": r.score, "reasons": r.reasons}))
            .collect::<Vec<_>>(),
    ))
}
