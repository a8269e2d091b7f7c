//! Staff two-factor sign-in against the real server: the API's `totp`, replays, recovery
//! codes, throttled guessing, the browser's code step, and the enrol-only session under
//! `auth.staff_second_factor = required`.

use chrono::{DateTime, Duration, Utc};
use hearth_app::{Clock as _, SecondFactorPolicy};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, csrf_from, spawn_app, spawn_app_with};

/// 160 bits, as authenticator apps are given them.
pub const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The code an authenticator app shows for `secret` at `at`.
pub fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().expect("base32");
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "t".to_owned())
        .expect("totp");
    totp.generate(u64::try_from(at.timestamp()).expect("after 1970"))
}

impl TestApp {
    pub async fn post_session_with_code(
        &self,
        email: &str,
        password: &str,
        totp: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/session"))
            .json(&json!({"email": email, "password": password, "totp": totp}))
            .send()
            .await
            .expect("request")
    }

    /// A staff account with [`SECRET`] enrolled; returns its recovery codes.
    async fn staff_with_factor(&self, email: &str, role: &str) -> Vec<String> {
        let id = self.create_staff(email, role).await;
        self.app.enrol_second_factor_secret(id, SECRET).await.expect("enrolled")
    }

    fn code_now(&self) -> String {
        code_at(SECRET, self.clock.now())
    }

    async fn get_with(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("json");
    body["error"].as_str().unwrap_or_default().to_owned()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_api_login_to_an_account_with_a_second_factor_needs_its_current_code() {
    let app = spawn_app().await;
    app.staff_with_factor("t@example.org", "therapist").await;

    let without = app.post_session("t@example.org", PASSWORD).await;
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(without).await, "second_factor_required");

    let wrong = app.post_session_with_code("t@example.org", PASSWORD, "000000").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(wrong).await, "second_factor_required");

    // A wrong password with the right code is the plain refusal: the code is not checked.
    let bad_password =
        app.post_session_with_code("t@example.org", "wrong password here", &app.code_now()).await;
    assert_eq!(error_code(bad_password).await, "unauthenticated");

    let right = app.post_session_with_code("t@example.org", PASSWORD, &app.code_now()).await;
    assert_eq!(right.status(), StatusCode::OK);
    let body: Value = right.json().await.expect("json");
    assert_eq!(body["user"]["role"], "therapist");
    let token = body["token"].as_str().expect("token");
    assert_eq!(app.get_me(token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_that_signed_in_once_is_refused_after_that() {
    let app = spawn_app().await;
    app.staff_with_factor("t@example.org", "therapist").await;
    let code = app.code_now();
    let first = app.post_session_with_code("t@example.org", PASSWORD, &code).await;
    assert_eq!(first.status(), StatusCode::OK);

    let replayed = app.post_session_with_code("t@example.org", PASSWORD, &code).await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(replayed).await, "second_factor_required");

    // The code of the step before is older than the one used, so it is refused too.
    let earlier = code_at(SECRET, app.clock.now() - Duration::seconds(30));
    let older = app.post_session_with_code("t@example.org", PASSWORD, &earlier).await;
    assert_eq!(older.status(), StatusCode::UNAUTHORIZED);

    app.clock.advance(Duration::seconds(30));
    let next = app.post_session_with_code("t@example.org", PASSWORD, &app.code_now()).await;
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_of_the_next_or_previous_step_is_accepted_for_clock_skew() {
    let app = spawn_app().await;
    app.staff_with_factor("t@example.org", "therapist").await;
    let behind = code_at(SECRET, app.clock.now() - Duration::seconds(30));
    let ok = app.post_session_with_code("t@example.org", PASSWORD, &behind).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let ahead = code_at(SECRET, app.clock.now() + Duration::seconds(30));
    let ok = app.post_session_with_code("t@example.org", PASSWORD, &ahead).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let far = code_at(SECRET, app.clock.now() + Duration::seconds(90));
    let refused = app.post_session_with_code("t@example.org", PASSWORD, &far).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let codes = app.staff_with_factor("t@example.org", "therapist").await;
    assert_eq!(codes.len(), 10);
    let first = app.post_session_with_code("t@example.org", PASSWORD, &codes[0]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = app.post_session_with_code("t@example.org", PASSWORD, &codes[0]).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    // Typed in capitals without dashes, another one works.
    let typed = codes[1].replace('-', " ").to_uppercase();
    let other = app.post_session_with_code("t@example.org", PASSWORD, &typed).await;
    assert_eq!(other.status(), StatusCode::OK);
    let id = app
        .db
        .find_user_by_email(&hearth_domain::Email::parse("t@example.org").expect("email"))
        .await
        .expect("query")
        .expect("user")
        .id;
    assert_eq!(app.app.second_factor_status(id).await.expect("status"), Some(8));
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_do_not_count_as_a_successful_login() {
    let app = spawn_app().await;
    app.staff_with_factor("t@example.org", "therapist").await;
    for _ in 0..5 {
        let wrong = app.post_session_with_code("t@example.org", PASSWORD, "123456").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    // The right password did not clear the password's strikes: each attempt still counts.
    let strikes =
        app.db.find_login_strikes("account:t@example.org").await.expect("query").expect("recorded");
    assert_eq!(strikes.count, 5);
    let id = app
        .db
        .find_user_by_email(&hearth_domain::Email::parse("t@example.org").expect("email"))
        .await
        .expect("query")
        .expect("user")
        .id;
    let code_strikes = app
        .db
        .find_login_strikes(&format!("second_factor:{id}"))
        .await
        .expect("query")
        .expect("recorded");
    assert_eq!(code_strikes.count, 5);
    assert!(code_strikes.blocked_until.is_some(), "the fifth wrong code starts a wait");

    let throttled = app.post_session_with_code("t@example.org", PASSWORD, &app.code_now()).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key(header::RETRY_AFTER));

    app.clock.advance(Duration::seconds(31));
    let ok = app.post_session_with_code("t@example.org", PASSWORD, &app.code_now()).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let cleared = app.db.find_login_strikes("account:t@example.org").await.expect("q");
    assert_eq!(cleared.map(|s| s.count), Some(0));
}

#[tokio::test]
async fn wrong_codes_at_the_browser_code_step_are_throttled_on_the_account() {
    let app = spawn_app().await;
    app.staff_with_factor("t@example.org", "therapist").await;
    let login = app.log_in_with_form("t@example.org", PASSWORD).await;
    assert!(location(&login).starts_with("/login/code"), "{}", location(&login));
    for _ in 0..5 {
        let wrong = app.submit_form("/login/code", "/login/code", &[("code", "123456")]).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let throttled =
        app.submit_form("/login/code", "/login/code", &[("code", &app.code_now())]).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    // Starting over with the password does not reset the code's throttle.
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let still = app.submit_form("/login/code", "/login/code", &[("code", &app.code_now())]).await;
    assert_eq!(still.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_browser_asks_for_the_code_after_the_password_and_the_challenge_works_once() {
    let app = spawn_app().await;
    app.staff_with_factor("t@example.org", "therapist").await;
    let login = app.log_in_with_form("t@example.org", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&login), "/login/code?next=%2Fdashboard");
    // No session yet: the dashboard still sends to the login page.
    let dashboard = app.get_page("/dashboard").await;
    assert!(location(&dashboard).starts_with("/login"));

    let page = app.get_page("/login/code").await.text().await.expect("html");
    assert!(page.contains("autocomplete=\"one-time-code\""), "{page}");
    assert!(!page.contains(PASSWORD), "the password is not carried in the page");

    let wrong = app.submit_form("/login/code", "/login/code", &[("code", "000000")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.expect("html");
    assert!(html.contains("That code is not right") && html.contains("aria-invalid"), "{html}");

    let html = app.get_page("/login/code").await.text().await.expect("html");
    let csrf = csrf_from(&html);
    let right = app
        .client
        .post(app.url("/login/code"))
        .form(&[("csrf", csrf.as_str()), ("code", &app.code_now()), ("next", "/account")])
        .send()
        .await
        .expect("request");
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/account");
    assert_eq!(app.get_page("/dashboard").await.status(), StatusCode::OK);

    // A browser without the challenge cookie is sent back to the password.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let response = stranger.get(app.url("/login/code")).send().await.expect("request");
    assert_eq!(location(&response), "/login");
}

/// Therapist, coordinator and admin without a factor, and a client, under `required`.
async fn required_practice() -> TestApp {
    let app = spawn_app_with(|s| s.auth.staff_second_factor = SecondFactorPolicy::Required).await;
    app.create_staff("admin@example.org", "admin").await;
    app.create_staff("t@example.org", "therapist").await;
    app.sign_up("sam@example.org").await;
    app
}

#[tokio::test]
async fn under_required_a_staff_token_without_a_factor_may_only_enrol() {
    let app = required_practice().await;
    let token = app.token("admin@example.org", PASSWORD).await;
    for path in ["/api/v1/me", "/api/v1/staff", "/api/v1/risk-flags", "/api/v1/sessions"] {
        let refused = app.get_with(&token, path).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(error_code(refused).await, "second_factor_enrolment_required", "{path}");
    }
    let invite = app.post_invite(&token, "new@example.org", "therapist").await;
    assert_eq!(invite.status(), StatusCode::FORBIDDEN);

    let started = app
        .client
        .post(app.url("/api/v1/me/second-factor"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(started.status(), StatusCode::OK);
    let started: Value = started.json().await.expect("json");
    let secret = started["secret"].as_str().expect("secret").to_owned();
    let url = started["otpauth_url"].as_str().expect("url");
    assert!(url.starts_with("otpauth://totp/Hearth:admin%40example.org?secret="), "{url}");
    assert!(url.contains("issuer=Hearth"), "{url}");

    let confirm = |code: String| {
        app.client
            .post(app.url("/api/v1/me/second-factor/confirm"))
            .bearer_auth(&token)
            .json(&json!({"code": code}))
            .send()
    };
    let wrong = confirm("000000".to_owned()).await.expect("request");
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = confirm(code_at(&secret, app.clock.now())).await.expect("request");
    assert_eq!(done.status(), StatusCode::OK);
    let body: Value = done.json().await.expect("json");
    assert_eq!(body["recovery_codes"].as_array().map(Vec::len), Some(10));

    // The same token may now do everything; a new login needs the code.
    app.clock.advance(Duration::seconds(3));
    assert_eq!(app.get_with(&token, "/api/v1/staff").await.status(), StatusCode::OK);
    let again = app.post_session("admin@example.org", PASSWORD).await;
    assert_eq!(error_code(again).await, "second_factor_required");
    app.clock.advance(Duration::seconds(30));
    let ok = app
        .post_session_with_code("admin@example.org", PASSWORD, &code_at(&secret, app.clock.now()))
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn under_required_a_staff_browser_without_a_factor_gets_only_the_enrolment_page() {
    let app = required_practice().await;
    let login = app.log_in_with_form("admin@example.org", PASSWORD).await;
    assert_eq!(location(&login), "/account/two-factor");
    for path in [
        "/dashboard",
        "/account",
        "/admin/staff",
        "/admin/groups",
        "/care/risk",
        "/care/queue",
        "/therapist/groups",
        "/groups",
    ] {
        let page = app.get_page(path).await;
        assert_eq!(location(&page), "/account/two-factor", "{path}: {}", page.status());
    }
    let invite = app
        .submit_form(
            "/account/two-factor",
            "/admin/invites",
            &[("email", "x@example.org"), ("role", "admin")],
        )
        .await;
    assert_eq!(location(&invite), "/account/two-factor");

    let html = app.get_page("/account/two-factor").await.text().await.expect("html");
    assert!(html.contains("<svg role=\"img\""), "the QR code is inline SVG");
    // Reloading keeps the secret the person may have scanned already.
    let secret = secret_from(&html);
    let reloaded = app.get_page("/account/two-factor").await.text().await.expect("html");
    assert_eq!(secret_from(&reloaded), secret);

    let wrong =
        app.submit_form("/account/two-factor", "/account/two-factor", &[("code", "12")]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.expect("html").contains("id=\"code-error\""));
    let code = code_at(&secret, app.clock.now());
    let done =
        app.submit_form("/account/two-factor", "/account/two-factor", &[("code", &code)]).await;
    assert_eq!(done.status(), StatusCode::OK);
    let html = done.text().await.expect("html");
    assert_eq!(html.matches("<li><code>").count(), 10, "ten recovery codes, shown once");

    assert_eq!(app.get_page("/admin/staff").await.status(), StatusCode::OK);
    assert_eq!(app.get_page("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn under_required_clients_sign_in_with_their_password_alone() {
    let app = required_practice().await;
    let token = app.token("sam@example.org", PASSWORD).await;
    assert_eq!(app.get_me(&token).await.status(), StatusCode::OK);
    let login = app.log_in_with_form("sam@example.org", PASSWORD).await;
    assert_eq!(location(&login), "/dashboard");
    assert_eq!(app.get_page("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn under_optional_staff_sign_in_without_a_factor_and_may_enrol_from_their_account() {
    let app = spawn_app_with(|s| s.auth.staff_second_factor = SecondFactorPolicy::Optional).await;
    app.create_staff("t@example.org", "therapist").await;
    let login = app.log_in_with_form("t@example.org", PASSWORD).await;
    assert_eq!(location(&login), "/dashboard");
    let account = app.get_page("/account").await.text().await.expect("html");
    assert!(account.contains("href=\"/account/two-factor\""), "{account}");
}

/// The secret printed for manual entry on the enrolment page.
pub fn secret_from(html: &str) -> String {
    let marker = "id=\"second-factor-secret\">";
    let start = html.find(marker).expect("the page shows the secret") + marker.len();
    let end = html[start..].find('<').expect("closing tag") + start;
    html[start..end].trim().to_owned()
}
