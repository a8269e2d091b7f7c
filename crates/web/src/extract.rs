//! Who is asking: the signed-in person (by cookie or bearer token) and where from; and the
//! path parameters, whose errors name the parameter at fault.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri, RawPathParams};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use hearth_app::{AuditContext, Authenticated};
use hearth_domain::Role;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

use crate::client_ip::ClientAddr;
use crate::{AppState, Error};

/// The session cookie's name: `__Host-` prefixed when cookies are `Secure`.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hearth_session" } else { "hearth_session" }
}

/// The cookie holding a login's challenge between its password and its code.
pub fn challenge_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hearth_login" } else { "hearth_login" }
}

/// The device cookie's name: `__Host-` prefixed when cookies are `Secure`.
pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hearth_device" } else { "hearth_device" }
}

/// The source address and browser of a request, for sessions and the audit log.
#[derive(Clone, Debug)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
    /// The device token a browser kept from an earlier login (either cookie name: the
    /// extractor does not know whether cookies are `Secure`).
    pub device: Option<String>,
}

impl ClientMeta {
    pub fn audit(&self, who: Option<&Authenticated>) -> AuditContext {
        AuditContext { actor: who.map(|w| w.user.id), source_ip: Some(self.ip.clone()) }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Behind a trusted proxy, the address it forwarded for (see `client_ip`).
        let ip = match parts.extensions.get::<ClientAddr>() {
            Some(ClientAddr(ip)) => ip.to_string(),
            None => parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |ConnectInfo(addr)| addr.ip().to_string()),
        };
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let jar = CookieJar::from_headers(&parts.headers);
        let device = [device_cookie_name(true), device_cookie_name(false)]
            .into_iter()
            .find_map(|name| jar.get(name).map(|c| c.value().to_owned()));
        Ok(Self { ip, user_agent, device })
    }
}

/// An API caller with a live bearer token.
#[derive(Clone, Debug)]
pub struct ApiUser(pub Authenticated);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        let who = state.app.authenticate(token).await?;
        crate::request_log::record_user(who.user.id);
        let path = parts.extensions.get::<OriginalUri>().map_or(parts.uri.path(), |u| u.path());
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        if who.session.enrol_only && !ENROL_ONLY_API.contains(&path) {
            return Err(Error::enrolment_required());
        }
        Ok(ApiUser(who))
    }
}

/// What an enrol-only session may reach: enrolment and logging out.
const ENROL_ONLY_API: [&str; 3] = ["/me/second-factor", "/me/second-factor/confirm", "/session"];
const ENROL_ONLY_PAGES: [&str; 2] = [ENROLMENT_PAGE, "/logout"];

/// Where staff without the second factor the practice requires are sent.
pub const ENROLMENT_PAGE: &str = "/account/two-factor";

/// A page visitor with a live session cookie; anyone else is sent to the login page.
#[derive(Clone, Debug)]
pub struct PageUser(pub Authenticated);

/// What happens to a visitor without a session.
#[derive(Debug)]
pub enum PageRejection {
    Login(String),
    /// An enrol-only session, anywhere but the enrolment page.
    Enrol,
    Failed(Error),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login(next) => {
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Redirect::to(&format!("/login?{query}")).into_response()
            }
            PageRejection::Enrol => Redirect::to(ENROLMENT_PAGE).into_response(),
            PageRejection::Failed(err) => err.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, PageRejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(session_cookie_name(state.config.secure_cookies))
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        let authenticated = state.app.authenticate(&token).await;
        if let Ok(who) = &authenticated {
            crate::request_log::record_user(who.user.id);
            if let Some(slot) = parts.extensions.get::<crate::templates::ErrorPageUser>() {
                slot.set(who, parts.extensions.get::<crate::csrf::CsrfToken>());
            }
        }
        match authenticated {
            Ok(who) if who.session.enrol_only && !ENROL_ONLY_PAGES.contains(&parts.uri.path()) => {
                Err(PageRejection::Enrol)
            }
            Ok(who) => Ok(PageUser(who)),
            Err(hearth_app::AppError::Unauthenticated) => {
                let next = parts.uri.path_and_query().map_or("/dashboard", |p| p.as_str());
                Err(PageRejection::Login(next.to_owned()))
            }
            Err(other) => Err(PageRejection::Failed(other.into())),
        }
    }
}

/// Refuses anyone whose role is not in `allowed`.
pub fn require_role(who: &Authenticated, allowed: &[Role]) -> Result<(), Error> {
    if allowed.contains(&who.user.role) {
        Ok(())
    } else {
        Err(hearth_app::AppError::Forbidden.into())
    }
}

/// Path parameters (`/groups/{id}`). One that does not parse is 400 naming it, in the
/// standard error shape; one holding a control character is refused like body text.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    #[expect(clippy::disallowed_types, reason = "this wraps axum's Path for every route")]
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let raw = RawPathParams::from_request_parts(parts, state).await.map_err(|rejection| {
            Error::bad_request(None, format!("the address is not valid: {}", rejection.body_text()))
        })?;
        let names: Vec<String> = raw.iter().map(|(name, _)| name.to_owned()).collect();
        for (name, value) in &raw {
            crate::json::refuse_control_characters(name, value)?;
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(path_error(&rejection, &names)),
        }
    }
}

/// The parameter a path rejection is about, when it names one (by key or by position).
fn path_error(rejection: &PathRejection, names: &[String]) -> Error {
    let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
        return internal_rejection(&rejection.body_text());
    };
    let kind = failed.kind();
    let field = match kind {
        ErrorKind::ParseErrorAtKey { key, .. }
        | ErrorKind::DeserializeError { key, .. }
        | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.as_str()),
        ErrorKind::ParseErrorAtIndex { index, .. } => names.get(*index).map(String::as_str),
        ErrorKind::ParseError { .. } if names.len() == 1 => names.first().map(String::as_str),
        ErrorKind::UnsupportedType { .. } | ErrorKind::WrongNumberOfParameters { .. } => {
            return internal_rejection(&failed.body_text());
        }
        _ => None,
    };
    let message = match field {
        Some(name) => format!("{name} in the address: {kind}"),
        None => format!("the address is not valid: {kind}"),
    };
    Error::bad_request(field, message)
}

/// A route whose parameters do not fit its handler: a bug here, not the caller's mistake.
fn internal_rejection(detail: &str) -> Error {
    tracing::error!(%detail, "a route's path parameters do not fit its handler");
    Error::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong on our side; please try again",
    )
}
