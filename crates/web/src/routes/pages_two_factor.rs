//! Two-factor sign-in in the browser: the code step of a login, and enrolment.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use hearth_app::{AppError, Authenticated, Enrolment};
use serde::Deserialize;

use super::pages_auth::{safe_next, session_response, set_cookie, site_cookie};
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, ENROLMENT_PAGE, PageUser, challenge_cookie_name};
use crate::json::{Form, Query};
use crate::templates::{Layout, LoginPage, page, render};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/code", get(code_form).post(enter_code))
        .route(ENROLMENT_PAGE, get(enrolment_page).post(confirm_enrolment))
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct LoginCodePage {
    layout: Layout,
    next: String,
    error: Option<String>,
    code_error: Option<String>,
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    enrol_only: bool,
    already_on: bool,
    secret: String,
    qr_svg: String,
    code_error: Option<String>,
    recovery_codes: Vec<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn challenge_of(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let jar = CookieJar::from_headers(headers);
    jar.get(challenge_cookie_name(state.config.secure_cookies)).map(|c| c.value().to_owned())
}

async fn code_form(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    if challenge_of(&state, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    page(&LoginCodePage {
        layout: Layout::new("Enter your code", None, &csrf),
        next: safe_next(query.next.as_deref()),
        error: None,
        code_error: None,
    })
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

async fn enter_code(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let challenge = challenge_of(&state, &headers).unwrap_or_default();
    let outcome = state.app.finish_login(&challenge, &form.code, &meta.user_agent, &meta.ip).await;
    let retry_page = |status, error: Option<&str>, code_error: Option<&str>| {
        render(
            status,
            &LoginCodePage {
                layout: Layout::new("Enter your code", None, &csrf),
                next: next.clone(),
                error: error.map(str::to_owned),
                code_error: code_error.map(str::to_owned),
            },
        )
    };
    match outcome {
        Ok(signed_in) => {
            let mut response = session_response(&state, signed_in, &next);
            set_cookie(&mut response, &expired_challenge_cookie(&state));
            Ok(response)
        }
        Err(AppError::SecondFactorRequired) => Ok(retry_page(
            StatusCode::UNAUTHORIZED,
            None,
            Some(
                "That code is not right. Enter the six digits your app shows now, or a recovery code.",
            ),
        )),
        Err(AppError::TooManyAttempts { retry_after_secs }) => {
            let mut response = retry_page(
                StatusCode::TOO_MANY_REQUESTS,
                Some("Too many wrong codes. Please wait a little and try again."),
                None,
            );
            response.headers_mut().insert(header::RETRY_AFTER, retry_after_secs.into());
            Ok(response)
        }
        Err(AppError::Unauthenticated) => {
            let mut response = render(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    layout: Layout::new("Log in", None, &csrf),
                    email: String::new(),
                    next,
                    error: Some(
                        "That sign-in has expired. Please enter your email and password again."
                            .to_owned(),
                    ),
                    notice: None,
                },
            );
            set_cookie(&mut response, &expired_challenge_cookie(&state));
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

fn expired_challenge_cookie(state: &AppState) -> Cookie<'static> {
    let secure = state.config.secure_cookies;
    site_cookie(challenge_cookie_name(secure), String::new(), secure, SameSite::Strict, 0)
}

/// The enrolment page, or a note that two-factor sign-in is on already.
async fn enrolment_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    if state.app.second_factor_status(who.user.id).await?.is_some() {
        return Ok(page(&two_factor_page(&who, &csrf, None, None, Vec::new())));
    }
    let enrolment = state.app.start_second_factor_enrolment(&who, &meta.audit(Some(&who))).await?;
    Ok(page(&two_factor_page(&who, &csrf, Some(&enrolment), None, Vec::new())))
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(default)]
    code: String,
}

async fn confirm_enrolment(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Form(form): Form<EnrolForm>,
) -> Result<Response> {
    let ctx = meta.audit(Some(&who));
    match state.app.confirm_second_factor(&who, &form.code, &ctx).await {
        Ok(codes) => {
            let mut who = who;
            who.session.enrol_only = false;
            Ok(page(&two_factor_page(&who, &csrf, None, None, codes)))
        }
        Err(AppError::Invalid(errors)) => {
            let enrolment = state.app.start_second_factor_enrolment(&who, &ctx).await?;
            let message = errors.get("code").unwrap_or("That code is not right.");
            let message = capitalise(message);
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &two_factor_page(&who, &csrf, Some(&enrolment), Some(message), Vec::new()),
            ))
        }
        Err(AppError::Conflict(_)) => Ok(Redirect::to(ENROLMENT_PAGE).into_response()),
        Err(other) => Err(other.into()),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        format!("{}{}.", first.to_uppercase(), chars.as_str().trim_end_matches('.'))
    })
}

fn two_factor_page(
    who: &Authenticated,
    csrf: &CsrfToken,
    enrolment: Option<&Enrolment>,
    code_error: Option<String>,
    recovery_codes: Vec<String>,
) -> TwoFactorPage {
    TwoFactorPage {
        layout: Layout::new("Two-factor sign-in", Some(who), csrf),
        enrol_only: who.session.enrol_only,
        already_on: enrolment.is_none(),
        secret: enrolment.map(|e| e.secret.clone()).unwrap_or_default(),
        qr_svg: enrolment.map(|e| qr_svg(&e.otpauth_url)).unwrap_or_default(),
        code_error,
        recovery_codes,
    }
}

/// The `otpauth://` URL as an inline SVG QR code, described for screen readers (the key is
/// also printed beside it).
fn qr_svg(url: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(url.as_bytes()) else { return String::new() };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\" ",
        1,
    )
}
