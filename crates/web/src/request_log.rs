//! One span and one log line per request, with nothing a person told Hearth in them.
//!
//! The span carries a request id (also returned as `X-Request-Id`, so a person reporting a
//! problem can quote it), the method, the route *template* (`/clients/{id}/measures`, never
//! the concrete path, which may hold ids or tokens), and the signed-in user's id once an
//! extractor has authenticated them. The closing line adds the status and the latency.
//! Bodies, query strings, headers and cookies are never logged.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use hearth_domain::UserId;
use rand::RngCore;
use std::time::Instant;
use tracing::Instrument;

/// The header that carries the request id back to the caller.
pub const REQUEST_ID: &str = "x-request-id";

/// Wraps every routed request (it must run after routing, so the route template is known).
pub async fn trace_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut raw = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut raw);
    let id = hex::encode(raw);
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        route = %route,
        user = tracing::field::Empty,
    );
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, latency_ms, "request finished");
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Names the signed-in user on the current request's span (called by the extractors).
pub fn record_user(user: UserId) {
    tracing::Span::current().record("user", user.get());
}
