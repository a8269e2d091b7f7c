//! Regression tests for the defects found by attacking a running server (issue 10): each
//! reproduces an attack that once answered 5xx, plain text, or wrote what it should not.

use chrono::{TimeZone as _, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Asserts the standard JSON error shape with a 4xx, and returns the body.
async fn assert_json_error(response: Response, what: &str) -> Value {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    assert!(status.is_client_error(), "{what}: {status} {text}");
    assert!(content_type.starts_with("application/json"), "{what}: {content_type} {text}");
    let body: Value = serde_json::from_str(&text).expect("a JSON body");
    assert!(body["error"].is_string() && body["message"].is_string(), "{what}: {body}");
    body
}

/// Monday 2027-03-01 12:00 UTC; one coordinator takes calls on Tuesdays 09:00-11:00 Denver time.
async fn consult_practice(app: &TestApp) {
    app.clock.set(Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).single().expect("instant"));
    app.create_staff("c1@example.org", "coordinator").await;
    let token = app.token("c1@example.org", PASSWORD).await;
    let set = app
        .client
        .put(app.url("/api/v1/me/consult-availability"))
        .bearer_auth(&token)
        .json(&json!({"windows": ["tue 09:00-11:00"]}))
        .send()
        .await
        .expect("request");
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
}

async fn book(app: &TestApp, token: &str, body: Value) -> Response {
    app.client
        .post(app.url("/api/v1/consults"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn booked_calls_of(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json(token, "/consults").await.as_array().expect("list").clone()
}

#[tokio::test]
async fn a_booking_that_replaces_a_call_not_ones_own_is_refused_and_books_nothing() {
    let app = spawn_app().await;
    consult_practice(&app).await;
    let a = app.client_in("a@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let b = app.client_in("b@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let first =
        book(&app, &a, json!({"starts_at": "2027-03-02T16:00:00Z", "phone": "312 555 0100"}));
    assert_eq!(first.await.status(), StatusCode::CREATED);
    let theirs =
        book(&app, &b, json!({"starts_at": "2027-03-02T16:20:00Z", "phone": "312 555 0101"}));
    assert_eq!(theirs.await.status(), StatusCode::CREATED);
    let b_call = booked_calls_of(&app, &b).await[0]["id"].as_i64().expect("id");
    let audit_rows = app.audit_log().await.len();

    for (replaces, what) in
        [(json!(999_999), "a call that does not exist"), (json!(b_call), "another client's call")]
    {
        let body = json!({"starts_at": "2027-03-02T16:40:00Z", "phone": "312 555 0100", "replaces": replaces});
        let refused = book(&app, &a, body).await;
        let error = assert_json_error(refused, what).await;
        assert!(error["fields"]["replaces"].is_string(), "{what}: {error}");
    }
    assert_eq!(booked_calls_of(&app, &a).await.len(), 1, "still exactly one call");
    assert_eq!(booked_calls_of(&app, &b).await.len(), 1, "the other client's call stands");
    assert_eq!(app.db_booked_calls().await, 2);
    assert_eq!(app.audit_log().await.len(), audit_rows, "nothing was booked or audited");

    // The one-call rule still holds, and a real reschedule still works.
    let again =
        book(&app, &a, json!({"starts_at": "2027-03-02T16:40:00Z", "phone": "312 555 0100"}));
    assert_eq!(again.await.status(), StatusCode::CONFLICT);
    let mine = booked_calls_of(&app, &a).await[0]["id"].as_i64().expect("id");
    let moved = book(
        &app,
        &a,
        json!({"starts_at": "2027-03-02T16:40:00Z", "phone": "312 555 0100", "replaces": mine}),
    );
    assert_eq!(moved.await.status(), StatusCode::CREATED);
    let calls = booked_calls_of(&app, &a).await;
    assert_eq!((calls.len(), calls[0]["starts_at"].as_str()), (1, Some("2027-03-02T16:40:00Z")));
    // The replaced call, now cancelled, cannot be replaced again.
    let stale = book(
        &app,
        &a,
        json!({"starts_at": "2027-03-02T17:00:00Z", "phone": "312 555 0100", "replaces": mine}),
    );
    assert_json_error(stale.await, "a cancelled call").await;
    assert_eq!(booked_calls_of(&app, &a).await.len(), 1);
}

#[tokio::test]
async fn concurrent_bookings_by_one_client_leave_exactly_one_call() {
    let app = spawn_app().await;
    consult_practice(&app).await;
    let a = app.client_in("a@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let slots = ["16:00", "16:20", "16:40", "17:00", "17:20", "17:40"];
    let bodies: Vec<Value> = slots
        .iter()
        .map(|t| json!({"starts_at": format!("2027-03-02T{t}:00Z"), "phone": "312 555 0100"}))
        .collect();
    let answers = futures::future::join_all(bodies.iter().map(|b| book(&app, &a, b.clone()))).await;
    let created = answers.iter().filter(|r| r.status() == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{:?}", answers.iter().map(Response::status).collect::<Vec<_>>());
    assert!(answers.iter().all(|r| r.status().is_success() || r.status() == StatusCode::CONFLICT));
    assert_eq!(booked_calls_of(&app, &a).await.len(), 1);

    // Several reschedules of the same call at once: one wins, the call is not duplicated.
    let mine = booked_calls_of(&app, &a).await[0]["id"].as_i64().expect("id");
    let bodies: Vec<Value> =
        ["2027-03-09T16:00:00Z", "2027-03-09T16:20:00Z", "2027-03-09T16:40:00Z"]
            .iter()
            .map(|at| json!({"starts_at": at, "phone": "312 555 0100", "replaces": mine}))
            .collect();
    let (x, y, z) = tokio::join!(
        book(&app, &a, bodies[0].clone()),
        book(&app, &a, bodies[1].clone()),
        book(&app, &a, bodies[2].clone())
    );
    let created = [x, y, z].iter().filter(|r| r.status() == StatusCode::CREATED).count();
    assert_eq!(created, 1);
    assert_eq!(booked_calls_of(&app, &a).await.len(), 1);
    assert_eq!(app.db_booked_calls().await, 1);
}

impl TestApp {
    /// Booked calls in the database, whoever holds them.
    async fn db_booked_calls(&self) -> usize {
        self.app.db().list_booked_consults(self.clock_now()).await.expect("calls").len()
    }
}

#[tokio::test]
async fn care_notes_are_written_only_about_clients_that_exist() {
    let app = spawn_app().await;
    let admin = app.create_staff("admin@example.org", "admin").await;
    let coordinator = app.create_staff("coord@example.org", "coordinator").await;
    let sam = app.sign_up("sam@example.org").await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let app = &app;
    let write = |subject: i64| async move {
        app.submit_form("/dashboard", &format!("/clients/{subject}/notes"), &[("body", "A note.")])
            .await
    };
    for subject in [999_999, admin.get(), coordinator.get()] {
        let refused = write(subject).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "subject {subject}");
        assert!(refused.text().await.expect("html").contains("Page not found"));
        let stored =
            app.app.db().list_care_notes(hearth_domain::UserId::new(subject)).await.expect("notes");
        assert!(stored.is_empty(), "subject {subject}");
    }
    assert_eq!(write(sam).await.status(), StatusCode::SEE_OTHER, "a client's note is written");
}

#[tokio::test]
async fn audit_verify_refuses_a_folder_without_a_key_and_creates_nothing() {
    let db = hearth_testkit::TestDatabase::from_env().await.expect("database");
    let dir = tempfile::tempdir().expect("data dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("an empty data dir");
    let missing = dir.path().join("missing");
    for (folder, url) in
        [(&data, Some(db.url.as_str())), (&data, None), (&missing, Some(db.url.as_str()))]
    {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"));
        command.args(["audit", "verify", "--data-dir"]).arg(folder);
        if let Some(url) = url {
            command.args(["--database-url", url]);
        }
        let out = command.env_remove("HEARTH__ENCRYPTION__KEYS").output().expect("hearth runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{folder:?} {url:?}: {stderr}");
        assert!(stderr.contains("encryption key"), "{stderr}");
        assert!(!missing.exists(), "no folder was made");
        assert_eq!(std::fs::read_dir(&data).expect("read").count(), 0, "no file was made");
    }
}
