//! The therapist changes one meeting of a group from its page: cancel, restore, or move it.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use hearth_domain::GroupId;
use serde::Deserialize;

use super::pages_groups::{back_to, meeting_date};
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
