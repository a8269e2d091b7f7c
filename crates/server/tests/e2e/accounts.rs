use chrono::Duration;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, client_body, spawn_app};

#[tokio::test]
async fn health_answers_ok_when_the_database_does() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_signs_up_logs_in_and_reads_their_own_account() {
    let app = spawn_app().await;
    let id = app.sign_up("Ana.Lopez@Example.org").await;

    let response = app.post_session("ana.lopez@example.ORG", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["user"], json!({"id": id, "role": "client"}));
    let token = body["token"].as_str().expect("token");
    assert!(token.len() >= 43, "at least 256 bits of token");

    let me: Value = app.get_me(token).await.json().await.expect("json");
    assert_eq!(me["email"], "Ana.Lopez@Example.org");
    assert_eq!(me["timezone"], "America/Chicago");
    assert_eq!(me["region"], "US-IL");
}

/// Each case: a change to a valid body, the status, and the field the error must name.
#[tokio::test]
async fn sign_up_refuses_each_bad_field_by_name_and_writes_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "invalid email",
            json!({"email": "not-an-email"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            "short password",
            json!({"password": "short"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            "common password",
            json!({"password": "password1234"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            "password over 128",
            json!({"password": "a b c ".repeat(30)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            "unknown time zone",
            json!({"timezone": "Mars/Olympus"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timezone",
        ),
        (
            "future birth date",
            json!({"birth_date": "2999-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "birth_date",
        ),
        ("unknown region", json!({"region": "US-ZZ"}), StatusCode::UNPROCESSABLE_ENTITY, "region"),
        (
            "oversized name",
            json!({"display_name": "x".repeat(5000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "display_name",
        ),
        (
            "missing field",
            json!({"display_name": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "display_name",
        ),
        ("wrong type", json!({"email": 42}), StatusCode::BAD_REQUEST, "email"),
    ];
    for (case, change, status, field) in cases {
        let mut body = client_body("case@example.org");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let response = app.post_clients(&body).await;
        assert_eq!(response.status(), status, "{case}");
        let error: Value = response.json().await.expect("json error body");
        assert!(error["error"].is_string() && error["message"].is_string(), "{case}: {error}");
        assert!(error["fields"][field].is_string(), "{case}: the error names {field}: {error}");
    }

    assert_eq!(app.count_users().await, 0, "no bad request wrote an account");
}

/// Outside testing had these accepted. The body's person is Sam, sam@example.org.
#[tokio::test]
async fn sign_up_refuses_guessable_passwords_and_ones_built_from_the_persons_own_details() {
    let app = spawn_app().await;
    for weak in [
        "Password123!",
        "P@ssw0rd2024",
        "letmein12345",
        "football1234",
        "iloveyou2024!",
        "Summer2024!!",
        "hearth demo password",
        "hearth-sam-2024!",
        "sam.example2024",
    ] {
        let mut body = client_body("sam@example.org");
        body["password"] = json!(weak);
        let response = app.post_clients(&body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        let error: Value = response.json().await.expect("json error body");
        let message = error["fields"]["password"].as_str().unwrap_or_default();
        assert!(message.starts_with("this password "), "{weak}: a plain reason: {error}");
    }
    assert_eq!(app.count_users().await, 0, "no weak password made an account");

    let mut body = client_body("sam@example.org");
    body["password"] = json!("hearth-sam-2024!");
    let error: Value = app.post_clients(&body).await.json().await.expect("json");
    assert_eq!(
        error["fields"]["password"],
        "this password leans on your name, your email or the practice's name; add a few \
         unrelated words of your own"
    );
    body["password"] = json!("otter pancake jupiter");
    assert_eq!(app.post_clients(&body).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn sign_up_refuses_malformed_wrongly_typed_and_oversized_bodies() {
    let app = spawn_app().await;
    let malformed = app
        .client
        .post(app.url("/api/v1/clients"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json::<Value>().await.expect("json")["error"], "bad_request");

    let wrong_type = app
        .client
        .post(app.url("/api/v1/clients"))
        .header("content-type", "text/plain")
        .body(client_body("case@example.org").to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = app
        .client
        .post(app.url("/api/v1/clients"))
        .header("content-type", "application/json")
        .body(format!("{{\"email\": \"{}\"}}", "a".repeat(200_000)))
        .send()
        .await
        .expect("request");
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn thirty_concurrent_sign_ups_with_one_email_in_mixed_case_create_one_account() {
    let app = spawn_app().await;
    let bodies: Vec<Value> = (0..30)
        .map(|i| client_body(if i % 2 == 0 { "Race@Example.org" } else { "RACE@example.ORG" }))
        .collect();
    let responses = join_all(bodies.iter().map(|body| app.post_clients(body))).await;
    // Every answer is the same (a taken email is not revealed), yet one account is made.
    assert!(responses.iter().all(|r| r.status() == StatusCode::CREATED));
    assert_eq!(app.count_users().await, 1);
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "account.created").count(), 1);
    assert_eq!(actions.iter().filter(|a| *a == "account.signup.email_taken").count(), 29);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.sign_up("known@example.org").await;
    let wrong_password = app.post_session("known@example.org", "not the right password").await;
    let unknown_email = app.post_session("nobody@example.org", PASSWORD).await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    let a: Value = wrong_password.json().await.expect("json");
    let b: Value = unknown_email.json().await.expect("json");
    assert_eq!(a, b);
}

#[tokio::test]
async fn repeated_failures_on_one_account_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    app.sign_up("target@example.org").await;
    for _ in 0..5 {
        let response = app.post_session("target@example.org", "guess guess guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now: the account is locked for the window.
    let throttled = app.post_session("TARGET@example.org", PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 =
        throttled.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry > 0 && retry <= 15 * 60, "Retry-After {retry}");
    assert_eq!(throttled.json::<Value>().await.expect("json")["error"], "too_many_requests");

    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.post_session("target@example.org", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app().await;
    for i in 0..50 {
        let response =
            app.post_session(&format!("spray{i}@example.org"), "guess guess guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app.post_session("fresh@example.org", "guess guess guess").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_logged_out_or_revoked_token_is_refused() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let first = app.token("sam@example.org", PASSWORD).await;
    let second = app.token("sam@example.org", PASSWORD).await;

    let sessions: Value = app.get_sessions(&first).await.json().await.expect("json");
    assert_eq!(sessions.as_array().expect("list").len(), 2);
    let other = sessions
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["current"] == false)
        .expect("the other session")["id"]
        .as_i64()
        .expect("id");
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/sessions/{other}")))
        .bearer_auth(&first)
        .send()
        .await
        .expect("request");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_me(&second).await.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(app.delete_session(&first).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_me(&first).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_and_after_12_hours_in_all() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let idle = app.token("sam@example.org", PASSWORD).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.get_me(&idle).await.status(), StatusCode::OK, "activity resets the idle timer");
    app.clock.advance(Duration::minutes(31));
    assert_eq!(app.get_me(&idle).await.status(), StatusCode::UNAUTHORIZED, "31 idle minutes");

    let busy = app.token("sam@example.org", PASSWORD).await;
    for _ in 0..25 {
        app.clock.advance(Duration::minutes(29));
        if app.get_me(&busy).await.status() != StatusCode::OK {
            break;
        }
    }
    // 25 × 29 minutes is over 12 hours: the absolute limit must have ended it.
    assert_eq!(app.get_me(&busy).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_invites_a_therapist_who_joins_once_through_the_link() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    let admin = app.token("admin@example.org", PASSWORD).await;

    let response = app.post_invite(&admin, "new.therapist@example.org", "therapist").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let link =
        response.json::<Value>().await.expect("json")["link"].as_str().expect("link").to_owned();
    let path = link.trim_start_matches(&app.base).to_owned();

    let accepted = app
        .submit_form(
            &path,
            &path,
            &[("display_name", "Dr. New"), ("password", PASSWORD), ("timezone", "America/Denver")],
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let token = app.token("new.therapist@example.org", PASSWORD).await;
    let me: Value = app.get_me(&token).await.json().await.expect("json");
    assert_eq!(me["role"], "therapist");

    assert_eq!(app.get_page(&path).await.status(), StatusCode::NOT_FOUND, "a used link is dead");
}

#[tokio::test]
async fn invitations_expire_after_seven_days() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    let admin = app.token("admin@example.org", PASSWORD).await;
    let response = app.post_invite(&admin, "late@example.org", "coordinator").await;
    let link =
        response.json::<Value>().await.expect("json")["link"].as_str().expect("link").to_owned();
    let path = link.trim_start_matches(&app.base).to_owned();
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    assert_eq!(app.get_page(&path).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_admins_may_invite_or_list_staff() {
    let app = spawn_app().await;
    app.sign_up("client@example.org").await;
    app.create_staff("therapist@example.org", "therapist").await;
    for email in ["client@example.org", "therapist@example.org"] {
        let token = app.token(email, PASSWORD).await;
        let invite = app.post_invite(&token, "x@example.org", "admin").await;
        assert_eq!(invite.status(), StatusCode::FORBIDDEN, "{email} may not invite");
        let staff = app
            .client
            .get(app.url("/api/v1/staff"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(staff.status(), StatusCode::FORBIDDEN, "{email} may not list staff");
    }
    let anonymous = app.client.get(app.url("/api/v1/staff")).send().await.expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_authentication_event_is_in_the_audit_log_and_the_chain_verifies() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let token = app.token("sam@example.org", PASSWORD).await;
    app.post_session("sam@example.org", "wrong wrong wrong").await;
    app.delete_session(&token).await;

    let rows = app.db.list_audit(None, 100).await.expect("audit rows");
    let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["account.created", "auth.login.succeeded", "auth.login.failed", "auth.logout"]
    );
    assert!(rows.iter().all(|r| r.source_ip.as_deref() == Some("127.0.0.1")));
    assert!(matches!(
        app.app.verify_audit_log().await.expect("verify"),
        hearth_store::AuditVerification::Intact { rows: 4 }
    ));
}

#[tokio::test]
async fn a_session_revoked_by_another_node_stops_working_within_two_seconds() {
    let app = spawn_app().await;
    let id = app.sign_up("sam@example.org").await;
    let token = app.token("sam@example.org", PASSWORD).await;
    assert_eq!(app.get_me(&token).await.status(), StatusCode::OK);
    // Another node revokes it in the shared database; this node's look-up memo is not told.
    let user = hearth_domain::UserId::new(id);
    app.db.revoke_all_sessions(user, app.clock_now()).await.expect("revoke");
    app.clock.advance(Duration::seconds(3));
    assert_eq!(app.get_me(&token).await.status(), StatusCode::UNAUTHORIZED);
}
