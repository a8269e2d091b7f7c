//! Least privilege: a client's clinical record is open to the client and their care team (the
//! therapist treating them, their coordinator); a therapist off the team, another
//! coordinator and an admin are refused until they break the glass with a reason, for an
//! hour, read only; admins review every such access.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, csrf_from, signed_in, spawn_app};

/// A cookie-keeping browser signed in through the login form as `email`.
async fn browser(app: &TestApp, email: &str) -> reqwest::Client {
    signed_in(app, Some(email)).await.client
}

/// Posts a page's form with the CSRF token of `form_page`.
async fn post_page(
    app: &TestApp,
    browser: &reqwest::Client,
    form_page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = browser.get(app.url(form_page)).send().await.expect("page").text().await;
    let csrf = csrf_from(&html.expect("html"));
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(app.url(action)).form(&all).send().await.expect("post")
}

struct Practice {
    app: TestApp,
    client_id: i64,
    client: String,
    coord2: i64,
}

/// A client seated in Dr Own's group, with an intake, a check-in and a safety plan, taken on
/// by coordinator one; a second therapist, a second coordinator and an admin who are not on
/// the care team.
async fn practice() -> Practice {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let own = app
        .therapist(&admin, "own@example.org", "America/Chicago", &[("US-IL", "2030-12-31")])
        .await;
    app.therapist(&admin, "other@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    app.create_staff("coord1@example.org", "coordinator").await;
    let coord2 = app.create_staff("coord2@example.org", "coordinator").await.get();
    let group = app.group(&admin, own, json!({})).await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&client, &["anxiety-depression"], &["wed 17:00-20:00"]).await;
    assert_eq!(app.post_seat(&client, group).await.status(), StatusCode::CREATED);
    app.post_measure(&client, "gad7", &json!([1, 1, 1, 1, 1, 1, 1])).await;
    let client_id = app.get_json(&client, "/me").await["id"].as_i64().expect("id");
    let plan = app
        .client
        .put(app.url(&format!("/api/v1/clients/{client_id}/safety-plan")))
        .bearer_auth(&client)
        .json(&json!({"warning_signs": "Not sleeping"}))
        .send()
        .await
        .expect("request");
    assert_eq!(plan.status(), StatusCode::NO_CONTENT);
    // Coordinator one takes the client on from the summary page.
    let coord1 = browser(&app, "coord1@example.org").await;
    let summary = format!("/clients/{client_id}");
    let taken =
        post_page(&app, &coord1, &summary, &format!("/clients/{client_id}/take-on"), &[]).await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    let page = coord1.get(app.url(&summary)).send().await.expect("summary");
    assert!(page.text().await.expect("html").contains("Coordinator: Staff Member"));
    Practice { app, client_id, client, coord2 }
}

impl Practice {
    /// The status of each clinical read for `token` (API) and `browser` (the plan page):
    /// measures, intake, safety plan, treatment plan.
    async fn clinical_reads(&self, token: &str, browser: &reqwest::Client) -> [StatusCode; 4] {
        let id = self.client_id;
        let api = |path: String| {
            let request = self.app.client.get(self.app.url(&path)).bearer_auth(token);
            async move { request.send().await.expect("request").status() }
        };
        [
            api(format!("/api/v1/clients/{id}/measures")).await,
            api(format!("/api/v1/clients/{id}/intake")).await,
            api(format!("/api/v1/clients/{id}/safety-plan")).await,
            browser
                .get(self.app.url(&format!("/clients/{id}/plan")))
                .send()
                .await
                .expect("plan page")
                .status(),
        ]
    }

    async fn break_glass(&self, token: &str, body: &Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(&format!("/api/v1/clients/{}/break-glass", self.client_id)))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

const OK4: [StatusCode; 4] = [StatusCode::OK; 4];
const FORBIDDEN4: [StatusCode; 4] = [StatusCode::FORBIDDEN; 4];

#[tokio::test]
async fn outside_the_care_team_the_clinical_record_is_closed_until_the_glass_is_broken() {
    let practice = practice().await;
    let app = &practice.app;

    // The care team and the client read it without breaking anything.
    for email in ["own@example.org", "coord1@example.org"] {
        let token = app.token(email, PASSWORD).await;
        let reads = practice.clinical_reads(&token, &browser(app, email).await).await;
        assert_eq!(reads, OK4, "{email} is on the care team");
    }
    let client_browser = browser(app, "sam@example.org").await;
    let own = practice.clinical_reads(&practice.client, &client_browser).await;
    assert_eq!(own[..3], OK4[..3], "the client reads their own record");

    let outsiders = ["other@example.org", "coord2@example.org", "admin@example.org"];
    for email in outsiders {
        let token = app.token(email, PASSWORD).await;
        let page = browser(app, email).await;
        assert_eq!(practice.clinical_reads(&token, &page).await, FORBIDDEN4, "{email}");

        // No reason, or one too short: 422 naming the field, and nothing opens.
        for body in [json!({}), json!({"reason": "   "}), json!({"reason": "because"})] {
            let refused = practice.break_glass(&token, &body).await;
            assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email} {body}");
            let error: Value = refused.json().await.expect("json");
            assert!(error["fields"]["reason"].is_string(), "{error}");
        }
        assert_eq!(practice.clinical_reads(&token, &page).await, FORBIDDEN4, "{email}");

        let opened = practice
            .break_glass(&token, &json!({"reason": format!("Covering a crisis call ({email})")}))
            .await;
        assert_eq!(opened.status(), StatusCode::CREATED, "{email}");
        let until: Value = opened.json().await.expect("json");
        let until = until["expires_at"].as_str().expect("expires_at");
        let until = chrono::DateTime::parse_from_rfc3339(until).expect("a time");
        assert_eq!(until.to_utc() - app.clock_now(), chrono::Duration::hours(1));

        assert_eq!(practice.clinical_reads(&token, &page).await, OK4, "{email} after the glass");
        // Read only: the glass grants no change.
        let write = app
            .client
            .put(app.url(&format!("/api/v1/clients/{}/safety-plan", practice.client_id)))
            .bearer_auth(&token)
            .json(&json!({"warning_signs": "changed"}))
            .send()
            .await
            .expect("request");
        assert_eq!(write.status(), StatusCode::FORBIDDEN, "{email} may not write");
        // Breaking it again while open is refused: there is nothing to break.
        let again =
            practice.break_glass(&token, &json!({"reason": "Still covering the call"})).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
    }

    // Clients cannot break the glass into someone else's record.
    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let refused = practice.break_glass(&kim, &json!({"reason": "I would like to see it"})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The admins' review lists the three accesses with their reasons; nobody else sees it.
    let admin_page = browser(app, "admin@example.org").await;
    let review = admin_page.get(app.url("/admin/break-glass")).send().await.expect("review");
    assert_eq!(review.status(), StatusCode::OK);
    let html = review.text().await.expect("html");
    for email in outsiders {
        assert!(html.contains(&format!("Covering a crisis call ({email})")), "{email} listed");
    }
    assert!(html.contains(r#"href="/admin/break-glass""#), "the admin's navigation links it");
    let coord = browser(app, "coord1@example.org").await;
    let denied = coord.get(app.url("/admin/break-glass")).send().await.expect("review");
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "access.glass.broken").count(), 3);

    // An hour later the record is closed again.
    app.clock.advance(chrono::Duration::minutes(61));
    for email in outsiders {
        let token = app.token(email, PASSWORD).await;
        let page = browser(app, email).await;
        assert_eq!(practice.clinical_reads(&token, &page).await, FORBIDDEN4, "{email} later");
    }
}

#[tokio::test]
async fn the_summary_page_offers_the_glass_and_keeps_a_short_reason_after_an_error() {
    let practice = practice().await;
    let app = &practice.app;
    let other = browser(app, "other@example.org").await;
    let summary = format!("/clients/{}", practice.client_id);
    let closed = other.get(app.url(&summary)).send().await.expect("summary");
    assert_eq!(closed.status(), StatusCode::OK);
    let html = closed.text().await.expect("html");
    assert!(html.contains("Break the glass and open the record"), "the form is offered");
    assert!(!html.contains("Not sleeping") && !html.contains("Looking for a group"));

    let action = format!("/clients/{}/break-glass", practice.client_id);
    let short = post_page(app, &other, &summary, &action, &[("reason", "urgent")]).await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = short.text().await.expect("html");
    assert!(html.contains(">urgent</textarea>"), "what was typed is kept");
    assert!(html.contains("say why you need this record"), "the message says what is missing");

    let opened =
        post_page(app, &other, &summary, &action, &[("reason", "On call for a crisis tonight")])
            .await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let html = other.get(app.url(&summary)).send().await.expect("summary").text().await;
    let html = html.expect("html");
    assert!(html.contains("after breaking the glass"), "a banner says how it was opened");
    assert!(html.contains("Looking for a group"), "the intake is shown");

    // An admin changes the client's coordinator from the same page.
    let admin = browser(app, "admin@example.org").await;
    let html = admin.get(app.url(&summary)).send().await.expect("summary").text().await;
    let html = html.expect("html");
    let marker = "Change coordinator";
    assert!(html.contains(marker));
    let coord2 = practice.coord2;
    let changed = post_page(
        app,
        &admin,
        &summary,
        &format!("/clients/{}/coordinator", practice.client_id),
        &[("coordinator_id", &coord2.to_string())],
    )
    .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    // Now coordinator two is on the team and coordinator one is not.
    let two = app.token("coord2@example.org", PASSWORD).await;
    let one = app.token("coord1@example.org", PASSWORD).await;
    let path = format!("/api/v1/clients/{}/measures", practice.client_id);
    let status = |token: String| {
        let request = app.client.get(app.url(&path)).bearer_auth(token);
        async move { request.send().await.expect("request").status() }
    };
    assert_eq!(status(two).await, StatusCode::OK);
    assert_eq!(status(one).await, StatusCode::FORBIDDEN);
}
