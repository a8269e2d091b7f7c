//! A meeting's attendance sheet: what the room recorded, and the therapist's corrections,
//! saved for the whole sheet at once.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_app::{AppError, AttendanceLine, Authenticated, Meeting, SheetPart};
use hearth_domain::{AttendanceStatus, FieldErrors, UserId};
use serde::Deserialize;

use super::pages_meetings::held;
use super::pages_room::meeting;
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::json::{Query, RawForm};
use crate::templates::{Layout, render};
use crate::when::When;
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/meetings/{date}/attendance", get(attendance_page).post(save_sheet))
}

#[derive(Template)]
#[template(path = "attendance.html")]
struct AttendancePage {
    layout: Layout,
    group: i64,
    /// The series date that names the meeting in URLs.
    date: String,
    topic: String,
    /// When the meeting is held on the viewer's clock, and when it was planned if moved.
    held: String,
    moved_from: Option<String>,
    message: Option<&'static str>,
    may_correct: bool,
    lines: Vec<LineView>,
    statuses: Vec<(&'static str, &'static str)>,
    /// What the last save refused, each linking to its line.
    errors: Vec<(String, String)>,
}

struct LineView {
    user: i64,
    name: String,
    note: String,
    status_label: &'static str,
    /// The status the line's picker shows: as saved, or as the person chose before a refusal.
    chosen: String,
    error: Option<String>,
    minutes: String,
    first_joined: String,
}

#[derive(Debug, Deserialize)]
struct AttendanceQuery {
    msg: Option<String>,
}

/// The minutes connected, as a person reads them: "less than 1" rather than a 0 for someone
/// who was there for a moment.
fn minutes(seconds: i64) -> String {
    match seconds {
        s if s <= 0 => "0".to_owned(),
        s if s < 60 => "less than 1".to_owned(),
        s => (s / 60).to_string(),
    }
}

fn note(line: &AttendanceLine) -> String {
    let who = match line.part {
        SheetPart::Host => "therapist, host of the session",
        SheetPart::Member => "",
        SheetPart::Staff => "care staff",
        SheetPart::FormerMember => "no longer a member of the group",
    };
    let set = if line.corrected { "set by the therapist" } else { "" };
    [who, set].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
}

/// What a refused save sent back: the chosen statuses by person, and the errors.
struct Refused {
    chosen: HashMap<i64, String>,
    errors: FieldErrors,
}

#[expect(clippy::too_many_arguments, reason = "the request's parts and the refused form")]
async fn sheet_page(
    state: &AppState,
    who: &Authenticated,
    csrf: &CsrfToken,
    when: &When,
    meta: &ClientMeta,
    meeting: &Meeting,
    message: Option<&'static str>,
    refused: Option<Refused>,
) -> Result<Response> {
    let sheet = state.app.meeting_attendance(who, meeting, &meta.audit(Some(who))).await?;
    let (topic, _) = state.app.topic_with_plan(&meeting.group.topic).await?;
    let zone = who.user.timezone.tz();
    let (held, moved_from) = held(&meeting.occurrence, zone, when);
    let field = |user: UserId| format!("status-{user}");
    let lines: Vec<LineView> = sheet
        .iter()
        .map(|l| LineView {
            user: l.user.get(),
            name: l.name.clone(),
            note: note(l),
            status_label: l.status.label(),
            chosen: refused
                .as_ref()
                .and_then(|r| r.chosen.get(&l.user.get()).cloned())
                .unwrap_or_else(|| l.status.as_str().to_owned()),
            error: refused.as_ref().and_then(|r| r.errors.get(&field(l.user)).map(str::to_owned)),
            minutes: minutes(l.seconds),
            first_joined: l
                .first_joined_at
                .map_or_else(|| "Did not join".to_owned(), |t| when.time(&t.with_timezone(&zone))),
        })
        .collect();
    let errors = refused
        .as_ref()
        .map(|r| r.errors.iter().map(|(f, m)| (f.to_owned(), m.to_owned())).collect())
        .unwrap_or_default();
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &AttendancePage {
            layout: Layout::new(&format!("{} attendance", topic.name), Some(who), csrf),
            group: meeting.group.id.get(),
            date: meeting.date().to_string(),
            topic: topic.name,
            held,
            moved_from,
            message,
            may_correct: hearth_app::may_reschedule(who, &meeting.group),
            lines,
            statuses: AttendanceStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
            errors,
        },
    ))
}

async fn attendance_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path((id, date)): Path<(i64, String)>,
    Query(query): Query<AttendanceQuery>,
) -> Result<Response> {
    let meeting = meeting(&state, id, &date).await?;
    let message = match query.msg.as_deref() {
        Some("saved") => Some("Attendance saved."),
        Some("unchanged") => Some("Nothing changed: the sheet was already as you set it."),
        _ => None,
    };
    sheet_page(&state, &who, &csrf, &when, &meta, &meeting, message, None).await
}

/// Each line's status by person: for the app, and as chosen, for the page.
type SheetLines = (Vec<(UserId, String)>, HashMap<i64, String>);

/// The sheet's form: `status-{person id}` = status, one per line.
fn sheet_lines(body: &[u8]) -> Result<SheetLines> {
    let mut lines = Vec::new();
    let mut chosen = HashMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        let Some(person) = key.strip_prefix("status-") else { continue };
        let Ok(person) = person.parse::<i64>() else {
            return Err(Error::bad_request(Some(&key), "this line is not a person on the sheet"));
        };
        chosen.insert(person, value.to_string());
        lines.push((UserId::new(person), value.into_owned()));
    }
    Ok((lines, chosen))
}

async fn save_sheet(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path((id, date)): Path<(i64, String)>,
    RawForm(body): RawForm,
) -> Result<Response> {
    let meeting = meeting(&state, id, &date).await?;
    let (lines, chosen) = sheet_lines(&body)?;
    let saved = state.app.save_attendance(&who, &meeting, &lines, &meta.audit(Some(&who))).await;
    match saved {
        Ok(changed) => {
            let msg = if changed == 0 { "unchanged" } else { "saved" };
            let back = format!("/groups/{id}/meetings/{}/attendance?msg={msg}", meeting.date());
            Ok(Redirect::to(&back).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let refused = Refused { chosen, errors };
            sheet_page(&state, &who, &csrf, &when, &meta, &meeting, None, Some(refused)).await
        }
        Err(other) => Err(other.into()),
    }
}
