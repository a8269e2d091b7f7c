//! Health and personal data at rest: answers, scores, bands, risk levels, birth dates and
//! phone numbers never reach the database in plain text (outside testing found them there),
//! while every page and API call still shows them. Rows an earlier version stored plain are
//! sealed at start-up and read as before.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use hearth_store::Db;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

const BIRTH_DATE: &str = "1987-11-23";
const PHONE: &str = "312 555 0199";
/// A PHQ-9 of 20 ("severe") with item 9 answered "nearly every day".
const RISKY_PHQ9: [i64; 9] = [3, 2, 3, 1, 2, 3, 1, 2, 3];
/// A GAD-7 of 16 ("severe").
const GAD7: [i64; 7] = [3, 3, 2, 2, 3, 2, 1];
/// Six weeks later: a PHQ-9 of 5 ("mild") and a GAD-7 of 2 ("minimal").
const LATER_PHQ9: [i64; 9] = [1, 1, 1, 1, 1, 0, 0, 0, 0];
const LATER_GAD7: [i64; 7] = [1, 1, 0, 0, 0, 0, 0];
/// An ASQ answered "yes" to the acute question.
const ACUTE_ASQ: [i64; 5] = [1, 0, 1, 0, 1];

/// Text that must never be found in the database file or its rows: the answers, the risk
/// levels and slugs, the bands, the birth date, the phone number.
const NEVER_AT_REST: [&str; 10] = [
    "[3,2,3,1,2,3,1,2,3]",
    "3,2,3,1,2,3,1,2,3",
    "[3,3,2,2,3,2,1]",
    "self_harm_thoughts",
    "self-harm-thoughts",
    "acute",
    "severe",
    "minimal",
    BIRTH_DATE,
    PHONE,
];

/// Monday 2027-03-01, 12:00 UTC.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).single().expect("instant")
}

/// The practice both tests use: a therapist, an adult and a teen group, a coordinator taking
/// consult calls, and Sam (an adult) seated in the adult group.
struct Practice {
    therapist: i64,
    group: i64,
    teen_group: i64,
    coordinator: String,
    sam: String,
    sam_id: i64,
}

async fn practice(app: &TestApp) -> Practice {
    app.clock.set(start());
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, json!({"starts_on": "2027-03-03"})).await;
    let teen_group = app
        .group(
            &admin,
            therapist,
            json!({"age_band": "teen", "topic": "parenting", "starts_on": "2027-03-03"}),
        )
        .await;
    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    let windows = app
        .client
        .put(app.url("/api/v1/me/consult-availability"))
        .bearer_auth(&coordinator)
        .json(&json!({"windows": ["tue 09:00-10:00"]}))
        .send()
        .await
        .expect("request");
    assert_eq!(windows.status(), StatusCode::NO_CONTENT);
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", BIRTH_DATE).await;
    assert_eq!(app.post_seat(&sam, group).await.status(), StatusCode::CREATED);
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    Practice { therapist, group, teen_group, coordinator, sam, sam_id }
}

/// Everything Sam's answers and details should show, through the HTTP API and the pages.
async fn the_app_shows_everything(app: &TestApp, p: &Practice) {
    // Signed in afresh: the clock has moved on past the first sessions.
    let (admin, coordinator, sam) = (
        app.token("admin@example.org", PASSWORD).await,
        app.token("coord@example.org", PASSWORD).await,
        app.token("sam@example.org", PASSWORD).await,
    );
    // Scores, bands and the risk, for the client and their care team.
    let lead = app.token("t@example.org", PASSWORD).await;
    let measures = app.get_json(&lead, &format!("/clients/{}/measures", p.sam_id)).await;
    let seen: Vec<(&str, Option<i64>, Option<&str>, bool)> = measures
        .as_array()
        .expect("measures")
        .iter()
        .map(|m| {
            (
                m["instrument"].as_str().expect("instrument"),
                m["total"].as_i64(),
                m["severity"].as_str(),
                m["risk"].as_bool().expect("risk"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("phq9", Some(20), Some("severe"), true),
            ("gad7", Some(16), Some("severe"), false),
            ("asq", None, Some("acute-positive"), true),
            ("phq9", Some(5), Some("mild"), false),
            ("gad7", Some(2), Some("minimal"), false),
        ]
    );

    // The risk queue, acute first, with its levels.
    let queue = app.get_json(&coordinator, "/risk-flags").await;
    let levels: Vec<(&str, bool)> = queue
        .as_array()
        .expect("queue")
        .iter()
        .map(|f| (f["level"].as_str().expect("level"), f["acknowledged_at"].is_null()))
        .collect();
    assert_eq!(levels, [("acute", true), ("self_harm_thoughts", true)]);

    // The outcome report: eligible at baseline (PHQ-9 20, GAD-7 16), reliably improved.
    let report =
        app.get_json(&admin, &format!("/reports/outcomes?weeks=8&group={}", p.group)).await;
    assert_eq!(
        (report["eligible"].as_i64(), report["reliably_improved"].as_i64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let by_therapist =
        app.get_json(&admin, &format!("/reports/outcomes?weeks=8&therapist={}", p.therapist)).await;
    assert_eq!(by_therapist["eligible"], 1);

    // The phone number, for the client and the coordinator taking the call.
    let calls = app.get_json(&sam, "/consults").await;
    assert_eq!(calls[0]["phone"], PHONE, "{calls}");
    let theirs = app.get_json(&coordinator, "/consults").await;
    assert_eq!(theirs[0]["phone"], PHONE, "{theirs}");

    // The birth date: an adult group admits Sam, a teen group refuses by age (not as unknown).
    let teen: Value = app.post_seat(&sam, p.teen_group).await.json().await.expect("json");
    assert_eq!(teen["error"], "age_band", "{teen}");

    // The therapist's roster trend and the client's progress chart.
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let roster = app.get_page("/therapist/groups").await.text().await.expect("html");
    assert!(roster.contains("5 (down 15 since the first)"), "{roster}");
    assert!(roster.contains("2 (down 14 since the first)"), "{roster}");
    app.submit_form("/dashboard", "/logout", &[]).await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    let progress =
        app.get_page(&format!("/clients/{}/progress", p.sam_id)).await.text().await.expect("html");
    assert!(progress.contains("first 20, latest 5"), "{progress}");
    assert!(progress.contains("<td>20</td><td>severe</td>"), "{progress}");
}

/// Reads the database as someone holding a copy of it would: on SQLite the file and its WAL
/// (after a checkpoint), byte for byte; on PostgreSQL every row of the tables involved, as
/// text. None of [`NEVER_AT_REST`] may appear.
async fn nothing_is_plain_at_rest(app: &TestApp) {
    let found: Vec<&str> = match &app.db {
        Db::Sqlite(pool) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.expect("checkpoint");
            let path = app.database.url.trim_start_matches("sqlite://").to_owned();
            let mut bytes = std::fs::read(&path).expect("the database file");
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            NEVER_AT_REST
                .into_iter()
                .filter(|needle| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .collect()
        }
        Db::Postgres(pool) => {
            let mut text = String::new();
            for table in ["measures", "risk_flags", "users", "consult_calls", "audit_log"] {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                        .fetch_all(pool)
                        .await
                        .expect("rows");
                text.push_str(&rows.join("\n"));
            }
            NEVER_AT_REST.into_iter().filter(|needle| text.contains(needle)).collect()
        }
    };
    assert!(found.is_empty(), "found in plain text at rest: {found:?}");
}

async fn post_measure(app: &TestApp, token: &str, instrument: &str, answers: &[i64]) -> Value {
    let response = app.post_measure(token, instrument, &json!(answers)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

#[tokio::test]
async fn answers_scores_risk_levels_birth_dates_and_phones_are_sealed_at_rest_and_still_shown() {
    let app = spawn_app().await;
    let p = practice(&app).await;
    let phq9 = post_measure(&app, &p.sam, "phq9", &RISKY_PHQ9).await;
    assert_eq!((phq9["risk"].as_bool(), phq9["follow_up"].as_str()), (Some(true), Some("asq")));
    post_measure(&app, &p.sam, "gad7", &GAD7).await;
    post_measure(&app, &p.sam, "asq", &ACUTE_ASQ).await;
    app.clock.advance(Duration::weeks(6));
    let sam = app.token("sam@example.org", PASSWORD).await;
    post_measure(&app, &sam, "phq9", &LATER_PHQ9).await;
    post_measure(&app, &sam, "gad7", &LATER_GAD7).await;
    let slots = app.get_json(&sam, "/consults/slots").await;
    let booked = app
        .client
        .post(app.url("/api/v1/consults"))
        .bearer_auth(&sam)
        .json(&json!({"starts_at": slots[0]["starts_at"], "phone": PHONE}))
        .send()
        .await
        .expect("request");
    assert_eq!(booked.status(), StatusCode::CREATED);

    the_app_shows_everything(&app, &p).await;
    nothing_is_plain_at_rest(&app).await;
}

/// Runs `sql` with `binds` (text or instants) on either engine; returns the `id` it returns.
async fn insert(db: &Db, sql: &str, binds: &[Bind<'_>]) -> i64 {
    macro_rules! run {
        ($pool:expr) => {{
            let mut query = sqlx::query_scalar::<_, i64>(sql);
            for bind in binds {
                query = match bind {
                    Bind::Text(text) => query.bind(*text),
                    Bind::Int(n) => query.bind(*n),
                    Bind::At(at) => query.bind(*at),
                    Bind::Date(day) => query.bind(*day),
                };
            }
            query.fetch_one($pool).await.expect(sql)
        }};
    }
    match db {
        Db::Sqlite(pool) => run!(pool),
        Db::Postgres(pool) => run!(pool),
    }
}

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
    At(DateTime<Utc>),
    Date(chrono::NaiveDate),
}

/// A measure as versions before migration 0017 stored it, with its flag when `level` is set.
async fn insert_plain_measure(
    db: &Db,
    client: i64,
    (instrument, answers, total, severity, risk): (&str, &str, Option<i64>, &str, &str),
    at: DateTime<Utc>,
    level: Option<&str>,
) {
    let total = total.map_or_else(|| "NULL".to_owned(), |t| t.to_string());
    let id = insert(
        db,
        &format!(
            "INSERT INTO measures (client_id, instrument, answers, total, severity, subscales, risk, taken_at) \
             VALUES ($1, $2, $3, {total}, $4, '[]', $5, $6) RETURNING id"
        ),
        &[
            Bind::Int(client),
            Bind::Text(instrument),
            Bind::Text(answers),
            Bind::Text(severity),
            Bind::Text(risk),
            Bind::At(at),
        ],
    )
    .await;
    if let Some(level) = level {
        insert(
            db,
            "INSERT INTO risk_flags (client_id, measure_id, level, raised_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[Bind::Int(client), Bind::Int(id), Bind::Text(level), Bind::At(at)],
        )
        .await;
    }
}

#[tokio::test]
async fn fields_an_earlier_version_stored_plain_are_sealed_at_start_up_and_read_as_before() {
    let app = spawn_app().await;
    let p = practice(&app).await;
    let db = app.db.clone();
    // As the code before migration 0017 wrote them: the birth date, a consult call's phone
    // number, the measures and their flags, all plain.
    let coordinator = app.get_json(&p.coordinator, "/me").await["id"].as_i64().expect("id");
    insert(
        &db,
        "UPDATE users SET birth_date = $1, birth_date_sealed = NULL WHERE id = $2 RETURNING id",
        &[Bind::Date(BIRTH_DATE.parse().expect("a date")), Bind::Int(p.sam_id)],
    )
    .await;
    insert(
        &db,
        "INSERT INTO consult_calls (client_id, coordinator_id, starts_at, phone, status, created_at) \
         VALUES ($1, $2, $3, $4, 'booked', $5) RETURNING id",
        &[
            Bind::Int(p.sam_id),
            Bind::Int(coordinator),
            Bind::At(start() + Duration::weeks(6) + Duration::days(1)),
            Bind::Text(PHONE),
            Bind::At(start()),
        ],
    )
    .await;
    let now = start();
    let plain = [
        (
            ("phq9", "[3,2,3,1,2,3,1,2,3]", Some(20), "severe", "self-harm-thoughts"),
            Some("self_harm_thoughts"),
        ),
        (("gad7", "[3,3,2,2,3,2,1]", Some(16), "severe", "none"), None),
        (("asq", "[1,0,1,0,1]", None, "acute-positive", "acute-positive-screen"), Some("acute")),
    ];
    for (i, (measure, level)) in (0..).zip(plain) {
        insert_plain_measure(&db, p.sam_id, measure, now + Duration::minutes(i), level).await;
    }

    // Start-up seals them; run again, it finds nothing left.
    let sealed = app.app.seal_plain_fields().await.expect("sealing");
    assert_eq!(
        (sealed.measures, sealed.risk_levels, sealed.birth_dates, sealed.phones),
        (3, 2, 1, 1)
    );
    // Rows written plain after a first run (an interrupted upgrade, an old node) are sealed
    // by the next, and nothing twice.
    let later = now + Duration::weeks(6);
    insert_plain_measure(
        &db,
        p.sam_id,
        ("phq9", "[1,1,1,1,1,0,0,0,0]", Some(5), "mild", "none"),
        later,
        None,
    )
    .await;
    insert_plain_measure(
        &db,
        p.sam_id,
        ("gad7", "[1,1,0,0,0,0,0]", Some(2), "minimal", "none"),
        later + Duration::minutes(1),
        None,
    )
    .await;
    hearth::seal_plain_fields(&app.app).await.expect("sealing again, as `serve` does");
    assert_eq!(app.app.seal_plain_fields().await.expect("once more").total(), 0);
    app.clock.set(later + Duration::hours(1));

    the_app_shows_everything(&app, &p).await;
    nothing_is_plain_at_rest(&app).await;
}
