//! The admins' review of break-the-glass accesses.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

/// How far back the review looks.
const REVIEW_DAYS: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/break-glass", get(review))
}

struct AccessView {
    when: String,
    until: String,
    actor: String,
    role: &'static str,
    client_id: i64,
    client: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "break_glass_review.html")]
struct ReviewPage {
    layout: Layout,
    days: i64,
    accesses: Vec<AccessView>,
}

async fn review(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
) -> Result<Response> {
    let accesses = state.app.glass_accesses(&who, REVIEW_DAYS, &meta.audit(Some(&who))).await?;
    let zone = who.user.timezone.tz();
    let at = |t: chrono::DateTime<chrono::Utc>| when.at(t, zone);
    Ok(page(&ReviewPage {
        layout: Layout::new("Break-the-glass accesses", Some(&who), &csrf),
        days: REVIEW_DAYS,
        accesses: accesses
            .into_iter()
            .map(|a| AccessView {
                when: at(a.opened_at),
                until: at(a.expires_at),
                actor: a.actor,
                role: a.actor_role.label(),
                client_id: a.client_id.get(),
                client: a.client,
                reason: a.reason,
            })
            .collect(),
    }))
}
