//! Health, metrics, static files and the fallback.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::{AppState, Error, metrics};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route("/static/app.css", get(stylesheet))
        .route("/static/forms.js", get(form_script))
        .route("/favicon.ico", get(icon))
        .route("/calendar/{file}", get(super::api_calendars::calendar_feed))
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.health().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn form_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/forms.js"),
    )
}

/// The site's icon (an SVG, which every current browser takes, also at this address):
/// without it each page's first load logs a 404 in the browser's console.
async fn icon() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/favicon.svg"),
    )
}

pub async fn not_found() -> Error {
    Error::not_found()
}
