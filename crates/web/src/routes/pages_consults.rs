//! Consult call pages: a client books, moves or cancels; a coordinator sets availability
//! and sees their calls.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hearth_app::AppError;
use hearth_domain::Role;
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path, require_role};
use crate::json::{Query, RawForm};
use crate::templates::{Layout, page};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consult", get(consult).post(book))
        .route("/consult/{id}/cancel", post(cancel))
        .route("/care/availability", get(availability).post(save_availability))
}

const WHEN: &str = "%A %-d %B, %H:%M";

#[derive(Template)]
#[template(path = "consult.html")]
struct ConsultPage {
    layout: Layout,
    zone: String,
    notice: Option<String>,
    calls: Vec<(i64, String, String, String)>,
    slots: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn with_notice(path: &str, notice: &str) -> Response {
    let notice = form_urlencoded::byte_serialize(notice.as_bytes()).collect::<String>();
    Redirect::to(&format!("{path}?notice={notice}")).into_response()
}

async fn consult(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Query(query): Query<NoticeQuery>,
) -> Result<Response> {
    require_role(&who, &[Role::Client])?;
    let zone = who.user.timezone.tz();
    let calls = state.app.upcoming_consults(&who).await?;
    let slots = state.app.consult_slots(&who).await?;
    Ok(page(&ConsultPage {
        layout: Layout::new("Free consult call", Some(&who), &csrf),
        zone: who.user.timezone.name().to_owned(),
        notice: query.notice,
        calls: calls
            .iter()
            .map(|c| {
                (
                    c.id,
                    c.coordinator.clone(),
                    c.starts_at.with_timezone(&zone).format(WHEN).to_string(),
                    c.phone.clone(),
                )
            })
            .collect(),
        slots: slots
            .iter()
            .take(24)
            .map(|s| (s.to_rfc3339(), s.with_timezone(&zone).format(WHEN).to_string()))
            .collect(),
    }))
}

async fn book(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    RawForm(raw): RawForm,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let Some(starts_at) =
        one("starts_at").and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
    else {
        return Ok(with_notice("/consult", "Choose a time first."));
    };
    let replaces = one("replaces").and_then(|r| r.parse().ok());
    let phone = one("phone").unwrap_or_default();
    match state
        .app
        .book_consult(
            &who,
            starts_at.with_timezone(&chrono::Utc),
            &phone,
            replaces,
            &meta.audit(Some(&who)),
        )
        .await
    {
        Ok(_) => Ok(with_notice("/consult", "Booked. A coordinator will call you then.")),
        Err(AppError::Refused { reason, .. }) => Ok(with_notice("/consult", &reason)),
        Err(AppError::Invalid(errors)) => Ok(with_notice("/consult", &errors.summary())),
        Err(other) => Err(other.into()),
    }
}

async fn cancel(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.cancel_consult(&who, id, &meta.audit(Some(&who))).await?;
    Ok(with_notice("/consult", "Your call is cancelled."))
}

#[derive(Template)]
#[template(path = "availability.html")]
struct AvailabilityPage {
    layout: Layout,
    zone: String,
    notice: Option<String>,
    calls: Vec<(String, String, String)>,
    windows: String,
}

async fn availability(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Query(query): Query<NoticeQuery>,
) -> Result<Response> {
    require_role(&who, &[Role::Coordinator])?;
    let zone = who.user.timezone.tz();
    let calls = state.app.upcoming_consults(&who).await?;
    let windows = state.app.consult_availability(&who).await?;
    Ok(page(&AvailabilityPage {
        layout: Layout::new("Consult calls", Some(&who), &csrf),
        zone: who.user.timezone.name().to_owned(),
        notice: query.notice,
        calls: calls
            .iter()
            .map(|c| {
                (
                    c.starts_at.with_timezone(&zone).format(WHEN).to_string(),
                    c.client.clone(),
                    c.phone.clone(),
                )
            })
            .collect(),
        windows: windows.join("\n"),
    }))
}

#[derive(Deserialize)]
struct WindowsForm {
    #[serde(default)]
    windows: String,
}

async fn save_availability(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    crate::json::Form(form): crate::json::Form<WindowsForm>,
) -> Result<Response> {
    let windows: Vec<String> = form.windows.lines().map(str::to_owned).collect();
    match state.app.set_consult_availability(&who, &windows, &meta.audit(Some(&who))).await {
        Ok(()) => Ok(with_notice("/care/availability", "Saved.")),
        Err(AppError::Invalid(errors)) => {
            Ok(with_notice("/care/availability", &format!("Not saved: {}", errors.summary())))
        }
        Err(other) => Err(other.into()),
    }
}
