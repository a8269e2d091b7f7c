//! Group pages: browse the catalogue, and a group's page with its actions. A client's own
//! groups, a therapist's groups and the admin's group management are in their own modules.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Weekday;
use hearth_app::{BrowseFilter, GroupCard, Reservation, TimeOfDay, WaitlistStatus, weekday_name};
use hearth_domain::{GroupId, Role, parse_weekday, weekday_slug};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::json::{Form, Query};
use crate::templates::{Layout, page};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(browse))
        .route("/groups/{id}", get(group_page))
        .route("/groups/{id}/reserve", post(reserve))
        .route("/groups/{id}/leave", post(leave))
        .route("/groups/{id}/accept", post(accept))
        .route("/groups/{id}/decline", post(decline))
        .route("/groups/{id}/waitlist/leave", post(leave_waitlist))
        .route("/groups/{id}/switch", post(switch_here))
        .route("/groups/{id}/switch-request", post(request_switch_here))
        .route("/groups/{id}/calendar.ics", get(group_calendar))
        .merge(super::pages_meetings::router())
        .merge(super::pages_my_groups::router())
        .merge(super::pages_therapist::router())
        .merge(super::pages_admin_groups::router())
}

pub(super) const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];
pub(super) const TIME_FORMAT: &str = "%a %-d %b, %H:%M";

/// A group card as the templates show it.
pub(super) struct CardView {
    pub(super) id: i64,
    pub(super) topic: String,
    pub(super) therapist: String,
    pub(super) when: String,
    pub(super) age_band: &'static str,
    pub(super) seats_left: i32,
    pub(super) capacity: i32,
    pub(super) waitlist: i64,
    pub(super) status: String,
}

impl From<&GroupCard> for CardView {
    fn from(c: &GroupCard) -> Self {
        CardView {
            id: c.group.id.get(),
            topic: c.topic_name.clone(),
            therapist: c.therapist_name.clone(),
            when: c.when(),
            age_band: match c.group.age_band {
                hearth_domain::AgeBand::Adult => "adults",
                hearth_domain::AgeBand::Teen => "teens 13–17",
            },
            seats_left: c.group.seats_left(),
            capacity: c.group.capacity,
            waitlist: c.group.waitlist,
            status: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "groups.html")]
struct BrowsePage {
    layout: Layout,
    zone: String,
    topics: Vec<(String, String)>,
    weekdays: Vec<(&'static str, &'static str)>,
    times: Vec<(&'static str, &'static str)>,
    selected_topic: String,
    selected_weekday: String,
    selected_time: String,
    with_seats: bool,
    cards: Vec<CardView>,
}

#[derive(Deserialize)]
struct BrowseQuery {
    topic: Option<String>,
    weekday: Option<String>,
    time: Option<String>,
    seats: Option<String>,
}

async fn browse(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Query(query): Query<BrowseQuery>,
) -> Result<Response> {
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let filter = BrowseFilter {
        topic: non_empty(&query.topic),
        weekday: non_empty(&query.weekday).and_then(|w| parse_weekday(&w).ok()),
        time_of_day: non_empty(&query.time).and_then(|t| TimeOfDay::parse(&t)),
        with_seats: query.seats.as_deref() == Some("1"),
    };
    let cards = state.app.browse_groups(&who, &filter).await?;
    let topics = state.app.list_topics().await?.into_iter().map(|t| (t.slug, t.name)).collect();
    Ok(page(&BrowsePage {
        layout: Layout::new("Find a group", Some(&who), &csrf),
        zone: who.user.timezone.name().to_owned(),
        topics,
        weekdays: WEEKDAYS.iter().map(|d| (weekday_slug(*d), weekday_name(*d))).collect(),
        times: vec![
            ("morning", "Morning (before 12:00)"),
            ("afternoon", "Afternoon (12:00–17:00)"),
            ("evening", "Evening (after 17:00)"),
        ],
        selected_topic: filter.topic.unwrap_or_default(),
        selected_weekday: filter.weekday.map(weekday_slug).unwrap_or_default().to_owned(),
        selected_time: non_empty(&query.time).unwrap_or_default(),
        with_seats: filter.with_seats,
        cards: cards.iter().map(CardView::from).collect(),
    }))
}

/// One upcoming meeting on a group's page.
struct MeetingView {
    when: String,
    /// The meeting's original local date, which names it for cancel and move.
    date: String,
    cancelled: bool,
    /// Its start on the group's own clock, for the move form.
    group_local: String,
}

/// Where the viewer stands with a group.
enum MemberStatus {
    Seated,
    Offered(String),
    Waiting(i64),
    /// May join; the groups they could move from instead (a switch keeps the old seat until
    /// the new one is confirmed).
    CanJoin(Vec<(i64, String)>),
    Ineligible(String),
    Staff,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    layout: Layout,
    id: i64,
    topic: String,
    topic_description: String,
    notices: Vec<String>,
    message: Option<String>,
    when: String,
    duration: i64,
    zone: String,
    slot: String,
    meetings: Vec<MeetingView>,
    may_reschedule: bool,
    seats_left: i32,
    capacity: i32,
    waitlist: i64,
    status: MemberStatus,
    care_team: bool,
    /// Members and the care team see a way into each meeting's room.
    room_link: bool,
    roster: Vec<(String, String, String)>,
    therapist_name: String,
    license_kind: &'static str,
    years: i32,
    bio: String,
    plan: Vec<(i32, String)>,
}

#[derive(Deserialize)]
struct GroupQuery {
    msg: Option<String>,
}

async fn group_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Query(query): Query<GroupQuery>,
) -> Result<Response> {
    let app = &state.app;
    let card = app.group_card(&who, GroupId::new(id)).await?;
    let group = &card.group;
    let zone = who.user.timezone;
    let (_, profile) = app.therapist_profile(group.therapist_id).await?;
    let (topic, plan) = app.topic_with_plan(&group.topic).await?;
    let group_zone = group.slot.zone().tz();
    let meetings = app
        .next_meetings(zone, group, 4)
        .await?
        .iter()
        .map(|m| MeetingView {
            when: m.local_start.format(TIME_FORMAT).to_string(),
            date: m.original_date.to_string(),
            cancelled: m.status == hearth_domain::OccurrenceStatus::Cancelled,
            group_local: m
                .starts_at
                .with_timezone(&group_zone)
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
        })
        .collect();
    let notices = app
        .shift_notices(zone, group)
        .await?
        .iter()
        .map(|n| {
            format!(
                "Heads up: from {}, this group meets at {} your time instead of {}, because clocks change on different dates in your zone and the group's.",
                n.local_date_of_meeting.format("%-d %B"),
                n.after.format("%H:%M"),
                n.before.format("%H:%M")
            )
        })
        .collect();
    let status = member_status(&state, &who, &card).await?;
    let care_team = hearth_app::is_care_team(&who, group);
    let roster = if care_team {
        state
            .app
            .roster(&who, group.id, &meta.audit(Some(&who)))
            .await?
            .into_iter()
            .filter_map(|r| {
                let client = r.client?;
                Some((
                    r.display_name,
                    client.email.to_string(),
                    client.region.map(|g| g.to_string()).unwrap_or_default(),
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    let message = match query.msg.as_deref() {
        Some("seated") => Some("You have a seat in this group. Welcome!".to_owned()),
        Some("waitlisted") => Some("The group is full, so you are on the waitlist.".to_owned()),
        Some("left") => Some("You have left the group.".to_owned()),
        Some("switch-requested") => Some("Your request is with your care coordinator; you keep your current group until it is approved.".to_owned()),
        Some("rescheduled") => Some("The meeting is updated; members see the change on their pages and calendars.".to_owned()),
        Some("switch-waiting") => Some(
            "The group is full: you are on its waitlist and keep your current seat until you accept an offer here."
                .to_owned(),
        ),
        _ => None,
    };
    Ok(page(&GroupPage {
        layout: Layout::new(&topic.name, Some(&who), &csrf),
        id,
        topic_description: topic.description.clone(),
        topic: topic.name,
        notices,
        message,
        when: card.when(),
        duration: group.slot.duration().num_minutes(),
        zone: zone.name().to_owned(),
        slot: format!(
            "{}s {} {}",
            weekday_name(group.slot.weekday()),
            group.slot.local_time().format("%H:%M"),
            group.slot.zone().name()
        ),
        meetings,
        may_reschedule: hearth_app::may_reschedule(&who, group),
        seats_left: group.seats_left(),
        capacity: group.capacity,
        waitlist: group.waitlist,
        room_link: care_team || matches!(status, MemberStatus::Seated),
        status,
        care_team,
        roster,
        therapist_name: card.therapist_name.clone(),
        license_kind: profile.license_kind.as_str(),
        years: profile.years_of_practice,
        bio: profile.bio,
        plan: plan.into_iter().map(|w| (w.week, format!("{}: {}", w.title, w.focus))).collect(),
    }))
}

/// Where a viewer stands with a group: member, offered, waiting, able to join, or not.
async fn member_status(
    state: &AppState,
    who: &hearth_app::Authenticated,
    card: &GroupCard,
) -> Result<MemberStatus> {
    let zone = who.user.timezone;
    let group = &card.group;
    Ok(if who.user.role == Role::Client {
        let mine = state.app.my_groups(who).await?;
        if mine.seated.iter().any(|(g, _)| g.id == group.id) {
            MemberStatus::Seated
        } else if let Some((_, place)) = mine.waiting.iter().find(|(g, _)| g.id == group.id) {
            match (place.status, place.offer_expires_at) {
                (WaitlistStatus::Offered, Some(until)) => MemberStatus::Offered(
                    until.with_timezone(&zone.tz()).format(TIME_FORMAT).to_string(),
                ),
                _ => MemberStatus::Waiting(place.position),
            }
        } else if card.may_join {
            let topics = state.app.list_topics().await?;
            let name = |slug: &str| {
                topics
                    .iter()
                    .find(|t| t.slug == slug)
                    .map_or_else(|| slug.to_owned(), |t| t.name.clone())
            };
            MemberStatus::CanJoin(
                mine.seated.iter().map(|(g, _)| (g.id.get(), name(&g.topic))).collect(),
            )
        } else {
            MemberStatus::Ineligible(
                "You cannot join this group: its therapist is not licensed where you live, or it is for a different age group."
                    .to_owned(),
            )
        }
    } else {
        MemberStatus::Staff
    })
}

pub(super) fn back_to(id: i64, msg: &str) -> Response {
    Redirect::to(&format!("/groups/{id}?msg={msg}")).into_response()
}

async fn reserve(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    match state.app.reserve_seat(&who, GroupId::new(id), &meta.audit(Some(&who))).await? {
        Reservation::Seated | Reservation::Offered => Ok(back_to(id, "seated")),
        Reservation::Waitlisted { .. } => Ok(back_to(id, "waitlisted")),
    }
}

pub(crate) fn meeting_date(raw: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| crate::Error::bad_request(Some("date"), "the date must be YYYY-MM-DD"))
}

#[derive(Deserialize)]
struct SwitchRequestForm {
    from: i64,
    #[serde(default)]
    reason: String,
}

async fn request_switch_here(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<SwitchRequestForm>,
) -> Result<Response> {
    state
        .app
        .request_switch(
            &who,
            GroupId::new(form.from),
            GroupId::new(id),
            &form.reason,
            &meta.audit(Some(&who)),
        )
        .await?;
    Ok(back_to(id, "switch-requested"))
}

#[derive(Deserialize)]
struct SwitchForm {
    from: i64,
}

async fn switch_here(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<SwitchForm>,
) -> Result<Response> {
    let to = GroupId::new(id);
    match state.app.switch_group(&who, GroupId::new(form.from), to, &meta.audit(Some(&who))).await?
    {
        Reservation::Seated | Reservation::Offered => Ok(back_to(id, "seated")),
        Reservation::Waitlisted { .. } => Ok(back_to(id, "switch-waiting")),
    }
}

async fn leave(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.leave_group(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(back_to(id, "left"))
}

async fn accept(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.accept_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(back_to(id, "seated"))
}

async fn decline(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.decline_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(Redirect::to("/my/groups").into_response())
}

async fn leave_waitlist(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.leave_waitlist(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(Redirect::to("/my/groups").into_response())
}

async fn group_calendar(
    State(state): State<AppState>,
    PageUser(_who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let body = state.app.group_calendar(GroupId::new(id)).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"hearth-group.ics\""),
        ],
        body,
    )
        .into_response())
}
