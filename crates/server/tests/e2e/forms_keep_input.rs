//! Every form that takes typed input, posted with every field filled with a distinctive value
//! and exactly one field bad: the answer is 422 with a message on that field, the page shows
//! every other value as typed (text in `value="…"` or a textarea, chosen options `selected`,
//! ticked boxes `checked`), and nothing was saved (the audit log has no new row but reads, and the page
//! that would show the saved value does not show it).
//!
//! One table per person signed in; each entry is one form.
//!
//! Forms not posted here, and why:
//! - passwords (sign-up, new therapist, invitation) are never sent back to the page, by design;
//!   they are filled but not checked.
//! - `/login`, `/login/code` and the second-factor enrolment: one secret and an email; a
//!   refused log-in says nothing about which field was wrong, by design (tested in
//!   `login_attacks` and `second_factor`).
//! - `/care/placement`, seat offers, leaving, cancelling or restoring a meeting, session
//!   revoking, calendar feed buttons, taking a client on and choosing a coordinator: buttons
//!   and hidden or fixed choices only, nothing typed that could be lost.
//! - `/account/calendar`: one pair of radio buttons, both always valid.
//! - the attendance sheet: it needs a session held in the room first; one bad line with the
//!   others kept chosen is posted in `room_edges::attendance_sheet_shows_the_host_and_the_rooms_minutes_and_saves_in_one_go`.
//! - forms whose one field is the bad one (care note, break-the-glass reason, consult hours,
//!   risk acknowledgement, meeting move) have no other value: the bad text itself must come back.

use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, signed_in, spawn_app};

/// One form posted with one bad field.
struct Case {
    /// What the table entry is, for messages.
    what: &'static str,
    action: String,
    fields: Vec<(&'static str, String)>,
    /// The field that is wrong: it must carry a message.
    bad: &'static str,
    /// Words of the message shown on the page.
    message: &'static str,
    /// Also check the bad value itself comes back (text a person would retype).
    bad_kept: bool,
    /// A page (GET as the same person) that must not show `marker` after the refusal.
    unsaved: Option<(String, String)>,
    /// Posted by someone not signed in (sign-up, an invitation).
    visitor: bool,
}

fn case(
    what: &'static str,
    action: &str,
    fields: &[(&'static str, &str)],
    bad: &'static str,
) -> Case {
    Case {
        what,
        action: action.to_owned(),
        fields: fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        bad,
        message: "",
        bad_kept: false,
        unsaved: None,
        visitor: false,
    }
}

impl Case {
    fn says(mut self, message: &'static str) -> Self {
        self.message = message;
        self
    }

    fn keeps_the_bad_value_too(mut self) -> Self {
        self.bad_kept = true;
        self
    }

    fn by_a_visitor(mut self) -> Self {
        self.visitor = true;
        self
    }

    fn not_shown_on(mut self, page: &str, marker: &str) -> Self {
        self.unsaved = Some((page.to_owned(), marker.to_owned()));
        self
    }
}

/// Fields never sent back: the CSRF token and passwords.
const NOT_ECHOED: [&str; 2] = ["csrf", "password"];

/// How the page would show `value` in the field `name`, if it shows it at all.
fn comes_back(html: &str, name: &str, value: &str) -> bool {
    let value = escape(value);
    let named = format!("name=\"{name}\"");
    let wanted = format!("value=\"{value}\"");
    let tags = |open: &str| -> Vec<(usize, usize)> {
        html.match_indices(open)
            .map(|(at, _)| (at, html[at..].find('>').map_or(html.len(), |end| at + end)))
            .filter(|(at, end)| html[*at..*end].contains(&named))
            .collect()
    };
    let input = tags("<input").into_iter().any(|(at, end)| {
        let tag = &html[at..end];
        let ticks = tag.contains("type=\"checkbox\"") || tag.contains("type=\"radio\"");
        tag.contains(&wanted) && (!ticks || tag.contains(" checked"))
    });
    let textarea = tags("<textarea").into_iter().any(|(_, end)| {
        let body = &html[end + 1..];
        body.find("</textarea>").is_some_and(|close| body[..close] == value)
    });
    let select = tags("<select").into_iter().any(|(_, end)| {
        let body = &html[end..];
        let options = &body[..body.find("</select>").unwrap_or(body.len())];
        options.contains(&format!("<option value=\"{value}\" selected"))
            || options.contains(&format!("<option selected>{value}</option>"))
    });
    input || textarea || select
}

/// What askama writes for `text` in HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The audit rows of changes (reading a record is audited too, as `….read`).
async fn writes(app: &TestApp) -> Vec<String> {
    let actions = app.audit_actions().await;
    actions.into_iter().filter(|a| a.rsplit('.').next() != Some("read")).collect()
}

/// Posts `case` as the person behind `browser` and checks everything the module doc says.
async fn check(app: &TestApp, browser: &Browser, case: &Case) {
    let before = writes(app).await;
    let mut body: Vec<(&str, &str)> = vec![("csrf", browser.csrf.as_str())];
    body.extend(case.fields.iter().map(|(k, v)| (*k, v.as_str())));
    let response =
        browser.client.post(app.url(&case.action)).form(&body).send().await.expect("request");
    let status = response.status();
    let html = response.text().await.expect("html");
    let what = case.what;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {html}");
    if !case.visitor {
        assert!(html.contains("Log out"), "{what}: the page keeps the signed-in header");
    }
    assert!(html.contains("class=\"field-error\""), "{what}: a message on a field: {html}");
    assert!(html.contains(case.message), "{what}: says {:?}: {html}", case.message);
    assert!(html.contains("aria-invalid=\"true\""), "{what}: the bad field is marked: {html}");
    for (name, value) in &case.fields {
        if NOT_ECHOED.contains(name) || (*name == case.bad && !case.bad_kept) {
            continue;
        }
        assert!(comes_back(&html, name, value), "{what}: {name}={value:?} is lost: {html}");
    }
    assert_eq!(writes(app).await, before, "{what}: nothing was written");
    if let Some((page, marker)) = &case.unsaved {
        let shown = browser.client.get(app.url(page)).send().await.expect("page");
        let shown = shown.text().await.expect("html");
        assert!(!shown.contains(marker.as_str()), "{what}: {marker:?} was saved: {shown}");
    }
}

/// A practice: an admin, a therapist leading two groups, a therapist with none, a coordinator
/// with published hours, and Sam, a client in the first group with an intake on file.
struct Practice {
    app: TestApp,
    first: i64,
    second: i64,
    therapist: i64,
    sam: i64,
    sam_token: String,
}

async fn practice() -> Practice {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist =
        app.therapist(&admin, "t@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    app.therapist(&admin, "other@example.org", "America/Chicago", &[("US-IL", "2030-12-31")]).await;
    let first = app.group(&admin, therapist, serde_json::json!({})).await;
    let second = app.group(&admin, therapist, serde_json::json!({"weekday": "thu"})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-01-01").await;
    app.post_seat(&sam, first).await;
    app.submit_intake(&sam, &["anxiety-depression"], &["wed 17:00-21:00"]).await;
    let sam_id = app.get_json(&sam, "/me").await["id"].as_i64().expect("id");
    app.create_staff("coord@example.org", "coordinator").await;
    let coord = signed_in(&app, Some("coord@example.org")).await;
    let week =
        "mon 09:00-17:00\ntue 09:00-17:00\nwed 09:00-17:00\nthu 09:00-17:00\nfri 09:00-17:00";
    let saved = coord
        .client
        .post(app.url("/care/availability"))
        .form(&[("csrf", coord.csrf.as_str()), ("windows", week)])
        .send()
        .await
        .expect("hours");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "the coordinator's hours are saved");
    Practice { app, first, second, therapist, sam: sam_id, sam_token: sam }
}

/// A free consult time offered on the client's page.
async fn a_free_slot(app: &TestApp, client: &Browser) -> String {
    let html = client.client.get(app.url("/consult")).send().await.expect("page");
    let html = html.text().await.expect("html");
    let marker = "name=\"starts_at\" value=\"";
    let start = html.find(marker).expect("a free time") + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

#[tokio::test]
async fn the_clients_forms_keep_every_other_answer_after_one_bad_field() {
    let p = practice().await;
    let app = &p.app;
    let sam = signed_in(app, Some("sam@example.org")).await;
    let slot = a_free_slot(app, &sam).await;
    let (first, second, id) = (p.first.to_string(), p.second.to_string(), p.sam);
    let long = "Kept but far too long. ".repeat(200);
    let cases = [
        case(
            "intake",
            "/intake",
            &[
                ("reasons", "Kept reasons: the night shifts"),
                ("goals", "Kept goals: sleep again"),
                ("preferences", "Kept preferences: evenings"),
                ("service_lines", "group"),
                ("topics", "divorce"),
                ("topics", "grief-loss"),
                ("availability", "tue 18:00-20:00"),
                ("availability", "sat 10:00-12:00"),
                ("emergency_contact_name", "Kept Alexandra"),
                ("emergency_contact_phone", "call my sister"),
                ("consent_version", hearth_domain::CONSENT_VERSION),
                ("telehealth_consent", "true"),
                ("group_agreement", "true"),
            ],
            "emergency_contact_phone",
        )
        .not_shown_on("/intake", "Kept reasons"),
        case("consult booking", "/consult", &[("starts_at", &slot), ("phone", "call me")], "phone")
            .not_shown_on("/consult", "We will call"),
        case(
            "switch request",
            &format!("/groups/{second}/switch-request"),
            &[("from", &first), ("reason", "  ")],
            "reason",
        )
        .says("Tell your care coordinator why you would like to move"),
        case(
            "safety plan",
            &format!("/clients/{id}/safety-plan"),
            &[
                ("warning_signs", "Kept warning: I stop answering texts"),
                ("coping_steps", &long),
                ("people_and_places", "Kept people: my sister, the library"),
                ("professionals_and_crisis_lines", "Kept lines: Dr. Rivera, 988"),
                ("making_the_environment_safe", "Kept safe: pills with my sister"),
            ],
            "coping_steps",
        )
        .says("at most 4000 characters")
        .keeps_the_bad_value_too()
        .not_shown_on(&format!("/clients/{id}/safety-plan"), "Kept warning"),
        case(
            "questionnaire (PHQ-9) with question 9 unanswered",
            "/measures/phq9",
            &[
                ("item_1", "2"),
                ("item_2", "1"),
                ("item_3", "3"),
                ("item_4", "0"),
                ("item_5", "2"),
                ("item_6", "1"),
                ("item_7", "3"),
                ("item_8", "0"),
            ],
            "item_9",
        )
        .says("Please answer question 9"),
    ];
    for c in &cases {
        check(app, &sam, c).await;
    }
}

#[tokio::test]
async fn the_therapists_forms_keep_every_other_answer_after_one_bad_field() {
    let p = practice().await;
    let app = &p.app;
    let t = signed_in(app, Some("t@example.org")).await;
    let plan = format!("/clients/{}/plan", p.sam);
    let cases = [case(
        "treatment plan",
        &plan,
        &[
            ("goals", "Kept goals: fewer bad nights"),
            ("objectives", "Kept objectives: one walk a day"),
            ("interventions", "Kept interventions: the Wednesday group"),
            ("target_instrument", "gad7"),
            ("target_below", "8"),
            ("target_by", "2031-03-01"),
            ("review_on", "2019-01-01"),
        ],
        "review_on",
    )
    .says("the review date cannot be before today")
    .keeps_the_bad_value_too()
    .not_shown_on(&plan, "Kept goals")];
    for c in &cases {
        check(app, &t, c).await;
    }
    // A note or a reason is the form's only field: the bad text itself comes back.
    let summary = format!("/clients/{}", p.sam);
    let long_note = "Kept note, too long. ".repeat(1000);
    let note = case("care note", &format!("{summary}/notes"), &[("body", &long_note)], "body")
        .keeps_the_bad_value_too()
        .not_shown_on(&summary, "Kept note");
    check(app, &t, &note).await;
    let other = signed_in(app, Some("other@example.org")).await;
    let glass = case(
        "break-the-glass reason",
        &format!("{summary}/break-glass"),
        &[("reason", "because")],
        "reason",
    )
    .keeps_the_bad_value_too();
    check(app, &other, &glass).await;

    // Sam answers question 9 "several days": a flag for Sam's therapist to acknowledge.
    let answers = serde_json::json!({"answers": [0, 1, 0, 0, 0, 0, 0, 0, 1]});
    let url = app.url("/api/v1/measures/phq9");
    let sent = app.client.post(url).bearer_auth(&p.sam_token).json(&answers).send().await;
    assert_eq!(sent.expect("request").status(), StatusCode::CREATED);
    let queue = t.client.get(app.url("/care/risk")).send().await.expect("queue");
    let queue = queue.text().await.expect("html");
    let marker = "action=\"/care/risk/";
    let start = queue.find(marker).expect("an open flag") + marker.len();
    let flag = queue[start..].split('/').next().expect("id").to_owned();
    let ack = case(
        "risk flag acknowledgement",
        &format!("/care/risk/{flag}/acknowledge"),
        &[("disposition", "   ")],
        "disposition",
    )
    .says("The disposition:")
    .not_shown_on("/care/risk", "Acknowledged ");
    check(app, &t, &ack).await;

    // Moving one meeting: the time typed comes back in that meeting's form.
    let group = format!("/groups/{}", p.first);
    let html = t.client.get(app.url(&group)).send().await.expect("page");
    let html = html.text().await.expect("html");
    let marker = "/meetings/";
    let start =
        html.find(&format!("{group}{marker}")).expect("a meeting") + group.len() + marker.len();
    let date = html[start..].split('/').next().expect("date").to_owned();
    let moved = case(
        "meeting move",
        &format!("{group}/meetings/{date}/move"),
        &[("starts_at", "next Tuesday after lunch")],
        "starts_at",
    )
    .says("Not moved:")
    .keeps_the_bad_value_too()
    .not_shown_on(&group, "moved from");
    check(app, &t, &moved).await;
}

#[tokio::test]
async fn the_coordinators_and_admins_forms_keep_every_other_answer_after_one_bad_field() {
    let p = practice().await;
    let app = &p.app;
    let coord = signed_in(app, Some("coord@example.org")).await;
    let typed = "mon 09:00-17:00\ntue 09:45-11:15\nwhenever";
    let hours =
        case("consult availability", "/care/availability", &[("windows", typed)], "windows")
            .says("Line 3:")
            .keeps_the_bad_value_too()
            .not_shown_on("/care/availability", "tue 09:45-11:15");
    check(app, &coord, &hours).await;

    let admin = signed_in(app, Some("admin@example.org")).await;
    let therapist = p.therapist.to_string();
    let cases = [
        case(
            "new therapist",
            "/admin/therapists",
            &[
                ("email", "kept.therapist@example.org"),
                ("display_name", "Kept Dana Reyes"),
                ("password", "short"),
                ("timezone", "America/Denver"),
                ("license_kind", "PsyD"),
                ("years_of_practice", "12"),
                ("bio", "Kept bio: twelve years of groups"),
                ("region", "US-CO"),
                ("number", "Kept-CO-77"),
                ("expires_on", "2031-06-30"),
                ("specialties", "grief-loss"),
                ("specialties", "trauma-ptsd"),
            ],
            "password",
        )
        .not_shown_on("/admin/therapists", "Kept Dana Reyes"),
        case(
            "licence",
            &format!("/admin/therapists/{therapist}/licenses"),
            &[
                ("region", "US-UT"),
                ("kind", "PsyD"),
                ("number", "Kept-UT-9"),
                ("expires_on", "2020-05-31"),
            ],
            "expires_on",
        )
        .keeps_the_bad_value_too(),
        case(
            "new group",
            "/admin/groups",
            &[
                ("topic", "grief-loss"),
                ("therapist_id", &therapist),
                ("weekday", "tue"),
                ("local_time", "19:30"),
                ("timezone", "America/Chicago"),
                ("capacity", "7"),
                ("age_band", "adult"),
                ("starts_on", "2020-02-02"),
            ],
            "starts_on",
        )
        .keeps_the_bad_value_too(),
        case(
            "staff invitation",
            "/admin/invites",
            &[("email", "nope"), ("role", "admin")],
            "email",
        )
        .keeps_the_bad_value_too(),
        case(
            "catalogue entry",
            "/admin/catalog/topics/grief-loss",
            &[("name", ""), ("description", "Kept description: room for grief")],
            "name",
        )
        .says("A name has 1 to 80 characters.")
        .not_shown_on("/admin/catalog", "Kept description"),
    ];
    for c in &cases {
        check(app, &admin, c).await;
    }
}

#[tokio::test]
async fn the_visitors_forms_keep_every_other_answer_after_one_bad_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let invited = app.post_invite(&admin, "kept.coord@example.org", "coordinator").await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let link = invited.json::<serde_json::Value>().await.expect("json")["link"]
        .as_str()
        .expect("link")
        .to_owned();
    let invitation = link.trim_start_matches(&app.base).to_owned();
    let visitor = signed_in(&app, None).await;
    let before = app.count_users().await;
    let cases = [
        case(
            "sign-up",
            "/signup",
            &[
                ("email", "kept.rowan@example.org"),
                ("display_name", "Kept Rowan"),
                ("password", PASSWORD),
                ("timezone", "Europe/Dublin"),
                ("region", "IE"),
                ("birth_date", "2999-01-01"),
            ],
            "birth_date",
        )
        .says("cannot be in the future")
        .by_a_visitor(),
        case(
            "staff invitation accepted",
            &invitation,
            &[
                ("display_name", "Kept Casey Moreno"),
                ("password", "short"),
                ("timezone", "America/Denver"),
            ],
            "password",
        )
        .by_a_visitor(),
    ];
    for c in &cases {
        check(&app, &visitor, c).await;
    }
    assert_eq!(app.count_users().await, before, "nobody was signed up");
    let still_open = visitor.client.get(app.url(&invitation)).send().await.expect("page");
    assert_eq!(still_open.status(), StatusCode::OK, "the invitation is still open");
}
