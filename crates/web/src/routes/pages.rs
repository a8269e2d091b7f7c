//! Server-rendered pages. Every form carries the CSRF token; every page answers in HTML.

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hearth_app::{AppError, Authenticated, InviteAcceptance};
use hearth_domain::{FieldErrors, InviteId, Role, SessionId, SessionKind};
use serde::Deserialize;

use crate::csrf::{self, CsrfToken};
use crate::extract::{ClientMeta, PageUser, Path, require_role, session_cookie_name};
use crate::flash;
use crate::json::{Form, Query};
use crate::pager::{Pager, asked_page};
use crate::templates::{
    AccountPage, DashboardPage, FieldView, HomePage, InvitePage, InviteView, Layout, SessionView,
    StaffPage, StaffView, page, render,
};
use crate::when::When;
use crate::{AppState, Error, Result};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(dashboard))
        .route("/account", get(account))
        .route("/account/sessions/{id}/revoke", post(revoke_session))
        .route("/account/calendar", post(set_calendar))
        .route("/admin/staff", get(staff))
        .route("/admin/invites", post(invite_staff))
        .route("/admin/invites/{id}/revoke", post(revoke_invite))
        .route("/invites/{token}", get(invite_form).post(accept_invite))
        .merge(super::pages_auth::router())
        .merge(super::pages_groups::router())
        .merge(super::pages_leave::router())
        .merge(super::pages_catalog::router())
        .merge(super::pages_therapists::router())
        .merge(super::pages_measures::router())
        .merge(super::pages_safety::router())
        .merge(super::pages_progress::router())
        .merge(super::pages_intake::router())
        .merge(super::pages_care::router())
        .merge(super::pages_access::router())
        .merge(super::pages_reports::router())
        .merge(super::pages_clients::router())
        .merge(super::pages_plans::router())
        .merge(super::pages_consults::router())
        .merge(super::pages_placement::router())
        .merge(super::pages_room::router())
        .merge(super::pages_attendance::router())
        .merge(super::pages_two_factor::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), flash::carry))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::protect))
}

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

async fn dashboard(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    flash::Notice(notice): flash::Notice,
) -> Result<Response> {
    let ctx = hearth_app::AuditContext::by(who.user.id, None);
    let home = state.app.dashboard(&who, &ctx).await?;
    let zone = who.user.timezone.tz();
    let check_in = home.check_in.and_then(|status| match (status.due, status.next_meeting) {
        (true, Some(next)) => {
            Some(format!("Your check-in is due before your next session, {}.", when.at(next, zone)))
        }
        _ => None,
    });
    let (overdue, overdue_total, overdue_as_of) = match home.overdue {
        Some((names, total, at)) => (
            Some(names.into_iter().map(|(id, name)| (id.get(), name)).collect()),
            total,
            when.time(&at.with_timezone(&zone)),
        ),
        None => (None, 0, String::new()),
    };
    let mut staff = super::staff_home_view::StaffHomeView::default();
    if let Some(t) = home.therapist {
        staff = staff.therapist(t, &when);
    }
    if let Some(c) = home.coordinator {
        staff = staff.coordinator(c, zone, &when);
    }
    if let Some(a) = home.admin {
        let today = state.app.now().with_timezone(&zone).date_naive();
        staff = staff.admin(&a, today, &when);
    }
    Ok(page(&DashboardPage {
        layout: Layout::new("Dashboard", Some(&who), &csrf),
        notice,
        name: who.user.display_name.to_string(),
        role: who.user.role,
        role_label: who.user.role.label(),
        timezone: who.user.timezone.name().to_owned(),
        client_count: home.client_count,
        staff_count: i64::try_from(home.staff_count).unwrap_or(i64::MAX),
        headline: home.headline.as_ref().map(super::pages_reports::headline_sentence),
        check_in,
        suggestions: home
            .suggestions
            .into_iter()
            .map(|(group, topic, reasons)| (group.get(), topic, when.reasons(&reasons)))
            .collect(),
        staff,
        overdue,
        overdue_total,
        overdue_as_of,
        needs_intake: home.needs_intake,
        open_flags: home.open_flags,
        home: home.home.map(|h| super::home_view::HomeView::of(h, zone, &when)).unwrap_or_default(),
    }))
}

async fn account(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    flash::Notice(notice): flash::Notice,
    PageUser(who): PageUser,
    when: When,
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
            created: when.at(s.created_at, tz),
            last_seen: when.at(s.last_seen_at, tz),
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
        discreet_calendar: state.app.calendar_discreet(&who).await?,
        notice,
    }))
}

#[derive(Deserialize)]
struct CalendarForm {
    calendar: String,
}

/// How the person's calendar events are named: `named` (the group's title) or `discreet`.
async fn set_calendar(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Form(form): Form<CalendarForm>,
) -> Result<Response> {
    let discreet = match form.calendar.as_str() {
        "discreet" => true,
        "named" => false,
        _ => {
            return Err(Error::bad_request(
                Some("calendar"),
                "choose how your calendar names your sessions",
            ));
        }
    };
    state.app.set_calendar_discreet(&who, discreet, &meta.audit(Some(&who))).await?;
    let notice = if discreet {
        "Saved. Your calendar now says only \"Hearth session\", with the room link."
    } else {
        "Saved. Your calendar now names each group."
    };
    Ok(flash::redirect(&state, "/account#calendar-heading", notice))
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

/// `?page=N` of the staff accounts and `?invites=N` of the open invitations.
#[derive(Default, Deserialize)]
struct StaffQuery {
    page: Option<String>,
    invites: Option<String>,
}

impl StaffQuery {
    /// The staff page showing staff page `staff` and invitations page `invites`.
    fn address(staff: usize, invites: usize, anchor: &str) -> String {
        format!("/admin/staff?page={staff}&invites={invites}#{anchor}")
    }
}

#[expect(clippy::too_many_arguments, reason = "the request's parts and the form's state")]
async fn staff_page(
    state: &AppState,
    who: &Authenticated,
    csrf: &CsrfToken,
    when: &When,
    query: &StaffQuery,
    issued_link: Option<String>,
    invite: &InviteForm,
    errors: FieldErrors,
) -> Result<StaffPage> {
    let asked = (asked_page(query.page.as_deref()), asked_page(query.invites.as_deref()));
    let overview = state.app.staff_overview(who, asked.0, asked.1).await?;
    let (staff_at, invites_at) = (overview.staff.paging, overview.invites.paging);
    let staff = overview
        .staff
        .items
        .into_iter()
        .map(|u| StaffView {
            name: u.display_name.to_string(),
            email: u.email.to_string(),
            role: u.role.label(),
        })
        .collect();
    let tz = who.user.timezone.tz();
    let invites = overview
        .invites
        .items
        .into_iter()
        .map(|i| InviteView {
            id: i.id.get(),
            email: i.email.to_string(),
            role: i.role.label(),
            expires: when.at(i.expires_at, tz),
        })
        .collect();
    Ok(StaffPage {
        layout: Layout::new("Staff", Some(who), csrf),
        staff,
        staff_total: staff_at.total,
        staff_pager: Pager::new("Pages of staff", staff_at, ("account", "accounts"), |n| {
            StaffQuery::address(n, invites_at.page, "staff-heading")
        }),
        invites,
        invites_total: invites_at.total,
        invites_pager: Pager::new(
            "Pages of open invitations",
            invites_at,
            ("invitation", "invitations"),
            |n| StaffQuery::address(staff_at.page, n, "invites-heading"),
        ),
        pages_query: format!("page={}&invites={}", staff_at.page, invites_at.page),
        issued_link,
        invite_email: invite.email.clone(),
        invite_role: invite.role.clone(),
        errors,
    })
}

async fn staff(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    Query(query): Query<StaffQuery>,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    let blank = InviteForm::default();
    let shown = staff_page(&state, &who, &csrf, &when, &query, None, &blank, FieldErrors::new());
    Ok(page(&shown.await?))
}

#[derive(Default, Deserialize)]
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
    when: When,
    Query(query): Query<StaffQuery>,
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
            // The newest invitation heads the first page of invitations.
            let query = StaffQuery { page: query.page, invites: None };
            let blank = InviteForm::default();
            let errors = FieldErrors::new();
            let shown = staff_page(&state, &who, &csrf, &when, &query, Some(link), &blank, errors);
            Ok(page(&shown.await?))
        }
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &staff_page(&state, &who, &csrf, &when, &query, None, &form, errors).await?,
        )),
        Err(other) => Err(other.into()),
    }
}

async fn revoke_invite(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Query(query): Query<StaffQuery>,
) -> Result<Response> {
    state.app.revoke_invite(&who, InviteId::new(id), &meta.audit(Some(&who))).await?;
    // Back to the same pages (the app takes a page emptied by the revocation to the last).
    let (staff, invites) =
        (asked_page(query.page.as_deref()), asked_page(query.invites.as_deref()));
    Ok(Redirect::to(&StaffQuery::address(staff, invites, "invites-heading")).into_response())
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
        FieldView::new("timezone", "Time zone", "select")
            .value(form.timezone.as_deref())
            .zone_picker()
            .hint("Your groups' hours are set in this zone.")
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
