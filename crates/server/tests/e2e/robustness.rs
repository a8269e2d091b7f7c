//! No request, however malformed, may crash the server or leave it unhealthy.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn garbage_sent_to_every_route_gets_a_4xx_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"".to_vec()),
        ("application/json", b"\xff\xfe\x00garbage".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", br#"{"email": {"nested": true}, "password": [1,2,3]}"#.to_vec()),
        (
            "application/json",
            br#"{"birth_date": "9999999999-99-99", "timezone": "\u0000"}"#.to_vec(),
        ),
        ("application/json", deep.into_bytes()),
        ("application/json", format!(r#"{{"email": "{}"}}"#, "é".repeat(20_000)).into_bytes()),
        ("application/x-www-form-urlencoded", b"csrf=%ZZ&email=%00&&&==".to_vec()),
        ("text/plain", b"hello".to_vec()),
    ];
    let routes = [
        ("POST", "/api/v1/clients"),
        ("POST", "/api/v1/session"),
        ("POST", "/api/v1/invites"),
        ("DELETE", "/api/v1/sessions/999999999999999999999"),
        ("GET", "/api/v1/me"),
        ("POST", "/signup"),
        ("POST", "/login"),
        ("POST", "/invites/%00%ff"),
        ("POST", "/account/sessions/-1/revoke"),
        ("GET", "/login?next=%ZZ"),
    ];
    for (method, path) in routes {
        for (content_type, body) in &bodies {
            let response = app
                .client
                .request(method.parse().expect("method"), app.url(path))
                .header("content-type", *content_type)
                .header("authorization", "Bearer ~~garbage==/../")
                .body(body.clone())
                .send()
                .await
                .expect("the server answers");
            let status = response.status();
            assert!(
                status.is_client_error() || status.is_success() || status.is_redirection(),
                "{method} {path} with {content_type}: {status}"
            );
        }
    }
    let health = app.client.get(app.url("/healthz")).send().await.expect("request");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(app.count_users().await, 0);
}
