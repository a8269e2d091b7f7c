//! CSRF protection for forms. Each browser holds a random value in a cookie; the token its
//! forms must echo in a hidden `csrf` field is an HMAC over that value and the hash of the
//! session cookie it sends (or "anonymous"), under a key derived from configured key
//! material. A token thus works only beside the cookies it was minted for: not with another
//! person's session (a tossed cookie and its token are useless), and not after a login or
//! logout, which also replace the browser's value. An Origin check comes first.
//! The API needs none: it takes bearer tokens only, never cookies.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use std::fmt;
use subtle::ConstantTimeEq as _;

use crate::extract::session_cookie_name;
use crate::{AppState, BODY_LIMIT, Error};

/// The token this request's page should put in its forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// The key form tokens are computed under. It is derived from configured key material, not
/// drawn at start-up, so every node of a practice accepts the tokens the others minted.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    /// A key dedicated to CSRF tokens, derived from secret `material` (HMAC-SHA256 with a
    /// fixed label, so the material itself is never used twice for different things).
    pub fn derive(material: &[u8]) -> Self {
        Self(hmac(material, &[b"hearth csrf key v1"]))
    }
}

impl CsrfKey {
    /// A signature over a notice carried to the next page ([`crate::flash`]); its label keeps
    /// it apart from every form token.
    pub(crate) fn sign_notice(&self, text: &str) -> [u8; 32] {
        hmac(&self.0, &[b"notice v1.", text.as_bytes()])
    }
}

impl fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfKey(..)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hearth_csrf" } else { "hearth_csrf" }
}

/// A browser's random value: 32 bytes, 43 characters of unpadded base64.
const BROWSER_VALUE_LEN: usize = 43;

fn new_browser_value() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

/// The form token for a browser value and the session cookie sent beside it. The browser
/// value has a fixed length, so the parts cannot run into each other.
fn form_token(key: &CsrfKey, browser: &str, session: Option<&str>) -> String {
    let session_hash = session.map(|token| Sha256::digest(token.as_bytes()));
    let bound: &[u8] = match &session_hash {
        Some(hash) => hash.as_slice(),
        None => b"anonymous",
    };
    B64.encode(hmac(&key.0, &[b"v1.", browser.as_bytes(), b".", bound]))
}

/// A new browser value as a cookie, for a response that starts or ends a session: tokens
/// minted before it stop working.
pub fn fresh_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build((cookie_name(secure), new_browser_value()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .build()
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secure = state.config.secure_cookies;
    let jar = CookieJar::from_headers(req.headers());
    let browser = jar
        .get(cookie_name(secure))
        .map(|c| c.value().to_owned())
        .filter(|value| value.len() == BROWSER_VALUE_LEN);
    let session = jar
        .get(session_cookie_name(secure))
        .map(|c| c.value().to_owned())
        .filter(|value| !value.is_empty());
    let fresh = browser.is_none().then(|| fresh_cookie(secure));
    let browser = match &fresh {
        Some(cookie) => cookie.value().to_owned(),
        None => browser.unwrap_or_default(),
    };
    let token = form_token(&state.config.csrf_key, &browser, session.as_deref());

    let mut req = req;
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
        // A freshly minted value cannot match anything: the browser never had it.
        let valid = fresh.is_none() && bool::from(submitted.as_bytes().ct_eq(token.as_bytes()));
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

    req.extensions_mut().insert(CsrfToken(token));
    let mut response = next.run(req).await;
    if let Some(cookie) = fresh
        && let Ok(value) = cookie.to_string().parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
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
