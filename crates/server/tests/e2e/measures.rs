use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

impl TestApp {
    pub async fn post_measure(
        &self,
        token: &str,
        instrument: &str,
        answers: &Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/measures/{instrument}")))
            .bearer_auth(token)
            .json(&json!({"answers": answers}))
            .send()
            .await
            .expect("request")
    }
}

#[tokio::test]
async fn a_phq9_is_scored_and_banded_with_no_risk_when_item_nine_is_zero() {
    let app = spawn_app().await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let response = app.post_measure(&client, "phq9", &json!([2, 2, 1, 1, 2, 1, 1, 0, 0])).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        (body["instrument"].as_str(), body["total"].as_i64(), body["severity"].as_str()),
        (Some("phq9"), Some(10), Some("moderate"))
    );
    assert_eq!(body["risk"], false);
    assert!(body["crisis_resources"].is_null());
}

#[tokio::test]
async fn proqol5_returns_three_subscales_with_reverse_items_applied() {
    let app = spawn_app().await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let body: Value =
        app.post_measure(&client, "proqol5", &json!(vec![3; 30])).await.json().await.expect("json");
    let scores: Vec<(String, i64)> = body["subscales"]
        .as_array()
        .expect("subscales")
        .iter()
        .map(|s| {
            (s["slug"].as_str().expect("slug").to_owned(), s["score"].as_i64().expect("score"))
        })
        .collect();
    assert_eq!(scores.len(), 3);
    assert!(scores.iter().all(|(_, score)| *score == 30), "{scores:?}");
}

#[tokio::test]
async fn bad_answers_are_refused_by_name_and_nothing_is_stored() {
    let app = spawn_app().await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let cases = [
        ("phq9", json!([0, 1, 2]), StatusCode::UNPROCESSABLE_ENTITY, "expected 9 answers, got 3"),
        (
            "phq9",
            json!([0, 0, 0, 0, 4, 0, 0, 0, 0]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "item 5 must be between 0 and 3, got 4",
        ),
        (
            "gad7",
            json!([0, 0, 0, 0, 0, 0, 1.5]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "item 7 must be a whole number",
        ),
        (
            "gad7",
            json!([0, 0, "one", 0, 0, 0, 0]),
            StatusCode::BAD_REQUEST,
            "answer 3 must be a whole number",
        ),
    ];
    for (instrument, answers, status, message) in cases {
        let response = app.post_measure(&client, instrument, &answers).await;
        assert_eq!(response.status(), status, "{answers}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["fields"]["answers"], message, "{error}");
    }
    assert_eq!(
        app.post_measure(&client, "beck", &json!([0])).await.status(),
        StatusCode::NOT_FOUND
    );
    let me = app.get_json(&client, "/me").await["id"].as_i64().expect("id");
    assert!(
        app.get_json(&client, &format!("/clients/{me}/measures"))
            .await
            .as_array()
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn the_risk_path_shows_crisis_lines_at_once_queues_a_flag_and_needs_a_clinician_to_acknowledge()
 {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist_id = app
        .therapist(&admin, "rivera@example.org", "America/Chicago", &[("US-IL", "2030-12-31")])
        .await;
    let group = app.group(&admin, therapist_id, json!({})).await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&client, group).await;

    // Item 9 answered "several days", even with a low total.
    let response = app.post_measure(&client, "phq9", &json!([0, 1, 0, 0, 0, 0, 0, 0, 1])).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["risk"], true);
    assert_eq!(body["follow_up"], "asq", "the ASQ is offered at once");
    let lines: Vec<&str> = body["crisis_resources"]
        .as_array()
        .expect("crisis lines")
        .iter()
        .filter_map(|l| l["how"].as_str())
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("988"))
            && lines.iter().any(|l| l.contains("741741"))
            && lines.iter().any(|l| l.contains("911"))
    );

    // An acute ASQ comes first in the queue.
    let asq: Value =
        app.post_measure(&client, "asq", &json!([1, 0, 1, 0, 1])).await.json().await.expect("json");
    assert_eq!(asq["risk"], true);

    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    let queue = app.get_json(&coordinator, "/risk-flags").await;
    let open: Vec<(&str, bool)> = queue
        .as_array()
        .expect("queue")
        .iter()
        .map(|f| (f["level"].as_str().expect("level"), f["acknowledged_at"].is_null()))
        .collect();
    assert_eq!(open, [("acute", true), ("self_harm_thoughts", true)]);
    let flag = queue[0]["id"].as_i64().expect("id");

    let ack = |token: &str, body: Value| {
        app.client
            .post(app.url(&format!("/api/v1/risk-flags/{flag}/acknowledge")))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let by_coordinator =
        ack(&coordinator, json!({"disposition": "Called"})).await.expect("request");
    assert_eq!(by_coordinator.status(), StatusCode::CONFLICT);
    assert_eq!(by_coordinator.json::<Value>().await.expect("json")["error"], "clinician_required");
    let lead = app.token("rivera@example.org", PASSWORD).await;
    let empty = ack(&lead, json!({"disposition": "  "})).await.expect("request");
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done =
        ack(&lead, json!({"disposition": "Phoned Sam within 10 minutes; safe, plan agreed."}))
            .await
            .expect("request");
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let twice = ack(&lead, json!({"disposition": "again"})).await.expect("request");
    assert_eq!(twice.status(), StatusCode::CONFLICT);

    let queue = app.get_json(&coordinator, "/risk-flags").await;
    assert_eq!(queue[0]["level"], "self_harm_thoughts", "the open flag is on top");
    let acknowledged =
        queue.as_array().expect("queue").iter().find(|f| f["id"] == flag).expect("still listed");
    assert_eq!(acknowledged["disposition"], "Phoned Sam within 10 minutes; safe, plan agreed.");

    // The disposition is sealed at rest; every step is in the audit log.
    let stored = app.db.find_risk_flag(flag).await.expect("query").expect("flag");
    assert!(!stored.disposition.expect("sealed").contains("Phoned"));
    let actions = app.audit_actions().await;
    for action in
        ["measure.submitted", "risk.flag.raised", "risk.queue.read", "risk.flag.acknowledged"]
    {
        assert!(actions.iter().any(|a| a == action), "{action} is audited");
    }
}

#[tokio::test]
async fn measures_are_readable_by_the_client_and_their_care_team_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let own = app
        .therapist(&admin, "own@example.org", "America/Chicago", &[("US-IL", "2030-12-31")])
        .await;
    app.therapist(&admin, "other@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, own, json!({})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, group).await;
    app.post_measure(&sam, "gad7", &json!([1, 1, 1, 1, 1, 1, 1])).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    let path = format!("/api/v1/clients/{sam_id}/measures");
    let status = |token: String| {
        let request = app.client.get(app.url(&path)).bearer_auth(token);
        async move { request.send().await.expect("request").status() }
    };
    assert_eq!(status(sam.clone()).await, StatusCode::OK);
    assert_eq!(status(kim).await, StatusCode::FORBIDDEN);
    assert_eq!(status(app.token("own@example.org", PASSWORD).await).await, StatusCode::OK);
    assert_eq!(status(app.token("other@example.org", PASSWORD).await).await, StatusCode::FORBIDDEN);
    // Administrators run the practice and see no clinical records (least privilege).
    assert_eq!(status(admin).await, StatusCode::FORBIDDEN);
    let list = app.get_json(&sam, &format!("/clients/{sam_id}/measures")).await;
    assert_eq!(list[0]["total"], 7);
}

/// (PHQ-9 total, GAD-7 total) of one check-in.
type Totals = (i64, i64);

/// A check-in: PHQ-9 and GAD-7 answers that add up to the given totals (no risk item).
fn answers_for(total: i64, items: usize) -> Value {
    let mut left = total;
    let values: Vec<i64> = (0..items)
        .map(|i| {
            // Item 9 of the PHQ-9 stays 0: these trajectories carry no risk.
            if items == 9 && i == 8 {
                return 0;
            }
            let v = left.min(3);
            left -= v;
            v
        })
        .collect();
    assert_eq!(left, 0, "{total} fits in {items} items");
    json!(values)
}

#[tokio::test]
async fn the_outcome_report_counts_a_constructed_practice_by_hand() {
    let app = spawn_app().await;
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 2, 1, 15, 0, 0)
        .single()
        .expect("instant");
    app.clock.set(start);
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({"starts_on": "2027-02-03"})).await;
    // (baseline PHQ-9, GAD-7), (week-6 PHQ-9, GAD-7)
    let people: [(&str, Totals, Option<Totals>); 4] = [
        ("a@example.org", (15, 12), Some((5, 4))), // reliable improvement and recovery
        ("b@example.org", (12, 9), Some((11, 9))), // eligible, no reliable change
        ("c@example.org", (5, 3), Some((2, 1))),   // not at caseness at baseline
        ("d@example.org", (18, 15), None),         // a single score
    ];
    let mut tokens = Vec::new();
    for (email, (phq, gad), _) in &people {
        let token = app.client_in(email, "US-IL", "America/Chicago", "1990-01-01").await;
        app.post_seat(&token, group).await;
        assert_eq!(
            app.post_measure(&token, "phq9", &answers_for(*phq, 9)).await.status(),
            StatusCode::CREATED
        );
        assert_eq!(
            app.post_measure(&token, "gad7", &answers_for(*gad, 7)).await.status(),
            StatusCode::CREATED
        );
        tokens.push(token);
    }
    app.clock.advance(chrono::Duration::weeks(6));
    for (i, (email, _, later)) in people.iter().enumerate() {
        if let Some((phq, gad)) = later {
            let token = app.token(email, PASSWORD).await;
            app.post_measure(&token, "phq9", &answers_for(*phq, 9)).await;
            app.post_measure(&token, "gad7", &answers_for(*gad, 7)).await;
            tokens[i] = token;
        }
    }
    let admin = app.token("admin@example.org", PASSWORD).await;
    let report = app.get_json(&admin, &format!("/reports/outcomes?weeks=8&group={group}")).await;
    assert_eq!(
        (report["eligible"].as_i64(), report["reliably_improved"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(report["excluded"], json!({"fewer_than_two_scores": 1, "not_at_caseness": 1}));
    assert_eq!(report["rate"], 0.5);
    // Wilson, 1 of 2, z = 1.959964: centre 0.5, half-width 0.40547 → [0.0945, 0.9055].
    let ci = report["ci95"].as_array().expect("interval");
    assert!(
        (ci[0].as_f64().expect("lo") - 0.0945).abs() < 1e-3
            && (ci[1].as_f64().expect("hi") - 0.9055).abs() < 1e-3,
        "{ci:?}"
    );
    let recovery = report["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["slug"] == "recovery")
        .expect("recovery");
    assert_eq!(
        (recovery["numerator"].as_i64(), recovery["denominator"].as_i64()),
        (Some(1), Some(2))
    );
    assert!(report["definition"].as_str().expect("definition").contains("PHQ-9"));

    // The admin dashboard says it in one sentence, with n and the interval.
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let html = app.get_page("/dashboard").await.text().await.expect("html");
    assert!(
        html.contains("Of 2 members at clinical levels when they started, 1 (50%, 95% CI 9–91%) made reliable improvement within 8 weeks"),
        "{html}"
    );

    // By therapist: the same clients; another therapist has none.
    let by_therapist =
        app.get_json(&admin, &format!("/reports/outcomes?weeks=8&therapist={therapist}")).await;
    assert_eq!(by_therapist["eligible"], 2);
    let nobody = app.get_json(&admin, "/reports/outcomes?weeks=8&therapist=999999").await;
    assert_eq!(nobody["eligible"], 0);

    // Within 4 weeks, the week-6 scores do not count: nobody has two scores.
    let early = app.get_json(&admin, &format!("/reports/outcomes?weeks=4&group={group}")).await;
    assert_eq!(early["eligible"], 0);
    assert!(early["rate"].is_null());
    // Staff only.
    let refused = app
        .client
        .get(app.url("/api/v1/reports/outcomes"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    the_report_page_says_the_same_in_words_and_as_csv(&app).await;
}

/// The staff page and its CSV, over the practice built above: the admin dashboard links to
/// it, small breakdowns show no rates, a client is refused.
async fn the_report_page_says_the_same_in_words_and_as_csv(app: &TestApp) {
    let dashboard = app.get_page("/dashboard").await.text().await.expect("html");
    assert!(dashboard.contains("href=\"/reports/outcomes\""), "{dashboard}");
    let page = app.get_page("/reports/outcomes?weeks=8").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    for expected in [
        "Of 2 members at clinical levels when they started, 1 (50%, 95% CI 9–91%) made reliable improvement within 8 weeks",
        "Reliable recovery",
        "1 of 2",
        "too few to show (under 5 eligible)",
        "Download as a spreadsheet (CSV)",
    ] {
        assert!(html.contains(expected), "{expected:?} missing from {html}");
    }
    // The group line links to the group; no rate of a small group is printed.
    let group_line = html.split("id=\"by-group\"").nth(1).expect("by group");
    assert!(group_line.contains("<a href=\"/groups/"), "{group_line}");
    assert!(!group_line.contains("50%"), "{group_line}");

    let csv = app.get_page("/reports/outcomes.csv?weeks=8").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.expect("csv");
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("scope,name,weeks,outcome,considered,eligible,met,rate,ci95_low,ci95_high")
    );
    assert!(
        body.contains("overall,Practice,8,reliable-improvement,4,2,1,0.5000,0.0945,0.9055"),
        "{body}"
    );
    // A small breakdown keeps its counts of who was considered, without numerators.
    let therapist_row = body.lines().find(|l| l.starts_with("therapist,")).expect("therapist row");
    assert!(therapist_row.ends_with(",4,2,,,,"), "{therapist_row}");
    assert!(body.contains("program,Group therapy,8,recovery,4,2,,,,"), "{body}");

    // A therapist sees the report of their own clients, reached from their navigation.
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let home = app.get_page("/dashboard").await.text().await.expect("html");
    assert!(home.contains("<a href=\"/reports/outcomes\">Outcomes</a>"), "{home}");
    let own = app.get_page("/reports/outcomes").await.text().await.expect("html");
    assert!(own.contains("The members of your own groups"), "{own}");
    assert!(own.contains("Of 2 members at clinical levels"), "{own}");

    app.log_in_with_form("a@example.org", PASSWORD).await;
    assert_eq!(app.get_page("/reports/outcomes").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_page("/reports/outcomes.csv").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_safety_plan_is_written_by_the_client_and_their_therapist_sealed_at_rest_and_private() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, group).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    let path = format!("/api/v1/clients/{sam_id}/safety-plan");
    let put = |token: &str, body: Value| {
        app.client.put(app.url(&path)).bearer_auth(token.to_owned()).json(&body).send()
    };

    assert_eq!(
        app.client.get(app.url(&path)).bearer_auth(&sam).send().await.expect("request").status(),
        StatusCode::NOT_FOUND
    );
    let written = put(
        &sam,
        json!({"warning_signs": "Not sleeping; skipping meals", "coping_steps": "Walk the dog"}),
    )
    .await
    .expect("request");
    assert_eq!(written.status(), StatusCode::NO_CONTENT);
    let lead = app.token("t@example.org", PASSWORD).await;
    let plan = app.get_json(&lead, &format!("/clients/{sam_id}/safety-plan")).await;
    assert_eq!(plan["warning_signs"], "Not sleeping; skipping meals");
    let edited = put(
        &lead,
        json!({"warning_signs": "Not sleeping; skipping meals", "coping_steps": "Walk the dog", "professionals_and_crisis_lines": "988; Dr. Rivera"}),
    )
    .await
    .expect("request");
    assert_eq!(edited.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&sam, &format!("/clients/{sam_id}/safety-plan")).await["professionals_and_crisis_lines"],
        "988; Dr. Rivera"
    );

    assert_eq!(
        put(&kim, json!({"warning_signs": "x"})).await.expect("request").status(),
        StatusCode::FORBIDDEN
    );
    let too_long = put(&sam, json!({"coping_steps": "x".repeat(5000)})).await.expect("request");
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get_json(&sam, &format!("/clients/{sam_id}/safety-plan")).await["coping_steps"],
        "Walk the dog",
        "nothing half-saved"
    );

    let stored = app
        .db
        .find_safety_plan(hearth_domain::UserId::new(sam_id))
        .await
        .expect("query")
        .expect("row");
    assert!(!stored.content.contains("sleeping"), "sealed at rest");
    let actions = app.audit_actions().await;
    assert!(
        actions.iter().filter(|a| *a == "safety_plan.written").count() == 2
            && actions.iter().any(|a| a == "safety_plan.read")
    );
}

#[tokio::test]
async fn the_progress_page_draws_each_measure_as_an_accessible_chart_for_the_client_only() {
    let app = spawn_app().await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    for total in [14, 9] {
        app.post_measure(&sam, "phq9", &answers_for(total, 9)).await;
        app.post_measure(&sam, "gad7", &answers_for(total - 4, 7)).await;
    }
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let html =
        app.get_page(&format!("/clients/{sam_id}/progress")).await.text().await.expect("html");
    assert!(html.contains(r#"<svg role="img" aria-labelledby="phq9-title phq9-desc""#));
    assert!(html.contains("first 14, latest 9"));
    assert!(html.contains("<td>14</td><td>moderate</td>"), "the figures are in a table too");

    app.submit_form("/dashboard", "/logout", &[]).await;
    app.log_in_with_form("kim@example.org", PASSWORD).await;
    assert_eq!(
        app.get_page(&format!("/clients/{sam_id}/progress")).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_therapists_roster_shows_each_members_latest_scores_and_trend() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, group).await;
    for (phq, gad) in [(15, 12), (9, 12)] {
        app.post_measure(&sam, "phq9", &answers_for(phq, 9)).await;
        app.post_measure(&sam, "gad7", &answers_for(gad, 7)).await;
    }
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let html = app.get_page("/therapist/groups").await.text().await.expect("html");
    assert!(html.contains("9 (down 6 since the first)"), "{html}");
    assert!(html.contains("12 (no change)"));
}

#[tokio::test]
async fn a_therapist_with_many_groups_pages_through_them() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let mut groups = Vec::new();
    for _ in 0..=hearth_app::LED_GROUPS_PAGE_SIZE {
        groups.push(app.group(&admin, therapist, json!({})).await);
    }
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let last = *groups.last().expect("groups");
    app.post_seat(&sam, last).await;
    app.post_measure(&sam, "phq9", &answers_for(15, 9)).await;
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let first = app.get_page("/therapist/groups").await.text().await.expect("html");
    let shown =
        |html: &str| groups.iter().filter(|g| html.contains(&format!(r#"id="g{g}""#))).count();
    assert_eq!(shown(&first), hearth_app::LED_GROUPS_PAGE_SIZE, "one page of groups");
    assert!(first.contains(&format!("Page 1 of 2 ({} groups)", groups.len())), "{first}");
    assert!(first.contains(r#"href="/therapist/groups?page=2" rel="next""#));
    assert!(!first.contains("15 (no change)"), "page 2's member is not on page 1");
    let second = app.get_page("/therapist/groups?page=2").await.text().await.expect("html");
    assert_eq!(shown(&second), 1);
    assert!(second.contains(&format!(r#"id="g{last}""#)) && second.contains("15 (no change)"));
    let past_the_end = app.get_page("/therapist/groups?page=99").await.text().await.expect("html");
    assert_eq!(shown(&past_the_end), 1, "a page past the end is the last page");
}

#[tokio::test]
async fn the_risk_queue_pages_its_flags_with_the_acute_one_on_top() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({"capacity": 40})).await;
    let flags = hearth_app::RISK_QUEUE_PAGE_SIZE + 1;
    for i in 0..flags {
        let email = format!("member{i}@example.org");
        let token = app.client_in(&email, "US-IL", "America/Chicago", "1990-01-01").await;
        app.post_seat(&token, group).await;
        // The last one raised is acute: it still comes first.
        let sent = if i + 1 == flags {
            app.post_measure(&token, "asq", &json!([1, 0, 1, 0, 1])).await
        } else {
            app.post_measure(&token, "phq9", &json!([0, 1, 0, 0, 0, 0, 0, 0, 1])).await
        };
        assert_eq!(sent.status(), StatusCode::CREATED);
    }
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let first = app.get_page("/care/risk").await.text().await.expect("html");
    assert_eq!(first.matches(r#"<li class="card risk-open">"#).count(), flags - 1, "{first}");
    assert!(first.contains(&format!("Page 1 of 2 ({flags} flags)")));
    assert!(first.contains(r#"href="/care/risk?page=2" rel="next""#));
    let acute = first.find("Acute suicide risk (ASQ)").expect("the acute flag is on page 1");
    let other = first.find("Thoughts of self-harm").unwrap_or(usize::MAX);
    assert!(acute < other, "acute first");
    let second = app.get_page("/care/risk?page=2").await.text().await.expect("html");
    assert_eq!(second.matches(r#"<li class="card risk-open">"#).count(), 1);
    // A refused disposition on page 2 comes back on page 2, on its flag, as typed.
    let marker = "action=\"/care/risk/";
    let start = second.find(marker).expect("an open flag") + marker.len();
    let flag = second[start..].split('/').next().expect("id").to_owned();
    let refused = app
        .submit_form(
            "/care/risk?page=2",
            &format!("/care/risk/{flag}/acknowledge"),
            &[("disposition", "  "), ("page", "2")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = refused.text().await.expect("html");
    assert!(again.contains(&format!(r#"id="disposition-{flag}-error""#)), "{again}");
    assert!(again.contains("Page 2 of 2"));
}

fn intake_body() -> Value {
    json!({
        "reasons": "Numb at work after two years on a cancer ward.",
        "goals": "Feel something again; sleep.",
        "service_lines": ["group"],
        "topics": ["compassion-fatigue", "self-compassion"],
        "preferences": "Evenings",
        "availability": ["mon 18:00-21:00", "thu 19:00-21:00"],
        "emergency_contact_name": "Alex Doe",
        "emergency_contact_phone": "+1 (312) 555-0100",
        "consent_version": hearth_domain::CONSENT_VERSION,
        "telehealth_consent": true,
        "group_agreement": true,
    })
}

#[tokio::test]
async fn an_intake_is_saved_whole_sealed_at_rest_and_read_by_the_care_team() {
    let app = spawn_app().await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    let put = |body: Value| {
        app.client.put(app.url("/api/v1/me/intake")).bearer_auth(&sam).json(&body).send()
    };

    let mut bad = intake_body();
    bad["availability"] = json!(["evenings"]);
    bad["telehealth_consent"] = json!(false);
    bad["consent_version"] = json!("2020-01");
    bad["topics"] = json!(["astrology"]);
    let refused = put(bad).await.expect("request");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = refused.json::<Value>().await.expect("json")["fields"].clone();
    for field in ["availability[0]", "telehealth_consent", "consent_version", "topics[0]"] {
        assert!(fields[field].is_string(), "{field}: {fields}");
    }
    assert!(app.db.find_intake(hearth_domain::UserId::new(sam_id)).await.expect("query").is_none());

    assert_eq!(put(intake_body()).await.expect("request").status(), StatusCode::NO_CONTENT);
    let stored =
        app.db.find_intake(hearth_domain::UserId::new(sam_id)).await.expect("query").expect("row");
    assert!(!stored.sealed.contains("cancer") && !stored.sealed.contains("555"), "sealed at rest");
    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    let intake = app.get_json(&coordinator, &format!("/clients/{sam_id}/intake")).await;
    assert_eq!(intake["emergency_contact"]["phone"], "+1 (312) 555-0100");
    assert_eq!(intake["availability"], json!(["mon 18:00-21:00", "thu 19:00-21:00"]));
    assert_eq!(intake["consent_version"], hearth_domain::CONSENT_VERSION);
    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let refused = app
        .client
        .get(app.url(&format!("/api/v1/clients/{sam_id}/intake")))
        .bearer_auth(&kim)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_check_in_is_due_before_each_session_and_the_care_team_sees_who_missed_one() {
    let app = spawn_app().await;
    // Monday 2027-03-01 noon UTC; the group meets Wednesdays 18:00 Chicago from 2027-02-03.
    app.clock.set(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 2, 1, 12, 0, 0)
            .single()
            .expect("instant"),
    );
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({"starts_on": "2027-02-03"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, group).await;
    // Sam checks in before the first session.
    app.post_measure(&sam, "phq9", &answers_for(12, 9)).await;
    app.post_measure(&sam, "gad7", &answers_for(9, 7)).await;
    let status = app.get_json(&sam, "/me/check-in").await;
    assert_eq!(
        (status["due"].as_bool(), status["overdue"].as_bool()),
        (Some(false), Some(false)),
        "{status}"
    );

    // Four weeks later (no check-in since): due before Wednesday's session, and overdue for the last one.
    app.clock.advance(chrono::Duration::weeks(4));
    let sam = app.token("sam@example.org", PASSWORD).await;
    let status = app.get_json(&sam, "/me/check-in").await;
    assert_eq!(
        (status["due"].as_bool(), status["overdue"].as_bool()),
        (Some(true), Some(true)),
        "{status}"
    );
    assert_eq!(status["next_meeting"], "2027-03-04T00:00:00Z");
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let html = app.get_page("/dashboard").await.text().await.expect("html");
    assert!(
        html.contains("Your check-in is due before your next session, Wednesday 3 March at 18:00."),
        "{html}"
    );

    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    let overdue = app.get_json(&coordinator, "/check-ins/overdue").await;
    assert_eq!(overdue[0]["client_name"], "Sam");

    app.post_measure(&sam, "phq9", &answers_for(10, 9)).await;
    app.post_measure(&sam, "gad7", &answers_for(8, 7)).await;
    let status = app.get_json(&sam, "/me/check-in").await;
    assert_eq!(
        (status["due"].as_bool(), status["overdue"].as_bool()),
        (Some(false), Some(false)),
        "{status}"
    );
    assert!(
        app.get_json(&coordinator, "/check-ins/overdue").await.as_array().expect("list").is_empty()
    );
}

#[tokio::test]
async fn the_progress_page_charts_each_proqol5_subscale() {
    let app = spawn_app().await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_measure(&sam, "proqol5", &json!(vec![3; 30])).await;
    app.post_measure(&sam, "proqol5", &json!(vec![4; 30])).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let html =
        app.get_page(&format!("/clients/{sam_id}/progress")).await.text().await.expect("html");
    for id in ["compassion-satisfaction", "burnout", "secondary-traumatic-stress"] {
        assert!(html.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)), "{id} chart");
    }
    assert!(html.contains("first 30, latest 40"), "compassion satisfaction rises from 30 to 40");
}
