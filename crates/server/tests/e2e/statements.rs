//! SQL statements per page view: a page's statement count must not grow with the number of
//! members or groups it shows. Counted by a `tracing` layer that attributes each statement
//! sqlx reports (target `sqlx::query`) to the request span it ran in; the request's id comes
//! back in `X-Request-Id`. Statements run by other tasks (the group-commit audit writer) are
//! not the page's and are not counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use reqwest::StatusCode;
use serde_json::json;
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

use crate::helpers::{PASSWORD, TestApp, signed_in, spawn_app};

/// Statement counts of finished requests, by request id.
fn finished() -> &'static Mutex<HashMap<String, usize>> {
    static FINISHED: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    FINISHED.get_or_init(Mutex::default)
}

struct RequestId(String);
struct Statements(AtomicUsize);

/// Reads the `id` field of a request span.
struct IdVisitor(Option<String>);

impl tracing::field::Visit for IdVisitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "id" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

struct CountStatements;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for CountStatements {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "request" {
            return;
        }
        let mut visitor = IdVisitor(None);
        attrs.record(&mut visitor);
        if let (Some(span), Some(request)) = (ctx.span(id), visitor.0) {
            let mut extensions = span.extensions_mut();
            extensions.insert(RequestId(request));
            extensions.insert(Statements(AtomicUsize::new(0)));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !event.metadata().target().starts_with("sqlx::query") {
            return;
        }
        let Some(scope) = ctx.event_scope(event) else { return };
        for span in scope {
            if let Some(count) = span.extensions().get::<Statements>() {
                count.0.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        if let (Some(RequestId(request)), Some(count)) =
            (extensions.get::<RequestId>(), extensions.get::<Statements>())
        {
            let mut done = finished().lock().expect("the counts");
            done.insert(request.clone(), count.0.load(Ordering::Relaxed));
        }
    }
}

/// Installs the counting layer for this test binary (once).
fn count_statements() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(CountStatements);
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
}

/// GETs `path` with `browser` and answers how many statements the request ran.
async fn statements(app: &TestApp, browser: &reqwest::Client, path: &str) -> usize {
    let response = browser.get(app.url(path)).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let request = response.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    drop(response.text().await);
    // The span closes when the request's future is dropped, just after the answer is sent.
    for _ in 0..200 {
        if let Some(count) = finished().lock().expect("the counts").get(&request) {
            return *count;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no statement count for {path} ({request})");
}

/// A practice with one group of `members` clients, each with an intake and a check-in, and
/// as many groups again led by the same therapist, as many therapists and open invitations;
/// answers the statement count of each page, as the group's therapist, a coordinator, one
/// member and the admin.
async fn counts(members: usize) -> Vec<(String, usize)> {
    count_statements();
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist = app
        .therapist(&admin, "own@example.org", "America/Chicago", &[("US-IL", "2030-12-31")])
        .await;
    let group = app.group(&admin, therapist, json!({"capacity": 50})).await;
    for i in 1..members {
        app.group(&admin, therapist, json!({})).await;
        let email = format!("other{i}@example.org");
        app.therapist(&admin, &email, "America/Denver", &[("US-CO", "2030-12-31")]).await;
        let invited =
            app.post_invite(&admin, &format!("invited{i}@example.org"), "therapist").await;
        assert_eq!(invited.status(), StatusCode::CREATED);
    }
    app.create_staff("coord@example.org", "coordinator").await;
    let mut first = None;
    for i in 0..members {
        let email = format!("member{i}@example.org");
        let token = app.client_in(&email, "US-IL", "America/Chicago", "1990-01-01").await;
        app.submit_intake(&token, &["anxiety-depression"], &["wed 17:00-20:00"]).await;
        assert_eq!(app.post_seat(&token, group).await.status(), StatusCode::CREATED);
        app.post_measure(&token, "gad7", &json!([1, 1, 1, 1, 1, 1, 1])).await;
        let id = app.get_json(&token, "/me").await["id"].as_i64().expect("id");
        first.get_or_insert((email, id));
    }
    let (member_email, member_id) = first.expect("a member");
    let lead = signed_in(&app, Some("own@example.org")).await.client;
    let coordinator = signed_in(&app, Some("coord@example.org")).await.client;
    let member = signed_in(&app, Some(&member_email)).await.client;
    let admin_browser = signed_in(&app, Some("admin@example.org")).await.client;
    let _ = PASSWORD;
    let mut out = Vec::new();
    for (who, browser, path) in [
        ("therapist", &lead, "/therapist/groups".to_owned()),
        ("therapist", &lead, format!("/groups/{group}")),
        ("therapist", &lead, "/dashboard".to_owned()),
        ("therapist", &lead, format!("/clients/{member_id}")),
        ("therapist", &lead, "/groups".to_owned()),
        ("coordinator", &coordinator, "/dashboard".to_owned()),
        ("coordinator", &coordinator, "/care/queue".to_owned()),
        ("coordinator", &coordinator, "/care/risk".to_owned()),
        ("coordinator", &coordinator, "/clients".to_owned()),
        ("therapist", &lead, "/clients?q=member".to_owned()),
        ("member", &member, "/dashboard".to_owned()),
        ("member", &member, "/groups".to_owned()),
        ("member", &member, "/my/groups".to_owned()),
        ("member", &member, format!("/groups/{group}")),
        ("admin", &admin_browser, "/admin/groups".to_owned()),
        ("admin", &admin_browser, "/dashboard".to_owned()),
        ("admin", &admin_browser, "/admin/therapists".to_owned()),
        ("admin", &admin_browser, "/admin/staff".to_owned()),
    ] {
        // The fewest of three views: a view that refills a short-lived cache (the session
        // memo, the catalogue snapshot, both two seconds) runs a statement or two more.
        let mut count = usize::MAX;
        for _ in 0..3 {
            count = count.min(statements(&app, browser, &path).await);
        }
        let route =
            path.replace(&group.to_string(), "{id}").replace(&member_id.to_string(), "{id}");
        out.push((format!("{who} {route}"), count));
    }
    out
}

#[tokio::test]
async fn pages_run_as_many_statements_for_forty_members_and_groups_as_for_two() {
    let small = counts(2).await;
    let large = counts(40).await;
    let mut grows = Vec::new();
    for ((page, two), (_, forty)) in small.iter().zip(&large) {
        println!("statements: {page}: {two} with 2 members and groups, {forty} with 40");
        // Slack for a cache that expired between views; a statement per member shown would
        // add 38.
        if *forty > two + 3 {
            grows.push(page.as_str());
        }
    }
    assert!(grows.is_empty(), "statements grow with the members or groups shown on {grows:?}");
}
