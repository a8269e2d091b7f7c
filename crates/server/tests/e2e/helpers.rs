use chrono::Utc;
use hearth::{Settings, build_app, open_database};
use hearth_app::{App, ManualClock, NewStaff};
use hearth_domain::UserId;
use hearth_testkit::TestDatabase;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub const PASSWORD: &str = "lantern orchard violet";

/// A running Hearth with its own database, clock and HTTP client.
pub struct TestApp {
    pub base: String,
    pub app: App,
    /// The database the app was built over, for what a test checks or breaks underneath it.
    pub db: hearth_store::Db,
    pub clock: ManualClock,
    /// Follows no redirects and keeps cookies, like a browser a test can inspect.
    pub client: reqwest::Client,
    #[allow(dead_code, reason = "kept alive: dropping it drops the database")]
    pub database: TestDatabase,
    /// The data directory (the audit checkpoint file lives there), removed with the app.
    #[allow(dead_code, reason = "kept alive: dropping it removes the directory")]
    pub data_dir: tempfile::TempDir,
    /// Every `(METHOD, /path)` the server routes, read from its router.
    pub routes: std::collections::BTreeSet<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::from_env().await.expect("a fresh test database");
    let data_dir = tempfile::tempdir().expect("a data directory");
    let mut settings = Settings {
        bind: "127.0.0.1:0".to_owned(),
        data_dir: data_dir.path().to_owned(),
        database_url: Some(database.url.clone()),
        secure_cookies: false,
        ..Settings::default()
    };
    // Cheap hashing keeps the suite fast; production parameters are measured in BENCHMARKS.md.
    settings.argon2.memory_kib = 1024;
    settings.argon2.iterations = 1;
    settings.encryption.keys = vec![hearth_app::Vault::generate_key("test").into()];
    // Staff tests sign in with a password alone; the second-factor tests set `Required`.
    settings.auth.staff_second_factor = hearth_app::SecondFactorPolicy::Optional;
    configure(&mut settings);
    let clock = ManualClock::new(Utc::now());
    hearth::ensure_key_file(&settings).expect("the key file, as `serve` makes it");
    let db = open_database(&settings).await.expect("database opens and migrates");
    let app = build_app(&settings, db.clone(), Arc::new(clock.clone())).expect("app builds");
    hearth::seal_plain_fields(&app).await.expect("start-up sealing, as `serve` runs it");
    let server = hearth::Server::bind(&settings, db.clone(), app.clone()).await.expect("binds");
    let base = format!("http://{}", server.addr);
    let routes = server.routes();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp { base, app, db, clock, client, database, data_dir, routes, shutdown: Some(stop) }
}

/// A valid sign-up body; tests change one field at a time.
pub fn client_body(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "display_name": "Sam",
        "timezone": "America/Chicago",
        "region": "US-IL",
        "birth_date": "1990-05-01",
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_clients(&self, body: &Value) -> Response {
        self.client.post(self.url("/api/v1/clients")).json(body).send().await.expect("request")
    }

    pub async fn post_session(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_me(&self, token: &str) -> Response {
        self.client.get(self.url("/api/v1/me")).bearer_auth(token).send().await.expect("request")
    }

    pub async fn get_sessions(&self, token: &str) -> Response {
        self.client
            .get(self.url("/api/v1/sessions"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_session(&self, token: &str) -> Response {
        self.client
            .delete(self.url("/api/v1/session"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_invite(&self, token: &str, email: &str, role: &str) -> Response {
        self.client
            .post(self.url("/api/v1/invites"))
            .bearer_auth(token)
            .json(&json!({"email": email, "role": role}))
            .send()
            .await
            .expect("request")
    }

    /// Signs up a client through the API and returns their id.
    pub async fn sign_up(&self, email: &str) -> i64 {
        let response = self.post_clients(&client_body(email)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "sign-up of {email}");
        response.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
    }

    /// Logs in through the API and returns the bearer token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let response = self.post_session(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        response.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
    }

    /// Creates a staff account directly, as `hearth admin create` does.
    pub async fn create_staff(&self, email: &str, role: &str) -> UserId {
        self.app
            .create_staff(&NewStaff {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
                role: role.to_owned(),
                display_name: Some("Staff Member".to_owned()),
                timezone: Some("America/Denver".to_owned()),
            })
            .await
            .expect("staff account")
    }

    /// GETs a page with the cookie-keeping client.
    pub async fn get_page(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// Loads `form_page`, then posts `fields` to `action` with the page's CSRF token.
    pub async fn submit_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let html = self.get_page(form_page).await.text().await.expect("html");
        let token = csrf_from(&html);
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.client.post(self.url(action)).form(&all).send().await.expect("request")
    }

    /// Logs in through the login form; the client keeps the session cookie.
    pub async fn log_in_with_form(&self, email: &str, password: &str) -> Response {
        self.submit_form("/login", "/login", &[("email", email), ("password", password)]).await
    }

    pub async fn count_users(&self) -> i64 {
        let mut total = 0;
        for role in hearth_domain::Role::ALL {
            total += self.app.count_users(role).await.expect("count");
        }
        total
    }
}

/// The CSRF token a page put in its forms.
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

impl TestApp {
    /// An admin account and its API token.
    pub async fn admin_token(&self) -> String {
        self.create_staff("admin@example.org", "admin").await;
        self.token("admin@example.org", PASSWORD).await
    }

    pub async fn post_therapist(&self, admin: &str, body: &Value) -> Response {
        self.client
            .post(self.url("/api/v1/therapists"))
            .bearer_auth(admin)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A therapist in `timezone` licensed in each `(region, expires_on)`.
    pub async fn therapist(
        &self,
        admin: &str,
        email: &str,
        timezone: &str,
        licenses: &[(&str, &str)],
    ) -> i64 {
        let licenses: Vec<Value> = licenses
            .iter()
            .enumerate()
            .map(|(i, (region, expires))| {
                json!({"region": region, "kind": "LCSW", "number": format!("L-{i}"), "expires_on": expires})
            })
            .collect();
        let body = json!({
            "email": email, "password": PASSWORD, "display_name": "Dr. Rivera", "timezone": timezone,
            "licenses": licenses, "specialties": ["anxiety-depression"], "years_of_practice": 9,
            "bio": "Group therapist.",
        });
        let response = self.post_therapist(admin, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "therapist {email}");
        response.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
    }

    pub async fn post_group(&self, admin: &str, body: &Value) -> Response {
        self.client
            .post(self.url("/api/v1/groups"))
            .bearer_auth(admin)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A group led by `therapist`, changed by `changes` from a Wednesday-evening adult group.
    /// Without a `starts_on` of its own it starts on the first of its weekdays on or after the
    /// test clock's today in the group's zone (a first meeting in the past is refused).
    pub async fn group(&self, admin: &str, therapist: i64, changes: Value) -> i64 {
        let mut body = json!({
            "topic": "anxiety-depression", "therapist_id": therapist, "weekday": "wed",
            "local_time": "18:00", "capacity": 10, "age_band": "adult",
        });
        for (k, v) in changes.as_object().expect("object") {
            body[k] = v.clone();
        }
        if changes.get("starts_on").is_none() {
            let weekday = body["weekday"]
                .as_str()
                .and_then(|day| hearth_domain::parse_weekday(day).ok())
                .unwrap_or(chrono::Weekday::Wed);
            let mut first = self.today_in(therapist, body["timezone"].as_str()).await;
            while chrono::Datelike::weekday(&first) != weekday {
                first = first.succ_opt().expect("a next day");
            }
            body["starts_on"] = json!(first.to_string());
        }
        let response = self.post_group(admin, &body).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::CREATED, "group {body}: {text}");
        let created: Value = serde_json::from_str(&text).expect("json");
        created["id"].as_i64().expect("id")
    }

    /// A client living in `region` and `timezone`, born on `birth_date`; returns their token.
    pub async fn client_in(
        &self,
        email: &str,
        region: &str,
        timezone: &str,
        birth_date: &str,
    ) -> String {
        let mut body = client_body(email);
        body["region"] = json!(region);
        body["timezone"] = json!(timezone);
        body["birth_date"] = json!(birth_date);
        let response = self.post_clients(&body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "sign-up of {email}");
        self.token(email, PASSWORD).await
    }

    pub async fn post_seat(&self, token: &str, group: i64) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/groups/{group}/seats")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_seat(&self, token: &str, group: i64) -> Response {
        self.client
            .delete(self.url(&format!("/api/v1/groups/{group}/seats/me")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// POSTs to `/api/v1{path}` with an empty body.
    pub async fn post_empty(&self, token: &str, path: &str) -> Response {
        self.client
            .post(self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("json")
    }

    pub async fn get_group(&self, token: &str, group: i64) -> Value {
        self.get_json(token, &format!("/groups/{group}")).await
    }
}

impl TestApp {
    /// The newest audit rows (up to 500) as `(action, detail)`, newest first.
    pub async fn audit_log(&self) -> Vec<(String, String)> {
        let rows = self.db.list_audit(None, 500).await.expect("the audit log reads");
        rows.into_iter().map(|r| (r.action, r.detail)).collect()
    }

    /// The actions of [`TestApp::audit_log`].
    pub async fn audit_actions(&self) -> Vec<String> {
        self.audit_log().await.into_iter().map(|(action, _)| action).collect()
    }

    /// The test clock's today in `timezone`, or else in the zone of the user `fallback_user`.
    pub async fn today_in(&self, fallback_user: i64, timezone: Option<&str>) -> chrono::NaiveDate {
        let zone = match timezone.and_then(|raw| hearth_domain::TimeZone::parse(raw).ok()) {
            Some(zone) => zone,
            None => self
                .db
                .find_user(UserId::new(fallback_user))
                .await
                .expect("user lookup")
                .map_or(hearth_domain::TimeZone::parse("UTC").expect("UTC"), |u| u.timezone),
        };
        self.clock_now().with_timezone(&zone.tz()).date_naive()
    }

    /// The app's current (test-controlled) time.
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use hearth_app::Clock as _;
        self.clock.now()
    }
}

impl TestApp {
    /// A completed intake for the client behind `token`, with these topics and weekly windows.
    pub async fn submit_intake(&self, token: &str, topics: &[&str], availability: &[&str]) {
        let body = json!({
            "reasons": "Looking for a group.", "topics": topics, "availability": availability,
            "emergency_contact_name": "Alex", "emergency_contact_phone": "312 555 0100",
            "consent_version": hearth_domain::CONSENT_VERSION, "telehealth_consent": true, "group_agreement": true,
        });
        let saved = self
            .client
            .put(self.url("/api/v1/me/intake"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(saved.status(), StatusCode::NO_CONTENT, "intake");
    }
}

impl TestApp {
    /// Takes away the audit log's head row. Every append locks that row first, so from now
    /// on no audit row can be written, until [`TestApp::restore_audit_head`].
    pub async fn remove_audit_head(&self) {
        assert_eq!(self.execute("DELETE FROM audit_head").await, 1, "the head row is removed");
    }

    /// Puts the head row back as it was: the rows there are, and the newest one's hash.
    pub async fn restore_audit_head(&self) {
        let sql = "INSERT INTO audit_head (id, count, last_hash) \
                   SELECT 1, COUNT(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) \
                   FROM audit_log";
        assert_eq!(self.execute(sql).await, 1, "the head row is back");
    }

    /// Runs one statement on the app's database; returns the rows it touched.
    async fn execute(&self, sql: &str) -> u64 {
        let done = match &self.db {
            hearth_store::Db::Sqlite(pool) => {
                sqlx::query(sql).execute(pool).await.map(|d| d.rows_affected())
            }
            hearth_store::Db::Postgres(pool) => {
                sqlx::query(sql).execute(pool).await.map(|d| d.rows_affected())
            }
        };
        done.expect("the statement runs")
    }

    /// Posts `fields` to `action` with a CSRF token fetched earlier for this session.
    pub async fn post_form(&self, action: &str, csrf: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf)];
        all.extend_from_slice(fields);
        self.client.post(self.url(action)).form(&all).send().await.expect("request")
    }
}

/// A cookie-keeping browser, signed in as `email` (or not at all), with its CSRF token.
pub struct Browser {
    pub client: reqwest::Client,
    pub csrf: String,
}

pub async fn signed_in(app: &TestApp, email: Option<&str>) -> Browser {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client.get(app.url("/login")).send().await.expect("login page");
    let csrf = csrf_from(&login.text().await.expect("html"));
    if let Some(email) = email {
        let done = client
            .post(app.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", PASSWORD)])
            .send()
            .await
            .expect("login");
        assert!(done.status().is_redirection(), "{email} logs in: {}", done.status());
    }
    let page = client.get(app.url("/account")).send().await.expect("account");
    let csrf = if page.status() == StatusCode::OK {
        csrf_from(&page.text().await.expect("html"))
    } else {
        csrf
    };
    Browser { client, csrf }
}
