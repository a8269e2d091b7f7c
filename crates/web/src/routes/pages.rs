//! Server-rendered pages. Every form carries the CSRF token; every page answers in HTML.

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, SameSite};
use hearth_app::{
    AppError, Authenticated, ClientSignUp, InviteAcceptance, LoginAttempt, LoginStep, SessionKind,
    SignedIn,
};
use hearth_domain::{FieldErrors, InviteId, Role, SessionId};
use serde::Deserialize;

use crate::csrf::{self, CsrfToken};
use crate::extract::{
    ClientMeta, ENROLMENT_PAGE, PageUser, Path, challenge_cookie_name, device_cookie_name,
    require_role, session_cookie_name,
};
use crate::json::{Form, Query};
use crate::templates::{
    AccountPage, DashboardPage, FieldView, HomePage, InvitePage, InviteView, Layout, LoginPage,
    SessionView, SignUpPage, StaffPage, StaffView, page, render,
};
use crate::{AppState, Error, Result};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/signup", get(sign_up_form).post(sign_up))
        .route("/login", get(login_form).post(log_in))
        .route("/logout", post(log_out))
        .route("/dashboard", get(dashboard))
        .route("/account", get(account))
        .route("/account/sessions/{id}/revoke", post(revoke_session))
        .route("/admin/staff", get(staff))
        .route("/admin/invites", post(invite_staff))
        .route("/admin/invites/{id}/revoke", post(revoke_invite))
        .route("/invites/{token}", get(invite_form).post(accept_invite))
        .merge(super::pages_groups::router())
        .merge(super::pages_catalog::router())
        .merge(super::pages_therapists::router())
        .merge(super::pages_measures::router())
        .merge(super::pages_safety::router())
        .merge(super::pages_progress::router())
        .merge(super::pages_intake::router())
        .merge(super::pages_care::router())
        .merge(super::pages_plans::router())
        .merge(super::pages_consults::router())
        .merge(super::pages_placement::router())
        .merge(super::pages_room::router())
        .merge(super::pages_two_factor::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::protect))
}

const DATE_FORMAT: &str = "%Y-%m-%d %H:%M";

async fn home(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    headers: axum::http::HeaderMap,
) -> Response {
    let jar = axum_extra::extract::CookieJar::from_headers(&headers);
    if let Some(cookie) = jar.get(session_cookie_name(state.config.secure_cookies))
        && state.app.authenticate(cookie.value()).await.is_ok()
    {
        return Redirect::to("/dashboard").into_response();
    }
    page(&HomePage { layout: Layout::new("Welcome", None, &csrf) })
}

fn sign_up_fields(form: &ClientSignUp, errors: &FieldErrors) -> Vec<FieldView> {
    vec![
        FieldView::new("email", "Email", "email").value(form.email.as_deref()).autocomplete("email").errors(errors),
        FieldView::new("display_name", "Name others will see", "text")
            .value(form.display_name.as_deref())
            .autocomplete("nickname")
            .hint("Your first name or a name you choose. Group members see only this.")
            .errors(errors),
        FieldView::new("password", "Password", "password")
            .autocomplete("new-password")
            .hint("At least 12 characters. A few words strung together work well.")
            .errors(errors),
        FieldView::new("timezone", "Time zone", "text")
            .value(form.timezone.as_deref())
            .hint("For example America/Chicago. Meeting times are shown in this zone.")
            .errors(errors),
        FieldView::new("region", "State or region where you live", "text")
            .value(form.region.as_deref())
            .hint("For example US-CA. A therapist may only see clients in states where they hold a license.")
            .errors(errors),
        FieldView::new("birth_date", "Birth date", "date")
            .value(form.birth_date.as_deref())
            .autocomplete("bday")
            .hint("As YYYY-MM-DD.")
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
        // The email already has an account: no new one, and no page that says so (it would
        // tell anyone who is a client here). Its owner logs in as usual.
        Ok(_) => Ok(Redirect::to("/login?next=%2Fdashboard").into_response()),
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
            let cookie = Cookie::build((challenge_cookie_name(secure), challenge))
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Strict)
                .max_age(time_seconds(5 * 60))
                .build();
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
    let cookie = Cookie::build((session_cookie_name(secure), signed_in.token))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_seconds(max_age))
        .build();
    let next = if signed_in.enrol_only { ENROLMENT_PAGE } else { next };
    let mut response = Redirect::to(next).into_response();
    set_cookie(&mut response, &cookie);
    set_cookie(&mut response, &csrf::fresh_cookie(secure));
    if let Some(device) = signed_in.device_token {
        // Kept across sessions: this browser may sign in even while others guess (it is
        // throttled on its own); it grants nothing else.
        let device = Cookie::build((device_cookie_name(secure), device))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .max_age(time_seconds(180 * 24 * 3600))
            .build();
        set_cookie(&mut response, &device);
    }
    response
}

pub(super) fn time_seconds(secs: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(secs)
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
    let cookie = Cookie::build((session_cookie_name(secure), ""))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_seconds(0))
        .build();
    let mut response = Redirect::to("/login").into_response();
    set_cookie(&mut response, &cookie);
    // A new CSRF browser value too, so forms of the ended session stop working.
    set_cookie(&mut response, &csrf::fresh_cookie(secure));
    Ok(response)
}

async fn dashboard(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
) -> Result<Response> {
    let headline = if who.user.role == Role::Admin {
        let ctx = hearth_app::AuditContext::by(who.user.id, None);
        let report = state.app.practice_headline(&who, &ctx).await?;
        Some(headline_sentence(&report))
    } else {
        None
    };
    let (client_count, staff_count) = if who.user.role == Role::Admin {
        let clients = state.app.count_users(Role::Client).await?;
        let staff = state.app.list_staff(&who.user).await?.len();
        (clients, i64::try_from(staff).unwrap_or(i64::MAX))
    } else {
        (0, 0)
    };
    Ok(page(&DashboardPage {
        layout: Layout::new("Dashboard", Some(&who), &csrf),
        name: who.user.display_name.to_string(),
        role: who.user.role,
        role_label: who.user.role.label(),
        timezone: who.user.timezone.name().to_owned(),
        client_count,
        staff_count,
        headline,
        check_in: check_in_line(&state, &who).await?,
        suggestions: suggestions(&state, &who).await?,
        overdue: overdue_names(&state, &who).await?,
        needs_intake: who.user.role == Role::Client && !state.app.has_intake(who.user.id).await?,
        open_flags: if who.user.role == Role::Client {
            0
        } else {
            state.app.open_risk_flag_count(&who).await?
        },
    }))
}

async fn account(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
) -> Result<Response> {
    let tz = who.user.timezone.tz();
    let sessions = state
        .app
        .list_sessions(&who)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id.get(),
            device: describe_device(&s.user_agent, s.kind),
            ip: s.ip,
            created: s.created_at.with_timezone(&tz).format(DATE_FORMAT).to_string(),
            last_seen: s.last_seen_at.with_timezone(&tz).format(DATE_FORMAT).to_string(),
            current: s.id == who.session.id,
        })
        .collect();
    Ok(page(&AccountPage {
        layout: Layout::new("Your account", Some(&who), &csrf),
        second_factor: state.app.second_factor_status(who.user.id).await?,
        email: who.user.email.to_string(),
        name: who.user.display_name.to_string(),
        timezone: who.user.timezone.name().to_owned(),
        sessions,
    }))
}

/// "Your check-in is due before your session on …" for a client, when one is due.
async fn check_in_line(
    state: &AppState,
    who: &hearth_app::Authenticated,
) -> Result<Option<String>> {
    if who.user.role != Role::Client {
        return Ok(None);
    }
    let status = state.app.check_in_status(&who.user).await?;
    let zone = who.user.timezone.tz();
    Ok(match (status.due, status.next_meeting) {
        (true, Some(next)) => Some(format!(
            "Your check-in is due before your next session, {}.",
            next.with_timezone(&zone).format("%A %-d %B at %H:%M")
        )),
        _ => None,
    })
}

/// A client's top three groups with their reasons.
async fn suggestions(
    state: &AppState,
    who: &hearth_app::Authenticated,
) -> Result<Vec<(i64, String, Vec<String>)>> {
    if who.user.role != Role::Client {
        return Ok(Vec::new());
    }
    let ctx = hearth_app::AuditContext::by(who.user.id, None);
    let ranked = state.app.recommendations(who, who.user.id, &ctx).await?;
    let topics = state.app.list_topics().await?;
    Ok(ranked
        .into_iter()
        .map(|r| {
            let name = topics
                .iter()
                .find(|t| t.slug == r.group.topic)
                .map_or(r.group.topic.clone(), |t| t.name.clone());
            (r.group.id.get(), name, r.reasons)
        })
        .collect())
}

/// Names of clients who missed a check-in, for the care team's dashboard.
async fn overdue_names(state: &AppState, who: &hearth_app::Authenticated) -> Result<Vec<String>> {
    if who.user.role == Role::Client {
        return Ok(Vec::new());
    }
    Ok(state
        .app
        .overdue_check_ins(who)
        .await?
        .into_iter()
        .map(|(u, _)| u.display_name.to_string())
        .collect())
}

/// The practice's headline in one sentence, with its denominator and interval.
fn headline_sentence(report: &hearth_domain::OutcomeReport) -> String {
    let improved = report.count(hearth_domain::Outcome::ReliableImprovement);
    match &improved.rate {
        Some(rate) => format!(
            "Of {} members at clinical levels when they started, {} ({:.0}%, 95% CI {:.0}–{:.0}%) made reliable improvement within {} weeks of their first session.",
            improved.denominator,
            improved.numerator,
            rate.rate * 100.0,
            rate.ci95.0 * 100.0,
            rate.ci95.1 * 100.0,
            report.window_weeks
        ),
        None => format!(
            "No member has two paired check-ins within {} weeks of their first session yet, so there is no outcome figure.",
            report.window_weeks
        ),
    }
}

fn describe_device(user_agent: &str, kind: SessionKind) -> String {
    if kind == SessionKind::Api {
        return "API token".to_owned();
    }
    let browser = ["Firefox", "Edg", "Chrome", "Safari"]
        .into_iter()
        .find(|b| user_agent.contains(b))
        .map_or("Browser", |b| if b == "Edg" { "Edge" } else { b });
    let system = ["Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"]
        .into_iter()
        .find(|s| user_agent.contains(s))
        .unwrap_or("unknown system");
    format!("{browser} on {system}")
}

async fn revoke_session(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let id = SessionId::new(id);
    state.app.revoke_session(&who, id, &meta.audit(Some(&who))).await?;
    if id == who.session.id {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(Redirect::to("/account").into_response())
}

async fn staff_page(
    state: &AppState,
    who: &Authenticated,
    csrf: &CsrfToken,
    issued_link: Option<String>,
    invite_email: String,
    errors: FieldErrors,
) -> Result<StaffPage> {
    let staff = state
        .app
        .list_staff(&who.user)
        .await?
        .into_iter()
        .map(|u| StaffView {
            name: u.display_name.to_string(),
            email: u.email.to_string(),
            role: u.role.label(),
        })
        .collect();
    let tz = who.user.timezone.tz();
    let invites = state
        .app
        .list_open_invites(who)
        .await?
        .into_iter()
        .map(|i| InviteView {
            id: i.id.get(),
            email: i.email.to_string(),
            role: i.role.label(),
            expires: i.expires_at.with_timezone(&tz).format(DATE_FORMAT).to_string(),
        })
        .collect();
    Ok(StaffPage {
        layout: Layout::new("Staff", Some(who), csrf),
        staff,
        invites,
        issued_link,
        invite_email,
        errors,
    })
}

async fn staff(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    Ok(page(&staff_page(&state, &who, &csrf, None, String::new(), FieldErrors::new()).await?))
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn invite_staff(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    match state.app.invite_staff(&who, &form.email, &form.role, &meta.audit(Some(&who))).await {
        Ok(issued) => {
            let link = format!(
                "{}/invites/{}",
                state.config.public_url.trim_end_matches('/'),
                issued.token
            );
            Ok(page(
                &staff_page(&state, &who, &csrf, Some(link), String::new(), FieldErrors::new())
                    .await?,
            ))
        }
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &staff_page(&state, &who, &csrf, None, form.email, errors).await?,
        )),
        Err(other) => Err(other.into()),
    }
}

async fn revoke_invite(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    state.app.revoke_invite(&who, InviteId::new(id), &meta.audit(Some(&who))).await?;
    Ok(Redirect::to("/admin/staff").into_response())
}

fn invite_fields(form: &InviteAcceptance, errors: &FieldErrors) -> Vec<FieldView> {
    vec![
        FieldView::new("display_name", "Your name as clients will see it", "text")
            .value(form.display_name.as_deref())
            .autocomplete("name")
            .errors(errors),
        FieldView::new("password", "Password", "password")
            .autocomplete("new-password")
            .hint("At least 12 characters.")
            .errors(errors),
        FieldView::new("timezone", "Time zone", "text")
            .value(form.timezone.as_deref())
            .hint("For example America/Denver. Your groups' hours are set in this zone.")
            .errors(errors),
    ]
}

async fn invite_form(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<Response> {
    let invite = state.app.find_open_invite(&token).await.map_err(|_| {
        Error::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this invitation link has expired, was revoked or was already used",
        )
    })?;
    Ok(page(&InvitePage {
        layout: Layout::new("Accept your invitation", None, &csrf),
        role_label: invite.role.label(),
        email: invite.email.to_string(),
        token,
        fields: invite_fields(&InviteAcceptance::default(), &FieldErrors::new()),
    }))
}

async fn accept_invite(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    Path(token): Path<String>,
    Form(form): Form<InviteAcceptance>,
) -> Result<Response> {
    match state.app.accept_invite(&token, &form, &meta.audit(None)).await {
        Ok(_) => Ok(Redirect::to("/login").into_response()),
        Err(AppError::Invalid(errors)) => {
            let invite = state.app.find_open_invite(&token).await?;
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &InvitePage {
                    layout: Layout::new("Accept your invitation", None, &csrf),
                    role_label: invite.role.label(),
                    email: invite.email.to_string(),
                    token,
                    fields: invite_fields(&form, &errors),
                },
            ))
        }
        Err(AppError::NotFound) => Err(Error::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this invitation link has expired, was revoked or was already used",
        )),
        Err(other) => Err(other.into()),
    }
}
