//! The authorization matrix: every route the server routes (read from its router, so a new
//! route cannot be missed), asked by every kind of actor about records they own and records
//! they don't, against the outcome this file expects. A route missing from [`EXPECTED`] fails
//! the test, as does an entry for a route that no longer exists.
//!
//! "Allowed" means the request got past authorization (any answer but 401, 403 or a redirect
//! to the login page: a 404, 409 or 422 from an empty body still shows the door was open);
//! "denied" means it did not. Client records are Sam's; group records are Sam's group, led by
//! the therapist on Sam's care team.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Weekday};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Browser, PASSWORD, TestApp, signed_in, spawn_app};

/// Who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Actor {
    Anonymous,
    /// Sam, whose records they are.
    Client,
    /// Kim, another client.
    OtherClient,
    /// Leads Sam's group.
    TeamTherapist,
    /// Leads no group of Sam's.
    OtherTherapist,
    /// Sam's assigned coordinator.
    TeamCoordinator,
    /// Another coordinator.
    OtherCoordinator,
    Admin,
    /// A therapist off the care team who broke the glass for Sam.
    Glass,
}

use Actor::{
    Admin, Anonymous, Client, Glass, OtherClient, OtherCoordinator, OtherTherapist,
    TeamCoordinator, TeamTherapist,
};

const ACTORS: [Actor; 9] = [
    Anonymous,
    Client,
    OtherClient,
    TeamTherapist,
    OtherTherapist,
    TeamCoordinator,
    OtherCoordinator,
    Admin,
    Glass,
];

impl Actor {
    fn email(self) -> Option<&'static str> {
        Some(match self {
            Anonymous => return None,
            Client => "sam@example.org",
            OtherClient => "kim@example.org",
            TeamTherapist => "own@example.org",
            OtherTherapist => "other@example.org",
            TeamCoordinator => "coord1@example.org",
            OtherCoordinator => "coord2@example.org",
            Admin => "admin@example.org",
            Glass => "glass@example.org",
        })
    }
}

/// Who gets past authorization on a route.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Everyone, signed in or not.
    Anyone,
    /// Anyone signed in.
    SignedIn,
    /// Clients (each about their own account).
    Clients,
    /// Therapists, coordinators and admins.
    Staff,
    Therapists,
    Coordinators,
    /// Coordinators and admins.
    CareDesk,
    Admins,
    /// Exactly these.
    Only(&'static [Actor]),
}

impl Who {
    fn allows(self, actor: Actor) -> bool {
        let staff = matches!(
            actor,
            TeamTherapist | OtherTherapist | Glass | TeamCoordinator | OtherCoordinator | Admin
        );
        match self {
            Who::Anyone => true,
            Who::SignedIn => actor != Anonymous,
            Who::Clients => matches!(actor, Client | OtherClient),
            Who::Staff => staff,
            Who::Therapists => matches!(actor, TeamTherapist | OtherTherapist | Glass),
            Who::Coordinators => matches!(actor, TeamCoordinator | OtherCoordinator),
            Who::CareDesk => matches!(actor, TeamCoordinator | OtherCoordinator | Admin),
            Who::Admins => actor == Admin,
            Who::Only(these) => these.contains(&actor),
        }
    }
}

/// Sam's clinical record, read: Sam, the care team, and the glass.
const CLINICAL_READ: Who = Who::Only(&[Client, TeamTherapist, TeamCoordinator, Glass]);

/// Sam's safety plan, written: Sam and the therapist treating them.
const SAFETY_WRITE: Who = Who::Only(&[Client, TeamTherapist]);
/// Sam's treatment plan or care notes, written: the therapist treating them and their
/// coordinator.
const TEAM_WRITE: Who = Who::Only(&[TeamTherapist, TeamCoordinator]);
/// The group's meetings, changed: its therapist and admins.
const GROUP_LEAD: Who = Who::Only(&[TeamTherapist, Admin]);
/// Everyone signed in reaches the handler, which looks the record up among the caller's own
/// (a consult call, a session, a seat offer): someone else's answers 404, not 403, so the
/// answer does not tell whether it exists.
const OWN_LOOKUP: Who = Who::SignedIn;
/// The login flow answers everyone, signed in or not, with a redirect to a login page.
const LOGIN_FLOW: Who = Who::Only(&[]);

/// A request body: JSON for `/api/v1`, form fields (besides the CSRF token) for pages. In
/// both, `{group}`, `{date}`, `{sam}` and `{coord2}` are filled in.
#[derive(Clone, Copy, Debug)]
enum Body {
    None,
    Json(&'static str),
    Form(&'static [(&'static str, &'static str)]),
}

use Body::{Form, Json};
const NO: Body = Body::None;

/// The expected outcome of every route, and the body it is sent with.
const EXPECTED: &[(&str, &str, Who, Body)] = &[
    // Public pages, sign-up and sign-in, machines.
    ("GET", "/", Who::Anyone, NO),
    ("GET", "/login", Who::Anyone, NO),
    ("GET", "/signup", Who::Anyone, NO),
    ("POST", "/signup", Who::Anyone, NO),
    ("GET", "/invites/{token}", Who::Anyone, NO),
    ("POST", "/invites/{token}", Who::Anyone, NO),
    ("GET", "/healthz", Who::Anyone, NO),
    ("GET", "/metrics", Who::Anyone, NO),
    ("GET", "/static/app.css", Who::Anyone, NO),
    ("GET", "/favicon.ico", Who::Anyone, NO),
    ("GET", "/static/forms.js", Who::Anyone, NO),
    ("GET", "/static/room.js", Who::Anyone, NO),
    ("GET", "/calendar/{file}", Who::Anyone, NO),
    ("GET", "/api/v1/openapi.json", Who::Anyone, NO),
    ("GET", "/api/v1/topics", Who::Anyone, NO),
    ("GET", "/api/v1/programs", Who::Anyone, NO),
    ("POST", "/api/v1/clients", Who::Anyone, NO),
    ("POST", "/api/v1/session", Who::Anyone, NO),
    ("POST", "/login", LOGIN_FLOW, NO),
    ("GET", "/login/code", LOGIN_FLOW, NO),
    ("POST", "/login/code", LOGIN_FLOW, NO),
    ("POST", "/logout", LOGIN_FLOW, NO),
    // One's own account and sessions.
    ("GET", "/account", Who::SignedIn, NO),
    ("GET", "/account/two-factor", Who::SignedIn, NO),
    ("POST", "/account/two-factor", Who::SignedIn, NO),
    ("POST", "/account/sessions/{id}/revoke", OWN_LOOKUP, NO),
    ("GET", "/dashboard", Who::SignedIn, NO),
    ("GET", "/api/v1/me", Who::SignedIn, NO),
    ("GET", "/api/v1/sessions", Who::SignedIn, NO),
    ("DELETE", "/api/v1/sessions/{id}", Who::Only(&[]), NO),
    ("DELETE", "/api/v1/session", Who::SignedIn, NO),
    ("POST", "/api/v1/me/second-factor", Who::SignedIn, NO),
    ("POST", "/api/v1/me/second-factor/confirm", Who::SignedIn, Json(r#"{"code":"000000"}"#)),
    ("POST", "/api/v1/me/calendar-feed", Who::SignedIn, NO),
    ("DELETE", "/api/v1/me/calendar-feed", Who::SignedIn, NO),
    ("GET", "/api/v1/me/calendar-settings", Who::SignedIn, NO),
    ("PUT", "/api/v1/me/calendar-settings", Who::SignedIn, Json(r#"{"discreet":true}"#)),
    ("POST", "/my/calendar", Who::SignedIn, NO),
    ("POST", "/my/calendar/revoke", Who::SignedIn, NO),
    ("POST", "/account/calendar", Who::SignedIn, Form(&[("calendar", "discreet")])),
    // The catalog of groups, open to anyone signed in.
    ("GET", "/groups", Who::SignedIn, NO),
    ("GET", "/groups/{id}", Who::SignedIn, NO),
    ("GET", "/groups/{id}/calendar.ics", Who::SignedIn, NO),
    ("GET", "/api/v1/groups", Who::SignedIn, NO),
    ("GET", "/api/v1/groups/{id}", Who::SignedIn, NO),
    ("GET", "/api/v1/groups/{id}/calendar.ics", Who::SignedIn, NO),
    ("GET", "/api/v1/groups/{id}/occurrences", Who::SignedIn, NO),
    ("GET", "/api/v1/therapists/{id}", Who::SignedIn, NO),
    // A client's own care: pages that show the signed-in person's own records.
    ("GET", "/intake", Who::SignedIn, NO),
    ("POST", "/intake", Who::SignedIn, NO),
    ("GET", "/measures/{slug}", Who::SignedIn, NO),
    ("POST", "/measures/{slug}", Who::SignedIn, NO),
    ("GET", "/my/groups", Who::SignedIn, NO),
    ("GET", "/my/plan", Who::SignedIn, NO),
    ("GET", "/my/progress", Who::SignedIn, NO),
    ("GET", "/my/safety-plan", Who::SignedIn, NO),
    ("GET", "/consult", Who::Clients, NO),
    ("POST", "/consult", Who::Clients, NO),
    ("POST", "/consult/{id}/cancel", OWN_LOOKUP, NO),
    ("GET", "/api/v1/me/check-in", Who::SignedIn, NO),
    ("GET", "/api/v1/me/groups", Who::SignedIn, NO),
    (
        "PUT",
        "/api/v1/me/intake",
        Who::Clients,
        Json(
            r#"{"reasons":"x","topics":["grief-loss"],"availability":[],"emergency_contact_name":"Alex","emergency_contact_phone":"312 555 0100","consent_version":"2026-11","telehealth_consent":true,"group_agreement":true}"#,
        ),
    ),
    (
        "POST",
        "/api/v1/measures/{instrument}",
        Who::Clients,
        Json(r#"{"answers":[0,0,0,0,0,0,0,0,0]}"#),
    ),
    (
        "GET",
        "/api/v1/consults",
        Who::Only(&[Client, OtherClient, TeamCoordinator, OtherCoordinator, Admin]),
        NO,
    ),
    ("GET", "/api/v1/consults/slots", Who::Clients, NO),
    (
        "POST",
        "/api/v1/consults",
        Who::Clients,
        Json(r#"{"starts_at":"{date}T15:00:00Z","phone":"312 555 0100"}"#),
    ),
    ("DELETE", "/api/v1/consults/{id}", OWN_LOOKUP, NO),
    // Seats, waitlists, offers and switches: a client about their own place.
    ("POST", "/api/v1/groups/{id}/seats", Who::Clients, NO),
    ("DELETE", "/api/v1/groups/{id}/seats/me", OWN_LOOKUP, NO),
    ("DELETE", "/api/v1/groups/{id}/waitlist/me", OWN_LOOKUP, NO),
    ("POST", "/api/v1/groups/{id}/offer/accept", OWN_LOOKUP, NO),
    ("POST", "/api/v1/groups/{id}/offer/decline", OWN_LOOKUP, NO),
    // The target is checked before the role: a move to the same group is a 422 for anyone.
    ("POST", "/api/v1/groups/{id}/switch", Who::SignedIn, Json(r#"{"to":{group}}"#)),
    (
        "POST",
        "/api/v1/switch-requests",
        Who::Clients,
        Json(r#"{"from":{group},"to":{group},"reason":"A later time suits me"}"#),
    ),
    (
        "GET",
        "/api/v1/switch-requests",
        Who::Only(&[Client, OtherClient, TeamCoordinator, OtherCoordinator, Admin]),
        NO,
    ),
    ("POST", "/groups/{id}/reserve", Who::SignedIn, NO),
    ("POST", "/groups/{id}/accept", Who::SignedIn, NO),
    ("POST", "/groups/{id}/decline", Who::SignedIn, NO),
    ("GET", "/groups/{id}/leave", Who::Clients, NO),
    ("POST", "/groups/{id}/leave", Who::SignedIn, NO),
    ("GET", "/groups/{id}/waitlist/leave", Who::Clients, NO),
    ("POST", "/groups/{id}/waitlist/leave", Who::SignedIn, NO),
    ("POST", "/groups/{id}/switch", Who::SignedIn, NO),
    ("POST", "/groups/{id}/switch-request", Who::SignedIn, NO),
    // The care desk.
    ("GET", "/care/queue", Who::CareDesk, NO),
    ("GET", "/care/placement", Who::CareDesk, NO),
    ("POST", "/care/placement", Who::CareDesk, NO),
    ("GET", "/care/availability", Who::Coordinators, NO),
    ("POST", "/care/availability", Who::Coordinators, NO),
    (
        "PUT",
        "/api/v1/me/consult-availability",
        Who::Coordinators,
        Json(r#"{"windows":["wed 09:00-12:00"]}"#),
    ),
    ("POST", "/care/switches/{id}/approve", Who::CareDesk, NO),
    ("POST", "/care/switches/{id}/decline", Who::CareDesk, NO),
    ("POST", "/api/v1/switch-requests/{id}/approve", Who::CareDesk, NO),
    ("POST", "/api/v1/switch-requests/{id}/decline", Who::CareDesk, NO),
    ("GET", "/api/v1/check-ins/overdue", Who::Staff, NO),
    ("GET", "/api/v1/reports/outcomes", Who::Staff, NO),
    ("GET", "/reports/outcomes", Who::Staff, NO),
    ("GET", "/reports/outcomes.csv", Who::Staff, NO),
    // The risk path: the signal reaches every therapist and coordinator (admins get an empty
    // queue); a flag is acknowledged by the client's therapist (a coordinator or an admin
    // is refused with `clinician_required`).
    ("GET", "/care/risk", Who::Staff, NO),
    ("GET", "/api/v1/risk-flags", Who::Staff, NO),
    (
        "POST",
        "/care/risk/{id}/acknowledge",
        Who::Only(&[TeamTherapist]),
        Form(&[("disposition", "Called and made a plan")]),
    ),
    (
        "POST",
        "/api/v1/risk-flags/{id}/acknowledge",
        Who::Only(&[TeamTherapist]),
        Json(r#"{"disposition":"Called and made a plan"}"#),
    ),
    // Sam's record.
    ("GET", "/clients", Who::Staff, NO),
    ("GET", "/clients/{id}", Who::Staff, NO),
    ("GET", "/api/v1/clients/{id}/measures", CLINICAL_READ, NO),
    ("GET", "/api/v1/clients/{id}/intake", CLINICAL_READ, NO),
    ("GET", "/api/v1/clients/{id}/safety-plan", CLINICAL_READ, NO),
    ("GET", "/api/v1/clients/{id}/recommendations", CLINICAL_READ, NO),
    ("GET", "/api/v1/clients/{id}/therapist-recommendations", CLINICAL_READ, NO),
    ("GET", "/clients/{id}/plan", CLINICAL_READ, NO),
    ("GET", "/clients/{id}/progress", CLINICAL_READ, NO),
    ("GET", "/clients/{id}/safety-plan", CLINICAL_READ, NO),
    ("PUT", "/api/v1/clients/{id}/safety-plan", SAFETY_WRITE, Json(r#"{"warning_signs":"x"}"#)),
    ("POST", "/clients/{id}/safety-plan", SAFETY_WRITE, NO),
    ("POST", "/clients/{id}/plan", TEAM_WRITE, NO),
    ("POST", "/clients/{id}/notes", TEAM_WRITE, NO),
    (
        "POST",
        "/clients/{id}/plan/sign",
        Who::Only(&[Client, TeamTherapist]),
        Form(&[("version", "2026-01-01T00:00:00Z")]),
    ),
    (
        "POST",
        "/clients/{id}/place",
        Who::Only(&[TeamCoordinator, OtherCoordinator, Admin]),
        Form(&[("group_id", "{group}")]),
    ),
    ("POST", "/clients/{id}/take-on", Who::Coordinators, NO),
    ("POST", "/clients/{id}/coordinator", Who::Admins, Form(&[("coordinator_id", "{coord2}")])),
    ("POST", "/clients/{id}/break-glass", Who::Staff, NO),
    ("POST", "/api/v1/clients/{id}/break-glass", Who::Staff, NO),
    // The group's roster, meetings and room.
    ("GET", "/therapist/groups", Who::Therapists, NO),
    (
        "GET",
        "/api/v1/groups/{id}/roster",
        Who::Only(&[Client, TeamTherapist, TeamCoordinator, OtherCoordinator, Admin]),
        NO,
    ),
    (
        "GET",
        "/groups/{id}/meetings/{date}/attendance",
        Who::Only(&[TeamTherapist, TeamCoordinator, OtherCoordinator, Admin]),
        NO,
    ),
    (
        "POST",
        "/groups/{id}/meetings/{date}/attendance",
        GROUP_LEAD,
        Form(&[("status-{sam}", "present")]),
    ),
    (
        "GET",
        "/groups/{id}/meetings/{date}/room",
        Who::Only(&[Client, TeamTherapist, TeamCoordinator, OtherCoordinator, Admin]),
        NO,
    ),
    // The door opens shortly before a meeting; the fixture's meeting is days away, so the
    // socket refuses everyone (tests/e2e/room.rs covers who enters during a meeting).
    ("GET", "/groups/{id}/meetings/{date}/room/socket", Who::Only(&[]), NO),
    ("POST", "/groups/{id}/meetings/{date}/cancel", GROUP_LEAD, NO),
    ("POST", "/groups/{id}/meetings/{date}/restore", GROUP_LEAD, NO),
    (
        "POST",
        "/groups/{id}/meetings/{date}/move",
        GROUP_LEAD,
        Form(&[("starts_at", "{date}T19:00")]),
    ),
    ("POST", "/api/v1/groups/{id}/occurrences/{date}/cancel", GROUP_LEAD, NO),
    (
        "POST",
        "/api/v1/groups/{id}/occurrences/{date}/move",
        GROUP_LEAD,
        Json(r#"{"starts_at":"{date}T23:00:00Z"}"#),
    ),
    (
        "POST",
        "/api/v1/groups/{id}/series",
        GROUP_LEAD,
        Json(r#"{"from":"{date}","weekday":"thu","local_time":"18:00"}"#),
    ),
    // Running the practice.
    ("GET", "/admin/groups", Who::Admins, NO),
    ("POST", "/admin/groups", Who::Admins, NO),
    ("GET", "/admin/therapists", Who::Admins, NO),
    ("POST", "/admin/therapists", Who::Admins, NO),
    ("POST", "/admin/therapists/{id}/licenses", Who::Admins, NO),
    ("GET", "/admin/catalog", Who::Admins, NO),
    ("POST", "/admin/catalog/{kind}/{slug}", Who::Admins, NO),
    ("GET", "/admin/staff", Who::Admins, NO),
    ("POST", "/admin/invites", Who::Admins, NO),
    ("POST", "/admin/invites/{id}/revoke", Who::Admins, NO),
    ("GET", "/admin/break-glass", Who::Admins, NO),
    ("GET", "/api/v1/staff", Who::Admins, NO),
    (
        "POST",
        "/api/v1/invites",
        Who::Admins,
        Json(r#"{"email":"new@example.org","role":"therapist"}"#),
    ),
    ("POST", "/api/v1/groups", Who::Admins, NO),
    ("POST", "/api/v1/therapists", Who::Admins, NO),
    ("POST", "/api/v1/therapists/{id}/licenses", Who::Admins, NO),
    ("PATCH", "/api/v1/topics/{slug}", Who::Admins, Json(r#"{"name":"Grief and loss"}"#)),
    ("PATCH", "/api/v1/programs/{slug}", Who::Admins, Json(r#"{"name":"A program"}"#)),
];

/// Everything the matrix needs to fill in paths: Sam's id, the group, a meeting date…
struct Fixture {
    app: TestApp,
    sam: i64,
    group: i64,
    therapist: i64,
    flag: i64,
    coord2: i64,
    date: String,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist = app
        .therapist(&admin, "own@example.org", "America/Chicago", &[("US-IL", "2030-12-31")])
        .await;
    for email in ["other@example.org", "glass@example.org"] {
        app.therapist(&admin, email, "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    }
    app.create_staff("coord1@example.org", "coordinator").await;
    let coord2 = app.create_staff("coord2@example.org", "coordinator").await.get();
    let group = app.group(&admin, therapist, json!({})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&sam, &["anxiety-depression"], &["wed 17:00-20:00"]).await;
    assert_eq!(app.post_seat(&sam, group).await.status(), StatusCode::CREATED);
    let risky = app.post_measure(&sam, "phq9", &json!([1, 1, 1, 1, 1, 1, 1, 1, 1])).await;
    assert_eq!(risky.status(), StatusCode::CREATED);
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    let coordinator = app.token("coord1@example.org", PASSWORD).await;
    let flags = app.get_json(&coordinator, "/risk-flags").await;
    let flag = flags[0]["id"].as_i64().expect("a flag");
    // Coordinator one takes Sam on.
    let browser = signed_in(&app, Some("coord1@example.org")).await;
    let taken = post_form(&app, &browser, &format!("/clients/{sam_id}/take-on")).await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    let glass = app.token("glass@example.org", PASSWORD).await;
    let opened = app
        .client
        .post(app.url(&format!("/api/v1/clients/{sam_id}/break-glass")))
        .bearer_auth(glass)
        .json(&json!({"reason": "On call tonight for the group"}))
        .send()
        .await
        .expect("request");
    assert_eq!(opened.status(), StatusCode::CREATED);
    // The next Wednesday in Chicago: a meeting of the group.
    let mut day = app.clock_now().date_naive() + Duration::days(1);
    while day.weekday() != Weekday::Wed {
        day += Duration::days(1);
    }
    Fixture { app, sam: sam_id, group, therapist, flag, coord2, date: day.to_string() }
}

async fn post_form(app: &TestApp, browser: &Browser, path: &str) -> reqwest::Response {
    browser
        .client
        .post(app.url(path))
        .form(&[("csrf", browser.csrf.as_str())])
        .send()
        .await
        .expect("post")
}

impl Fixture {
    /// The route's path with its parameters filled in.
    fn fill(&self, path: &str) -> String {
        let id = if path.starts_with("/clients/") || path.starts_with("/api/v1/clients/") {
            self.sam
        } else if path.contains("/therapists/") {
            self.therapist
        } else if path.contains("risk") {
            self.flag
        } else if path.starts_with("/groups/") || path.starts_with("/api/v1/groups/") {
            self.group
        } else {
            1
        };
        let slug = if path.starts_with("/measures/") { "phq9" } else { "grief-loss" };
        path.replace("{id}", &id.to_string())
            .replace("{date}", &self.date)
            .replace("{slug}", slug)
            .replace("{instrument}", "phq9")
            .replace("{kind}", "topics")
            .replace("{token}", "no-such-invitation")
            .replace("{file}", "no-such-feed.ics")
    }

    /// A body's placeholders filled in.
    fn fill_body(&self, text: &str) -> String {
        text.replace("{group}", &self.group.to_string())
            .replace("{date}", &self.date)
            .replace("{sam}", &self.sam.to_string())
            .replace("{coord2}", &self.coord2.to_string())
    }
}

/// Ends a session, so it runs after everything else for its actor.
fn ends_session(method: &str, path: &str) -> bool {
    matches!(
        (method, path),
        ("POST", "/logout" | "/account/sessions/{id}/revoke")
            | ("DELETE", "/api/v1/session" | "/api/v1/sessions/{id}")
    )
}

/// Whether `actor` got past authorization on each route.
async fn observe(
    actor: Actor,
    routes: &[(String, String)],
    bodies: &BTreeMap<(String, String), Body>,
) -> BTreeMap<(String, String), (bool, u16)> {
    let fixture = fixture().await;
    let app = &fixture.app;
    let token = match actor.email() {
        Some(email) => Some(app.token(email, PASSWORD).await),
        None => None,
    };
    let browser = signed_in(app, actor.email()).await;
    let mut seen = BTreeMap::new();
    for (method, path) in routes {
        let url = app.url(&fixture.fill(path));
        let method_ = Method::from_bytes(method.as_bytes()).expect("a method");
        let body = bodies.get(&(method.clone(), path.clone())).copied().unwrap_or(Body::None);
        let response = if path.starts_with("/api/v1/") {
            let mut request = app.client.request(method_.clone(), &url);
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            match body {
                Body::Json(text) => {
                    request = request
                        .header("content-type", "application/json")
                        .body(fixture.fill_body(text));
                }
                _ if method != "GET" && method != "DELETE" => request = request.json(&json!({})),
                _ => {}
            }
            request.send().await.expect("request")
        } else {
            let mut request = browser.client.request(method_.clone(), &url);
            if path.ends_with("/socket") {
                // A WebSocket handshake, so the upgrade itself is not what refuses.
                request = request
                    .header("connection", "upgrade")
                    .header("upgrade", "websocket")
                    .header("sec-websocket-version", "13")
                    .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
            }
            if method != "GET" {
                let mut fields = vec![("csrf".to_owned(), browser.csrf.clone())];
                if let Body::Form(extra) = body {
                    for (k, v) in extra {
                        fields.push((fixture.fill_body(k), fixture.fill_body(v)));
                    }
                }
                request = request.form(&fields);
            }
            request.send().await.expect("request")
        };
        let status = response.status();
        assert!(!status.is_server_error(), "{actor:?} {method} {path}: {status}");
        let to_login = status.is_redirection()
            && response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.starts_with("/login"));
        // A refusal by role that names its rule (409 `not_a_client`, `clinician_required`,
        // or the page saying so) is a closed door too.
        let by_role = status == StatusCode::CONFLICT && {
            let text = response.text().await.unwrap_or_default();
            ["\"not_a_client\"", "\"clinician_required\"", "a licensed clinician acknowledges"]
                .iter()
                .any(|rule| text.contains(rule))
        };
        let denied = status == StatusCode::UNAUTHORIZED
            || status == StatusCode::FORBIDDEN
            || to_login
            || by_role;
        seen.insert((method.clone(), path.clone()), (!denied, status.as_u16()));
    }
    seen
}

#[tokio::test]
async fn every_route_answers_every_actor_as_the_policy_says() {
    let expected: BTreeMap<(String, String), (Who, Body)> = EXPECTED
        .iter()
        .map(|(m, p, who, body)| (((*m).to_owned(), (*p).to_owned()), (*who, *body)))
        .collect();
    assert_eq!(expected.len(), EXPECTED.len(), "one entry per route");
    let routes: Vec<(String, String)> = {
        let probe = spawn_app().await;
        let mut all: Vec<_> = probe.routes.iter().cloned().collect();
        // Session-ending routes last, so they do not sign the actor out of the rest.
        all.sort_by_key(|(m, p)| (ends_session(m, p), m != "GET"));
        all
    };
    // A route the server routes with no expectation here fails, and the other way round.
    let unlisted: Vec<_> = routes.iter().filter(|r| !expected.contains_key(*r)).collect();
    assert!(unlisted.is_empty(), "routes with no expected outcome: {unlisted:?}");
    let stale: Vec<_> = expected.keys().filter(|r| !routes.contains(r)).collect();
    assert!(stale.is_empty(), "expected outcomes for routes that do not exist: {stale:?}");

    let bodies = expected.iter().map(|(k, (_, body))| (k.clone(), *body)).collect();
    let mut unexpected = Vec::new();
    let mut cases = 0;
    for actor in ACTORS {
        let seen = observe(actor, &routes, &bodies).await;
        for (route, (allowed, status)) in seen {
            cases += 1;
            let want = expected[&route].0.allows(actor);
            if allowed != want {
                let (method, path) = &route;
                let got = if allowed { "allowed" } else { "denied" };
                unexpected.push(format!(
                    "{actor:?} {method} {path}: {got} ({status}), expected the opposite"
                ));
            }
        }
    }
    println!(
        "authorization matrix: {} routes x {} actors = {cases} cases, {} unexpected",
        routes.len(),
        ACTORS.len(),
        unexpected.len()
    );
    assert!(unexpected.is_empty(), "unexpected outcomes:\n{}", unexpected.join("\n"));
}
