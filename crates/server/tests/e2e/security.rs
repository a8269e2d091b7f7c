use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_page_carries_a_strict_policy_and_authenticated_pages_are_not_stored() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;
    for path in ["/", "/login", "/signup", "/dashboard", "/account", "/api/v1/openapi.json"] {
        let response = app.get_page(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(!csp.contains("http"), "{path}: no third-party origin");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn session_cookies_are_host_prefixed_secure_http_only_and_same_site_lax() {
    let app = spawn_app_with(|s| s.secure_cookies = true).await;
    app.sign_up("sam@example.org").await;
    let response = app.log_in_with_form("sam@example.org", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|c| c.starts_with("__Host-hearth_session="))
        .expect("a __Host- session cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Domain="), "__Host- cookies have no Domain");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    app.get_page("/login").await; // receive the CSRF cookie
    let missing = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "sam@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let forged = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("csrf", "A".repeat(43).as_str()),
            ("email", "sam@example.org"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let html = app.get_page("/login").await.text().await.expect("html");
    let token = crate::helpers::csrf_from(&html);
    let cross_site = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", token.as_str()), ("email", "sam@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_page("/dashboard").await.status(),
        StatusCode::SEE_OTHER,
        "no session was made"
    );
}

#[tokio::test]
async fn metrics_count_requests_and_time_them_per_route() {
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let token = app.token("sam@example.org", PASSWORD).await;
    for _ in 0..3 {
        app.get_me(&token).await;
    }
    let text = app.get_page("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(
            r#"hearth_http_requests_total{method="GET",route="/api/v1/me",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"hearth_http_request_duration_seconds_count{method="GET",route="/api/v1/me"} 3"#
    ));
    assert!(!text.contains("sam@example.org"));
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = spawn_app().await;
    let doc: Value = app.get_page("/api/v1/openapi.json").await.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    // Every route of `routes/api*.rs`; a route added there without documentation fails here.
    let routes = [
        "/session",
        "/me",
        "/sessions",
        "/sessions/{id}",
        "/clients",
        "/staff",
        "/invites",
        "/topics",
        "/topics/{slug}",
        "/programs",
        "/programs/{slug}",
        "/therapists",
        "/therapists/{id}",
        "/therapists/{id}/licenses",
        "/groups",
        "/groups/{id}",
        "/groups/{id}/occurrences",
        "/groups/{id}/occurrences/{date}/cancel",
        "/groups/{id}/occurrences/{date}/move",
        "/groups/{id}/series",
        "/groups/{id}/seats",
        "/groups/{id}/seats/me",
        "/groups/{id}/waitlist/me",
        "/groups/{id}/offer/accept",
        "/groups/{id}/offer/decline",
        "/groups/{id}/switch",
        "/groups/{id}/roster",
        "/groups/{id}/calendar.ics",
        "/me/groups",
        "/switch-requests",
        "/switch-requests/{id}/approve",
        "/switch-requests/{id}/decline",
        "/clients/{id}/recommendations",
        "/clients/{id}/therapist-recommendations",
        "/me/calendar-feed",
        "/me/consult-availability",
        "/consults/slots",
        "/consults",
        "/consults/{id}",
        "/measures/{instrument}",
        "/clients/{id}/measures",
        "/risk-flags",
        "/risk-flags/{id}/acknowledge",
        "/reports/outcomes",
        "/clients/{id}/safety-plan",
        "/me/intake",
        "/me/check-in",
        "/check-ins/overdue",
        "/clients/{id}/intake",
        "/me/second-factor",
        "/me/second-factor/confirm",
    ];
    for path in routes {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let source = [
        include_str!("../../../web/src/routes/api.rs"),
        include_str!("../../../web/src/routes/api_groups.rs"),
        include_str!("../../../web/src/routes/api_measures.rs"),
        include_str!("../../../web/src/routes/api_consults.rs"),
    ];
    let declared = source.iter().map(|s| s.matches(".route(\"").count()).sum::<usize>();
    assert_eq!(
        declared,
        routes.len() + 1,
        "every declared route (and openapi.json itself) is listed here"
    );
}

#[tokio::test]
async fn unknown_api_routes_answer_json_and_unknown_pages_answer_html() {
    let app = spawn_app().await;
    let api = app.get_page("/api/v1/nothing").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.json::<Value>().await.expect("json")["error"], "not_found");
    let page = app.get_page("/nothing").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.expect("html").contains("Page not found"));
}
