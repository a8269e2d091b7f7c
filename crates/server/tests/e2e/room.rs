//! The video room: the door, the waiting room, the therapist's controls and the safety
//! panel, over the real signalling WebSocket and, in the browser test, real WebRTC between
//! three headless Chromiums and the embedded SFU.

use std::time::Duration;

use chrono::{Datelike as _, NaiveDate, TimeZone as _, Utc, Weekday};
use futures::{SinkExt as _, StreamExt as _};
use hearth_testkit::{Browser, Page};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// A Wednesday 18:00 UTC group led by a therapist licensed in Illinois, two seated members
/// with intakes, one client who is not a member; the clock set five minutes before the next
/// meeting. Returns the room's path.
pub(crate) struct Setup {
    pub(crate) path: String,
    pub(crate) group: i64,
    pub(crate) date: NaiveDate,
}

pub(crate) async fn set_up(app: &TestApp) -> Setup {
    // The group is made two weeks back, so the meeting before the one about to start exists
    // (a first meeting in the past is refused); the clock then moves to that meeting.
    let now = app.clock_now();
    app.clock.set(now - chrono::Duration::weeks(2));
    let admin = app.admin_token().await;
    let therapist = app
        .therapist(&admin, "rivera@example.org", "America/Chicago", &[("US-IL", "2031-01-01")])
        .await;
    let group = app.group(&admin, therapist, json!({"timezone": "UTC"})).await;
    for (email, name) in [("ana@example.org", "Ana"), ("ben@example.org", "Ben")] {
        let mut body = crate::helpers::client_body(email);
        body["display_name"] = json!(name);
        body["region"] = json!("US-IL");
        body["timezone"] = json!("America/Chicago");
        body["birth_date"] = json!("1990-05-01");
        assert_eq!(app.post_clients(&body).await.status(), StatusCode::CREATED, "{name} signs up");
        let token = app.token(email, PASSWORD).await;
        app.submit_intake(&token, &["anxiety-depression"], &[]).await;
        let seat = app.post_seat(&token, group).await;
        assert_eq!(seat.status(), StatusCode::CREATED, "{name} takes a seat");
    }
    app.client_in("cleo@example.org", "US-IL", "America/Chicago", "1990-05-01").await;

    let mut date = now.date_naive();
    while date.weekday() != Weekday::Wed {
        date = date.succ_opt().expect("a next day");
    }
    let mut starts = Utc.from_utc_datetime(&date.and_hms_opt(18, 0, 0).expect("18:00"));
    if starts < now + chrono::Duration::minutes(10) {
        starts += chrono::Duration::weeks(1);
    }
    app.clock.set(starts - chrono::Duration::minutes(5));
    let date = starts.date_naive();
    Setup { path: format!("/groups/{group}/meetings/{date}/room"), group, date }
}

/// A signalling socket opened with a session cookie, as the room page opens it.
pub(crate) struct Socket {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Socket {
    pub(crate) async fn open(app: &TestApp, path: &str, email: &str) -> Self {
        Self::open_as(app, path, email, PASSWORD).await
    }

    async fn open_as(app: &TestApp, path: &str, email: &str, password: &str) -> Self {
        let request = Self::request(app, path, email, password, Some(&app.base)).await;
        let (stream, _) = tokio_tungstenite::connect_async(request).await.expect("upgrades");
        Self { stream }
    }

    /// The handshake a browser logged in as `email` sends, from `origin`.
    async fn request(
        app: &TestApp,
        path: &str,
        email: &str,
        password: &str,
        origin: Option<&str>,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        let login = app.log_in_with_form(email, password).await;
        assert_eq!(login.status(), StatusCode::SEE_OTHER, "{email} logs in");
        let cookie = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("hearth_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let base = app.base.trim_start_matches("http://");
        let mut request =
            format!("ws://{base}{path}/socket").into_client_request().expect("a request");
        request.headers_mut().insert("cookie", cookie.parse().expect("header"));
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse().expect("header"));
        }
        request
    }

    pub(crate) async fn send(&mut self, message: Value) {
        self.stream.send(Message::text(message.to_string())).await.expect("sent");
    }

    /// The next message from the server, or `None` once the socket closes.
    async fn next(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("the server answers within 10 s");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Some(serde_json::from_str(&text).expect("JSON"));
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Skips messages until one of type `kind`.
    pub(crate) async fn expect(&mut self, kind: &str) -> Value {
        self.expect_where(kind, |_| true).await
    }

    /// Skips messages until one of type `kind` for which `wanted` holds.
    async fn expect_where(&mut self, kind: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.next().await.unwrap_or_else(|| panic!("closed before {kind}"));
            if message["type"] == kind && wanted(&message) {
                return message;
            }
        }
    }
}

#[tokio::test]
async fn room_door_waiting_room_and_host_controls_over_the_signalling_socket() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;

    // An outsider is refused at the page and at the socket.
    let outsider = app.log_in_with_form("cleo@example.org", PASSWORD).await;
    assert_eq!(outsider.status(), StatusCode::SEE_OTHER);
    let page = app.get_page(&setup.path).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let mut cleo = Socket::open(&app, &setup.path, "cleo@example.org").await;
    cleo.send(json!({"type": "hello", "location": "Chicago, IL"})).await;
    let refused = cleo.expect("refused").await;
    assert_eq!(refused["reason"], "you are not part of this group");
    assert!(cleo.next().await.is_none(), "the socket closes after a refusal");

    // A member must say where they are.
    let mut ana = Socket::open(&app, &setup.path, "ana@example.org").await;
    ana.send(json!({"type": "hello"})).await;
    let refused = ana.expect("refused").await;
    assert!(refused["reason"].as_str().expect("text").contains("location"), "{refused}");

    // The therapist walks straight in; members wait to be admitted.
    let mut host = Socket::open(&app, &setup.path, "rivera@example.org").await;
    host.send(json!({"type": "hello"})).await;
    assert_eq!(host.expect("welcome").await["part"], "host");
    host.expect("admitted").await;

    // Ana has answered yes to the PHQ-9's ninth question: her flag is open.
    let ana_token = app.token("ana@example.org", PASSWORD).await;
    let phq9 = app.post_measure(&ana_token, "phq9", &json!([1, 1, 1, 1, 1, 1, 1, 1, 1])).await;
    assert_eq!(phq9.status(), StatusCode::CREATED);
    let mut ana = Socket::open(&app, &setup.path, "ana@example.org").await;
    ana.send(json!({"type": "hello", "location": "Springfield, IL"})).await;
    let welcome = ana.expect("welcome").await;
    let ana_id = welcome["you"].as_str().expect("id").to_owned();
    assert_eq!(welcome["part"], "member");
    ana.expect("waiting").await;
    // An offer from the waiting room is refused; nothing reaches the SFU.
    ana.send(json!({"type": "offer", "sdp": "v=0"})).await;
    let error = ana.expect("error").await;
    assert!(error["message"].as_str().expect("text").contains("SDP"), "{error}");

    // The host sees Ana waiting, and her location and emergency contact in the safety panel.
    let has_ana = |m: &Value| {
        m["participants"].as_array().is_some_and(|list| list.iter().any(|p| p["id"] == *ana_id))
    };
    let roster = host.expect_where("roster", has_ana).await;
    let waiting: Vec<&Value> = roster["participants"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["id"] == *ana_id)
        .collect();
    assert_eq!(waiting[0]["presence"], "waiting");
    assert_eq!(waiting[0]["name"], "Ana");
    let safety = host.expect_where("safety", has_ana).await;
    let row = &safety["participants"][0];
    assert_eq!(row["location"], "Springfield, IL");
    assert_eq!(row["emergency_contact"], "Alex · 312 555 0100");
    assert_eq!(row["open_risk_flag"], "Thoughts of self-harm (PHQ-9 item 9)", "in words");
    assert!(row["crisis_note_url"].as_str().expect("url").starts_with("/clients/"));

    // A member may not use the host's controls.
    ana.send(json!({"type": "lock", "locked": true})).await;
    let error = ana.expect("error").await;
    assert_eq!(error["message"], "only the group's therapist can do that");

    host.send(json!({"type": "admit", "participant": ana_id})).await;
    ana.expect("admitted").await;
    host.send(json!({"type": "mute", "participant": ana_id})).await;
    ana.expect("muted").await;
    host.send(json!({"type": "admit", "participant": "p999-nobody"})).await;
    let error = host.expect("error").await;
    assert!(error["message"].as_str().expect("text").contains("no such participant"), "{error}");

    // Locked: a new member cannot come in; the host can unlock.
    host.send(json!({"type": "lock", "locked": true})).await;
    let mut ben = Socket::open(&app, &setup.path, "ben@example.org").await;
    ben.send(json!({"type": "hello", "location": "Peoria, IL"})).await;
    let refused = ben.expect("refused").await;
    assert_eq!(refused["reason"], "the therapist has locked the room");
    host.send(json!({"type": "lock", "locked": false})).await;

    // Removed: Ana's socket is told and closed, and she cannot come back to this meeting.
    host.send(json!({"type": "remove", "participant": ana_id})).await;
    ana.expect("removed").await;
    assert!(ana.next().await.is_none(), "the removed member's socket closes");
    let mut again = Socket::open(&app, &setup.path, "ana@example.org").await;
    again.send(json!({"type": "hello", "location": "Springfield, IL"})).await;
    assert_eq!(
        again.expect("refused").await["reason"],
        "the therapist removed you from this session"
    );

    // Ending the session closes every socket and the door.
    let mut ben = Socket::open(&app, &setup.path, "ben@example.org").await;
    ben.send(json!({"type": "hello", "location": "Peoria, IL"})).await;
    ben.expect("waiting").await;
    host.send(json!({"type": "end"})).await;
    ben.expect("ended").await;
    host.expect("ended").await;
    let mut late = Socket::open(&app, &setup.path, "rivera@example.org").await;
    late.send(json!({"type": "hello"})).await;
    assert_eq!(late.expect("refused").await["reason"], "this session has ended");
    // The end is in the database: an app with no live rooms (another node, or this one after
    // a restart) keeps the door shut too.
    let token = app.token("rivera@example.org", PASSWORD).await;
    let therapist = app.app.authenticate(&token).await.expect("signed in");
    let meeting = app.app.meeting(hearth_domain::GroupId::new(setup.group), setup.date).await;
    let refused = app.app.knock_room(&therapist, &meeting.expect("the meeting"), None).await;
    assert!(
        matches!(refused, Err(hearth_app::AppError::Refused { code: "session_ended", .. })),
        "{refused:?}"
    );

    assert_every_room_step_is_audited(&app).await;
}

/// Every step is in the audit log, with no locations in it.
async fn assert_every_room_step_is_audited(app: &TestApp) {
    let audit = app.audit_log().await;
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    for expected in [
        "room.joined",
        "room.safety_panel.shown",
        "room.admitted",
        "room.locked",
        "room.unlocked",
        "room.removed",
        "room.ended",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(audit.iter().all(|(_, detail)| !detail.contains("Springfield")));
}

/// A member says hello from the waiting room and the host admits them; returns their socket
/// and participant id.
async fn admitted(
    app: &TestApp,
    setup: &Setup,
    host: &mut Socket,
    email: &str,
) -> (Socket, String) {
    let mut socket = Socket::open(app, &setup.path, email).await;
    socket.send(json!({"type": "hello", "location": "Springfield, IL"})).await;
    let id = socket.expect("welcome").await["you"].as_str().expect("id").to_owned();
    socket.expect("waiting").await;
    host.send(json!({"type": "admit", "participant": id})).await;
    socket.expect("admitted").await;
    (socket, id)
}

#[tokio::test]
async fn room_a_member_the_therapist_muted_unmutes_only_when_the_therapist_allows_it() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let mut host = Socket::open(&app, &setup.path, "rivera@example.org").await;
    host.send(json!({"type": "hello"})).await;
    host.expect("admitted").await;
    let (mut ana, ana_id) = admitted(&app, &setup, &mut host, "ana@example.org").await;
    let (mut ben, _) = admitted(&app, &setup, &mut host, "ben@example.org").await;
    let entry = |m: &Value, id: &str| {
        m["participants"].as_array().and_then(|l| l.iter().find(|p| p["id"] == *id)).cloned()
    };

    // Only the therapist turns others off, or decides whether they may turn themselves on.
    for control in [
        json!({"type": "mute", "participant": ana_id}),
        json!({"type": "camera_off", "participant": ana_id}),
        json!({"type": "allow_unmute", "allowed": false}),
    ] {
        ben.send(control).await;
        assert_eq!(ben.expect("error").await["message"], "only the group's therapist can do that");
    }

    host.send(json!({"type": "allow_unmute", "allowed": false})).await;
    host.send(json!({"type": "mute", "participant": ana_id})).await;
    ana.expect_where("muted", |m| m["device"] == "microphone").await;
    let roster = host
        .expect_where("roster", |m| entry(m, &ana_id).is_some_and(|e| e["host_muted"] == true))
        .await;
    assert_eq!(roster["may_unmute"], false);
    // Ben sees Ana in the room but not that the therapist muted her (the lock that follows
    // marks the roster sent after the mute).
    host.send(json!({"type": "lock", "locked": true})).await;
    let seen = ben.expect_where("roster", |m| m["locked"] == true).await;
    assert_eq!(entry(&seen, &ana_id).expect("Ana listed")["host_muted"], false);
    host.send(json!({"type": "lock", "locked": false})).await;

    ana.send(json!({"type": "unmute", "device": "microphone"})).await;
    let refused = ana.expect("error").await;
    assert!(refused["message"].as_str().expect("text").contains("ask them first"), "{refused}");

    host.send(json!({"type": "allow_unmute", "allowed": true})).await;
    ana.expect_where("roster", |m| m["may_unmute"] == true).await;
    ana.send(json!({"type": "unmute", "device": "microphone"})).await;
    ana.expect_where("unmuted", |m| m["device"] == "microphone").await;
    host.expect_where("roster", |m| entry(m, &ana_id).is_some_and(|e| e["host_muted"] == false))
        .await;

    // A camera the therapist turned off stays off when Ana reconnects.
    host.send(json!({"type": "camera_off", "participant": ana_id})).await;
    ana.expect_where("muted", |m| m["device"] == "camera").await;
    drop(ana);
    let mut ana = Socket::open(&app, &setup.path, "ana@example.org").await;
    ana.send(json!({"type": "hello", "location": "Springfield, IL"})).await;
    let again = ana.expect("welcome").await["you"].as_str().expect("id").to_owned();
    ana.expect("admitted").await;
    let roster = ana
        .expect_where("roster", |m| entry(m, &again).is_some_and(|e| e["host_camera_off"] == true))
        .await;
    assert_eq!(roster["may_unmute"], true);
    ana.send(json!({"type": "unmute", "device": "camera"})).await;
    ana.expect_where("unmuted", |m| m["device"] == "camera").await;

    let ana_user = user_id(&app, "ana@example.org").await;
    let audit = app.audit_log().await;
    for (action, detail) in [
        ("room.unmute_forbidden", String::new()),
        ("room.muted", format!("user={ana_user}")),
        ("room.unmute_allowed", String::new()),
        ("room.camera_turned_off", format!("user={ana_user}")),
    ] {
        assert!(audit.iter().any(|(a, d)| a == action && *d == detail), "{action} in {audit:?}");
    }
}

#[tokio::test]
async fn room_an_end_whose_audit_row_cannot_be_written_leaves_the_session_open() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let mut host = Socket::open(&app, &setup.path, "rivera@example.org").await;
    host.send(json!({"type": "hello"})).await;
    host.expect("admitted").await;
    let (mut ana, _) = admitted(&app, &setup, &mut host, "ana@example.org").await;
    let group = hearth_domain::GroupId::new(setup.group);
    // Ana's admission was on record before she heard of it.
    assert!(app.audit_actions().await.iter().any(|a| a == "room.admitted"));

    // The end and its row are one write: without the row there is no end.
    app.remove_audit_head().await;
    host.send(json!({"type": "end"})).await;
    let error = host.expect("error").await;
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    let ended = app.db.meeting_ended_at(group, setup.date).await.expect("query");
    assert_eq!(ended, None, "the session is not ended");
    app.restore_audit_head().await;

    host.send(json!({"type": "end"})).await;
    ana.expect("ended").await;
    host.expect("ended").await;
    let ended = app.db.meeting_ended_at(group, setup.date).await.expect("query");
    assert!(ended.is_some(), "the session is ended");
    let ends: Vec<_> =
        app.audit_log().await.into_iter().filter(|(action, _)| action == "room.ended").collect();
    assert_eq!(ends.len(), 1, "one end, one row");
}

#[tokio::test]
async fn room_nobody_is_let_in_before_the_admission_is_on_record() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let mut host = Socket::open(&app, &setup.path, "rivera@example.org").await;
    host.send(json!({"type": "hello"})).await;
    host.expect("admitted").await;
    let mut ana = Socket::open(&app, &setup.path, "ana@example.org").await;
    ana.send(json!({"type": "hello", "location": "Springfield, IL"})).await;
    let ana_id = ana.expect("welcome").await["you"].as_str().expect("id").to_owned();
    ana.expect("waiting").await;

    // The admission's row cannot be written: the host hears why and Ana stays waiting.
    app.remove_audit_head().await;
    host.send(json!({"type": "admit", "participant": ana_id})).await;
    let error = host.expect("error").await;
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    app.restore_audit_head().await;
    // Ben arrives, so the host is sent the roster again: Ana is still waiting.
    let mut ben = Socket::open(&app, &setup.path, "ben@example.org").await;
    ben.send(json!({"type": "hello", "location": "Peoria, IL"})).await;
    let ben_id = ben.expect("welcome").await["you"].as_str().expect("id").to_owned();
    let roster = host
        .expect_where("roster", |m| {
            m["participants"].as_array().is_some_and(|l| l.iter().any(|p| p["id"] == *ben_id))
        })
        .await;
    let ana_line = roster["participants"]
        .as_array()
        .and_then(|l| l.iter().find(|p| p["id"] == *ana_id))
        .cloned()
        .expect("Ana on the roster");
    assert_eq!(ana_line["presence"], "waiting", "{roster}");
    assert!(!app.audit_actions().await.iter().any(|a| a == "room.admitted"));

    // Once the row can be written, the same admission lets her in, with its one row.
    host.send(json!({"type": "admit", "participant": ana_id})).await;
    ana.expect("admitted").await;
    let rows = app.audit_actions().await;
    assert_eq!(rows.iter().filter(|a| *a == "room.admitted").count(), 1, "{rows:?}");
}

#[tokio::test]
async fn room_care_staff_come_in_only_with_a_reason_which_the_audit_log_keeps() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    // Care staff come in only with a reason, which the audit log keeps.
    app.create_staff("casey@example.org", "coordinator").await;
    let mut casey = Socket::open(&app, &setup.path, "casey@example.org").await;
    casey.send(json!({"type": "hello", "reason": "short"})).await;
    let refused = casey.expect("refused").await;
    assert!(refused["reason"].as_str().expect("text").contains("reason"), "{refused}");
    let mut casey = Socket::open(&app, &setup.path, "casey@example.org").await;
    casey
        .send(json!({"type": "hello", "reason": "Covering the safety follow-up for this group"}))
        .await;
    let welcome = casey.expect("welcome").await;
    assert_eq!(welcome["part"], "staff");
    // Like members, care staff wait until the therapist lets them in.
    casey.expect("waiting").await;
    let mut host = Socket::open(&app, &setup.path, "rivera@example.org").await;
    host.send(json!({"type": "hello"})).await;
    host.expect("admitted").await;
    host.send(json!({"type": "admit", "participant": welcome["you"]})).await;
    casey.expect("admitted").await;
    casey.send(json!({"type": "leave"})).await;

    let audit = app.audit_log().await;
    assert!(audit.iter().any(|(action, detail)| action == "room.staff_joined"
        && detail == "reason=Covering the safety follow-up for this group"));
}

/// Joins the room from a page: fills the form, clicks join.
async fn join(page: &Page, base: &str, path: &str, email: &str, location: Option<&str>) {
    page.log_in(base, email, PASSWORD).await.expect("logs in");
    page.goto(&format!("{base}{path}")).await.expect("room page");
    page.wait_until("document.getElementById('join-form')").await.expect("join form");
    // Before joining, the person sees their own camera.
    page.wait_until(PREVIEW_PLAYS).await.expect("the camera preview plays before joining");
    if let Some(location) = location {
        page.fill("#location", location).await.expect("location");
    }
    page.click("#join-button").await.expect("join");
    page.wait_until("window.hearthRoom && window.hearthRoom.you").await.expect("welcomed");
    page.wait_until(PREVIEW_STOPPED).await.expect("joining stops the preview's camera");
}

/// The preview shows the camera's picture.
pub(crate) const PREVIEW_PLAYS: &str = "document.getElementById('preview-video').videoWidth > 0 \
     && window.hearthPreview.state.stream !== null";
/// The preview let go of its camera and microphone.
pub(crate) const PREVIEW_STOPPED: &str = "window.hearthPreview.state.stream === null \
     && document.getElementById('preview-video').srcObject === null";

/// Per remote participant: inbound audio and video packets and decoded video frames, from
/// getStats(); under `sent`, the packets this page sent of each kind.
const STATS: &str = "(async () => {
  const room = window.hearthRoom;
  const out = { sent: { audio: 0, video: 0 } };
  if (!room.pc) return out;
  (await room.pc.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp') out.sent[s.kind] += s.packetsSent || 0;
    if (s.type !== 'inbound-rtp') return;
    const owner = room.trackOwner.get(s.trackIdentifier) || 'unknown';
    out[owner] = out[owner] || { audioPackets: 0, videoPackets: 0, framesDecoded: 0 };
    if (s.kind === 'audio') out[owner].audioPackets += s.packetsReceived || 0;
    if (s.kind === 'video') out[owner].videoPackets += s.packetsReceived || 0;
    if (s.kind === 'video') out[owner].framesDecoded += s.framesDecoded || 0;
  });
  return out;
})()";

async fn stats(page: &Page) -> Value {
    page.eval(STATS).await.expect("getStats")
}

async fn you(page: &Page) -> String {
    page.eval("window.hearthRoom.you").await.expect("id").as_str().expect("text").to_owned()
}

/// Chromium with a fake camera and microphone that plays media without a click.
pub(crate) const MEDIA_FLAGS: &[&str] = &[
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
];

/// The tests with three Chromiums encoding video take turns: together they would starve each
/// other (and the SFU) of the machine's cores.
static MEDIA_BROWSERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The therapist, Ana and Ben join from their own browsers, and the therapist admits both
/// from the waiting room. Returns their pages and participant ids, in that order.
async fn three_in_the_room(
    base: &str,
    setup: &Setup,
    browsers: [&Browser; 3],
) -> ([Page; 3], [String; 3]) {
    let host = browsers[0].new_page().await.expect("tab");
    join(&host, base, &setup.path, "rivera@example.org", None).await;
    let ana = browsers[1].new_page().await.expect("tab");
    join(&ana, base, &setup.path, "ana@example.org", Some("Springfield, IL")).await;
    let ben = browsers[2].new_page().await.expect("tab");
    join(&ben, base, &setup.path, "ben@example.org", Some("Peoria, IL")).await;
    assert!(ana.text("#status").await.expect("status").contains("waiting room"));

    host.wait_until("document.querySelectorAll('#waiting button[data-action=admit]').length === 2")
        .await
        .expect("two waiting");
    host.wait_until(
        "document.getElementById('status').textContent.includes('in the waiting room')",
    )
    .await
    .expect("the therapist is told who is waiting");
    host.eval(
        "document.querySelectorAll('#waiting button[data-action=admit]').forEach((b) => b.click())",
    )
    .await
    .expect("admit");
    // The therapist's status line follows: nobody is left waiting, both are in.
    host.wait_until(
        "((t) => !t.includes('waiting room') && t.includes('In the room with you: Ana and Ben'))(document.getElementById('status').textContent)",
    )
    .await
    .expect("the therapist's status says both are in, and nobody waits");
    let ids = [you(&host).await, you(&ana).await, you(&ben).await];
    ([host, ana, ben], ids)
}

#[tokio::test]
async fn video_room_three_chromiums_exchange_audio_and_video_through_the_sfu() {
    let test = "video_room_three_chromiums_exchange_audio_and_video_through_the_sfu";
    let _turn = MEDIA_BROWSERS.lock().await;
    let Some(therapist) = Browser::launch_with(test, MEDIA_FLAGS).await.expect("Chromium starts")
    else {
        return;
    };
    let ana_browser =
        Browser::launch_with(test, MEDIA_FLAGS).await.expect("starts").expect("found");
    let ben_browser =
        Browser::launch_with(test, MEDIA_FLAGS).await.expect("starts").expect("found");
    let outsider_browser =
        Browser::launch_with(test, MEDIA_FLAGS).await.expect("starts").expect("found");
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let base = app.base.clone();

    let ([host, ana, ben], ids) =
        three_in_the_room(&base, &setup, [&therapist, &ana_browser, &ben_browser]).await;
    let pages = [(&host, "host"), (&ana, "Ana"), (&ben, "Ben")];

    // Each page receives audio and decodes video from both others, and keeps decoding.
    for (i, (page, who)) in pages.iter().enumerate() {
        let others: Vec<&String> =
            ids.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, id)| id).collect();
        assert_media_from(page, who, &others).await;
    }

    assert_room_fits_everyone(&host, &ana).await;

    // Tiles carry display names only, and the safety panel shows each member's location.
    let captions = host.text("#tiles").await.expect("tiles");
    assert!(captions.contains("Ana") && captions.contains("Ben"), "{captions}");
    let safety = host.text("#safety-rows").await.expect("safety");
    assert!(safety.contains("Springfield, IL") && safety.contains("Peoria, IL"), "{safety}");
    assert!(safety.contains("312 555 0100"), "{safety}");

    // A network blip: Ana's signalling socket drops; her page reconnects by itself, comes
    // straight back in (no second wait for admission) and media flows both ways again.
    ana.eval("window.hearthRoom.ws.close()").await.expect("drop the socket");
    ana.wait_until(&format!("window.hearthRoom.you && window.hearthRoom.you !== '{}'", ids[1]))
        .await
        .expect("Ana reconnects");
    let ana_again = you(&ana).await;
    assert_media_from(&ana, "Ana, reconnected", &[&ids[0], &ids[2]]).await;
    assert_media_from(&host, "host, after Ana reconnected", &[&ana_again]).await;

    // Attendance: everyone whose media connected is present, with their first join time.
    let sheet = wait_for_attendance(&app, &setup, |rows| {
        rows.len() == 3 && rows.iter().all(|r| r.status == "present" && r.first_joined_at.is_some())
    })
    .await;
    eprintln!("attendance after joining: {sheet:?}");

    // A client who is not in the group is refused at the door.
    assert_outsider_refused(&outsider_browser, &base, &setup.path).await;

    // The therapist removes Ben: his page is disconnected and his tile leaves the others.
    let ben_id = &ids[2];
    host.eval(&format!("document.querySelector('#present button[data-action=remove][data-participant=\"{ben_id}\"]').click()"))
        .await
        .expect("remove");
    ben.wait_until("window.hearthRoom.over === true && window.hearthRoom.pc === null && window.hearthRoom.ws.readyState === WebSocket.CLOSED")
        .await
        .expect("Ben is disconnected");
    assert!(ben.text("#status").await.expect("status").contains("removed you"));
    ana.wait_until(&format!("!document.querySelector('[data-participant=\"{ben_id}\"]')"))
        .await
        .expect("Ben's tile leaves Ana's page");
    let ben_user = user_id(&app, "ben@example.org").await;
    wait_for_attendance(&app, &setup, |rows| {
        rows.iter().any(|r| {
            r.user_id == ben_user && r.last_left_at.is_some() && r.connected_since.is_none()
        })
    })
    .await;

    let ana_user = user_id(&app, "ana@example.org").await;
    // One click from the safety panel starts a crisis note with its headings (the room stays
    // open in its own tab when a person clicks; here the link opens in the same one).
    host.eval(&format!("document.querySelector('#safety-rows tr a[href^=\"/clients/{ana_user}?note=crisis\"]').removeAttribute('target')"))
        .await
        .expect("the crisis-note link is there");
    host.click(&format!("#safety-rows a[href^='/clients/{ana_user}']")).await.expect("click");
    host.wait_until(&format!("location.pathname === '/clients/{ana_user}'"))
        .await
        .expect("summary");
    let draft = host.eval("document.getElementById('note-body').value").await.expect("draft");
    assert!(draft.as_str().expect("text").starts_with("Crisis note"), "{draft}");

    // The therapist corrects the sheet; a member may not see it.
    correct_the_sheet(&app, &setup, &therapist, &ana, ana_user).await;

    for browser in [therapist, ana_browser, ben_browser, outsider_browser] {
        browser.close().await;
    }
}

#[tokio::test]
async fn video_room_a_member_the_therapist_muted_is_not_heard_even_after_editing_the_page() {
    let test = "video_room_a_member_the_therapist_muted_is_not_heard_even_after_editing_the_page";
    let _turn = MEDIA_BROWSERS.lock().await;
    let Some(therapist) = Browser::launch_with(test, MEDIA_FLAGS).await.expect("Chromium starts")
    else {
        return;
    };
    let ana_browser =
        Browser::launch_with(test, MEDIA_FLAGS).await.expect("starts").expect("found");
    let ben_browser =
        Browser::launch_with(test, MEDIA_FLAGS).await.expect("starts").expect("found");
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let ([host, ana, ben], [_, ana_id, _]) =
        three_in_the_room(&app.base, &setup, [&therapist, &ana_browser, &ben_browser]).await;
    assert_media_from(&ben, "Ben", &[&ana_id]).await;

    // The therapist stops members unmuting themselves, then mutes Ana.
    host.click("#may-unmute").await.expect("untick");
    ana.wait_until("window.hearthRoom.mayUnmute === false").await.expect("Ana's page knows");
    host.click(&format!("#present button[data-action=mute][data-participant='{ana_id}']"))
        .await
        .expect("mute Ana");
    ana.wait_until("window.hearthRoom.hostMuted === true").await.expect("Ana is told");
    let held = ana.text("#held").await.expect("notice");
    assert!(
        held.contains("The therapist muted you") && held.contains("ask the therapist"),
        "{held}"
    );
    let ana_line = format!("#present li[data-participant='{ana_id}']");
    host.wait_until(&format!(
        "document.querySelector(\"{ana_line} .held\")?.textContent.includes('muted by you')"
    ))
    .await
    .expect("the therapist sees that Ana is muted");
    for (page, who) in [(&host, "the therapist's"), (&ana, "the muted member's")] {
        let violations = page.accessibility_violations().await.expect("axe runs");
        assert!(violations.is_empty(), "{who} room page: {violations:?}");
    }

    // Ben stops receiving Ana's audio, while her video keeps coming.
    let (before, after) =
        until_between_samples(&ben, &ana_id, "Ana's audio stops", |a, b| a.audio == b.audio).await;
    assert!(after.video > before.video, "Ana's video stopped too: {before:?} → {after:?}");

    // Ana edits her page: her microphone on again, without a word to the server. Her browser
    // sends her voice; the SFU passes none of it on.
    ana.eval("window.hearthRoom.pc.getSenders().forEach((s) => { if (s.track) s.track.enabled = true; })")
        .await
        .expect("the edit runs");
    let sent_before = sent_audio(&ana).await;
    let first = received_from(&ben, &ana_id).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let second = received_from(&ben, &ana_id).await;
    let sent_after = sent_audio(&ana).await;
    eprintln!(
        "after Ana's edit: she sent {sent_before} → {sent_after}; Ben got {first:?} → {second:?}"
    );
    assert!(
        sent_after > sent_before + 100,
        "Ana's browser sent audio: {sent_before} → {sent_after}"
    );
    assert_eq!(second.audio, first.audio, "Ben hears Ana after she edited her page");
    assert!(second.video > first.video, "Ana's video stopped: {first:?} → {second:?}");

    // Through the page she may not unmute yet: she is told to ask.
    ana.click("#mute").await.expect("unmute");
    ana.wait_until("document.getElementById('status').textContent.includes('ask them first')")
        .await
        .expect("Ana is refused");
    assert_eq!(ana.eval("window.hearthRoom.hostMuted").await.expect("eval"), Value::Bool(true));

    // The therapist allows it; Ana unmutes through the page and Ben hears her again.
    host.click("#may-unmute").await.expect("tick");
    ana.wait_until("window.hearthRoom.mayUnmute === true").await.expect("Ana's page knows");
    ana.click("#mute").await.expect("unmute");
    ana.wait_until("window.hearthRoom.hostMuted === false && window.hearthRoom.muted === false")
        .await
        .expect("Ana is unmuted");
    until_between_samples(&ben, &ana_id, "Ana's audio comes back", |a, b| b.audio > a.audio + 20)
        .await;
    host.wait_until(&format!("!document.querySelector(\"{ana_line} .held\")"))
        .await
        .expect("the therapist sees that Ana is no longer muted");

    camera_off_holds(&host, &ana, &ben, &ana_id).await;
    leave_end_and_the_sheet(&app, &setup, &therapist, [&host, &ana, &ben]).await;

    let ana_user = user_id(&app, "ana@example.org").await;
    let audit = app.audit_log().await;
    for action in ["room.unmute_forbidden", "room.unmute_allowed"] {
        assert!(audit.iter().any(|(a, _)| a == action), "{action} in {audit:?}");
    }
    for action in ["room.muted", "room.camera_turned_off"] {
        assert!(
            audit.iter().any(|(a, d)| a == action && *d == format!("user={ana_user}")),
            "{action} for Ana in {audit:?}"
        );
    }
    for browser in [therapist, ana_browser, ben_browser] {
        browser.close().await;
    }
}

/// Twelve minutes into the session Ben leaves, then the therapist ends it: the therapist's
/// status line and lists follow each step, and the attendance sheet shows the minutes the
/// room recorded, with the therapist as the host.
async fn leave_end_and_the_sheet(
    app: &TestApp,
    setup: &Setup,
    therapist: &Browser,
    [host, ana, ben]: [&Page; 3],
) {
    app.clock.advance(chrono::Duration::minutes(12));
    let status_has =
        |text: &str| format!("document.getElementById('status').textContent.includes({text:?})");
    ben.click("#leave").await.expect("Ben leaves");
    host.wait_until(&status_has("Ben left the session."))
        .await
        .expect("the therapist's status says Ben left");
    let present = host.text("#present").await.expect("list");
    assert!(present.contains("Ana") && !present.contains("Ben"), "{present}");
    assert!(host.text("#status").await.expect("status").contains("In the room with you: Ana."));

    host.click("#end").await.expect("end, once");
    host.click("#end").await.expect("end, confirmed");
    for (page, who) in [(host, "the therapist"), (ana, "Ana")] {
        page.wait_until(&status_has("The session has ended"))
            .await
            .unwrap_or_else(|e| panic!("{who} is told the session ended: {e}"));
    }
    assert_eq!(
        host.eval("document.querySelectorAll('#present li, #waiting li').length")
            .await
            .expect("eval"),
        json!(0),
        "nobody is listed in an ended session"
    );

    // Every stretch closed, twelve minutes each (the test's clock did not move otherwise).
    let rows = wait_for_attendance(app, setup, |rows| {
        rows.len() == 3 && rows.iter().all(|r| r.connected_since.is_none())
    })
    .await;
    assert!(rows.iter().all(|r| r.connected_seconds == 720), "{rows:?}");
    let sheet = therapist.new_page().await.expect("tab");
    let path = format!("/groups/{}/meetings/{}/attendance", setup.group, setup.date);
    sheet.goto(&format!("{}{path}", app.base)).await.expect("the sheet");
    let rivera = user_id(app, "rivera@example.org").await;
    let ana_user = user_id(app, "ana@example.org").await;
    let host_line = sheet.text(&format!("tr[data-person='{rivera}'] .person")).await.expect("line");
    assert!(host_line.contains("host of the session"), "{host_line}");
    assert!(!host_line.contains("not a current member"), "{host_line}");
    for user in [rivera, ana_user] {
        let minutes = sheet.text(&format!("tr[data-person='{user}'] .minutes")).await;
        assert_eq!(minutes.expect("minutes"), "12", "user {user}");
    }
}

/// The therapist turns Ana's camera off: her picture stops reaching Ben, her voice does not;
/// allowed, she turns it back on and Ben decodes her picture again.
async fn camera_off_holds(host: &Page, ana: &Page, ben: &Page, ana_id: &str) {
    host.click(&format!("#present button[data-action=camera_off][data-participant='{ana_id}']"))
        .await
        .expect("camera off");
    ana.wait_until("window.hearthRoom.hostCameraOff === true && window.hearthRoom.cameraOff")
        .await
        .expect("Ana is told");
    let (before, after) =
        until_between_samples(ben, ana_id, "Ana's video stops", |a, b| a.video == b.video).await;
    assert!(after.audio > before.audio, "Ana's audio stopped too: {before:?} → {after:?}");
    // Allowed, she turns it back on and Ben decodes her picture again.
    ana.click("#camera-off").await.expect("camera on");
    ana.wait_until("window.hearthRoom.hostCameraOff === false && !window.hearthRoom.cameraOff")
        .await
        .expect("Ana's camera is back");
    until_between_samples(ben, ana_id, "Ana's video comes back", |a, b| b.frames > a.frames + 5)
        .await;
}

/// What one page has received from one sender so far.
#[derive(Debug, Clone, Copy)]
struct Received {
    audio: u64,
    video: u64,
    frames: u64,
}

async fn received_from(page: &Page, sender: &str) -> Received {
    let s = stats(page).await;
    let count = |key: &str| s[sender][key].as_u64().unwrap_or(0);
    Received {
        audio: count("audioPackets"),
        video: count("videoPackets"),
        frames: count("framesDecoded"),
    }
}

async fn sent_audio(page: &Page) -> u64 {
    stats(page).await["sent"]["audio"].as_u64().expect("packets sent")
}

/// Samples what `page` received from `sender` every three seconds until `holds` is true of
/// two samples in a row (at most 45 s); returns those two.
async fn until_between_samples(
    page: &Page,
    sender: &str,
    what: &str,
    holds: impl Fn(Received, Received) -> bool,
) -> (Received, Received) {
    let mut previous = received_from(page, sender).await;
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let next = received_from(page, sender).await;
        if holds(previous, next) {
            eprintln!("{what}: {previous:?} → {next:?}");
            return (previous, next);
        }
        previous = next;
    }
    panic!("{what}: not seen in 45 s; last {previous:?}");
}

/// axe finds nothing on the therapist's room page in session, and both the therapist's and a
/// member's room fit a phone screen.
async fn assert_room_fits_everyone(host: &Page, member: &Page) {
    let violations = host.accessibility_violations().await.expect("axe runs");
    assert!(violations.is_empty(), "the room page (host, in session): {violations:?}");
    for (page, who) in [(host, "the therapist's"), (member, "a member's")] {
        page.emulate_phone().await.expect("phone viewport");
        assert!(!page.overflows_horizontally().await.expect("layout"), "{who} room on a phone");
    }
}

/// A client who is not in the group gets a refusal, not the room page.
async fn assert_outsider_refused(browser: &Browser, base: &str, path: &str) {
    let outsider = browser.new_page().await.expect("tab");
    outsider.log_in(base, "cleo@example.org", PASSWORD).await.expect("logs in");
    outsider.goto(&format!("{base}{path}")).await.expect("room page");
    outsider.wait_until("document.body").await.expect("loaded");
    assert!(
        outsider.eval("document.getElementById('join-form') === null").await.expect("eval")
            == Value::Bool(true),
        "no room page for an outsider"
    );
    let refusal = outsider.text("main").await.expect("text");
    assert!(refusal.contains("may not"), "{refusal}");
}

/// Waits until `page` gets audio and decoded video from each of `others`, then checks that
/// both keep coming across two samples three seconds apart.
async fn assert_media_from(page: &Page, who: &str, others: &[&String]) {
    let condition = format!(
        "(async () => {{ const s = await ({STATS}); return {} }})()",
        others
            .iter()
            .map(|id| format!(
                "(s['{id}'] && s['{id}'].audioPackets > 0 && s['{id}'].framesDecoded > 0)"
            ))
            .collect::<Vec<_>>()
            .join(" && ")
    );
    wait_for(page, &condition).await.unwrap_or_else(|e| panic!("{who}: {e}"));
    let first = stats(page).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let second = stats(page).await;
    eprintln!("{who} getStats per sender, 3 s apart: {first} then {second}");
    for id in others {
        let before = first[id.as_str()]["framesDecoded"].as_u64().expect("frames");
        let after = second[id.as_str()]["framesDecoded"].as_u64().expect("frames");
        assert!(after > before, "{who}: frames from {id} rose from {before} to {after}");
        let audio_before = first[id.as_str()]["audioPackets"].as_u64().expect("packets");
        let audio_after = second[id.as_str()]["audioPackets"].as_u64().expect("packets");
        assert!(
            audio_after > audio_before,
            "{who}: audio from {id}: {audio_before} → {audio_after}"
        );
    }
}

/// The therapist marks Ana late on the attendance sheet (in a new tab); Ana may not see it.
async fn correct_the_sheet(
    app: &TestApp,
    setup: &Setup,
    therapist: &Browser,
    ana: &Page,
    ana_user: i64,
) {
    let base = &app.base;
    let sheet_path = format!("/groups/{}/meetings/{}/attendance", setup.group, setup.date);
    let sheet = therapist.new_page().await.expect("tab");
    sheet.goto(&format!("{base}{sheet_path}")).await.expect("attendance page");
    sheet
        .wait_until(&format!("document.querySelector('#status-{ana_user}')"))
        .await
        .expect("sheet");
    sheet
        .eval(&format!("document.querySelector('#status-{ana_user}').value = 'late'; document.querySelector('#status-{ana_user}').form.requestSubmit()"))
        .await
        .expect("submit");
    sheet.wait_until("location.search.includes('msg=saved')").await.expect("saved");
    let violations = sheet.accessibility_violations().await.expect("axe runs");
    assert!(violations.is_empty(), "the attendance sheet: {violations:?}");
    let line = sheet.text(&format!("tr[data-person='{ana_user}'] .status")).await.expect("line");
    assert_eq!(line, "Late");
    let corrected = wait_for_attendance(app, setup, |rows| {
        rows.iter().any(|r| r.user_id == ana_user && r.status == "late" && r.corrected_by.is_some())
    })
    .await;
    eprintln!("attendance after the correction: {corrected:?}");
    ana.goto(&format!("{base}{sheet_path}")).await.expect("navigates");
    ana.wait_until("document.body").await.expect("loaded");
    assert!(ana.text("main").await.expect("text").contains("may not"));
}

/// Waits up to 30 s for an async JavaScript condition (media takes a few seconds to flow).
async fn wait_for(page: &Page, condition: &str) -> anyhow::Result<()> {
    for _ in 0..60 {
        if page.eval(condition).await? == Value::Bool(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seen = stats(page).await;
    anyhow::bail!("media did not arrive; getStats per sender: {seen}")
}

pub(crate) async fn user_id(app: &TestApp, email: &str) -> i64 {
    let email = hearth_domain::Email::parse(email).expect("an email");
    app.db.find_user_by_email(&email).await.expect("reads").expect("exists").id.get()
}

/// Polls the meeting's attendance rows (recorded from SFU events) until `done` holds.
pub(crate) async fn wait_for_attendance(
    app: &TestApp,
    setup: &Setup,
    done: impl Fn(&[hearth_store::AttendanceRow]) -> bool,
) -> Vec<hearth_store::AttendanceRow> {
    let group = hearth_domain::GroupId::new(setup.group);
    for _ in 0..100 {
        let rows = app.db.list_attendance(group, setup.date).await.expect("reads");
        if done(&rows) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows = app.db.list_attendance(group, setup.date).await.expect("reads");
    panic!("attendance never reached the expected state: {rows:?}");
}

#[tokio::test]
async fn room_the_demo_has_a_session_about_to_start_for_its_therapist_and_client() {
    let app = spawn_app().await;
    hearth::demo::seed(&app.app, &app.db).await.expect("the demo seeds");
    let path = hearth::demo::session_about_to_start(&app.app, &app.db)
        .await
        .expect("sets up")
        .expect("a session room");
    // Running it again (a second `hearth demo` start) keeps the same meeting.
    let again = hearth::demo::session_about_to_start(&app.app, &app.db)
        .await
        .expect("again")
        .expect("room");
    assert_eq!(path, again);

    let parts: Vec<&str> = path.split('/').collect();
    let [_, "groups", group, "meetings", date, "room"] = parts[..] else {
        panic!("unexpected room path {path}");
    };
    let group = hearth_domain::GroupId::new(group.parse().expect("id"));
    let meeting = app.app.meeting(group, date.parse().expect("date")).await.expect("the meeting");
    let starts_in = meeting.occurrence.occurrence.starts_at - app.clock_now();
    assert!(
        (chrono::Duration::zero()..=chrono::Duration::minutes(10)).contains(&starts_in),
        "starts in {starts_in}"
    );
    // The room is open to the demo client (a member, to the waiting room) and its therapist.
    for (email, part) in
        [("client@demo.hearth.example", "member"), ("therapist@demo.hearth.example", "host")]
    {
        let mut socket = Socket::open_as(&app, &path, email, hearth::demo::DEMO_PASSWORD).await;
        socket.send(json!({"type": "hello", "location": "Denver, CO"})).await;
        assert_eq!(socket.expect("welcome").await["part"], part);
    }
}

#[tokio::test]
async fn room_and_attendance_links_on_the_therapists_groups_page() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    let login = app.log_in_with_form("rivera@example.org", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let html = app.get_page("/therapist/groups").await.text().await.expect("html");
    assert!(html.contains(&format!("href=\"{}\"", setup.path)), "the next meeting's room: {html}");
    let last = setup.date - chrono::Duration::weeks(1);
    let sheet = format!("/groups/{}/meetings/{last}/attendance", setup.group);
    assert!(html.contains(&sheet), "last week's attendance sheet: {html}");
    let page = app.get_page(&sheet).await;
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.expect("html");
    assert!(text.contains("Ana") && text.contains("Absent"), "nobody came last week: {text}");
}

#[tokio::test]
async fn room_socket_refuses_a_handshake_from_another_site_or_without_an_origin() {
    let app = spawn_app().await;
    let setup = set_up(&app).await;
    for origin in [Some("http://elsewhere.example"), None] {
        let request = Socket::request(&app, &setup.path, "ana@example.org", PASSWORD, origin).await;
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "origin {origin:?}");
            }
            other => panic!("origin {origin:?}: expected a 403, got {other:?}"),
        }
    }
}
