//! The reasons a group is suggested name its meeting hour on the reader's clock on pages
//! ("6:00 pm" for US English, "18:00" for British English); the API keeps one wording.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, TestApp, signed_in, spawn_app};

const CLIENT: &str = "sam@example.org";
const COORDINATOR: &str = "coordinator@example.org";

async fn page_in(app: &TestApp, browser: &Browser, path: &str, language: &str) -> String {
    let response = browser
        .client
        .get(app.url(path))
        .header("Accept-Language", language)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("html")
}

#[tokio::test]
async fn suggestion_reasons_write_the_meeting_hour_on_the_readers_clock() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    // Wednesdays at 18:00 in Chicago, where the client lives too.
    app.group(&admin, therapist, json!({})).await;
    let sam = app.client_in(CLIENT, "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&sam, &["anxiety-depression"], &["wed 17:00-20:00"]).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    app.create_staff(COORDINATOR, "coordinator").await;

    let client = signed_in(&app, Some(CLIENT)).await;
    let us = page_in(&app, &client, "/dashboard", "en-US,en;q=0.9").await;
    assert!(
        us.contains("meets Wednesdays at 6:00 pm your time, inside the times you gave"),
        "the client's home in US English: {us}"
    );
    let gb = page_in(&app, &client, "/dashboard", "en-GB,en;q=0.9").await;
    assert!(
        gb.contains("meets Wednesdays at 18:00 your time, inside the times you gave"),
        "the client's home in British English: {gb}"
    );
    assert!(!gb.contains("6:00 pm"), "{gb}");

    let staff = signed_in(&app, Some(COORDINATOR)).await;
    let summary = format!("/clients/{sam_id}");
    let us = page_in(&app, &staff, &summary, "en-US").await;
    assert!(
        us.contains("meets Wednesdays at 6:00 pm the client&#39;s time")
            || us.contains("meets Wednesdays at 6:00 pm the client's time"),
        "the summary: {us}"
    );
    let gb = page_in(&app, &staff, &summary, "en-GB").await;
    assert!(
        gb.contains("meets Wednesdays at 18:00 the client&#39;s time")
            || gb.contains("meets Wednesdays at 18:00 the client's time"),
        "the summary: {gb}"
    );

    // The API's wording stays the same whatever the language.
    for language in ["en-US", "en-GB"] {
        let ranked: serde_json::Value = app
            .client
            .get(app.url(&format!("/api/v1/clients/{sam_id}/recommendations")))
            .bearer_auth(&sam)
            .header("Accept-Language", language)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let reasons = ranked[0]["reasons"].as_array().expect("reasons");
        assert!(
            reasons
                .iter()
                .any(|r| r == "meets Wednesdays at 18:00 your time, inside the times you gave"),
            "{language}: {ranked}"
        );
    }
}
