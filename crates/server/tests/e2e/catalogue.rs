//! The client's group catalogue is paged (it was one 7,600-pixel list) and its filters carry
//! over from page to page; the sign-up page's birth date is a date picker with no typed format
//! in its hint (the hint said YYYY-MM-DD while the picker showed the browser's own format).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Thirty groups led by one therapist, on six weekdays at five times each.
async fn thirty_groups(app: &TestApp) {
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    for weekday in ["mon", "tue", "wed", "thu", "fri", "sat"] {
        for time in ["08:00", "10:00", "12:00", "14:00", "16:00"] {
            app.group(&admin, therapist, json!({"weekday": weekday, "local_time": time})).await;
        }
    }
}

async fn page_text(app: &TestApp, path: &str) -> String {
    let page = app.get_page(path).await;
    assert_eq!(page.status(), StatusCode::OK, "{path}");
    page.text().await.expect("html")
}

#[tokio::test]
async fn the_catalogue_is_paged_and_a_filter_carries_over_to_the_next_page() {
    let app = spawn_app().await;
    thirty_groups(&app).await;
    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;

    let first = page_text(&app, "/groups").await;
    assert!(first.contains("30 groups · page 1 of 2"), "{first}");
    assert_eq!(first.matches("<li class=\"card\">").count(), 24);
    assert!(first.contains(r#"<a href="/groups?page=2#results" rel="next">"#), "{first}");
    let second = page_text(&app, "/groups?page=2").await;
    assert_eq!(second.matches("<li class=\"card\">").count(), 6);
    assert!(second.contains(r#"<a href="/groups?page=1#results" rel="prev">"#), "{second}");
    // A page past the end shows the last one rather than nothing.
    let past = page_text(&app, "/groups?page=9").await;
    assert!(past.contains("page 2 of 2"), "{past}");

    // Mornings only: 12 groups (08:00 and 10:00 on six days), one page, the filter kept.
    let mornings = page_text(&app, "/groups?time=morning").await;
    assert!(mornings.contains("12 groups"), "{mornings}");
    assert_eq!(mornings.matches("<li class=\"card\">").count(), 12);
    assert!(mornings.contains(r#"<option value="morning" selected>"#), "{mornings}");
}

#[tokio::test]
async fn the_birth_date_is_a_picker_whose_hint_names_no_typed_format() {
    let app = spawn_app().await;
    let html = page_text(&app, "/signup").await;
    let field = &html[html.find("id=\"birth_date\"").expect("the birth date field")..];
    assert!(field.starts_with("id=\"birth_date\" name=\"birth_date\" type=\"date\""), "{field}");
    assert!(!html.contains("YYYY") && !html.to_lowercase().contains("mm/dd"), "{html}");
}
