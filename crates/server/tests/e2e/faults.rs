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

/// Asserts an HTML error page with a 4xx.
async fn assert_html_error(response: Response, what: &str) -> String {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    assert!(status.is_client_error(), "{what}: {status} {text}");
    assert!(content_type.starts_with("text/html"), "{what}: {content_type} {text}");
    text
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
        self.db.list_booked_consults(self.clock_now()).await.expect("calls").len()
    }
}

/// Every byte but letters and digits as `%XX`, for query strings and paths.
fn percent_encoded(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// Strings that PostgreSQL cannot store (NUL) or that no field needs (other C0 controls).
const CONTROL: [&str; 3] = ["\u{0}", "Gr\u{0}ief", "bell\u{7}"];

#[tokio::test]
async fn control_characters_in_api_input_are_refused_by_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-WI", "2030-12-01")]).await;
    let users = app.count_users().await;
    let audit_rows = app.audit_log().await.len();
    for bad in CONTROL {
        // Anonymous: logging in and signing up.
        let login = app.post_session(bad, "whatever password").await;
        let error = assert_json_error(login, "session email").await;
        assert!(error["fields"]["email"].is_string(), "{error}");
        let mut body = crate::helpers::client_body("new@example.org");
        body["display_name"] = json!(bad);
        let error = assert_json_error(app.post_clients(&body).await, "sign-up name").await;
        assert!(error["fields"]["display_name"].is_string(), "{error}");

        let send = |method: reqwest::Method, path: String, body: Value| {
            app.client.request(method, app.url(&path)).bearer_auth(&admin).json(&body).send()
        };
        let topic = send(
            reqwest::Method::PATCH,
            "/api/v1/topics/grief-loss".to_owned(),
            json!({"name": bad, "description": "x"}),
        );
        let error = assert_json_error(topic.await.expect("request"), "topic name").await;
        assert!(error["fields"]["name"].is_string(), "{error}");
        let license = send(
            reqwest::Method::POST,
            format!("/api/v1/therapists/{therapist}/licenses"),
            json!({"region": "US-IL", "kind": "LCSW", "number": bad, "expires_on": "2030-01-01"}),
        );
        let error = assert_json_error(license.await.expect("request"), "licence number").await;
        assert!(error["fields"]["number"].is_string(), "{error}");
        let group = send(
            reqwest::Method::POST,
            "/api/v1/groups".to_owned(),
            json!({"topic": bad, "therapist_id": therapist, "weekday": "wed", "local_time": "18:00",
                   "capacity": 10, "age_band": "adult", "starts_on": "2026-01-07"}),
        );
        let error = assert_json_error(group.await.expect("request"), "group topic").await;
        assert!(error["fields"]["topic"].is_string(), "{error}");
        // In a nested field and in a key.
        let nested = send(
            reqwest::Method::POST,
            "/api/v1/therapists".to_owned(),
            json!({"email": "x@example.org", "password": PASSWORD, "display_name": "X",
                   "timezone": "America/Chicago", "specialties": ["grief-loss", bad],
                   "licenses": [], "years_of_practice": 1, "bio": ""}),
        );
        let error = assert_json_error(nested.await.expect("request"), "nested").await;
        assert!(error["fields"]["specialties[1]"].is_string(), "{error}");
        let key = send(
            reqwest::Method::POST,
            "/api/v1/session".to_owned(),
            json!({"email": "a@example.org", "password": "p", bad: 1}),
        );
        assert_json_error(key.await.expect("request"), "a key").await;

        // In the query string and the path.
        let encoded = percent_encoded(bad);
        let query = app
            .client
            .get(app.url(&format!("/api/v1/groups?topic={encoded}")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("request");
        let error = assert_json_error(query, "query topic").await;
        assert!(error["fields"]["topic"].is_string(), "{error}");
        let path = send(
            reqwest::Method::PATCH,
            format!("/api/v1/topics/{encoded}"),
            json!({"name": "Grief", "description": ""}),
        );
        assert_json_error(path.await.expect("request"), "path slug").await;
    }
    assert_eq!(app.count_users().await, users, "nobody signed up");
    let topics = app.get_json(&admin, "/topics").await;
    assert!(!topics.to_string().contains("\\u0000"), "{topics}");
    let profile = app.get_json(&admin, &format!("/therapists/{therapist}")).await;
    assert_eq!(profile["licensed_in"].as_array().expect("list").len(), 1, "no licence added");
    assert!(app.get_json(&admin, "/groups").await.as_array().expect("list").is_empty());
    let actions = app.audit_actions().await;
    assert_eq!(actions.len() - audit_rows, 0, "nothing audited: {actions:?}");

    // Tab and line breaks are text, and free text keeps them.
    let kept = app
        .client
        .patch(app.url("/api/v1/topics/grief-loss"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Grief and loss", "description": "Line one.\r\n\tLine two."}))
        .send()
        .await
        .expect("request");
    assert_eq!(kept.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn control_characters_in_forms_and_page_queries_answer_an_html_error_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let before = app.get_json(&admin, "/topics").await;
    for bad in CONTROL {
        let login = app.log_in_with_form(bad, PASSWORD).await;
        let html = assert_html_error(login, "login form").await;
        assert!(html.contains("email"), "{html}");
    }
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    for bad in CONTROL {
        let name = app
            .submit_form(
                "/admin/catalog",
                "/admin/catalog/topics/grief-loss",
                &[("name", bad), ("description", "x")],
            )
            .await;
        assert_html_error(name, "catalog name").await;
        let encoded = percent_encoded(bad);
        let browse = app.get_page(&format!("/groups?topic={encoded}")).await;
        assert_html_error(browse, "browse topic").await;
    }
    assert_eq!(app.get_json(&admin, "/topics").await, before, "the catalog is unchanged");

    // A name with a line break is saved, and the page it returns to still opens.
    let saved = app
        .submit_form(
            "/admin/catalog",
            "/admin/catalog/topics/grief-loss",
            &[("name", "Grief &\tloss?"), ("description", "x")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let location = saved.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(app.get_page(&location).await.status(), StatusCode::OK, "{location}");
}

#[tokio::test]
async fn care_notes_are_written_only_about_clients_that_exist() {
    let app = spawn_app().await;
    let admin = app.create_staff("admin@example.org", "admin").await;
    let coordinator = app.create_staff("coord@example.org", "coordinator").await;
    let sam = app.sign_up("sam@example.org").await;
    // A coordinator: administrators write no clinical notes.
    app.log_in_with_form("coord@example.org", PASSWORD).await;
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
            app.db.list_care_notes(hearth_domain::UserId::new(subject)).await.expect("notes");
        assert!(stored.is_empty(), "subject {subject}");
    }
    assert_eq!(write(sam).await.status(), StatusCode::SEE_OTHER, "a client's note is written");
}

#[tokio::test]
async fn bad_requests_to_the_api_answer_the_json_error_shape() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let get = |path: &str| app.client.get(app.url(path)).bearer_auth(&admin);
    let post = |path: &str| app.client.post(app.url(path)).bearer_auth(&admin);
    let cases = [
        ("a word for an id", get("/api/v1/groups/abc"), StatusCode::BAD_REQUEST),
        ("an id past i64", get("/api/v1/groups/99999999999999999999"), StatusCode::BAD_REQUEST),
        (
            "a word for an id before a date",
            get("/api/v1/groups/x/occurrences/2027-01-06/cancel"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "a word for an id in a nested route",
            post("/api/v1/groups/x/occurrences/2027-01-06/cancel"),
            StatusCode::BAD_REQUEST,
        ),
        ("a word for a query id", get("/api/v1/groups?therapist_id=abc"), StatusCode::BAD_REQUEST),
        ("a query id past i64", get("/api/v1/groups?therapist_id=1e99"), StatusCode::BAD_REQUEST),
        (
            "a repeated query field",
            get("/api/v1/groups?therapist_id=1&therapist_id=2"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a word for a consult id",
            app.client.delete(app.url("/api/v1/consults/abc")).bearer_auth(&admin),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a wrong method",
            app.client.put(app.url("/api/v1/groups")).bearer_auth(&admin),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "a wrong method on a path",
            app.client.delete(app.url("/api/v1/me")).bearer_auth(&admin),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("no content type", post("/api/v1/groups").body("{}"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            "broken JSON",
            post("/api/v1/groups").header("content-type", "application/json").body("{"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a body too large",
            post("/api/v1/session")
                .header("content-type", "application/json")
                .body(vec![b' '; 70 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "invalid UTF-8 in the path",
            app.client
                .patch(app.url("/api/v1/topics/%FF"))
                .bearer_auth(&admin)
                .json(&json!({"name": "x"})),
            StatusCode::BAD_REQUEST,
        ),
        ("an unknown route", get("/api/v1/nothing/here"), StatusCode::NOT_FOUND),
    ];
    for (what, request, expected) in cases {
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), expected, "{what}");
        let allow = response.headers().get("allow").cloned();
        let body = assert_json_error(response, what).await;
        if expected == StatusCode::METHOD_NOT_ALLOWED {
            assert!(allow.is_some(), "{what}: the Allow header is kept");
        }
        assert_ne!(body["error"], "internal", "{what}");
    }
    // A parameter that does not parse is named, wherever it sits.
    let named = [
        (reqwest::Method::GET, "/api/v1/groups/abc", "id"),
        (reqwest::Method::GET, "/api/v1/groups/99999999999999999999", "id"),
        (reqwest::Method::POST, "/api/v1/groups/x/occurrences/2027-01-06/cancel", "id"),
        (reqwest::Method::GET, "/api/v1/groups?therapist_id=abc", "therapist_id"),
        (reqwest::Method::GET, "/api/v1/groups?therapist_id=1e99", "therapist_id"),
    ];
    for (method, path, field) in named {
        let response = app
            .client
            .request(method, app.url(path))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = assert_json_error(response, path).await;
        assert!(body["fields"][field].is_string(), "{path}: names {field}: {body}");
    }
}

#[tokio::test]
async fn bad_page_addresses_answer_the_html_error_page() {
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    for path in ["/groups/abc", "/groups/99999999999999999999", "/clients/abc", "/groups?topic=%00"]
    {
        let response = app.get_page(path).await;
        let html = assert_html_error(response, path).await;
        assert!(html.contains("<html"), "{path}: {html}");
    }
    let wrong_method = app.client.put(app.url("/dashboard")).send().await.expect("request");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_html_error(wrong_method, "a wrong method").await;
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
