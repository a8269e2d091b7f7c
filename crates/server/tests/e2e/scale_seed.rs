//! The demo practice seeded at scale (what `hearth bench practice` serves, small here) loads,
//! and every page of each demo role's navigation answers on it, as do pages that open what
//! the bulk load sealed (a seeded client's own pages, a client summary with intake and
//! check-ins, the risk queue).

use hearth::scale::{Scale, seed};
use hearth_store::Db;
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

const ROLES: [&str; 4] = ["client", "therapist", "coordinator", "admin"];

async fn count(db: &Db, sql: &str, bind: i64) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(bind).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(bind).fetch_one(pool).await,
    }
    .expect("a count")
}

async fn user_id(db: &Db, email: &str) -> i64 {
    let sql = "SELECT id FROM users WHERE email_normalized = $1";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(email).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(email).fetch_one(pool).await,
    }
    .expect("the account")
}

/// GETs `path` signed in with `token` (as the session cookie, like `bench/pages.sh`),
/// following redirects (`/my/plan` leads to the client's own plan); returns the status and
/// the body.
async fn page(t: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let client = reqwest::Client::new();
    let response = client
        .get(t.url(path))
        .header("cookie", format!("hearth_session={token}"))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The links of the main navigation.
fn navigation(html: &str) -> Vec<String> {
    let start = html.find("<nav aria-label=\"Main\">").expect("the main navigation");
    let nav = &html[start..start + html[start..].find("</nav>").expect("its end")];
    let mut links: Vec<String> = nav
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with('/'))
        .map(str::to_owned)
        .collect();
    links.sort();
    links.dedup();
    links
}

#[tokio::test]
async fn every_demo_role_reaches_every_page_of_its_navigation_in_the_practice_at_scale() {
    let t = spawn_app().await;
    let db = t.db.clone();
    hearth::demo::seed(&t.app, &db).await.expect("the demo");
    let scale = Scale { clients: 2000, groups: 100 };
    let seeded = seed(&t.app, &db, scale).await.expect("seeding at scale").expect("a fresh seed");
    hearth::demo::session_about_to_start(&t.app, &db).await.expect("the demo session");
    assert!(seed(&t.app, &db, scale).await.expect("seeding again").is_none(), "seeded twice");
    assert_eq!((seeded.clients, seeded.groups), (2000, 100));
    assert!(seeded.seated > 800 && seeded.waiting > 0 && seeded.unplaced > 0, "{seeded}");
    assert!(seeded.measures > 5000 && seeded.risk_flags > 0, "{seeded}");

    // The demo logins sit inside it.
    let therapist = user_id(&db, "therapist@demo.hearth.example").await;
    let coordinator = user_id(&db, "coordinator@demo.hearth.example").await;
    let led = count(&db, "SELECT COUNT(*) FROM groups WHERE therapist_id = $1", therapist).await;
    assert!(led >= 12, "the demo therapist leads {led} groups");
    let assigned =
        count(&db, "SELECT COUNT(*) FROM care_assignments WHERE coordinator_id = $1", coordinator)
            .await;
    assert_eq!(usize::try_from(assigned).expect("a count"), seeded.assigned_to_demo_coordinator);
    assert!(assigned > 800, "the demo coordinator has {assigned} clients");

    for role in ROLES {
        let token =
            t.token(&format!("{role}@demo.hearth.example"), hearth::demo::DEMO_PASSWORD).await;
        let (status, dashboard) = page(&t, &token, "/dashboard").await;
        assert_eq!(status, StatusCode::OK, "{role} /dashboard");
        let links = navigation(&dashboard);
        assert!(links.len() >= 5, "{role}'s navigation: {links:?}");
        for link in links {
            let (status, _) = page(&t, &token, &link).await;
            assert_eq!(status, StatusCode::OK, "{role} {link}");
        }
    }

    // What the bulk load sealed opens: a seeded client's own pages (birth date, check-ins),
    // and their summary (intake, check-ins) for the coordinator who took them on.
    let member = user_id(&db, "client1@scale.hearth.example").await;
    let token = t.token("client1@scale.hearth.example", hearth::demo::DEMO_PASSWORD).await;
    for path in ["/dashboard", "/groups", "/my/groups", "/my/progress", "/my/plan"] {
        let (status, _) = page(&t, &token, path).await;
        assert_eq!(status, StatusCode::OK, "seeded client {path}");
    }
    let assigned_to =
        count(&db, "SELECT coordinator_id FROM care_assignments WHERE client_id = $1", member)
            .await;
    assert_eq!(assigned_to, coordinator);
    let token = t.token("coordinator@demo.hearth.example", hearth::demo::DEMO_PASSWORD).await;
    let (status, summary) = page(&t, &token, &format!("/clients/{member}")).await;
    assert_eq!(status, StatusCode::OK, "the summary of a seeded client");
    assert!(summary.contains("Low mood for months"), "the summary opens the intake");
    let score = summary.split("PHQ-9: ").nth(1).expect("the latest scores");
    assert!(score.starts_with(|c: char| c.is_ascii_digit()), "the latest PHQ-9 opens: {score:.40}");
}
