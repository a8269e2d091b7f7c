//! The coordinator's workspace: the care queue and a client's summary with recommendations,
//! placement and notes.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_app::{AppError, Authenticated, Reservation};
use hearth_domain::{GroupId, UserId};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::flash::{self, Notice};
use crate::json::{Form, Query};
use crate::templates::{Layout, page, render};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/care/queue", get(queue))
        .route("/clients/{id}", get(summary))
        .route("/clients/{id}/place", post(place))
        .route("/clients/{id}/notes", post(add_note))
        .route("/clients/{id}/break-glass", post(break_glass))
        .route("/clients/{id}/take-on", post(take_on))
        .route("/clients/{id}/coordinator", post(assign_coordinator))
        .route("/care/switches/{id}/approve", post(approve_switch))
        .route("/care/switches/{id}/decline", post(decline_switch))
}

#[derive(Template)]
#[template(path = "care_queue.html")]
struct QueuePage {
    layout: Layout,
    notice: Option<String>,
    open_flags: usize,
    waiting: Vec<(i64, String, String, String)>,
    /// (request, client, from group, to group, reason)
    switches: Vec<SwitchLine>,
    /// (when, client id, client, phone)
    calls: Vec<(String, i64, String, String)>,
    waiting_total: usize,
    /// When the list of people waiting was made, in the reader's time.
    waiting_as_of: String,
    page: usize,
    pages: usize,
}

/// `?page=N` of a paged list.
#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// A switch request on the queue: who, from which group to which (by title), and why.
struct SwitchLine {
    id: i64,
    client: (i64, String),
    from: (i64, String),
    to: (i64, String),
    reason: String,
}

async fn queue(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Query(query): Query<PageQuery>,
    Notice(notice): Notice,
) -> Result<Response> {
    let number = query.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let queue = state.app.care_queue(&who, number, &meta.audit(Some(&who))).await?;
    let title = |g: hearth_domain::GroupId| {
        (g.get(), queue.group_titles.get(&g).cloned().unwrap_or_else(|| format!("group {g}")))
    };
    let switches = queue
        .switches
        .iter()
        .map(|r| SwitchLine {
            id: r.id,
            client: (r.client.get(), r.client_name.clone()),
            from: title(r.from),
            to: title(r.to),
            reason: r.reason.clone(),
        })
        .collect();
    let tz = who.user.timezone.tz();
    let calls = queue
        .calls
        .into_iter()
        .map(|c| (when.at(c.starts_at, tz), c.client_id.get(), c.client, c.phone))
        .collect();
    let zone = who.user.timezone.tz();
    Ok(page(&QueuePage {
        layout: Layout::new("Care queue", Some(&who), &csrf),
        notice,
        open_flags: queue.open_risk_flags,
        waiting: queue
            .waiting
            .iter()
            .map(|(u, since)| {
                (
                    u.id.get(),
                    u.display_name.to_string(),
                    u.region.as_ref().map(ToString::to_string).unwrap_or_default(),
                    when.at(*since, zone),
                )
            })
            .collect(),
        switches,
        calls,
        waiting_total: queue.waiting_total,
        waiting_as_of: when.time(&queue.waiting_as_of.with_timezone(&zone)),
        page: queue.page,
        pages: queue.pages,
    }))
}

async fn approve_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let moved = state.app.decide_switch(&who, id, true, &meta.audit(Some(&who))).await?;
    let notice = match moved {
        Some(Reservation::Waitlisted { .. }) => {
            "Approved: the group is full, so the client waits for a seat there and keeps their current one."
        }
        _ => "Approved: the client has moved; their home page tells them.",
    };
    Ok(flash::redirect(&state, "/care/queue", notice))
}

async fn decline_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.decide_switch(&who, id, false, &meta.audit(Some(&who))).await?;
    Ok(flash::redirect(
        &state,
        "/care/queue",
        "Declined: the client keeps their group; their home page tells them.",
    ))
}

struct IntakeView {
    reasons: String,
    goals: String,
    preferences: String,
    topics: String,
    availability: String,
    contact: String,
}

struct ClinicalView {
    standing: super::summary_view::StandingView,
    intake: Option<IntakeView>,
    phq9: String,
    gad7: String,
    recommendations: Vec<(i64, String, i32, Vec<String>)>,
    notes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "client_summary.html")]
struct SummaryPage {
    layout: Layout,
    id: i64,
    /// The client's name, or "Client 12" for a viewer who may not see it.
    name: String,
    known: bool,
    region: String,
    zone: String,
    coordinator: Option<String>,
    coordinators: Vec<(i64, String)>,
    may: hearth_app::ClientPermissions,
    notice: Option<String>,
    drafts: Drafts,
    clinical: Option<ClinicalView>,
}

#[derive(Deserialize)]
struct SummaryQuery {
    /// `crisis` starts the note form with a crisis note's headings.
    note: Option<String>,
}

/// What was typed into the page's note or glass form and refused, shown again with why.
#[derive(Default)]
struct Drafts {
    note: String,
    note_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
}

/// The headings a crisis note starts from (the therapist fills them in).
const CRISIS_NOTE: &str = "Crisis note\nWhat happened:\nRisk assessment (ideation, plan, intent, means):\nWhere the client is:\nActions taken (emergency contact, 988, 911, safety plan):\nFollow-up:";

#[expect(clippy::too_many_arguments, reason = "one extractor for each part of the request")]
async fn summary(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Query(query): Query<SummaryQuery>,
    Notice(notice): Notice,
) -> Result<Response> {
    let summary = state.app.client_summary(&who, UserId::new(id), &meta.audit(Some(&who))).await?;
    let note = if query.note.as_deref() == Some("crisis") { CRISIS_NOTE } else { "" };
    let drafts = Drafts { note: note.to_owned(), ..Drafts::default() };
    Ok(page(&summary_page(&state, &who, &csrf, &when, summary, notice, drafts).await?))
}

async fn summary_page(
    state: &AppState,
    who: &Authenticated,
    csrf: &CsrfToken,
    when: &When,
    summary: hearth_app::ClientSummary,
    notice: Option<String>,
    drafts: Drafts,
) -> Result<SummaryPage> {
    let id = summary.id.get();
    let topics = state.app.list_topics().await?;
    let topic_name = |slug: &str| {
        topics.iter().find(|t| t.slug == slug).map_or(slug.to_owned(), |t| t.name.clone())
    };
    let zone = who.user.timezone.tz();
    let name = summary
        .client
        .as_ref()
        .map_or_else(|| format!("Client {id}"), |u| u.display_name.to_string());
    let clinical = summary.clinical.map(|c| ClinicalView {
        standing: super::summary_view::StandingView::of(&c, zone, when),
        intake: c.intake.map(|i| IntakeView {
            reasons: i.private.reasons,
            goals: i.private.goals,
            preferences: i.private.preferences,
            topics: i.topics.iter().map(|t| topic_name(t)).collect::<Vec<_>>().join(", "),
            availability: i
                .availability
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            contact: format!(
                "{} ({})",
                i.private.emergency_contact_name, i.private.emergency_contact_phone
            ),
        }),
        phq9: hearth_app::ScoreTrend::describe(c.trend.phq9),
        gad7: hearth_app::ScoreTrend::describe(c.trend.gad7),
        recommendations: c
            .recommendations
            .into_iter()
            .take(10)
            .map(|r| (r.group.id.get(), r.title, r.score, when.reasons(&r.reasons)))
            .collect(),
        notes: c
            .notes
            .into_iter()
            .map(|n| (n.author, when.day(n.created_at, zone), n.body))
            .collect(),
    });
    Ok(SummaryPage {
        layout: Layout::new(&name, Some(who), csrf),
        id,
        known: summary.client.is_some(),
        region: summary
            .client
            .as_ref()
            .and_then(|u| u.region.as_ref().map(ToString::to_string))
            .unwrap_or_default(),
        zone: summary.client.as_ref().map(|u| u.timezone.name().to_owned()).unwrap_or_default(),
        name,
        coordinator: summary.coordinator,
        coordinators: summary.coordinators.into_iter().map(|(id, n)| (id.get(), n)).collect(),
        may: summary.permissions,
        notice,
        drafts,
        clinical,
    })
}

#[derive(Deserialize)]
struct GlassForm {
    #[serde(default)]
    reason: String,
}

/// Breaking the glass from the summary page: on success the page reloads with the record
/// open; a reason too short keeps what was typed and says what is missing.
async fn break_glass(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Form(form): Form<GlassForm>,
) -> Result<Response> {
    let ctx = meta.audit(Some(&who));
    match state.app.break_glass(&who, UserId::new(id), &form.reason, &ctx).await {
        Ok(until) => {
            let until = when.time(&until.with_timezone(&who.user.timezone.tz()));
            Ok(back(
                &state,
                id,
                &format!(
                    "You broke the glass: you can read this record until {until}. Administrators review every access."
                ),
            ))
        }
        Err(AppError::Invalid(fields)) => {
            let summary = state.app.client_summary(&who, UserId::new(id), &ctx).await?;
            let message = fields.get("reason").unwrap_or_default().to_owned();
            let notice = Some(format!("Not opened: {message}."));
            let drafts = Drafts {
                reason: form.reason,
                reason_error: Some(format!("Your reason: {message}.")),
                ..Drafts::default()
            };
            let page_data =
                summary_page(&state, &who, &csrf, &when, summary, notice, drafts).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(AppError::Refused { reason, .. }) => {
            Ok(back(&state, id, &format!("Not opened: {reason}.")))
        }
        Err(other) => Err(other.into()),
    }
}

async fn take_on(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    match state.app.take_on_client(&who, UserId::new(id), &meta.audit(Some(&who))).await {
        Ok(()) => Ok(back(&state, id, "You are now this client's coordinator.")),
        Err(AppError::Refused { reason, .. }) => {
            Ok(back(&state, id, &format!("Not changed: {reason}.")))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct CoordinatorForm {
    coordinator_id: i64,
}

async fn assign_coordinator(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CoordinatorForm>,
) -> Result<Response> {
    let ctx = meta.audit(Some(&who));
    match state
        .app
        .assign_coordinator(&who, UserId::new(id), UserId::new(form.coordinator_id), &ctx)
        .await
    {
        Ok(()) => Ok(back(&state, id, "The coordinator is changed.")),
        Err(AppError::Invalid(_)) => {
            Ok(back(&state, id, "Not changed: choose one of the coordinators."))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct PlaceForm {
    group_id: i64,
}

fn back(state: &AppState, id: i64, notice: &str) -> Response {
    flash::redirect(state, &format!("/clients/{id}"), notice)
}

async fn place(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<PlaceForm>,
) -> Result<Response> {
    match state
        .app
        .place_client(&who, UserId::new(id), GroupId::new(form.group_id), &meta.audit(Some(&who)))
        .await
    {
        Ok(Reservation::Seated) => Ok(back(&state, id, "Placed: the client has a seat.")),
        Ok(Reservation::Offered) => Ok(back(
            &state,
            id,
            "Offered: a seat is held for the client to accept within 48 hours.",
        )),
        Ok(Reservation::Waitlisted { position }) => Ok(back(
            &state,
            id,
            &format!("The group is full: the client is number {position} on its waitlist."),
        )),
        Err(AppError::Refused { reason, .. }) => {
            Ok(back(&state, id, &format!("Not placed: {reason}.")))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    body: String,
}

/// Adding a care note from the summary page; a note refused comes back as typed, with why.
async fn add_note(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    let ctx = meta.audit(Some(&who));
    match state.app.add_care_note(&who, UserId::new(id), &form.body, &ctx).await {
        Ok(()) => Ok(back(&state, id, "Note added.")),
        Err(AppError::Invalid(errors)) => {
            let summary = state.app.client_summary(&who, UserId::new(id), &ctx).await?;
            let notice = Some(format!("Note not added: {}", errors.sentences()));
            let message = errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ");
            let drafts = Drafts {
                note: form.body,
                note_error: Some(format!("Your note: {message}.")),
                ..Drafts::default()
            };
            let page_data =
                summary_page(&state, &who, &csrf, &when, summary, notice, drafts).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(other) => Err(other.into()),
    }
}
