//! Page templates and what every page shares (title, who is signed in, the CSRF token).

use askama::Template;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use hearth_app::Authenticated;
use hearth_domain::{FieldErrors, Role};

use crate::csrf::CsrfToken;
use crate::error::ErrorBody;

/// What the layout shows of the signed-in person.
#[derive(Clone, Debug)]
pub struct NavUser {
    pub name: String,
    pub role: Role,
    /// The session may only enrol a second factor: the menu offers nothing else.
    pub enrol_only: bool,
}

impl NavUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_client(&self) -> bool {
        self.role == Role::Client
    }

    pub fn is_therapist(&self) -> bool {
        self.role == Role::Therapist
    }

    pub fn is_coordinator(&self) -> bool {
        self.role == Role::Coordinator
    }

    /// Coordinators and admins.
    pub fn is_care_staff(&self) -> bool {
        matches!(self.role, Role::Coordinator | Role::Admin)
    }
}

/// The part of every page that the layout renders.
#[derive(Clone, Debug)]
pub struct Layout {
    pub title: String,
    pub user: Option<NavUser>,
    pub csrf: String,
}

impl Layout {
    pub fn new(title: &str, who: Option<&Authenticated>, csrf: &CsrfToken) -> Self {
        Self { title: title.to_owned(), user: who.map(NavUser::of), csrf: csrf.0.clone() }
    }
}

impl NavUser {
    pub fn of(who: &Authenticated) -> Self {
        Self {
            name: who.user.display_name.to_string(),
            role: who.user.role,
            enrol_only: who.session.enrol_only,
        }
    }
}

/// Who a page was for, kept so that an error page (rendered by [`html_errors`], outside the
/// handler) shows the same signed-in header and navigation as the page it replaces, not a
/// signed-out one. [`crate::extract::PageUser`] fills it once the person is known.
#[derive(Clone, Debug, Default)]
pub struct ErrorPageUser(std::sync::Arc<std::sync::Mutex<Option<(NavUser, String)>>>);

impl ErrorPageUser {
    /// The person, and the form token of their page (for the header's sign-out form).
    pub fn set(&self, who: &Authenticated, csrf: Option<&CsrfToken>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((NavUser::of(who), csrf.map(|t| t.0.clone()).unwrap_or_default()));
        }
    }

    fn take(&self) -> Option<(NavUser, String)> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// One input of a form, with its error if the last submission had one.
#[derive(Clone, Debug)]
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub hint: &'static str,
    pub error: Option<String>,
    /// For a picker (`kind` "select"): each choice's value and words, the first usually an
    /// empty "choose…" line.
    pub options: Vec<(String, String)>,
}

impl FieldView {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            autocomplete: "off",
            hint: "",
            error: None,
            options: Vec::new(),
        }
    }

    /// A picker of the practice's regions: US states by name (the practice is licensed per
    /// state). A region typed elsewhere (through the API) that is not in the list stays chosen.
    pub fn region_picker(mut self) -> Self {
        self.kind = "select";
        self.options.push((String::new(), "Choose your state".to_owned()));
        self.options.extend(
            hearth_domain::US_STATES
                .iter()
                .map(|(code, name)| (format!("US-{code}"), (*name).to_owned())),
        );
        self.keep_unlisted();
        self
    }

    /// A picker of time zones: the US zones by name, then every IANA zone; a fresh form starts
    /// at the browser's zone (`forms.js`).
    pub fn zone_picker(mut self) -> Self {
        self.kind = "select";
        self.options.push((String::new(), "Choose your time zone".to_owned()));
        let common = hearth_domain::TimeZone::COMMON;
        self.options
            .extend(common.iter().map(|(zone, words)| ((*zone).to_owned(), (*words).to_owned())));
        self.options.extend(
            hearth_domain::TimeZone::all_names()
                .filter(|name| !common.iter().any(|(zone, _)| zone == name))
                .map(|name| (name.to_owned(), name.replace('_', " "))),
        );
        self.keep_unlisted();
        self
    }

    /// A value typed before that the list does not hold comes back as a choice of its own, so
    /// nothing typed is lost (the field's error says what is wrong with it).
    fn keep_unlisted(&mut self) {
        if !self.value.is_empty() && !self.options.iter().any(|(v, _)| *v == self.value) {
            self.options.insert(1, (self.value.clone(), self.value.clone()));
        }
    }

    pub fn value(mut self, value: Option<&str>) -> Self {
        value.unwrap_or_default().clone_into(&mut self.value);
        self
    }

    pub fn autocomplete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = autocomplete;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }

    pub fn errors(mut self, errors: &FieldErrors) -> Self {
        self.error = errors.get(self.name).map(str::to_owned);
        self
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignUpPage {
    pub layout: Layout,
    pub fields: Vec<FieldView>,
    pub has_errors: bool,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    /// A neutral word before the form (after a sign-up that made no new account).
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    /// What the change before this page did, from the server's own flash.
    pub notice: Option<String>,
    pub name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub timezone: String,
    pub client_count: i64,
    pub staff_count: i64,
    pub open_flags: usize,
    pub headline: Option<String>,
    pub needs_intake: bool,
    pub check_in: Option<String>,
    /// (group id, topic, reasons) for a client's top three.
    pub suggestions: Vec<(i64, String, Vec<String>)>,
    /// A client's week.
    pub home: crate::routes::home_view::HomeView,
    /// A staff member's work.
    pub staff: crate::routes::staff_home_view::StaffHomeView,
    /// The first people on the list of missed check-ins: (client id, name).
    pub overdue: Option<Vec<(i64, String)>>,
    /// Everyone on it.
    pub overdue_total: usize,
    /// When the list of missed check-ins was made ("14:05"), in the viewer's zone.
    pub overdue_as_of: String,
}

#[derive(Clone, Debug)]
pub struct SessionView {
    pub id: i64,
    pub device: String,
    pub ip: String,
    pub created: String,
    pub last_seen: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub layout: Layout,
    /// Recovery codes left when two-factor sign-in is on.
    pub second_factor: Option<i64>,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub sessions: Vec<SessionView>,
    /// Calendar events say only "Hearth session".
    pub discreet_calendar: bool,
    pub notice: Option<String>,
}

#[derive(Clone, Debug)]
pub struct StaffView {
    pub name: String,
    pub email: String,
    pub role: &'static str,
}

#[derive(Clone, Debug)]
pub struct InviteView {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "staff.html")]
pub struct StaffPage {
    pub layout: Layout,
    /// One page of staff accounts.
    pub staff: Vec<StaffView>,
    /// Staff accounts on every page.
    pub staff_total: usize,
    pub staff_pager: crate::pager::Pager,
    /// One page of open invitations.
    pub invites: Vec<InviteView>,
    pub invites_total: usize,
    pub invites_pager: crate::pager::Pager,
    /// `page=N&invites=M` of this view, kept by its forms so their answers come back to it.
    pub pages_query: String,
    pub issued_link: Option<String>,
    pub invite_email: String,
    /// The role chosen in the invitation form ("" for the first).
    pub invite_role: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "invite.html")]
pub struct InvitePage {
    pub layout: Layout,
    pub role_label: &'static str,
    pub email: String,
    pub token: String,
    pub fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
}

/// Renders a page with a status.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "rendering a template");
            (StatusCode::INTERNAL_SERVER_ERROR, "something went wrong on our side").into_response()
        }
    }
}

pub fn page(page: &impl Template) -> Response {
    render(StatusCode::OK, page)
}

/// Turns the JSON error answers of page routes into HTML pages.
pub async fn html_errors(mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let csrf = req.extensions().get::<CsrfToken>().cloned().unwrap_or(CsrfToken(String::new()));
    let user = ErrorPageUser::default();
    req.extensions_mut().insert(user.clone());
    let response = next.run(req).await;
    let Some(body) = response.extensions().get::<ErrorBody>().cloned() else {
        return response;
    };
    let status = response.status();
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Please wait",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    let mut html = render(
        status,
        &ErrorPage {
            layout: match user.take() {
                Some((user, csrf)) => Layout { title: heading.to_owned(), user: Some(user), csrf },
                None => Layout::new(heading, None, &csrf),
            },
            heading: heading.to_owned(),
            message: body.message,
        },
    );
    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
        html.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    html
}
