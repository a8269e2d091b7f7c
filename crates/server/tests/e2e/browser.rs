//! Tests in a real headless Chromium.

use hearth_testkit::Browser;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn browser_a_visitor_signs_up_logs_out_and_logs_back_in() {
    let Some(browser) = Browser::launch("browser_a_visitor_signs_up_logs_out_and_logs_back_in")
        .await
        .expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    let page = browser.new_page().await.expect("tab");

    page.goto(&app.url("/signup")).await.expect("sign-up page");
    page.fill("#email", "browser@example.org")
        .await
        .expect("email");
    page.fill("#display_name", "Robin").await.expect("name");
    page.fill("#password", PASSWORD).await.expect("password");
    page.fill("#timezone", "America/Denver")
        .await
        .expect("zone");
    page.fill("#region", "US-CO").await.expect("region");
    page.fill("#birth_date", "1992-07-14")
        .await
        .expect("birth date");
    page.click("form[action='/signup'] button[type=submit]")
        .await
        .expect("submit");
    page.wait_until("location.pathname === '/dashboard'")
        .await
        .expect("dashboard");
    let heading = page.text("h1").await.expect("heading");
    assert_eq!(heading, "Welcome, Robin");
    assert!(
        page.text("footer")
            .await
            .expect("footer")
            .contains("not for emergencies")
    );

    page.click("form[action='/logout'] button")
        .await
        .expect("log out");
    page.wait_until("location.pathname === '/login'")
        .await
        .expect("login page");

    page.goto(&app.url("/dashboard")).await.ok();
    page.wait_until("location.pathname === '/login'")
        .await
        .expect("the dashboard needs a session again");

    page.fill("#email", "BROWSER@example.org")
        .await
        .expect("email");
    page.fill("#password", PASSWORD).await.expect("password");
    page.click("form[action='/login'] button[type=submit]")
        .await
        .expect("submit");
    page.wait_until("location.pathname === '/dashboard'")
        .await
        .expect("back on the dashboard");
    assert_eq!(page.text("h1").await.expect("heading"), "Welcome, Robin");

    browser.close().await;
}

#[tokio::test]
async fn browser_a_wrong_password_shows_an_error_next_to_the_form() {
    let Some(browser) = Browser::launch("browser_a_wrong_password_shows_an_error_next_to_the_form")
        .await
        .expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    app.sign_up("sam@example.org").await;
    let page = browser.new_page().await.expect("tab");
    page.goto(&app.url("/login")).await.expect("login page");
    page.fill("#email", "sam@example.org").await.expect("email");
    page.fill("#password", "not my password at all")
        .await
        .expect("password");
    page.click("form[action='/login'] button[type=submit]")
        .await
        .expect("submit");
    page.wait_until("document.querySelector('[role=alert]') !== null")
        .await
        .expect("an alert");
    assert!(
        page.text("[role=alert]")
            .await
            .expect("alert")
            .contains("do not match")
    );
    browser.close().await;
}
