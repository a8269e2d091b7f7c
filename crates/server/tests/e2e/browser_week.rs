//! A client's week and the coordinator's part in it, in a real browser, reached only through
//! each person's navigation: the client signs up, completes the intake, checks in, joins a
//! group and sees its next session on their home page, asks to move; the coordinator finds
//! them by search, opens their summary and approves the move from the care queue; the client's
//! home says so. Every page is checked by axe-core and for sideways scrolling at 390 and
//! 1280 px, and saved as a picture when `HEARTH_SCREENSHOTS` names a folder (CI keeps them
//! under `target/screenshots/`).

use hearth_testkit::Browser;
use serde_json::json;

use crate::browser_care::{follow_nav, look};
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn browser_a_clients_week_and_the_coordinator_who_finds_and_moves_them() {
    let Some(browser) =
        Browser::launch("browser_a_clients_week_and_the_coordinator_who_finds_and_moves_them")
            .await
            .expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-CO", "2030-12-31")]).await;
    let wednesday = app.group(&admin, therapist, json!({})).await;
    let thursday = app.group(&admin, therapist, json!({"weekday": "thu"})).await;
    app.create_staff("coord@example.org", "coordinator").await;
    let page = browser.new_page().await.expect("tab");
    let mut problems = Vec::new();

    // The client signs up and lands on a home that starts them on the intake.
    page.goto(&app.url("/signup")).await.expect("sign-up page");
    problems.extend(look(&page, "client-signup").await);
    page.fill("#email", "robin@example.org").await.expect("email");
    page.fill("#display_name", "Robin").await.expect("name");
    page.fill("#password", PASSWORD).await.expect("password");
    page.fill("#timezone", "America/Denver").await.expect("zone");
    page.fill("#region", "US-CO").await.expect("state");
    page.fill("#birth_date", "1992-07-14").await.expect("birth date");
    page.click("form[action='/signup'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/dashboard'").await.expect("home");
    assert!(page.text("main").await.expect("home").contains("You are not in a group yet"));
    problems.extend(look(&page, "client-home-new").await);

    page.goto(&app.url("/intake")).await.expect("intake");
    page.fill("#reasons", "Stress at work").await.expect("reasons");
    page.click("#tp-anxiety-depression").await.expect("topic");
    page.click("#sl-group").await.expect("weekly group");
    page.fill("#emergency_contact_name", "Alex").await.expect("contact");
    page.fill("#emergency_contact_phone", "303 555 0100").await.expect("phone");
    page.click("#telehealth_consent").await.expect("consent");
    page.click("#group_agreement").await.expect("agreement");
    page.click("form[action='/intake'] button[type=submit]").await.expect("submit intake");
    page.wait_until("location.pathname === '/measures/phq9'").await.expect("check-in");
    problems.extend(look(&page, "client-check-in").await);
    for item in 1..=9 {
        page.click(&format!("#item{item}-{}", i32::from(item < 3))).await.expect("answer");
    }
    page.click("form.questionnaire button[type=submit]").await.expect("submit answers");
    page.wait_until("document.body.innerText.includes('your result')").await.expect("result");

    // The client finds a group from the navigation and joins it.
    follow_nav(&page, "/groups").await;
    problems.extend(look(&page, "client-catalogue").await);
    page.goto(&app.url(&format!("/groups/{wednesday}"))).await.expect("group page");
    page.click(&format!("form[action='/groups/{wednesday}/reserve'] button")).await.expect("join");
    page.wait_until(&has_text("You have a seat in this group")).await.expect("seated");
    follow_nav(&page, "/dashboard").await;
    let home = page.text("main").await.expect("home");
    assert!(home.contains("Your sessions") && home.contains("Next session:"), "{home}");
    assert!(!home.contains("Groups that may suit you"), "placed: {home}");
    problems.extend(look(&page, "client-home-placed").await);

    // They ask to move to the Thursday group, first with no reason: the page says why and
    // keeps them signed in.
    page.goto(&app.url(&format!("/groups/{thursday}"))).await.expect("thursday");
    page.click(&format!("form[action='/groups/{thursday}/switch-request'] button"))
        .await
        .expect("send empty");
    page.wait_until("document.querySelector('.error-summary') !== null").await.expect("refused");
    assert!(page.text("header").await.expect("header").contains("Log out"));
    page.wait_until("document.activeElement.classList.contains('error-summary')")
        .await
        .expect("focus moves to the error summary");
    problems.extend(look(&page, "client-switch-refused").await);
    page.fill("#request-reason", "Thursdays suit my shifts").await.expect("reason");
    page.click(&format!("form[action='/groups/{thursday}/switch-request'] button"))
        .await
        .expect("send");
    page.wait_until(&has_text("Your request is with your care coordinator")).await.expect("asked");
    follow_nav(&page, "/dashboard").await;
    assert!(page.text("main").await.expect("home").contains("Waiting for your care coordinator"));
    page.log_out().await.expect("logged out");

    // The coordinator finds Robin by search, opens the summary, and approves the move.
    page.log_in(&app.base, "coord@example.org", PASSWORD).await.expect("logged in");
    follow_nav(&page, "/clients").await;
    page.fill("#q", "rob").await.expect("search");
    page.click("form[role=search] button[type=submit]").await.expect("search");
    page.wait_until("location.search.includes('q=rob')").await.expect("results");
    problems.extend(look(&page, "coordinator-directory").await);
    page.click("ul.directory h3 a").await.expect("the name links to the summary");
    page.wait_until("location.pathname.startsWith('/clients/')").await.expect("summary");
    assert!(page.text("main").await.expect("summary").contains("Robin"));
    problems.extend(look(&page, "coordinator-client-summary").await);
    follow_nav(&page, "/care/queue").await;
    let queue = page.text("main").await.expect("queue");
    assert!(queue.contains("Robin") && queue.contains("Thursdays suit my shifts"), "{queue}");
    problems.extend(look(&page, "coordinator-care-queue").await);
    page.click("form[action$='/approve'] button").await.expect("approve");
    page.wait_until("document.body.innerText.includes('Approved: the client has moved')")
        .await
        .expect("the queue confirms it");
    page.log_out().await.expect("logged out");

    page.log_in(&app.base, "robin@example.org", PASSWORD).await.expect("logged in");
    assert!(page.text("main").await.expect("home").contains("Approved: you have moved."));
    problems.extend(look(&page, "client-home-moved").await);
    assert!(problems.is_empty(), "page problems:\n{}", problems.join("\n"));
    browser.close().await;
}

/// A condition that holds once the page shows `text`.
fn has_text(text: &str) -> String {
    format!("document.body.innerText.includes({text:?})")
}
