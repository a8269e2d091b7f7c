use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// No third-party origin anywhere; scripts only from our own embedded files.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; media-src 'self' blob:; font-src 'self'; object-src 'none'; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Two years, the figure browsers' preload lists ask for; subdomains too, since every name
/// under Hearth's host should be HTTPS as well. No `preload`: it outlives this server's
/// settings (removal takes months), so it is a decision for whoever owns the domain.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Security headers on every response. The referrer policy is `same-origin`, not
/// `no-referrer`: with the latter browsers send `Origin: null` on form posts, which the
/// CSRF origin check must refuse. `no-store` goes on everything but static files, since
/// pages and API answers may carry health data. HSTS only with secure cookies: without them
/// Hearth is served over plain HTTP (the local demo), where the header means nothing.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=(self), geolocation=(), payment=()"),
    );
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if state.config.secure_cookies {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if !is_static {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
