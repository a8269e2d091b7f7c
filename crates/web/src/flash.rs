//! Notices after a change ("Saved.", "3 of 5 offers sent."). The handler that made the
//! change redirects with [`redirect`], which puts the notice in a short-lived cookie signed
//! by the server; the next page the browser opens reads it through [`Notice`] and shows it
//! once ([`carry`] clears the cookie when that page is answered). A notice never comes from
//! the address bar: text in a link's query string (`/consult?notice=Your account is
//! suspended…`) cannot reach the site's own banner, and a notice cannot be forged without the
//! server's key.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use std::convert::Infallible;
use subtle::ConstantTimeEq as _;

use crate::AppState;
use crate::csrf::CsrfKey;

/// The longest notice kept; longer text is cut at a character boundary (a cookie holds about
/// 4 KB, and a notice is a sentence).
const MAX_NOTICE: usize = 600;

/// How long a notice waits for the page it was meant for, in seconds.
const LIFETIME: i64 = 60;

fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hearth_notice" } else { "hearth_notice" }
}

/// A 303 to `to` that carries `notice` to the page there.
pub fn redirect(state: &AppState, to: &str, notice: &str) -> Response {
    let mut text = notice.to_owned();
    if text.len() > MAX_NOTICE {
        let mut end = MAX_NOTICE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    let value = seal(&state.config.csrf_key, &text);
    let secure = state.config.secure_cookies;
    let cookie = Cookie::build((cookie_name(secure), value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(LIFETIME))
        .build();
    let mut response = Redirect::to(to).into_response();
    if let Ok(header) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, header);
    }
    response
}

/// The notice this page should show, if the change before it left one.
#[derive(Clone, Debug, Default)]
pub struct Notice(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Notice {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts.extensions.get::<Notice>().cloned().unwrap_or_default())
    }
}

/// Reads a signed notice cookie into the request's [`Notice`], and clears the cookie once a
/// page (not another redirect) has been answered to a GET, so the notice shows once.
pub async fn carry(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let secure = state.config.secure_cookies;
    let jar = CookieJar::from_headers(req.headers());
    let Some(raw) = jar.get(cookie_name(secure)).map(|c| c.value().to_owned()) else {
        return next.run(req).await;
    };
    let notice = read(&state.config.csrf_key, &raw);
    let is_get = req.method() == Method::GET;
    req.extensions_mut().insert(Notice(notice));
    let mut response = next.run(req).await;
    if is_get && !response.status().is_redirection() {
        let gone = Cookie::build((cookie_name(secure), ""))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(cookie::time::Duration::ZERO)
            .build();
        if let Ok(header) = HeaderValue::from_str(&gone.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, header);
        }
    }
    response
}

/// A cookie value carrying `text`: the text and its signature, each in URL-safe base64 (so
/// no character of the notice can break the header).
fn seal(key: &CsrfKey, text: &str) -> String {
    format!("{}.{}", B64.encode(text), B64.encode(key.sign_notice(text)))
}

/// The notice in a cookie value, if the server signed it.
fn read(key: &CsrfKey, raw: &str) -> Option<String> {
    let (text, signature) = raw.split_once('.')?;
    let text = String::from_utf8(B64.decode(text).ok()?).ok()?;
    let signature = B64.decode(signature).ok()?;
    bool::from(signature.ct_eq(&key.sign_notice(&text))).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_reads_back_only_with_the_servers_signature() {
        let key = CsrfKey::derive(b"test key material");
        let text = "Saved \"Grief\"; 3 of 5 offers sent.\nNext line";
        let value = seal(&key, text);
        assert!(value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        assert_eq!(read(&key, &value).as_deref(), Some(text));

        let other = CsrfKey::derive(b"another practice");
        assert_eq!(read(&other, &value), None, "another key's notice");
        let forged = format!(
            "{}.{}",
            B64.encode("Your account is suspended"),
            value.split_once('.').map(|(_, s)| s).unwrap_or_default()
        );
        assert_eq!(read(&key, &forged), None, "a signature moved to other text");
        assert_eq!(read(&key, "no dot"), None);
        assert_eq!(read(&key, "%%%.%%%"), None);
    }
}
