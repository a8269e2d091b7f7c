//! The therapist's and the admin's week in a real browser, reached through each person's
//! navigation and home page: the therapist sees today's session on their home, opens its
//! roster, sees a member's risk flag, acknowledges it, and after the session fills in the
//! attendance sheet; the admin opens the outcome report from their home and downloads its
//! CSV. Every page is checked by axe-core and for sideways scrolling at 390 and 1280 px, and
//! saved as a picture when `HEARTH_SCREENSHOTS` names a folder.

use chrono::{Datelike as _, Duration, TimeZone as _, Weekday};
use hearth_testkit::Browser;
use serde_json::json;

use crate::browser_care::{follow_nav, has_text, look};
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn browser_a_therapists_day_from_home_to_roster_flag_and_attendance() {
    let Some(browser) =
        Browser::launch("browser_a_therapists_day_from_home_to_roster_flag_and_attendance")
            .await
            .expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let therapist = app.get_json(&app.token("t@example.org", PASSWORD).await, "/me").await["id"]
        .as_i64()
        .expect("id");
    let group = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&sam, group).await.status(), reqwest::StatusCode::CREATED);
    let risky = app.post_measure(&sam, "phq9", &json!([3, 2, 3, 1, 2, 3, 1, 2, 3])).await;
    assert_eq!(risky.status(), reqwest::StatusCode::CREATED);

    // Wednesday, half an hour before the session: 18:00 UTC, noon in the therapist's Chicago.
    let mut day = app.clock_now().date_naive() + Duration::days(1);
    while day.weekday() != Weekday::Wed {
        day = day.succ_opt().expect("a day");
    }
    let starts = chrono::Utc.from_utc_datetime(&day.and_hms_opt(18, 0, 0).expect("18:00"));
    app.clock.set(starts - Duration::minutes(30));
    let page = browser.new_page().await.expect("page");
    let mut problems = Vec::new();
    // Logging in lands on the home page.
    page.log_in(&app.base, "t@example.org", PASSWORD).await.expect("logged in");
    let home = page.text("main").await.expect("home");
    assert!(
        home.contains("Today") && home.contains("12:00") && home.contains("1 member"),
        "{home}"
    );
    assert!(home.contains("1 open risk flag"), "{home}");
    problems.extend(look(&page, "therapist-home").await);

    // The roster, from today's session.
    page.click(&format!("section[aria-labelledby=today] a[href='/groups/{group}']"))
        .await
        .expect("roster");
    page.wait_until(&format!("location.pathname === '/groups/{group}'")).await.expect("group");
    assert!(page.text("main").await.expect("group").contains("Sam"));
    problems.extend(look(&page, "therapist-group-roster").await);

    // The flag, from the home page's alert: acknowledged with what was done.
    follow_nav(&page, "/dashboard").await;
    page.click("main a[href='/care/risk']").await.expect("risk queue");
    page.wait_until("location.pathname === '/care/risk'").await.expect("queue");
    problems.extend(look(&page, "therapist-risk-queue").await);
    page.fill(".risk-list textarea", "Phoned Sam; safe tonight; safety plan reviewed.")
        .await
        .expect("disposition");
    page.click(".risk-list form button[type=submit]").await.expect("acknowledge");
    page.wait_until(&has_text("Acknowledged.")).await.expect("acknowledged");
    let first = page.text(".risk-list li").await.expect("flag");
    assert!(first.contains("by Dr. Rivera") && first.contains("safety plan reviewed"), "{first}");

    // After the session its attendance sheet waits on the home page; one Save keeps it.
    app.clock.set(starts + Duration::hours(2));
    page.log_in(&app.base, "t@example.org", PASSWORD).await.expect("logged in again");
    page.click("section[aria-labelledby=today] a[href$='/attendance']")
        .await
        .expect("attendance sheet");
    page.wait_until("location.pathname.endsWith('/attendance')").await.expect("sheet");
    problems.extend(look(&page, "therapist-attendance").await);
    page.eval(
        "Array.from(document.querySelectorAll('main tbody tr'))\
         .find(r => r.innerText.includes('Sam')).querySelector('select').value = 'present'",
    )
    .await
    .expect("choose");
    page.click("#save-attendance").await.expect("save");
    page.wait_until("document.querySelector('main .notice') !== null").await.expect("saved");
    let sheet = page.text("main table").await.expect("sheet");
    assert!(sheet.contains("Present") || sheet.contains("present"), "{sheet}");
    problems.extend(look(&page, "therapist-attendance-saved").await);
    assert!(problems.is_empty(), "page problems:\n{}", problems.join("\n"));
    browser.close().await;
}

#[tokio::test]
async fn browser_an_admin_opens_the_outcome_report_from_home_and_downloads_the_csv() {
    let Some(browser) = Browser::launch(
        "browser_an_admin_opens_the_outcome_report_from_home_and_downloads_the_csv",
    )
    .await
    .expect("Chromium starts") else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let soon = (app.clock_now().date_naive() + Duration::days(20)).to_string();
    app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", &soon)]).await;
    let page = browser.new_page().await.expect("page");
    let mut problems = Vec::new();
    page.log_in(&app.base, "admin@example.org", PASSWORD).await.expect("logged in");
    let home = page.text("main").await.expect("home");
    assert!(home.contains("Licences to renew") && home.contains("US-IL licence"), "{home}");
    problems.extend(look(&page, "admin-home").await);
    page.click("main a[href='/reports/outcomes']").await.expect("report");
    page.wait_until("location.pathname === '/reports/outcomes'").await.expect("report page");
    problems.extend(look(&page, "admin-outcome-report").await);
    // The download link, fetched as the browser would with the admin's session.
    let csv = page
        .eval(
            "fetch(document.querySelector(\"a[href*='outcomes.csv']\").href)\
             .then(async r => r.status + ' ' + r.headers.get('content-type') + ' ' + (await r.text()).split('\\n')[0])",
        )
        .await
        .expect("csv");
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.starts_with("200 text/csv"), "{csv}");
    assert!(problems.is_empty(), "page problems:\n{}", problems.join("\n"));
    browser.close().await;
}
