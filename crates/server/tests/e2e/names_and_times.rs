//! Names and times people read: calendar events titled as the pages title the group, with the
//! session room's link, and nothing about the group when the person chose a discreet
//! calendar; times on the clock of the reader's language; dates written one way, never as
//! ISO dates, on the pages a client and a therapist read.

use chrono::{TimeZone as _, Utc};
use icalendar::Component as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeSet, VecDeque};

use crate::helpers::{Browser, TestApp, signed_in, spawn_app};

const THERAPIST: &str = "rivera@example.org";
const CLIENT: &str = "nina@example.org";
/// The title the client reads on her pages: the group meets Wednesdays at 18:00 in Chicago,
/// 19:00 in her New York.
const TITLE: &str = "Anxiety & depression · Wednesday evenings with Dr. Rivera";

/// A Wednesday 18:00 Chicago group with a New York member; it is Friday 20 November 2026.
async fn a_client_seated_in_a_wednesday_group() -> (TestApp, i64, String) {
    let app = spawn_app().await;
    // The group is made before its first meeting (a first meeting in the past is refused).
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).single().expect("instant"));
    let admin = app.admin_token().await;
    let licences = [("US-IL", "2030-12-31"), ("US-NY", "2030-12-31")];
    let therapist = app.therapist(&admin, THERAPIST, "America/Chicago", &licences).await;
    let group = app.group(&admin, therapist, json!({"starts_on": "2026-11-04"})).await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("instant"));
    let member = app.client_in(CLIENT, "US-NY", "America/New_York", "1990-01-01").await;
    assert_eq!(app.post_seat(&member, group).await.status(), StatusCode::CREATED);
    (app, group, member)
}

/// The person's secret feed, made through the API and read from its URL.
async fn feed(app: &TestApp, token: &str) -> String {
    let made = app
        .client
        .post(app.url("/api/v1/me/calendar-feed"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(made.status(), StatusCode::CREATED);
    let url = made.json::<Value>().await.expect("json")["url"].as_str().expect("url").to_owned();
    let response = app.client.get(&url).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("ics")
}

/// Each event's (title, URL, description), and the whole text with folded lines joined.
fn events(text: &str) -> (Vec<(String, String, String)>, String) {
    let calendar: icalendar::Calendar = text.parse().expect("valid iCalendar");
    let events = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => Some((
                e.property_value("SUMMARY").unwrap_or_default().to_owned(),
                e.property_value("URL").unwrap_or_default().to_owned(),
                e.property_value("DESCRIPTION").unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect();
    (events, text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";"))
}

async fn html(app: &TestApp, browser: &Browser, path: &str, language: &str) -> String {
    let response = browser
        .client
        .get(app.url(path))
        .header("Accept-Language", language)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.expect("html")
}

async fn choose_calendar(app: &TestApp, browser: &Browser, choice: &str) -> reqwest::Response {
    let fields = [("csrf", browser.csrf.as_str()), ("calendar", choice)];
    browser.client.post(app.url("/account/calendar")).form(&fields).send().await.expect("request")
}

#[tokio::test]
async fn calendar_events_carry_the_group_title_and_room_link_and_nothing_of_it_when_discreet() {
    let (app, group, member) = a_client_seated_in_a_wednesday_group().await;

    let (named, _) = events(&feed(&app, &member).await);
    assert!(!named.is_empty(), "the feed holds the group's meetings");
    let room = |date: &str| app.url(&format!("/groups/{group}/meetings/{date}/room"));
    assert!(named.iter().any(|(_, url, _)| *url == room("2026-11-25")), "{named:?}");
    for (title, url, description) in &named {
        assert_eq!(title, TITLE, "titled as on her pages, not 'Hearth group session'");
        assert!(url.starts_with(&app.url(&format!("/groups/{group}/meetings/"))), "{url}");
        assert!(url.ends_with("/room"), "{url}");
        assert!(description.contains(url.as_str()), "the room link in the text: {description}");
    }

    // She chooses a discreet calendar on her account page.
    let nina = signed_in(&app, Some(CLIENT)).await;
    let account = html(&app, &nina, "/account", "en-US").await;
    assert!(account.contains("value=\"named\" checked"), "named by default: {account}");
    let chosen = choose_calendar(&app, &nina, "discreet").await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    let account = html(&app, &nina, "/account", "en-US").await;
    assert!(account.contains("value=\"discreet\" checked"), "{account}");
    assert!(account.contains("Your calendar now says only"), "confirmed: {account}");
    assert!(app.audit_actions().await.contains(&"calendar.discreet.set".to_owned()));

    let (discreet, text) = events(&feed(&app, &member).await);
    assert_eq!(discreet.len(), named.len(), "the same meetings");
    for (title, url, description) in &discreet {
        assert_eq!(title, "Hearth session");
        assert!(url.ends_with("/room") && description.contains(url.as_str()), "{description}");
    }
    let lower = text.to_lowercase();
    for word in ["anxiety", "depression", "rivera", "evenings", "group session", "topic"] {
        assert!(!lower.contains(word), "'{word}' in a discreet calendar: {text}");
    }
    // The group's own file, downloaded from its page, follows her choice too.
    let file = html(&app, &nina, &format!("/groups/{group}/calendar.ics"), "en-US").await;
    let (from_page, text) = events(&file);
    assert!(from_page.iter().all(|(title, _, _)| title == "Hearth session"), "{from_page:?}");
    assert!(!text.to_lowercase().contains("anxiety"), "{text}");

    // A choice that is neither is refused with the field named; the choice stands.
    let refused = choose_calendar(&app, &nina, "loud").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.expect("html").contains("choose how your calendar names"));
    // The API reads the same choice, and turns it back: titled again.
    let settings = app.get_json(&member, "/me/calendar-settings").await;
    assert_eq!(settings, json!({"discreet": true}));
    let put = app
        .client
        .put(app.url("/api/v1/me/calendar-settings"))
        .bearer_auth(&member)
        .json(&json!({"discreet": false}))
        .send()
        .await
        .expect("request");
    assert_eq!(put.status(), StatusCode::OK);
    let (again, _) = events(&feed(&app, &member).await);
    assert!(again.iter().all(|(title, _, _)| title == TITLE), "{again:?}");
}

#[tokio::test]
async fn times_follow_the_readers_language_on_the_same_page() {
    let (app, group, _) = a_client_seated_in_a_wednesday_group().await;
    let nina = signed_in(&app, Some(CLIENT)).await;
    for (language, weekly, next) in [
        ("en-US,en;q=0.9", "Wednesdays at 7:00 pm", "Wednesday 25 November at 7:00 pm"),
        ("en-GB,en;q=0.9", "Wednesdays at 19:00", "Wednesday 25 November at 19:00"),
    ] {
        let page = html(&app, &nina, &format!("/groups/{group}"), language).await;
        assert!(page.contains(weekly), "{language}: {page}");
        assert!(page.contains(next), "{language}: the next meeting: {page}");
        let home = html(&app, &nina, "/dashboard", language).await;
        assert!(home.contains(next), "{language}: {home}");
        let mine = html(&app, &nina, "/my/groups", language).await;
        assert!(mine.contains(weekly), "{language}: {mine}");
    }
    let us = html(&app, &nina, "/dashboard", "en-US").await;
    assert!(!us.contains("19:00"), "no 24-hour time for en-US: {us}");
    let lead = signed_in(&app, Some(THERAPIST)).await;
    let roster = html(&app, &lead, "/therapist/groups", "en-US").await;
    assert!(roster.contains("Wednesdays at 6:00 pm"), "{roster}");
    let roster = html(&app, &lead, "/therapist/groups", "de-DE").await;
    assert!(roster.contains("Wednesdays at 18:00"), "{roster}");
}

/// The page's text as people read it: without tags (so without links and form values),
/// scripts, styles and text boxes.
fn readable_text(html: &str) -> String {
    let mut text = html.to_owned();
    for (open, close) in
        [("<script", "</script>"), ("<style", "</style>"), ("<textarea", "</textarea>")]
    {
        while let Some(start) = text.find(open) {
            let end = text[start..].find(close).map_or(text.len(), |e| start + e + close.len());
            text.replace_range(start..end, " ");
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The first ISO date ("2026-12-02") in `text`, if any.
fn iso_date(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let window = &bytes[i..i + 10];
        let digits = |r: std::ops::Range<usize>| window[r].iter().all(u8::is_ascii_digit);
        let shaped = digits(0..4) && window[4] == b'-' && digits(5..7) && window[7] == b'-';
        let bounded = i == 0 || !bytes[i - 1].is_ascii_digit();
        (shaped && digits(8..10) && bounded).then(|| &text[i..i + 10])
    })
}

/// Every page `browser` reaches by following links from its home, up to `limit` pages.
async fn crawl(app: &TestApp, browser: &Browser, start: &[String], limit: usize) -> Vec<String> {
    let mut seen: BTreeSet<String> = start.iter().cloned().collect();
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    let mut offending = Vec::new();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        if visited == limit {
            break;
        }
        let response = browser
            .client
            .get(app.url(&path))
            .header("Accept-Language", "en-US")
            .send()
            .await
            .expect("request");
        // Follow a redirect (/my/progress leads to the client's own progress page).
        if let Some(to) = response.headers().get("location").and_then(|v| v.to_str().ok())
            && to.starts_with('/')
            && seen.insert(to.to_owned())
        {
            queue.push_back(to.to_owned());
        }
        let is_html = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if response.status() != StatusCode::OK || !is_html {
            continue;
        }
        visited += 1;
        let page = response.text().await.expect("html");
        if let Some(date) = iso_date(&readable_text(&page)) {
            offending.push(format!("{path} shows {date}"));
        }
        for link in page.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
            let link = link.split('#').next().unwrap_or_default().replace("&amp;", "&");
            let followed = link.starts_with('/')
                && !link.starts_with("/api/")
                && !link.starts_with("/static/")
                && !link.starts_with("/logout");
            if followed && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    assert!(visited > 5, "the crawl reached pages ({visited})");
    offending
}

#[tokio::test]
async fn no_page_a_client_or_therapist_reads_writes_a_date_as_iso() {
    let (app, group, member) = a_client_seated_in_a_wednesday_group().await;
    app.submit_intake(&member, &["anxiety-depression"], &["wed 17:00-20:00"]).await;
    let scored = app.post_measure(&member, "phq9", &json!([1, 1, 1, 1, 1, 1, 1, 0, 0])).await;
    assert_eq!(scored.status(), StatusCode::CREATED);
    let client_id = app.get_json(&member, "/me").await["id"].as_i64().expect("id");
    // A safety plan, so its page shows when it was last changed.
    let saved = app
        .client
        .put(app.url(&format!("/api/v1/clients/{client_id}/safety-plan")))
        .bearer_auth(&member)
        .json(&json!({"warning_signs": "Not sleeping", "coping_steps": "Walk the dog"}))
        .send()
        .await
        .expect("request");
    assert_eq!(saved.status(), StatusCode::NO_CONTENT);
    // The meeting of 25 November is open now.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 23, 55, 0).single().expect("instant"));

    let nina = signed_in(&app, Some(CLIENT)).await;
    let start = ["/dashboard".to_owned(), format!("/groups/{group}")];
    let offending = crawl(&app, &nina, &start, 60).await;
    assert!(offending.is_empty(), "the client reads ISO dates: {offending:#?}");

    let lead = signed_in(&app, Some(THERAPIST)).await;
    let start = [
        "/dashboard".to_owned(),
        "/therapist/groups".to_owned(),
        format!("/clients/{client_id}"),
        format!("/groups/{group}/meetings/2026-11-25/attendance"),
    ];
    let offending = crawl(&app, &lead, &start, 60).await;
    assert!(offending.is_empty(), "the therapist reads ISO dates: {offending:#?}");
}

#[test]
fn the_iso_date_finder_finds_only_iso_dates() {
    assert_eq!(iso_date("held on 2026-12-02 at noon"), Some("2026-12-02"));
    assert_eq!(iso_date("Wednesday 2 December at 6:00 pm"), None);
    assert_eq!(readable_text("<input value=\"2026-12-02\"><p>Wednesday</p>"), "  Wednesday ");
}
