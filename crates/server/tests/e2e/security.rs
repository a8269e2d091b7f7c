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

/// The served document is the generated one (the unit tests in `web`'s `api_doc` hold it to
/// the router's operations); here, that it is served, and names the fixed points.
#[tokio::test]
async fn the_openapi_document_is_served_and_names_the_fixed_points() {
    let app = spawn_app().await;
    let response = app.get_page("/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"].to_str().expect("ascii").starts_with("application/json")
    );
    let doc: Value = response.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in [
        ("post", "/session"),
        ("post", "/clients"),
        ("post", "/therapists"),
        ("get", "/topics"),
        ("post", "/groups"),
        ("get", "/groups"),
        ("post", "/groups/{id}/seats"),
        ("delete", "/groups/{id}/seats/me"),
        ("get", "/groups/{id}/occurrences"),
        ("post", "/measures/{instrument}"),
        ("get", "/clients/{id}/recommendations"),
        ("get", "/reports/outcomes"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        for (status, answer) in op["responses"].as_object().expect("responses") {
            if status.starts_with('4') || status.starts_with('5') {
                let shape = answer.get("$ref").map_or_else(
                    || answer["content"]["application/json"]["schema"]["$ref"].clone(),
                    Clone::clone,
                );
                assert!(shape.as_str().is_some(), "{method} {path} {status} names its shape");
            }
        }
    }
    // An error the extractors give is documented where they apply.
    assert!(doc["paths"]["/groups"]["post"]["responses"]["415"].is_object());
    assert!(doc["paths"]["/session"]["post"]["responses"]["401"].is_object());
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
