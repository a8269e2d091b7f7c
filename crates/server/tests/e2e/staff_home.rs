//! Each staff role's home page shows today's work, every person named linking to their
//! summary; the client summary says where the client stands, flags first; leaving a group or
//! a waitlist is asked twice and told on the home page.

use chrono::{Datelike as _, Duration, TimeZone as _, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get_page(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("html")
}

async fn id_of(app: &TestApp, token: &str) -> i64 {
    app.get_json(token, "/me").await["id"].as_i64().expect("id")
}

/// The next `weekday` after today, at `hour`:00 UTC.
fn next(app: &TestApp, weekday: Weekday, hour: u32) -> chrono::DateTime<Utc> {
    let mut day = app.clock_now().date_naive() + Duration::days(1);
    while day.weekday() != weekday {
        day = day.succ_opt().expect("a day");
    }
    Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).expect("a time"))
}

#[tokio::test]
async fn a_therapists_home_shows_todays_sessions_with_room_and_roster_then_the_week() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist = app.therapist(&admin, "t@example.org", "UTC", &[("US-IL", "2030-12-31")]).await;
    let wed = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    let fri = app
        .group(
            &admin,
            therapist,
            json!({"weekday": "fri", "timezone": "UTC", "topic": "grief-loss"}),
        )
        .await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&sam, wed).await.status(), StatusCode::CREATED);

    let starts = next(&app, Weekday::Wed, 18);
    let day = starts.date_naive();
    app.clock.set(starts - Duration::minutes(5));
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let home = page(&app, "/dashboard").await;
    let today =
        &home[home.find("id=\"today\"").expect("today")..home.find("id=\"week\"").expect("week")];
    assert!(
        today.contains(&format!("href=\"/groups/{wed}/meetings/{day}/room\">Open the room")),
        "{today}"
    );
    assert!(today.contains(&format!("href=\"/groups/{wed}\">Roster")), "{today}");
    assert!(today.contains("18:00") && today.contains("1 member<"), "{today}");
    let week = &home[home.find("id=\"week\"").expect("week")..];
    assert!(week.contains(&format!("href=\"/groups/{fri}\"")) && week.contains("Friday"), "{week}");
    assert!(!today.contains(&format!("/groups/{fri}")), "Friday is not today");

    // After the session, its attendance sheet is what is left to do.
    app.clock.set(starts + Duration::hours(3));
    app.log_in_with_form("t@example.org", PASSWORD).await;
    let later = page(&app, "/dashboard").await;
    assert!(
        later.contains(&format!(
            "href=\"/groups/{wed}/meetings/{day}/attendance\">Fill in the attendance"
        )),
        "{later}"
    );
}

async fn book_call(app: &TestApp, token: &str, at: &str) {
    let booked = app
        .client
        .post(app.url("/api/v1/consults"))
        .bearer_auth(token)
        .json(&json!({"starts_at": at, "phone": "312 555 0100"}))
        .send()
        .await
        .expect("request");
    assert_eq!(booked.status(), StatusCode::CREATED, "{}", booked.text().await.unwrap_or_default());
}

#[tokio::test]
async fn a_coordinators_home_names_who_waits_todays_calls_and_requests_to_move() {
    let app = spawn_app().await;
    // Tuesday 2027-03-02, 07:00 in Denver; the coordinator takes calls 09:00-11:00 there.
    app.clock.set(Utc.with_ymd_and_hms(2027, 3, 2, 14, 0, 0).single().expect("instant"));
    let admin = app.admin_token().await;
    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", PASSWORD).await;
    let set = app
        .client
        .put(app.url("/api/v1/me/consult-availability"))
        .bearer_auth(&coordinator)
        .json(&json!({"windows": ["tue 09:00-11:00", "wed 09:00-11:00"]}))
        .send()
        .await
        .expect("request");
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let therapist = app.therapist(&admin, "t@example.org", "UTC", &[("US-IL", "2030-12-31")]).await;
    let wed = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    let thu = app.group(&admin, therapist, json!({"weekday": "thu", "timezone": "UTC"})).await;

    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&sam, &["anxiety-depression"], &[]).await;
    let sam_id = id_of(&app, &sam).await;
    book_call(&app, &sam, "2027-03-02T16:00:00Z").await;
    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let kim_id = id_of(&app, &kim).await;
    book_call(&app, &kim, "2027-03-03T16:00:00Z").await;
    assert_eq!(app.post_seat(&kim, wed).await.status(), StatusCode::CREATED);
    let asked = app
        .client
        .post(app.url("/api/v1/switch-requests"))
        .bearer_auth(&kim)
        .json(&json!({"from": wed, "to": thu, "reason": "Thursdays suit my shifts."}))
        .send()
        .await
        .expect("request");
    assert_eq!(asked.status(), StatusCode::CREATED);

    app.log_in_with_form("coord@example.org", PASSWORD).await;
    let home = page(&app, "/dashboard").await;
    let waiting = &home[home.find("waiting-heading").expect("waiting")
        ..home.find("calls-heading").expect("calls")];
    assert!(waiting.contains(&format!("href=\"/clients/{sam_id}\">Sam</a>")), "{waiting}");
    assert!(!waiting.contains(&format!("/clients/{kim_id}\"")), "Kim has a seat: {waiting}");
    let calls = &home[home.find("calls-heading").expect("calls")
        ..home.find("switch-heading").expect("switches")];
    assert!(
        calls.contains("09:00") && calls.contains(&format!("href=\"/clients/{sam_id}\">Sam</a>")),
        "{calls}"
    );
    assert!(calls.contains("href=\"tel:312 555 0100\""), "{calls}");
    assert!(calls.contains("1 more call booked after today"), "Kim's call is tomorrow: {calls}");
    let switches = &home[home.find("switch-heading").expect("switches")..];
    assert!(switches.contains(&format!("href=\"/clients/{kim_id}\">")), "{switches}");
    assert!(switches.contains("Wednesday") && switches.contains("Thursday"), "titles: {switches}");

    // Placed a moment later, Sam leaves the list at once, although the count is a minute old.
    let placed = app
        .submit_form(
            &format!("/clients/{sam_id}"),
            &format!("/clients/{sam_id}/place"),
            &[("group_id", &thu.to_string())],
        )
        .await;
    assert_eq!(placed.status(), StatusCode::SEE_OTHER);
    let after = page(&app, "/dashboard").await;
    let waiting = &after[after.find("waiting-heading").expect("waiting")
        ..after.find("calls-heading").expect("calls")];
    assert!(!waiting.contains(&format!("/clients/{sam_id}\"")), "{waiting}");
}

#[tokio::test]
async fn an_admins_home_shows_the_practice_and_the_licences_about_to_lapse() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let soon = (app.clock_now().date_naive() + Duration::days(30)).to_string();
    app.therapist(&admin, "soon@example.org", "UTC", &[("US-IL", &soon), ("US-WI", "2030-12-31")])
        .await;
    app.therapist(&admin, "later@example.org", "UTC", &[("US-CA", "2030-12-31")]).await;
    app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;

    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let home = page(&app, "/dashboard").await;
    let licences = &home[home.find("licences-heading").expect("licences")..];
    assert!(licences.contains("US-IL licence L-0: lapses on"), "{licences}");
    assert!(!licences.contains("US-WI") && !licences.contains("US-CA"), "{licences}");
    assert!(home.contains("<dt>Members</dt><dd>1</dd>"), "{home}");
    assert!(home.contains("<dt>Groups</dt><dd>0</dd>"), "{home}");
    assert!(home.contains("href=\"/reports/outcomes\""), "{home}");
}

#[tokio::test]
async fn the_client_summary_shows_open_flags_first_then_groups_places_and_therapist() {
    let (app, wed, full, sam) = seated_and_waiting().await;
    let sam_id = id_of(&app, &sam).await;
    app.submit_intake(&sam, &["anxiety-depression"], &[]).await;
    let risky = app.post_measure(&sam, "phq9", &json!([3, 2, 3, 1, 2, 3, 1, 2, 3])).await;
    assert_eq!(risky.status(), StatusCode::CREATED);

    app.log_in_with_form("t@example.org", PASSWORD).await;
    let summary = page(&app, &format!("/clients/{sam_id}")).await;
    let flags = summary.find("flags-heading").expect("an open flag is shown");
    let groups = summary.find("care-heading").expect("groups");
    let intake = summary.find("intake-heading").expect("intake");
    assert!(flags < groups && groups < intake, "flags first, then groups, then the intake");
    assert!(summary.contains("Thoughts of self-harm"), "{summary}");
    let care = &summary[groups..intake];
    assert!(
        care.contains(&format!("href=\"/groups/{wed}\"")) && care.contains("next session"),
        "{care}"
    );
    assert!(
        care.contains(&format!("href=\"/groups/{full}\""))
            && care.contains("number 1 on the waitlist"),
        "{care}"
    );
    assert!(care.contains("Therapist: Dr. Rivera"), "{care}");
    assert!(!summary.contains("your time") && !summary.contains("you chose"), "staff words");
}

/// Sam (token returned) sits in a Wednesday group and is first on the waitlist of a full
/// grief group.
async fn seated_and_waiting() -> (TestApp, i64, i64, String) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist = app.therapist(&admin, "t@example.org", "UTC", &[("US-IL", "2030-12-31")]).await;
    let wed = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    let full = app.group(&admin, therapist, json!({"capacity": 2, "topic": "grief-loss"})).await;
    for email in ["ana@example.org", "bo@example.org"] {
        let token = app.client_in(email, "US-IL", "America/Chicago", "1990-01-01").await;
        assert_eq!(app.post_seat(&token, full).await.status(), StatusCode::CREATED);
    }
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&sam, wed).await.status(), StatusCode::CREATED);
    assert_eq!(app.post_seat(&sam, full).await.status(), StatusCode::OK, "waitlisted");
    (app, wed, full, sam)
}

async fn seated_in(app: &TestApp, token: &str) -> Vec<i64> {
    let mine: Value = app.get_json(token, "/me/groups").await;
    mine["seated"].as_array().expect("seated").iter().filter_map(|g| g["id"].as_i64()).collect()
}

#[tokio::test]
async fn leaving_a_group_or_a_waitlist_is_asked_twice_and_told_on_the_home_page() {
    let (app, wed, full, sam) = seated_and_waiting().await;
    app.log_in_with_form("sam@example.org", PASSWORD).await;

    // The group page's button asks first; a post without the answer only asks again.
    let group_page = page(&app, &format!("/groups/{wed}")).await;
    assert!(group_page.contains(&format!("href=\"/groups/{wed}/leave\"")), "{group_page}");
    let unasked =
        app.submit_form(&format!("/groups/{wed}"), &format!("/groups/{wed}/leave"), &[]).await;
    assert_eq!(unasked.status(), StatusCode::SEE_OTHER);
    assert_eq!(unasked.headers()["location"], format!("/groups/{wed}/leave").as_str());
    assert_eq!(seated_in(&app, &sam).await, vec![wed], "still a member");
    let question = page(&app, &format!("/groups/{wed}/leave")).await;
    assert!(
        question.contains("Leave this group?")
            && question.contains("Your seat goes to the next person")
    );
    assert!(question.contains("No, stay in the group"), "{question}");

    let left = app
        .submit_form(
            &format!("/groups/{wed}/leave"),
            &format!("/groups/{wed}/leave"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(left.status(), StatusCode::SEE_OTHER);
    assert_eq!(left.headers()["location"], "/dashboard");
    assert!(seated_in(&app, &sam).await.is_empty());
    let home = page(&app, "/dashboard").await;
    assert!(home.contains("You have left Anxiety"), "{home}");
    assert!(!page(&app, "/dashboard").await.contains("You have left"), "told once");

    // The waitlist the same way.
    let unasked = app
        .submit_form(&format!("/groups/{full}"), &format!("/groups/{full}/waitlist/leave"), &[])
        .await;
    assert_eq!(unasked.headers()["location"], format!("/groups/{full}/waitlist/leave").as_str());
    let question = page(&app, &format!("/groups/{full}/waitlist/leave")).await;
    assert!(question.contains("You lose your place in line"), "{question}");
    let off = app
        .submit_form(
            &format!("/groups/{full}/waitlist/leave"),
            &format!("/groups/{full}/waitlist/leave"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(off.headers()["location"], "/dashboard");
    assert!(page(&app, "/dashboard").await.contains("You are off the waitlist of Grief"));
    let mine: Value = app.get_json(&sam, "/me/groups").await;
    assert!(mine["waiting"].as_array().expect("waiting").is_empty(), "{mine}");
}
