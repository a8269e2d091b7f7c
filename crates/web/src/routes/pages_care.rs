//! The coordinator's workspace: the care queue and a client's summary with recommendations,
//! placement and notes.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hearth_app::{AppError, Reservation};
use hearth_domain::{GroupId, Role, UserId};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path, require_role};
use crate::json::{Form, Query};
use crate::templates::{Layout, page};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/care/queue", get(queue))
        .route("/clients/{id}", get(summary))
        .route("/clients/{id}/place", post(place))
        .route("/clients/{id}/notes", post(add_note))
        .route("/care/switches/{id}/approve", post(approve_switch))
        .route("/care/switches/{id}/decline", post(decline_switch))
}

#[derive(Template)]
#[template(path = "care_queue.html")]
struct QueuePage {
    layout: Layout,
    open_flags: usize,
    waiting: Vec<(i64, String, String, String)>,
    /// (request, client, from group, to group, reason)
    switches: Vec<(i64, String, i64, i64, String)>,
    /// (when, client, phone)
    calls: Vec<(String, String, String)>,
}

async fn queue(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    require_role(&who, &[Role::Coordinator, Role::Admin])?;
    let queue = state.app.care_queue(&who, &meta.audit(Some(&who))).await?;
    let switches = state
        .app
        .switch_requests(&who, &meta.audit(Some(&who)))
        .await?
        .into_iter()
        .map(|r| (r.id, r.client_name, r.from.get(), r.to.get(), r.reason))
        .collect();
    let tz = who.user.timezone.tz();
    let calls = state
        .app
        .upcoming_consults(&who)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.starts_at.with_timezone(&tz).format("%a %-d %b %H:%M").to_string(),
                c.client,
                c.phone,
            )
        })
        .collect();
    let zone = who.user.timezone.tz();
    Ok(page(&QueuePage {
        layout: Layout::new("Care queue", Some(&who), &csrf),
        open_flags: queue.open_risk_flags,
        waiting: queue
            .waiting
            .iter()
            .map(|(u, since)| {
                (
                    u.id.get(),
                    u.display_name.to_string(),
                    u.region.as_ref().map(ToString::to_string).unwrap_or_default(),
                    since.with_timezone(&zone).format("%-d %b %Y %H:%M").to_string(),
                )
            })
            .collect(),
        switches,
        calls,
    }))
}

async fn approve_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.decide_switch(&who, id, true, &meta.audit(Some(&who))).await?;
    Ok(Redirect::to("/care/queue").into_response())
}

async fn decline_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.decide_switch(&who, id, false, &meta.audit(Some(&who))).await?;
    Ok(Redirect::to("/care/queue").into_response())
}

struct IntakeView {
    reasons: String,
    goals: String,
    preferences: String,
    topics: String,
    availability: String,
    contact: String,
}

#[derive(Template)]
#[template(path = "client_summary.html")]
struct SummaryPage {
    layout: Layout,
    id: i64,
    name: String,
    region: String,
    zone: String,
    note_draft: &'static str,
    notice: Option<String>,
    intake: Option<IntakeView>,
    phq9: String,
    gad7: String,
    recommendations: Vec<(i64, String, i32, Vec<String>)>,
    notes: Vec<(String, String, String)>,
}

#[derive(Deserialize)]
struct SummaryQuery {
    notice: Option<String>,
    /// `crisis` starts the note form with a crisis note's headings.
    note: Option<String>,
}

/// The headings a crisis note starts from (the therapist fills them in).
const CRISIS_NOTE: &str = "Crisis note\nWhat happened:\nRisk assessment (ideation, plan, intent, means):\nWhere the client is:\nActions taken (emergency contact, 988, 911, safety plan):\nFollow-up:";

async fn summary(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Query(query): Query<SummaryQuery>,
) -> Result<Response> {
    require_role(&who, &[Role::Coordinator, Role::Admin, Role::Therapist])?;
    let client = UserId::new(id);
    let ctx = meta.audit(Some(&who));
    let app = &state.app;
    let intake = app.intake(&who, client, &ctx).await?;
    let trend = app.score_trend(&who, client, &ctx).await?;
    let ranked = app.recommendations(&who, client, &ctx).await?;
    let notes = app.care_notes(&who, client, &ctx).await?;
    let user = app.client_profile(client).await?;
    let topics = app.list_topics().await?;
    let topic_name = |slug: &str| {
        topics.iter().find(|t| t.slug == slug).map_or(slug.to_owned(), |t| t.name.clone())
    };
    let zone = who.user.timezone.tz();
    Ok(page(&SummaryPage {
        layout: Layout::new(user.display_name.as_str(), Some(&who), &csrf),
        id,
        name: user.display_name.to_string(),
        region: user.region.as_ref().map(ToString::to_string).unwrap_or_default(),
        zone: user.timezone.name().to_owned(),
        notice: query.notice,
        note_draft: if query.note.as_deref() == Some("crisis") { CRISIS_NOTE } else { "" },
        intake: intake.map(|i| IntakeView {
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
        phq9: hearth_app::ScoreTrend::describe(trend.phq9),
        gad7: hearth_app::ScoreTrend::describe(trend.gad7),
        recommendations: ranked
            .into_iter()
            .take(10)
            .map(|r| (r.group.id.get(), topic_name(&r.group.topic), r.score, r.reasons))
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| {
                (
                    n.author,
                    n.created_at.with_timezone(&zone).format("%-d %b %Y").to_string(),
                    n.body,
                )
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
struct PlaceForm {
    group_id: i64,
}

fn back(id: i64, notice: &str) -> Response {
    let notice = form_urlencoded::byte_serialize(notice.as_bytes()).collect::<String>();
    Redirect::to(&format!("/clients/{id}?notice={notice}")).into_response()
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
        Ok(Reservation::Seated) => Ok(back(id, "Placed: the client has a seat.")),
        Ok(Reservation::Offered) => {
            Ok(back(id, "Offered: a seat is held for the client to accept within 48 hours."))
        }
        Ok(Reservation::Waitlisted { position }) => Ok(back(
            id,
            &format!("The group is full: the client is number {position} on its waitlist."),
        )),
        Err(AppError::Refused { reason, .. }) => Ok(back(id, &format!("Not placed: {reason}."))),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    body: String,
}

async fn add_note(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    match state.app.add_care_note(&who, UserId::new(id), &form.body, &meta.audit(Some(&who))).await
    {
        Ok(()) => Ok(back(id, "Note added.")),
        Err(AppError::Invalid(errors)) => {
            Ok(back(id, &format!("Note not added: {}", errors.summary())))
        }
        Err(other) => Err(other.into()),
    }
}
