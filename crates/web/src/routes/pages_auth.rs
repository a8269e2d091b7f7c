//! Signing up, logging in (the password step; the code step is `pages_two_factor`) and out,
//! and the cookies a login sets.

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, SameSite};
use hearth_app::{AppError, ClientSignUp, LoginAttempt, LoginStep, SignedIn};
use hearth_domain::{FieldErrors, SessionKind};
use serde::Deserialize;

use crate::csrf::{self, CsrfToken};
use crate::extract::{
    ClientMeta, ENROLMENT_PAGE, PageUser, challenge_cookie_name, device_cookie_name,
    session_cookie_name,
};
use crate::json::{Form, Query};
use crate::templates::{FieldView, Layout, LoginPage, SignUpPage, page, render};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(sign_up_form).post(sign_up))
        .route("/login", get(login_form).post(log_in))
        .route("/logout", post(log_out))
}

fn sign_up_fields(form: &ClientSignUp, errors: &FieldErrors) -> Vec<FieldView> {
    vec![
        FieldView::new("email", "Email", "email")
            .value(form.email.as_deref())
            .autocomplete("email")
            .errors(errors),
        FieldView::new("display_name", "Name others will see", "text")
            .value(form.display_name.as_deref())
            .autocomplete("nickname")
            .hint("Your first name or a name you choose. Group members see only this.")
            .errors(errors),
        FieldView::new("password", "Password", "password")
            .autocomplete("new-password")
            .hint("At least 12 characters. A few words strung together work well.")
            .errors(errors),
        FieldView::new("timezone", "Time zone", "select")
            .value(form.timezone.as_deref())
            .zone_picker()
            .hint("Meeting times are shown in this zone.")
            .errors(errors),
        FieldView::new("region", "State where you live", "select")
            .value(form.region.as_deref())
            .region_picker()
            .hint("A therapist may only see clients in states where they hold a license.")
            .errors(errors),
        FieldView::new("birth_date", "Birth date", "date")
            .value(form.birth_date.as_deref())
            .autocomplete("bday")
            .hint(
                "It decides which groups you may join: adult groups, or teen groups from 13 to 17.",
            )
            .errors(errors),
    ]
}

async fn sign_up_form(Extension(csrf): Extension<CsrfToken>) -> Response {
    let empty = ClientSignUp::default();
    page(&SignUpPage {
        layout: Layout::new("Create your account", None, &csrf),
        fields: sign_up_fields(&empty, &FieldErrors::new()),
        has_errors: false,
    })
}

async fn sign_up(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    Form(form): Form<ClientSignUp>,
) -> Result<Response> {
    match state.app.sign_up_client(&form, &meta.audit(None)).await {
        Ok(signed_up) if signed_up.created => {
            // Sign the new member in at once, so the first thing they see is their dashboard.
            let password = form.password.clone().unwrap_or_default();
            let email = form.email.clone().unwrap_or_default();
            start_session(&state, &meta, &email, &password, "/dashboard").await
        }
        // The email already has an account: no new one, and no words that say so (they would
        // tell anyone who is a client here). Its owner logs in as usual, email kept.
        Ok(_) => Ok(page(&LoginPage {
            layout: Layout::new("Log in", None, &csrf),
            email: form.email.unwrap_or_default(),
            next: "/dashboard".to_owned(),
            error: None,
            notice: Some(
                "Log in to continue. If you have signed up with this email before, use the \
                 password you chose then."
                    .to_owned(),
            ),
        })),
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignUpPage {
                layout: Layout::new("Create your account", None, &csrf),
                fields: sign_up_fields(&form, &errors),
                has_errors: true,
            },
        )),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Only a path on this site may follow a login (no open redirects). Browsers drop tabs and
/// newlines from a URL and read `\\` as `/`, so `/\t/evil.example` would become
/// `//evil.example`: only visible ASCII is allowed, and never a second slash or backslash at
/// the start.
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && path.len() <= 2_000
                && path.bytes().all(|b| b.is_ascii_graphic())
                && !path.contains('\\')
                && !path[1..].starts_with('/') =>
        {
            path.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

async fn login_form(
    Extension(csrf): Extension<CsrfToken>,
    Query(query): Query<LoginQuery>,
) -> Response {
    page(&LoginPage {
        layout: Layout::new("Log in", None, &csrf),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
        notice: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn log_in(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    match start_session(&state, &meta, &form.email, &form.password, &next).await {
        Ok(response) => Ok(response),
        Err(err)
            if err.status() == StatusCode::UNAUTHORIZED
                || err.status() == StatusCode::TOO_MANY_REQUESTS
                || err.status() == StatusCode::SERVICE_UNAVAILABLE =>
        {
            let status = err.status();
            let message = match status {
                StatusCode::UNAUTHORIZED => "That email and password do not match an account.",
                StatusCode::TOO_MANY_REQUESTS => {
                    "Too many failed attempts. Please wait a little and try again."
                }
                _ => "We are very busy right now. Please try again in a moment.",
            }
            .to_owned();
            let mut response = render(
                status,
                &LoginPage {
                    layout: Layout::new("Log in", None, &csrf),
                    email: form.email,
                    next,
                    error: Some(message),
                    notice: None,
                },
            );
            if status != StatusCode::UNAUTHORIZED {
                let retry = err.into_response().headers().get(header::RETRY_AFTER).cloned();
                if let Some(retry) = retry {
                    response.headers_mut().insert(header::RETRY_AFTER, retry);
                }
            }
            Ok(response)
        }
        Err(err) => Err(err),
    }
}

/// Signs in with the password. An account with a second factor is sent on to the code
/// page, holding the login's challenge in a cookie; otherwise the session starts.
async fn start_session(
    state: &AppState,
    meta: &ClientMeta,
    email: &str,
    password: &str,
    next: &str,
) -> Result<Response> {
    let step = state
        .app
        .begin_login(&LoginAttempt {
            email,
            password,
            kind: SessionKind::Browser,
            user_agent: &meta.user_agent,
            ip: &meta.ip,
            device: meta.device.as_deref(),
            totp: None,
        })
        .await?;
    match step {
        LoginStep::SignedIn(signed_in) => Ok(session_response(state, signed_in, next)),
        LoginStep::SecondFactor { challenge } => {
            let secure = state.config.secure_cookies;
            let cookie = site_cookie(
                challenge_cookie_name(secure),
                challenge,
                secure,
                SameSite::Strict,
                5 * 60,
            );
            let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            let mut response = Redirect::to(&format!("/login/code?{query}")).into_response();
            set_cookie(&mut response, &cookie);
            Ok(response)
        }
    }
}

/// Sets the session cookie, with a new CSRF browser value so the tokens of the pages seen
/// before the login stop working, and sends the person on (to enrolment, when the session
/// may do nothing else).
pub(super) fn session_response(state: &AppState, signed_in: SignedIn, next: &str) -> Response {
    let secure = state.config.secure_cookies;
    let max_age = state.app.session_policy().absolute.num_seconds();
    let cookie =
        site_cookie(session_cookie_name(secure), signed_in.token, secure, SameSite::Lax, max_age);
    let next = if signed_in.enrol_only { ENROLMENT_PAGE } else { next };
    let mut response = Redirect::to(next).into_response();
    set_cookie(&mut response, &cookie);
    set_cookie(&mut response, &csrf::fresh_cookie(secure));
    if let Some(device) = signed_in.device_token {
        // Kept across sessions: this browser may sign in even while others guess (it is
        // throttled on its own); it grants nothing else.
        let device = site_cookie(
            device_cookie_name(secure),
            device,
            secure,
            SameSite::Strict,
            180 * 24 * 3600,
        );
        set_cookie(&mut response, &device);
    }
    response
}

/// An HttpOnly cookie for the whole site, `Secure` when the practice is served over TLS
/// (then its name carries the `__Host-` prefix); `max_age_secs` 0 removes it.
pub(super) fn site_cookie(
    name: &'static str,
    value: String,
    secure: bool,
    same_site: SameSite,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
}

pub(super) fn set_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

async fn log_out(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    state.app.log_out(&who, &meta.audit(Some(&who))).await?;
    let secure = state.config.secure_cookies;
    let cookie = site_cookie(session_cookie_name(secure), String::new(), secure, SameSite::Lax, 0);
    let mut response = Redirect::to("/login").into_response();
    set_cookie(&mut response, &cookie);
    // A new CSRF browser value too, so forms of the ended session stop working.
    set_cookie(&mut response, &csrf::fresh_cookie(secure));
    Ok(response)
}
