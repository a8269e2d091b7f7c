//! A client's home page holds their week: the next session and its room, a seat held for
//! them, waitlist places, switch requests and how they were decided.

use chrono::{Datelike as _, TimeZone as _, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

async fn home(app: &TestApp) -> String {
    let response = app.get_page("/dashboard").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("html")
}

#[tokio::test]
async fn the_home_page_shows_the_next_session_offers_places_and_requests() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    // Wednesdays 18:00 UTC, Thursdays, and a full two-seat group.
    let wed = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    let thu = app.group(&admin, therapist, json!({"weekday": "thu", "timezone": "UTC"})).await;
    let full = app.group(&admin, therapist, json!({"capacity": 2, "topic": "grief-loss"})).await;
    let ana = app.client_in("ana@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&ana, full).await.status(), StatusCode::CREATED);
    let bo = app.client_in("bo@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&bo, full).await.status(), StatusCode::CREATED);
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;

    // Before any group: not in a group yet, and suggestions.
    app.submit_intake(&sam, &["anxiety-depression"], &[]).await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let before = home(&app).await;
    assert!(before.contains("You are not in a group yet"), "{before}");
    assert!(before.contains("Groups that may suit you"), "{before}");

    assert_eq!(app.post_seat(&sam, wed).await.status(), StatusCode::CREATED);
    assert_eq!(app.post_seat(&sam, full).await.status(), StatusCode::OK, "waitlisted");
    let asked = app
        .client
        .post(app.url("/api/v1/switch-requests"))
        .bearer_auth(&sam)
        .json(&json!({"from": wed, "to": thu, "reason": "Thursdays suit my shifts."}))
        .send()
        .await
        .expect("request");
    assert_eq!(asked.status(), StatusCode::CREATED);
    let request = asked.json::<Value>().await.expect("json")["id"].as_i64().expect("id");

    // Five minutes before Wednesday's session the room is open from the home page.
    let mut day = app.clock_now().date_naive() + chrono::Duration::days(1);
    while day.weekday() != Weekday::Wed {
        day = day.succ_opt().expect("a day");
    }
    let starts = Utc.from_utc_datetime(&day.and_hms_opt(18, 0, 0).expect("18:00"));
    app.clock.set(starts - chrono::Duration::minutes(5));
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let page = home(&app).await;
    assert!(!page.contains("Groups that may suit you"), "placed: no suggestions");
    assert!(
        page.contains(&format!("href=\"/groups/{wed}/meetings/{day}/room\">Join the session")),
        "{page}"
    );
    assert!(
        page.contains("Wednesday afternoons with Dr. Rivera"),
        "the title, in her zone: {page}"
    );
    assert!(page.contains("You are number 1 on the waitlist of"), "{page}");
    assert!(
        page.contains("Your requests to move")
            && page.contains("Waiting for your care coordinator")
    );
    // An hour earlier the room is not open yet, and the page says when it opens.
    app.clock.set(starts - chrono::Duration::hours(1));
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let early = home(&app).await;
    assert!(!early.contains("Join the session") && early.contains("it opens at"), "{early}");

    // Ana leaves: the seat is held for Sam, who can accept it from home.
    let ana = app.token("ana@example.org", PASSWORD).await;
    assert_eq!(app.delete_seat(&ana, full).await.status(), StatusCode::NO_CONTENT);
    let offered = home(&app).await;
    assert!(offered.contains("A seat is held for you"), "{offered}");
    assert!(offered.contains(&format!("action=\"/groups/{full}/accept\"")), "{offered}");

    // The coordinator approves the move; Sam's home says so.
    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    let approved =
        app.post_empty(&coordinator, &format!("/switch-requests/{request}/approve")).await;
    assert!(approved.status().is_success(), "{}", approved.status());
    let moved = home(&app).await;
    assert!(moved.contains("Approved: you have moved."), "{moved}");
    assert!(moved.contains(&format!("href=\"/groups/{thu}\"")), "{moved}");
}
