//! The `hearth` binary as an operator runs it.

use hearth_testkit::TestDatabase;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

const HEARTH: &str = env!("CARGO_BIN_EXE_hearth");

/// `--database-url` for a fresh database on the engine under test, and the holder keeping it.
pub(crate) async fn database() -> (TestDatabase, tempfile::TempDir) {
    (TestDatabase::from_env().await.expect("database"), tempfile::tempdir().expect("data dir"))
}

/// Makes a coordinator account per email with `hearth admin create` (one audit row each).
pub(crate) fn create_coordinators(emails: &[&str], data_dir: &std::path::Path, url: &str) {
    for email in emails {
        let args = ["admin", "create", "--email", email, "--password", "lantern orchard violet"];
        let out = hearth(&[&args[..], &["--role", "coordinator"]].concat(), data_dir, url);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

pub(crate) fn hearth(args: &[&str], data_dir: &std::path::Path, url: &str) -> std::process::Output {
    Command::new(HEARTH)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(url)
        .env("HEARTH__ARGON2__MEMORY_KIB", "1024")
        .output()
        .expect("hearth runs")
}

#[tokio::test]
async fn admin_create_makes_a_staff_account_and_refuses_bad_input_clearly() {
    let (db, dir) = database().await;
    let ok = hearth(
        &[
            "admin",
            "create",
            "--email",
            "Boss@Example.org",
            "--password",
            "lantern orchard violet",
            "--role",
            "admin",
        ],
        dir.path(),
        &db.url,
    );
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("created admin account"));

    let duplicate = hearth(
        &[
            "admin",
            "create",
            "--email",
            "boss@example.org",
            "--password",
            "lantern orchard violet",
            "--role",
            "therapist",
        ],
        dir.path(),
        &db.url,
    );
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let weak = hearth(
        &["admin", "create", "--email", "x@example.org", "--password", "short", "--role", "client"],
        dir.path(),
        &db.url,
    );
    assert_eq!(weak.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&weak.stderr);
    assert!(stderr.contains("password") && stderr.contains("role"), "{stderr}");
}

#[tokio::test]
async fn migrate_applies_the_schema_and_can_run_twice() {
    let (db, dir) = database().await;
    for _ in 0..2 {
        let out = hearth(&["migrate"], dir.path(), &db.url);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[tokio::test]
async fn audit_verify_passes_an_intact_log_and_names_the_first_edited_row() {
    let (db, dir) = database().await;
    create_coordinators(&["a@example.org", "b@example.org", "c@example.org"], dir.path(), &db.url);
    let intact = hearth(&["audit", "verify"], dir.path(), &db.url);
    assert!(intact.status.success());
    assert!(String::from_utf8_lossy(&intact.stdout).contains("intact: 3 rows"));

    // Someone with database access drops the guard and edits the second row.
    let store = hearth_store::Db::connect(&db.url).await.expect("connect");
    let second: i64 = match &store {
        hearth_store::Db::Sqlite(pool) => {
            sqlx::query("DROP TRIGGER audit_log_no_update").execute(pool).await.expect("drop");
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1")
                    .fetch_one(pool)
                    .await
                    .expect("row");
            sqlx::query("UPDATE audit_log SET detail = 'role=admin' WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .expect("edit");
            id
        }
        hearth_store::Db::Postgres(pool) => {
            sqlx::query("DROP TRIGGER audit_log_no_change ON audit_log")
                .execute(pool)
                .await
                .expect("drop");
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1")
                    .fetch_one(pool)
                    .await
                    .expect("row");
            sqlx::query("UPDATE audit_log SET detail = 'role=admin' WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .expect("edit");
            id
        }
    };
    store.close().await;
    let broken = hearth(&["audit", "verify"], dir.path(), &db.url);
    assert_eq!(broken.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert!(stdout.contains(&format!("BROKEN at row {second}")), "{stdout}");
}

#[tokio::test]
async fn serve_on_port_zero_prints_its_address_answers_and_stops_on_sigterm() {
    let (db, dir) = database().await;
    let mut child = Command::new(HEARTH)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url, "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    let url = line.trim().strip_prefix("listening on ").expect("the listening line").to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");

    let health = reqwest::get(format!("{url}/healthz")).await.expect("request");
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status =
        tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "a graceful shutdown exits 0, got {status}");
}

#[tokio::test]
async fn settings_layer_defaults_then_file_then_environment_then_flags() {
    let (db, dir) = database().await;
    // The file asks for a port that cannot be bound; the environment overrides it with
    // port 0, so the server starts. The file's database URL is used (no flag given).
    let file = dir.path().join("hearth.toml");
    std::fs::write(&file, format!("bind = \"256.0.0.1:1\"\ndatabase_url = \"{}\"\n", db.url))
        .expect("settings file");
    let mut child = Command::new(HEARTH)
        .args(["serve", "--config"])
        .arg(&file)
        .env("HEARTH__BIND", "127.0.0.1:0")
        .env("HEARTH__LOG__JSON", "true")
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
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    assert!(output.status.success());
    // HEARTH__LOG__JSON=true: every log line on stderr is a JSON object.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.lines().all(|l| l.starts_with('{')), "{stderr}");
    assert!(stderr.contains(r#""message":"serving""#), "{stderr}");

    // A flag beats the environment: --bind with an unbindable address fails clearly.
    let refused = Command::new(HEARTH)
        .args(["serve", "--config"])
        .arg(&file)
        .args(["--bind", "256.0.0.1:1"])
        .env("HEARTH__BIND", "127.0.0.1:0")
        .output()
        .expect("hearth runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("binding 256.0.0.1:1"));
}

#[tokio::test]
async fn bench_match_solves_a_dimacs_placement_and_refuses_other_shapes_by_line() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("small.dimacs");
    let made = Command::new(HEARTH)
        .args(["bench", "match", "--generate", "200,10,4,15,7", "--out"])
        .arg(&file)
        .output()
        .expect("hearth runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let solved = Command::new(HEARTH)
        .args(["bench", "match", "--dimacs"])
        .arg(&file)
        .output()
        .expect("hearth runs");
    let line = String::from_utf8_lossy(&solved.stdout).to_string();
    assert!(line.starts_with("cost=") && line.contains(" solve="), "{line}");

    let bad = dir.path().join("bad.dimacs");
    std::fs::write(&bad, "p min 3 1\nn 1 1\nn 3 -1\na 3 1 0 1 5\n").expect("write");
    let refused = Command::new(HEARTH)
        .args(["bench", "match", "--dimacs"])
        .arg(&bad)
        .output()
        .expect("hearth runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("line "),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[tokio::test]
async fn admin_create_with_a_totp_secret_enrols_it_and_refuses_a_bad_one_before_making_anything() {
    use crate::second_factor::{SECRET, code_at};
    use hearth_app::{AppError, LoginAttempt};
    use hearth_domain::SessionKind;

    let (db, dir) = database().await;
    let create = |email: &str, secret: &str| {
        hearth(
            &[
                "admin",
                "create",
                "--email",
                email,
                "--password",
                "lantern orchard violet",
                "--role",
                "therapist",
                "--totp-secret",
                secret,
            ],
            dir.path(),
            &db.url,
        )
    };
    let bad = create("short@example.org", "JBSWY3DPEHPK3PXP");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("128 bits"));

    let ok = create("t@example.org", SECRET);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(stdout.contains("two-factor sign-in is on"), "{stdout}");

    let settings = hearth::Settings {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        ..hearth::Settings::default()
    };
    let store = hearth::open_database(&settings).await.expect("opens");
    let app = hearth::build_app(&settings, store.clone(), hearth::system_clock()).expect("app");
    let attempt = |email: &'static str, totp: Option<&'static str>| LoginAttempt {
        email,
        password: "lantern orchard violet",
        kind: SessionKind::Api,
        user_agent: "test",
        ip: "127.0.0.1",
        device: None,
        totp,
    };
    assert!(matches!(
        app.log_in(&attempt("short@example.org", None)).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        app.log_in(&attempt("t@example.org", None)).await,
        Err(AppError::SecondFactorRequired)
    ));
    let code: &'static str = Box::leak(code_at(SECRET, chrono::Utc::now()).into_boxed_str());
    let signed_in = app.log_in(&attempt("t@example.org", Some(code))).await.expect("signed in");
    assert!(!signed_in.enrol_only);
    store.close().await;
}
