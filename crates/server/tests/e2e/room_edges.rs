//! The room's edges: the waiting page before a room opens (in the person's own time, opening
//! itself), the message page of a cancelled or ended meeting, and the attendance sheet (the
//! therapist as the host, minutes from the room's record, one Save for the whole sheet).

use chrono::{Duration, TimeZone as _, Utc};
use hearth_domain::{GroupId, ROOM_OPENS_BEFORE_MINUTES, UserId};
use hearth_testkit::Browser;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, csrf_from, spawn_app};
use crate::room::{MEDIA_FLAGS, PREVIEW_PLAYS, PREVIEW_STOPPED, Setup, Socket, set_up, user_id};

/// When the set-up's meeting starts (Wednesday 18:00 UTC) and its room opens.
fn starts_and_opens(setup: &Setup) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let starts = Utc.from_utc_datetime(&setup.date.and_hms_opt(18, 0, 0).expect("18:00"));
    (starts, starts - Duration::minutes(ROOM_OPENS_BEFORE_MINUTES))
}

/// Sets the clock and signs `email` in again (a jump of the test clock ends sessions).
async fn at(app: &TestApp, when: chrono::DateTime<Utc>, email: &str) {
    app.clock.set(when);
    let login = app.log_in_with_form(email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "{email} logs in");
}

#[tokio::test]
async fn room_opened_early_is_a_waiting_page_in_the_persons_own_time() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let (starts, opens) = starts_and_opens(&setup);
    // Ana lives in Chicago: 18:00 UTC on a December Wednesday is 12:00 there.
    let day = setup.date.format("%A %-d %B").to_string();

    at(&app, starts - Duration::hours(3), "ana@example.org").await;
    let page = app.get_page(&setup.path).await;
    assert_eq!(page.status(), StatusCode::OK, "a waiting page, not a refusal");
    let csp = page.headers()["content-security-policy"].to_str().expect("text").to_owned();
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("starts on {day} at 12:00")), "{html}");
    assert!(html.contains(&format!("opens on {day} at 11:50")), "{html}");
    assert!(!html.contains("UTC"), "no UTC times: {html}");
    assert!(html.contains("Signed in as Ana"), "the signed-in header: {html}");
    assert!(html.contains("America/Chicago"), "says whose time: {html}");
    assert!(!html.contains("id=\"join-form\""), "no join form before the room opens");
    // Three hours away: it looks again within the hour, by script and by meta refresh.
    assert!(html.contains("data-reload-in=\"3601\""), "{html}");
    // Where scripts do not run (only there: axe counts a timed refresh as a failure).
    let fallback = "<noscript><meta http-equiv=\"refresh\" content=\"3620\"></noscript>";
    assert!(html.contains(fallback), "{html}");
    // Scripts only from files (the page's CSP allows no inline script).
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(!html.contains("<script>"), "no inline script: {html}");

    // A minute and a half before it opens, the page reloads right when it does.
    at(&app, opens - Duration::seconds(90), "ana@example.org").await;
    let html = app.get_page(&setup.path).await.text().await.expect("html");
    assert!(html.contains("data-reload-in=\"91\""), "{html}");
    assert!(html.contains("content=\"110\""), "the meta refresh a little after: {html}");

    // The therapist waits the same way.
    at(&app, opens - Duration::minutes(1), "rivera@example.org").await;
    let page = app.get_page(&setup.path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("id=\"room-waiting\"") && html.contains("at 11:50"), "{html}");

    // Once open, the room itself.
    at(&app, opens, "ana@example.org").await;
    let html = app.get_page(&setup.path).await.text().await.expect("html");
    assert!(html.contains("id=\"join-form\""), "{html}");
    assert!(!html.contains("http-equiv=\"refresh\""), "the room does not reload itself");

    // Someone outside the group learns nothing about when it meets.
    at(&app, starts - Duration::hours(3), "cleo@example.org").await;
    assert_eq!(app.get_page(&setup.path).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn room_of_an_ended_or_cancelled_meeting_is_a_message_page_for_the_signed_in_person() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let mut host = Socket::open(&app, &setup.path, "rivera@example.org").await;
    host.send(json!({"type": "hello"})).await;
    host.expect("admitted").await;
    host.send(json!({"type": "end"})).await;
    host.expect("ended").await;

    let login = app.log_in_with_form("ana@example.org", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let page = app.get_page(&setup.path).await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let html = page.text().await.expect("html");
    assert!(html.contains("This session has ended"), "{html}");
    assert!(html.contains("Signed in as Ana"), "the signed-in header: {html}");
    assert!(!html.contains("join-form") && !html.contains("http-equiv"), "{html}");

    // The therapist cancels next week's meeting; its room says so, and never waits to open.
    let next = setup.date + Duration::weeks(1);
    let token = app.token("rivera@example.org", PASSWORD).await;
    let therapist = app.app.authenticate(&token).await.expect("signed in");
    let ctx = hearth_app::AuditContext { actor: Some(therapist.user.id), source_ip: None };
    app.app
        .cancel_occurrence(&therapist, GroupId::new(setup.group), next, &ctx)
        .await
        .expect("cancels");
    let path = format!("/groups/{}/meetings/{next}/room", setup.group);
    let page = app.get_page(&path).await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let html = page.text().await.expect("html");
    assert!(html.contains("This meeting was cancelled"), "{html}");
    assert!(html.contains("Signed in as Ana"), "{html}");
}

/// The room's record of one meeting: the therapist connected for 50 minutes, Ana for 25 (in
/// two stretches), Ben never.
async fn record_the_session(app: &TestApp, setup: &Setup) -> (i64, i64, i64) {
    let (starts, _) = starts_and_opens(setup);
    let group = GroupId::new(setup.group);
    let rivera = user_id(app, "rivera@example.org").await;
    let ana = user_id(app, "ana@example.org").await;
    let ben = user_id(app, "ben@example.org").await;
    let db = &app.db;
    let stretch = |user: i64, from: i64, to: i64| async move {
        let user = UserId::new(user);
        let from = starts + Duration::minutes(from);
        db.attendance_connected(group, setup.date, user, from).await.expect("connected");
        db.attendance_left(group, setup.date, user, starts + Duration::minutes(to))
            .await
            .expect("left");
    };
    stretch(rivera, 0, 50).await;
    stretch(ana, 2, 17).await;
    stretch(ana, 20, 30).await;
    (rivera, ana, ben)
}

/// The `<select>` of one person's line, as the page has it.
fn select_of(html: &str, user: i64) -> &str {
    let start = html.find(&format!("<select id=\"status-{user}\"")).expect("the line's select");
    let end = html[start..].find("</select>").expect("its end") + start;
    &html[start..end]
}

#[tokio::test]
async fn attendance_sheet_shows_the_host_and_the_rooms_minutes_and_saves_in_one_go() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let (rivera, ana, ben) = record_the_session(&app, &setup).await;
    let (starts, _) = starts_and_opens(&setup);
    at(&app, starts + Duration::hours(2), "rivera@example.org").await;
    let sheet = format!("/groups/{}/meetings/{}/attendance", setup.group, setup.date);
    let page = app.get_page(&sheet).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(!html.contains("not a current member"), "the therapist is not a lost member: {html}");
    let host_line = &html[html.find(&format!("data-person=\"{rivera}\"")).expect("host line")..];
    assert!(host_line.starts_with(&format!("data-person=\"{rivera}\"")));
    assert!(host_line[..400].contains("host of the session"), "{host_line}");
    for (user, minutes) in [(rivera, "50"), (ana, "25"), (ben, "0")] {
        let line = &html[html.find(&format!("data-person=\"{user}\"")).expect("line")..];
        let cell = format!("<td class=\"minutes\">{minutes}</td>");
        assert!(line[..600].contains(&cell), "user {user}: {minutes} minutes in {line}");
    }
    // Ben never came: his line says so rather than leaving the time blank.
    let ben_line = &html[html.find(&format!("data-person=\"{ben}\"")).expect("Ben's line")..];
    let ben_line = &ben_line[..ben_line.find("</tr>").expect("line end")];
    assert!(ben_line.contains("Did not join"), "{ben_line}");
    // One form and one Save button for the whole sheet.
    assert_eq!(html.matches(&format!("action=\"{sheet}\"")).count(), 1, "{html}");
    assert_eq!(html.matches("Save the attendance sheet").count(), 1, "{html}");

    // A bad line refuses the whole sheet, names the person, and keeps every choice.
    let csrf = csrf_from(&html);
    let (ana_s, ben_s) = (format!("status-{ana}"), format!("status-{ben}"));
    let refused = app
        .post_form(&sheet, &csrf, &[(ana_s.as_str(), "late"), (ben_s.as_str(), "sometimes")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Choose Ben") && html.contains("s status: present, late"), "{html}");
    assert!(html.contains(&format!("href=\"#status-{ben}\"")), "the summary links the line");
    assert!(html.contains(&format!("id=\"status-{ben}-error\"")), "a message at the line");
    assert!(
        select_of(&html, ana).contains("<option value=\"late\" selected>"),
        "Ana's choice is kept: {}",
        select_of(&html, ana)
    );
    let rows = app.db.list_attendance(GroupId::new(setup.group), setup.date).await.expect("rows");
    assert!(rows.iter().all(|r| r.corrected_by.is_none()), "nothing saved: {rows:?}");

    // Someone not on the sheet is refused the same way.
    let cleo = user_id(&app, "cleo@example.org").await;
    let cleo_s = format!("status-{cleo}");
    let refused = app.post_form(&sheet, &csrf, &[(cleo_s.as_str(), "present")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // One post saves every line, in one transaction with one audit row.
    let host_s = format!("status-{rivera}");
    let saved = app
        .post_form(
            &sheet,
            &csrf,
            &[(host_s.as_str(), "present"), (ana_s.as_str(), "late"), (ben_s.as_str(), "excused")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let location = saved.headers()["location"].to_str().expect("text").to_owned();
    assert!(location.ends_with("?msg=saved"), "{location}");
    let rows = app.db.list_attendance(GroupId::new(setup.group), setup.date).await.expect("rows");
    let status_of = |user: i64| rows.iter().find(|r| r.user_id == user).map(|r| r.status.clone());
    assert_eq!(status_of(ana).as_deref(), Some("late"));
    assert_eq!(status_of(ben).as_deref(), Some("excused"));
    assert_eq!(status_of(rivera).as_deref(), Some("present"));
    let host_row = rows.iter().find(|r| r.user_id == rivera).expect("host row");
    assert!(host_row.corrected_by.is_none(), "an unchanged line keeps the room's record");
    let corrections: Vec<String> = app
        .audit_log()
        .await
        .into_iter()
        .filter(|(a, _)| a == "attendance.corrected")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        corrections,
        [format!("user={ana} status=late; user={ben} status=excused")],
        "one audit row for the save"
    );
    let html = app.get_page(&location).await.text().await.expect("html");
    assert!(html.contains("Attendance saved."), "{html}");
    assert!(select_of(&html, ben).contains("<option value=\"excused\" selected>"));

    // A member may neither see nor save the sheet.
    let login = app.log_in_with_form("ana@example.org", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_page(&sheet).await.status(), StatusCode::FORBIDDEN);
    let html = app.get_page("/account").await.text().await.expect("html");
    let denied = app.post_form(&sheet, &csrf_from(&html), &[(ana_s.as_str(), "present")]).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn video_room_waiting_page_opens_the_room_by_itself_with_a_camera_preview() {
    let test = "video_room_waiting_page_opens_the_room_by_itself_with_a_camera_preview";
    let Some(browser) = Browser::launch_with(test, MEDIA_FLAGS).await.expect("Chromium starts")
    else {
        return;
    };
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let (_, opens) = starts_and_opens(&setup);
    // Ten minutes early: the page waits (and axe has time to check it before it reloads).
    app.clock.set(opens - Duration::minutes(10));
    let page = browser.new_page().await.expect("tab");
    page.log_in(&app.base, "ana@example.org", PASSWORD).await.expect("logs in");
    let room = format!("{}{}", app.base, setup.path);
    page.goto(&room).await.expect("the room's address");
    page.wait_until("document.getElementById('room-waiting')").await.expect("a waiting page");
    let violations = page.accessibility_violations().await.expect("axe runs");
    assert!(violations.is_empty(), "the waiting page: {violations:?}");
    // Four seconds early, opened again: the page counts down the server's four seconds.
    app.clock.set(opens - Duration::seconds(4));
    page.goto(&room).await.expect("the room's address");
    page.wait_until(
        "Number(document.querySelector('[data-reload-in]')?.dataset.reloadIn ?? 99) <= 5",
    )
    .await
    .expect("the waiting page counts the last seconds");
    // The server's clock reaches the opening time; the page reloads by itself and is the room.
    app.clock.set(opens + Duration::seconds(1));
    page.wait_until("document.getElementById('join-form')").await.expect("the room opened");

    // Before joining: her own camera, and a microphone meter that moves.
    page.wait_until(PREVIEW_PLAYS).await.expect("the preview plays");
    page.wait_until("document.getElementById('mic-level').value > 0")
        .await
        .expect("the meter hears the microphone");
    // Another camera: the preview follows the choice.
    let before = page.eval("window.hearthPreview.state.stream.id").await.expect("id");
    page.eval(
        "(() => { const s = document.getElementById('camera'); \
         s.value = s.options[s.options.length - 1].value; \
         s.dispatchEvent(new Event('change')); })()",
    )
    .await
    .expect("picks a camera");
    page.wait_until(&format!(
        "{PREVIEW_PLAYS} && window.hearthPreview.state.stream.id !== {before}"
    ))
    .await
    .expect("the preview shows the chosen camera");
    let violations = page.accessibility_violations().await.expect("axe runs");
    assert!(violations.is_empty(), "the room before joining: {violations:?}");

    page.fill("#location", "Springfield, IL").await.expect("location");
    page.click("#join-button").await.expect("join");
    page.wait_until("document.getElementById('status').textContent.includes('waiting room')")
        .await
        .expect("in the waiting room");
    page.wait_until(PREVIEW_STOPPED).await.expect("joining stops the preview");
    let live = page
        .eval("window.hearthPreview.state.context === null && window.hearthRoom.stream.getTracks().every((t) => t.readyState === 'live')")
        .await
        .expect("eval");
    assert_eq!(live, json!(true), "the call has its own camera and microphone");
    browser.close().await;
}
