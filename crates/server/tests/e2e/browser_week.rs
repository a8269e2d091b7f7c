//! A client's week and the coordinator's part in it, in a real browser, reached only through
//! each person's navigation: the client signs up, completes the intake, checks in, joins a
//! group and sees its next session on their home page (and, five minutes before it, the Join
//! button), asks to move; the coordinator finds them by search, opens their summary and
//! approves the move from the care queue; the client's home says so. The coordinator also
//! finds a client waiting for a place, opens their summary and places them in a suggested
//! group. Every page is checked by axe-core (target sizes included), for sideways scrolling and
//! for text drawn too small at 390 and 1280 px, and saved as a picture when
//! `HEARTH_SCREENSHOTS` names a folder (CI keeps them under `target/screenshots/`).

use chrono::{DateTime, Datelike as _, Duration, TimeZone as _, Utc, Weekday};
use hearth_testkit::{Browser, Page};
use serde_json::json;

use crate::browser_care::{follow_nav, has_text, look};
use crate::helpers::{PASSWORD, TestApp, spawn_app};

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
    // The week starts half an hour before a Wednesday session (18:00 UTC).
    let starts = next_wednesday_at_six_pm_utc(&app);
    app.clock.set(starts - Duration::minutes(30));
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-CO", "2030-12-31")]).await;
    let wednesday = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    let thursday = app.group(&admin, therapist, json!({"weekday": "thu"})).await;
    app.create_staff("coord@example.org", "coordinator").await;
    // Sam has finished the intake and waits for a place: the coordinator will place them.
    let sam = app.client_in("sam@example.org", "US-CO", "America/Denver", "1988-03-02").await;
    app.submit_intake(&sam, &["anxiety-depression"], &["wed 10:00-20:00"]).await;
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
    // Their progress chart: `look` checks its labels are drawn large enough on a phone.
    page.click("nav a[href='/my/progress']").await.expect("progress in the navigation");
    page.wait_until("location.pathname.endsWith('/progress')").await.expect("progress page");
    page.wait_until("document.querySelector('main svg text') !== null").await.expect("a chart");
    problems.extend(look(&page, "client-progress").await);

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
    // Five minutes before the session the home page has its Join button.
    app.clock.set(starts - Duration::minutes(5));
    page.goto(&app.url("/dashboard")).await.expect("home");
    let join = page
        .text(&format!("main a[href$='/groups/{wednesday}/meetings/{}/room']", starts.date_naive()))
        .await;
    assert!(join.expect("a link to the room").contains("Join the session"));
    problems.extend(look(&page, "client-home-join").await);

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

    problems.extend(coordinator_approves_and_places(&page, &app.base).await);

    page.log_in(&app.base, "robin@example.org", PASSWORD).await.expect("logged in");
    assert!(page.text("main").await.expect("home").contains("Approved: you have moved."));
    problems.extend(look(&page, "client-home-moved").await);
    assert!(problems.is_empty(), "page problems:\n{}", problems.join("\n"));
    browser.close().await;
}

/// The coordinator finds Robin by search, opens the summary and approves the move from the
/// care queue; then finds Sam, who waits for a place, and places them from the summary.
async fn coordinator_approves_and_places(page: &Page, base: &str) -> Vec<String> {
    let mut problems = Vec::new();
    page.log_in(base, "coord@example.org", PASSWORD).await.expect("logged in");
    search_clients(page, "rob").await;
    problems.extend(look(page, "coordinator-directory").await);
    open_first_found(page).await;
    assert!(page.text("main").await.expect("summary").contains("Robin"));
    problems.extend(look(page, "coordinator-client-summary").await);
    follow_nav(page, "/care/queue").await;
    let queue = page.text("main").await.expect("queue");
    assert!(queue.contains("Robin") && queue.contains("Thursdays suit my shifts"), "{queue}");
    problems.extend(look(page, "coordinator-care-queue").await);
    page.click("form[action$='/approve'] button").await.expect("approve");
    page.wait_until("document.body.innerText.includes('Approved: the client has moved')")
        .await
        .expect("the queue confirms it");

    // Sam waits for a place: the coordinator finds them, opens the summary and places them in
    // the group it suggests; the seat is held for Sam, and the summary shows it.
    search_clients(page, "sam").await;
    open_first_found(page).await;
    let summary = page.text("main").await.expect("summary");
    assert!(summary.contains("Sam") && summary.contains("Place in this group"), "{summary}");
    page.click("form[action$='/place'] button[type=submit]").await.expect("place");
    page.wait_until("document.querySelector('.notice, [role=status]') !== null")
        .await
        .expect("the summary says what happened");
    let told = page.text("main").await.expect("summary");
    // A coordinator's placement holds the seat for the client to accept.
    assert!(told.contains("Offered: a seat is held for the client to accept"), "{told}");
    assert!(told.contains("a seat is held for them until"), "{told}");
    problems.extend(look(page, "coordinator-client-placed").await);
    page.log_out().await.expect("logged out");
    problems
}

/// Searches the client directory, reached from the navigation, for `q`.
async fn search_clients(page: &Page, q: &str) {
    follow_nav(page, "/clients").await;
    page.fill("#q", q).await.expect("search");
    page.click("form[role=search] button[type=submit]").await.expect("search");
    page.wait_until(&format!("location.search.includes('q={q}')")).await.expect("results");
}

/// Opens the first client found, by their name's link, on their summary.
async fn open_first_found(page: &Page) {
    page.click("ul.directory h3 a").await.expect("the name links to the summary");
    page.wait_until("location.pathname.startsWith('/clients/')").await.expect("summary");
}

/// 18:00 UTC on the first Wednesday after the test clock's today.
fn next_wednesday_at_six_pm_utc(app: &TestApp) -> DateTime<Utc> {
    let mut day = app.clock_now().date_naive() + Duration::days(1);
    while day.weekday() != Weekday::Wed {
        day = day.succ_opt().expect("a day");
    }
    Utc.from_utc_datetime(&day.and_hms_opt(18, 0, 0).expect("18:00"))
}
