use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_visitor_signs_up_through_the_form_and_lands_on_their_dashboard() {
    let app = spawn_app().await;
    let response = app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "form@example.org"),
                ("display_name", "Rowan"),
                ("password", PASSWORD),
                ("timezone", "Europe/Dublin"),
                ("region", "IE"),
                ("birth_date", "1985-02-03"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/dashboard");
    let dashboard = app.get_page("/dashboard").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.expect("html");
    assert!(html.contains("Welcome, Rowan"));
    assert!(html.contains("Europe/Dublin"));
}

#[tokio::test]
async fn a_sign_up_form_with_errors_is_shown_again_with_each_message_and_nothing_saved() {
    let app = spawn_app().await;
    let response = app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "form@example.org"),
                ("display_name", "Rowan"),
                ("password", "password1234"),
                ("timezone", "Nowhere/Land"),
                ("region", "US-CA"),
                ("birth_date", "2999-01-01"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("common or breached"), "password message");
    assert!(html.contains("unknown time zone"), "time zone message");
    assert!(html.contains("cannot be in the future"), "birth date message");
    assert!(html.contains("value=\"form@example.org\""), "valid input is kept");
    assert!(!html.contains("password1234"), "the password is never echoed");
    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn a_made_up_region_is_refused_and_every_other_choice_comes_back_chosen() {
    let app = spawn_app().await;
    let response = app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "xx@example.org"),
                ("display_name", "Rowan"),
                ("password", PASSWORD),
                ("timezone", "America/Denver"),
                ("region", "XX"),
                ("birth_date", "1985-02-03"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("unknown country code"), "{html}");
    assert!(html.contains("<option value=\"America/Denver\" selected>"), "the zone stays chosen");
    assert!(html.contains("<option value=\"XX\" selected>"), "what was sent is shown, not lost");
    assert!(html.contains("<option value=\"US-CO\">Colorado</option>"), "states by name");
    assert!(html.contains("value=\"1985-02-03\"") && html.contains("value=\"Rowan\""));
    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn an_intake_with_a_bad_phone_keeps_every_answer_and_both_agreements_ticked() {
    let app = spawn_app().await;
    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let refused = app
        .submit_form(
            "/intake",
            "/intake",
            &[
                ("reasons", "Low mood since the divorce"),
                ("topics", "divorce"),
                ("service_lines", "group"),
                ("availability", "tue 18:00-20:00"),
                ("emergency_contact_name", "Alex"),
                ("emergency_contact_phone", "call my sister"),
                ("consent_version", hearth_domain::CONSENT_VERSION),
                ("telehealth_consent", "true"),
                ("group_agreement", "true"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("value=\"call my sister\"") && html.contains("value=\"Alex\""));
    assert!(html.contains("Low mood since the divorce") && html.contains("tue 18:00-20:00"));
    assert!(html.contains("value=\"divorce\" checked"), "the topic stays ticked");
    assert!(html.contains("name=\"telehealth_consent\" value=\"true\" checked"), "{html}");
    assert!(html.contains("name=\"group_agreement\" value=\"true\" checked"), "{html}");
}

#[tokio::test]
async fn pages_that_need_a_session_send_visitors_to_the_login_page() {
    let app = spawn_app().await;
    for path in ["/dashboard", "/account", "/admin/staff"] {
        let response = app.get_page(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let location = response.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(location.starts_with("/login?next="), "{path} → {location}");
    }
}

#[tokio::test]
async fn each_role_gets_its_own_dashboard_and_navigation() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let html = app.get_page("/dashboard").await.text().await.expect("html");
    assert!(html.contains("The practice") && html.contains("href=\"/admin/staff\""));

    let other = crate::helpers::spawn_app().await;
    other.sign_up("member@example.org").await;
    other.log_in_with_form("member@example.org", PASSWORD).await;
    let html = other.get_page("/dashboard").await.text().await.expect("html");
    assert!(html.contains("Your care") && !html.contains("href=\"/admin/staff\""));
    assert_eq!(other.get_page("/admin/staff").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_signs_out_another_device() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let api_token = app.token("sam@example.org", PASSWORD).await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let html = app.get_page("/account").await.text().await.expect("html");
    assert!(html.contains("(this device)") && html.contains("API token"));

    let sessions: serde_json::Value =
        app.get_sessions(&api_token).await.json().await.expect("json");
    let api_session = sessions
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["kind"] == "api")
        .expect("api session")["id"]
        .as_i64()
        .expect("id");
    let path = format!("/account/sessions/{api_session}/revoke");
    let response = app.submit_form("/account", &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_me(&api_token).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logging_out_ends_the_session_for_good() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    assert_eq!(app.get_page("/dashboard").await.status(), StatusCode::OK);
    let response = app.submit_form("/dashboard", "/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_page("/dashboard").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_login_form_never_redirects_off_site() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let html = app.get_page("/login?next=//evil.example/x").await.text().await.expect("html");
    let token = crate::helpers::csrf_from(&html);
    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", "sam@example.org"),
            ("password", PASSWORD),
            ("next", "//evil.example/x"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["location"], "/dashboard");
}

#[tokio::test]
async fn an_admin_invites_staff_from_the_staff_page() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let response = app
        .submit_form(
            "/admin/staff",
            "/admin/invites",
            &[("email", "coord@example.org"), ("role", "coordinator")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("html");
    assert!(html.contains("/invites/"), "the link is shown once");
    assert!(html.contains("coord@example.org"), "listed among open invitations");

    let invalid = app
        .submit_form(
            "/admin/staff",
            "/admin/invites",
            &[("email", "nope"), ("role", "coordinator")],
        )
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.text().await.expect("html").contains("not a valid email address"));
}

#[tokio::test]
async fn an_admin_renames_a_topic_from_the_catalog_page() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let saved = app
        .submit_form(
            "/admin/catalog",
            "/admin/catalog/topics/grief-loss",
            &[("name", "Grief and loss"), ("description", "Room for grief.")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let html = app.get_page("/admin/catalog").await.text().await.expect("html");
    assert!(html.contains("value=\"Grief and loss\""));
    let refused = app
        .submit_form("/admin/catalog", "/admin/catalog/topics/grief-loss", &[("name", "")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.expect("html").contains("A name has 1 to 80 characters."));
}

#[tokio::test]
async fn the_therapist_cancels_restores_and_moves_a_meeting_from_the_group_page() {
    let app = spawn_app().await;
    app.clock.set(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 1, 1, 12, 0, 0)
            .single()
            .expect("instant"),
    );
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, serde_json::json!({"starts_on": "2027-01-06"})).await;
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let page = format!("/groups/{group}");
    let html = app.get_page(&page).await.text().await.expect("html");
    assert!(html.contains(&format!("/groups/{group}/meetings/2027-01-06/cancel")));

    let cancelled =
        app.submit_form(&page, &format!("/groups/{group}/meetings/2027-01-06/cancel"), &[]).await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    let html = app.get_page(&page).await.text().await.expect("html");
    assert!(html.contains("<strong>(cancelled)</strong>"));
    let restored =
        app.submit_form(&page, &format!("/groups/{group}/meetings/2027-01-06/restore"), &[]).await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    assert!(
        !app.get_page(&page)
            .await
            .text()
            .await
            .expect("html")
            .contains("<strong>(cancelled)</strong>")
    );

    // Moved to 19:30 on the group's clock (Chicago): 01:30 UTC the next day.
    let moved = app
        .submit_form(
            &page,
            &format!("/groups/{group}/meetings/2027-01-13/move"),
            &[("starts_at", "2027-01-13T19:30")],
        )
        .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let token = app.token("t@example.org", PASSWORD).await;
    let meetings = app
        .get_json(&token, &format!("/groups/{group}/occurrences?from=2027-01-13&to=2027-01-14"))
        .await;
    assert_eq!(meetings[0]["starts_at"], "2027-01-14T01:30:00Z");
    assert_eq!(meetings[0]["status"], "moved");

    // A member of the group may not.
    let member = app.client_in("m@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&member, group).await;
    let refused =
        app.post_empty(&member, &format!("/groups/{group}/occurrences/2027-01-20/cancel")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_adds_a_therapist_with_a_license_and_specialties_and_renews_a_license() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let fields = [
        ("email", "new.t@example.org"),
        ("display_name", "Dr. New"),
        ("password", PASSWORD),
        ("timezone", "America/Denver"),
        ("license_kind", "PsyD"),
        ("years_of_practice", "12"),
        ("bio", "Groups for grief."),
        ("region", "US-CO"),
        ("number", "CO-1"),
        ("expires_on", "2030-01-31"),
        ("specialties", "grief-loss"),
        ("specialties", "trauma-ptsd"),
    ];
    let added = app.submit_form("/admin/therapists", "/admin/therapists", &fields).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let token = app.token("admin@example.org", PASSWORD).await;
    let staff = app.get_json(&token, "/staff").await;
    let id = staff
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["email"] == "new.t@example.org")
        .expect("listed")["id"]
        .as_i64()
        .expect("id");
    let profile = app.get_json(&token, &format!("/therapists/{id}")).await;
    assert_eq!(profile["license_kind"], "PsyD");
    assert_eq!(profile["specialties"], serde_json::json!(["grief-loss", "trauma-ptsd"]));

    let renewed = app
        .submit_form(
            "/admin/therapists",
            &format!("/admin/therapists/{id}/licenses"),
            &[
                ("region", "US-UT"),
                ("kind", "PsyD"),
                ("number", "UT-9"),
                ("expires_on", "2031-05-31"),
            ],
        )
        .await;
    assert_eq!(renewed.status(), StatusCode::SEE_OTHER);
    let html = app.get_page("/admin/therapists").await.text().await.expect("html");
    assert!(html.contains("US-UT no. UT-9, valid through 2031-05-31"), "{html}");

    let invalid = app
        .submit_form(
            "/admin/therapists",
            "/admin/therapists",
            &[("email", "x@example.org"), ("region", "Colorado")],
        )
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = invalid.text().await.expect("html");
    assert!(
        html.contains("use a region code such as US-CA"),
        "the region error shows on its field"
    );
}

#[tokio::test]
async fn a_new_client_completes_the_intake_form_then_the_baseline_questionnaire() {
    let app = spawn_app().await;
    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    assert!(
        app.get_page("/dashboard")
            .await
            .text()
            .await
            .expect("html")
            .contains("Complete your intake")
    );
    let missing = app.submit_form("/intake", "/intake", &[("reasons", "Low mood")]).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text().await.expect("html");
    assert!(
        html.contains("care at Hearth is by video") && html.contains("Low mood"),
        "errors shown, input kept"
    );
    let done = app
        .submit_form(
            "/intake",
            "/intake",
            &[
                ("reasons", "Low mood since the divorce"),
                ("topics", "divorce"),
                ("topics", "anxiety-depression"),
                ("service_lines", "group"),
                ("availability", "tue 18:00-20:00"),
                ("availability", ""),
                ("emergency_contact_name", "Alex"),
                ("emergency_contact_phone", "312 555 0100"),
                ("consent_version", hearth_domain::CONSENT_VERSION),
                ("telehealth_consent", "true"),
                ("group_agreement", "true"),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/measures/phq9");
    // The baseline: PHQ-9, then GAD-7.
    let mut phq: Vec<(String, String)> =
        (1..=9).map(|i| (format!("item_{i}"), "1".to_owned())).collect();
    phq[8].1 = "0".to_owned();
    let fields: Vec<(&str, &str)> = phq.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let result = app
        .submit_form("/measures/phq9", "/measures/phq9", &fields)
        .await
        .text()
        .await
        .expect("html");
    assert!(result.contains("href=\"/measures/gad7\""), "the GAD-7 comes next");
    assert!(
        !app.get_page("/dashboard")
            .await
            .text()
            .await
            .expect("html")
            .contains("Complete your intake")
    );
}

#[tokio::test]
async fn the_coordinator_sees_waiting_clients_opens_a_summary_places_one_and_writes_a_note() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, serde_json::json!({"topic": "divorce"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let intake = serde_json::json!({
        "reasons": "Separated in June.", "topics": ["divorce"], "availability": ["wed 17:00-20:00"],
        "emergency_contact_name": "Alex", "emergency_contact_phone": "312 555 0100",
        "consent_version": hearth_domain::CONSENT_VERSION, "telehealth_consent": true, "group_agreement": true,
    });
    app.client
        .put(app.url("/api/v1/me/intake"))
        .bearer_auth(&sam)
        .json(&intake)
        .send()
        .await
        .expect("request");
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");

    app.create_staff("coord@example.org", "coordinator").await;
    app.log_in_with_form("coord@example.org", PASSWORD).await;
    let queue = app.get_page("/care/queue").await.text().await.expect("html");
    assert!(queue.contains(&format!("href=\"/clients/{sam_id}\">Sam</a>")), "{queue}");
    let summary = app.get_page(&format!("/clients/{sam_id}")).await.text().await.expect("html");
    assert!(
        summary.contains("Separated in June.") && summary.contains("Divorce is a topic they chose")
    );

    let placed = app
        .submit_form(
            &format!("/clients/{sam_id}"),
            &format!("/clients/{sam_id}/place"),
            &[("group_id", &group.to_string())],
        )
        .await;
    assert_eq!(placed.status(), StatusCode::SEE_OTHER);
    // The seat is offered and held; the client accepts it.
    let mine = app.get_json(&sam, "/me/groups").await;
    assert_eq!(
        (mine["waiting"][0]["id"].as_i64(), mine["waiting"][0]["position"].as_i64()),
        (Some(group), Some(0))
    );
    assert_eq!(
        app.post_empty(&sam, &format!("/groups/{group}/offer/accept")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(app.get_json(&sam, "/me/groups").await["seated"][0]["id"], group);
    assert!(
        !app.get_page("/care/queue")
            .await
            .text()
            .await
            .expect("html")
            .contains(&format!("/clients/{sam_id}\""))
    );

    let noted = app
        .submit_form(
            &format!("/clients/{sam_id}"),
            &format!("/clients/{sam_id}/notes"),
            &[("body", "Prefers a male therapist.")],
        )
        .await;
    assert_eq!(noted.status(), StatusCode::SEE_OTHER);
    assert!(
        app.get_page(&format!("/clients/{sam_id}"))
            .await
            .text()
            .await
            .expect("html")
            .contains("Prefers a male therapist.")
    );
    let sealed = app.db.list_care_notes(hearth_domain::UserId::new(sam_id)).await.expect("notes");
    assert!(!sealed[0].body.contains("male"), "sealed at rest");

    // Clients may not open the workspace.
    app.submit_form("/dashboard", "/logout", &[]).await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    assert_eq!(app.get_page("/care/queue").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_page(&format!("/clients/{sam_id}")).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_client_asks_to_switch_from_the_group_page_and_the_coordinator_approves_from_the_queue() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let old = app.group(&admin, therapist, serde_json::json!({})).await;
    let new = app.group(&admin, therapist, serde_json::json!({"weekday": "thu"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, old).await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let page = format!("/groups/{new}");
    let asked = app
        .submit_form(
            &page,
            &format!("/groups/{new}/switch-request"),
            &[("from", &old.to_string()), ("reason", "New shifts")],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    app.submit_form("/dashboard", "/logout", &[]).await;

    app.create_staff("coord@example.org", "coordinator").await;
    app.log_in_with_form("coord@example.org", PASSWORD).await;
    let html = app.get_page("/care/queue").await.text().await.expect("html");
    assert!(html.contains("\"New shifts\""), "{html}");
    let start = html.find("/care/switches/").expect("an approve form") + "/care/switches/".len();
    let id: String = html[start..].chars().take_while(char::is_ascii_digit).collect();
    let approved =
        app.submit_form("/care/queue", &format!("/care/switches/{id}/approve"), &[]).await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_json(&sam, "/me/groups").await["seated"][0]["id"], new);
}

#[tokio::test]
async fn a_treatment_plan_starts_from_the_topic_template_and_is_signed_by_client_and_therapist() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group =
        app.group(&admin, therapist, serde_json::json!({"topic": "compassion-fatigue"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, group).await;
    app.submit_intake(&sam, &["compassion-fatigue"], &[]).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    let plan_page = format!("/clients/{sam_id}/plan");

    app.log_in_with_form("t@example.org", PASSWORD).await;
    let html = app.get_page(&plan_page).await.text().await.expect("html");
    assert!(
        html.contains("Set and keep one protective boundary each week"),
        "the six-lever template"
    );
    let missing = app
        .submit_form(
            &plan_page,
            &plan_page,
            &[("goals", ""), ("target_by", "2027-03-01"), ("review_on", "2027-03-01")],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Dates in the past are refused for what they mean, and everything typed comes back.
    let past = app
        .submit_form(
            &plan_page,
            &plan_page,
            &[
                ("goals", "Care without burning out"),
                ("objectives", "Six levers"),
                ("interventions", "The group"),
                ("target_by", "2020-01-01"),
                ("review_on", "2019-01-01"),
            ],
        )
        .await;
    assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = past.text().await.expect("html");
    assert!(html.contains("the target date must be after today"), "{html}");
    assert!(html.contains("the review date cannot be before today"), "{html}");
    assert!(html.contains("Care without burning out") && html.contains("2019-01-01"), "{html}");
    let saved = app
        .submit_form(
            &plan_page,
            &plan_page,
            &[
                ("goals", "Care without burning out"),
                ("objectives", "Six levers, one a week"),
                ("interventions", "The 8-week group"),
                ("target_instrument", "phq9"),
                ("target_below", "10"),
                ("target_by", "2027-03-01"),
                ("review_on", "2027-02-15"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let html = app.get_page(&plan_page).await.text().await.expect("html");
    let version = {
        let start = html.find("name=\"version\" value=\"").expect("a sign form")
            + "name=\"version\" value=\"".len();
        html[start..].split('"').next().expect("value").to_owned()
    };
    let signed =
        app.submit_form(&plan_page, &format!("{plan_page}/sign"), &[("version", &version)]).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    app.submit_form("/dashboard", "/logout", &[]).await;

    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let html = app.get_page(&plan_page).await.text().await.expect("html");
    assert!(
        html.contains("Care without burning out") && html.contains("PHQ-9 below 10 by 2027-03-01")
    );
    assert!(!html.contains("Save the plan"), "clients read and sign; they do not edit");
    let signed =
        app.submit_form(&plan_page, &format!("{plan_page}/sign"), &[("version", &version)]).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let html = app.get_page(&plan_page).await.text().await.expect("html");
    assert!(!html.contains("Signed by the client: <strong>not yet"), "{html}");
    assert!(!html.contains("Signed by the therapist: <strong>not yet"), "{html}");
    let stored =
        app.db.find_plan(hearth_domain::UserId::new(sam_id)).await.expect("query").expect("plan");
    assert!(!stored.content.contains("burning"), "sealed at rest");
}

#[tokio::test]
async fn a_coordinator_publishes_hours_and_a_client_books_a_consult_call_from_the_page() {
    let app = spawn_app().await;
    app.create_staff("coord@example.org", "coordinator").await;
    app.log_in_with_form("coord@example.org", PASSWORD).await;
    let saved = app.submit_form("/care/availability", "/care/availability", &[("windows", "mon 09:00-17:00\ntue 09:00-17:00\nwed 09:00-17:00\nthu 09:00-17:00\nfri 09:00-17:00")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    // One bad line among good ones: nothing is saved, every line comes back as typed, and
    // the bad one is named by its number as the coordinator counts (from 1).
    let typed = "mon 09:00-17:00\ntue 09:00-12:00\nwhenever";
    let refused =
        app.submit_form("/care/availability", "/care/availability", &[("windows", typed)]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains(">mon 09:00-17:00\ntue 09:00-12:00\nwhenever</textarea>"), "{html}");
    assert!(html.contains("Line 3:") && !html.contains("windows[2]"), "{html}");
    let kept = app.get_page("/care/availability").await.text().await.expect("html");
    assert!(kept.contains("wed 09:00-17:00"), "the saved hours are untouched");
    app.submit_form("/dashboard", "/logout", &[]).await;

    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let html = app.get_page("/consult").await.text().await.expect("html");
    let start = html.find("name=\"starts_at\" value=\"").expect("a free time")
        + "name=\"starts_at\" value=\"".len();
    let slot = html[start..].split('"').next().expect("value").to_owned();
    // A phone number that is not one: the chosen time stays chosen, the number stays typed.
    let refused = app
        .submit_form("/consult", "/consult", &[("starts_at", &slot), ("phone", "call me")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains(&format!("value=\"{slot}\" checked")), "the time is kept: {html}");
    assert!(html.contains("value=\"call me\""), "the number is kept: {html}");
    assert!(html.contains("id=\"phone-error\"") && html.contains("href=\"#phone\""), "{html}");
    let booked = app
        .submit_form("/consult", "/consult", &[("starts_at", &slot), ("phone", "312 555 0100")])
        .await;
    assert_eq!(booked.status(), StatusCode::SEE_OTHER);
    assert_eq!(booked.headers()["location"], "/consult", "no notice in the address");
    let html = app.get_page("/consult").await.text().await.expect("html");
    assert!(
        html.contains("Your call with <strong>Staff Member</strong>")
            && html.contains("We will call 312 555 0100"),
        "{html}"
    );
    assert!(html.contains("Booked. A coordinator will call you then."), "the notice shows");
    let again = app.get_page("/consult").await.text().await.expect("html");
    assert!(!again.contains("Booked."), "and shows once");
}

#[tokio::test]
async fn text_in_the_address_bar_never_reaches_a_notice() {
    let app = spawn_app().await;
    let bait = "Your account is suspended. Call 1-900-555-0100";
    let query = format!("notice={}&saved={}", bait.replace(' ', "+"), bait.replace(' ', "+"));
    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    for path in ["/consult", "/my/safety-plan", "/my/plan", "/dashboard", "/my/groups"] {
        let html = app.get_page(&format!("{path}?{query}")).await.text().await.expect("html");
        assert!(!html.contains("suspended"), "{path} showed the address bar's text");
    }
    app.submit_form("/dashboard", "/logout", &[]).await;
    app.admin_token().await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    for path in
        ["/care/risk", "/care/placement", "/admin/therapists", "/admin/catalog", "/admin/staff"]
    {
        let html = app.get_page(&format!("{path}?{query}")).await.text().await.expect("html");
        assert!(!html.contains("suspended"), "{path} showed the address bar's text");
    }
}

#[tokio::test]
async fn batch_placement_proposes_the_best_fit_within_free_seats_and_confirmed_places_become_offers()
 {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    // Grief has 2 seats, divorce 3; three people want grief, one wants divorce.
    let grief = app
        .group(&admin, therapist, serde_json::json!({"topic": "grief-loss", "capacity": 2}))
        .await;
    let divorce =
        app.group(&admin, therapist, serde_json::json!({"topic": "divorce", "capacity": 3})).await;
    let mut tokens = Vec::new();
    for (email, topic) in [
        ("a@example.org", "grief-loss"),
        ("b@example.org", "grief-loss"),
        ("c@example.org", "grief-loss"),
        ("d@example.org", "divorce"),
    ] {
        let token = app.client_in(email, "US-IL", "America/Chicago", "1990-01-01").await;
        app.submit_intake(&token, &[topic], &[]).await;
        tokens.push(token);
        app.clock.advance(chrono::Duration::days(1));
    }
    app.create_staff("coord@example.org", "coordinator").await;
    app.log_in_with_form("coord@example.org", PASSWORD).await;
    let html = app.get_page("/care/placement").await.text().await.expect("html");
    let pairs: Vec<String> = html
        .match_indices("name=\"pair\" value=\"")
        .map(|(i, m)| html[i + m.len()..].split('"').next().expect("value").to_owned())
        .collect();
    assert_eq!(pairs.len(), 4, "everyone fits somewhere: {pairs:?}");
    let in_grief = pairs.iter().filter(|p| p.ends_with(&format!(":{grief}"))).count();
    let in_divorce = pairs.iter().filter(|p| p.ends_with(&format!(":{divorce}"))).count();
    assert_eq!(
        (in_grief, in_divorce),
        (2, 2),
        "grief's two seats are full, the third goes to divorce"
    );

    let mut form: Vec<(&str, &str)> = pairs.iter().map(|p| ("pair", p.as_str())).collect();
    form.push(("ignored", ""));
    let confirmed = app.submit_form("/care/placement", "/care/placement", &form).await;
    assert_eq!(confirmed.headers()["location"], "/care/placement");
    let after = app.get_page("/care/placement").await.text().await.expect("html");
    assert!(after.contains("4 of 4 offers sent."), "the notice follows the redirect: {after}");
    for email in ["a@example.org", "b@example.org", "c@example.org", "d@example.org"] {
        let token = app.token(email, PASSWORD).await;
        let mine = app.get_json(&token, "/me/groups").await;
        assert_eq!(mine["waiting"][0]["position"], 0, "a held offer: {mine}");
    }
    drop(tokens);
    let admin = app.token("admin@example.org", PASSWORD).await;
    let state = app.get_json(&admin, &format!("/groups/{grief}")).await;
    assert_eq!(state["seats_left"], 0, "offers hold the seats");
}

#[tokio::test]
async fn the_suicide_screen_speaks_to_the_client_in_plain_words() {
    let app = spawn_app().await;
    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let form = app.get_page("/measures/asq").await.text().await.expect("html");
    assert!(!form.contains("Ask the patient"), "the stem speaks to the client");
    assert!(form.contains("the first four") && form.contains("fifth appears only if"));
    let result = app
        .submit_form(
            "/measures/asq",
            "/measures/asq",
            &[("item_1", "1"), ("item_2", "0"), ("item_3", "0"), ("item_4", "0"), ("item_5", "0")],
        )
        .await
        .text()
        .await
        .expect("html");
    assert!(result.contains("your care team will talk with you soon"), "{result}");
    assert!(!result.contains("Non-acute") && !result.contains("positive screen"), "{result}");
    let phq9 = app.get_page("/measures/phq9").await.text().await.expect("html");
    assert_eq!(phq9.matches("No permission required").count(), 1, "the terms once, not twice");
    let proqol = app.get_page("/measures/proqol5").await.text().await.expect("html");
    assert!(proqol.contains("as a helper") && !proqol.contains("[help"), "no placeholders shown");
}

#[tokio::test]
async fn a_switch_request_that_is_not_sent_keeps_its_text_and_the_signed_in_header() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let old = app.group(&admin, therapist, serde_json::json!({})).await;
    let new = app.group(&admin, therapist, serde_json::json!({"weekday": "thu"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, old).await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let page = format!("/groups/{new}");
    let action = format!("/groups/{new}/switch-request");
    let old_id = old.to_string();

    let empty = app.submit_form(&page, &action, &[("from", &old_id), ("reason", "  ")]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = empty.text().await.expect("html");
    assert!(html.contains("Tell your care coordinator why you would like to move"), "{html}");
    assert!(html.contains("href=\"#request-reason\"") && html.contains("Log out"), "{html}");

    let long = "Thursdays suit my shifts. ".repeat(200);
    let refused = app.submit_form(&page, &action, &[("from", &old_id), ("reason", &long)]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains(long.trim()), "every character typed comes back");
    assert!(html.contains(&format!("value=\"{old}\" selected")), "the group chosen stays chosen");
    assert!(html.contains("characters (it has 5199)"), "{html}");

    // An error page after a failed action keeps the person signed in, in the header too.
    let missing = app.submit_form(&page, &action, &[("reason", "x")]).await;
    assert!(missing.status().is_client_error());
    let html = missing.text().await.expect("html");
    assert!(html.contains("Log out") && html.contains("My groups"), "signed-in header: {html}");
}
