//! Group pages: browse the catalogue, and a group's page with its actions. A client's own
//! groups, a therapist's groups and the admin's group management are in their own modules.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Weekday;
use hearth_app::{BrowseFilter, GroupCard, Standing, TimeOfDay, weekday_name};
use hearth_domain::{GroupId, parse_weekday, weekday_slug};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::flash::Notice;
use crate::json::Query;
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(browse))
        .route("/groups/{id}", get(group_page))
        .route("/groups/{id}/calendar.ics", get(group_calendar))
        .merge(super::pages_seats::router())
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

impl CardView {
    pub(super) fn of(c: &GroupCard, when: &When) -> Self {
        CardView {
            id: c.group.id.get(),
            topic: c.title(),
            therapist: c.therapist_name.clone(),
            when: when.weekly(c.regular_local.as_ref()),
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
    times: Vec<(&'static str, String)>,
    selected_topic: String,
    selected_weekday: String,
    selected_time: String,
    with_seats: bool,
    cards: Vec<CardView>,
    matching: usize,
    page: usize,
    pages: usize,
    /// Links to the pages before and after this one, with the same filter.
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct BrowseQuery {
    topic: Option<String>,
    weekday: Option<String>,
    time: Option<String>,
    seats: Option<String>,
    page: Option<String>,
}

impl BrowseQuery {
    /// This query's address with another page number.
    fn with_page(&self, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("topic", &self.topic),
            ("weekday", &self.weekday),
            ("time", &self.time),
            ("seats", &self.seats),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                query.append_pair(name, value);
            }
        }
        query.append_pair("page", &page.to_string());
        format!("/groups?{}#results", query.finish())
    }
}

async fn browse(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    Query(query): Query<BrowseQuery>,
) -> Result<Response> {
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let filter = BrowseFilter {
        topic: non_empty(&query.topic),
        weekday: non_empty(&query.weekday).and_then(|w| parse_weekday(&w).ok()),
        time_of_day: non_empty(&query.time).and_then(|t| TimeOfDay::parse(&t)),
        with_seats: query.seats.as_deref() == Some("1"),
    };
    let page_number = query.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let catalog = state.app.browse_groups(&who, &filter, page_number).await?;
    let (page_number, pages) = (catalog.page, catalog.pages);
    Ok(page(&BrowsePage {
        layout: Layout::new("Find a group", Some(&who), &csrf),
        zone: who.user.timezone.name().to_owned(),
        topics: catalog.topics.into_iter().map(|t| (t.slug, t.name)).collect(),
        weekdays: WEEKDAYS.iter().map(|d| (weekday_slug(*d), weekday_name(*d))).collect(),
        times: day_parts(&when),
        selected_topic: filter.topic.unwrap_or_default(),
        selected_weekday: filter.weekday.map(weekday_slug).unwrap_or_default().to_owned(),
        selected_time: non_empty(&query.time).unwrap_or_default(),
        with_seats: filter.with_seats,
        matching: catalog.matching,
        page: page_number,
        pages,
        previous: (page_number > 1).then(|| query.with_page(page_number - 1)),
        next: (page_number < pages).then(|| query.with_page(page_number + 1)),
        cards: catalog.cards.iter().map(|c| CardView::of(c, &when)).collect(),
    }))
}

/// One upcoming meeting on a group's page.
struct MeetingView {
    /// When it is held, and when it was planned if it was moved.
    when: String,
    /// The meeting's original local date, which names it for cancel and move.
    date: String,
    cancelled: bool,
    /// Its start on the group's own clock, for the move form (or what was typed there).
    group_local: String,
    /// Why a move typed into this meeting's form was refused.
    move_error: Option<String>,
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
pub(super) struct GroupPage {
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
    /// A switch request that was not sent, as the person wrote it.
    draft: SwitchDraft,
}

impl GroupPage {
    /// Shows the move form of the meeting of `date` with what was typed and why it was refused.
    pub(super) fn refuse_move(&mut self, date: &str, typed: String, error: String) {
        if let Some(meeting) = self.meetings.iter_mut().find(|m| m.date == date) {
            meeting.group_local = typed;
            meeting.move_error = Some(error);
        }
    }
}

/// The switch request form's content: empty, or kept after an error with what was wrong.
#[derive(Default)]
pub(super) struct SwitchDraft {
    pub(super) from: i64,
    pub(super) reason: String,
    pub(super) error: Option<String>,
}

/// The words shown on a group's page after a change made from it.
fn group_message(code: &str) -> &'static str {
    match code {
        "seated" => "You have a seat in this group. Welcome!",
        "waitlisted" => "The group is full, so you are on the waitlist.",
        "left" => "You have left the group.",
        "switch-requested" => {
            "Your request is with your care coordinator; you keep your current group until it is approved."
        }
        "rescheduled" => {
            "The meeting is updated; members see the change on their pages and calendars."
        }
        "switch-waiting" => {
            "The group is full: you are on its waitlist and keep your current seat until you accept an offer here."
        }
        _ => "Done.",
    }
}

async fn group_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Notice(message): Notice,
) -> Result<Response> {
    let draft = SwitchDraft::default();
    Ok(page(&build_group_page(&state, &who, &csrf, &meta, &when, id, message, draft).await?))
}

#[expect(clippy::too_many_arguments, reason = "the request's parts, shared by two handlers")]
pub(super) async fn build_group_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    meta: &ClientMeta,
    when: &When,
    id: i64,
    message: Option<String>,
    draft: SwitchDraft,
) -> Result<GroupPage> {
    let view = state.app.group_page(who, GroupId::new(id), &meta.audit(Some(who))).await?;
    let (card, topic, profile, care_team) = (&view.card, view.topic, view.profile, view.care_team);
    let group = &card.group;
    let zone = who.user.timezone;
    let group_zone = group.slot.zone().tz();
    let meetings = view
        .meetings
        .iter()
        .map(|m| MeetingView {
            when: super::pages_meetings::listed(m, when),
            date: m.original_date.to_string(),
            cancelled: m.status == hearth_domain::OccurrenceStatus::Cancelled,
            group_local: m
                .starts_at
                .with_timezone(&group_zone)
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            move_error: None,
        })
        .collect();
    let notices = view
        .shift_notices
        .iter()
        .map(|n| {
            format!(
                "Heads up: from {}, this group meets at {} your time instead of {}, because clocks change on different dates in your zone and the group's.",
                when.date(n.local_date_of_meeting),
                when.time(&n.after),
                when.time(&n.before)
            )
        })
        .collect();
    let status = member_status(view.standing, zone.tz(), when);
    let roster = view
        .roster
        .into_iter()
        .map(|client| {
            (
                client.display_name.to_string(),
                client.email.to_string(),
                client.region.map(|g| g.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    Ok(GroupPage {
        layout: Layout::new(&topic.name, Some(who), csrf),
        id,
        topic_description: topic.description.clone(),
        topic: topic.name,
        notices,
        message,
        when: when.weekly(card.regular_local.as_ref()),
        duration: group.slot.duration().num_minutes(),
        zone: zone.name().to_owned(),
        slot: format!(
            "{}s {} {}",
            weekday_name(group.slot.weekday()),
            when.time(&group.slot.local_time()),
            group.slot.zone().name()
        ),
        meetings,
        may_reschedule: view.may_reschedule,
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
        plan: view.plan.iter().map(|w| (w.week, format!("{}: {}", w.title, w.focus))).collect(),
        draft,
    })
}

/// Where the viewer stands, in the page's words.
fn member_status(standing: Standing, zone: chrono_tz::Tz, when: &When) -> MemberStatus {
    match standing {
        Standing::Seated => MemberStatus::Seated,
        Standing::Offered(until) => MemberStatus::Offered(when.at(until, zone)),
        Standing::Waiting(position) => MemberStatus::Waiting(position),
        Standing::CanJoin(current) => {
            MemberStatus::CanJoin(current.into_iter().map(|(g, name)| (g.get(), name)).collect())
        }
        Standing::Ineligible(reason) => {
            MemberStatus::Ineligible(format!("You cannot join this group: {reason}."))
        }
        Standing::Staff => MemberStatus::Staff,
    }
}

/// Back to group `id`'s page, which then says what `change` did (its words are fixed here).
pub(super) fn back_to(state: &AppState, id: i64, change: &str) -> Response {
    crate::flash::redirect(state, &format!("/groups/{id}"), group_message(change))
}

pub(crate) fn meeting_date(raw: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| crate::Error::bad_request(Some("date"), "the date must be YYYY-MM-DD"))
}

async fn group_calendar(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let body = state.app.group_calendar(&who, GroupId::new(id), &state.config.public_url).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"hearth-group.ics\""),
        ],
        body,
    )
        .into_response())
}

/// The catalog's time-of-day filter, its bounds on the reader's clock.
fn day_parts(when: &When) -> Vec<(&'static str, String)> {
    let (noon, five) = (
        when.time(&chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()),
        when.time(&chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()),
    );
    vec![
        ("morning", format!("Morning (before {noon})")),
        ("afternoon", format!("Afternoon ({noon} to {five})")),
        ("evening", format!("Evening (after {five})")),
    ]
}
