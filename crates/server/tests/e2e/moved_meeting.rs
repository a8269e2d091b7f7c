//! One meeting of a weekly group moved to another day: the group's schedule keeps the
//! series' weekday and time on every page, nobody is told of a clock change that is not one,
//! and the moved meeting's room and attendance sheet say the day it is really held.

use chrono::{TimeZone as _, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, PASSWORD, TestApp, signed_in, spawn_app};

const THERAPIST: &str = "rivera@example.org";
const CLIENT: &str = "nina@example.org";
/// The Wednesday the series gives the moved meeting: its identity in every URL.
const SERIES_DATE: &str = "2026-12-02";

/// A Wednesday 18:00 Chicago group with a New York member, whose 2 December meeting the
/// therapist moves to Monday 30 November at 12:31 Chicago time from the group's page.
async fn a_group_with_one_meeting_moved_to_monday() -> (TestApp, i64) {
    let app = spawn_app().await;
    // The group is made before its first meeting (a first meeting in the past is refused).
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).single().expect("instant"));
    let admin = app.admin_token().await;
    let licences = [("US-IL", "2030-12-31"), ("US-NY", "2030-12-31")];
    let therapist = app.therapist(&admin, THERAPIST, "America/Chicago", &licences).await;
    let group = app.group(&admin, therapist, json!({"starts_on": "2026-11-04"})).await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("instant"));
    let member = app.client_in(CLIENT, "US-NY", "America/New_York", "1990-01-01").await;
    assert_eq!(app.post_seat(&member, group).await.status(), StatusCode::CREATED);

    let lead = signed_in(&app, Some(THERAPIST)).await;
    let moved = lead
        .client
        .post(app.url(&format!("/groups/{group}/meetings/{SERIES_DATE}/move")))
        .form(&[("csrf", lead.csrf.as_str()), ("starts_at", "2026-11-30T12:31")])
        .send()
        .await
        .expect("request");
    assert_eq!(moved.status(), StatusCode::SEE_OTHER, "the therapist moves the meeting");
    (app, group)
}

async fn html(app: &TestApp, browser: &Browser, path: &str) -> String {
    let response = browser.client.get(app.url(path)).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.expect("html")
}

/// The member's pages say the group meets on Wednesdays at 19:00 New York time, with no
/// clock-change notice; until it ends, the group's page lists the moved meeting at its new
/// time.
async fn members_pages_keep_the_series_time(app: &TestApp, group: i64, moved_ahead: bool) {
    let nina = signed_in(app, Some(CLIENT)).await;
    let page = html(app, &nina, &format!("/groups/{group}")).await;
    assert!(page.contains("Wednesdays at 19:00"), "the series' own time: {page}");
    assert!(!page.contains("Mondays") && !page.contains("Heads up"), "{page}");
    let moved = "Monday 30 November at 13:31 (moved from Wednesday 2 December at 19:00)";
    assert_eq!(page.contains(moved), moved_ahead, "{page}");
    let mine = html(app, &nina, "/my/groups").await;
    assert!(mine.contains("Wednesdays at 19:00") && !mine.contains("Mondays"), "{mine}");
    let home = html(app, &nina, "/dashboard").await;
    assert!(!home.contains("Mondays") && !home.contains("Heads up"), "{home}");
    let token = app.token(CLIENT, PASSWORD).await;
    let detail = app.get_group(&token, group).await;
    assert_eq!(detail["shift_notices"], json!([]), "no clock changed: {detail}");
    for (weekday, listed) in [("wed", true), ("mon", false)] {
        let catalog = html(app, &nina, &format!("/groups?weekday={weekday}")).await;
        let link = format!("href=\"/groups/{group}\"");
        assert_eq!(catalog.contains(&link), listed, "filtered by {weekday}: {catalog}");
    }
}

#[tokio::test]
async fn a_moved_meeting_leaves_the_groups_schedule_and_says_where_it_really_is() {
    let (app, group) = a_group_with_one_meeting_moved_to_monday().await;

    // The Friday before: the moved meeting is the next one.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).single().expect("instant"));
    members_pages_keep_the_series_time(&app, group, true).await;
    let nina = signed_in(&app, Some(CLIENT)).await;
    let home = html(&app, &nina, "/dashboard").await;
    assert!(home.contains("before your next session, Monday 30 November at 13:31"), "{home}");
    let lead = signed_in(&app, Some(THERAPIST)).await;
    let roster = html(&app, &lead, "/therapist/groups").await;
    assert!(roster.contains("Wednesdays at 18:00") && !roster.contains("Mondays"), "{roster}");
    let room = format!("/groups/{group}/meetings/{SERIES_DATE}/room");
    let link = format!(
        "<a href=\"{room}\">Session room for Monday 30 November at 12:31 (moved from Wednesday 2 December at 18:00)</a>"
    );
    assert!(roster.contains(&link), "{roster}");

    // During the moved meeting, and after it: the next meeting is a regular one again.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 18, 40, 0).single().expect("instant"));
    members_pages_keep_the_series_time(&app, group, true).await;
    let nina = signed_in(&app, Some(CLIENT)).await;
    let page = html(&app, &nina, &room).await;
    assert!(
        page.contains("Monday 30 November at 13:31 (moved from Wednesday 2 December at 19:00)"),
        "the member's room says the real day: {page}"
    );
    let lead = signed_in(&app, Some(THERAPIST)).await;
    let roster = html(&app, &lead, "/therapist/groups").await;
    assert!(roster.contains("Wednesdays at 18:00") && !roster.contains("Mondays"), "{roster}");
    let sheet = format!("/groups/{group}/meetings/{SERIES_DATE}/attendance");
    let link = format!(
        "<a href=\"{sheet}\">Attendance on Monday 30 November at 12:31 (moved from Wednesday 2 December at 18:00)</a>"
    );
    assert!(roster.contains(&link), "{roster}");
    let attendance = html(&app, &lead, &sheet).await;
    assert!(attendance.contains("attendance on Monday 30 November at 12:31"), "{attendance}");
    assert!(
        attendance.contains("moved from Wednesday 2 December at 18:00")
            && !attendance.contains(&format!("attendance on {SERIES_DATE}")),
        "{attendance}"
    );
    let hosting = html(&app, &lead, &room).await;
    assert!(
        hosting.contains("Monday 30 November at 12:31 (moved from Wednesday 2 December at 18:00)"),
        "{hosting}"
    );
    app.clock.set(Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).single().expect("instant"));
    members_pages_keep_the_series_time(&app, group, false).await;
}
