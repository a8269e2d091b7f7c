//! The client directory: staff find a client by name, email or number, tell namesakes apart,
//! narrow the list, and see only whom the access policy lets them see.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

async fn html(app: &TestApp, path: &str) -> String {
    let response = app.get_page(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("html")
}

/// The client numbers linked from a directory page, in order.
fn listed(page: &str) -> Vec<i64> {
    page.split("<h3><a href=\"/clients/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("end")].parse().expect("a number"))
        .collect()
}

#[tokio::test]
async fn staff_find_clients_by_name_email_or_number_and_see_only_whom_they_may() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({})).await;
    let mut ids = Vec::new();
    for (email, name, region, born) in [
        ("yuki.a@example.org", "Yuki", "US-IL", "1990-01-01"),
        ("yuki.b@example.org", "Yuki", "US-NY", "2010-06-01"),
        ("sam@example.org", "Sam", "US-IL", "1985-01-01"),
        ("ana@example.org", "Ana", "US-IL", "1992-01-01"),
    ] {
        let mut body = crate::helpers::client_body(email);
        body["display_name"] = json!(name);
        body["region"] = json!(region);
        body["birth_date"] = json!(born);
        assert_eq!(app.post_clients(&body).await.status(), StatusCode::CREATED);
        let token = app.token(email, PASSWORD).await;
        ids.push((app.get_json(&token, "/me").await["id"].as_i64().expect("id"), token));
    }
    let (yuki_a, yuki_b, sam, ana) = (ids[0].0, ids[1].0, ids[2].0, ids[3].0);
    assert_eq!(app.post_seat(&ids[2].1, group).await.status(), StatusCode::CREATED);
    // Ana answers yes to the ninth PHQ-9 question: an open flag.
    app.post_measure(&ids[3].1, "phq9", &json!([1, 1, 1, 1, 1, 1, 1, 1, 1])).await;

    app.create_staff("coord@example.org", "coordinator").await;
    app.log_in_with_form("coord@example.org", PASSWORD).await;
    let dashboard = html(&app, "/dashboard").await;
    assert!(dashboard.contains("href=\"/clients\">Clients</a>"), "in the navigation");
    let everyone = html(&app, "/clients").await;
    assert_eq!(listed(&everyone), [ana, sam, yuki_a, yuki_b], "by name, then number");
    // Two clients called Yuki are told apart by number, region and age band.
    let yukis = html(&app, "/clients?q=yU").await;
    assert_eq!(listed(&yukis), [yuki_a, yuki_b]);
    assert!(yukis.contains(&format!("#{yuki_a} · US-IL · adult")), "{yukis}");
    assert!(yukis.contains(&format!("#{yuki_b} · US-NY · teen")), "{yukis}");
    assert_eq!(listed(&html(&app, "/clients?q=SAM%40example.org").await), [sam], "exact email");
    assert_eq!(listed(&html(&app, "/clients?q=sam%40example").await), Vec::<i64>::new());
    assert_eq!(listed(&html(&app, &format!("/clients?q={ana}")).await), [ana], "by number");
    let sam_row = html(&app, "/clients?q=sam").await;
    assert!(sam_row.contains(&format!("href=\"/groups/{group}\"")), "the group links: {sam_row}");
    let waiting = html(&app, "/clients?waiting=on").await;
    assert_eq!(listed(&waiting), [ana, yuki_a, yuki_b], "not in a group");
    let flagged = html(&app, "/clients?flagged=on").await;
    assert_eq!(listed(&flagged), [ana]);
    assert!(flagged.contains("Open risk flag"));
    // A wildcard typed is a character, not a pattern.
    assert_eq!(listed(&html(&app, "/clients?q=%25").await), Vec::<i64>::new());
    app.submit_form("/dashboard", "/logout", &[]).await;

    // The therapist sees the clients they treat, nobody else.
    app.log_in_with_form("t@example.org", PASSWORD).await;
    assert_eq!(listed(&html(&app, "/clients").await), [sam]);
    assert_eq!(listed(&html(&app, "/clients?q=yuki").await), Vec::<i64>::new());
    app.submit_form("/dashboard", "/logout", &[]).await;

    // Administrators find every client but see no risk flags.
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let admin_view = html(&app, "/clients?flagged=on").await;
    assert_eq!(listed(&admin_view), [ana, sam, yuki_a, yuki_b], "the flag filter is not theirs");
    assert!(!admin_view.contains("Open risk flag") && !admin_view.contains("id=\"flagged\""));
    app.submit_form("/dashboard", "/logout", &[]).await;

    // A client has no directory.
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    assert_eq!(app.get_page("/clients").await.status(), StatusCode::FORBIDDEN);
    let trail = app.audit_log().await;
    assert!(
        trail.iter().any(|(action, detail)| action == "clients.directory.read"
            && detail.contains(&ana.to_string())),
        "each view is audited with the clients shown"
    );
}
