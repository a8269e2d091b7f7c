//! A client's own groups and their calendar feed.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hearth_app::{AppError, WaitlistStatus};

use super::pages_groups::CardView;
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/groups", get(my_groups))
        .route("/my/calendar", post(rotate_calendar))
        .route("/my/calendar/revoke", post(revoke_calendar))
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
    when: &When,
    feed_url: Option<String>,
) -> Result<Response> {
    let mine = state.app.my_group_cards(who).await?;
    let zone = who.user.timezone.tz();
    let waiting = mine
        .waiting
        .iter()
        .map(|(card, place)| {
            let mut view = CardView::of(card, when);
            view.status = match (place.status, place.offer_expires_at) {
                (WaitlistStatus::Offered, Some(until)) => {
                    format!("A seat is held for you until {}", when.at(until, zone))
                }
                _ => format!("Number {} on the waitlist", place.position),
            };
            view
        })
        .collect();
    Ok(page(&MyGroupsPage {
        layout: Layout::new("My groups", Some(who), csrf),
        seated: mine.seated.iter().map(|c| CardView::of(c, when)).collect(),
        waiting,
        feed_url,
    }))
}

async fn my_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
) -> Result<Response> {
    my_groups_page(&state, &who, &csrf, &when, None).await
}

async fn rotate_calendar(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
) -> Result<Response> {
    let token = state.app.rotate_calendar_feed(&who, &meta.audit(Some(&who))).await?;
    let url = format!("{}/calendar/{token}.ics", state.config.public_url.trim_end_matches('/'));
    my_groups_page(&state, &who, &csrf, &when, Some(url)).await
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
