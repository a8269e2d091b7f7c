//! A meeting's video room: the page (the only one with JavaScript) and its signalling
//! WebSocket.

use askama::Template;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_app::{AppError, Authenticated, Meeting, RoomConnection, RoomMessage};
use hearth_domain::{GroupId, RoomEntry, RoomRefusal};
use hearth_video::signal::{ClientMessage, ServerMessage};

use super::pages_groups::meeting_date;
use super::pages_meetings::held;
use crate::csrf::{CsrfToken, same_origin};
use crate::extract::{ClientMeta, PageUser, Path};
use crate::templates::{Layout, page, render};
use crate::when::When;
use crate::{AppState, Error, Result};

/// How long a browser has to say hello after the socket opens.
const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Largest signalling message accepted (an SDP offer with a dozen m-lines is ~20 KiB).
const MAX_MESSAGE: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/meetings/{date}/room", get(room_page))
        .route("/groups/{id}/meetings/{date}/room/socket", get(room_socket))
        .route("/static/room.js", get(room_script))
}

#[derive(Template)]
#[template(path = "room.html")]
struct RoomPage {
    layout: Layout,
    group: i64,
    date: String,
    topic: String,
    /// When the meeting is held on the viewer's clock, and when it was planned if moved.
    held: String,
    moved_from: Option<String>,
    /// Care staff must give a reason before the room opens to them.
    staff: bool,
    host: bool,
}

pub(super) async fn meeting(state: &AppState, id: i64, date: &str) -> Result<Meeting> {
    Ok(state.app.meeting(GroupId::new(id), meeting_date(date)?).await?)
}

/// Before the room opens: when the session starts and the room opens, on the person's own
/// clock, and a page that opens the room by itself then.
#[derive(Template)]
#[template(path = "room_waiting.html")]
struct WaitingPage {
    layout: Layout,
    topic: String,
    starts: String,
    opens: String,
    moved_from: Option<String>,
    zone: &'static str,
    before: i64,
    /// Seconds until the page reloads itself (forms.js), and for the meta refresh that
    /// does it where scripts do not run, a little later.
    reload_in: i64,
    refresh_in: i64,
}

/// A room nobody can come into any more (or, when locked, not now): the reason, in words.
#[derive(Template)]
#[template(path = "room_closed.html")]
struct ClosedPage {
    layout: Layout,
    heading: String,
    message: String,
    group: i64,
}

/// The longest a waiting page waits before it looks again (a room days away reloads hourly).
const LONGEST_WAIT_SECS: i64 = 3600;
/// How long after the opening time the meta refresh reloads a page whose script did not.
const REFRESH_SLACK_SECS: i64 = 20;

async fn room_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    Path((id, date)): Path<(i64, String)>,
) -> Result<Response> {
    let meeting = meeting(&state, id, &date).await?;
    // The door is checked here too, so an outsider gets a plain refusal and no room page.
    // Care staff give their reason on the page; the door checks it again at join.
    let (staff, host) = match state.app.knock_room(&who, &meeting, None).await {
        Ok(entry) => (false, entry == RoomEntry::Host),
        Err(AppError::Invalid(_)) => (true, false),
        Err(AppError::Refused { code: "room_locked", .. }) => {
            let message = "The therapist has locked the room for now. Try again in a little while, or contact your care team.";
            return Ok(closed(&who, &csrf, id, "The room is locked", message));
        }
        // The time is what refused (cancelled, ended, not open yet): said below.
        Err(AppError::Refused { .. }) => (false, false),
        Err(other) => return Err(other.into()),
    };
    let (topic, _) = state.app.topic_with_plan(&meeting.group.topic).await?;
    let room = state.app.room_state(&meeting).await?;
    let zone = who.user.timezone.tz();
    match room.open_at(state.app.now()) {
        Ok(()) => {}
        Err(RoomRefusal::NotOpenYet { opens_at }) => {
            let (starts, moved_from) = held(&meeting.occurrence, zone, &when);
            let wait = (opens_at - state.app.now()).num_seconds().clamp(0, LONGEST_WAIT_SECS);
            return Ok(page(&WaitingPage {
                layout: Layout::new(&format!("{} room", topic.name), Some(&who), &csrf),
                topic: topic.name,
                starts,
                opens: when.at(opens_at, zone),
                moved_from,
                zone: who.user.timezone.name(),
                before: hearth_domain::ROOM_OPENS_BEFORE_MINUTES,
                reload_in: wait + 1,
                refresh_in: wait + REFRESH_SLACK_SECS,
            }));
        }
        Err(RoomRefusal::Cancelled) => {
            let message = "This meeting of the group was cancelled, so its room will not open. Your group page shows the next meeting.";
            return Ok(closed(&who, &csrf, id, "This meeting was cancelled", message));
        }
        Err(_) => {
            let message = "This session is over and its room is closed. Your group page shows the next meeting.";
            return Ok(closed(&who, &csrf, id, "This session has ended", message));
        }
    }
    let (held, moved_from) = held(&meeting.occurrence, zone, &when);
    Ok(page(&RoomPage {
        layout: Layout::new(&format!("{} room", topic.name), Some(&who), &csrf),
        group: id,
        date: meeting.date().to_string(),
        topic: topic.name,
        held,
        moved_from,
        staff,
        host,
    }))
}

/// The message page for a room that will not let anyone in: signed in, with the reason, and
/// a way back to the group. A refusal, so not a 200.
fn closed(
    who: &Authenticated,
    csrf: &CsrfToken,
    group: i64,
    heading: &str,
    message: &str,
) -> Response {
    render(
        StatusCode::CONFLICT,
        &ClosedPage {
            layout: Layout::new(heading, Some(who), csrf),
            heading: heading.to_owned(),
            message: message.to_owned(),
            group,
        },
    )
}

async fn room_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        // The camera and microphone preview first: the room's script hands over to it.
        concat!(include_str!("../../static/room_preview.js"), include_str!("../../static/room.js")),
    )
}

/// Upgrades to the room's signalling socket. Cookies ride along with a WebSocket handshake
/// from any site, so the Origin must be ours.
async fn room_socket(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    meta: ClientMeta,
    headers: HeaderMap,
    Path((id, date)): Path<(i64, String)>,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    // Unlike a form post, a socket without an Origin is refused too.
    if same_origin(&headers) != Some(true) {
        return Err(Error::new(
            StatusCode::FORBIDDEN,
            "origin",
            "open the room from Hearth's own page",
        ));
    }
    let meeting = meeting(&state, id, &date).await?;
    Ok(ws
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve_socket(state, who, meta, meeting, socket)))
}

async fn send(socket: &mut WebSocket, message: &RoomMessage) -> bool {
    let Ok(text) = serde_json::to_string(message) else { return false };
    socket.send(Message::text(text)).await.is_ok()
}

fn parse(message: &Message) -> Option<std::result::Result<ClientMessage, String>> {
    match message {
        Message::Text(text) => Some(serde_json::from_str(text).map_err(|e| e.to_string())),
        Message::Binary(_) => Some(Err("send JSON text messages".to_owned())),
        _ => None,
    }
}

/// Why the app refused, in words a person can act on.
fn refusal_text(err: &AppError) -> String {
    match err {
        AppError::Forbidden => "you are not part of this group".to_owned(),
        AppError::Invalid(fields) => fields.to_string(),
        other => other.to_string(),
    }
}

async fn serve_socket(
    state: AppState,
    who: Authenticated,
    meta: ClientMeta,
    meeting: Meeting,
    mut socket: WebSocket,
) {
    let ctx = meta.audit(Some(&who));
    // The hello: where the participant is, and for care staff why they come.
    let hello = tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await;
    let first = hello.ok().flatten().and_then(Result::ok);
    let Some(Ok(ClientMessage::Hello { location, reason })) = first.as_ref().and_then(parse) else {
        let refused = ServerMessage::Refused { reason: "say hello first".to_owned() };
        send(&mut socket, &refused.into()).await;
        return;
    };
    let entered =
        state.app.enter_room(&who, &meeting, location.as_deref(), reason.as_deref(), &ctx).await;
    let RoomConnection { id, mut outbox } = match entered {
        Ok(connection) => connection,
        Err(err) => {
            if let AppError::Unexpected(e) = &err {
                tracing::error!(error = %e, "entering a room");
            }
            let refused = ServerMessage::Refused { reason: refusal_text(&err) };
            send(&mut socket, &refused.into()).await;
            return;
        }
    };
    loop {
        tokio::select! {
            out = outbox.recv() => match out {
                Some(message) => {
                    if !send(&mut socket, &message).await {
                        break;
                    }
                }
                // Removed, ended or replaced: the server is done with this socket.
                None => break,
            },
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { break };
                if matches!(message, Message::Close(_)) {
                    break;
                }
                let Some(parsed) = parse(&message) else { continue };
                let result = match parsed {
                    Ok(message) => state.app.room_message(&who, &id, message, &ctx).await,
                    Err(e) => Err(AppError::invalid("message", e)),
                };
                if let Err(err) = result {
                    if let AppError::Unexpected(e) = &err {
                        tracing::error!(error = %e, "a room message");
                    }
                    let message = match err {
                        AppError::Forbidden => "only the group's therapist can do that".to_owned(),
                        other => refusal_text(&other),
                    };
                    let error = ServerMessage::Error { message };
                    if !send(&mut socket, &error.into()).await {
                        break;
                    }
                }
            }
        }
    }
    state.app.leave_room(&who, &id).await;
    let _ = socket.send(Message::Close(None)).await;
}
