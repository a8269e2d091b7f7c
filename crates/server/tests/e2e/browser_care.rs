//! The care team and break-the-glass in a real browser, reached only through each person's
//! navigation: a coordinator takes a flagged client on, a coordinator off the team breaks the
//! glass with a reason, and the admin finds that access on the review page and moves the
//! client to another coordinator. Every page on the way is checked by axe-core and for
//! sideways scrolling at phone width (390 px) and at laptop width (1280 px); with
//! `HEARTH_SCREENSHOTS=DIR` each is also saved as a picture for a person to look at.

use hearth_testkit::{Browser, Page};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// No text, chart labels included, may be drawn smaller than this many CSS pixels.
const SMALLEST_TEXT_PX: f64 = 11.0;

/// Checks the page now open at both widths and returns what is wrong with it: axe-core's
/// serious and critical findings (target sizes included), sideways scrolling, text drawn
/// smaller than [`SMALLEST_TEXT_PX`], one link text leading to several places.
pub(crate) async fn look(page: &Page, name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for width in [390, 1280] {
        page.emulate_width(width).await.expect("viewport");
        for violation in page.accessibility_violations().await.expect("axe runs") {
            problems.push(format!("{name} at {width} px: {violation}"));
        }
        if page.overflows_horizontally().await.expect("layout") {
            problems.push(format!("{name} at {width} px: wider than the screen"));
        }
        if width == 1280 {
            for text in page.ambiguous_link_texts().await.expect("link texts") {
                problems.push(format!("{name}: the link text {text}"));
            }
        }
        let px = page.smallest_text_px().await.expect("text sizes").expect("the page has text");
        if px < SMALLEST_TEXT_PX {
            problems.push(format!("{name} at {width} px: text drawn at {px:.1} px"));
        }
        page.screenshot(&format!("{name}-{width}")).await.expect("screenshot");
    }
    problems
}

/// A condition that holds once the page shows `text`.
pub(crate) fn has_text(text: &str) -> String {
    format!("document.body.innerText.includes({text:?})")
}

/// Follows the main navigation's link to `href` and waits for its page.
pub(crate) async fn follow_nav(page: &Page, href: &str) {
    page.click(&format!("nav a[href='{href}']")).await.expect("the link is in the navigation");
    page.wait_until(&format!("location.pathname === '{href}'")).await.expect("the page opens");
}

/// Opens the client's name link on the risk queue, as a clinician on duty would.
async fn open_flagged_client(page: &Page, client_id: i64) {
    follow_nav(page, "/care/risk").await;
    page.click(&format!(".risk-list a[href='/clients/{client_id}']")).await.expect("name link");
    page.wait_until(&format!("location.pathname === '/clients/{client_id}'"))
        .await
        .expect("summary opens");
}

/// Sam, seated in Dr Own's group with an intake and a PHQ-9 that raised a risk flag.
async fn flagged_client(app: &TestApp) -> i64 {
    let admin = app.admin_token().await;
    let own = app
        .therapist(&admin, "own@example.org", "America/Chicago", &[("US-IL", "2030-12-31")])
        .await;
    let group = app.group(&admin, own, json!({})).await;
    app.create_staff("coord1@example.org", "coordinator").await;
    app.create_staff("coord2@example.org", "coordinator").await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&sam, &["anxiety-depression"], &["wed 17:00-20:00"]).await;
    app.post_seat(&sam, group).await;
    let answers = json!([1, 1, 0, 0, 0, 0, 0, 0, 1]);
    app.post_measure(&sam, "phq9", &answers).await;
    app.get_json(&sam, "/me").await["id"].as_i64().expect("id")
}

#[tokio::test]
async fn browser_a_coordinator_takes_a_client_on_another_breaks_the_glass_and_the_admin_reviews_it()
{
    let Some(browser) = Browser::launch(
        "browser_a_coordinator_takes_a_client_on_another_breaks_the_glass_and_the_admin_reviews_it",
    )
    .await
    .expect("Chromium starts") else {
        return;
    };
    let app = spawn_app().await;
    let sam = flagged_client(&app).await;
    let page = browser.new_page().await.expect("tab");
    let mut problems = Vec::new();

    // Coordinator one: home page (the missed check-ins list says how fresh it is), then the
    // flag on the risk queue, then the client's summary, where they take Sam on.
    page.log_in(&app.base, "coord1@example.org", PASSWORD).await.expect("logged in");
    assert!(page.text("main").await.expect("dashboard").contains("As of"));
    problems.extend(look(&page, "coordinator-dashboard").await);
    open_flagged_client(&page, sam).await;
    problems.extend(look(&page, "coordinator-risk-to-summary").await);
    let before = page.text("main").await.expect("summary");
    assert!(before.contains("Coordinator: none yet"), "{before}");
    assert!(
        before.contains("What brings them"),
        "any coordinator reads the record of a client who has none yet: {before}"
    );
    page.click("form[action$='/take-on'] button").await.expect("take on");
    page.wait_until("document.body.innerText.includes('You are now this client\\'s coordinator.')")
        .await
        .expect("taken on");
    let after = page.text("main").await.expect("summary");
    assert!(after.contains("You are now this client's coordinator."), "{after}");
    assert!(!after.contains("Take on this client"), "the button is gone: {after}");
    assert!(after.contains("What brings them"), "the coordinator reads the intake: {after}");
    problems.extend(look(&page, "coordinator-took-on").await);
    page.log_out().await.expect("logged out");

    // Coordinator two is off the care team: the record is closed until they break the glass.
    page.log_in(&app.base, "coord2@example.org", PASSWORD).await.expect("logged in");
    open_flagged_client(&page, sam).await;
    let closed = page.text("main").await.expect("summary");
    assert!(closed.contains("closed to you") && !closed.contains("What brings them"), "{closed}");
    problems.extend(look(&page, "outsider-closed-record").await);
    // Too short a reason: refused in plain words, and the text typed stays.
    page.eval("document.querySelector('#glass-reason').removeAttribute('minlength')")
        .await
        .expect("skip the browser's own check");
    page.fill("#glass-reason", "crisis").await.expect("reason");
    page.click("form[action$='/break-glass'] button").await.expect("submit");
    page.wait_until("document.querySelector('.notice') !== null").await.expect("refused");
    assert!(page.text(".notice").await.expect("notice").contains("Not opened"));
    let kept = page.eval("document.querySelector('#glass-reason').value").await.expect("value");
    assert_eq!(kept, json!("crisis"), "what was typed is kept");
    page.fill("#glass-reason", "On call tonight: Sam's flag needs a call before morning")
        .await
        .expect("reason");
    page.click("form[action$='/break-glass'] button").await.expect("submit");
    page.wait_until("document.body.innerText.includes('You broke the glass')")
        .await
        .expect("opened");
    let open = page.text("main").await.expect("summary");
    assert!(open.contains("You broke the glass") && open.contains("What brings them"), "{open}");
    problems.extend(look(&page, "outsider-through-the-glass").await);
    page.log_out().await.expect("logged out");

    // The admin finds the access from the navigation, follows the client's name, sees no
    // clinical content, and moves Sam to coordinator two.
    page.log_in(&app.base, "admin@example.org", PASSWORD).await.expect("logged in");
    follow_nav(&page, "/admin/break-glass").await;
    let review = page.text("main").await.expect("review");
    assert!(review.contains("On call tonight") && review.contains("Sam"), "{review}");
    problems.extend(look(&page, "admin-glass-review").await);
    page.click(&format!("main a[href='/clients/{sam}']")).await.expect("client link");
    page.wait_until(&format!("location.pathname === '/clients/{sam}'")).await.expect("summary");
    let summary = page.text("main").await.expect("summary");
    assert!(!summary.contains("What brings them") && !summary.contains("PHQ-9"), "{summary}");
    problems.extend(look(&page, "admin-client-summary").await);
    let coord2 = page
        .eval(
            "[...document.querySelectorAll('#coordinator option')]\
             .find(o => o.textContent.includes('coord2')).value",
        )
        .await
        .expect("coordinator two is listed");
    page.eval(&format!("document.querySelector('#coordinator').value = {coord2}"))
        .await
        .expect("choose");
    page.click("form[action$='/coordinator'] button").await.expect("save");
    page.wait_until("document.body.innerText.includes('The coordinator is changed.')")
        .await
        .expect("saved");
    assert!(page.text("main").await.expect("summary").contains("The coordinator is changed."));
    page.log_out().await.expect("logged out");

    assert!(problems.is_empty(), "page problems:\n{}", problems.join("\n"));
    browser.close().await;
}
