//! Nothing a client tells Hearth reaches its logs: the `hearth` binary is run at `debug`
//! level, in text and in JSON, through a client's first week (sign-up, intake, a PHQ-9 with
//! a risk answer, a safety plan, a coordinator's note, a mistyped password), and everything it
//! wrote is searched for what the client told it.

use crate::cli::{create_coordinators, database};
use crate::helpers::csrf_from;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

const HEARTH: &str = env!("CARGO_BIN_EXE_hearth");
const PASSWORD: &str = "lantern orchard violet";

/// What the client tells Hearth; none of it may be logged.
const EMAIL: &str = "Quillon.Marbury@example.org";
const NAME: &str = "Quillon Marbury";
const BIRTH_DATE: &str = "1987-03-14";
const PHONE: &str = "312 555 0199";
const CONTACT: &str = "Perpetua Ashdown";
const REASONS: &str = "the lighthouse keeper went silent";
const WARNING_SIGN: &str = "pacing the harbour wall at night";
const NOTE: &str = "worried about the ferry timetable";

/// Runs the story against a fresh server and returns everything it wrote to stderr.
async fn story(json_logs: bool) -> String {
    let (db, dir) = database().await;
    create_coordinators(&["coordinator@example.org"], dir.path(), &db.url);
    let mut child = Command::new(HEARTH)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url, "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "debug")
        .env("HEARTH__LOG__JSON", if json_logs { "true" } else { "false" })
        .env("HEARTH__SECURE_COOKIES", "false")
        .env("HEARTH__AUTH__STAFF_SECOND_FACTOR", "optional")
        .env("HEARTH__ARGON2__MEMORY_KIB", "1024")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hearth serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("a line");
        line
    })
    .await
    .expect("reader");
    let base = line.trim().strip_prefix("listening on ").expect("the listening line").to_owned();
    // Read stderr as it comes, so a full pipe never stalls the server.
    let mut stderr = child.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut all = String::new();
        stderr.read_to_string(&mut all).expect("stderr reads");
        all
    });

    walk_a_first_week(&base).await;

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status =
        tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "{status}");
    logs.join().expect("the log reader")
}

async fn walk_a_first_week(base: &str) {
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{base}{path}");
    let signed_up = http
        .post(url("/api/v1/clients"))
        .json(&json!({
            "email": EMAIL, "password": PASSWORD, "display_name": NAME,
            "timezone": "America/Chicago", "region": "US-IL", "birth_date": BIRTH_DATE,
        }))
        .send()
        .await
        .expect("sign-up");
    assert_eq!(signed_up.status(), StatusCode::CREATED);
    let client_id = signed_up.json::<Value>().await.expect("json")["id"].as_i64().expect("id");

    let wrong = http
        .post(url("/api/v1/session"))
        .json(&json!({"email": EMAIL, "password": "not the password at all"}))
        .send()
        .await
        .expect("login");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let login = http
        .post(url("/api/v1/session"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::OK);
    let token =
        login.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();

    let intake = json!({
        "reasons": REASONS, "topics": ["compassion-fatigue"], "availability": ["mon 18:00-21:00"],
        "emergency_contact_name": CONTACT, "emergency_contact_phone": PHONE,
        "consent_version": hearth_domain::CONSENT_VERSION, "telehealth_consent": true,
        "group_agreement": true,
    });
    let saved = http.put(url("/api/v1/me/intake")).bearer_auth(&token).json(&intake).send().await;
    assert_eq!(saved.expect("intake").status(), StatusCode::NO_CONTENT);
    // A refused intake echoes nothing to the log either.
    let bad = json!({"reasons": REASONS, "emergency_contact_phone": "call Perpetua Ashdown"});
    let refused = http.put(url("/api/v1/me/intake")).bearer_auth(&token).json(&bad).send().await;
    assert_eq!(refused.expect("intake").status(), StatusCode::UNPROCESSABLE_ENTITY);

    let phq9 = json!({"answers": [1, 2, 1, 2, 1, 1, 2, 1, 2]});
    let measured = http.post(url("/api/v1/measures/phq9")).bearer_auth(&token).json(&phq9).send();
    let measured = measured.await.expect("phq9");
    assert_eq!(measured.status(), StatusCode::CREATED);

    let plan = json!({
        "warning_signs": WARNING_SIGN, "coping_steps": "walk", "people_and_places": "",
        "people_to_ask": "", "professionals_and_crisis_lines": "", "making_the_environment_safe": "",
    });
    let path = url(&format!("/api/v1/clients/{client_id}/safety-plan"));
    let planned = http.put(&path).bearer_auth(&token).json(&plan).send().await.expect("plan");
    assert!(planned.status().is_success(), "{}", planned.status());

    // A coordinator writes a note through the page, as a person would.
    let staff = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let html = staff.get(url("/login")).send().await.expect("login page").text().await;
    let form = [
        ("csrf", csrf_from(&html.expect("html"))),
        ("email", "coordinator@example.org".to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let signed_in = staff.post(url("/login")).form(&form).send().await.expect("login");
    assert!(signed_in.status().is_success(), "{}", signed_in.status());
    let summary = format!("/clients/{client_id}");
    let html = staff.get(url(&summary)).send().await.expect("summary").text().await;
    let form = [("csrf", csrf_from(&html.expect("html"))), ("body", NOTE.to_owned())];
    let noted = staff.post(url(&format!("{summary}/notes"))).form(&form).send().await;
    assert!(noted.expect("note").status().is_success());
}

fn assert_nothing_personal(logs: &str) {
    let digits: String = PHONE.chars().filter(char::is_ascii_digit).collect();
    let lowered = logs.to_lowercase();
    for secret in [EMAIL, NAME, BIRTH_DATE, PHONE, &digits, CONTACT, REASONS, WARNING_SIGN, NOTE] {
        assert!(!lowered.contains(&secret.to_lowercase()), "the logs hold {secret:?}");
    }
    // Not a vacuous pass: the server did log each request, by route template.
    for route in ["/api/v1/measures/{instrument}", "/clients/{id}/notes", "/api/v1/me/intake"] {
        assert!(logs.contains(route), "no log line names {route}");
    }
    assert!(logs.contains("request finished"), "no request lines");
}

#[tokio::test]
async fn the_server_logs_in_text_hold_nothing_a_client_told_it() {
    let logs = story(false).await;
    assert_nothing_personal(&logs);
    assert!(logs.contains("status=201"), "statuses are logged");
}

#[tokio::test]
async fn the_server_logs_in_json_hold_nothing_a_client_told_it() {
    let logs = story(true).await;
    assert_nothing_personal(&logs);
    assert!(logs.lines().all(|l| l.starts_with('{')), "every line is JSON");
}
