//! The therapist changes one meeting of a group from its page: cancel, restore, or move it;
//! and how pages say when a meeting is held.

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use hearth_app::{AppError, OccurrenceView};
use hearth_domain::{GroupId, SeriesOccurrence};
use serde::Deserialize;

use super::pages_groups::{SwitchDraft, back_to, build_group_page, meeting_date};
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::json::Form;
use crate::templates::render;
use crate::when::When;
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

/// When `meeting` is held on the viewer's clock ("Monday 30 November at 12:31"), and for a
/// moved meeting when the series had put it. Its URL keeps the series date, which is its
/// identity; people need the real day.
pub(super) fn held(
    meeting: &SeriesOccurrence,
    zone: chrono_tz::Tz,
    when: &When,
) -> (String, Option<String>) {
    let at = |t: DateTime<Utc>| when.at(t, zone);
    (at(meeting.occurrence.starts_at), meeting.moved_from.map(|planned| at(planned.starts_at)))
}

/// A meeting in a list, "Monday 30 November at 12:31", with " (moved from Wednesday
/// 2 December at 18:00)" when it was moved.
pub(super) fn listed(meeting: &OccurrenceView, when: &When) -> String {
    let held = when.date_time(&meeting.local_start);
    match meeting.moved_from {
        Some(planned) => format!("{held} (moved from {})", when.date_time(&planned)),
        None => held,
    }
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    starts_at: String,
}

/// Moving one meeting; a time refused comes back in that meeting's form as typed, with why.
async fn move_meeting(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path((id, raw_date)): Path<(i64, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response> {
    let date = meeting_date(&raw_date)?;
    let ctx = meta.audit(Some(&who));
    match state.app.move_occurrence_local(&who, GroupId::new(id), date, &form.starts_at, &ctx).await
    {
        Ok(()) => Ok(back_to(&state, id, "rescheduled")),
        Err(AppError::Invalid(errors)) => {
            let draft = SwitchDraft::default();
            let mut page =
                build_group_page(&state, &who, &csrf, &meta, &when, id, None, draft).await?;
            let message = errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ");
            page.refuse_move(&raw_date, form.starts_at, format!("Not moved: {message}."));
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}
