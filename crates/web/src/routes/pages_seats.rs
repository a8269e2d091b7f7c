//! What a client does from a group's page: take a seat or join the waitlist, accept or
//! decline a held seat, leave, move here from another group, or ask their coordinator to
//! move them (a request refused for its reason shows the group page again, reason kept).

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use hearth_app::{AppError, Reservation};
use hearth_domain::GroupId;
use serde::Deserialize;

use super::pages_groups::{SwitchDraft, back_to, build_group_page};
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::json::Form;
use crate::templates::render;
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/reserve", post(reserve))
        .route("/groups/{id}/accept", post(accept))
        .route("/groups/{id}/decline", post(decline))
        .route("/groups/{id}/switch", post(switch_here))
        .route("/groups/{id}/switch-request", post(request_switch_here))
}

async fn reserve(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    match state.app.reserve_seat(&who, GroupId::new(id), &meta.audit(Some(&who))).await? {
        Reservation::Seated | Reservation::Offered => Ok(back_to(&state, id, "seated")),
        Reservation::Waitlisted { .. } => Ok(back_to(&state, id, "waitlisted")),
    }
}

#[derive(Deserialize)]
struct SwitchRequestForm {
    from: i64,
    #[serde(default)]
    reason: String,
}

async fn request_switch_here(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Form(form): Form<SwitchRequestForm>,
) -> Result<Response> {
    let (from, to) = (GroupId::new(form.from), GroupId::new(id));
    match state.app.request_switch(&who, from, to, &form.reason, &meta.audit(Some(&who))).await {
        Ok(_) => Ok(back_to(&state, id, "switch-requested")),
        // Not sent: the page again, with the reason as typed and what to change.
        Err(AppError::Invalid(errors)) => {
            let draft = SwitchDraft {
                from: form.from,
                reason: form.reason,
                error: Some(errors.sentences()),
            };
            let page = build_group_page(&state, &who, &csrf, &meta, &when, id, None, draft).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
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
        Reservation::Seated | Reservation::Offered => Ok(back_to(&state, id, "seated")),
        Reservation::Waitlisted { .. } => Ok(back_to(&state, id, "switch-waiting")),
    }
}

async fn accept(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.accept_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(back_to(&state, id, "seated"))
}

async fn decline(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let title = state.app.group_card(&who, GroupId::new(id)).await?.title();
    state.app.decline_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    let notice =
        format!("You declined the seat in {title}; it is offered to the next person waiting.");
    Ok(crate::flash::redirect(&state, "/dashboard", &notice))
}
