//! Consult call pages: a client books, moves or cancels; a coordinator sets availability
//! and sees their calls.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_app::{AppError, Authenticated};
use hearth_domain::{FieldErrors, Role};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path, require_role};
use crate::flash::{self, Notice};
use crate::json::RawForm;
use crate::templates::{Layout, page, render};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consult", get(consult).post(book))
        .route("/consult/{id}/cancel", post(cancel))
        .route("/care/availability", get(availability).post(save_availability))
}

#[derive(Template)]
#[template(path = "consult.html")]
struct ConsultPage {
    layout: Layout,
    zone: String,
    notice: Option<String>,
    calls: Vec<(i64, String, String, String)>,
    slots: Vec<(String, String)>,
    /// What the person sent, kept after an error: the chosen time and the phone number.
    chosen: String,
    phone: String,
    /// Problems with what was sent, by field (`starts_at`, `phone`), in plain words.
    errors: FieldErrors,
}

/// The consult page: `sent` is what the person typed and `errors` what was wrong with it,
/// after a refused booking.
async fn consult_page(
    state: &AppState,
    who: &Authenticated,
    csrf: &CsrfToken,
    when: &When,
    notice: Option<String>,
    sent: (&str, &str),
    errors: FieldErrors,
) -> Result<ConsultPage> {
    require_role(who, &[Role::Client])?;
    let zone = who.user.timezone.tz();
    let calls = state.app.upcoming_consults(who).await?;
    let slots = state.app.consult_slots(who).await?;
    Ok(ConsultPage {
        layout: Layout::new("Free consult call", Some(who), csrf),
        zone: who.user.timezone.name().to_owned(),
        notice,
        calls: calls
            .iter()
            .map(|c| (c.id, c.coordinator.clone(), when.at(c.starts_at, zone), c.phone.clone()))
            .collect(),
        slots: slots.iter().take(24).map(|s| (s.to_rfc3339(), when.at(*s, zone))).collect(),
        chosen: sent.0.to_owned(),
        phone: sent.1.to_owned(),
        errors,
    })
}

async fn consult(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    Notice(notice): Notice,
) -> Result<Response> {
    let page_data =
        consult_page(&state, &who, &csrf, &when, notice, ("", ""), FieldErrors::new()).await?;
    Ok(page(&page_data))
}

async fn book(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    RawForm(raw): RawForm,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let chosen = one("starts_at").unwrap_or_default();
    let phone = one("phone").unwrap_or_default();
    let again = |errors: FieldErrors| async {
        let page =
            consult_page(&state, &who, &csrf, &when, None, (&chosen, &phone), errors).await?;
        Ok::<_, crate::Error>(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let Ok(starts_at) = chrono::DateTime::parse_from_rfc3339(&chosen) else {
        let mut errors = FieldErrors::new();
        errors.add("starts_at", "Choose a time for the call.");
        return again(errors).await;
    };
    let replaces = one("replaces").and_then(|r| r.parse().ok());
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
        Ok(_) => {
            Ok(flash::redirect(&state, "/consult", "Booked. A coordinator will call you then."))
        }
        Err(AppError::Refused { reason, .. }) => {
            let mut errors = FieldErrors::new();
            errors.add("starts_at", reason);
            again(errors).await
        }
        Err(AppError::Invalid(errors)) => again(errors).await,
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
    Ok(flash::redirect(&state, "/consult", "Your call is cancelled."))
}

#[derive(Template)]
#[template(path = "availability.html")]
struct AvailabilityPage {
    layout: Layout,
    zone: String,
    notice: Option<String>,
    calls: Vec<(String, String, String)>,
    /// The windows, one a line: as saved, or as typed when a line was wrong.
    windows: String,
    /// What was wrong with each line, counted from 1 as the person sees them.
    errors: Vec<String>,
}

async fn availability_page(
    state: &AppState,
    who: &Authenticated,
    csrf: &CsrfToken,
    when: &When,
    notice: Option<String>,
    typed: Option<(String, Vec<String>)>,
) -> Result<AvailabilityPage> {
    require_role(who, &[Role::Coordinator])?;
    let zone = who.user.timezone.tz();
    let calls = state.app.upcoming_consults(who).await?;
    let (windows, errors) = match typed {
        Some(typed) => typed,
        None => (state.app.consult_availability(who).await?.join("\n"), Vec::new()),
    };
    Ok(AvailabilityPage {
        layout: Layout::new("Consult calls", Some(who), csrf),
        zone: who.user.timezone.name().to_owned(),
        notice,
        calls: calls
            .iter()
            .map(|c| (when.at(c.starts_at, zone), c.client.clone(), c.phone.clone()))
            .collect(),
        windows,
        errors,
    })
}

async fn availability(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    Notice(notice): Notice,
) -> Result<Response> {
    Ok(page(&availability_page(&state, &who, &csrf, &when, notice, None).await?))
}

#[derive(Deserialize)]
struct WindowsForm {
    #[serde(default)]
    windows: String,
}

/// "Line 3: …" for an error the app keyed `windows[2]`.
fn line_error(field: &str, message: &str) -> String {
    let line = field
        .strip_prefix("windows[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|n| n.parse::<usize>().ok());
    match line {
        Some(index) => format!("Line {}: {message}", index + 1),
        None => message.to_owned(),
    }
}

async fn save_availability(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    crate::json::Form(form): crate::json::Form<WindowsForm>,
) -> Result<Response> {
    let windows: Vec<String> = form.windows.lines().map(str::to_owned).collect();
    match state.app.set_consult_availability(&who, &windows, &meta.audit(Some(&who))).await {
        Ok(()) => Ok(flash::redirect(&state, "/care/availability", "Saved.")),
        Err(AppError::Invalid(errors)) => {
            let lines = errors.iter().map(|(field, message)| line_error(field, message)).collect();
            let page =
                availability_page(&state, &who, &csrf, &when, None, Some((form.windows, lines)))
                    .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}
