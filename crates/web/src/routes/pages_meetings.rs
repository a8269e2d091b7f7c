//! The therapist changes one meeting of a group from its page: cancel, restore, or move it;
//! and how pages say when a meeting is held.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use hearth_app::OccurrenceView;
use hearth_domain::{GroupId, SeriesOccurrence};
use serde::Deserialize;

use super::pages_groups::{TIME_FORMAT, back_to, meeting_date};
use crate::extract::{ClientMeta, PageUser, Path};
use crate::json::Form;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/meetings/{date}/cancel", post(cancel_meeting))
        .route("/groups/{id}/meetings/{date}/restore", post(restore_meeting))
        .route("/groups/{id}/meetings/{date}/move", post(move_meeting))
}

async fn cancel_meeting(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path((id, date)): Path<(i64, String)>,
) -> Result<Response> {
    let date = meeting_date(&date)?;
    state.app.cancel_occurrence(&who, GroupId::new(id), date, &meta.audit(Some(&who))).await?;
    Ok(back_to(&state, id, "rescheduled"))
}

async fn restore_meeting(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path((id, date)): Path<(i64, String)>,
) -> Result<Response> {
    let date = meeting_date(&date)?;
    state.app.restore_occurrence(&who, GroupId::new(id), date, &meta.audit(Some(&who))).await?;
    Ok(back_to(&state, id, "rescheduled"))
}

/// How a page's heading names the day a meeting is held: "Monday 30 November at 12:31".
const HELD_FORMAT: &str = "%A %-d %B at %H:%M";

/// When `meeting` is held on the viewer's clock, and for a moved meeting when the series had
/// put it. Its URL keeps the series date, which is its identity; people need the real day.
pub(super) fn held(meeting: &SeriesOccurrence, zone: chrono_tz::Tz) -> (String, Option<String>) {
    let at = |t: DateTime<Utc>| in_words(t, zone);
    (at(meeting.occurrence.starts_at), meeting.moved_from.map(|planned| at(planned.starts_at)))
}

/// An instant on the viewer's clock, in words: "Wednesday 3 December at 17:50".
pub(super) fn in_words(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format(HELD_FORMAT).to_string()
}

/// A meeting in a list, "Mon 30 Nov, 12:31", with " (moved from Wed 2 Dec, 18:00)" when it
/// was moved.
pub(super) fn listed(meeting: &OccurrenceView) -> String {
    let when = meeting.local_start.format(TIME_FORMAT);
    match meeting.moved_from {
        Some(planned) => format!("{when} (moved from {})", planned.format(TIME_FORMAT)),
        None => when.to_string(),
    }
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
    Ok(back_to(&state, id, "rescheduled"))
}
