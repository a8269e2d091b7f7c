//! Group pages: browse, a group's page with its actions, my groups, a therapist's groups,
//! and admin group management.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Weekday;
use hearth_app::{
    AppError, BrowseFilter, GroupCard, GroupFilter, GroupInput, Reservation, TimeOfDay,
    weekday_name,
};
use hearth_domain::{FieldErrors, GroupId, Role, parse_weekday, weekday_slug};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path, require_role};
use crate::json::{Form, Query};
use crate::templates::{FieldView, Layout, page, render};
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
        .route("/groups/{id}/meetings/{date}/cancel", post(cancel_meeting))
        .route("/groups/{id}/meetings/{date}/restore", post(restore_meeting))
        .route("/groups/{id}/meetings/{date}/move", post(move_meeting))
        .route("/groups/{id}/calendar.ics", get(group_calendar))
        .route("/my/groups", get(my_groups))
        .route("/my/calendar", post(rotate_calendar))
        .route("/my/calendar/revoke", post(revoke_calendar))
        .route("/therapist/groups", get(therapist_groups))
        .route("/admin/groups", get(admin_groups).post(create_group))
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];
const TIME_FORMAT: &str = "%a %-d %b, %H:%M";

/// A group card as the templates show it.
struct CardView {
    id: i64,
    topic: String,
    therapist: String,
    when: String,
    age_band: &'static str,
    seats_left: i32,
    capacity: i32,
    waitlist: i64,
    status: String,
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
            match place.offer_expires_at {
                Some(until) if place.position == 0 => MemberStatus::Offered(
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

fn back_to(id: i64, msg: &str) -> Response {
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

async fn cancel_meeting(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path((id, date)): Path<(i64, String)>,
) -> Result<Response> {
    let date = meeting_date(&date)?;
    state.app.cancel_occurrence(&who, GroupId::new(id), date, &meta.audit(Some(&who))).await?;
    Ok(back_to(id, "rescheduled"))
}

async fn restore_meeting(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path((id, date)): Path<(i64, String)>,
) -> Result<Response> {
    let date = meeting_date(&date)?;
    state.app.restore_occurrence(&who, GroupId::new(id), date, &meta.audit(Some(&who))).await?;
    Ok(back_to(id, "rescheduled"))
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    starts_at: String,
}

async fn move_meeting(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path((id, date)): Path<(i64, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response> {
    let date = meeting_date(&date)?;
    state
        .app
        .move_occurrence_local(
            &who,
            GroupId::new(id),
            date,
            &form.starts_at,
            &meta.audit(Some(&who)),
        )
        .await?;
    Ok(back_to(id, "rescheduled"))
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

#[derive(Template)]
#[template(path = "my_groups.html")]
struct MyGroupsPage {
    layout: Layout,
    seated: Vec<CardView>,
    waiting: Vec<CardView>,
    feed_url: Option<String>,
}

async fn my_groups_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    feed_url: Option<String>,
) -> Result<Response> {
    let mine = state.app.my_groups(who).await?;
    let seated = state.app.cards(who, mine.seated.into_iter().map(|(g, _)| g).collect()).await?;
    let places: Vec<_> = mine.waiting.iter().map(|(_, p)| p.clone()).collect();
    let waiting = state.app.cards(who, mine.waiting.into_iter().map(|(g, _)| g).collect()).await?;
    let zone = who.user.timezone.tz();
    let waiting = waiting
        .iter()
        .zip(places)
        .map(|(card, place)| {
            let mut view = CardView::from(card);
            view.status = match place.offer_expires_at {
                Some(until) if place.position == 0 => {
                    format!(
                        "A seat is held for you until {}",
                        until.with_timezone(&zone).format(TIME_FORMAT)
                    )
                }
                _ => format!("Number {} on the waitlist", place.position),
            };
            view
        })
        .collect();
    Ok(page(&MyGroupsPage {
        layout: Layout::new("My groups", Some(who), csrf),
        seated: seated.iter().map(CardView::from).collect(),
        waiting,
        feed_url,
    }))
}

async fn my_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
) -> Result<Response> {
    my_groups_page(&state, &who, &csrf, None).await
}

async fn rotate_calendar(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    let token = state.app.rotate_calendar_feed(&who, &meta.audit(Some(&who))).await?;
    let url = format!("{}/calendar/{token}.ics", state.config.public_url.trim_end_matches('/'));
    my_groups_page(&state, &who, &csrf, Some(url)).await
}

async fn revoke_calendar(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    match state.app.revoke_calendar_feed(&who, &meta.audit(Some(&who))).await {
        Ok(()) | Err(AppError::NotFound) => Ok(Redirect::to("/my/groups").into_response()),
        Err(other) => Err(other.into()),
    }
}

struct RosterRow {
    client_id: i64,
    name: String,
    email: String,
    region: String,
    phq9: String,
    gad7: String,
}

struct TherapistGroupView {
    id: i64,
    topic: String,
    when: String,
    seats: String,
    roster: Vec<RosterRow>,
    /// The next meeting's series date and time, for its room.
    next: Option<(String, String)>,
    /// The last meeting's series date and time, for its attendance sheet.
    last: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "therapist_groups.html")]
struct TherapistGroupsPage {
    layout: Layout,
    groups: Vec<TherapistGroupView>,
}

async fn therapist_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    require_role(&who, &[Role::Therapist])?;
    let cards = state.app.therapist_groups(&who).await?;
    let ctx = meta.audit(Some(&who));
    let mut rosters = Vec::with_capacity(cards.len());
    for card in &cards {
        rosters.push(state.app.roster(&who, card.group.id, &ctx).await?);
    }
    let members: Vec<hearth_domain::UserId> =
        rosters.iter().flatten().filter_map(|r| r.client.as_ref().map(|c| c.id)).collect();
    let trends = state.app.score_trends(&who, &members, &ctx).await?;
    let mut groups = Vec::with_capacity(cards.len());
    for (card, roster) in cards.iter().zip(&rosters) {
        let mut rows = Vec::with_capacity(roster.len());
        for r in roster {
            let Some(client) = r.client.as_ref() else { continue };
            let trend = trends.get(&client.id).copied().unwrap_or_default();
            rows.push(RosterRow {
                client_id: client.id.get(),
                name: r.display_name.clone(),
                email: client.email.to_string(),
                region: client.region.as_ref().map(ToString::to_string).unwrap_or_default(),
                phq9: hearth_app::ScoreTrend::describe(trend.phq9),
                gad7: hearth_app::ScoreTrend::describe(trend.gad7),
            });
        }
        let zone = who.user.timezone;
        let dated = |m: &hearth_app::OccurrenceView| {
            (m.original_date.to_string(), m.local_start.format(TIME_FORMAT).to_string())
        };
        let next = state.app.next_meetings(zone, &card.group, 1).await?.first().map(dated);
        let last = state.app.last_meeting(zone, &card.group).await?.as_ref().map(dated);
        groups.push(TherapistGroupView {
            next,
            last,
            id: card.group.id.get(),
            topic: card.topic_name.clone(),
            when: card.when(),
            seats: format!(
                "{} of {} seats taken, {} waiting",
                card.group.seats_taken, card.group.capacity, card.group.waitlist
            ),
            roster: rows,
        });
    }
    Ok(page(&TherapistGroupsPage { layout: Layout::new("My groups", Some(&who), &csrf), groups }))
}

struct SelectView {
    name: &'static str,
    label: &'static str,
    value: String,
    options: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_groups.html")]
struct AdminGroupsPage {
    layout: Layout,
    created: Option<i64>,
    selects: Vec<SelectView>,
    fields: Vec<FieldView>,
    groups: Vec<(i64, String, String, String, String)>,
}

#[derive(Default, Deserialize)]
struct GroupForm {
    topic: Option<String>,
    therapist_id: Option<String>,
    weekday: Option<String>,
    local_time: Option<String>,
    timezone: Option<String>,
    capacity: Option<String>,
    age_band: Option<String>,
    starts_on: Option<String>,
}

async fn admin_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    form: &GroupForm,
    errors: &FieldErrors,
    created: Option<i64>,
) -> Result<AdminGroupsPage> {
    let topics = state.app.list_topics().await?;
    let therapists: Vec<_> = state
        .app
        .list_staff(&who.user)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Therapist)
        .collect();
    let select = |name, label, value: &Option<String>, options: Vec<(String, String)>| SelectView {
        name,
        label,
        value: value.clone().unwrap_or_default(),
        options,
        error: errors.get(name).map(str::to_owned),
    };
    let selects = vec![
        select(
            "topic",
            "Topic",
            &form.topic,
            topics.iter().map(|t| (t.slug.clone(), t.name.clone())).collect(),
        ),
        select(
            "therapist_id",
            "Therapist",
            &form.therapist_id,
            therapists
                .iter()
                .map(|t| (t.id.to_string(), format!("{} ({})", t.display_name, t.timezone)))
                .collect(),
        ),
        select(
            "weekday",
            "Day",
            &form.weekday,
            WEEKDAYS
                .iter()
                .map(|d| (weekday_slug(*d).to_owned(), weekday_name(*d).to_owned()))
                .collect(),
        ),
        select(
            "age_band",
            "Age band",
            &form.age_band,
            vec![
                ("adult".to_owned(), "Adults".to_owned()),
                ("teen".to_owned(), "Teens 13–17".to_owned()),
            ],
        ),
    ];
    let fields = vec![
        FieldView::new(
            "local_time",
            "Time (HH:MM, the therapist's time unless a zone is given)",
            "text",
        )
        .value(form.local_time.as_deref())
        .errors(errors),
        FieldView::new("timezone", "Time zone (blank: the therapist's)", "text")
            .value(form.timezone.as_deref())
            .errors(errors),
        FieldView::new("capacity", "Seats", "number")
            .value(Some(form.capacity.as_deref().unwrap_or("10")))
            .errors(errors),
        FieldView::new("starts_on", "First meeting date", "date")
            .value(form.starts_on.as_deref())
            .errors(errors),
    ];
    let cards = state.app.cards(who, state.app.list_groups(&GroupFilter::default()).await?).await?;
    let groups = cards
        .iter()
        .map(|c| {
            (
                c.group.id.get(),
                c.topic_name.clone(),
                c.therapist_name.clone(),
                format!(
                    "{}s {} ({})",
                    weekday_name(c.group.slot.weekday()),
                    c.group.slot.local_time().format("%H:%M"),
                    c.group.slot.zone().name()
                ),
                format!(
                    "{}/{} · {} waiting",
                    c.group.seats_taken, c.group.capacity, c.group.waitlist
                ),
            )
        })
        .collect();
    Ok(AdminGroupsPage {
        layout: Layout::new("Groups", Some(who), csrf),
        created,
        selects,
        fields,
        groups,
    })
}

async fn admin_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    Ok(page(
        &admin_page(&state, &who, &csrf, &GroupForm::default(), &FieldErrors::new(), None).await?,
    ))
}

async fn create_group(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Form(form): Form<GroupForm>,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    let mut errors = FieldErrors::new();
    let number = |errors: &mut FieldErrors, name: &str, raw: &Option<String>| -> Option<i64> {
        let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        let parsed = raw.parse::<i64>().ok();
        if parsed.is_none() {
            errors.add(name, "enter a whole number");
        }
        parsed
    };
    let input = GroupInput {
        topic: form.topic.clone(),
        therapist_id: number(&mut errors, "therapist_id", &form.therapist_id),
        weekday: form.weekday.clone(),
        local_time: form.local_time.clone(),
        timezone: form.timezone.clone(),
        duration_minutes: None,
        capacity: number(&mut errors, "capacity", &form.capacity),
        age_band: form.age_band.clone(),
        starts_on: form.starts_on.clone(),
        ends_on: None,
    };
    let outcome = if errors.is_empty() {
        state.app.create_group(&who, &input, &meta.audit(Some(&who))).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match outcome {
        Ok(id) => Ok(page(
            &admin_page(
                &state,
                &who,
                &csrf,
                &GroupForm::default(),
                &FieldErrors::new(),
                Some(id.get()),
            )
            .await?,
        )),
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &admin_page(&state, &who, &csrf, &form, &errors, None).await?,
        )),
        Err(other) => Err(other.into()),
    }
}
