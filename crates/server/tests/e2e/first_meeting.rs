//! A new group's first meeting is not in the past, as the group's own zone counts days; a
//! running group's later changes are not held to its first date.

use chrono::{TimeZone as _, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

const LICENSED: &[(&str, &str)] = &[("US-IL", "2030-12-31")];

/// Wednesday 2 December 2026, 20:00 UTC: 14:00 that Wednesday in Chicago, 09:00 in Pago Pago
/// (UTC−11), and already 10:00 on Thursday 3 December in Kiritimati (UTC+14).
async fn practice_on_a_wednesday_afternoon() -> (TestApp, String, i64) {
    let app = spawn_app().await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 12, 2, 20, 0, 0).single().expect("instant"));
    let admin = app.admin_token().await;
    let therapist = app.therapist(&admin, "rivera@example.org", "America/Chicago", LICENSED).await;
    (app, admin, therapist)
}

fn group_body(therapist: i64, weekday: &str, starts_on: &str) -> Value {
    json!({
        "topic": "anxiety-depression", "therapist_id": therapist, "weekday": weekday,
        "local_time": "18:00", "capacity": 10, "age_band": "adult", "starts_on": starts_on,
    })
}

#[tokio::test]
async fn a_first_meeting_before_today_in_the_groups_zone_is_refused_and_today_or_next_week_is_not()
{
    let (app, admin, therapist) = practice_on_a_wednesday_afternoon().await;

    // Yesterday, on the group's own weekday: refused, with the next right day suggested.
    let response = app.post_group(&admin, &group_body(therapist, "tue", "2026-12-01")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = response.json().await.expect("json");
    let message = error["fields"]["starts_on"].as_str().expect("a message on starts_on");
    assert!(message.contains("2026-12-01 has already passed"), "{message}");
    assert!(message.contains("2026-12-08"), "the next Tuesday is suggested: {message}");
    assert!(!app.audit_actions().await.contains(&"group.created".to_owned()), "nothing written");

    // Today (the meeting is later today) and next week are accepted.
    for starts_on in ["2026-12-02", "2026-12-09"] {
        let response = app.post_group(&admin, &group_body(therapist, "wed", starts_on)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{starts_on}");
    }

    // "Today" is the group's own: 2 December has already gone in Kiritimati, not in Pago Pago.
    let mut ahead = group_body(therapist, "wed", "2026-12-02");
    ahead["timezone"] = json!("Pacific/Kiritimati");
    let response = app.post_group(&admin, &ahead).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = response.json().await.expect("json");
    assert!(
        error["fields"]["starts_on"].as_str().is_some_and(|m| m.contains("today (2026-12-03)")),
        "{error}"
    );
    let mut behind = ahead.clone();
    behind["timezone"] = json!("Pacific/Pago_Pago");
    assert_eq!(app.post_group(&admin, &behind).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_running_group_changes_its_series_long_after_its_first_meeting() {
    let (app, admin, therapist) = practice_on_a_wednesday_afternoon().await;
    let group = app.group(&admin, therapist, json!({})).await;
    assert_eq!(app.get_group(&admin, group).await["starts_on"], "2026-12-02", "the helper's start");

    // Three months on, the first meeting is long past; the series still moves to Mondays.
    app.clock.set(Utc.with_ymd_and_hms(2027, 3, 3, 12, 0, 0).single().expect("instant"));
    let admin = app.token("admin@example.org", PASSWORD).await;
    let changed = app
        .client
        .post(app.url(&format!("/api/v1/groups/{group}/series")))
        .bearer_auth(&admin)
        .json(&json!({"from": "2027-03-08", "weekday": "mon", "local_time": "19:00"}))
        .send()
        .await
        .expect("request");
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let meetings = app
        .get_json(&admin, &format!("/groups/{group}/occurrences?from=2027-03-01&to=2027-03-14"))
        .await;
    let days: Vec<&str> = meetings
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["original_date"].as_str().expect("date"))
        .collect();
    assert_eq!(days, ["2027-03-03", "2027-03-08"], "Wednesday before, Monday from the change");
}

#[tokio::test]
async fn the_groups_page_refuses_a_past_first_meeting_and_keeps_what_was_typed() {
    let (app, _admin, therapist) = practice_on_a_wednesday_afternoon().await;
    let login = app.log_in_with_form("admin@example.org", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let therapist = therapist.to_string();
    let typed = |starts_on: &'static str| {
        vec![
            ("topic", "anxiety-depression"),
            ("therapist_id", therapist.as_str()),
            ("weekday", "tue"),
            ("age_band", "adult"),
            ("local_time", "19:30"),
            ("timezone", ""),
            ("capacity", "12"),
            ("starts_on", starts_on),
        ]
    };
    let refused = app.submit_form("/admin/groups", "/admin/groups", &typed("2026-12-01")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("2026-12-01 has already passed"), "the message: {html}");
    for kept in [
        "value=\"19:30\"",
        "value=\"12\"",
        "value=\"2026-12-01\"",
        "<option value=\"tue\" selected>",
        &format!("<option value=\"{therapist}\" selected>"),
        "<option value=\"anxiety-depression\" selected>",
    ] {
        assert!(html.contains(kept), "{kept} is kept: {html}");
    }

    // Next Tuesday is accepted from the same form.
    let made = app.submit_form("/admin/groups", "/admin/groups", &typed("2026-12-08")).await;
    assert_eq!(made.status(), StatusCode::OK);
    assert!(app.audit_actions().await.contains(&"group.created".to_owned()));
}
