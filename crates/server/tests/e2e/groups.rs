use chrono::{Duration, TimeZone as _, Utc};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

use crate::helpers::{TestApp, spawn_app};

const LICENSED: &[(&str, &str)] = &[("US-IL", "2030-12-31"), ("US-NY", "2030-12-31")];

/// A license that is valid today and lapses in a week, and the first Wednesday a month from
/// now, for a group that starts after it lapses (dates from the test's clock, so the tests do
/// not expire with the calendar).
fn lapsing_license_and_a_later_start(app: &TestApp) -> (String, String) {
    let today = app.clock_now().date_naive();
    let mut start = today + Duration::days(30);
    while chrono::Datelike::weekday(&start) != chrono::Weekday::Wed {
        start += Duration::days(1);
    }
    ((today + Duration::days(7)).to_string(), start.to_string())
}

async fn practice() -> (TestApp, String, i64) {
    practice_at(None).await
}

/// A practice whose clock starts at `now` (sessions are made after the clock is set).
async fn practice_at(now: Option<chrono::DateTime<Utc>>) -> (TestApp, String, i64) {
    let app = spawn_app().await;
    if let Some(now) = now {
        app.clock.set(now);
    }
    let admin = app.admin_token().await;
    let therapist = app.therapist(&admin, "rivera@example.org", "America/Chicago", LICENSED).await;
    (app, admin, therapist)
}

#[tokio::test]
async fn the_catalog_lists_every_seeded_topic_including_compassion_fatigue() {
    let app = spawn_app().await;
    let topics: Value = app
        .client
        .get(app.url("/api/v1/topics"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let slugs: Vec<&str> =
        topics.as_array().expect("list").iter().filter_map(|t| t["slug"].as_str()).collect();
    assert_eq!(slugs.len(), 17);
    assert!(slugs.contains(&"compassion-fatigue") && slugs.contains(&"dbt-skills"));
    let (_, plan) = app.app.topic_with_plan("compassion-fatigue").await.expect("plan");
    assert_eq!(plan.len(), 8);
}

#[tokio::test]
async fn an_admin_creates_a_therapist_and_a_group_that_clients_list_with_seats_left() {
    let (app, admin, therapist) = practice().await;
    let group = app.group(&admin, therapist, json!({"capacity": 8})).await;
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-05-01").await;
    let listed = app.get_json(&client, "/groups?topic=anxiety-depression").await;
    let first = &listed.as_array().expect("list")[0];
    assert_eq!(first["id"], group);
    assert_eq!(first["therapist_id"], therapist);
    assert_eq!(
        (first["weekday"].as_str(), first["local_time"].as_str()),
        (Some("wed"), Some("18:00"))
    );
    assert_eq!(first["timezone"], "America/Chicago", "the therapist's zone by default");
    assert_eq!(
        (first["capacity"].as_i64(), first["seats_left"].as_i64(), first["waitlist"].as_i64()),
        (Some(8), Some(8), Some(0))
    );
    assert!(
        app.get_json(&client, "/groups?topic=grief-loss")
            .await
            .as_array()
            .expect("list")
            .is_empty()
    );

    let profile = app.get_json(&client, &format!("/therapists/{therapist}")).await;
    assert_eq!(profile["license_kind"], "LCSW");
    assert_eq!(profile["licensed_in"].as_array().expect("list").len(), 2);
}

#[tokio::test]
async fn bad_therapist_and_group_input_is_refused_field_by_field_and_nothing_is_written() {
    let (app, admin, therapist) = practice().await;
    let bad_therapist = json!({
        "email": "x@example.org", "password": "lantern orchard violet", "display_name": "X",
        "timezone": "America/Chicago", "licenses": [{"region": "US-ZZ", "kind": "guru", "number": "1", "expires_on": "soon"}],
        "specialties": ["astrology"],
    });
    let response = app.post_therapist(&admin, &bad_therapist).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = response.json::<Value>().await.expect("json")["fields"].clone();
    for field in
        ["licenses[0].region", "licenses[0].kind", "licenses[0].expires_on", "specialties[0]"]
    {
        assert!(fields[field].is_string(), "{field} in {fields}");
    }

    // A Monday a week or more ahead, and the Sunday before it (dates from the test's clock,
    // so the first meeting is never in the past).
    let mut monday = app.clock_now().date_naive() + Duration::days(7);
    while chrono::Datelike::weekday(&monday) != chrono::Weekday::Mon {
        monday += Duration::days(1);
    }
    let sunday = (monday - Duration::days(1)).to_string();
    let two_days_ago = (app.clock_now().date_naive() - Duration::days(2)).to_string();
    let cases = [
        ("topic", json!({"topic": "astrology"})),
        ("therapist_id", json!({"therapist_id": 999_999})),
        ("weekday", json!({"weekday": "someday"})),
        ("local_time", json!({"local_time": "25:00"})),
        ("timezone", json!({"timezone": "Mars/Base"})),
        ("capacity", json!({"capacity": 0})),
        ("age_band", json!({"age_band": "toddler"})),
        ("starts_on", json!({"starts_on": "next week"})),
        // This is a Monday group: not on a Sunday, nor on a day gone by.
        ("starts_on", json!({"starts_on": sunday})),
        ("starts_on", json!({"starts_on": two_days_ago})),
        ("ends_on", json!({"ends_on": "2025-01-01"})),
        ("duration_minutes", json!({"duration_minutes": 5})),
    ];
    for (field, change) in cases {
        let mut body = json!({"topic": "cbt", "therapist_id": therapist, "weekday": "mon", "local_time": "09:00", "starts_on": monday.to_string()});
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let response = app.post_group(&admin, &body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let error: Value = response.json().await.expect("json");
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    let client = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-05-01").await;
    assert!(app.get_json(&client, "/groups").await.as_array().expect("list").is_empty());
    assert_eq!(app.post_group(&client, &json!({})).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_hundred_concurrent_seat_requests_seat_exactly_ten_and_queue_the_rest_in_order() {
    let (app, admin, therapist) = practice().await;
    let group = app.group(&admin, therapist, json!({"capacity": 10})).await;
    let mut tokens = Vec::new();
    for batch in (0..200).collect::<Vec<_>>().chunks(25) {
        let made = join_all(batch.iter().map(|i| {
            let email = format!("c{i}@example.org");
            let app = &app;
            async move { app.client_in(&email, "US-IL", "America/Chicago", "1990-05-01").await }
        }))
        .await;
        tokens.extend(made);
    }
    let responses = join_all(tokens.iter().map(|t| app.post_seat(t, group))).await;
    let mut seated = 0;
    let mut positions = BTreeSet::new();
    for response in responses {
        match response.status() {
            StatusCode::CREATED => seated += 1,
            StatusCode::OK => {
                let body: Value = response.json().await.expect("json");
                assert_eq!(body["status"], "waitlisted");
                assert!(
                    positions.insert(body["position"].as_i64().expect("position")),
                    "positions are unique"
                );
            }
            other => panic!("no request may fail: {other}"),
        }
    }
    assert_eq!(seated, 10);
    assert_eq!(positions, (1..=190).collect::<BTreeSet<i64>>());
    let listed = app.get_group(&tokens[0], group).await;
    assert_eq!((listed["seats_left"].as_i64(), listed["waitlist"].as_i64()), (Some(0), Some(190)));
}

#[tokio::test]
async fn a_freed_seat_goes_to_the_first_waiting_and_moves_on_by_decline_and_expiry() {
    let (app, admin, therapist) = practice().await;
    let group = app.group(&admin, therapist, json!({"capacity": 2})).await;
    let mut clients = Vec::new();
    for i in 0..6 {
        clients.push(
            app.client_in(&format!("q{i}@example.org"), "US-NY", "America/New_York", "1985-01-01")
                .await,
        );
    }
    for (i, token) in clients.iter().enumerate() {
        let expected = if i < 2 { StatusCode::CREATED } else { StatusCode::OK };
        assert_eq!(app.post_seat(token, group).await.status(), expected);
    }
    // Members 0 leaves: q2 (first waiting) holds an offer; a newcomer cannot take the seat.
    assert_eq!(app.delete_seat(&clients[0], group).await.status(), StatusCode::NO_CONTENT);
    let newcomer =
        app.client_in("late@example.org", "US-IL", "America/Chicago", "1985-01-01").await;
    let late: Value = app.post_seat(&newcomer, group).await.json().await.expect("json");
    assert_eq!(late, json!({"status": "waitlisted", "position": 4}));
    let offered = app.get_json(&clients[2], "/me/groups").await;
    assert_eq!(offered["waiting"][0]["position"], 0, "an offer is position 0");
    assert!(offered["waiting"][0]["offer_expires_at"].is_string());

    // q2 declines: q3 is offered. q3 lets it expire: q4 is offered and accepts.
    assert_eq!(
        app.post_empty(&clients[2], &format!("/groups/{group}/offer/decline")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get_json(&clients[3], "/me/groups").await["waiting"][0]["position"], 0);
    app.clock.advance(Duration::hours(49));
    assert_eq!(app.app.expire_offers_once(app.clock_now()).await.expect("job"), 1);
    // Two days passed: sign in again.
    for i in [3, 4] {
        clients[i] = app.token(&format!("q{i}@example.org"), crate::helpers::PASSWORD).await;
    }
    assert_eq!(
        app.post_empty(&clients[3], &format!("/groups/{group}/offer/accept")).await.status(),
        StatusCode::NOT_FOUND,
        "an expired offer cannot be accepted"
    );
    assert_eq!(
        app.post_empty(&clients[4], &format!("/groups/{group}/offer/accept")).await.status(),
        StatusCode::CREATED
    );
    let mine = app.get_json(&clients[4], "/me/groups").await;
    assert_eq!(mine["seated"][0]["id"], group);
    let state = app.get_group(&clients[4], group).await;
    assert_eq!(
        (state["seats_left"].as_i64(), state["waitlist"].as_i64()),
        (Some(0), Some(2)),
        "q5 and the newcomer wait"
    );
}

#[tokio::test]
async fn licensure_refuses_clients_outside_the_therapists_states_or_after_expiry() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (lapses, starts) = lapsing_license_and_a_later_start(&app);
    let therapist = app
        .therapist(
            &admin,
            "t@example.org",
            "America/Chicago",
            &[("US-IL", "2030-12-31"), ("US-WI", &lapses)],
        )
        .await;
    let later = app.group(&admin, therapist, json!({"starts_on": starts})).await;
    let ca = app.client_in("ca@example.org", "US-CA", "America/Los_Angeles", "1990-01-01").await;
    let response = app.post_seat(&ca, later).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "not_licensed");
    assert!(body["message"].as_str().expect("message").contains("US-CA"));
    let wi = app.client_in("wi@example.org", "US-WI", "America/Chicago", "1990-01-01").await;
    let expired: Value = app.post_seat(&wi, later).await.json().await.expect("json");
    assert_eq!(
        expired["error"], "not_licensed",
        "the Wisconsin license lapses before the start date"
    );
    let il = app.client_in("il@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&il, later).await.status(), StatusCode::CREATED);
    let again: Value = app.post_seat(&il, later).await.json().await.expect("json");
    assert_eq!(again["error"], "already_member");
}

#[tokio::test]
async fn teen_groups_take_only_thirteen_to_seventeen_and_adult_groups_only_adults() {
    let (app, admin, therapist) = practice().await;
    let teen_group =
        app.group(&admin, therapist, json!({"age_band": "teen", "topic": "parenting"})).await;
    let adult_group = app.group(&admin, therapist, json!({})).await;
    let today = app.clock_now().date_naive();
    let teen_birth = (today - Duration::days(15 * 365)).to_string();
    let teen = app.client_in("teen@example.org", "US-IL", "America/Chicago", &teen_birth).await;
    let adult = app.client_in("adult@example.org", "US-IL", "America/Chicago", "1980-01-01").await;
    assert_eq!(app.post_seat(&teen, teen_group).await.status(), StatusCode::CREATED);
    let refused: Value = app.post_seat(&teen, adult_group).await.json().await.expect("json");
    assert_eq!(refused["error"], "age_band");
    let refused: Value = app.post_seat(&adult, teen_group).await.json().await.expect("json");
    assert_eq!(refused["error"], "age_band");
}

#[tokio::test]
async fn a_member_switches_groups_keeping_the_old_seat_until_the_new_one_is_confirmed() {
    let (app, admin, therapist) = practice().await;
    let old = app.group(&admin, therapist, json!({"capacity": 2})).await;
    let full = app.group(&admin, therapist, json!({"capacity": 2, "weekday": "thu"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let waiting_for_old =
        app.client_in("w@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let a = app.client_in("a@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let b = app.client_in("b@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, old).await;
    app.post_seat(&a, old).await;
    app.post_seat(&waiting_for_old, old).await;
    app.post_seat(&b, full).await;
    app.post_seat(&a, full).await;

    let switch = |token: &str, to: i64| {
        app.client
            .post(app.url(&format!("/api/v1/groups/{old}/switch")))
            .bearer_auth(token.to_owned())
            .json(&json!({"to": to}))
            .send()
    };
    let response: Value = switch(&sam, full).await.expect("request").json().await.expect("json");
    assert_eq!(response["status"], "waitlisted");
    let mine = app.get_json(&sam, "/me/groups").await;
    assert_eq!(mine["seated"][0]["id"], old, "the old seat is kept while waiting");

    // A seat frees in the new group: Sam is offered it, accepts, and the old seat ends.
    app.delete_seat(&b, full).await;
    assert_eq!(
        app.post_empty(&sam, &format!("/groups/{full}/offer/accept")).await.status(),
        StatusCode::CREATED
    );
    let mine = app.get_json(&sam, "/me/groups").await;
    let seated: Vec<i64> =
        mine["seated"].as_array().expect("list").iter().filter_map(|g| g["id"].as_i64()).collect();
    assert_eq!(seated, vec![full]);
    // The old seat went to the person waiting for it.
    assert_eq!(app.get_json(&waiting_for_old, "/me/groups").await["waiting"][0]["position"], 0);

    let history = app
        .db
        .list_client_memberships(hearth_domain::UserId::new(
            app.get_json(&sam, "/me").await["id"].as_i64().expect("id"),
        ))
        .await
        .expect("history");
    let statuses: Vec<(i64, &str)> =
        history.iter().map(|m| (m.group_id.get(), m.status.as_str())).collect();
    assert!(
        statuses.contains(&(old, "switched")) && statuses.contains(&(full, "seated")),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn meetings_keep_the_therapists_hour_across_daylight_saving_and_show_in_each_viewers_zone() {
    let (app, admin, therapist) =
        practice_at(Some(Utc.with_ymd_and_hms(2027, 2, 20, 12, 0, 0).single().expect("instant")))
            .await;
    let group = app
        .group(
            &admin,
            therapist,
            // The first Wednesday on or after the clock's today (a past first meeting is refused).
            json!({"timezone": "America/New_York", "starts_on": "2027-02-24"}),
        )
        .await;
    let london = app.client_in("ldn@example.org", "US-NY", "Europe/London", "1990-01-01").await;
    let meetings = app
        .get_json(&london, &format!("/groups/{group}/occurrences?from=2027-03-01&to=2027-04-05"))
        .await;
    let starts: Vec<(&str, &str)> = meetings
        .as_array()
        .expect("list")
        .iter()
        .map(|m| (m["starts_at"].as_str().expect("utc"), m["local_start"].as_str().expect("local")))
        .collect();
    assert_eq!(
        starts,
        [
            ("2027-03-03T23:00:00Z", "2027-03-03T23:00:00+00:00"),
            ("2027-03-10T23:00:00Z", "2027-03-10T23:00:00+00:00"),
            // New York moved to summer time on 14 March; London waits until 28 March.
            ("2027-03-17T22:00:00Z", "2027-03-17T22:00:00+00:00"),
            ("2027-03-24T22:00:00Z", "2027-03-24T22:00:00+00:00"),
            ("2027-03-31T22:00:00Z", "2027-03-31T23:00:00+01:00"),
        ]
    );
    assert!(meetings.as_array().expect("list").iter().all(|m| m["local_zone"] == "Europe/London"));

    // The London member is told in advance that the meeting moves on their clock.
    app.clock.set(Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).single().expect("instant"));
    let london = app.token("ldn@example.org", crate::helpers::PASSWORD).await;
    let detail = app.get_group(&london, group).await;
    let notices = detail["shift_notices"].as_array().expect("notices");
    assert_eq!(notices[0]["before"], "23:00");
    assert_eq!(notices[0]["after"], "22:00");
    let ny = app.client_in("ny@example.org", "US-NY", "America/New_York", "1990-01-01").await;
    assert!(app.get_group(&ny, group).await["shift_notices"].as_array().expect("list").is_empty());
}

#[tokio::test]
async fn one_meeting_is_cancelled_or_moved_without_touching_the_series_and_the_calendar_agrees() {
    let (app, admin, therapist) =
        practice_at(Some(Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).single().expect("instant")))
            .await;
    let group = app.group(&admin, therapist, json!({"starts_on": "2027-01-06"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, group).await;
    let cancel =
        app.post_empty(&admin, &format!("/groups/{group}/occurrences/2027-01-13/cancel")).await;
    assert_eq!(cancel.status(), StatusCode::NO_CONTENT);
    let moved = app
        .client
        .post(app.url(&format!("/api/v1/groups/{group}/occurrences/2027-01-20/move")))
        .bearer_auth(&admin)
        .json(&json!({"starts_at": "2027-01-21T01:00:00Z"}))
        .send()
        .await
        .expect("request");
    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.post_empty(&sam, &format!("/groups/{group}/occurrences/2027-01-27/cancel"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let meetings = app
        .get_json(&sam, &format!("/groups/{group}/occurrences?from=2027-01-01&to=2027-01-31"))
        .await;
    let seen: Vec<(&str, &str)> = meetings
        .as_array()
        .expect("list")
        .iter()
        .map(|m| (m["starts_at"].as_str().expect("start"), m["status"].as_str().expect("status")))
        .collect();
    assert_eq!(
        seen,
        [
            ("2027-01-07T00:00:00Z", "scheduled"),
            ("2027-01-14T00:00:00Z", "cancelled"),
            ("2027-01-21T01:00:00Z", "moved"),
            ("2027-01-28T00:00:00Z", "scheduled"),
        ]
    );

    // The personal feed, parsed back, holds the same meetings with the cancelled one marked.
    let url = app
        .client
        .post(app.url("/api/v1/me/calendar-feed"))
        .bearer_auth(&sam)
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json")["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let text = app.client.get(&url).send().await.expect("request").text().await.expect("ics");
    let calendar: icalendar::Calendar = text.parse().expect("valid iCalendar");
    let mut events: Vec<(String, String)> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => {
                use icalendar::Component as _;
                Some((
                    e.property_value("DTSTART")?.to_owned(),
                    e.property_value("STATUS")?.to_owned(),
                ))
            }
            _ => None,
        })
        .filter(|(start, _)| start.starts_with("202701"))
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("20270107T000000Z".to_owned(), "CONFIRMED".to_owned()),
            ("20270114T000000Z".to_owned(), "CANCELLED".to_owned()),
            ("20270121T010000Z".to_owned(), "CONFIRMED".to_owned()),
            ("20270128T000000Z".to_owned(), "CONFIRMED".to_owned()),
        ]
    );
    // Revoking the feed kills the URL.
    let revoked = app
        .client
        .delete(app.url("/api/v1/me/calendar-feed"))
        .bearer_auth(&sam)
        .send()
        .await
        .expect("request");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.client.get(&url).send().await.expect("request").status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_see_each_others_display_names_only_and_the_therapist_sees_the_full_roster() {
    let (app, admin, therapist) = practice().await;
    let group = app.group(&admin, therapist, json!({})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1991-01-01").await;
    let outsider = app.client_in("out@example.org", "US-IL", "America/Chicago", "1991-01-01").await;
    app.post_seat(&sam, group).await;
    app.post_seat(&kim, group).await;
    let as_member = app.get_json(&sam, &format!("/groups/{group}/roster")).await;
    assert!(
        as_member
            .as_array()
            .expect("list")
            .iter()
            .all(|m| { m.as_object().expect("object").keys().eq(["display_name"].iter()) })
    );
    let lead = app.token("rivera@example.org", crate::helpers::PASSWORD).await;
    let as_therapist = app.get_json(&lead, &format!("/groups/{group}/roster")).await;
    assert_eq!(as_therapist[1]["email"], "kim@example.org");
    let refused = app
        .client
        .get(app.url(&format!("/api/v1/groups/{group}/roster")))
        .bearer_auth(&outsider)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_renames_topics_and_programs_and_nobody_else_may() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let edit = |token: &str, body: Value| {
        app.client
            .patch(app.url("/api/v1/topics/cbt"))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let done =
        edit(&admin, json!({"name": "CBT skills", "description": "Thoughts, feelings, actions."}))
            .await
            .expect("request");
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let topics = app.get_json(&admin, "/topics").await;
    assert!(topics.as_array().expect("list").iter().any(|t| t["name"] == "CBT skills"));
    let empty = edit(&admin, json!({"name": "  "})).await.expect("request");
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let client = app.client_in("c@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let refused = edit(&client, json!({"name": "Mine"})).await.expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let program = app
        .client
        .patch(app.url("/api/v1/programs/iop"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Intensive outpatient (IOP)", "description": "Nine hours a week."}))
        .send()
        .await
        .expect("request");
    assert_eq!(program.status(), StatusCode::NO_CONTENT);
    let programs: Value = app
        .client
        .get(app.url("/api/v1/programs"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        programs
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p["name"] == "Intensive outpatient (IOP)")
    );
}

#[tokio::test]
async fn a_renewed_license_lets_a_client_join_again() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (lapses, starts) = lapsing_license_and_a_later_start(&app);
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-WI", &lapses)]).await;
    let group = app.group(&admin, therapist, json!({"starts_on": starts})).await;
    let wi = app.client_in("wi@example.org", "US-WI", "America/Chicago", "1990-01-01").await;
    assert_eq!(app.post_seat(&wi, group).await.status(), StatusCode::CONFLICT);

    let add = |body: Value| {
        app.client
            .post(app.url(&format!("/api/v1/therapists/{therapist}/licenses")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let bad = add(
        json!({"region": "Wisconsin", "kind": "LCSW", "number": "R-1", "expires_on": "2028-12-01"}),
    )
    .await
    .expect("request");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json::<Value>().await.expect("json")["fields"]["region"].is_string());
    // A license already expired is a typing mistake, refused at its field.
    let expired = add(
        json!({"region": "US-WI", "kind": "LCSW", "number": "R-0", "expires_on": "2020-06-30"}),
    )
    .await
    .expect("request");
    assert_eq!(expired.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &expired.json::<Value>().await.expect("json")["fields"];
    assert!(fields["expires_on"].as_str().expect("a message").contains("expired on 2020-06-30"));
    let renewed = add(
        json!({"region": "US-WI", "kind": "LCSW", "number": "R-1", "expires_on": "2028-12-01"}),
    )
    .await
    .expect("request");
    assert_eq!(renewed.status(), StatusCode::CREATED);
    let again = add(
        json!({"region": "US-WI", "kind": "LCSW", "number": "R-1", "expires_on": "2028-12-01"}),
    )
    .await
    .expect("request");
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.post_seat(&wi, group).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn recommendations_rank_groups_the_client_may_join_with_reasons_and_never_one_they_may_not() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let chicago = app.therapist(&admin, "t@example.org", "America/Chicago", LICENSED).await;
    let elsewhere = app
        .therapist(&admin, "far@example.org", "America/Denver", &[("US-CO", "2030-12-31")])
        .await;
    // Wednesday 18:00 Chicago grief group (fits the intake), Monday 09:00 CBT, a teen group,
    // and a grief group whose therapist is not licensed in Illinois.
    let grief = app.group(&admin, chicago, json!({"topic": "grief-loss"})).await;
    let cbt = app
        .group(&admin, chicago, json!({"topic": "cbt", "weekday": "mon", "local_time": "09:00"}))
        .await;
    let teen = app.group(&admin, chicago, json!({"topic": "grief-loss", "age_band": "teen"})).await;
    let unlicensed = app.group(&admin, elsewhere, json!({"topic": "grief-loss"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.submit_intake(&sam, &["grief-loss"], &["wed 17:00-20:00"]).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");

    let ranked = app.get_json(&sam, &format!("/clients/{sam_id}/recommendations")).await;
    let ids: Vec<i64> =
        ranked.as_array().expect("list").iter().filter_map(|r| r["group_id"].as_i64()).collect();
    assert_eq!(ids, [grief, cbt], "best first; never the teen group or the unlicensed therapist's");
    assert!(!ids.contains(&teen) && !ids.contains(&unlicensed));
    let reasons: Vec<&str> = ranked[0]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(reasons.contains(&"Grief & loss is a topic you chose"), "{reasons:?}");
    assert!(
        reasons.contains(&"meets Wednesdays at 18:00 your time, inside the times you gave"),
        "{reasons:?}"
    );
    assert!(ranked[0]["score"].as_i64() > ranked[1]["score"].as_i64());

    let kim = app.client_in("kim@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let refused = app
        .client
        .get(app.url(&format!("/api/v1/clients/{sam_id}/recommendations")))
        .bearer_auth(&kim)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // A coordinator (Sam has none assigned yet, so every coordinator looks after them) sees
    // them; an administrator does not (the reasons echo the intake).
    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", crate::helpers::PASSWORD).await;
    let admin_sees = app
        .client
        .get(app.url(&format!("/api/v1/clients/{sam_id}/recommendations")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("request");
    assert_eq!(admin_sees.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_json(&coordinator, &format!("/clients/{sam_id}/recommendations"))
            .await
            .as_array()
            .expect("list")
            .len(),
        2
    );
    // A therapist who does not treat Sam may not see them.
    let stranger = app.token("far@example.org", crate::helpers::PASSWORD).await;
    let path = format!("/api/v1/clients/{sam_id}/recommendations");
    let refused =
        app.client.get(app.url(&path)).bearer_auth(&stranger).send().await.expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // For one-to-one care: only the therapist licensed in Illinois, with reasons.
    let therapists =
        app.get_json(&sam, &format!("/clients/{sam_id}/therapist-recommendations")).await;
    let ids: Vec<i64> = therapists
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["therapist_id"].as_i64())
        .collect();
    assert_eq!(ids, [chicago]);
    assert_eq!(therapists[0]["reasons"][0], "licensed in US-IL");
}

#[tokio::test]
async fn a_switch_request_with_a_reason_is_approved_by_a_coordinator_and_moves_the_client() {
    let (app, admin, therapist) = practice().await;
    let old = app.group(&admin, therapist, json!({})).await;
    let new = app.group(&admin, therapist, json!({"weekday": "thu"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, old).await;
    let ask = |body: Value| {
        app.client.post(app.url("/api/v1/switch-requests")).bearer_auth(&sam).json(&body).send()
    };
    let no_reason = ask(json!({"from": old, "to": new, "reason": " "})).await.expect("request");
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let asked = ask(json!({"from": old, "to": new, "reason": "Thursdays suit my new shifts."}))
        .await
        .expect("request");
    assert_eq!(asked.status(), StatusCode::CREATED);
    let id = asked.json::<Value>().await.expect("json")["id"].as_i64().expect("id");

    app.create_staff("coord@example.org", "coordinator").await;
    let coordinator = app.token("coord@example.org", crate::helpers::PASSWORD).await;
    let pending = app.get_json(&coordinator, "/switch-requests").await;
    assert_eq!(pending[0]["reason"], "Thursdays suit my new shifts.");
    assert_eq!(
        app.post_empty(&sam, &format!("/switch-requests/{id}/approve")).await.status(),
        StatusCode::FORBIDDEN
    );
    let approved = app.post_empty(&coordinator, &format!("/switch-requests/{id}/approve")).await;
    assert_eq!(approved.status(), StatusCode::CREATED);
    let seated: Vec<i64> = app.get_json(&sam, "/me/groups").await["seated"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|g| g["id"].as_i64())
        .collect();
    assert_eq!(seated, vec![new]);
    assert_eq!(
        app.post_empty(&coordinator, &format!("/switch-requests/{id}/approve")).await.status(),
        StatusCode::CONFLICT
    );
    assert!(
        app.get_json(&coordinator, "/switch-requests").await.as_array().expect("list").is_empty()
    );
    let mine = app.get_json(&sam, "/switch-requests").await;
    assert_eq!(mine[0]["status"], "approved");
}

#[tokio::test]
async fn consult_calls_are_spread_across_coordinators_by_load_and_never_double_booked() {
    let app = spawn_app().await;
    // Monday 2027-03-01 12:00 UTC; both coordinators (in Denver) take calls on Tuesdays 09:00-10:00 their time.
    app.clock.set(Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).single().expect("instant"));
    app.create_staff("c1@example.org", "coordinator").await;
    app.create_staff("c2@example.org", "coordinator").await;
    for email in ["c1@example.org", "c2@example.org"] {
        let token = app.token(email, crate::helpers::PASSWORD).await;
        let set = app
            .client
            .put(app.url("/api/v1/me/consult-availability"))
            .bearer_auth(&token)
            .json(&json!({"windows": ["tue 09:00-10:00"]}))
            .send()
            .await
            .expect("request");
        assert_eq!(set.status(), StatusCode::NO_CONTENT);
    }
    let a = app.client_in("a@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let b = app.client_in("b@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let c = app.client_in("c@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    let slots = app.get_json(&a, "/consults/slots").await;
    // 09:00 in Denver (UTC-7) is 10:00 for a client in Chicago: three calls on each of two Tuesdays.
    assert_eq!(slots[0]["starts_at"], "2027-03-02T16:00:00Z");
    assert_eq!(slots[0]["local_start"], "2027-03-02T10:00:00-06:00");
    assert_eq!(slots.as_array().expect("list").len(), 6);

    let book = |token: &str, body: Value| {
        app.client
            .post(app.url("/api/v1/consults"))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let slot = json!("2027-03-02T16:00:00Z");
    assert_eq!(
        book(&a, json!({"starts_at": slot, "phone": "x"})).await.expect("request").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        book(&a, json!({"starts_at": slot, "phone": "312 555 0100"}))
            .await
            .expect("request")
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        book(&b, json!({"starts_at": slot, "phone": "312 555 0101"}))
            .await
            .expect("request")
            .status(),
        StatusCode::CREATED
    );
    let third =
        book(&c, json!({"starts_at": slot, "phone": "312 555 0102"})).await.expect("request");
    assert_eq!(third.status(), StatusCode::CONFLICT, "both coordinators are taken then");
    let booked = app.db.list_booked_consults(app.clock_now()).await.expect("calls");
    let coordinators: std::collections::BTreeSet<i64> =
        booked.iter().map(|c| c.coordinator_id).collect();
    assert_eq!((booked.len(), coordinators.len()), (2, 2), "one call each");
    let again = book(&a, json!({"starts_at": "2027-03-02T16:20:00Z", "phone": "312 555 0100"}))
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::CONFLICT, "one booked call at a time");

    // Reschedule, then cancel.
    let old = app.get_json(&a, "/consults").await[0]["id"].as_i64().expect("id");
    let moved = book(
        &a,
        json!({"starts_at": "2027-03-02T16:20:00Z", "phone": "312 555 0100", "replaces": old}),
    )
    .await
    .expect("request");
    assert_eq!(moved.status(), StatusCode::CREATED);
    let mine = app.get_json(&a, "/consults").await;
    assert_eq!(
        (mine.as_array().expect("list").len(), mine[0]["starts_at"].as_str()),
        (1, Some("2027-03-02T16:20:00Z"))
    );
    let id = mine[0]["id"].as_i64().expect("id");
    let cancelled = app
        .client
        .delete(app.url(&format!("/api/v1/consults/{id}")))
        .bearer_auth(&a)
        .send()
        .await
        .expect("request");
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);
    assert!(app.get_json(&a, "/consults").await.as_array().expect("list").is_empty());
}
