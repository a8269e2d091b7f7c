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
    // The zone picker starts at the browser's own zone; the region is a list of states.
    page.wait_until(
        "document.querySelector('#timezone').value === Intl.DateTimeFormat().resolvedOptions().timeZone",
    )
    .await
    .expect("the browser's zone is chosen");
    let states =
        page.eval("document.querySelectorAll('#region option').length").await.expect("states");
    assert_eq!(states, serde_json::json!(57), "56 states and territories and a prompt");
    page.fill("#email", "browser@example.org").await.expect("email");
    page.fill("#display_name", "Robin").await.expect("name");
    page.fill("#password", PASSWORD).await.expect("password");
    page.fill("#timezone", "America/Denver").await.expect("zone");
    page.fill("#region", "US-CO").await.expect("region");
    page.fill("#birth_date", "1992-07-14").await.expect("birth date");
    page.click("form[action='/signup'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/dashboard'").await.expect("dashboard");
    let heading = page.text("h1").await.expect("heading");
    assert_eq!(heading, "Welcome, Robin");
    assert!(page.text("footer").await.expect("footer").contains("not for emergencies"));

    page.click("form[action='/logout'] button").await.expect("log out");
    page.wait_until("location.pathname === '/login'").await.expect("login page");

    page.goto(&app.url("/dashboard")).await.ok();
    page.wait_until("location.pathname === '/login'")
        .await
        .expect("the dashboard needs a session again");

    page.fill("#email", "BROWSER@example.org").await.expect("email");
    page.fill("#password", PASSWORD).await.expect("password");
    page.click("form[action='/login'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/dashboard'").await.expect("back on the dashboard");
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
    page.fill("#password", "not my password at all").await.expect("password");
    page.click("form[action='/login'] button[type=submit]").await.expect("submit");
    page.wait_until("document.querySelector('[role=alert]') !== null").await.expect("an alert");
    assert!(page.text("[role=alert]").await.expect("alert").contains("do not match"));
    browser.close().await;
}

/// Every page a person can reach so far, checked by axe-core and on a phone-sized screen.
#[tokio::test]
async fn browser_every_page_passes_the_accessibility_check_and_fits_a_phone() {
    let Some(browser) =
        Browser::launch("browser_every_page_passes_the_accessibility_check_and_fits_a_phone")
            .await
            .expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    app.create_staff("admin@example.org", "admin").await;
    let admin = app.token("admin@example.org", PASSWORD).await;
    let invite: serde_json::Value =
        app.post_invite(&admin, "new@example.org", "therapist").await.json().await.expect("json");
    let invite_path =
        invite["link"].as_str().expect("link").trim_start_matches(&app.base).to_owned();
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group =
        app.group(&admin, therapist, serde_json::json!({"topic": "compassion-fatigue"})).await;
    let client = app.client_in("c@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&client, group).await;
    let page = browser.new_page().await.expect("tab");
    page.emulate_phone().await.expect("phone viewport");

    let mut problems = Vec::new();
    let mut check = async |path: &str| {
        page.goto(&app.url(path)).await.expect("page loads");
        for violation in page.accessibility_violations().await.expect("axe runs") {
            problems.push(format!("{path}: {violation}"));
        }
        if page.overflows_horizontally().await.expect("layout") {
            problems.push(format!("{path}: wider than a phone screen"));
        }
    };
    for path in ["/", "/login", "/signup", "/nothing-here", invite_path.as_str()] {
        check(path).await;
    }
    // Signed in as the admin, through the form.
    page.log_in(&app.base, "admin@example.org", PASSWORD).await.expect("logged in");
    let group_page = format!("/groups/{group}");
    let client_id = app.get_json(&client, "/me").await["id"].as_i64().expect("id");
    let plan_page = format!("/clients/{client_id}/safety-plan");
    let progress_page = format!("/clients/{client_id}/progress");
    let summary_page = format!("/clients/{client_id}");
    check_in_twice(&app, &client).await;
    for path in [
        "/dashboard",
        "/account",
        "/admin/staff",
        "/admin/groups",
        "/admin/catalog",
        "/admin/therapists",
        "/care/queue",
        &summary_page,
        "/groups",
        &group_page,
    ] {
        check(path).await;
    }
    // Then as the client and as the therapist.
    for (email, paths) in [
        (
            "c@example.org",
            vec![
                "/dashboard",
                "/groups",
                group_page.as_str(),
                "/my/groups",
                plan_page.as_str(),
                progress_page.as_str(),
                "/intake",
                "/consult",
                "/measures/gad7",
                "/measures/proqol5",
            ],
        ),
        ("t@example.org", vec!["/therapist/groups", group_page.as_str()]),
    ] {
        page.log_out().await.expect("logged out");
        page.log_in(&app.base, email, PASSWORD).await.expect("logged in");
        for path in paths {
            check(path).await;
        }
    }
    assert!(problems.is_empty(), "accessibility problems:\n{}", problems.join("\n"));
    browser.close().await;
}

/// The catalog from a client's side: filter, reserve, see the next meeting in their own
/// zone, leave.
#[tokio::test]
async fn browser_a_client_filters_the_catalog_reserves_a_seat_sees_their_time_and_leaves() {
    let Some(browser) = Browser::launch(
        "browser_a_client_filters_the_catalog_reserves_a_seat_sees_their_time_and_leaves",
    )
    .await
    .expect("Chromium starts") else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A New York therapist's Wednesday 18:00 group; a grief group on Monday mornings.
    let therapist = app
        .therapist(&admin, "t@example.org", "America/New_York", &[("US-CA", "2030-12-31")])
        .await;
    let wanted = app
        .group(&admin, therapist, serde_json::json!({"weekday": "wed", "local_time": "18:00"}))
        .await;
    app.group(
        &admin,
        therapist,
        serde_json::json!({"topic": "grief-loss", "weekday": "mon", "local_time": "09:00"}),
    )
    .await;
    app.client_in("ana@example.org", "US-CA", "America/Los_Angeles", "1990-01-01").await;

    let page = browser.new_page().await.expect("tab");
    page.goto(&app.url("/login")).await.expect("login page");
    page.fill("#email", "ana@example.org").await.expect("email");
    page.fill("#password", PASSWORD).await.expect("password");
    page.click("form[action='/login'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/dashboard'").await.expect("dashboard");

    page.goto(&app.url("/groups")).await.expect("catalog");
    assert!(page.text("#results").await.expect("count").starts_with("2 groups"));
    page.fill("#topic", "anxiety-depression").await.expect("topic");
    page.fill("#time", "afternoon").await.expect("time of day");
    page.click("form.filters button[type=submit]").await.expect("filter");
    page.wait_until("location.search.includes('topic=anxiety-depression')")
        .await
        .expect("filtered");
    let results = page.text(".cards").await.expect("cards");
    // 18:00 in New York is 15:00 in Los Angeles: an afternoon group for Ana, on the 12-hour
    // clock of her browser's American English.
    assert!(results.contains("Wednesdays at 3:00 pm"), "{results}");
    assert!(!results.contains("Grief"), "{results}");

    page.click(&format!("a[href='/groups/{wanted}']")).await.expect("open the group");
    page.wait_until(&format!("location.pathname === '/groups/{wanted}'"))
        .await
        .expect("group page");
    assert!(page.text("main").await.expect("main").contains("America/Los_Angeles"));
    page.click(&format!("form[action='/groups/{wanted}/reserve'] button")).await.expect("reserve");
    page.wait_until("document.body.innerText.includes('You have a seat in this group')")
        .await
        .expect("seated");
    let main = page.text("main").await.expect("main");
    assert!(main.contains("You are a member of this group"), "{main}");
    assert!(main.contains("3:00 pm"), "the next meeting in her zone: {main}");

    page.goto(&app.url("/my/groups")).await.expect("my groups");
    assert!(page.text("main").await.expect("main").contains("Anxiety & depression"));
    page.goto(&app.url(&format!("/groups/{wanted}"))).await.expect("group page");
    // Leaving is asked twice: the page says what leaving gives up, then "Yes" leaves.
    page.click(&format!("a[href='/groups/{wanted}/leave']")).await.expect("leave");
    page.wait_until(&format!("location.pathname === '/groups/{wanted}/leave'"))
        .await
        .expect("asked to confirm");
    assert!(page.text("main").await.expect("main").contains("Your seat goes to the next person"));
    page.click(&format!("form[action='/groups/{wanted}/leave'] button")).await.expect("confirm");
    page.wait_until("document.body.innerText.includes('You have left')").await.expect("left");
    assert_eq!(page.path().await.expect("where"), "/dashboard");
    page.goto(&app.url(&format!("/groups/{wanted}"))).await.expect("group page");
    assert!(page.text("main").await.expect("main").contains("Reserve a seat"));
    browser.close().await;
}

/// The risk path in a real browser: the client answers item 9 and sees crisis lines at
/// once; the coordinator sees the flag on top of the queue; the therapist acknowledges it.
#[tokio::test]
async fn browser_the_risk_path_from_the_clients_side_and_the_care_teams_side() {
    let Some(browser) =
        Browser::launch("browser_the_risk_path_from_the_clients_side_and_the_care_teams_side")
            .await
            .expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, serde_json::json!({})).await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&client, group).await;
    app.create_staff("coord@example.org", "coordinator").await;

    let page = browser.new_page().await.expect("tab");
    let log_in =
        async |email: &str| page.log_in(&app.base, email, PASSWORD).await.expect("logged in");

    log_in("sam@example.org").await;
    page.goto(&app.url("/measures/phq9")).await.expect("PHQ-9 form");
    assert!(page.accessibility_violations().await.expect("axe").is_empty());
    for item in 1..=9 {
        let value = i32::from(item == 9 || item == 2);
        page.click(&format!("#item{item}-{value}")).await.expect("answer");
    }
    page.click("form.questionnaire button[type=submit]").await.expect("submit");
    page.wait_until("document.querySelector('.crisis-panel') !== null")
        .await
        .expect("crisis panel");
    let panel = page.text(".crisis-panel").await.expect("panel");
    assert!(panel.contains("988") && panel.contains("741741") && panel.contains("911"), "{panel}");
    // Each line is one tap away on a phone.
    let links = page
        .eval("Array.from(document.querySelectorAll('.crisis-panel li a')).map(a => a.getAttribute('href')).join(' ')")
        .await
        .expect("links");
    assert_eq!(links.as_str(), Some("tel:988 sms:741741 tel:911"), "{links}");
    assert!(page.accessibility_violations().await.expect("axe").is_empty());
    page.log_out().await.expect("logged out");

    log_in("coord@example.org").await;
    page.goto(&app.url("/care/risk")).await.expect("queue");
    let first = page.text(".risk-list li").await.expect("first flag");
    assert!(first.contains("Thoughts of self-harm") && first.contains("Sam"), "{first}");
    assert!(
        first.contains("Call their therapist now: Dr. Rivera") && !first.contains("Acknowledge"),
        "coordinators cannot acknowledge; they are told whom to call: {first}"
    );
    assert!(page.accessibility_violations().await.expect("axe").is_empty());
    page.log_out().await.expect("logged out");

    log_in("t@example.org").await;
    page.goto(&app.url("/care/risk")).await.expect("queue");
    page.fill(".risk-list textarea", "Phoned Sam; safe tonight; safety plan reviewed.")
        .await
        .expect("disposition");
    page.click(".risk-list form button[type=submit]").await.expect("acknowledge");
    page.wait_until("document.querySelector('main .notice p')?.textContent === 'Acknowledged.'")
        .await
        .expect("acknowledged");
    let first = page.text(".risk-list li").await.expect("flag");
    assert!(first.contains("Acknowledged") && first.contains("safety plan reviewed"), "{first}");
    assert!(first.contains("by Dr. Rivera"), "who acknowledged it: {first}");
    browser.close().await;
}

/// Two PHQ-9 and GAD-7 check-ins, so the progress page has lines to draw.
async fn check_in_twice(app: &crate::helpers::TestApp, client: &str) {
    let check_ins = [
        ([2, 2, 2, 2, 1, 1, 1, 1, 0], [2, 2, 2, 1, 1, 1, 1]),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0]),
    ];
    for (phq, gad) in check_ins {
        app.post_measure(client, "phq9", &serde_json::json!(phq)).await;
        app.post_measure(client, "gad7", &serde_json::json!(gad)).await;
    }
}

/// Issue 5's path in a real browser: a client books a consult; the coordinator sees them
/// in the queue, opens their recommendations and places them; the client sees the offer.
#[tokio::test]
async fn browser_a_client_books_a_consult_and_the_coordinator_places_them_in_a_group() {
    let Some(browser) = Browser::launch(
        "browser_a_client_books_a_consult_and_the_coordinator_places_them_in_a_group",
    )
    .await
    .expect("Chromium starts") else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let group = app.group(&admin, therapist, serde_json::json!({"topic": "grief-loss"})).await;
    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    app.client
        .put(app.url("/api/v1/me/consult-availability"))
        .bearer_auth(&coordinator)
        .json(&serde_json::json!({"windows": ["mon 08:00-18:00", "tue 08:00-18:00", "wed 08:00-18:00", "thu 08:00-18:00", "fri 08:00-18:00"]}))
        .send()
        .await
        .expect("availability");
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&sam, &["grief-loss"], &[]).await;

    let page = browser.new_page().await.expect("tab");
    let log_in =
        async |email: &str| page.log_in(&app.base, email, PASSWORD).await.expect("logged in");
    log_in("sam@example.org").await;
    page.goto(&app.url("/consult")).await.expect("consult page");
    page.click("input[name=starts_at]").await.expect("a time");
    page.fill("#phone", "312 555 0100").await.expect("phone");
    page.click("form[aria-label='Book a call'] button[type=submit]").await.expect("book");
    page.wait_until("document.body.innerText.includes('Your call with')").await.expect("booked");
    page.log_out().await.expect("logged out");

    log_in("coord@example.org").await;
    page.goto(&app.url("/care/queue")).await.expect("queue");
    let queue = page.text("main").await.expect("queue");
    assert!(queue.contains("Sam") && queue.contains("312 555 0100"), "{queue}");
    page.click("main table a[href^='/clients/']").await.expect("open the summary");
    page.wait_until("document.body.innerText.includes('Groups that may suit them')")
        .await
        .expect("summary");
    assert!(
        page.text("main").await.expect("summary").contains("Grief & loss is a topic they chose")
    );
    page.click(&format!("form[action$='/place'] input[value='{group}'] ~ button"))
        .await
        .expect("place");
    page.wait_until(
        "/^(Placed|Offered|The group is full)/.test(document.querySelector('main .notice p')?.textContent)",
    )
    .await
    .expect("placed");
    page.log_out().await.expect("logged out");

    log_in("sam@example.org").await;
    page.goto(&app.url("/my/groups")).await.expect("my groups");
    let mine = page.text("main").await.expect("my groups");
    assert!(mine.contains("A seat is held for you until"), "{mine}");
    browser.close().await;
}

/// Under `required`, a therapist without a second factor is sent to enrolment, sets it up
/// with the key shown on the page, and from then on signs in with password and code.
#[tokio::test]
async fn browser_a_therapist_enrols_a_second_factor_at_first_login_and_then_signs_in_with_it() {
    use crate::second_factor::code_at;
    use hearth_app::Clock as _;

    let Some(browser) = Browser::launch(
        "browser_a_therapist_enrols_a_second_factor_at_first_login_and_then_signs_in_with_it",
    )
    .await
    .expect("Chromium starts") else {
        return;
    };
    let app = crate::helpers::spawn_app_with(|s| {
        s.auth.staff_second_factor = hearth_app::SecondFactorPolicy::Required;
    })
    .await;
    app.create_staff("t@example.org", "therapist").await;
    let page = browser.new_page().await.expect("tab");
    page.emulate_phone().await.expect("phone viewport");
    let mut problems = Vec::new();
    let mut check = async |what: &str| {
        for violation in page.accessibility_violations().await.expect("axe runs") {
            problems.push(format!("{what}: {violation}"));
        }
        if page.overflows_horizontally().await.expect("layout") {
            problems.push(format!("{what}: wider than a phone screen"));
        }
    };

    page.goto(&app.url("/login")).await.expect("login page");
    page.fill("#email", "t@example.org").await.expect("email");
    page.fill("#password", PASSWORD).await.expect("password");
    page.click("form[action='/login'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/account/two-factor'").await.expect("sent to enrol");
    check("enrolment").await;
    page.goto(&app.url("/dashboard")).await.ok();
    page.wait_until("location.pathname === '/account/two-factor'")
        .await
        .expect("the dashboard waits for enrolment");

    let secret = page.text("#second-factor-secret").await.expect("the key");
    page.fill("#code", &code_at(secret.trim(), app.clock.now())).await.expect("code");
    page.click("form[action='/account/two-factor'] button[type=submit]").await.expect("submit");
    page.wait_until("document.querySelectorAll('.recovery-codes li').length === 10")
        .await
        .expect("ten recovery codes");
    check("recovery codes").await;
    page.click("a[href='/dashboard']").await.expect("continue");
    page.wait_until("location.pathname === '/dashboard'").await.expect("dashboard");
    page.log_out().await.expect("logged out");

    // The next code step, as the person would have a little later.
    app.clock.advance(chrono::Duration::seconds(30));
    page.fill("#email", "t@example.org").await.expect("email");
    page.fill("#password", PASSWORD).await.expect("password");
    page.click("form[action='/login'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/login/code'").await.expect("asked for the code");
    check("code step").await;
    page.fill("#code", &code_at(secret.trim(), app.clock.now())).await.expect("code");
    page.click("form[action='/login/code'] button[type=submit]").await.expect("submit");
    page.wait_until("location.pathname === '/dashboard'").await.expect("signed in");
    assert!(problems.is_empty(), "{problems:#?}");
    browser.close().await;
}
