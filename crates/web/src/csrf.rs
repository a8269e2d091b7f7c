//! CSRF protection for forms: a per-browser random token in a cookie that every form must
//! echo in a hidden `csrf` field (double submit), plus an Origin check when one is sent.
//! The API needs none: it takes bearer tokens only, never cookies.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;

use crate::{AppState, BODY_LIMIT, Error};

/// The token this request's page should put in its forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hearth_csrf" } else { "hearth_csrf" }
}

fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secure = state.config.secure_cookies;
    let jar = CookieJar::from_headers(req.headers());
    let existing = jar.get(cookie_name(secure)).map(|c| c.value().to_owned());
    let (mut req, token) = match existing {
        Some(token) if token.len() == 43 => (req, token),
        _ => (req, String::new()),
    };
    let is_new = token.is_empty();
    let token = if is_new { new_token() } else { token };

    if req.method() == Method::POST {
        if let Err(refusal) = check_origin(&req) {
            return refusal.into_response();
        }
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
            return Error::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the form is too large",
            )
            .into_response();
        };
        let submitted = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        // A freshly minted token cannot match anything: the browser never had it.
        let valid = !is_new && bool::from(submitted.as_bytes().ct_eq(token.as_bytes()));
        if !valid {
            return Error::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "this form has expired or did not come from Hearth; reload the page and try again",
            )
            .into_response();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }

    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if is_new {
        let cookie = Cookie::build((cookie_name(secure), token))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .build();
        if let Ok(value) = cookie.to_string().parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// When a browser says where a form came from, it must be from us.
fn check_origin(req: &Request) -> Result<(), Error> {
    if same_origin(req.headers()) == Some(false) {
        Err(Error::new(StatusCode::FORBIDDEN, "csrf", "this form was sent from another site"))
    } else {
        Ok(())
    }
}

/// Whether the request's `Origin` names the host it was sent to; `None` without an `Origin`.
pub fn same_origin(headers: &HeaderMap) -> Option<bool> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    Some(origin.split_once("://").is_some_and(|(_, rest)| rest == host))
}
