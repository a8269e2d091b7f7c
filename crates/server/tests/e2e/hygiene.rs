//! Defects found by attacking a running server: HSTS, CSRF tokens bound to the session,
//! private database and key files, durable SQLite commits.

use reqwest::{Response, StatusCode};
use std::collections::BTreeMap;

use crate::helpers::{PASSWORD, TestApp, csrf_from, spawn_app, spawn_app_with};

const HSTS: &str = "max-age=63072000; includeSubDomains";

#[tokio::test]
async fn with_secure_cookies_every_response_tells_browsers_to_use_https_only() {
    let app = spawn_app_with(|s| s.secure_cookies = true).await;
    for path in ["/", "/login", "/static/app.css", "/api/v1/openapi.json", "/healthz", "/nowhere"] {
        let response = app.get_page(path).await;
        assert_eq!(response.headers()["strict-transport-security"], HSTS, "{path}");
    }
}

#[tokio::test]
async fn without_secure_cookies_no_response_claims_https() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/static/app.css", "/healthz"] {
        let response = app.get_page(path).await;
        assert!(response.headers().get("strict-transport-security").is_none(), "{path}");
    }
}

/// A browser whose cookies the test holds, so it can hand one person's to another.
#[derive(Clone, Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, response: &Response) {
        for raw in response.headers().get_all("set-cookie") {
            let raw = raw.to_str().expect("ascii");
            let pair = raw.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || raw.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn csrf(&self) -> String {
        self.0["hearth_csrf"].clone()
    }

    fn with_csrf(&self, value: &str) -> Jar {
        let mut other = self.clone();
        other.0.insert("hearth_csrf".to_owned(), value.to_owned());
        other
    }
}

/// A client that sends only the cookies of a `Jar`.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// GETs `path` with the jar's cookies, keeps the ones set, returns the page's CSRF token.
async fn token_of(app: &TestApp, jar: &mut Jar, path: &str) -> String {
    let response = bare_client()
        .get(app.url(path))
        .header("cookie", jar.header())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    jar.keep(&response);
    csrf_from(&response.text().await.expect("html"))
}

async fn post(app: &TestApp, jar: &Jar, path: &str, fields: &[(&str, &str)]) -> Response {
    bare_client()
        .post(app.url(path))
        .header("cookie", jar.header())
        .form(fields)
        .send()
        .await
        .expect("request")
}

/// Logs `email` in through the login form in a fresh jar.
async fn logged_in(app: &TestApp, email: &str) -> Jar {
    let mut jar = Jar::default();
    let token = token_of(app, &mut jar, "/login").await;
    let response =
        post(app, &jar, "/login", &[("csrf", &token), ("email", email), ("password", PASSWORD)])
            .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
    jar.keep(&response);
    jar
}

async fn is_signed_in(app: &TestApp, jar: &Jar) -> bool {
    let response = bare_client()
        .get(app.url("/dashboard"))
        .header("cookie", jar.header())
        .send()
        .await
        .expect("request");
    response.status() == StatusCode::OK
}

#[tokio::test]
async fn a_csrf_cookie_and_token_taken_from_one_session_are_refused_beside_another_session() {
    let app = spawn_app().await;
    app.sign_up("ana@example.org").await;
    app.sign_up("ben@example.org").await;
    let mut ana = logged_in(&app, "ana@example.org").await;
    let ana_token = token_of(&app, &mut ana, "/account").await;
    let mut ben = logged_in(&app, "ben@example.org").await;

    // Ana's CSRF cookie tossed into Ben's browser, and a form carrying Ana's token.
    let tossed = ben.with_csrf(&ana.csrf());
    let response = post(&app, &tossed, "/logout", &[("csrf", &ana_token)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(is_signed_in(&app, &ben).await, "Ben's session was not ended by the forged form");

    // Ben's own page's token works.
    let ben_token = token_of(&app, &mut ben, "/account").await;
    let response = post(&app, &ben, "/logout", &[("csrf", &ben_token)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!is_signed_in(&app, &ben).await);
}

#[tokio::test]
async fn an_anonymous_visitors_csrf_cookie_and_token_are_refused_beside_a_session() {
    let app = spawn_app().await;
    app.sign_up("ben@example.org").await;
    let mut stranger = Jar::default();
    let stranger_token = token_of(&app, &mut stranger, "/login").await;
    let ben = logged_in(&app, "ben@example.org").await;

    let tossed = ben.with_csrf(&stranger.csrf());
    let response = post(&app, &tossed, "/logout", &[("csrf", &stranger_token)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(is_signed_in(&app, &ben).await);
}

#[tokio::test]
async fn logging_in_and_out_replaces_the_csrf_cookie_and_earlier_tokens_stop_working() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let mut jar = Jar::default();
    let before_login = token_of(&app, &mut jar, "/login").await;
    let anonymous_cookie = jar.csrf();
    let response = post(
        &app,
        &jar,
        "/login",
        &[("csrf", &before_login), ("email", "sam@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    jar.keep(&response);
    assert_ne!(jar.csrf(), anonymous_cookie, "the login sets a new CSRF cookie");

    // The pre-login token, with the new cookie or with the old one kept back.
    for cookies in [jar.clone(), jar.with_csrf(&anonymous_cookie)] {
        let response = post(&app, &cookies, "/logout", &[("csrf", &before_login)]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    assert!(is_signed_in(&app, &jar).await);

    let signed_in = token_of(&app, &mut jar, "/dashboard").await;
    let signed_in_cookie = jar.csrf();
    let response = post(&app, &jar, "/logout", &[("csrf", &signed_in)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    jar.keep(&response);
    assert_ne!(jar.csrf(), signed_in_cookie, "the logout sets a new CSRF cookie");
    assert!(!is_signed_in(&app, &jar).await);

    let login = [("email", "sam@example.org"), ("password", PASSWORD)];
    let response =
        post(&app, &jar, "/login", &[&[("csrf", signed_in.as_str())], &login[..]].concat()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "the session's token after logout");
    let fresh = token_of(&app, &mut jar, "/login").await;
    let response =
        post(&app, &jar, "/login", &[&[("csrf", fresh.as_str())], &login[..]].concat()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sqlite_commits_wait_until_they_are_on_disk() {
    let app = spawn_app().await;
    let hearth_store::Db::Sqlite(pool) = &app.db else {
        return; // PostgreSQL: fsync is on by default and Hearth does not turn it off.
    };
    // Every connection of the pool, not only the first.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.acquire().await.expect("connection");
        let level: i64 =
            sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.expect("pragma");
        assert_eq!(level, 2, "synchronous=FULL");
        held.push(conn);
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_database_files_and_key_file_are_private_to_hearths_user() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let data = scratch.path().join("data");
    let data_dir = data.clone();
    let app = spawn_app_with(move |s| {
        s.data_dir = data_dir;
        s.database_url = None;
        s.encryption.keys = Vec::new();
    })
    .await;
    app.sign_up("sam@example.org").await;
    assert_eq!(mode(&data), 0o700, "data directory");
    for file in ["hearth.db", "hearth.db-wal", "hearth.db-shm", "encryption.keys"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn database_and_key_files_left_readable_by_others_are_made_private_on_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let scratch = tempfile::tempdir().expect("temp dir");
    let settings =
        hearth::Settings { data_dir: scratch.path().to_owned(), ..hearth::Settings::default() };
    let key_file = scratch.path().join("encryption.keys");
    std::fs::write(&key_file, format!("{}\n", hearth_app::Vault::generate_key("old")))
        .expect("key");
    let first = hearth::open_database(&settings).await.expect("opens");
    first.ping().await.expect("ping");
    let files: Vec<_> = ["hearth.db", "hearth.db-wal", "hearth.db-shm"]
        .iter()
        .map(|f| scratch.path().join(f))
        .chain([key_file.clone()])
        .collect();
    for file in &files {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }

    // A second start (the first pool still open, as on a node beside another).
    let second = hearth::open_database(&settings).await.expect("opens again");
    hearth::load_vault(&settings).expect("keys load");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    second.close().await;
    first.close().await;
}
